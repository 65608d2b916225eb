//! "Claims that keep arriving" for a signed-in beneficiary: whether the sandbox adjudicates
//! new claims and adjusts earlier ones for them over time (`serve --claims-arrive`, see
//! `arrivals`), a switch to turn it on or off for themselves, their latest arrivals and the
//! incremental-sync query an app would send.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::{audit, see_other, Ctx, Form, Nav};
use crate::arrivals::{Arrivals, ArrivedClaim, MemberMode};
use crate::auth::sessions::Session;
use crate::web::beneficiary::SignedInBeneficiary;
use crate::web::pages::PageError;
use crate::web::AppState;

pub const PAGE: &str = "/claims-arrive";

/// Ticks whose claims the page lists.
const RECENT_TICKS: u64 = 5;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(PAGE, web::get().to(get_page))
        .route(PAGE, web::post().to(post_switch));
}

#[derive(Template)]
#[template(path = "portal/arrivals.html")]
struct ArrivalsPage<'a> {
    nav: Nav,
    csrf: &'a str,
    username: &'a str,
    patient: &'a str,
    /// `60 s`; empty when the mode is off on this server.
    interval: String,
    /// `chosen`, `switched` or `off`.
    mode: &'static str,
    since: String,
    claims: Vec<ArrivedClaim>,
    /// The tick before the newest one: the `_lastUpdated=gt` an app that synced then sends.
    sync_from: String,
}

async fn get_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    signed_in: SignedInBeneficiary,
) -> Result<HttpResponse, PageError> {
    let who = signed_in.0.who;
    let (mode, claims) = {
        let state = state.clone();
        let patient = who.patient.clone();
        web::block(move || {
            let mode = state.arrivals.mode_of(&state.store, &patient)?;
            let claims = crate::arrivals::recent(&state.store, &patient, RECENT_TICKS)?;
            Ok::<_, crate::store::StoreError>((mode, claims))
        })
        .await
        .map_err(PageError::internal)?
        .map_err(PageError::internal)?
    };
    let (mode, since) = match mode {
        MemberMode::Chosen => ("chosen", String::new()),
        MemberMode::Switched(s) => ("switched", s.since),
        MemberMode::Off => ("off", String::new()),
    };
    // The tick before the newest: an app that synced then sees the newest tick's changes.
    let sync_from = claims
        .iter()
        .map(|c| c.last_updated.as_str())
        .filter(|t| claims.first().is_some_and(|c| *t < c.last_updated.as_str()))
        .max()
        .unwrap_or("")
        .to_string();
    let page = ArrivalsPage {
        nav: ctx.nav("connected"),
        csrf: &ctx.csrf.token,
        username: &who.username,
        patient: &who.patient,
        interval: state
            .arrivals
            .interval()
            .map(|d| format!("{} s", d.as_secs()))
            .unwrap_or_default(),
        mode,
        since,
        claims,
        sync_from,
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

/// The switch: `on=1` keeps the signed-in beneficiary's claims arriving, `on=0` stops them
/// (a member `--arrive-for` chose stays in the mode).
async fn post_switch(
    state: web::Data<AppState>,
    req: HttpRequest,
    ctx: Ctx,
    // Optional so that the CSRF check comes first, as on every form.
    signed_in: Option<SignedInBeneficiary>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let form = Form::verified(&body, &state, &req, ctx.now)?;
    let Some(SignedInBeneficiary(Session { who, .. })) = signed_in else {
        return Ok(see_other(PAGE));
    };
    if state.arrivals.interval().is_none() {
        return Ok(see_other(PAGE));
    }
    let on = form.get("on") == "1";
    {
        let state = state.clone();
        let patient = who.patient.clone();
        let now = state.clock.now();
        web::block(move || Arrivals::switch(&state.store, &patient, on, now))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?;
    }
    let event = if on {
        "claims-arrive-on"
    } else {
        "claims-arrive-off"
    };
    tracing::info!("{}: {event}", who.username);
    audit(
        &state,
        event,
        "success",
        None,
        Some(who.username.clone()),
        Some(format!("Patient/{}", who.patient)),
    );
    Ok(see_other(PAGE))
}
