//! Discovery: SMART's `.well-known/smart-configuration`, OpenID Connect's
//! `openid-configuration`, the JWKS, and the CapabilityStatement's security element. All of
//! them are built from one [`crate::web::endpoints::Endpoints`] value, so they always list the same URLs.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::web::endpoints::endpoints;
use crate::web::AppState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    for path in [
        "/v2/fhir/.well-known/smart-configuration",
        "/.well-known/smart-configuration",
    ] {
        cfg.route(path, web::get().to(get_smart_configuration));
    }
    for path in [
        "/v2/fhir/.well-known/openid-configuration",
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration-v2",
        "/v2/connect/.well-known/openid-configuration",
    ] {
        cfg.route(path, web::get().to(get_openid_configuration));
    }
    cfg.route("/.well-known/jwks.json", web::get().to(get_jwks));
}

async fn get_smart_configuration(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(endpoints(&state, &req).smart_configuration())
}

async fn get_openid_configuration(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    HttpResponse::Ok().json(endpoints(&state, &req).openid_configuration())
}

async fn get_jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(state.auth.keys.jwks())
}
