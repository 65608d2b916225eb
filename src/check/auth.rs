//! Getting a token, as the kit's SMART group does (standalone launch) or as an operator would
//! (a bearer token pasted in, or SMART Backend Services).

use serde_json::Value;

use super::report::{Check, Group};
use super::smart::CARIN_SCOPES;
use super::{AuthOptions, Checker};
use crate::client::backend::{backend_token, Backend};
use crate::client::discovery::endpoints_from;
use crate::client::form_driver::{sign_in_and_consent, Decision};
use crate::client::http::Http;
use crate::client::login::{authorize_request, finish, CARIN_SCOPES as REQUESTED_SCOPES};
use crate::client::loopback::{Callback, Loopback, DEFAULT_REDIRECT};
use crate::client::oauth::ClientCredentials;
use crate::client::ClientError;

/// The token the API checks use, and its patient context.
pub struct Token {
    pub access_token: String,
    pub patient: Option<String>,
}

/// The resource types whose patient-level read scope the granted scopes must cover.
const SCOPED_TYPES: [&str; 5] = [
    "Patient",
    "ExplanationOfBenefit",
    "Coverage",
    "Organization",
    "Practitioner",
];

pub fn run(
    c: &Checker<'_>,
    http: Option<&Http>,
    auth: &AuthOptions,
    well_known: Option<&Value>,
    now: i64,
) -> (Group, Option<Token>) {
    let mut group = Group::new("auth", "Authorization");
    let token = match auth {
        AuthOptions::None => {
            let mut check = Check::new("auth.token", "an access token", false);
            check.skip("no authorization given: requests are sent without a token");
            group.checks.push(check);
            None
        }
        AuthOptions::Bearer(token) => {
            let mut check = Check::new("auth.token", "an access token (--bearer)", true);
            check.note("given on the command line; its patient comes from --patient or the server");
            group.checks.push(check);
            Some(Token {
                access_token: token.clone(),
                patient: None,
            })
        }
        AuthOptions::Login {
            client_id,
            client_secret,
            username,
            password,
            scope,
        } => {
            let client = ClientCredentials {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
            };
            let scope = scope.as_deref().unwrap_or(REQUESTED_SCOPES);
            launch(
                c, http, &mut group, well_known, &client, username, password, scope, now,
            )
        }
        AuthOptions::Backend {
            client_id,
            private_key,
            kid,
            scope,
        } => {
            let mut check = Check::new(
                "auth.backend",
                "SMART Backend Services: client_credentials with a private_key_jwt assertion",
                true,
            );
            let token = match http {
                None => {
                    check.fail("no HTTP client to sign in with");
                    None
                }
                Some(http) => {
                    let b = Backend {
                        fhir_base: &c.base,
                        client_id,
                        private_key,
                        kid: kid.as_deref(),
                        scope,
                        query: "",
                    };
                    check.request("POST", "token_endpoint (from discovery)", None);
                    match backend_token(http, &b, now) {
                        Ok(body) => token_from(&mut check, &body),
                        Err(e) => {
                            check.fail(e.to_string());
                            None
                        }
                    }
                }
            };
            group.checks.push(check);
            token
        }
    };
    (group, token)
}

fn token_from(check: &mut Check, body: &Value) -> Option<Token> {
    let Some(access_token) = body["access_token"].as_str() else {
        check.fail("the token response has no access_token");
        return None;
    };
    if !body["token_type"]
        .as_str()
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    {
        check.fail(format!("token_type is {}, not Bearer", body["token_type"]));
    }
    if !body["expires_in"].is_number() {
        check.fail("the token response has no expires_in");
    }
    check.note(format!(
        "granted scope: {}",
        body["scope"].as_str().unwrap_or("")
    ));
    Some(Token {
        access_token: access_token.to_string(),
        patient: None,
    })
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site, each argument a different fact"
)]
fn launch(
    c: &Checker<'_>,
    http: Option<&Http>,
    group: &mut Group,
    well_known: Option<&Value>,
    client: &ClientCredentials,
    username: &str,
    password: &str,
    scope: &str,
    now: i64,
) -> Option<Token> {
    let mut check = Check::new(
        "auth.launch",
        "SMART standalone launch: authorization code with PKCE S256, state echoed, code exchanged",
        true,
    );
    let result = (|| -> Result<_, String> {
        let http = http.ok_or("no HTTP client to sign in with")?;
        let doc = well_known.ok_or(
            "the server offers no SMART discovery, so there is no authorization endpoint to sign in at",
        )?;
        let endpoints = endpoints_from(&c.base, doc)?;
        // A loopback redirect URI with a real port (registered apps may allow any loopback
        // port); the redirect is read from the form driver, not received on it.
        let loopback = Loopback::bind(DEFAULT_REDIRECT).map_err(|e| e.to_string())?;
        let request = authorize_request(
            &endpoints,
            &client.client_id,
            loopback.redirect_uri(),
            scope,
        )
        .map_err(|e| e.to_string())?;
        check.request("GET", &request.url, None);
        let location = sign_in_and_consent(&request.url, username, password, Decision::Allow)
            .map_err(|e| match e {
                ClientError::FormDriver(why) | ClientError::AuthorizeRefused(why) => format!(
                    "cannot sign in automatically at this server ({why}); sign in with an app \
                     of your own and pass the access token with --bearer"
                ),
                other => other.to_string(),
            })?;
        let callback = callback_of(&location)?;
        check.request("POST", &endpoints.token_endpoint, None);
        finish(http, &endpoints, client, &request, &callback, now).map_err(|e| e.to_string())
    })();
    let session = match result {
        Ok(s) => s,
        Err(why) => {
            check.fail(why);
            group.checks.push(check);
            return None;
        }
    };
    group.checks.push(check);
    let tokens = session.tokens.clone();

    let mut response = Check::new(
        "auth.token-response",
        "the token response has access_token, expires_in, scope and the patient context",
        true,
    );
    if tokens.expires_at.is_none() {
        response.fail("no expires_in");
    }
    if tokens.scope.is_empty() {
        response.fail("no scope");
    }
    match &tokens.patient {
        Some(p) => response.note(format!("patient {p}")),
        None => response.fail("no patient (a patient-context launch must name one)"),
    }
    if tokens.refresh_token.is_none() && scope.split_whitespace().any(|s| s == "offline_access") {
        response.warn("offline_access was asked for but no refresh_token came back");
    }
    group.checks.push(response);

    let mut scopes = Check::new(
        "auth.scopes",
        "the granted scopes include openid, fhirUser, launch/patient and patient-level reads of the five CARIN types",
        true,
    );
    let granted: Vec<&str> = tokens.scope.split_whitespace().collect();
    for s in CARIN_SCOPES.iter().take(3) {
        if !granted.contains(s) {
            scopes.fail(format!("{s} was not granted"));
        }
    }
    for ty in SCOPED_TYPES {
        let covered = granted.iter().any(|g| {
            let Some((ctx, perm)) = g.rsplit_once('.') else {
                return false;
            };
            (ctx == format!("patient/{ty}") || ctx == "patient/*")
                && (perm == "read" || perm == "*" || (perm.contains('r') && perm.contains('s')))
        });
        if !covered {
            scopes.fail(format!("no patient/{ty} read scope was granted"));
        }
    }
    scopes.note(format!("granted: {}", tokens.scope));
    group.checks.push(scopes);
    let mut tokens = tokens;
    if let (Some(http), Some(refresh_token)) = (http, tokens.refresh_token.clone()) {
        group.checks.push(refresh(
            http,
            &session.endpoints.token_endpoint,
            client,
            &refresh_token,
            &mut tokens.access_token,
        ));
    }
    Some(super::auth::Token {
        access_token: tokens.access_token,
        patient: tokens.patient,
    })
}

/// A refresh, sent by hand to see the token endpoint's answer as the kit does: 200 JSON with
/// a Bearer access token, `Cache-Control: no-store` and `Pragma: no-cache`. The new access
/// token replaces the old one.
fn refresh(
    http: &Http,
    token_endpoint: &str,
    client: &ClientCredentials,
    refresh_token: &str,
    access_token: &mut String,
) -> Check {
    let mut check = Check::new(
        "auth.token-headers",
        "a token response (refresh_token grant) is JSON with Cache-Control no-store and Pragma no-cache",
        true,
    );
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.to_string()),
    ];
    let request = client.authenticate(http.plain().post(token_endpoint), &mut form);
    let response = match request
        .header("Accept", "application/json")
        .form(&form)
        .send()
    {
        Ok(r) => r,
        Err(e) => {
            check.request("POST", token_endpoint, None);
            check.fail(crate::client::error::transport(token_endpoint, &e).to_string());
            return check;
        }
    };
    check.request("POST", token_endpoint, Some(response.status().as_u16()));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    let (cache, pragma, status) = (header("cache-control"), header("pragma"), response.status());
    if !cache.contains("no-store") {
        check.fail(format!("Cache-Control is {cache:?}, without no-store"));
    }
    if !pragma.contains("no-cache") {
        check.fail(format!("Pragma is {pragma:?}, without no-cache"));
    }
    let body: Value = response.json().unwrap_or_default();
    if !status.is_success() {
        check.fail(format!(
            "the refresh was refused ({status}): {}",
            crate::client::oauth::oauth_error_text(&body.to_string())
        ));
        return check;
    }
    if let Some(token) = token_from(&mut check, &body) {
        *access_token = token.access_token;
    }
    check
}

/// The query of the redirect the server sent the browser to.
fn callback_of(location: &str) -> Result<Callback, String> {
    let url = url::Url::parse(location).map_err(|e| format!("redirect {location}: {e}"))?;
    let get = |k: &str| {
        url.query_pairs()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.into_owned())
    };
    let cb = Callback {
        code: get("code"),
        state: get("state"),
        error: get("error"),
        error_description: get("error_description"),
    };
    if cb.code.is_none() && cb.error.is_none() {
        return Err(format!(
            "the server redirected to {location} without code or error"
        ));
    }
    Ok(cb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_read_from_the_redirect() {
        let cb = callback_of("http://127.0.0.1:5/cb?code=c&state=s").expect("code");
        assert_eq!(cb.code.as_deref(), Some("c"));
        assert_eq!(cb.state.as_deref(), Some("s"));
        assert!(callback_of("http://127.0.0.1:5/cb?x=1").is_err());
    }
}
