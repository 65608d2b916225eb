//! The HTTP face. Only this module and `portal` use actix-web.

mod bundle;
mod error;
pub mod fhir;

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::app::AppState;

pub const FHIR_JSON: &str = "application/fhir+json; charset=utf-8";

/// Mounts every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(get_health));
    cfg.route("/ping", web::get().to(get_ping));
    fhir::configure(cfg);
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
