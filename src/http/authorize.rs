//! The authorization endpoint and the pages a beneficiary sees: sign-in (with a patient
//! picker) and consent. Every form carries a CSRF token bound to a cookie; the validated
//! request travels sealed in the form, so nothing is stored before consent.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::json;
use subtle::ConstantTimeEq;

use super::discovery::endpoints;
use super::pages::{render, PageError};
use crate::app::AppState;
use crate::audit::AuditRecord;
use crate::auth::keys::random_token;
use crate::auth::scopes::{describe, ScopeSet};
use crate::auth::users::{self, Beneficiary, PickerEntry};
use crate::auth::{unix, AuthorizeError, PendingRequest};

const CSRF_COOKIE: &str = "carin_csrf";
pub const SESSION_COOKIE: &str = "carin_session";
/// How many beneficiaries the sign-in page offers to pick from.
const PICKER_SIZE: usize = 25;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/o/authorize", web::get().to(get_authorize))
        .route("/v2/o/authorize", web::post().to(post_authorize))
        .route("/v2/o/authorize/login", web::post().to(post_login))
        .route("/v2/o/authorize/consent", web::post().to(post_consent));
}

#[derive(Template)]
#[template(path = "oauth/login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    request: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
    picker: Vec<PickerEntry>,
}

#[derive(Template)]
#[template(path = "oauth/consent.html")]
struct ConsentPage<'a> {
    client_name: &'a str,
    username: &'a str,
    person: String,
    request: &'a str,
    csrf: &'a str,
    scopes: Vec<String>,
    has_demographics: bool,
    expires: String,
}

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

/// An HttpOnly, SameSite=Lax cookie, Secure when the request came over HTTPS.
pub fn cookie(
    req: &HttpRequest,
    name: &'static str,
    value: String,
    max_age: Option<i64>,
) -> Cookie<'static> {
    let mut c = Cookie::build(name, value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(req.connection_info().scheme() == "https")
        .finish();
    if let Some(secs) = max_age {
        c.set_max_age(actix_web::cookie::time::Duration::seconds(secs));
    }
    c
}

/// The signed-in beneficiary of this browser, if the session cookie is valid.
pub fn session(state: &AppState, req: &HttpRequest, now: i64) -> Option<Beneficiary> {
    let sealed = req.cookie(SESSION_COOKIE)?;
    let v = state
        .auth
        .keys
        .sealer
        .open("session", sealed.value(), now)?;
    Some(Beneficiary {
        username: v["u"].as_str()?.to_string(),
        patient: v["p"].as_str()?.to_string(),
    })
}

pub fn session_cookie(
    state: &AppState,
    req: &HttpRequest,
    who: &Beneficiary,
    now: i64,
) -> Cookie<'static> {
    let ttl = state.auth.config.session_ttl;
    let sealed = state.auth.keys.sealer.seal(
        "session",
        &json!({"u": who.username, "p": who.patient}),
        now + ttl,
    );
    cookie(req, SESSION_COOKIE, sealed, Some(ttl))
}

async fn get_authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| PageError::bad_request(format!("the query string is not well formed: {e}")))?;
    start(&state, &req, &params)
}

/// SMART's `authorize-post`: the same parameters as a form body.
async fn post_authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let mut params: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| PageError::bad_request(format!("the form body is not well formed: {e}")))?;
    if let Ok(query) = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string()) {
        params.extend(query);
    }
    start(&state, &req, &params)
}

fn start(
    state: &AppState,
    req: &HttpRequest,
    params: &[(String, String)],
) -> Result<HttpResponse, PageError> {
    let now = unix(state.clock.now());
    let base = endpoints(state, req).fhir_base;
    let pending = match state.auth.validate_authorize(params, &base) {
        Ok(p) => p,
        Err(refusal) => {
            let (outcome, detail) = match &refusal {
                AuthorizeError::Page(m) => ("invalid_request", m.clone()),
                AuthorizeError::Redirect(r) => (r.error, r.description.clone()),
            };
            let client_id = params
                .iter()
                .find(|(k, _)| k == "client_id")
                .map(|(_, v)| v.clone());
            audit(state, "authorize", outcome, client_id, None, Some(detail));
            return match refusal {
                AuthorizeError::Page(message) => Err(PageError::bad_request(message)),
                AuthorizeError::Redirect(r) => Ok(HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, r.url()))
                    .finish()),
            };
        }
    };
    let sealed = state.auth.seal_request(&pending, now);
    let csrf = Csrf::for_request(state, req, now);
    match session(state, req, now) {
        Some(who) => consent_page(state, req, &pending, &sealed, &csrf, &who, None),
        None => login_page(
            state,
            req,
            &pending.client_name,
            &sealed,
            &csrf,
            None,
            StatusCode::OK,
        ),
    }
}

fn login_page(
    state: &AppState,
    req: &HttpRequest,
    client_name: &str,
    sealed: &str,
    csrf: &Csrf,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let read = state.store.read().map_err(PageError::internal)?;
    let picker = users::picker(&read, PICKER_SIZE).map_err(PageError::internal)?;
    let page = LoginPage {
        client_name,
        request: sealed,
        csrf: &csrf.token,
        error,
        picker,
    };
    let mut response = render(status, &page);
    csrf.attach(req, &mut response);
    Ok(response)
}

fn consent_page(
    state: &AppState,
    req: &HttpRequest,
    pending: &PendingRequest,
    sealed: &str,
    csrf: &Csrf,
    who: &Beneficiary,
    new_session: Option<Cookie<'static>>,
) -> Result<HttpResponse, PageError> {
    let scopes = ScopeSet::parse(&pending.scopes);
    let mut lines: Vec<String> = Vec::new();
    for s in scopes.iter() {
        let line = describe(s);
        if !lines.contains(&line) {
            lines.push(line);
        }
    }
    let read = state.store.read().map_err(PageError::internal)?;
    let person = read
        .get("Patient", &who.patient)
        .map_err(PageError::internal)?
        .and_then(|j| serde_json::from_slice(&j).ok())
        .map(|p| users::display_name(&p))
        .unwrap_or_default();
    let expires = (state.clock.now() + time::Duration::seconds(state.auth.config.grant_ttl)).date();
    let page = ConsentPage {
        client_name: &pending.client_name,
        username: &who.username,
        person,
        request: sealed,
        csrf: &csrf.token,
        scopes: lines,
        has_demographics: scopes.has_demographics(),
        expires: expires.to_string(),
    };
    let mut response = render(StatusCode::OK, &page);
    csrf.attach(req, &mut response);
    if let Some(c) = new_session {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

#[derive(Deserialize)]
struct LoginForm {
    request: String,
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The picker's choice, instead of username and password.
    patient: Option<String>,
}

/// The sealed request and CSRF token every form posts, checked.
fn open_form(
    state: &AppState,
    req: &HttpRequest,
    sealed: &str,
    csrf_token: &str,
    now: i64,
) -> Result<PendingRequest, PageError> {
    if !Csrf::check(state, req, csrf_token, now) {
        return Err(PageError::forbidden(
            "This form could not be verified (its security token is missing, expired or from \
             another browser). Cookies must be enabled. Start again from the app.",
        ));
    }
    state.auth.open_request(sealed, now).ok_or_else(|| {
        PageError::bad_request("This sign-in has expired or was altered. Start again from the app.")
    })
}

async fn post_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, PageError> {
    let now = unix(state.clock.now());
    let form = form.into_inner();
    let pending = open_form(&state, &req, &form.request, &form.csrf, now)?;
    let read = state.store.read().map_err(PageError::internal)?;
    let who = match form.patient.as_deref().filter(|p| !p.is_empty()) {
        Some(patient) => read
            .exists("Patient", patient)
            .map_err(PageError::internal)?
            .then(|| Beneficiary {
                username: users::username_of_patient(patient),
                patient: patient.to_string(),
            }),
        None => users::authenticate(&read, &form.username, &form.password)
            .map_err(PageError::internal)?,
    };
    drop(read);
    let csrf = Csrf::for_request(&state, &req, now);
    let Some(who) = who else {
        audit(
            &state,
            "login",
            "access_denied",
            Some(pending.client_id.clone()),
            Some(form.username.trim().to_string()),
            Some("wrong username or password".into()),
        );
        return login_page(
            &state,
            &req,
            &pending.client_name,
            &form.request,
            &csrf,
            Some("That username and password do not match a beneficiary in this sandbox."),
            StatusCode::UNAUTHORIZED,
        );
    };
    audit(
        &state,
        "login",
        "success",
        Some(pending.client_id.clone()),
        Some(who.username.clone()),
        None,
    );
    let session = session_cookie(&state, &req, &who, now);
    consent_page(
        &state,
        &req,
        &pending,
        &form.request,
        &csrf,
        &who,
        Some(session),
    )
}

#[derive(Deserialize)]
struct ConsentForm {
    request: String,
    csrf: String,
    decision: String,
    share_demographics: Option<String>,
}

async fn post_consent(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<ConsentForm>,
) -> Result<HttpResponse, PageError> {
    let now = unix(state.clock.now());
    let form = form.into_inner();
    let pending = open_form(&state, &req, &form.request, &form.csrf, now)?;
    let Some(who) = session(&state, &req, now) else {
        let csrf = Csrf::for_request(&state, &req, now);
        return login_page(
            &state,
            &req,
            &pending.client_name,
            &form.request,
            &csrf,
            Some("Your sign-in has expired. Sign in again to continue."),
            StatusCode::UNAUTHORIZED,
        );
    };
    let location = if form.decision == "allow" {
        let share = form.share_demographics.as_deref() == Some("true");
        let state = state.clone();
        web::block(move || state.auth.approve(&pending, &who, share, now))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?
    } else {
        state.auth.deny(&pending, Some(&who), now)
    };
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// Records a page's decision (sign-in, refusal) at the current time.
pub(crate) fn audit(
    state: &AppState,
    event: &str,
    outcome: &str,
    client_id: Option<String>,
    user: Option<String>,
    detail: Option<String>,
) {
    let record = AuditRecord {
        at: unix(state.clock.now()),
        event: event.into(),
        outcome: outcome.into(),
        client_id,
        user,
        detail,
        ..AuditRecord::default()
    };
    crate::audit::record(&state.store, &record);
}
