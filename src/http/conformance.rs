//! What the conformance report needs from the wire (`conformance::facts`): the authorization
//! request's parameters, and every FHIR request with a bearer token and its status (also the
//! 401/429/503 answered before a handler runs). Each is handed to the store's background
//! writer; nothing here waits for the disk, and no token, code or secret is kept (tokens become
//! short hash tags). The token endpoint's calls are read by `conformance::token` (`http::oauth`
//! hands it the request and the answer).

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, HttpMessage, HttpRequest};

use crate::auth::authorize::aud_names_base;
use crate::auth::AuthorizeError;
use crate::conformance::facts::{self, clean_target, Event, Observation};
use crate::web::AppState;

const FHIR_PREFIX: &str = "/v2/fhir/";

/// The form parameters of a `POST …/_search`, left by the handler for [`observe_fhir`].
pub struct PostedSearch(pub String);

fn now_ms(state: &AppState) -> i64 {
    facts::unix_ms(state.clock.now())
}

/// Middleware on the API scope: records every FHIR request that carries a bearer token
/// (unless `serve --no-audit-reads`).
pub async fn observe_fhir<B: MessageBody>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<B>, actix_web::Error> {
    let Some(seen) = FhirSeen::of(&req) else {
        return next.call(req).await;
    };
    let result = next.call(req).await;
    let (status, retry_after, posted) = match &result {
        Ok(res) => (
            res.status().as_u16(),
            res.headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse().ok()),
            res.request()
                .extensions()
                .get::<PostedSearch>()
                .map(|p| p.0.clone()),
        ),
        Err(e) => (e.as_response_error().status_code().as_u16(), None, None),
    };
    seen.record(status, retry_after, posted);
    result
}

/// A FHIR request, read before it is answered.
struct FhirSeen {
    state: web::Data<AppState>,
    token_key: String,
    at_ms: i64,
    method: String,
    path: String,
    query: String,
    interaction: &'static str,
    resource_type: String,
}

impl FhirSeen {
    fn of(req: &ServiceRequest) -> Option<FhirSeen> {
        let rest = req.path().strip_prefix(FHIR_PREFIX)?;
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        let first = *segments.first()?;
        if first == "metadata" || first.starts_with('.') {
            return None;
        }
        let token = super::oauth::bearer_token(req.request())?;
        let state = req.app_data::<web::Data<AppState>>()?.clone();
        // `serve --no-audit-reads` keeps the FHIR hot path free of per-request records: these
        // too (the report then sees authorization and token requests only).
        if !state.audit_reads {
            return None;
        }
        let post = req.method() == actix_web::http::Method::POST;
        let interaction = match (segments.as_slice(), post) {
            ([_], false) | ([_, "_search"], true) => "search-type",
            ([_], true) => "create",
            ([_, _], false) => "read",
            ([_, _, "_history", _], false) => "vread",
            _ => "other",
        };
        Some(FhirSeen {
            at_ms: now_ms(&state),
            token_key: crate::auth::db::secret_key(token),
            state,
            method: req.method().to_string(),
            path: req.path().to_string(),
            query: req.query_string().to_string(),
            interaction,
            resource_type: first.to_string(),
        })
    }

    fn record(self, status: u16, retry_after: Option<u32>, posted: Option<String>) {
        let query = match posted {
            Some(form) if self.query.is_empty() => form,
            Some(form) => format!("{form}&{}", self.query),
            None => self.query,
        };
        let observation = Observation {
            at_ms: self.at_ms,
            method: self.method,
            target: clean_target(&self.path, &query),
            status,
            event: Event::Fhir {
                interaction: self.interaction.into(),
                resource_type: self.resource_type,
                // Filled in from the token's record by the writer.
                token: String::new(),
                patient: String::new(),
                retry_after,
            },
        };
        facts::record_fhir(&self.state.store, self.token_key, observation);
    }
}

/// Records an authorization request (GET query or POST form) and how it was answered.
pub fn observe_authorize(
    state: &AppState,
    req: &HttpRequest,
    params: &[(String, String)],
    fhir_base: &str,
    refusal: Option<&AuthorizeError>,
) {
    let get = |k: &str| {
        params
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let Some(client_id) = get("client_id") else {
        return;
    };
    let aud = get("aud");
    let pkce_method = get("code_challenge")
        .map(|_| get("code_challenge_method").unwrap_or_else(|| "plain".into()));
    let (status, error) = match refusal {
        None => (200, None),
        Some(AuthorizeError::Page(_)) => (400, Some("invalid_request".to_string())),
        Some(AuthorizeError::Redirect(r)) => (303, Some(r.error.as_str().to_string())),
    };
    // A secret sent here is refused; it is not kept either.
    let kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "client_secret")
        .collect();
    let query = serde_urlencoded::to_string(kept).unwrap_or_default();
    let observation = Observation {
        at_ms: now_ms(state),
        method: req.method().to_string(),
        target: clean_target(req.path(), &query),
        status,
        event: Event::Authorize {
            response_type: get("response_type"),
            pkce_method,
            state_len: get("state").map_or(0, |s| s.chars().count()),
            aud_ok: aud.as_deref().is_some_and(|a| aud_names_base(a, fhir_base)),
            aud,
            scope: get("scope"),
            error,
        },
    };
    facts::record_for_client(&state.store, client_id, observation);
}
