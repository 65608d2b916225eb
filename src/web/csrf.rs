//! CSRF tokens for every form: a random cookie, and a form token sealed for it (with an
//! expiry) by the server's key, compared in constant time.

use actix_web::{HttpRequest, HttpResponse};
use serde_json::json;
use subtle::ConstantTimeEq;

use super::cookies::cookie;
use super::AppState;
use crate::auth::db::secret_key;
use crate::auth::keys::random_token;

const CSRF_COOKIE: &str = "carin_csrf";

/// The CSRF cookie's value (made now when the browser has none) and the form token for it.
pub struct Csrf {
    cookie: String,
    is_new: bool,
    pub token: String,
}

impl Csrf {
    pub fn for_request(state: &AppState, req: &HttpRequest, now: i64) -> Csrf {
        let (cookie, is_new) = match req.cookie(CSRF_COOKIE) {
            Some(c) if c.value().len() == 43 => (c.value().to_string(), false),
            _ => (random_token(), true),
        };
        let token = state.auth.keys.sealer.seal(
            "csrf",
            &json!(cookie),
            now + state.auth.config.request_ttl,
        );
        Csrf {
            cookie,
            is_new,
            token,
        }
    }

    /// A hash of this browser's CSRF cookie: binds a value that leaves the server (the Tiered
    /// OAuth state sent to an identity provider) to the browser that started it.
    pub fn binding(&self) -> String {
        secret_key(&self.cookie)
    }

    /// [`Csrf::binding`] of the cookie a request carries.
    pub fn binding_of(req: &HttpRequest) -> Option<String> {
        req.cookie(CSRF_COOKIE).map(|c| secret_key(c.value()))
    }

    /// Sets the cookie on a response when the browser did not have one yet.
    pub fn attach(&self, req: &HttpRequest, response: &mut HttpResponse) {
        if self.is_new {
            let _ = response.add_cookie(&cookie(req, CSRF_COOKIE, self.cookie.clone(), None));
        }
    }

    /// True when the form's token was made for the browser's cookie (and is still fresh).
    pub fn check(state: &AppState, req: &HttpRequest, token: &str, now: i64) -> bool {
        let Some(cookie) = req.cookie(CSRF_COOKIE) else {
            return false;
        };
        state
            .auth
            .keys
            .sealer
            .open("csrf", token, now)
            .and_then(|v| v.as_str().map(str::to_string))
            .is_some_and(|expected| {
                bool::from(expected.as_bytes().ct_eq(cookie.value().as_bytes()))
            })
    }
}
