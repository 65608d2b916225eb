//! Discovery: SMART's `.well-known/smart-configuration`, OpenID Connect's
//! `openid-configuration`, the JWKS, and the CapabilityStatement's security element. All of
//! them are built from one [`crate::web::endpoints::Endpoints`] value, so they always list the same URLs.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::web::documents::Document;
use crate::web::endpoints::{origin, Endpoints};
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/smart-configuration",
        web::get().to(get_smart_configuration),
    );
    for path in [
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration-v2",
        "/v2/connect/.well-known/openid-configuration",
    ] {
        cfg.route(path, web::get().to(get_openid_configuration));
    }
    cfg.route("/.well-known/jwks.json", web::get().to(get_jwks));
}

/// The same documents under the FHIR base, inside the `/v2/fhir` scope.
pub fn configure_fhir(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/.well-known/smart-configuration",
        web::get().to(get_smart_configuration),
    )
    .route(
        "/.well-known/openid-configuration",
        web::get().to(get_openid_configuration),
    );
}

async fn get_smart_configuration(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    document(&state, &req, Document::SmartConfiguration, |e| {
        e.smart_configuration()
    })
}

async fn get_openid_configuration(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    document(&state, &req, Document::OpenidConfiguration, |e| {
        e.openid_configuration()
    })
}

/// A discovery document from the bytes made once for the request's origin.
fn document(
    state: &AppState,
    req: &HttpRequest,
    which: Document,
    make: impl FnOnce(&Endpoints) -> serde_json::Value,
) -> HttpResponse {
    let origin = origin(state, req);
    let bytes = state.documents.get(which, &origin, || {
        serde_json::to_vec(&make(&Endpoints::new(&origin))).unwrap_or_default()
    });
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(bytes)
}

async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.auth.keys.jwks())
}
