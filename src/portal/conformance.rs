//! An app's client conformance report (`conformance::report`): a table of every requirement
//! with pass / fail / not yet seen and the request that showed it, its JSON form
//! (`?format=json`), and "start over", which forgets what the app did so far. Only for the
//! app's owner; the seeded test apps' reports come from `carin-sandbox clients report`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use super::apps::own_app;
use super::sessions::SignedIn;
use super::{see_other, Form, Nav};
use crate::conformance::{self, Outcome, Report};
use crate::web::pages::PageError;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/apps/{client_id}/conformance", web::get().to(show_report))
        .route(
            "/apps/{client_id}/conformance/reset",
            web::post().to(reset_report),
        );
}

#[derive(Template)]
#[template(path = "portal/conformance.html")]
struct ReportPage<'a> {
    nav: Nav,
    csrf: &'a str,
    name: String,
    report: Report,
}

/// The CSS class of a result.
fn class(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "ok",
        Outcome::Fail => "bad",
        Outcome::NotSeen => "unseen",
    }
}

async fn show_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    let report = {
        let state = state.clone();
        let client_id = client.client_id.clone();
        web::block(move || conformance::report(&state.store, &client_id, state.clock.now()))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?
    };
    let json = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .is_ok_and(|q| q.iter().any(|(k, v)| k == "format" && v == "json"));
    if json {
        return Ok(HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(report));
    }
    let page = ReportPage {
        nav: ctx.nav("apps"),
        csrf: &ctx.csrf.token,
        name: client.name,
        report,
    };
    Ok(ctx.page(&req, StatusCode::OK, &page))
}

async fn reset_report(
    state: web::Data<AppState>,
    req: HttpRequest,
    SignedIn { ctx, who }: SignedIn,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let client = own_app(&state, &who, &path)?;
    Form::verified(&body, &state, &req, ctx.now)?;
    let client_id = client.client_id.clone();
    {
        let state = state.clone();
        let client_id = client_id.clone();
        web::block(move || conformance::facts::clear(&state.store, &client_id))
            .await
            .map_err(PageError::internal)?
            .map_err(PageError::internal)?;
    }
    Ok(see_other(&format!("/apps/{client_id}/conformance")))
}
