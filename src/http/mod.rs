//! The HTTP face: health, static files, the authorization pages and the API. Only this
//! module, `portal` and their shared plumbing `web` use actix-web.

mod assets;
pub(crate) mod authorize;
pub mod body_deadline;
pub mod bulk;
pub mod conformance;
pub mod discovery;
mod error;
mod extract;
pub mod fhir;
pub mod head;
pub mod limits;
pub mod oauth;
pub mod observe;
pub mod request_id;
mod routes;
pub mod slashes;
pub mod tls;
pub mod udap;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::web::AppState;

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// Mounts health, static files and the authorization pages. The API comes from
/// [`configure_api`], which must be mounted after every other route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(get_health));
    cfg.route("/ping", web::get().to(get_ping));
    cfg.route("/static/{path:.*}", web::get().to(assets::get_static));
    authorize::configure(cfg);
}

/// Mounts everything under the FHIR base (`/v2/fhir`: discovery, UDAP metadata, Bulk Data,
/// the FHIR API) in one scope, mounted first: its prefix is a plain string comparison, so a
/// FHIR request reaches its handler without trying the portal's and the authorization
/// server's patterns (each a regular expression) first. Inside it the fixed paths are
/// resources; the ones with parameters are matched by hand (`routes`); anything else under
/// the base is a 404, as it was.
pub fn configure_fhir(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v2/fhir")
            .wrap(actix_web::middleware::from_fn(conformance::observe_fhir))
            .wrap(cors())
            .configure(discovery::configure_fhir)
            .configure(udap::configure_fhir)
            .configure(bulk::configure)
            .configure(fhir::configure)
            .default_service(actix_web::dev::fn_service(routes::dispatch)),
    );
}

/// Mounts discovery, OAuth and UDAP registration in an empty scope that answers 404 for every
/// path it does not know, so it goes last.
pub fn configure_api(cfg: &mut web::ServiceConfig) {
    // Browser apps call discovery, token and FHIR endpoints from other origins; none of
    // them uses cookies, so any origin may (the pages a person uses get no CORS).
    cfg.service(
        web::scope("")
            .wrap(actix_web::middleware::from_fn(conformance::observe_fhir))
            .wrap(cors())
            .configure(discovery::configure)
            .configure(oauth::configure)
            .configure(udap::configure),
    );
}

fn cors() -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allow_any_origin()
        .send_wildcard()
        // DELETE cancels a bulk export.
        .allowed_methods(["GET", "POST", "DELETE", "OPTIONS"])
        .allow_any_header()
        .expose_headers([
            "Content-Location",
            "ETag",
            "Expires",
            "Last-Modified",
            "Location",
            "Retry-After",
            "WWW-Authenticate",
            "X-Progress",
            "X-Request-Id",
        ])
        .max_age(3600)
}

/// A trivial endpoint: the server's own ceiling in benchmarks, a liveness probe otherwise.
async fn get_ping() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn get_health(state: web::Data<AppState>) -> HttpResponse {
    let counts = web::block(move || -> Result<_, crate::store::StoreError> {
        let r = state.store.read()?;
        Ok(json!({
            "status": "ok",
            "patients": r.count("Patient")?,
            "explanationOfBenefits": r.count("ExplanationOfBenefit")?,
        }))
    })
    .await;
    match counts {
        Ok(Ok(body)) => HttpResponse::Ok().json(body),
        _ => HttpResponse::ServiceUnavailable().json(json!({"status": "unavailable"})),
    }
}
