//! The token and revocation endpoints: code exchange, refresh, revocation (RFC 6749, 7009).

use serde_json::Value;

use super::error::{one_line, transport, ClientError};
use super::http::Http;
use super::token_store::Tokens;

/// Who the client is: a public client (no secret) or a confidential one.
#[derive(Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .finish()
    }
}

impl ClientCredentials {
    /// Confidential clients use HTTP Basic (RFC 6749 §2.3.1: each part form-encoded first);
    /// public clients name themselves in the body.
    pub fn authenticate(
        &self,
        request: reqwest::blocking::RequestBuilder,
        form: &mut Vec<(&'static str, String)>,
    ) -> reqwest::blocking::RequestBuilder {
        match &self.client_secret {
            Some(secret) => {
                let enc = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                request.basic_auth(enc(&self.client_id), Some(enc(secret)))
            }
            None => {
                form.push(("client_id", self.client_id.clone()));
                request
            }
        }
    }
}

/// Trades an authorization code for tokens.
pub fn exchange_code(
    http: &Http,
    token_endpoint: &str,
    client: &ClientCredentials,
    code: &str,
    redirect_uri: &str,
    code_verifier: &str,
    now: i64,
) -> Result<Tokens, ClientError> {
    let form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("code_verifier", code_verifier.to_string()),
    ];
    let body = post_token(http, token_endpoint, client, form).map_err(|e| match e {
        TokenCallError::Refused(reason) => ClientError::TokenRefused {
            what: "the authorization code",
            reason,
        },
        TokenCallError::Other(e) => e,
    })?;
    Tokens::from_response(&body, now, None).map_err(|reason| ClientError::BadResponse {
        url: token_endpoint.to_string(),
        expected: "a token response",
        reason,
    })
}

/// Uses the refresh token; the response's (rotated) refresh token replaces the old one.
pub fn refresh(
    http: &Http,
    token_endpoint: &str,
    client: &ClientCredentials,
    current: &Tokens,
    now: i64,
) -> Result<Tokens, ClientError> {
    let Some(refresh_token) = &current.refresh_token else {
        return Err(ClientError::RefreshFailed {
            reason: "there is no refresh token".into(),
        });
    };
    let form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.clone()),
    ];
    let body = post_token(http, token_endpoint, client, form).map_err(|e| match e {
        TokenCallError::Refused(reason) => ClientError::RefreshFailed { reason },
        TokenCallError::Other(e) => e,
    })?;
    Tokens::from_response(&body, now, Some(current)).map_err(|reason| ClientError::BadResponse {
        url: token_endpoint.to_string(),
        expected: "a token response",
        reason,
    })
}

/// Revokes one token (RFC 7009); `hint` is `refresh_token` or `access_token`.
pub fn revoke(
    http: &Http,
    revocation_endpoint: &str,
    client: &ClientCredentials,
    token: &str,
    hint: &str,
) -> Result<(), ClientError> {
    let mut form = vec![
        ("token", token.to_string()),
        ("token_type_hint", hint.to_string()),
    ];
    let request = client.authenticate(http.plain().post(revocation_endpoint), &mut form);
    let response = request
        .form(&form)
        .send()
        .map_err(|e| transport(revocation_endpoint, &e))?;
    let status = response.status().as_u16();
    if response.status().is_success() {
        return Ok(());
    }
    let text = response.text().unwrap_or_default();
    Err(ClientError::Http {
        method: "POST",
        url: revocation_endpoint.to_string(),
        status,
        detail: oauth_error_text(&text),
    })
}

enum TokenCallError {
    /// The server answered with an OAuth error: `invalid_grant: …`.
    Refused(String),
    Other(ClientError),
}

fn post_token(
    http: &Http,
    token_endpoint: &str,
    client: &ClientCredentials,
    mut form: Vec<(&'static str, String)>,
) -> Result<Value, TokenCallError> {
    let request = client.authenticate(http.plain().post(token_endpoint), &mut form);
    let response = request
        .header("Accept", "application/json")
        .form(&form)
        .send()
        .map_err(|e| TokenCallError::Other(transport(token_endpoint, &e)))?;
    let status = response.status();
    let text = response
        .text()
        .map_err(|e| TokenCallError::Other(transport(token_endpoint, &e)))?;
    if !status.is_success() {
        return Err(TokenCallError::Refused(format!(
            "{} (HTTP {})",
            oauth_error_text(&text),
            status.as_u16()
        )));
    }
    serde_json::from_str(&text).map_err(|e| {
        TokenCallError::Other(ClientError::BadResponse {
            url: token_endpoint.to_string(),
            expected: "JSON",
            reason: one_line(&e.to_string()),
        })
    })
}

/// `error: error_description` from an OAuth error body, else the body's first words.
pub fn oauth_error_text(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        let error = v.get("error").and_then(Value::as_str);
        let description = v
            .get("error_description")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty());
        match (error, description) {
            (Some(e), Some(d)) => return one_line(&format!("{e}: {d}")),
            (Some(e), None) => return one_line(e),
            _ => {}
        }
        if let Some(detail) = v.get("detail").and_then(Value::as_str) {
            return one_line(detail);
        }
    }
    snippet(body)
}

/// The first 200 characters of a body, on one line.
pub fn snippet(body: &str) -> String {
    let line = one_line(body);
    if line.is_empty() {
        return "(empty body)".into();
    }
    match line.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_errors_read_as_one_line() {
        assert_eq!(
            oauth_error_text(
                r#"{"error":"invalid_grant","error_description":"reused\nrefresh token"}"#
            ),
            "invalid_grant: reused refresh token"
        );
        assert_eq!(
            oauth_error_text(r#"{"error":"invalid_client"}"#),
            "invalid_client"
        );
        assert_eq!(oauth_error_text(""), "(empty body)");
        assert_eq!(
            oauth_error_text("<h1>Bad\nGateway</h1>"),
            "<h1>Bad Gateway</h1>"
        );
    }
}
