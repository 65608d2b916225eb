//! Developer accounts' pages: sign up, sign in (throttled), sign out.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::accounts::{
    Accounts, LoginOutcome, NewDeveloper, SignupError, LOCKOUT_SECS, MAX_FAILURES,
    MIN_PASSWORD_CHARS,
};
use super::sessions::{developer_cookie, DEVELOPER_COOKIE};
use super::{audit, local_path, see_other, time_of, Ctx, Form, Nav};
use crate::auth::throttle::{Account, RetryAfter};
use crate::auth::OAuthCode;
use crate::web::beneficiary::with_retry_after;
use crate::web::cookies::removal;
use crate::web::pages::PageError;
use crate::web::AppState;

/// How long a client should wait when every password check is busy.
const BUSY_RETRY: RetryAfter = RetryAfter(1);

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/account/signup", web::get().to(get_signup))
        .route("/account/signup", web::post().to(post_signup))
        .route("/account/login", web::get().to(get_login))
        .route("/account/login", web::post().to(post_login))
        .route("/account/logout", web::post().to(post_logout));
}

#[derive(Template)]
#[template(path = "portal/signup.html")]
struct SignupPage<'a> {
    nav: Nav,
    csrf: &'a str,
    error: Option<String>,
    email: &'a str,
    name: &'a str,
    organization: &'a str,
    min_password: usize,
}

#[derive(Template)]
#[template(path = "portal/login.html")]
struct LoginPage<'a> {
    nav: Nav,
    csrf: &'a str,
    error: Option<String>,
    email: &'a str,
    next: &'a str,
    max_failures: u32,
    lockout_minutes: i64,
}

async fn get_signup(req: HttpRequest, ctx: Ctx) -> HttpResponse {
    let page = SignupPage {
        nav: ctx.nav("account"),
        csrf: &ctx.csrf.token,
        error: None,
        email: "",
        name: "",
        organization: "",
        min_password: MIN_PASSWORD_CHARS,
    };
    ctx.page(&req, StatusCode::OK, &page)
}

async fn post_signup(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Form::parse(&body)?;
    let new = NewDeveloper {
        email: form.get("email").to_string(),
        name: form.get("name").to_string(),
        organization: form.get("organization").to_string(),
        password: form.get("password").to_string(),
        password_again: form.get("password_again").to_string(),
    };
    let again = |status: StatusCode, error: String| {
        let page = SignupPage {
            nav: ctx.nav("account"),
            csrf: &ctx.csrf.token,
            error: Some(error),
            email: &new.email,
            name: &new.name,
            organization: &new.organization,
            min_password: MIN_PASSWORD_CHARS,
        };
        ctx.page(&req, status, &page)
    };
    if !form.csrf_ok(&state, &req, ctx.now) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "This form expired or could not be verified. Check it and submit it again.".into(),
        ));
    }
    let created = {
        let state = state.clone();
        let new = new.clone();
        let now = ctx.now;
        web::block(move || Accounts::new(&state.store).sign_up(&new, now))
            .await
            .map_err(PageError::internal)?
    };
    match created {
        Ok(developer) => {
            audit(
                &state,
                "developer-signup",
                "success",
                None,
                Some(developer.email.clone()),
                None,
            );
            let mut response = see_other("/apps?welcome=1");
            let _ = response.add_cookie(&developer_cookie(&state, &req, &developer, ctx.now));
            Ok(response)
        }
        Err(SignupError::Store(e)) => Err(PageError::internal(e)),
        Err(e @ SignupError::Busy(_)) => Ok(with_retry_after(
            again(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            BUSY_RETRY,
        )),
        Err(e @ SignupError::Taken) => Ok(again(StatusCode::CONFLICT, e.to_string())),
        Err(SignupError::Invalid(message)) => Ok(again(StatusCode::BAD_REQUEST, message)),
    }
}

#[derive(Deserialize)]
struct NextQuery {
    #[serde(default)]
    next: String,
}

async fn get_login(req: HttpRequest, ctx: Ctx, query: web::Query<NextQuery>) -> HttpResponse {
    let next = local_path(&query.next, "/apps");
    let page = LoginPage {
        nav: ctx.nav("account"),
        csrf: &ctx.csrf.token,
        error: None,
        email: "",
        next: &next,
        max_failures: MAX_FAILURES,
        lockout_minutes: LOCKOUT_SECS / 60,
    };
    ctx.page(&req, StatusCode::OK, &page)
}

async fn post_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Form::parse(&body)?;
    let email = form.get("email").trim().to_string();
    let next = local_path(form.get("next"), "/apps");
    let again = |status: StatusCode, error: String| {
        let page = LoginPage {
            nav: ctx.nav("account"),
            csrf: &ctx.csrf.token,
            error: Some(error),
            email: &email,
            next: &next,
            max_failures: MAX_FAILURES,
            lockout_minutes: LOCKOUT_SECS / 60,
        };
        ctx.page(&req, status, &page)
    };
    if !form.csrf_ok(&state, &req, ctx.now) {
        return Ok(again(
            StatusCode::FORBIDDEN,
            "This form expired or could not be verified. Sign in again.".into(),
        ));
    }
    // Budgets for the client address and the email, before any argon2 work is done.
    let address = req.peer_addr().map(|a| a.ip());
    let attempt = match state
        .auth
        .throttles
        .attempt(address, Account::Developer, &email, ctx.now)
    {
        Ok(attempt) => attempt,
        // Not audited: a flood of refused attempts must not become a flood of store writes.
        Err(wait) => {
            return Ok(with_retry_after(
                again(
                    StatusCode::TOO_MANY_REQUESTS,
                    crate::web::beneficiary::throttled_message(wait),
                ),
                wait,
            ));
        }
    };
    let outcome = {
        let state = state.clone();
        let email = email.clone();
        let password = form.get("password").to_string();
        let now = ctx.now;
        // The check and its audit record (store writes, argon2) stay off the async workers,
        // which a burst of sign-ins must not block.
        web::block(move || {
            let outcome = Accounts::new(&state.store).log_in(&email, &password, now)?;
            let (result, user) = match &outcome {
                LoginOutcome::Success(d) => ("success", d.email.clone()),
                LoginOutcome::Refused => (OAuthCode::AccessDenied.as_str(), email.to_lowercase()),
                LoginOutcome::Locked { .. } => ("locked", email.to_lowercase()),
                LoginOutcome::Busy => return Ok(outcome),
            };
            audit(&state, "developer-login", result, None, Some(user), None);
            Ok::<_, crate::store::StoreError>(outcome)
        })
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?
    };
    match outcome {
        LoginOutcome::Success(developer) => {
            attempt.succeeded();
            let mut response = see_other(&next);
            let _ = response.add_cookie(&developer_cookie(&state, &req, &developer, ctx.now));
            Ok(response)
        }
        LoginOutcome::Refused => Ok(again(
            StatusCode::UNAUTHORIZED,
            format!(
                "That email and password do not match an account. After {MAX_FAILURES} \
                     failed attempts in a row an account is locked for {} minutes.",
                LOCKOUT_SECS / 60
            ),
        )),
        LoginOutcome::Locked { until } => Ok(with_retry_after(
            again(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "This account is locked after {MAX_FAILURES} failed sign-ins in a row. \
                         Try again after {}.",
                    time_of(until)
                ),
            ),
            RetryAfter(until - ctx.now),
        )),
        LoginOutcome::Busy => {
            // Nothing was checked: the attempt is not a failure.
            attempt.succeeded();
            Ok(with_retry_after(
                again(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The sandbox is checking too many passwords right now. Try again in a \
                     moment."
                        .into(),
                ),
                BUSY_RETRY,
            ))
        }
    }
}

async fn post_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    Form::verified(&body, &state, &req, ctx.now)?;
    if let Some(developer) = &ctx.developer {
        let accounts = Accounts::new(&state.store);
        accounts
            .end_sessions(&developer.email)
            .map_err(PageError::internal)?;
    }
    let mut response = see_other("/");
    let _ = response.add_cookie(&removal(&req, DEVELOPER_COOKIE));
    Ok(response)
}
