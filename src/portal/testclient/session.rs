//! The test client's state, kept in sealed (signed, expiring) HttpOnly cookies and never
//! handed to JavaScript: the authorization in progress (state and PKCE verifier), then the
//! token response.

use std::future::{ready, Ready};

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde_json::{json, Value};

use crate::auth::keys::random_token;
use crate::auth::pkce::s256_challenge;
use crate::auth::unix;
use crate::web::cookies::cookie;
use crate::web::forms::SeeOther;
use crate::web::pages::PageError;
use crate::web::AppState;

pub const FLOW_COOKIE: &str = "carin_tc_flow";
pub const TOKENS_COOKIE: &str = "carin_tc";
/// An authorization in progress (sign-in and consent) may take this long.
const FLOW_TTL: i64 = 900;
/// How long the test client remembers its tokens.
const TOKENS_TTL: i64 = 24 * 3600;
/// Browsers keep cookies up to 4096 bytes.
const COOKIE_BUDGET: usize = 3900;

/// An authorization request the test client sent and waits to hear back about.
pub struct Flow {
    pub state: String,
    pub verifier: String,
    pub redirect_uri: String,
}

impl Flow {
    pub fn new(redirect_uri: &str) -> Flow {
        Flow {
            state: random_token(),
            verifier: format!("{}{}", random_token(), random_token()),
            redirect_uri: redirect_uri.to_string(),
        }
    }

    /// The PKCE S256 challenge for the verifier.
    pub fn challenge(&self) -> String {
        s256_challenge(&self.verifier)
    }

    pub fn cookie(&self, state: &AppState, req: &HttpRequest, now: i64) -> Cookie<'static> {
        let sealed = state.auth.keys.sealer.seal(
            "testclient-flow",
            &json!({"s": self.state, "v": self.verifier, "r": self.redirect_uri}),
            now + FLOW_TTL,
        );
        cookie(req, FLOW_COOKIE, sealed, Some(FLOW_TTL))
    }

    pub fn of(state: &AppState, req: &HttpRequest, now: i64) -> Option<Flow> {
        let sealed = req.cookie(FLOW_COOKIE)?;
        let v = state
            .auth
            .keys
            .sealer
            .open("testclient-flow", sealed.value(), now)?;
        Some(Flow {
            state: v["s"].as_str()?.to_string(),
            verifier: v["v"].as_str()?.to_string(),
            redirect_uri: v["r"].as_str()?.to_string(),
        })
    }
}

/// The token endpoint's answer and when it came.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub response: Value,
    pub obtained_at: i64,
}

impl Tokens {
    pub fn access_token(&self) -> &str {
        self.response["access_token"].as_str().unwrap_or("")
    }

    pub fn refresh_token(&self) -> Option<&str> {
        self.response["refresh_token"].as_str()
    }

    pub fn patient(&self) -> &str {
        self.response["patient"].as_str().unwrap_or("")
    }

    pub fn scope(&self) -> &str {
        self.response["scope"].as_str().unwrap_or("")
    }

    pub fn expires_at(&self) -> i64 {
        self.obtained_at + self.response["expires_in"].as_i64().unwrap_or(0)
    }

    pub fn cookie(&self, state: &AppState, req: &HttpRequest, now: i64) -> Cookie<'static> {
        let seal = |response: &Value| {
            state.auth.keys.sealer.seal(
                "testclient-tokens",
                &json!({"r": response, "t": self.obtained_at}),
                now + TOKENS_TTL,
            )
        };
        let mut sealed = seal(&self.response);
        if sealed.len() > COOKIE_BUDGET {
            // The id_token is the large part; the page has shown it once already.
            let mut slim = self.response.clone();
            if let Some(o) = slim.as_object_mut() {
                o.insert(
                    "id_token".into(),
                    json!("(received; not kept by the test client)"),
                );
            }
            sealed = seal(&slim);
        }
        cookie(req, TOKENS_COOKIE, sealed, Some(TOKENS_TTL))
    }

    fn of(state: &AppState, req: &HttpRequest, now: i64) -> Option<Tokens> {
        let sealed = req.cookie(TOKENS_COOKIE)?;
        let mut v = state
            .auth
            .keys
            .sealer
            .open("testclient-tokens", sealed.value(), now)?;
        let obtained_at = v["t"].as_i64()?;
        let response = v["r"].take();
        response["access_token"].is_string().then_some(Tokens {
            response,
            obtained_at,
        })
    }
}

/// The test client's tokens, as a handler argument: without them the data pages send the
/// browser to the test client's start. Pages that work either way take `Option<Tokens>`.
impl FromRequest for Tokens {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => Tokens::of(state, req, unix(state.clock.now()))
                .ok_or_else(|| SeeOther("/testclient".into()).into()),
            None => Err(PageError::internal("the application state is not registered").into()),
        })
    }
}

/// A token shortened for display: enough to tell two apart.
pub fn abbreviate(token: &str) -> String {
    let chars: Vec<char> = token.chars().collect();
    if chars.len() <= 14 {
        return token.to_string();
    }
    let head: String = chars[..8].iter().collect();
    let tail: String = chars[chars.len() - 6..].iter().collect();
    format!("{head}…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_s256_of_the_verifier() {
        // RFC 7636, appendix B.
        let flow = Flow {
            state: String::new(),
            verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into(),
            redirect_uri: String::new(),
        };
        assert_eq!(
            flow.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let fresh = Flow::new("http://127.0.0.1/testclient/callback");
        assert_eq!(
            fresh.verifier.len(),
            86,
            "within PKCE's 43 to 128 characters"
        );
        assert_ne!(fresh.state, Flow::new("x").state);
    }

    #[test]
    fn tokens_are_abbreviated_for_display() {
        assert_eq!(
            abbreviate("h2emzpNqAAAAAAAAAAAAAAAAAAAAAAAAujLELw"),
            "h2emzpNq…ujLELw"
        );
        assert_eq!(abbreviate("short"), "short");
    }
}
