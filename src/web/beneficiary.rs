//! The beneficiary's session, shared by the authorization pages and the connected-apps page:
//! a record on the server (`auth::sessions`) that the `carin_session` cookie names, and the
//! throttled, audited password check that starts one.

use std::future::{ready, Ready};

use actix_web::cookie::Cookie;
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

use super::cookies::cookie;
use super::forms::SeeOther;
use super::pages::PageError;
use super::AppState;
use crate::auth::sessions::{Session, SignIn};
use crate::auth::throttle::RetryAfter;
use crate::auth::unix;
use crate::auth::users::Beneficiary;

pub const SESSION_COOKIE: &str = "carin_session";
/// Where a beneficiary signs in outside an app's authorization (SMART's management endpoint).
const SIGN_IN_PAGE: &str = "/connected-apps";

/// The signed-in beneficiary, as a handler argument: without a live session the browser goes
/// to the connected-apps page, where a beneficiary signs in. Pages that show a sign-in form to
/// everyone else (or check a form's CSRF token first) take `Option<SignedInBeneficiary>`.
pub struct SignedInBeneficiary(pub Session);

impl FromRequest for SignedInBeneficiary {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => session(state, req, unix(state.clock.now()))
                .map(SignedInBeneficiary)
                .ok_or_else(|| SeeOther(SIGN_IN_PAGE.into()).into()),
            None => Err(PageError::internal("the application state is not registered").into()),
        })
    }
}

/// The signed-in beneficiary of this browser: the live server-side session its cookie names.
pub fn session(state: &AppState, req: &HttpRequest, now: i64) -> Option<Session> {
    let cookie = req.cookie(SESSION_COOKIE)?;
    state.auth.session(cookie.value(), now).unwrap_or_else(|e| {
        tracing::error!("cannot read a beneficiary session: {e}");
        None
    })
}

/// Starts a session for a beneficiary who just gave their password; its cookie.
pub fn session_cookie(
    state: &AppState,
    req: &HttpRequest,
    who: &Beneficiary,
    now: i64,
) -> Result<Cookie<'static>, PageError> {
    let id = state
        .auth
        .start_session(who, now)
        .map_err(PageError::internal)?;
    Ok(cookie(
        req,
        SESSION_COOKIE,
        id,
        Some(state.auth.config.session_ttl),
    ))
}

/// Signs this browser's beneficiary out on the server (every copy of the cookie stops
/// working); returns the cookie that deletes it in the browser.
pub fn end_session(state: &AppState, req: &HttpRequest) -> Result<Cookie<'static>, PageError> {
    if let Some(c) = req.cookie(SESSION_COOKIE) {
        state
            .auth
            .end_session(c.value())
            .map_err(PageError::internal)?;
    }
    Ok(cookie(req, SESSION_COOKIE, String::new(), Some(0)))
}

/// Checks a beneficiary's login and password within the throttles' budgets (keyed by the
/// TCP peer's address: a forwarded-for header would let anyone choose their budget), and
/// audits the answer. `context` says which page asked.
///
/// A correct synthetic login whose member the background fill has not written yet is
/// materialized first (`fill::Filler::ensure_login`), so it signs in like any other.
pub async fn check_beneficiary(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    username: &str,
    password: &str,
    client_id: Option<String>,
    context: &str,
) -> Result<SignIn, PageError> {
    let fill = state.fill.status();
    if fill.done < fill.target {
        let (state, username, password) =
            (state.clone(), username.to_string(), password.to_string());
        web::block(move || {
            let now = state.clock.now();
            state
                .fill
                .ensure_login(&state.store, &state.index, &username, &password, now)
        })
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?;
    }
    let now = unix(state.clock.now());
    let address = req.peer_addr().map(|a| a.ip());
    let outcome = state
        .auth
        .sign_in(username, password, address, now)
        .map_err(PageError::internal)?;
    let (result, user, detail) = match &outcome {
        SignIn::Welcome(who) => ("success", who.username.clone(), None),
        SignIn::Refused => (
            "access_denied",
            username.trim().to_string(),
            Some("wrong username or password"),
        ),
        // Not audited: a flood of refused attempts must not become a flood of store writes.
        SignIn::Throttled(_) => return Ok(outcome),
    };
    let detail = match (context.is_empty(), detail) {
        (true, d) => d.map(str::to_string),
        (false, None) => Some(context.to_string()),
        (false, Some(d)) => Some(format!("{context}: {d}")),
    };
    // A sign-in names the beneficiary too, so it is among the events their own apps can see.
    let patient = match &outcome {
        SignIn::Welcome(who) => Some(who.patient.clone()),
        _ => None,
    };
    crate::audit::record(
        &state.store,
        crate::audit::AuditRecord {
            at: now,
            event: "login".into(),
            outcome: result.into(),
            client_id,
            user: Some(user),
            patient,
            detail,
            ..crate::audit::AuditRecord::default()
        },
    );
    Ok(outcome)
}

/// What a throttled sign-in page says.
pub fn throttled_message(wait: RetryAfter) -> String {
    format!(
        "Too many failed sign-ins from this address or for this login. Try again in {} seconds.",
        wait.0
    )
}

/// Adds `Retry-After` to a throttled answer.
pub fn with_retry_after(mut response: HttpResponse, wait: RetryAfter) -> HttpResponse {
    if let Ok(value) = header::HeaderValue::from_str(&wait.0.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
