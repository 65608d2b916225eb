//! The authorization-code flow with PKCE: build the authorize URL, get the redirect back
//! (browser + loopback listener, or the scripted form driver), check `state`, trade the code.

use std::time::Duration;

use super::discovery::{Endpoints, Flavor};
use super::error::{transport, ClientError};
use super::form_driver::{sign_in_and_consent, Decision};
use super::http::Http;
use super::loopback::{Callback, Loopback};
use super::oauth::{exchange_code, ClientCredentials};
use super::pkce::{random_token, Pkce};
use super::token_store::Session;
use crate::auth::OAuthCode;

/// The CARIN IG's patient-facing scopes plus refresh and identity.
pub const CARIN_SCOPES: &str = "launch/patient openid fhirUser offline_access \
    patient/Patient.read patient/Coverage.read patient/ExplanationOfBenefit.read \
    patient/Organization.read patient/Practitioner.read";

/// What Blue Button 2.0 grants (it has no fhirUser and no offline_access: refresh tokens come
/// with every 13-month app anyway).
pub const BLUEBUTTON_SCOPES: &str = "openid profile launch/patient patient/Patient.read \
    patient/Coverage.read patient/ExplanationOfBenefit.read";

/// The scopes asked for when the user names none.
pub fn default_scopes(flavor: Flavor) -> &'static str {
    match flavor {
        Flavor::Smart => CARIN_SCOPES,
        Flavor::BlueButton => BLUEBUTTON_SCOPES,
    }
}

/// One authorization request in flight: what must be checked and sent back later.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub url: String,
    pub redirect_uri: String,
    pub state: String,
    pub pkce: Pkce,
}

/// Builds the authorize URL: response_type, client_id, redirect_uri, scope, state, aud,
/// PKCE S256 and a nonce when `openid` is asked for.
pub fn authorize_request(
    endpoints: &Endpoints,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
) -> Result<AuthorizeRequest, ClientError> {
    let pkce = Pkce::new();
    let state = random_token(32);
    let mut url = url::Url::parse(&endpoints.authorization_endpoint).map_err(|e| {
        ClientError::BadUrl(format!(
            "authorization endpoint {}: {e}",
            endpoints.authorization_endpoint
        ))
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", scope)
            .append_pair("state", &state)
            .append_pair("aud", &endpoints.fhir_base)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256");
        if scope.split_ascii_whitespace().any(|s| s == "openid") {
            q.append_pair("nonce", &random_token(16));
        }
    }
    Ok(AuthorizeRequest {
        url: url.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state,
        pkce,
    })
}

/// Checks the redirect (state, error) and trades the code for tokens.
pub fn finish(
    http: &Http,
    endpoints: &Endpoints,
    client: &ClientCredentials,
    request: &AuthorizeRequest,
    callback: &Callback,
    now: i64,
) -> Result<Session, ClientError> {
    if callback.state.as_deref() != Some(request.state.as_str()) {
        return Err(ClientError::StateMismatch {
            got: callback.state.clone().unwrap_or_default(),
        });
    }
    if let Some(e) = callback.error_text() {
        return Err(
            if callback.error.as_deref() == Some(OAuthCode::AccessDenied.as_str()) {
                ClientError::Denied(e)
            } else {
                ClientError::AuthorizeRefused(e)
            },
        );
    }
    let code = callback
        .code
        .as_deref()
        .ok_or_else(|| ClientError::AuthorizeRefused("the redirect carried no code".into()))?;
    let tokens = exchange_code(
        http,
        &endpoints.token_endpoint,
        client,
        code,
        &request.redirect_uri,
        &request.pkce.verifier,
        now,
    )?;
    Ok(Session {
        endpoints: endpoints.clone(),
        client_id: client.client_id.clone(),
        client_secret: client.client_secret.clone(),
        tokens,
    })
}

/// How the user signs in.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// In a browser: opened when `open` and one is available; the URL is shown either way.
    Browser { open: bool },
    /// Through the sandbox's own forms, for scripts and CI.
    Script {
        username: String,
        password: String,
        decision: Decision,
    },
}

/// Everything a login needs.
#[derive(Debug, Clone)]
pub struct LoginOptions {
    pub endpoints: Endpoints,
    pub client: ClientCredentials,
    pub scope: String,
    /// A loopback http URI; port 0 picks a free port.
    pub redirect_uri: String,
    pub sign_in: SignIn,
    /// How long to wait for the browser.
    pub timeout: Duration,
}

/// Runs the whole flow. `show_url` is told the authorize URL (browser sign-in only).
pub fn login(
    http: &Http,
    options: &LoginOptions,
    now: &dyn Fn() -> i64,
    show_url: &mut dyn FnMut(&str, bool),
) -> Result<Session, ClientError> {
    let listener = Loopback::bind(&options.redirect_uri)?;
    let request = authorize_request(
        &options.endpoints,
        &options.client.client_id,
        listener.redirect_uri(),
        &options.scope,
    )?;
    let waiting = listener.spawn_wait(options.timeout);
    match &options.sign_in {
        SignIn::Browser { open } => {
            let opened = *open && open_browser(&request.url);
            show_url(&request.url, opened);
        }
        SignIn::Script {
            username,
            password,
            decision,
        } => {
            let location = sign_in_and_consent(&request.url, username, password, *decision)?;
            // Deliver the redirect to our own listener, as the browser would.
            if !location.starts_with(&request.redirect_uri) {
                return Err(ClientError::FormDriver(format!(
                    "the server redirected to {location}, not to {}",
                    request.redirect_uri
                )));
            }
            http.plain()
                .get(&location)
                .send()
                .map_err(|e| transport(&location, &e))?;
        }
    }
    let callback = waiting.recv()?;
    finish(
        http,
        &options.endpoints,
        &options.client,
        &request,
        &callback,
        now(),
    )
}

/// Opens `url` in the system browser when there seems to be one; false otherwise.
pub fn open_browser(url: &str) -> bool {
    use std::process::{Command, Stdio};
    let mut command = if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler").arg(url);
        c
    } else {
        let graphical = ["DISPLAY", "WAYLAND_DISPLAY"]
            .iter()
            .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
        if !graphical {
            return false;
        }
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::discovery::Preset;

    #[test]
    fn authorize_url_carries_pkce_state_aud_and_nonce() {
        let e = Preset::BluebuttonSandbox.endpoints();
        let r = authorize_request(
            &e,
            "app",
            "http://127.0.0.1:5555/callback",
            "openid profile",
        )
        .expect("request");
        let url = url::Url::parse(&r.url).expect("url");
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "app");
        assert_eq!(q["redirect_uri"], "http://127.0.0.1:5555/callback");
        assert_eq!(q["aud"], "https://sandbox.bluebutton.cms.gov/v2/fhir");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], r.pkce.challenge);
        assert_eq!(q["state"], r.state);
        assert!(r.state.len() >= 16);
        assert!(q.contains_key("nonce"));
        assert!(url.path().starts_with("/v2/o/authorize"));
    }

    #[test]
    fn finish_rejects_a_foreign_state_and_reports_denial() {
        let http = Http::new().expect("http");
        let e = Preset::BluebuttonSandbox.endpoints();
        let r = authorize_request(&e, "app", "http://127.0.0.1:1/cb", "openid").expect("req");
        let client = ClientCredentials {
            client_id: "app".into(),
            client_secret: None,
        };
        let forged = Callback {
            code: Some("c".into()),
            state: Some("other".into()),
            error: None,
            error_description: None,
        };
        assert!(matches!(
            finish(&http, &e, &client, &r, &forged, 0),
            Err(ClientError::StateMismatch { .. })
        ));
        let denied = Callback {
            code: None,
            state: Some(r.state.clone()),
            error: Some("access_denied".into()),
            error_description: Some("the beneficiary said no".into()),
        };
        let err = finish(&http, &e, &client, &r, &denied, 0).expect_err("denied");
        assert!(matches!(err, ClientError::Denied(_)));
        assert!(err.to_string().contains("the beneficiary said no"), "{err}");
    }
}
