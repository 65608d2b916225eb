//! The developer's session: a sealed (Ed25519-signed, expiring) HttpOnly cookie naming the
//! account and its session version, so signing out ends every copy of the cookie.
//! Beneficiaries use the authorization pages' own session (`carin_session`).

use actix_web::cookie::Cookie;
use actix_web::HttpRequest;
use serde_json::json;

use super::accounts::{Accounts, Developer};
use crate::app::AppState;
use crate::http::authorize::cookie;

pub const DEVELOPER_COOKIE: &str = "carin_dev";
/// A working day.
pub const DEVELOPER_SESSION_TTL: i64 = 8 * 3600;
const PURPOSE: &str = "developer-session";

/// The signed-in developer, if the cookie is valid and the account has not signed out since.
pub fn developer(state: &AppState, req: &HttpRequest, now: i64) -> Option<Developer> {
    let sealed = req.cookie(DEVELOPER_COOKIE)?;
    let v = state.auth.keys.sealer.open(PURPOSE, sealed.value(), now)?;
    let email = v["e"].as_str()?;
    let version = v["v"].as_u64()?;
    let found = match Accounts::new(&state.store).get(email) {
        Ok(found) => found?,
        Err(e) => {
            tracing::error!("cannot read a developer account: {e}");
            return None;
        }
    };
    (found.session_version == version).then_some(found)
}

pub fn developer_cookie(
    state: &AppState,
    req: &HttpRequest,
    who: &Developer,
    now: i64,
) -> Cookie<'static> {
    let sealed = state.auth.keys.sealer.seal(
        PURPOSE,
        &json!({"e": who.email, "v": who.session_version}),
        now + DEVELOPER_SESSION_TTL,
    );
    cookie(req, DEVELOPER_COOKIE, sealed, Some(DEVELOPER_SESSION_TTL))
}

/// A cookie that deletes `name` in the browser.
pub fn removal(req: &HttpRequest, name: &'static str) -> Cookie<'static> {
    cookie(req, name, String::new(), Some(0))
}
