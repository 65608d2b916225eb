//! The FHIR R4 API on the Blue Button layout (`/v2/fhir`): metadata, read, vread, search.
//! Handlers only translate: path, query, form and headers in; `api` decides; its answer
//! (stored bytes, version, Last-Modified) or its `FhirError` out.

use actix_web::http::header;
use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};

use super::FHIR_JSON;
use crate::api::{self, check_format, Interaction, SearchRequest, StoredResource, Viewer};
use crate::fhir::error::FhirError;
use crate::fhir::search;
use crate::web::AppState;

/// What a FHIR URL answers when the method is not one of its own (HEAD rides on GET: see
/// `http::head`).
pub(super) const READ: &str = "GET, HEAD";

/// `/metadata`, inside the `/v2/fhir` scope. The URLs with parameters (`/{type}`,
/// `/{type}/_search`, `/{type}/{id}`, `/{type}/{id}/_history/{vid}`) are matched by hand in
/// `http::routes`. Every FHIR URL is a resource of its own, so a method it does not answer
/// gets a 405 with `Allow` and an OperationOutcome.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/metadata")
            .route(web::get().to(get_capabilities))
            .default_service(web::to(|req: HttpRequest| async move {
                Err::<HttpResponse, _>(method_not_allowed(&req, READ))
            })),
    );
}

/// 405 with `Allow` and an OperationOutcome.
pub(super) fn method_not_allowed(req: &HttpRequest, allow: &'static str) -> FhirError {
    FhirError::MethodNotAllowed {
        method: req.method().to_string(),
        allow,
    }
}

/// The FHIR base URL as the client sees it: `--public-url`, else scheme and Host of the request.
pub fn base_url(state: &AppState, req: &HttpRequest) -> String {
    // Only the base, not every endpoint `discovery::endpoints` spells out: searches call this.
    crate::web::endpoints::fhir_base(&crate::web::endpoints::origin(state, req))
}

async fn get_capabilities(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, FhirError> {
    check_format(&query_pairs(&req))?;
    let origin = crate::web::endpoints::origin(&state, &req);
    let bytes = state.documents.get(
        crate::web::documents::Document::Capabilities,
        &origin,
        || {
            let date = crate::clock::fhir_instant(state.started_at);
            let endpoints = crate::web::endpoints::Endpoints::new(&origin);
            let security = (!state.insecure_open_api).then(|| endpoints.capability_security());
            let statement = search::capability_statement(
                &endpoints.fhir_base,
                env!("CARGO_PKG_VERSION"),
                &date,
                security,
            );
            serde_json::to_vec(&statement).unwrap_or_default()
        },
    );
    Ok(HttpResponse::Ok().content_type(FHIR_JSON).body(bytes))
}

/// The URL's query parameters, decoded (empty when the query string is not well formed; a
/// search reports that itself).
fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

pub(super) async fn read_resource(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, FhirError> {
    let (resource_type, id) = path.into_inner();
    let params = query_pairs(&req);
    let found = work(|| api::read(&state.store, &viewer, &resource_type, &id, &params));
    let touched = || vec![format!("{resource_type}/{id}")];
    audit(
        &state,
        &viewer,
        "read",
        &resource_type,
        &[],
        &found,
        touched,
    );
    Ok(resource_response(found?))
}

pub(super) async fn vread_resource(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, FhirError> {
    let (resource_type, id, version) = path.into_inner();
    let params = query_pairs(&req);
    let found = work(|| {
        api::vread(
            &state.store,
            &viewer,
            &resource_type,
            &id,
            &version,
            &params,
        )
    });
    let touched = || vec![format!("{resource_type}/{id}/_history/{version}")];
    audit(
        &state,
        &viewer,
        "vread",
        &resource_type,
        &[],
        &found,
        touched,
    );
    Ok(resource_response(found?))
}

/// A resource as stored, with its version as the ETag and its lastUpdated as Last-Modified.
fn resource_response(found: StoredResource) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type(FHIR_JSON);
    if let Some(version) = &found.version_id {
        response.insert_header((header::ETAG, format!("W/\"{version}\"")));
    }
    if let Some(date) = found.last_modified {
        response.insert_header((header::LAST_MODIFIED, date));
    }
    response.body(found.json)
}

pub(super) async fn search_type(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, FhirError> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| {
            FhirError::Search(search::SearchError::new(
                search::SearchErrorCode::InvalidParamValue,
                "query",
                req.query_string(),
                &format!("the query string is not valid: {e}"),
            ))
        })?;
    search(&state, &viewer, &req, &path.into_inner(), &pairs)
}

pub(super) async fn post_search_type(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, FhirError> {
    // The form body and any URL parameters together, as FHIR defines `_search`.
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body).map_err(|e| {
        FhirError::Search(search::SearchError::new(
            search::SearchErrorCode::InvalidParamValue,
            "body",
            "",
            &format!("the form body is not application/x-www-form-urlencoded: {e}"),
        ))
    })?;
    if let Ok(form) = serde_urlencoded::to_string(&pairs) {
        req.extensions_mut()
            .insert(super::conformance::PostedSearch(form));
    }
    pairs.extend(query_pairs(&req));
    search(&state, &viewer, &req, &path.into_inner(), &pairs)
}

fn search(
    state: &AppState,
    viewer: &Viewer,
    req: &HttpRequest,
    resource_type: &str,
    params: &[(String, String)],
) -> Result<HttpResponse, FhirError> {
    let request = SearchRequest {
        resource_type: resource_type.to_string(),
        params: params.to_vec(),
        strict: prefers_strict(req),
        base: base_url(state, req),
    };
    let now = state.clock.now();
    // The audit record takes what the search touched; the body goes to the client.
    match work(|| api::search(&state.store, &state.index, viewer, request, now)) {
        Ok(searched) => {
            record(
                state,
                viewer,
                "search-type",
                resource_type,
                params,
                Ok(searched.touched),
            );
            Ok(HttpResponse::Ok()
                .content_type(FHIR_JSON)
                .body(parts_body(searched.body)))
        }
        Err(e) => {
            record(state, viewer, "search-type", resource_type, params, Err(&e));
            Err(e)
        }
    }
}

/// A document in parts as a response body of known length, sent part by part (the stored
/// resources in it are not copied into one buffer first).
fn parts_body(
    parts: crate::json::Parts,
) -> actix_web::body::SizedStream<
    impl futures_util::Stream<Item = Result<web::Bytes, std::convert::Infallible>>,
> {
    let len = parts.len() as u64;
    let stream = futures_util::stream::iter(parts.into_parts().into_iter().map(Ok));
    actix_web::body::SizedStream::new(len, stream)
}

/// `POST [base]/Provenance` (the one type clients may create): 201 with `Location`, the
/// stored resource, its version as the ETag.
pub(super) async fn create(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, FhirError> {
    let resource_type = path.into_inner();
    if resource_type != "Provenance" {
        return Err(FhirError::MethodNotAllowed {
            method: "POST".into(),
            allow: "GET, HEAD",
        });
    }
    let now = state.clock.now();
    let created = work(|| api::create_provenance(&state.store, &state.index, &viewer, &body, now));
    let result = created
        .as_ref()
        .map(|(id, _)| vec![format!("Provenance/{id}/_history/1")]);
    record(&state, &viewer, "create", &resource_type, &[], result);
    let (id, stored) = created?;
    let location = format!("{}/Provenance/{id}/_history/1", base_url(&state, &req));
    let mut response = HttpResponse::Created();
    response
        .content_type(FHIR_JSON)
        .insert_header((header::LOCATION, location));
    if let Some(version) = &stored.version_id {
        response.insert_header((header::ETAG, format!("W/\"{version}\"")));
    }
    if let Some(date) = stored.last_modified {
        response.insert_header((header::LAST_MODIFIED, date));
    }
    Ok(response.body(stored.json))
}

/// Queues the audit record of a read or vread (what it returned, or how it was refused).
fn audit<T>(
    state: &AppState,
    viewer: &Viewer,
    interaction: &'static str,
    resource_type: &str,
    params: &[(String, String)],
    found: &Result<T, FhirError>,
    touched: impl FnOnce() -> Vec<String>,
) {
    // Nothing to build when reads are not audited (`serve --no-audit-reads`).
    if !state.audit_reads {
        return;
    }
    let result = found.as_ref().map(|_| touched());
    record(state, viewer, interaction, resource_type, params, result);
}

/// Queues one interaction's audit record (unless `--no-audit-reads` turned that off).
fn record(
    state: &AppState,
    viewer: &Viewer,
    interaction: &'static str,
    resource_type: &str,
    params: &[(String, String)],
    result: Result<Vec<String>, &FhirError>,
) {
    if !state.audit_reads {
        return;
    }
    let interaction = Interaction {
        interaction,
        resource_type,
        params,
        request_id: super::request_id::current(),
    };
    api::record_interaction(&state.store, viewer, interaction, result, state.clock.now());
}

/// `Prefer: handling=strict` (in any of the header's values).
fn prefers_strict(req: &HttpRequest) -> bool {
    req.headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split([',', ';']).any(|p| p.trim() == "handling=strict"))
}

/// Store and index work for one request. Point reads and searches take tens to hundreds of
/// microseconds of CPU and never wait on the network, so they run on the worker itself: a hop
/// to the blocking pool costs more than the work (measured with `bench api`).
fn work<T>(f: impl FnOnce() -> Result<T, FhirError>) -> Result<T, FhirError> {
    f()
}
