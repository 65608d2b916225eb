//! One log line per request and a request id on every response.
//!
//! The line names the route pattern (`/v2/fhir/{type}/{id}`), never the path or the query
//! string: paths carry resource ids and query strings carry codes, states and search values,
//! and nothing a client sent is logged. Target `carin_sandbox::access`, level INFO.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Instrument;

use super::request_id::{self, RequestIds};

pub const LOG_TARGET: &str = "carin_sandbox::access";

pub async fn observe<B: MessageBody>(
    ids: Arc<RequestIds>,
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let started = Instant::now();
    let incoming = req
        .headers()
        .get(request_id::HEADER)
        .and_then(|v| v.to_str().ok());
    let id = ids.for_request(incoming);
    let method = req.method().clone();
    // Whatever handlers log while serving this request carries its id.
    let span = tracing::error_span!("request", id = %id);
    let result = request_id::scope(id.clone(), || {
        span.in_scope(|| next.call(req)).instrument(span.clone())
    })
    .await;
    let status = match &result {
        Ok(res) => res.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    if tracing::enabled!(target: LOG_TARGET, tracing::Level::INFO) {
        let route = result.as_ref().ok().and_then(|res| {
            let matched = res.request().extensions().get::<MatchedRoute>().copied();
            matched.map_or_else(|| res.request().match_pattern(), |m| Some(m.0.to_string()))
        });
        log_line(&id, method.as_str(), route.as_deref(), status, started);
    }
    let mut res = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(request_id::HEADER), value);
    }
    Ok(res)
}

/// The pattern of a route matched by hand (`http::routes`), which actix-web's
/// `match_pattern` cannot know.
#[derive(Clone, Copy)]
pub struct MatchedRoute(pub &'static str);

fn log_line(id: &str, method: &str, route: Option<&str>, status: StatusCode, started: Instant) {
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(
        target: LOG_TARGET,
        method = %method,
        route = %route.unwrap_or("-"),
        status = status.as_u16(),
        ms = %format_args!("{ms:.2}"),
        id = %id,
    );
}
