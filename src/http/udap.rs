//! UDAP's HTTP face: `GET {base}/.well-known/udap` (server metadata with `signed_metadata`)
//! and `POST /v2/o/register` (Dynamic Client Registration). Decisions live in `crate::udap`.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::json;

use crate::udap::metadata::UdapEndpoints;
use crate::web::endpoints::endpoints;
use crate::web::AppState;

/// Registration requests are small JSON documents (a software statement and its chain).
const BODY_LIMIT: usize = 256 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/v2/o/register", web::post().to(post_register));
}

/// `.well-known/udap` under the FHIR base, inside the `/v2/fhir` scope.
pub fn configure_fhir(cfg: &mut web::ServiceConfig) {
    cfg.route("/.well-known/udap", web::get().to(get_metadata));
}

fn server_error() -> HttpResponse {
    HttpResponse::InternalServerError()
        .json(json!({"error": "server_error", "error_description": "the server could not complete the request"}))
}

async fn get_metadata(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let ep = endpoints(&state, &req);
    let now = state.clock.now();
    // Minting the server certificate for a new base URL generates an RSA key: off the workers.
    let result = web::block(move || {
        state.udap.metadata(
            &UdapEndpoints {
                fhir_base: &ep.fhir_base,
                authorize: &ep.authorize,
                token: &ep.token,
                register: &ep.register,
            },
            now,
        )
    })
    .await;
    match result {
        Ok(Ok(doc)) => HttpResponse::Ok().json(doc),
        Ok(Err(e)) => {
            tracing::error!("UDAP metadata: {e}");
            server_error()
        }
        Err(e) => {
            tracing::error!("UDAP metadata task: {e}");
            server_error()
        }
    }
}

async fn post_register(
    state: web::Data<AppState>,
    req: HttpRequest,
    payload: web::Payload,
) -> HttpResponse {
    let Ok(Ok(body)) = payload.to_bytes_limited(BODY_LIMIT).await else {
        return HttpResponse::BadRequest().json(json!({
            "error": "invalid_client_metadata",
            "error_description": "the body could not be read or is larger than 256 KiB",
        }));
    };
    let register = endpoints(&state, &req).register;
    let result = web::block(move || {
        let now = state.clock.now().unix_timestamp();
        state.udap.register(&state.auth, &body, &register, now)
    })
    .await;
    let no_store = |mut b: actix_web::HttpResponseBuilder| {
        b.insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        b
    };
    match result {
        Ok(Ok((status, body))) => {
            let status = actix_web::http::StatusCode::from_u16(status)
                .unwrap_or(actix_web::http::StatusCode::OK);
            no_store(HttpResponse::build(status)).json(body)
        }
        Ok(Err(e)) if e.error == "server_error" => server_error(),
        Ok(Err(e)) => no_store(HttpResponse::BadRequest())
            .json(json!({"error": e.error, "error_description": e.description})),
        Err(e) => {
            tracing::error!("UDAP registration task: {e}");
            server_error()
        }
    }
}
