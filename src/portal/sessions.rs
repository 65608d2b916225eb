//! The developer's session: a sealed (Ed25519-signed, expiring) HttpOnly cookie naming the
//! account and its session version, so signing out ends every copy of the cookie.
//! Beneficiaries use the authorization pages' own session (`web::beneficiary`). It stays
//! beside the accounts it names rather than in `web`, which must not depend on the portal.

use std::future::{ready, Ready};

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde_json::json;

use super::accounts::{Accounts, Developer};
use super::Ctx;
use crate::web::cookies::cookie;
use crate::web::forms::SeeOther;
use crate::web::AppState;

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

/// A page only a signed-in developer sees, as a handler argument: its context and the
/// developer. Anyone else is sent to the sign-in page, coming back here after.
pub(crate) struct SignedIn {
    pub ctx: Ctx,
    pub who: Developer,
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = match Ctx::from_request(req, payload).into_inner() {
            Ok(ctx) => match ctx.developer.clone() {
                Some(who) => Ok(SignedIn { ctx, who }),
                None => Err(SeeOther(sign_in_location(req)).into()),
            },
            Err(e) => Err(e.into()),
        };
        ready(signed_in)
    }
}

/// The sign-in page, with this request's path and query to return to.
fn sign_in_location(req: &HttpRequest) -> String {
    let back = match req.query_string() {
        "" => req.path().to_string(),
        q => format!("{}?{q}", req.path()),
    };
    let next: String = url::form_urlencoded::byte_serialize(back.as_bytes()).collect();
    format!("/account/login?next={next}")
}
