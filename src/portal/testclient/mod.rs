//! The built-in test client (`/testclient`): a confidential SMART app of this very server,
//! using the seeded `test-client-id`. One click runs the authorization code flow with PKCE;
//! the token response is shown; then the beneficiary's Patient, Coverage and claims are
//! fetched over HTTP with the bearer token, like any app would, and shown the way a person
//! reads them (a claims table with filters, a claim's detail, a chart of costs over time),
//! with the raw JSON a click away.
//!
//! Its callback is `{origin}/testclient/callback`. The seeded app registers it for
//! `http://localhost` and `http://127.0.0.1` (any port, the loopback rule). When the sandbox
//! is reached as `[::1]`, over HTTPS on a loopback address, or as its `--public-url`, the test
//! client adds that callback to the seeded app on first use (all are trusted: the machine
//! itself, or what the operator configured); for any other host name it says so on the page
//! instead of registering a redirect URI that a request's Host header chose. Its back channel
//! (token endpoint, FHIR API) goes to the same origin, trusting the sandbox's own self-signed
//! certificate under `--tls-self-signed`.

mod backend;
mod chart;
mod claims;
mod detail;
mod people;
mod session;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::Value;

use super::{see_other, time_of, Ctx, Form, Nav};
use crate::auth::clients::{redirect_matches, TEST_CLIENT_ID};
use crate::auth::users;
use crate::web::cookies::removal;
use crate::web::endpoints::{endpoints, Endpoints};
use crate::web::pages::PageError;
use crate::web::AppState;
use backend::{Backend, Reply};
use session::{abbreviate, Flow, Tokens, FLOW_COOKIE, TOKENS_COOKIE};

/// What the test client asks for: everything a claims app needs, spelt out so the consent
/// page lists each kind of data.
pub const SCOPE: &str = "openid fhirUser profile launch/patient offline_access \
                         patient/Patient.rs patient/Coverage.rs patient/ExplanationOfBenefit.rs \
                         patient/Organization.rs patient/Practitioner.rs";
/// Claims per page of the table.
const PAGE_SIZE: u64 = 10;
/// The chart reads at most this many pages of 1000 claims.
const CHART_PAGES: usize = 5;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/testclient", web::get().to(get_home))
        .route("/testclient/start", web::post().to(post_start))
        .route("/testclient/callback", web::get().to(get_callback))
        .route("/testclient/refresh", web::post().to(post_refresh))
        .route("/testclient/disconnect", web::post().to(post_disconnect))
        .route("/testclient/patient", web::get().to(get_patient))
        .route("/testclient/coverage", web::get().to(get_coverage))
        .route("/testclient/claims", web::get().to(get_claims))
        .route("/testclient/claims/{id}", web::get().to(get_claim));
}

/// One HTTP exchange as the page shows it.
pub struct CallView {
    pub method: &'static str,
    pub url: String,
    pub status: u16,
    pub status_text: &'static str,
    pub ok: bool,
    pub millis: u128,
    /// Pretty JSON of the answer (None when it is too large to be useful inline).
    pub raw: Option<String>,
}

fn call_view(reply: &Reply, with_raw: bool) -> CallView {
    CallView {
        method: reply.method,
        url: reply.url.clone(),
        status: reply.status,
        status_text: StatusCode::from_u16(reply.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or(""),
        ok: reply.ok(),
        millis: reply.millis,
        raw: with_raw.then(|| pretty(&reply.body)),
    }
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// The beneficiary the tokens are for.
pub struct Who {
    pub patient: String,
    pub username: String,
}

fn who(tokens: &Tokens) -> Who {
    Who {
        patient: tokens.patient().to_string(),
        username: users::username_of_patient(tokens.patient()),
    }
}

pub struct TokenView {
    pub who: Who,
    pub scopes: Vec<String>,
    pub expires: String,
    pub expired: bool,
    pub has_refresh: bool,
    pub json: String,
}

fn token_view(tokens: &Tokens, now: i64) -> TokenView {
    TokenView {
        who: who(tokens),
        scopes: tokens
            .scope()
            .split_ascii_whitespace()
            .map(str::to_string)
            .collect(),
        expires: time_of(tokens.expires_at()),
        expired: tokens.expires_at() <= now,
        has_refresh: tokens.refresh_token().is_some(),
        json: pretty(&tokens.response),
    }
}

pub struct Rotation {
    pub old: String,
    pub new: String,
}

#[derive(Template)]
#[template(path = "testclient/home.html")]
struct HomePage<'a> {
    nav: Nav,
    csrf: &'a str,
    tab: &'static str,
    callback: String,
    /// Why the flow cannot run from this host name, if it cannot.
    callback_problem: Option<String>,
    scope: &'static str,
    client_id: &'static str,
    tokens: Option<TokenView>,
    notice: Option<String>,
    error: Option<String>,
    rotation: Option<Rotation>,
    calls: Vec<CallView>,
}

/// Everything the home page can say besides the tokens.
#[derive(Default)]
struct HomeExtras {
    notice: Option<String>,
    error: Option<String>,
    rotation: Option<Rotation>,
    calls: Vec<CallView>,
}

fn home_page(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    tokens: Option<&Tokens>,
    extras: HomeExtras,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let callback = callback_url(&endpoints(state, req));
    let callback_problem = match callback_status(state, &callback)? {
        CallbackStatus::Unregistrable => Some(format!(
            "This sandbox was reached as {}, and the test app's redirect URIs do not include \
             {callback}. Open the test client at http://localhost:PORT or \
             http://127.0.0.1:PORT, or start the server with --public-url naming this host.",
            endpoints(state, req).origin
        )),
        _ => None,
    };
    let page = HomePage {
        nav: ctx.nav("testclient"),
        csrf: &ctx.csrf.token,
        tab: "token",
        callback,
        callback_problem,
        scope: SCOPE,
        client_id: TEST_CLIENT_ID,
        tokens: tokens.map(|t| token_view(t, ctx.now)),
        notice: extras.notice,
        error: extras.error,
        rotation: extras.rotation,
        calls: extras.calls,
    };
    Ok(ctx.page(req, status, &page))
}

fn callback_url(urls: &Endpoints) -> String {
    format!("{}/testclient/callback", urls.origin)
}

/// True when `url` is on this machine (loopback, over HTTP or HTTPS) or under the configured
/// `--public-url`: the only places the test client registers callbacks for and sends its
/// back-channel calls to. The origin comes from the request's Host header, which the caller
/// controls; anything else would let a request make the server call an arbitrary host.
fn is_own_origin(state: &AppState, url: &str) -> bool {
    let loopback = url::Url::parse(url).is_ok_and(|u| {
        matches!(u.scheme(), "http" | "https")
            && matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
    });
    let configured = state.public_url.as_deref().is_some_and(|p| {
        let p = p.trim_end_matches('/');
        url == p || url.starts_with(&format!("{p}/"))
    });
    loopback || configured
}

enum CallbackStatus {
    Registered,
    /// Trusted (loopback or the configured public URL), not registered yet.
    CanRegister,
    Unregistrable,
}

fn callback_status(state: &AppState, callback: &str) -> Result<CallbackStatus, PageError> {
    let app = state
        .auth
        .db
        .client(TEST_CLIENT_ID)
        .map_err(PageError::internal)?
        .ok_or_else(|| PageError::internal("the seeded test app is missing"))?;
    if app
        .redirect_uris
        .iter()
        .any(|r| redirect_matches(r, callback))
    {
        return Ok(CallbackStatus::Registered);
    }
    Ok(if is_own_origin(state, callback) {
        CallbackStatus::CanRegister
    } else {
        CallbackStatus::Unregistrable
    })
}

#[derive(Deserialize)]
struct HomeQuery {
    connected: Option<String>,
}

async fn get_home(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Option<Tokens>,
    query: web::Query<HomeQuery>,
) -> Result<HttpResponse, PageError> {
    let extras = HomeExtras {
        notice: (query.connected.is_some() && tokens.is_some())
            .then(|| "Connected: the beneficiary allowed the test app, and the code was exchanged for tokens.".to_string()),
        ..HomeExtras::default()
    };
    home_page(&state, &req, &ctx, tokens.as_ref(), extras, StatusCode::OK)
}

async fn post_start(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    Form::verified(&body, &state, &req, ctx.now)?;
    let urls = endpoints(&state, &req);
    let callback = callback_url(&urls);
    match callback_status(&state, &callback)? {
        CallbackStatus::Registered => {}
        CallbackStatus::CanRegister => {
            let state = state.clone();
            let uri = callback.clone();
            web::block(move || -> Result<(), crate::auth::AuthError> {
                let db = &state.auth.db;
                if let Some(mut app) = db.client(TEST_CLIENT_ID)? {
                    app.redirect_uris.push(uri);
                    db.update_client(&app)?;
                }
                Ok(())
            })
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?;
            tracing::info!("test client: added {callback} to the test app's redirect URIs");
        }
        CallbackStatus::Unregistrable => {
            return home_page(
                &state,
                &req,
                &ctx,
                None,
                HomeExtras::default(),
                StatusCode::OK,
            )
        }
    }
    let flow = Flow::new(&callback);
    let location = crate::auth::authorize::with_query(
        &urls.authorize,
        &[
            ("response_type", "code".to_string()),
            ("client_id", TEST_CLIENT_ID.to_string()),
            ("redirect_uri", callback.clone()),
            ("scope", SCOPE.to_string()),
            ("state", flow.state.clone()),
            ("aud", urls.fhir_base.clone()),
            ("code_challenge", flow.challenge()),
            ("code_challenge_method", "S256".to_string()),
        ],
    );
    let mut response = see_other(&location);
    let _ = response.add_cookie(&flow.cookie(&state, &req, ctx.now));
    Ok(response)
}

#[derive(Deserialize)]
struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn get_callback(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Option<Tokens>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, PageError> {
    let query = query.into_inner();
    let fail = |error: String, calls: Vec<CallView>| {
        let extras = HomeExtras {
            error: Some(error),
            calls,
            ..HomeExtras::default()
        };
        home_page(&state, &req, &ctx, tokens.as_ref(), extras, StatusCode::OK)
    };
    let Some(flow) = Flow::of(&state, &req, ctx.now) else {
        return fail(
            "No authorization is in progress in this browser (it lasts 15 minutes, and needs \
             cookies). Start again."
                .into(),
            Vec::new(),
        );
    };
    if query.state.as_deref() != Some(flow.state.as_str()) {
        return fail(
            "The callback's state does not match the one the test client sent, so it was \
             ignored (a forged or stale redirect). Start again."
                .into(),
            Vec::new(),
        );
    }
    if let Some(error) = query.error {
        let mut response = fail(
            format!(
                "The authorization ended with {error}{}.",
                query
                    .error_description
                    .map(|d| format!(": {d}"))
                    .unwrap_or_default()
            ),
            Vec::new(),
        )?;
        let _ = response.add_cookie(&removal(&req, FLOW_COOKIE));
        return Ok(response);
    }
    let Some(code) = query.code else {
        return fail(
            "The callback carried neither a code nor an error.".into(),
            Vec::new(),
        );
    };
    let token_url = endpoints(&state, &req).token;
    let reply = back_channel(&state, &req, move |b| {
        b.token(
            &token_url,
            &[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", flow.redirect_uri.as_str()),
                ("code_verifier", flow.verifier.as_str()),
            ],
        )
    })
    .await?;
    let reply = match reply {
        Ok(r) => r,
        Err(message) => return fail(message, Vec::new()),
    };
    if !reply.ok() || !reply.body["access_token"].is_string() {
        return fail(
            "The token endpoint refused the code.".into(),
            vec![call_view(&reply, true)],
        );
    }
    let tokens = Tokens {
        response: reply.body,
        obtained_at: ctx.now,
    };
    let mut response = see_other("/testclient?connected=1");
    let _ = response.add_cookie(&tokens.cookie(&state, &req, ctx.now));
    let _ = response.add_cookie(&removal(&req, FLOW_COOKIE));
    Ok(response)
}

/// Runs back-channel HTTP calls on the blocking pool; the inner error is for the page.
async fn back_channel<T: Send + 'static>(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    f: impl FnOnce(&Backend) -> Result<T, String> + Send + 'static,
) -> Result<Result<T, String>, PageError> {
    let origin = endpoints(state, req).origin;
    if !is_own_origin(state, &origin) {
        return Ok(Err(format!(
            "The test client only calls this sandbox at a loopback address or its --public-url, \
             not {origin}."
        )));
    }
    let data_dir = state.data_dir.clone();
    web::block(move || {
        let backend = Backend::new(&origin, &data_dir)?;
        f(&backend)
    })
    .await
    .map_err(PageError::internal)
}

async fn post_refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    // Optional so that the CSRF check comes first, as on every form.
    tokens: Option<Tokens>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    Form::verified(&body, &state, &req, ctx.now)?;
    let Some(tokens) = tokens else {
        return Ok(see_other("/testclient"));
    };
    let Some(old) = tokens.refresh_token().map(str::to_string) else {
        let extras = HomeExtras {
            error: Some("These tokens came without a refresh token (no offline_access).".into()),
            ..HomeExtras::default()
        };
        return home_page(&state, &req, &ctx, Some(&tokens), extras, StatusCode::OK);
    };
    let token_url = endpoints(&state, &req).token;
    let refresh = old.clone();
    let reply = back_channel(&state, &req, move |b| {
        b.token(
            &token_url,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh.as_str()),
            ],
        )
    })
    .await?;
    let reply = match reply {
        Ok(r) => r,
        Err(message) => {
            let extras = HomeExtras {
                error: Some(message),
                ..HomeExtras::default()
            };
            return home_page(&state, &req, &ctx, Some(&tokens), extras, StatusCode::OK);
        }
    };
    if !reply.ok() || !reply.body["access_token"].is_string() {
        let extras = HomeExtras {
            error: Some(format!(
                "The token endpoint refused the refresh token ({}). After a beneficiary \
                 revokes the app, its refresh token dies with the access token.",
                reply.body["error"].as_str().unwrap_or("error")
            )),
            calls: vec![call_view(&reply, true)],
            ..HomeExtras::default()
        };
        return home_page(&state, &req, &ctx, Some(&tokens), extras, StatusCode::OK);
    }
    let fresh = Tokens {
        response: reply.body.clone(),
        obtained_at: ctx.now,
    };
    let rotation = fresh.refresh_token().map(|new| Rotation {
        old: abbreviate(&old),
        new: abbreviate(new),
    });
    let extras = HomeExtras {
        notice: Some("Refreshed: a new access token, and a new refresh token.".into()),
        rotation,
        calls: vec![call_view(&reply, false)],
        ..HomeExtras::default()
    };
    let mut response = home_page(&state, &req, &ctx, Some(&fresh), extras, StatusCode::OK)?;
    let _ = response.add_cookie(&fresh.cookie(&state, &req, ctx.now));
    Ok(response)
}

/// Revokes the test client's tokens at the server (RFC 7009) and forgets them.
async fn post_disconnect(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Option<Tokens>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    Form::verified(&body, &state, &req, ctx.now)?;
    if let Some(tokens) = tokens {
        let token = tokens
            .refresh_token()
            .unwrap_or(tokens.access_token())
            .to_string();
        let url = endpoints(&state, &req).revoke;
        // Best effort: the tokens are forgotten either way.
        if let Ok(Err(e)) = back_channel(&state, &req, move |b| {
            b.token(&url, &[("token", token.as_str())])
        })
        .await
        {
            tracing::warn!("test client: revocation failed: {e}");
        }
    }
    let mut response = see_other("/testclient");
    let _ = response.add_cookie(&removal(&req, TOKENS_COOKIE));
    Ok(response)
}

/// GETs FHIR URLs in order with the access token.
async fn fhir_calls(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    tokens: &Tokens,
    urls: Vec<String>,
) -> Result<Result<Vec<Reply>, String>, PageError> {
    let token = tokens.access_token().to_string();
    back_channel(state, req, move |b| {
        urls.iter().map(|u| b.get(&token, u)).collect()
    })
    .await
}

#[derive(Template)]
#[template(path = "testclient/refused.html")]
struct RefusedPage<'a> {
    nav: Nav,
    csrf: &'a str,
    tab: &'static str,
    who: Who,
    call: Option<CallView>,
    headline: String,
    explanation: String,
    www_authenticate: Option<String>,
    diagnostics: Vec<String>,
}

/// The page for a call that failed: what the server said and what it means.
fn refused(
    req: &HttpRequest,
    ctx: &Ctx,
    tab: &'static str,
    tokens: &Tokens,
    outcome: Result<&Reply, String>,
) -> HttpResponse {
    let (call, headline, explanation, www_authenticate, diagnostics) = match outcome {
        Err(message) => (
            None,
            "The test client could not reach the FHIR server".to_string(),
            message,
            None,
            Vec::new(),
        ),
        Ok(reply) => {
            let explanation = match reply.status {
                401 => {
                    "The FHIR server no longer accepts this access token. The beneficiary \
                        may have revoked the app on the connected apps page (its tokens die at \
                        once), or the token expired. Try refreshing it (after a revocation the \
                        refresh token fails too), or start the flow again."
                }
                403 => {
                    "The token is valid, but its scopes do not cover this request. If the \
                        beneficiary chose not to share demographics on the consent page, the \
                        Patient resource is refused: real apps must handle this 403."
                }
                404 => "There is no such resource for this beneficiary.",
                _ => "The FHIR server could not answer this request.",
            };
            let diagnostics = reply.body["issue"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["diagnostics"].as_str().or(i["details"]["text"].as_str()))
                .map(str::to_string)
                .collect();
            let view = call_view(reply, true);
            (
                Some(view),
                format!(
                    "The FHIR server answered {} {}",
                    reply.status,
                    StatusCode::from_u16(reply.status)
                        .ok()
                        .and_then(|s| s.canonical_reason())
                        .unwrap_or("")
                ),
                explanation.to_string(),
                reply.www_authenticate.clone(),
                diagnostics,
            )
        }
    };
    let page = RefusedPage {
        nav: ctx.nav("testclient"),
        csrf: &ctx.csrf.token,
        tab,
        who: who(tokens),
        call,
        headline,
        explanation,
        www_authenticate,
        diagnostics,
    };
    ctx.page(req, StatusCode::OK, &page)
}

fn fhir_url(base: &str, path: &str, params: &[(&str, String)]) -> String {
    if params.is_empty() {
        format!("{base}/{path}")
    } else {
        format!(
            "{base}/{path}?{}",
            serde_urlencoded::to_string(params).unwrap_or_default()
        )
    }
}

#[derive(Template)]
#[template(path = "testclient/patient.html")]
struct PatientPage {
    nav: Nav,
    tab: &'static str,
    who: Who,
    patient: people::PatientView,
    calls: Vec<CallView>,
}

async fn get_patient(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Tokens,
) -> Result<HttpResponse, PageError> {
    let base = endpoints(&state, &req).fhir_base;
    let url = fhir_url(&base, &format!("Patient/{}", tokens.patient()), &[]);
    let reply = match fetch_one(&state, &req, &ctx, &tokens, "patient", url).await? {
        Ok(reply) => reply,
        Err(refusal) => return Ok(refusal),
    };
    let reply = &reply;
    let page = PatientPage {
        nav: ctx.nav("testclient"),
        tab: "patient",
        who: who(&tokens),
        patient: people::patient(&reply.body),
        calls: vec![call_view(reply, true)],
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

/// One FHIR call for a data page: the successful reply, or the page that shows why not.
async fn fetch_one(
    state: &web::Data<AppState>,
    req: &HttpRequest,
    ctx: &Ctx,
    tokens: &Tokens,
    tab: &'static str,
    url: String,
) -> Result<Result<Reply, HttpResponse>, PageError> {
    let replies = match fhir_calls(state, req, tokens, vec![url]).await? {
        Ok(r) => r,
        Err(message) => return Ok(Err(refused(req, ctx, tab, tokens, Err(message)))),
    };
    match replies.into_iter().next() {
        Some(r) if r.ok() => Ok(Ok(r)),
        Some(r) => Ok(Err(refused(req, ctx, tab, tokens, Ok(&r)))),
        None => Ok(Err(refused(req, ctx, tab, tokens, Err("no answer".into())))),
    }
}

#[derive(Template)]
#[template(path = "testclient/coverage.html")]
struct CoveragePage {
    nav: Nav,
    tab: &'static str,
    who: Who,
    coverages: Vec<people::CoverageView>,
    calls: Vec<CallView>,
}

async fn get_coverage(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Tokens,
) -> Result<HttpResponse, PageError> {
    let base = endpoints(&state, &req).fhir_base;
    let url = fhir_url(
        &base,
        "Coverage",
        &[
            ("beneficiary", tokens.patient().to_string()),
            ("_include", "Coverage:payor".to_string()),
        ],
    );
    let reply = match fetch_one(&state, &req, &ctx, &tokens, "coverage", url).await? {
        Ok(reply) => reply,
        Err(refusal) => return Ok(refusal),
    };
    let reply = &reply;
    let page = CoveragePage {
        nav: ctx.nav("testclient"),
        tab: "coverage",
        who: who(&tokens),
        coverages: people::coverages(&reply.body),
        calls: vec![call_view(reply, true)],
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

#[derive(Deserialize)]
struct ClaimsQuery {
    #[serde(rename = "type", default)]
    claim_type: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    offset: u64,
    #[serde(default)]
    measure: String,
}

/// What the chart adds up.
const MEASURES: &[(&str, &str)] = &[
    ("billed", "Billed"),
    ("paid", "Plan paid"),
    ("owe", "You owe"),
];

/// A link of the pager.
pub struct PageLink {
    pub label: &'static str,
    pub rel: &'static str,
    pub href: String,
}

#[derive(Template)]
#[template(path = "testclient/claims.html")]
struct ClaimsPage {
    nav: Nav,
    tab: &'static str,
    who: Who,
    filters: claims::Filters,
    claim_types: &'static [(&'static str, &'static str)],
    measures: &'static [(&'static str, &'static str)],
    measure: String,
    measure_label: &'static str,
    errors: Vec<String>,
    rows: Vec<claims::ClaimRow>,
    showing: String,
    pager: Vec<PageLink>,
    chart: Option<chart::Chart>,
    chart_claims: usize,
    calls: Vec<CallView>,
}

async fn get_claims(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Tokens,
    query: web::Query<ClaimsQuery>,
) -> Result<HttpResponse, PageError> {
    let (filters, errors) = claims::Filters::checked(&query.claim_type, &query.from, &query.to);
    let (measure, measure_label) = MEASURES
        .iter()
        .find(|(m, _)| *m == query.measure)
        .copied()
        .unwrap_or(MEASURES[0]);
    let base = endpoints(&state, &req).fhir_base;
    let patient = tokens.patient().to_string();
    let mut page_params = vec![
        ("patient", patient.clone()),
        ("_sort", "-service-date".to_string()),
        ("_count", PAGE_SIZE.to_string()),
        ("_include", "ExplanationOfBenefit:provider".to_string()),
    ];
    page_params.extend(filters.search_params());
    if query.offset > 0 {
        page_params.push(("_offset", query.offset.to_string()));
    }
    let mut chart_params = vec![
        ("patient", patient),
        ("_sort", "service-date".to_string()),
        ("_count", "1000".to_string()),
    ];
    chart_params.extend(filters.search_params());
    let page_url = fhir_url(&base, "ExplanationOfBenefit", &page_params);
    let chart_url = fhir_url(&base, "ExplanationOfBenefit", &chart_params);
    let token = tokens.access_token().to_string();
    let replies = back_channel(&state, &req, move |b| {
        let first = b.get(&token, &page_url)?;
        let mut replies = vec![first];
        if !replies[0].ok() {
            return Ok(replies);
        }
        let mut next = Some(chart_url);
        while let Some(url) = next.take() {
            let reply = b.get(&token, &url)?;
            next = reply.body["link"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|l| l["relation"] == "next")
                .and_then(|l| l["url"].as_str())
                .map(str::to_string)
                .filter(|_| reply.ok() && replies.len() < CHART_PAGES);
            replies.push(reply);
        }
        Ok(replies)
    })
    .await?;
    let replies = match replies {
        Ok(r) => r,
        Err(message) => return Ok(refused(&req, &ctx, "claims", &tokens, Err(message))),
    };
    let Some(page_reply) = replies.first().filter(|r| r.ok()) else {
        return Ok(match replies.first() {
            Some(r) => refused(&req, &ctx, "claims", &tokens, Ok(r)),
            None => refused(&req, &ctx, "claims", &tokens, Err("no answer".into())),
        });
    };
    let rows = claims::rows(&page_reply.body);
    let paging = claims::paging(&page_reply.body);
    let showing = if rows.is_empty() {
        "No claims match these filters.".to_string()
    } else {
        format!(
            "Claims {}–{} of {}, newest first",
            query.offset + 1,
            query.offset + rows.len() as u64,
            paging.total
        )
    };
    let link = |offset: u64| {
        format!(
            "/testclient/claims?{}",
            filters.query(&[
                ("offset", offset.to_string()),
                ("measure", measure.to_string())
            ])
        )
    };
    let mut pager = Vec::new();
    for (label, rel, offset) in [
        ("First", "first", paging.first.filter(|_| query.offset > 0)),
        ("Previous", "prev", paging.previous),
        ("Next", "next", paging.next),
        ("Last", "last", paging.last.filter(|l| *l > query.offset)),
    ] {
        if let Some(offset) = offset {
            pager.push(PageLink {
                label,
                rel,
                href: link(offset),
            });
        }
    }
    let chart_replies = &replies[1..];
    let mut points = Vec::new();
    for reply in chart_replies.iter().filter(|r| r.ok()) {
        for eob in claims::eobs(&reply.body) {
            let amount = match measure {
                "paid" => claims::paid(eob),
                "owe" => claims::owe(eob),
                _ => claims::billed(eob),
            };
            points.push(chart::Point {
                date: claims::service_date(eob),
                claim_type: claims::type_code(eob).into(),
                amount: amount.unwrap_or(0.0),
            });
        }
    }
    let mut calls = vec![call_view(page_reply, true)];
    calls.extend(chart_replies.iter().map(|r| call_view(r, false)));
    let page = ClaimsPage {
        nav: ctx.nav("testclient"),
        tab: "claims",
        who: who(&tokens),
        filters,
        claim_types: claims::CLAIM_TYPES,
        measures: MEASURES,
        measure: measure.to_string(),
        measure_label,
        errors,
        rows,
        showing,
        pager,
        chart: chart::build(&points, measure_label),
        chart_claims: points.len(),
        calls,
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

#[derive(Template)]
#[template(path = "testclient/claim.html")]
struct ClaimPage {
    nav: Nav,
    tab: &'static str,
    who: Who,
    claim: detail::ClaimDetail,
    calls: Vec<CallView>,
}

use crate::fhir::id::is_valid_id as is_fhir_id;

async fn get_claim(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    tokens: Tokens,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let id = path.into_inner();
    if !is_fhir_id(&id) {
        return Err(super::not_found("That is not a claim id."));
    }
    let base = endpoints(&state, &req).fhir_base;
    let url = fhir_url(
        &base,
        "ExplanationOfBenefit",
        &[
            ("_id", id.clone()),
            ("_include", "ExplanationOfBenefit:*".to_string()),
        ],
    );
    let replies = match fhir_calls(&state, &req, &tokens, vec![url]).await? {
        Ok(r) => r,
        Err(message) => return Ok(refused(&req, &ctx, "claims", &tokens, Err(message))),
    };
    let Some(reply) = replies.first().filter(|r| r.ok()) else {
        return Ok(match replies.first() {
            Some(r) => refused(&req, &ctx, "claims", &tokens, Ok(r)),
            None => refused(&req, &ctx, "claims", &tokens, Err("no answer".into())),
        });
    };
    let Some(claim) = detail::detail(&reply.body, &id) else {
        return Err(super::not_found(
            "The FHIR server has no claim with this id for this beneficiary.",
        ));
    };
    let page = ClaimPage {
        nav: ctx.nav("testclient"),
        tab: "claims",
        who: who(&tokens),
        claim,
        calls: vec![call_view(reply, true)],
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}
