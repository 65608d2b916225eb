//! Bulk Data 2.0 over HTTP (translation only; `api::bulk` decides, `bulk` runs the jobs):
//! kick-off at `[base]/$export`, `[base]/Patient/$export` and `[base]/Group/[id]/$export`
//! (GET, or POST with a Parameters body), the status URL `[base]/bulkstatus/[job]` (GET polls,
//! DELETE cancels) and the files at `[base]/bulkfiles/[job]/[file]`, streamed.

use std::io::Read;

use actix_web::body::SizedStream;
use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use super::fhir::base_url;
use super::FHIR_JSON;
use crate::api::bulk::{self as export, ExportEvent, KickOff, Status, Step};
use crate::api::{internal, Viewer};
use crate::bulk::{Bulk, Level};
use crate::fhir::error::FhirError;
use crate::web::AppState;

pub const NDJSON: &str = "application/fhir+ndjson";

/// The static kick-offs, inside the `/v2/fhir` scope (plain string matches, ahead of the
/// FHIR routes, whose `/{type}/{id}` would take `Patient/$export`). The routes with a
/// parameter — `Group/{id}/$export`, `bulkstatus/{job}`, `bulkfiles/{job}/{file}` — are
/// matched by hand in `http::routes`, before the FHIR ones.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/$export")
            .route(web::get().to(kick_off_system))
            .route(web::post().to(kick_off_system)),
    )
    .service(
        web::resource("/Patient/$export")
            .route(web::get().to(kick_off_patient))
            .route(web::post().to(kick_off_patient)),
    );
}

fn service(req: &HttpRequest) -> Result<web::Data<Bulk>, FhirError> {
    req.app_data::<web::Data<Bulk>>()
        .cloned()
        .ok_or_else(|| internal("the bulk export service is not registered"))
}

async fn kick_off_system(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, FhirError> {
    kick_off(state, viewer, req, body, Level::System).await
}

async fn kick_off_patient(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, FhirError> {
    kick_off(state, viewer, req, body, Level::Patient).await
}

pub(super) async fn kick_off_group(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, FhirError> {
    kick_off(state, viewer, req, body, Level::Group(path.into_inner())).await
}

fn level_name(level: &Level) -> String {
    match level {
        Level::System => "system".into(),
        Level::Patient => "Patient".into(),
        Level::Group(id) => format!("Group/{id}"),
    }
}

async fn kick_off(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    body: web::Bytes,
    level: Level,
) -> Result<HttpResponse, FhirError> {
    let bulk = service(&req)?;
    let what = level_name(&level);
    let base = base_url(&state, &req);
    // The manifest's `request`: the kick-off URL (without the body's parameters for POST).
    let path = req.uri().path();
    let mut request = format!("{base}{}", path.strip_prefix("/v2/fhir").unwrap_or(path));
    let params = if req.method() == actix_web::http::Method::POST {
        parameters(&body)?
    } else {
        if !req.query_string().is_empty() {
            request = format!("{request}?{}", req.query_string());
        }
        query(&req)?
    };
    let prefer: Vec<String> = header_values(&req, "prefer");
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let started = {
        let (bulk, viewer, params) = (bulk.clone(), viewer.clone(), params.clone());
        web::block(move || {
            export::kick_off(
                &bulk,
                &viewer,
                KickOff {
                    level,
                    params: &params,
                    prefer: &prefer,
                    accept: accept.as_deref(),
                    request,
                },
            )
        })
        .await
        .map_err(internal)?
    };
    audit(
        &state,
        &viewer,
        Step::KickOff,
        &what,
        &params,
        started.as_ref().map(|j| j.id.as_str()),
    );
    let job = started?;
    Ok(HttpResponse::Accepted()
        .insert_header((
            header::CONTENT_LOCATION,
            format!("{base}/bulkstatus/{}", job.id),
        ))
        .finish())
}

fn header_values(req: &HttpRequest, name: &str) -> Vec<String> {
    req.headers()
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .map(str::to_string)
        .collect()
}

fn query(req: &HttpRequest) -> Result<Vec<(String, String)>, FhirError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| FhirError::BadRequest(format!("the query string is not valid: {e}")))
}

/// The parameters of a POST kick-off's `Parameters` body, as name and value strings.
fn parameters(body: &[u8]) -> Result<Vec<(String, String)>, FhirError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Vec::new());
    }
    let bad =
        |why: &str| FhirError::Invalid(format!("the body must be a Parameters resource: {why}"));
    let value: Value = serde_json::from_slice(body).map_err(|e| bad(&e.to_string()))?;
    if value["resourceType"] != "Parameters" {
        return Err(bad("resourceType is not Parameters"));
    }
    let mut pairs = Vec::new();
    for p in value["parameter"].as_array().into_iter().flatten() {
        let name = p["name"]
            .as_str()
            .ok_or_else(|| bad("a parameter has no name"))?;
        let value = [
            "valueString",
            "valueInstant",
            "valueCode",
            "valueDateTime",
            "valueUri",
        ]
        .iter()
        .find_map(|k| p[*k].as_str())
        .ok_or_else(|| {
            FhirError::BadRequest(format!(
                "parameter {name}: only string, code, uri and instant values are supported \
                     (the patient parameter is not)"
            ))
        })?;
        pairs.push((name.to_string(), value.to_string()));
    }
    Ok(pairs)
}

pub(super) async fn status(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, FhirError> {
    let bulk = service(&req)?;
    let id = path.into_inner();
    let base = base_url(&state, &req);
    let answer = {
        let (bulk, viewer, id) = (bulk.clone(), viewer.clone(), id.clone());
        web::block(move || export::status(&bulk, &viewer, &id, &base))
            .await
            .map_err(internal)?
    };
    match answer {
        Ok(Status::InProgress {
            progress,
            retry_after,
        }) => Ok(HttpResponse::Accepted()
            .insert_header(("X-Progress", progress))
            .insert_header((header::RETRY_AFTER, retry_after.to_string()))
            .finish()),
        Ok(Status::Done {
            manifest,
            expires_at,
        }) => {
            audit(&state, &viewer, Step::Complete, "status", &[], Ok(&id));
            let mut response = HttpResponse::Ok();
            response.content_type("application/json");
            if let Some(expires) = http_date(expires_at) {
                response.insert_header((header::EXPIRES, expires));
            }
            Ok(response.body(manifest.to_string()))
        }
        Err(e) => {
            if !matches!(e, FhirError::NotFound { .. }) {
                audit(&state, &viewer, Step::Complete, "status", &[], Err(&e));
            }
            Err(e)
        }
    }
}

/// An HTTP-date (RFC 9110) from unix seconds.
fn http_date(unix: i64) -> Option<String> {
    let at = std::time::UNIX_EPOCH
        .checked_add(std::time::Duration::from_secs(u64::try_from(unix).ok()?))?;
    Some(header::HttpDate::from(at).to_string())
}

pub(super) async fn cancel(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<String>,
) -> Result<HttpResponse, FhirError> {
    let bulk = service(&req)?;
    let id = path.into_inner();
    let cancelled = {
        let (bulk, viewer, id) = (bulk.clone(), viewer.clone(), id.clone());
        web::block(move || export::cancel(&bulk, &viewer, &id))
            .await
            .map_err(internal)?
    };
    audit(
        &state,
        &viewer,
        Step::Cancel,
        "status",
        &[],
        cancelled.as_ref().map(|_| id.as_str()),
    );
    cancelled?;
    let outcome = serde_json::json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational",
                   "diagnostics": "the export is cancelled and its files deleted"}],
    });
    Ok(HttpResponse::Accepted()
        .content_type(FHIR_JSON)
        .body(outcome.to_string()))
}

/// Bytes read from an export file per chunk of the response.
const CHUNK: usize = 64 * 1024;

pub(super) async fn download(
    state: web::Data<AppState>,
    viewer: Viewer,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, FhirError> {
    let bulk = service(&req)?;
    let (id, name) = path.into_inner();
    let opened = {
        let (bulk, viewer, id, name) = (bulk.clone(), viewer.clone(), id.clone(), name.clone());
        web::block(move || -> Result<(std::fs::File, u64), FhirError> {
            let path = export::file(&bulk, &viewer, &id, &name)?;
            let file = std::fs::File::open(&path).map_err(internal)?;
            let len = file.metadata().map_err(internal)?.len();
            Ok((file, len))
        })
        .await
        .map_err(internal)?
    };
    audit(
        &state,
        &viewer,
        Step::Download,
        &name,
        &[],
        opened.as_ref().map(|_| id.as_str()),
    );
    let (file, len) = opened?;
    // One chunk in memory at a time, read on the blocking pool.
    let chunks = futures_util::stream::unfold(Some(file), |file| async move {
        let mut file = file?;
        let read = web::block(move || {
            let mut buf = vec![0u8; CHUNK];
            let n = file.read(&mut buf)?;
            buf.truncate(n);
            Ok::<_, std::io::Error>((buf, file))
        })
        .await;
        match read {
            Ok(Ok((buf, _))) if buf.is_empty() => None,
            Ok(Ok((buf, file))) => Some((Ok(web::Bytes::from(buf)), Some(file))),
            Ok(Err(e)) => Some((Err(e), None)),
            Err(e) => Some((Err(std::io::Error::other(e.to_string())), None)),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type(NDJSON)
        .body(SizedStream::new(len, chunks)))
}

fn audit(
    state: &AppState,
    viewer: &Viewer,
    step: Step,
    what: &str,
    params: &[(String, String)],
    result: Result<&str, &FhirError>,
) {
    export::record(
        &state.store,
        viewer,
        ExportEvent {
            step,
            what,
            params,
            request_id: super::request_id::current(),
        },
        result,
        state.clock.now(),
    );
}
