//! The authorization endpoint and the pages a beneficiary sees: sign-in (with a patient
//! picker that fills in the login) and consent. Every form carries a CSRF token bound to a
//! cookie; the validated request travels sealed in the form, so nothing is stored before
//! consent. The beneficiary's session lives on the server (`auth::sessions`); the cookie only
//! names it.
//!
//! Tiered OAuth (`idp=` with the `udap` scope): the browser goes to the identity provider
//! instead of the sign-in page and comes back to `/v2/o/authorize/idp`; `udap::tiered` decides.

use actix_web::cookie::Cookie;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::clients::Provenance;
use crate::auth::scopes::{describe, ScopeSet};
use crate::auth::sessions::{Session, SignIn};
use crate::auth::users::{self, Beneficiary, PickerEntry};
use crate::auth::{unix, AuthorizeError, GrantModel, OAuthCode, PendingRequest};
use crate::udap::tiered::{requested_idp, TieredError, TieredStart, CALLBACK_PATH};
use crate::udap::Udap;
use crate::web::audit::audit;
use crate::web::beneficiary::{
    check_beneficiary, session, session_cookie, throttled_message, with_retry_after,
};
use crate::web::csrf::Csrf;
use crate::web::endpoints::endpoints;
use crate::web::pages::{render, PageError};
use crate::web::AppState;

/// How many beneficiaries the sign-in page offers to pick from.
const PICKER_SIZE: usize = 25;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/o/authorize", web::get().to(get_authorize))
        .route("/v2/o/authorize", web::post().to(post_authorize))
        .route("/v2/o/authorize/login", web::post().to(post_login))
        .route("/v2/o/authorize/consent", web::post().to(post_consent))
        .route(CALLBACK_PATH, web::get().to(get_idp_callback));
}

#[derive(Template)]
#[template(path = "oauth/login.html")]
struct LoginPage<'a> {
    client_name: &'a str,
    request: &'a str,
    csrf: &'a str,
    error: Option<&'a str>,
    /// The login to fill in (the picker's choice, or what was typed before).
    username: &'a str,
    picker: Vec<PickerEntry>,
}

#[derive(Template)]
#[template(path = "oauth/consent.html")]
struct ConsentPage<'a> {
    client_name: &'a str,
    client_id: &'a str,
    /// Who registered the app, in words.
    registered_by: String,
    /// Registered on the portal by anyone: its name proves nothing.
    unverified: bool,
    /// Where the browser goes after the decision.
    redirect_host: String,
    username: &'a str,
    person: String,
    request: &'a str,
    csrf: &'a str,
    scopes: Vec<String>,
    has_demographics: bool,
    expires: String,
}

async fn get_authorize(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let params: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string())
        .map_err(|e| PageError::bad_request(format!("the query string is not well formed: {e}")))?;
    start(&state, &req, &params).await
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
    start(&state, &req, &params).await
}

async fn start(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    params: &[(String, String)],
) -> Result<HttpResponse, PageError> {
    let now = unix(state.clock.now());
    let base = endpoints(state, req).fhir_base;
    let validated = state.auth.validate_authorize(params, &base, now);
    super::conformance::observe_authorize(state, req, params, &base, validated.as_ref().err());
    let pending = match validated {
        Ok(p) => p,
        Err(refusal) => {
            let (outcome, detail) = match &refusal {
                AuthorizeError::Page(m) => ("invalid_request", m.clone()),
                AuthorizeError::Redirect(r) => (r.error.as_str(), r.description.clone()),
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
    // prompt=login and max_age ask for the password again, whatever the session.
    let session = session(state, req, now).filter(|s| pending.accepts_session(s.signed_in_at));
    if pending.prompt_none {
        // No page may be shown, and consent is always asked for: nothing can be granted.
        let (error, description) = match &session {
            None => (OAuthCode::LoginRequired, "the beneficiary is not signed in"),
            Some(_) => (
                OAuthCode::ConsentRequired,
                "the beneficiary must approve the app on the consent page",
            ),
        };
        audit(
            state,
            "authorize",
            error.as_str(),
            Some(pending.client_id.clone()),
            session.map(|s| s.who.username),
            Some(format!("prompt=none: {description}")),
        );
        return Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, pending.error_url(error, description)))
            .finish());
    }
    // Tiered OAuth: the app named an identity provider (with the `udap` scope).
    if let Some(idp) = requested_idp(params) {
        return tiered_redirect(state, req, pending, idp.to_string(), now).await;
    }
    let sealed = state.auth.seal_request(&pending, now);
    let csrf = Csrf::for_request(state, req, now);
    match session {
        Some(s) => consent_page(state, req, &pending, &sealed, &csrf, &s.who, None),
        None => login_page(
            state,
            req,
            &pending.client_name,
            &sealed,
            &csrf,
            "",
            None,
            StatusCode::OK,
        ),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "each is a piece of the one sign-in page; a struct would only rename them"
)]
fn login_page(
    state: &AppState,
    req: &HttpRequest,
    client_name: &str,
    sealed: &str,
    csrf: &Csrf,
    username: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let read = state.store.read().map_err(PageError::internal)?;
    // Only beneficiaries with a synthetic login can sign in, so only they are offered.
    let picker = users::picker(&read, PICKER_SIZE)
        .map_err(PageError::internal)?
        .into_iter()
        .filter(|p| users::login_number(&p.username).is_some())
        .collect();
    let page = LoginPage {
        client_name,
        request: sealed,
        csrf: &csrf.token,
        error,
        username,
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
    let ttl = state.auth.config.grant_ttl_of(pending.grant_model);
    let until = state.clock.now() + time::Duration::seconds(ttl);
    let expires = match pending.grant_model {
        GrantModel::OneTime => format!(
            "{} {:02}:{:02} UTC (one-time access: one hour, then the app must ask again)",
            until.date(),
            until.hour(),
            until.minute()
        ),
        GrantModel::ThirteenMonth => until.date().to_string(),
    };
    let client = state
        .auth
        .db
        .client(&pending.client_id)
        .map_err(PageError::internal)?
        .ok_or_else(|| {
            PageError::bad_request("This app is no longer registered. Start again from the app.")
        })?;
    let provenance = Provenance::of(&client);
    let page = ConsentPage {
        client_name: &pending.client_name,
        client_id: &pending.client_id,
        registered_by: provenance.describe(),
        unverified: provenance.is_unverified(),
        redirect_host: redirect_host(&pending.redirect_uri),
        username: &who.username,
        person,
        request: sealed,
        csrf: &csrf.token,
        scopes: lines,
        has_demographics: scopes.has_demographics(),
        expires,
    };
    let mut response = render(StatusCode::OK, &page);
    csrf.attach(req, &mut response);
    if let Some(c) = new_session {
        let _ = response.add_cookie(&c);
    }
    Ok(response)
}

/// Where a redirect URI sends the browser, for people: its host and port, or for a native
/// app's private-use scheme, the scheme.
fn redirect_host(uri: &str) -> String {
    match url::Url::parse(uri) {
        Ok(u) => match (u.host_str(), u.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_string(),
            (None, _) => format!("{}: (an app on this device)", u.scheme()),
        },
        Err(_) => uri.to_string(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    request: String,
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    /// The picker's choice: it fills in the login, and the password is still asked for.
    pick: Option<String>,
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
    let csrf = Csrf::for_request(&state, &req, now);
    let again = |username: &str, error: Option<&str>, status: StatusCode| {
        login_page(
            &state,
            &req,
            &pending.client_name,
            &form.request,
            &csrf,
            username,
            error,
            status,
        )
    };
    if let Some(pick) = form.pick.as_deref().filter(|p| !p.trim().is_empty()) {
        let pick: String = pick.trim().chars().take(64).collect();
        return again(&pick, None, StatusCode::OK);
    }
    let username = form.username.trim();
    let outcome = check_beneficiary(
        &state,
        &req,
        username,
        &form.password,
        Some(pending.client_id.clone()),
        "",
    )
    .await?;
    let who = match outcome {
        SignIn::Welcome(who) => who,
        SignIn::Refused => {
            return again(
                username,
                Some("That username and password do not match a beneficiary in this sandbox."),
                StatusCode::UNAUTHORIZED,
            )
        }
        SignIn::Throttled(wait) => {
            let message = throttled_message(wait);
            let page = again(username, Some(&message), StatusCode::TOO_MANY_REQUESTS)?;
            return Ok(with_retry_after(page, wait));
        }
    };
    let session = session_cookie(&state, &req, &who, now)?;
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
    let live = session(&state, &req, now).filter(|s| pending.sign_in_is_recent(s.signed_in_at));
    let Some(Session { who, .. }) = live else {
        let csrf = Csrf::for_request(&state, &req, now);
        return login_page(
            &state,
            &req,
            &pending.client_name,
            &form.request,
            &csrf,
            "",
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

/// Tiered OAuth, step one: check the IdP (and register there once), then send the browser to
/// it; an IdP that cannot be used is `invalid_idp` at the app's redirect URI.
async fn tiered_redirect(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    pending: PendingRequest,
    idp: String,
    now: i64,
) -> Result<HttpResponse, PageError> {
    let csrf = Csrf::for_request(state, req, now);
    let ep = endpoints(state, req);
    let callback = format!("{}{CALLBACK_PATH}", ep.origin);
    let (st, request, browser, fhir_base) = (
        state.clone(),
        pending.clone(),
        csrf.binding(),
        ep.fhir_base.clone(),
    );
    let idp_for_audit = idp.clone();
    let result = web::block(move || {
        st.udap.tiered_start(
            &st.auth,
            &TieredStart {
                idp: &idp,
                fhir_base: &fhir_base,
                callback: &callback,
                request: &request,
                browser: &browser,
            },
            now,
        )
    })
    .await
    .map_err(PageError::internal)?;
    match result {
        Ok(url) => {
            let mut response = HttpResponse::SeeOther()
                .insert_header((header::LOCATION, url))
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .finish();
            csrf.attach(req, &mut response);
            Ok(response)
        }
        Err(e) => Ok(tiered_refusal(
            state,
            &pending,
            None,
            &e,
            &format!("Tiered OAuth via {idp_for_audit}"),
        )?),
    }
}

/// The app's redirect URI with the refusal (audited); an error page for a server fault.
fn tiered_refusal(
    state: &AppState,
    pending: &PendingRequest,
    user: Option<String>,
    e: &TieredError,
    context: &str,
) -> Result<HttpResponse, PageError> {
    let code = match e {
        TieredError::InvalidIdp(_) => OAuthCode::InvalidIdp,
        TieredError::AccessDenied(_) => OAuthCode::AccessDenied,
        TieredError::BadState(m) => return Err(PageError::bad_request(m.clone())),
        TieredError::Server(m) => return Err(PageError::internal(m.clone())),
    };
    audit(
        state,
        "login",
        code.as_str(),
        Some(pending.client_id.clone()),
        user,
        Some(format!("{context}: {e}")),
    );
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, pending.error_url(code, &e.to_string())))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish())
}

/// What an identity provider sends the browser back with.
#[derive(Deserialize)]
struct IdpAnswer {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// Tiered OAuth, step two: the IdP's answer. The state must be ours, fresh and this browser's;
/// then the code is exchanged, the id_token checked and its user signed in here, and the
/// consent page follows as after a password sign-in.
async fn get_idp_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    answer: web::Query<IdpAnswer>,
) -> Result<HttpResponse, PageError> {
    let now = unix(state.clock.now());
    let answer = answer.into_inner();
    let browser = Csrf::binding_of(&req);
    let tiered = Udap::open_tiered_state(
        &state.auth,
        answer.state.as_deref(),
        browser.as_deref(),
        now,
    )
    .map_err(|e| PageError::bad_request(e.to_string()))?;
    let context = format!("Tiered OAuth via {}", tiered.idp);
    let pending = tiered.request.clone();
    if let Some(error) = answer.error.as_deref() {
        let why = format!(
            "the identity provider answered {error}: {}",
            answer
                .error_description
                .as_deref()
                .unwrap_or("no description")
        );
        let refusal = if OAuthCode::AccessDenied == error {
            TieredError::AccessDenied(why)
        } else {
            TieredError::InvalidIdp(why)
        };
        return tiered_refusal(&state, &pending, None, &refusal, &context);
    }
    let Some(code) = answer.code.filter(|c| !c.is_empty()) else {
        let refusal =
            TieredError::InvalidIdp("the identity provider sent neither code nor error".into());
        return tiered_refusal(&state, &pending, None, &refusal, &context);
    };
    let st = state.clone();
    let result = web::block(move || st.udap.tiered_finish(&st.auth, &tiered, &code, now))
        .await
        .map_err(PageError::internal)?;
    let (who, subject) = match result {
        Ok(found) => found,
        Err(e) => return tiered_refusal(&state, &pending, None, &e, &context),
    };
    audit(
        &state,
        "login",
        "success",
        Some(pending.client_id.clone()),
        Some(who.username.clone()),
        Some(format!("{context}: sub {subject}")),
    );
    let session = session_cookie(&state, &req, &who, now)?;
    let sealed = state.auth.seal_request(&pending, now);
    let csrf = Csrf::for_request(&state, &req, now);
    consent_page(&state, &req, &pending, &sealed, &csrf, &who, Some(session))
}
