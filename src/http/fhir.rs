//! The FHIR R4 API on the Blue Button layout (`/v2/fhir`): metadata, read, vread, search.
//! Handlers stay thin: parse, call the store / index / `fhir::search`, answer with the stored
//! bytes.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::bundle::{self, Page};
use super::FHIR_JSON;
use crate::app::AppState;
use crate::auth::{Access, BearerError};
use crate::fhir::compartment;
use crate::fhir::error::FhirError;
use crate::fhir::search;
use crate::fhir::RESOURCE_TYPES;

/// Every FHIR URL is a resource of its own, so a method it does not answer gets a 405 with
/// `Allow` and an OperationOutcome (`scope.route` would fall through to a 404 instead).
pub fn configure(cfg: &mut web::ServiceConfig) {
    const READ: &str = "GET, HEAD";
    cfg.service(
        web::scope("/v2/fhir")
            .service(url("/metadata", READ).route(web::get().to(get_capabilities)))
            .service(url("/{type}", READ).route(web::get().to(search_type)))
            .service(url("/{type}/_search", "POST").route(web::post().to(post_search_type)))
            .service(url("/{type}/{id}", READ).route(web::get().to(read_resource)))
            .service(url("/{type}/{id}/_history/{vid}", READ).route(web::get().to(vread_resource))),
    );
}

/// A FHIR URL answering `allow` (HEAD rides on GET: see `http::head`) and 405 otherwise.
fn url(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move |req: HttpRequest| async move {
        Err::<HttpResponse, _>(FhirError::MethodNotAllowed {
            method: req.method().to_string(),
            allow,
        })
    }))
}

/// The FHIR base URL as the client sees it: `--public-url`, else scheme and Host of the request.
pub fn base_url(state: &AppState, req: &HttpRequest) -> String {
    // Only the base, not every endpoint `discovery::endpoints` spells out: searches call this.
    super::discovery::fhir_base(&super::discovery::origin(state, req))
}

async fn get_capabilities(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, FhirError> {
    check_format(&query_pairs(&req))?;
    let date = crate::clock::fhir_instant(state.started_at);
    let endpoints = super::discovery::endpoints(&state, &req);
    let security = (!state.insecure_open_api).then(|| endpoints.capability_security());
    let statement = search::capability_statement(
        &endpoints.fhir_base,
        env!("CARGO_PKG_VERSION"),
        &date,
        security,
    );
    Ok(HttpResponse::Ok().content_type(FHIR_JSON).json(statement))
}

fn known_type(resource_type: &str) -> Result<&'static str, FhirError> {
    RESOURCE_TYPES
        .iter()
        .copied()
        .find(|t| *t == resource_type)
        .ok_or_else(|| FhirError::UnsupportedType(resource_type.to_string()))
}

/// The URL's query parameters, decoded (empty when the query string is not well formed; a
/// search reports that itself).
fn query_pairs(req: &HttpRequest) -> Vec<(String, String)> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default()
}

/// `_format` may ask for JSON in any of its spellings; XML is not served.
fn check_format(pairs: &[(String, String)]) -> Result<(), FhirError> {
    match pairs
        .iter()
        .find(|(k, _)| k == "_format")
        .map(|(_, v)| v.as_str())
    {
        None
        | Some("json" | "application/json" | "application/fhir+json" | "application/json+fhir") => {
            Ok(())
        }
        Some(other) => Err(FhirError::NotAcceptable(format!(
            "_format={other} is not available: this server speaks FHIR JSON only"
        ))),
    }
}

/// Who is asking, as far as the FHIR API cares.
enum Viewer {
    /// `--insecure-open-api`: no token, no limits.
    Open,
    Token(std::sync::Arc<Access>),
}

/// What a request wants to do with a resource type (SMART v2 separates the two).
#[derive(Clone, Copy)]
enum Action {
    Read,
    Search,
}

impl Viewer {
    /// The bearer token's access, or 401.
    fn of(state: &AppState, req: &HttpRequest) -> Result<Viewer, FhirError> {
        if state.insecure_open_api {
            return Ok(Viewer::Open);
        }
        let token = super::oauth::bearer_token(req).ok_or_else(|| {
            FhirError::Unauthorized(
                "this request needs an access token (Authorization: Bearer …) from the SMART \
                 authorization server; see /.well-known/smart-configuration"
                    .into(),
            )
        })?;
        let now = state.clock.now().unix_timestamp();
        match state.auth.access(token, now) {
            Ok(access) => Ok(Viewer::Token(access)),
            Err(BearerError::Invalid(why)) => Err(FhirError::Unauthorized(why.to_string())),
            Err(BearerError::Store(e)) => Err(internal(e)),
        }
    }

    /// 403 unless the granted scopes allow `action` on `resource_type`.
    fn may(&self, resource_type: &str, action: Action) -> Result<(), FhirError> {
        let Viewer::Token(access) = self else {
            return Ok(());
        };
        let perms = access.scopes.perms_for(resource_type);
        let allowed = match action {
            Action::Read => perms.read,
            Action::Search => perms.search,
        };
        if allowed {
            Ok(())
        } else {
            let verb = match action {
                Action::Read => "read",
                Action::Search => "search",
            };
            Err(FhirError::Forbidden(format!(
                "the access token's scopes do not allow {verb} on {resource_type} (granted: {})",
                access.scopes
            )))
        }
    }

    /// True when a stored resource may be shown: its type is in scope and, for patient data,
    /// it is the token's patient's.
    fn sees(&self, resource_type: &str, json: &[u8]) -> bool {
        match self {
            Viewer::Open => true,
            Viewer::Token(access) => {
                access.scopes.perms_for(resource_type).read
                    && compartment::visible_to(resource_type, json, &access.patient)
            }
        }
    }
}

async fn read_resource(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, FhirError> {
    let viewer = Viewer::of(&state, &req)?;
    check_format(&query_pairs(&req))?;
    let (resource_type, id) = path.into_inner();
    let resource_type = known_type(&resource_type)?;
    viewer.may(resource_type, Action::Read)?;
    let json = work(move || {
        let read = state.store.read().map_err(internal)?;
        read.get(resource_type, &id)
            .map_err(internal)?
            // Another patient's resource does not exist, as far as this token knows.
            .filter(|json| viewer.sees(resource_type, json))
            .ok_or(FhirError::NotFound {
                resource_type: resource_type.to_string(),
                id,
            })
    })?;
    Ok(resource_response(json))
}

async fn vread_resource(
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(String, String, String)>,
) -> Result<HttpResponse, FhirError> {
    let viewer = Viewer::of(&state, &req)?;
    check_format(&query_pairs(&req))?;
    let (resource_type, id, vid) = path.into_inner();
    let resource_type = known_type(&resource_type)?;
    viewer.may(resource_type, Action::Read)?;
    let json = work(move || {
        let not_found = || FhirError::VersionNotFound {
            resource_type: resource_type.to_string(),
            id: id.clone(),
            version: vid.clone(),
        };
        let version: u32 = vid.parse().map_err(|_| not_found())?;
        let read = state.store.read().map_err(internal)?;
        let current = read.get(resource_type, &id).map_err(internal)?;
        // Ownership never changes between versions; the current one decides.
        if !current.is_some_and(|json| viewer.sees(resource_type, &json)) {
            return Err(FhirError::NotFound {
                resource_type: resource_type.to_string(),
                id: id.clone(),
            });
        }
        read.get_version(resource_type, &id, version)
            .map_err(internal)?
            .ok_or_else(not_found)
    })?;
    Ok(resource_response(json))
}

/// A resource as stored, with its version as the ETag and its lastUpdated as Last-Modified.
fn resource_response(json: Vec<u8>) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    response.content_type(FHIR_JSON);
    if let Some((version, last_updated)) = bundle::version_and_last_updated(&json) {
        response.insert_header((header::ETAG, format!("W/\"{version}\"")));
        if let Some(date) = bundle::http_date(&last_updated) {
            response.insert_header((header::LAST_MODIFIED, date));
        }
    }
    response.body(json)
}

async fn search_type(
    state: web::Data<AppState>,
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
    search(state, req, path.into_inner(), pairs).await
}

async fn post_search_type(
    state: web::Data<AppState>,
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
    pairs.extend(query_pairs(&req));
    search(state, req, path.into_inner(), pairs).await
}

async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
    resource_type: String,
    pairs: Vec<(String, String)>,
) -> Result<HttpResponse, FhirError> {
    let viewer = Viewer::of(&state, &req)?;
    check_format(&pairs)?;
    let resource_type = known_type(&resource_type)?;
    viewer.may(resource_type, Action::Search)?;
    let strict = req
        .headers()
        .get_all("prefer")
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split([',', ';']).any(|p| p.trim() == "handling=strict"));
    let mut query = search::parse(resource_type, &pairs, strict).map_err(FhirError::Search)?;
    // A patient-bound token searches its own patient's data only, whatever was asked.
    if let Viewer::Token(access) = &viewer {
        query
            .filters
            .extend(compartment::filter(resource_type, &access.patient));
    }
    let base = base_url(&state, &req);
    let page = Page {
        base,
        resource_type,
        pairs,
    };
    let body = work(move || {
        let now = state.clock.now();
        let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let read = state.store.read().map_err(internal)?;
        let ids = state
            .index
            .search(&read, &query, now_ms)
            .map_err(internal)?;
        let sees = |ty: &str, json: &[u8]| viewer.sees(ty, json);
        bundle::searchset(&read, &query, &ids, &page, now, &sees).map_err(internal)
    })?;
    Ok(HttpResponse::Ok().content_type(FHIR_JSON).body(body))
}

/// Store and index work for one request. Point reads and searches take tens to hundreds of
/// microseconds of CPU and never wait on the network, so they run on the worker itself: a hop
/// to the blocking pool costs more than the work (measured with `bench api`).
fn work<T>(f: impl FnOnce() -> Result<T, FhirError>) -> Result<T, FhirError> {
    f()
}

/// Logs the cause once, answers with an opaque reference the operator can grep the log for.
pub fn internal(e: impl std::fmt::Display) -> FhirError {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let reference = format!("err-{}", NEXT.fetch_add(1, Ordering::Relaxed));
    tracing::error!(reference, "internal error: {e}");
    FhirError::Internal(reference)
}
