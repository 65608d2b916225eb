//! A token-endpoint call as the conformance report records it: the grant type, how the client
//! authenticated, whether it sent a PKCE verifier, short tags of the code or refresh token it
//! presented and of the access token it got, and the answer. Read before the request is
//! decided (the decision takes it), recorded after.

use serde_json::Value;

use super::facts::{self, token_tag, Event, Observation};
use crate::auth::jws::Jws;
use crate::auth::{OAuthError, TokenRequest};
use crate::store::Store;

/// A token-endpoint call, read before it is decided (the request moves into the decision).
pub struct TokenSeen {
    client_id: Option<String>,
    at_ms: i64,
    path: String,
    grant_type: String,
    client_auth: &'static str,
    code_verifier: bool,
    presented: Option<String>,
}

impl TokenSeen {
    /// `at_ms`: when the request arrived (unix ms); `path`: the endpoint's path.
    pub fn of(at_ms: i64, path: &str, request: &TokenRequest) -> TokenSeen {
        let assertion = request.param("client_assertion");
        let client_id = request
            .basic
            .as_ref()
            .map(|b| b.0.clone())
            .or_else(|| request.param("client_id").map(str::to_string))
            .or_else(|| {
                // Only to file the observation under an app: the decision checks it.
                let jws = Jws::parse(assertion?).ok()?;
                jws.claims["iss"].as_str().map(str::to_string)
            });
        let client_auth = if request.basic.is_some() {
            "client_secret_basic"
        } else if request.param("client_secret").is_some() {
            "client_secret_post"
        } else if assertion.is_some() {
            "private_key_jwt"
        } else {
            "none"
        };
        let presented = request
            .param("refresh_token")
            .or_else(|| request.param("code"))
            .or_else(|| request.param("token"))
            .map(token_tag);
        TokenSeen {
            client_id,
            at_ms,
            path: path.to_string(),
            grant_type: request.param("grant_type").unwrap_or("").to_string(),
            client_auth,
            code_verifier: request.param("code_verifier").is_some(),
            presented,
        }
    }

    fn target(&self, what: &str) -> String {
        let mut parts = vec![what.to_string(), self.client_auth.to_string()];
        if self.code_verifier {
            parts.push("code_verifier".into());
        }
        format!("{} [{}]", self.path, parts.join(", "))
    }

    /// Records a token request (`grant_type` …) and its answer.
    pub fn record_token(self, store: &Store, result: Result<&Value, &OAuthError>) {
        let Some(client_id) = self.client_id.clone() else {
            return;
        };
        let (status, error, issued, expires_in) = match result {
            Ok(body) => (
                200,
                None,
                body["access_token"].as_str().map(token_tag),
                body["expires_in"].as_i64(),
            ),
            Err(e) => (e.status, Some(e.error.as_str().to_string()), None, None),
        };
        let observation = Observation {
            at_ms: self.at_ms,
            method: "POST".into(),
            target: self.target(&format!("grant_type={}", self.grant_type)),
            status,
            event: Event::Token {
                grant_type: self.grant_type,
                client_auth: self.client_auth.into(),
                code_verifier: self.code_verifier,
                presented: self.presented,
                issued,
                expires_in,
                error,
            },
        };
        facts::record_for_client(store, client_id, observation);
    }

    /// Records a revocation request and its answer.
    pub fn record_revoke(self, store: &Store, result: Result<(), &OAuthError>) {
        let Some(client_id) = self.client_id.clone() else {
            return;
        };
        let (status, error) = match result {
            Ok(()) => (200, None),
            Err(e) => (e.status, Some(e.error.as_str().to_string())),
        };
        let observation = Observation {
            at_ms: self.at_ms,
            method: "POST".into(),
            target: self.target("revoke"),
            status,
            event: Event::Revoke { error },
        };
        facts::record_for_client(store, client_id, observation);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn request(basic: bool, params: &[(&str, &str)]) -> TokenRequest {
        TokenRequest {
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>(),
            basic: basic.then(|| ("app".to_string(), "SECRET".to_string())),
            client_address: None,
            token_endpoint: "http://h/v2/o/token".into(),
        }
    }

    #[test]
    fn a_call_is_described_without_its_secrets() {
        let seen = TokenSeen::of(
            7,
            "/v2/o/token",
            &request(
                true,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", "CODE"),
                    ("code_verifier", "VERIFIER"),
                ],
            ),
        );
        assert_eq!(seen.client_id.as_deref(), Some("app"));
        assert_eq!(seen.client_auth, "client_secret_basic");
        assert!(seen.code_verifier);
        assert_eq!(seen.presented, Some(token_tag("CODE")));
        let target = seen.target("grant_type=authorization_code");
        assert_eq!(
            target,
            "/v2/o/token [grant_type=authorization_code, client_secret_basic, code_verifier]"
        );
        let post = TokenSeen::of(
            7,
            "/v2/o/token",
            &request(false, &[("client_id", "app"), ("client_secret", "S")]),
        );
        assert_eq!(post.client_auth, "client_secret_post");
        let public = TokenSeen::of(7, "/v2/o/token", &request(false, &[("client_id", "app")]));
        assert_eq!(public.client_auth, "none");
    }
}
