//! The beneficiary's connected apps (SMART's `management_endpoint`): which apps hold access
//! to their data, and a button to revoke each. Revoking ends the app's grants, so its access
//! and refresh tokens stop working on the next request.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{date_of, open_flash, seal_flash, see_other, Ctx, Form, Nav};
use crate::auth::db::Ending;
use crate::auth::records::{Grant, GrantModel};
use crate::auth::scopes::{describe, ScopeSet};
use crate::auth::sessions::{Session, SignIn};
use crate::auth::users::{self, Beneficiary};
use crate::web::beneficiary::{
    check_beneficiary, end_session, session_cookie, throttled_message, with_retry_after,
    SignedInBeneficiary,
};
use crate::web::pages::PageError;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/connected-apps", web::get().to(get_connected_apps))
        .route("/connected-apps/login", web::post().to(post_login))
        .route("/connected-apps/revoke", web::post().to(post_revoke))
        .route("/connected-apps/expire", web::post().to(post_expire))
        .route("/connected-apps/logout", web::post().to(post_logout));
}

struct ConnectedApp {
    client_id: String,
    name: String,
    since: String,
    until: String,
    /// The grant model, in words.
    model: &'static str,
    can: Vec<String>,
    /// Its newest FHIR requests for this beneficiary's data (from the audit trail).
    history: Vec<AccessLine>,
}

/// One line of an app's access history.
struct AccessLine {
    when: String,
    what: String,
    outcome: String,
}

/// Requests shown per app, and trail entries looked through for them.
const HISTORY_PER_APP: usize = 10;
const HISTORY_SCAN: usize = 20_000;

fn access_line(r: &crate::audit::AuditRecord) -> AccessLine {
    let ty = r.resource_type.as_deref().unwrap_or("?");
    let what = match r.interaction.as_deref() {
        Some(i) if i.starts_with("search") => {
            let n = r.touched.len();
            let query = r.query.as_deref().filter(|q| !q.is_empty());
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            format!(
                "searched {ty}{query} ({n} resource{})",
                if n == 1 { "" } else { "s" }
            )
        }
        _ => match r.touched.first() {
            Some(t) => format!("read {t}"),
            None => format!("read a {ty}"),
        },
    };
    let outcome = if r.outcome == "success" {
        String::new()
    } else {
        format!("refused ({})", r.outcome)
    };
    let when = time::OffsetDateTime::from_unix_timestamp(r.at)
        .map(crate::clock::fhir_instant)
        .unwrap_or_default();
    AccessLine {
        when,
        what,
        outcome,
    }
}

#[derive(Template)]
#[template(path = "portal/connected.html")]
struct ConnectedPage<'a> {
    nav: Nav,
    csrf: &'a str,
    /// None: the sign-in form.
    who: Option<Beneficiary>,
    person: String,
    apps: Vec<ConnectedApp>,
    revoked: Option<String>,
    expired: Option<String>,
    error: Option<&'a str>,
    username: &'a str,
}

#[derive(Deserialize)]
struct Flash {
    revoked: Option<String>,
    expired: Option<String>,
}

async fn get_connected_apps(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    signed_in: Option<SignedInBeneficiary>,
    flash: web::Query<Flash>,
) -> Result<HttpResponse, PageError> {
    let who = signed_in.map(|s| s.0.who);
    let revoked = open_flash(&state, flash.revoked.as_deref(), ctx.now);
    let expired = open_flash(&state, flash.expired.as_deref(), ctx.now);
    page(
        &state,
        &req,
        &ctx,
        who,
        (revoked, expired),
        None,
        "",
        StatusCode::OK,
    )
}

#[expect(
    clippy::too_many_arguments,
    reason = "each is a piece of the one connected-apps page; a struct would only rename them"
)]
fn page(
    state: &AppState,
    req: &HttpRequest,
    ctx: &Ctx,
    who: Option<Beneficiary>,
    (revoked, expired): (Option<String>, Option<String>),
    error: Option<&str>,
    username: &str,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let (person, apps) = match &who {
        Some(who) => (
            person_name(state, &who.patient)?,
            connected_apps(state, &who.patient, ctx.now)?,
        ),
        None => (String::new(), Vec::new()),
    };
    let page = ConnectedPage {
        nav: ctx.nav("connected"),
        csrf: &ctx.csrf.token,
        who,
        person,
        apps,
        revoked: revoked.filter(|r| !r.is_empty()),
        expired: expired.filter(|r| !r.is_empty()),
        error,
        username,
    };
    Ok(ctx.page(req, status, &page))
}

fn person_name(state: &AppState, patient: &str) -> Result<String, PageError> {
    let read = state.store.read().map_err(PageError::internal)?;
    Ok(read
        .get("Patient", patient)
        .map_err(PageError::internal)?
        .and_then(|j| serde_json::from_slice(&j).ok())
        .map(|p| users::display_name(&p))
        .unwrap_or_default())
}

/// One row per app, from the beneficiary's live grants (newest first).
fn connected_apps(
    state: &AppState,
    patient: &str,
    now: i64,
) -> Result<Vec<ConnectedApp>, PageError> {
    let grants: Vec<Grant> = state
        .auth
        .db
        .live_grants_of(patient, now)
        .map_err(PageError::internal)?;
    let mut history =
        crate::audit::access_history(&state.store, patient, HISTORY_PER_APP, HISTORY_SCAN)
            .map_err(PageError::internal)?;
    let mut apps: Vec<ConnectedApp> = Vec::new();
    for g in &grants {
        if let Some(app) = apps.iter_mut().find(|a| a.client_id == g.client_id) {
            // Older grant of the same app: it was connected since then.
            app.since = date_of(g.created_at);
            continue;
        }
        let name = state
            .auth
            .db
            .client(&g.client_id)
            .map_err(PageError::internal)?
            .map_or_else(|| format!("{} (deleted app)", g.client_id), |c| c.name);
        let mut can: Vec<String> = Vec::new();
        for s in ScopeSet::parse(&g.scopes).iter() {
            let line = describe(s);
            if !can.contains(&line) {
                can.push(line);
            }
        }
        apps.push(ConnectedApp {
            client_id: g.client_id.clone(),
            name,
            since: date_of(g.created_at),
            until: match g.model {
                GrantModel::OneTime => instant_of(g.expires_at),
                GrantModel::ThirteenMonth => date_of(g.expires_at),
            },
            model: g.model.describe(),
            can,
            history: history
                .remove(&g.client_id)
                .unwrap_or_default()
                .iter()
                .map(access_line)
                .collect(),
        });
    }
    Ok(apps)
}

async fn post_login(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Form::parse(&body)?;
    let username = form.get("username").trim().to_string();
    // The sign-in form again, with a message.
    let again = |message: &str, status: StatusCode| {
        page(
            &state,
            &req,
            &ctx,
            None,
            (None, None),
            Some(message),
            &username,
            status,
        )
    };
    if !form.csrf_ok(&state, &req, ctx.now) {
        return again(
            "This form expired or could not be verified. Sign in again.",
            StatusCode::FORBIDDEN,
        );
    }
    let outcome = check_beneficiary(
        &state,
        &req,
        &username,
        form.get("password"),
        None,
        "connected apps",
    )
    .await?;
    let who = match outcome {
        SignIn::Welcome(who) => who,
        SignIn::Refused => {
            return again(
                "That username and password do not match a beneficiary in this sandbox.",
                StatusCode::UNAUTHORIZED,
            )
        }
        SignIn::Throttled(wait) => {
            let refused = again(&throttled_message(wait), StatusCode::TOO_MANY_REQUESTS)?;
            return Ok(with_retry_after(refused, wait));
        }
    };
    let mut response = see_other("/connected-apps");
    let _ = response.add_cookie(&session_cookie(&state, &req, &who, ctx.now)?);
    Ok(response)
}

async fn post_revoke(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    // Optional so that the CSRF check comes first, as on every form.
    signed_in: Option<SignedInBeneficiary>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    end_access(state, req, ctx, signed_in, body, Ending::Revoke).await
}

/// Sandbox only: the app's access ends now as if its time were up (not revoked), so the app
/// can be tested against an expired authorization without waiting.
async fn post_expire(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    signed_in: Option<SignedInBeneficiary>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    end_access(state, req, ctx, signed_in, body, Ending::Expire).await
}

/// The form behind both buttons of an app: check CSRF, then end the signed-in beneficiary's
/// authorizations of the posted app `how` says, and come back with the app's name in a flash.
async fn end_access(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    signed_in: Option<SignedInBeneficiary>,
    body: web::Bytes,
    how: Ending,
) -> Result<HttpResponse, PageError> {
    let form = Form::verified(&body, &state, &req, ctx.now)?;
    let Some(SignedInBeneficiary(Session { who, .. })) = signed_in else {
        return Ok(see_other("/connected-apps"));
    };
    let client_id = form.get("client_id").to_string();
    let name = state
        .auth
        .db
        .client(&client_id)
        .map_err(PageError::internal)?
        .map_or_else(|| client_id.clone(), |c| c.name);
    let ended = {
        let state = state.clone();
        let patient = who.patient.clone();
        let client_id = client_id.clone();
        let now = ctx.now;
        web::block(move || state.auth.db.end_app_for(&client_id, &patient, now, how))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?
    };
    let flash = seal_flash(&state, &name, ctx.now);
    match how {
        Ending::Revoke => {
            tracing::info!(
                "{} revoked {client_id} ({ended} authorization(s))",
                who.username
            );
            Ok(see_other(&format!("/connected-apps?revoked={flash}")))
        }
        Ending::Expire => {
            tracing::info!(
                "{} ended {client_id}'s access now ({ended} authorization(s), sandbox expiry)",
                who.username
            );
            Ok(see_other(&format!("/connected-apps?expired={flash}")))
        }
    }
}

/// `2026-01-02 04:04 UTC`: a one-time authorization ends within the hour.
fn instant_of(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at).map_or_else(
        |_| String::new(),
        |t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()),
    )
}

async fn post_logout(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    Form::verified(&body, &state, &req, ctx.now)?;
    // Ended on the server: a copy of the cookie is worth nothing now.
    let removal = end_session(&state, &req)?;
    let mut response = see_other("/connected-apps");
    let _ = response.add_cookie(&removal);
    Ok(response)
}
