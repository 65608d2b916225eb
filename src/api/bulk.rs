//! Bulk Data 2.0 `$export` as the FHIR API decides it: who may export (backend-services
//! tokens only), which parameters mean what (400 for what it cannot honour, unless
//! `Prefer: handling=lenient`), which types the scopes cover, the status answers and the
//! manifest, and the audit record of every step. The jobs themselves are `crate::bulk`'s.
//!
//! Policy: every level (system, `Patient/$export`, `Group/[id]/$export`) needs a system token
//! (`client_credentials`, `system/` scopes); a patient- or user-facing token gets 403, since the
//! export covers many patients. The types exported are those its scopes let it read; a `_type`
//! naming one they do not cover is a 403.

use std::path::PathBuf;

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{internal, Viewer};
use crate::audit::AuditRecord;
use crate::bulk::{self, Bulk, BulkError, ExportRequest, Job, Level, State};
use crate::fhir::error::FhirError;
use crate::store::Store;

/// The `_outputFormat` spellings of NDJSON (the one format served).
pub const OUTPUT_FORMATS: &[&str] = &["application/fhir+ndjson", "application/ndjson", "ndjson"];

/// Seconds a client is told to wait between status polls.
pub const RETRY_AFTER_SECS: u32 = 1;

/// A kick-off request as the HTTP edge decoded it.
pub struct KickOff<'a> {
    pub level: Level,
    /// Query parameters (GET) or the Parameters body's (POST), decoded.
    pub params: &'a [(String, String)],
    /// Every `Prefer` header value.
    pub prefer: &'a [String],
    /// The `Accept` header, if sent.
    pub accept: Option<&'a str>,
    /// The kick-off URL as the client sent it (the manifest's `request`).
    pub request: String,
}

/// The client a bulk request comes from: a system token's client, or the open API.
fn requester(viewer: &Viewer) -> Result<String, FhirError> {
    match viewer {
        Viewer::Open => Ok(String::new()),
        Viewer::Token(access) if access.system => Ok(access.client_id.clone()),
        Viewer::Token(_) => Err(FhirError::Forbidden(
            "bulk export needs a backend-services token (client_credentials with system/ \
             scopes); a patient's or user's token cannot export"
                .into(),
        )),
    }
}

/// `Prefer` holds `respond-async` (and maybe `handling=lenient`), as a comma or semicolon list.
fn prefers(prefer: &[String], wanted: &str) -> bool {
    prefer
        .iter()
        .flat_map(|v| v.split([',', ';']))
        .any(|p| p.trim().eq_ignore_ascii_case(wanted))
}

/// Checks a kick-off and queues the export.
pub fn kick_off(bulk: &Bulk, viewer: &Viewer, k: KickOff<'_>) -> Result<Job, FhirError> {
    if !prefers(k.prefer, "respond-async") {
        return Err(FhirError::BadRequest(
            "$export is asynchronous: send 'Prefer: respond-async'".into(),
        ));
    }
    if let Some(accept) = k.accept {
        let ok = accept.split(',').any(|a| {
            let media = a.split(';').next().unwrap_or("").trim();
            matches!(
                media,
                "application/fhir+json" | "application/json" | "*/*" | "application/*"
            )
        });
        if !ok {
            return Err(FhirError::BadRequest(format!(
                "Accept: {accept} cannot be honoured: $export answers application/fhir+json"
            )));
        }
    }
    let client_id = requester(viewer)?;
    let lenient = prefers(k.prefer, "handling=lenient");
    let mut since = None;
    let mut types: Option<Vec<String>> = None;
    let mut type_filters = Vec::new();
    for (name, value) in k.params {
        match name.as_str() {
            "_outputFormat" => {
                if !OUTPUT_FORMATS.contains(&value.as_str()) {
                    return Err(FhirError::BadRequest(format!(
                        "_outputFormat={value} is not supported: use one of {}",
                        OUTPUT_FORMATS.join(", ")
                    )));
                }
            }
            "_since" => {
                let nanos = crate::fhir::datetime::is_instant(value)
                    .then(|| bulk::instant_nanos(value))
                    .flatten()
                    .ok_or_else(|| {
                        FhirError::BadRequest(format!(
                            "_since={value} is not a FHIR instant (e.g. 2026-01-02T03:04:05Z)"
                        ))
                    })?;
                since = Some((value.clone(), nanos));
            }
            "_type" => {
                let list = types.get_or_insert_with(Vec::new);
                for ty in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    if !bulk::EXPORT_ORDER.contains(&ty) {
                        if lenient {
                            continue;
                        }
                        return Err(FhirError::BadRequest(format!(
                            "_type={ty}: not a type this server exports ({})",
                            bulk::EXPORT_ORDER.join(", ")
                        )));
                    }
                    if !viewer.sees_type(ty) {
                        return Err(FhirError::Forbidden(format!(
                            "_type={ty}: the access token's scopes do not cover {ty}"
                        )));
                    }
                    list.push(ty.to_string());
                }
            }
            "_typeFilter" => {
                for filter in value.split(',').filter(|f| !f.is_empty()) {
                    let filter = percent_encoding::percent_decode_str(filter)
                        .decode_utf8_lossy()
                        .into_owned();
                    match bulk::type_filter(&filter) {
                        Ok(_) => type_filters.push(filter),
                        Err(_) if lenient => {}
                        Err(e) => return Err(FhirError::BadRequest(e.to_string())),
                    }
                }
            }
            "_format" => super::check_format(std::slice::from_ref(&(name.clone(), value.clone())))?,
            _ if lenient => {}
            other => {
                return Err(FhirError::BadRequest(format!(
                    "{other} is not supported by this server's $export (supported: _outputFormat, \
                     _since, _type, _typeFilter; send 'Prefer: handling=lenient' to have others ignored)"
                )));
            }
        }
    }
    let types: Vec<String> = match types {
        Some(list) => bulk::EXPORT_ORDER
            .iter()
            .filter(|t| list.iter().any(|l| l == *t))
            .map(|t| t.to_string())
            .collect(),
        None => bulk::EXPORT_ORDER
            .iter()
            .filter(|t| viewer.sees_type(t))
            .map(|t| t.to_string())
            .collect(),
    };
    if types.is_empty() {
        return Err(FhirError::Forbidden(
            "the access token's scopes cover none of the exported types".into(),
        ));
    }
    let request = ExportRequest {
        level: k.level,
        types,
        since,
        type_filters,
        request: k.request,
        client_id,
    };
    bulk.kick_off(request).map_err(refusal)
}

/// What the status URL answers.
pub enum Status {
    /// 202: `X-Progress` and `Retry-After`.
    InProgress { progress: String, retry_after: u32 },
    /// 200: the manifest, and when the files go (unix seconds, for `Expires`).
    Done { manifest: Value, expires_at: i64 },
}

/// `GET` on a status URL. `base` is the FHIR base URL the client sees.
pub fn status(bulk: &Bulk, viewer: &Viewer, id: &str, base: &str) -> Result<Status, FhirError> {
    let client_id = requester(viewer)?;
    let job = bulk.job(id, &client_id).map_err(refusal)?;
    match job.state {
        State::Queued | State::Running => Ok(Status::InProgress {
            progress: job.progress(),
            retry_after: RETRY_AFTER_SECS,
        }),
        State::Cancelled => Err(gone_job(id)),
        State::Failed => Err(FhirError::ExportFailed(format!(
            "the export failed: {}",
            job.error.as_deref().unwrap_or("no reason recorded")
        ))),
        State::Done => Ok(Status::Done {
            manifest: manifest(&job, base),
            expires_at: job
                .finished_at
                .unwrap_or(job.created_at)
                .saturating_add(bulk.config().retention_secs),
        }),
    }
}

/// The completion manifest (Bulk Data 2.0): absolute file URLs, `requiresAccessToken`, and
/// `error` always present.
pub fn manifest(job: &Job, base: &str) -> Value {
    let output: Vec<Value> = job
        .files
        .iter()
        .map(|f| {
            json!({
                "type": f.resource_type,
                "url": format!("{base}/bulkfiles/{}/{}", job.id, f.name),
                "count": f.count,
            })
        })
        .collect();
    json!({
        "transactionTime": job.transaction_time,
        "request": job.request,
        "requiresAccessToken": true,
        "output": output,
        "error": [],
    })
}

/// `DELETE` on a status URL.
pub fn cancel(bulk: &Bulk, viewer: &Viewer, id: &str) -> Result<Job, FhirError> {
    let client_id = requester(viewer)?;
    bulk.cancel(id, &client_id).map_err(refusal)
}

/// The path of a file the manifest lists, for the client that started the export.
pub fn file(bulk: &Bulk, viewer: &Viewer, id: &str, name: &str) -> Result<PathBuf, FhirError> {
    let client_id = requester(viewer)?;
    bulk.file(id, &client_id, name).map_err(refusal)
}

fn gone_job(id: &str) -> FhirError {
    FhirError::NotFound {
        resource_type: "export job".into(),
        id: id.to_string(),
    }
}

/// A refusal of the export service as the FHIR API answers it.
fn refusal(e: BulkError) -> FhirError {
    match e {
        BulkError::NotFound(id) => gone_job(&id),
        BulkError::TooMany(_) => FhirError::TooManyRequests {
            message: e.to_string(),
            retry_after: 10,
        },
        BulkError::UnknownGroup(id) => FhirError::NotFound {
            resource_type: "Group".into(),
            id,
        },
        BulkError::BadTypeFilter { .. } => FhirError::BadRequest(e.to_string()),
        other => internal(other),
    }
}

/// One step of an export, as the audit trail records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    KickOff,
    Complete,
    Download,
    Cancel,
}

impl Step {
    fn as_str(self) -> &'static str {
        match self {
            Step::KickOff => "kick-off",
            Step::Complete => "status complete",
            Step::Download => "download",
            Step::Cancel => "cancel",
        }
    }
}

/// One export step to audit.
pub struct ExportEvent<'a> {
    pub step: Step,
    /// What was asked: the level (`system`, `Patient`, `Group/x`), or the file.
    pub what: &'a str,
    pub params: &'a [(String, String)],
    pub request_id: Option<String>,
}

/// Queues the audit record of one export step (event `export`, DICOM "Export"): the client,
/// the step, the job, the parameters, and how it ended (`Ok(job id)` or the refusal).
pub fn record(
    store: &Store,
    viewer: &Viewer,
    event: ExportEvent<'_>,
    result: Result<&str, &FhirError>,
    now: OffsetDateTime,
) {
    let ExportEvent {
        step,
        what,
        params,
        request_id,
    } = event;
    let client_id = match viewer {
        Viewer::Open => None,
        Viewer::Token(access) => Some(access.client_id.clone()),
    };
    let patient = viewer.patient().map(str::to_string);
    let query = (!params.is_empty()).then(|| {
        let kept: Vec<&(String, String)> =
            params.iter().filter(|(k, _)| k != "access_token").collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    });
    let (outcome, detail) = match result {
        Ok(job) => (
            "success".to_string(),
            format!("bulk export {}: {what}, job {job}", step.as_str()),
        ),
        Err(e) => (
            e.code().1.to_string(),
            format!("bulk export {} refused: {what}: {e}", step.as_str()),
        ),
    };
    crate::audit::record(
        store,
        AuditRecord {
            at: now.unix_timestamp(),
            event: "export".into(),
            outcome,
            client_id,
            patient,
            detail: Some(detail),
            query,
            request_id,
            ..AuditRecord::default()
        },
    );
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{Access, ScopeSet};

    fn token(scopes: &str, system: bool) -> Viewer {
        Viewer::Token(Arc::new(Access {
            client_id: "app".into(),
            patient: if system { String::new() } else { "M1".into() },
            scopes: ScopeSet::parse(scopes),
            grant_id: "g".into(),
            issued_at: 0,
            failures: Default::default(),
            system,
        }))
    }

    fn service() -> (tempfile::TempDir, Bulk) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let clock = Arc::new(crate::clock::FixedClock::new(OffsetDateTime::UNIX_EPOCH));
        let bulk = Bulk::open(&store, dir.path(), clock, Default::default(), false).unwrap();
        (dir, bulk)
    }

    fn ask(bulk: &Bulk, viewer: &Viewer, params: &[(&str, &str)]) -> Result<Job, FhirError> {
        let params: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        kick_off(
            bulk,
            viewer,
            KickOff {
                level: Level::System,
                params: &params,
                prefer: &["respond-async".to_string()],
                accept: Some("application/fhir+json"),
                request: "http://x/$export".into(),
            },
        )
    }

    #[test]
    fn parameters_are_checked() {
        let (_dir, bulk) = service();
        let system = token("system/*.read", true);
        let bad = |params: &[(&str, &str)]| {
            let e = ask(&bulk, &system, params).unwrap_err();
            e.code().0
        };
        assert_eq!(bad(&[("_outputFormat", "text/csv")]), 400);
        assert_eq!(bad(&[("_since", "yesterday")]), 400);
        assert_eq!(
            bad(&[("_since", "2026-01-02")]),
            400,
            "a date is no instant"
        );
        assert_eq!(bad(&[("_type", "Observation")]), 400);
        assert_eq!(bad(&[("_typeFilter", "ExplanationOfBenefit?nope=1")]), 400);
        assert_eq!(bad(&[("_elements", "id")]), 400);
        for format in OUTPUT_FORMATS {
            let job = ask(&bulk, &system, &[("_outputFormat", format)]).unwrap();
            bulk.cancel(&job.id, "app").unwrap();
        }
        let job = ask(
            &bulk,
            &system,
            &[
                ("_type", "ExplanationOfBenefit,Patient"),
                ("_type", "Coverage"),
                ("_since", "2026-01-02T03:04:05+01:00"),
            ],
        )
        .unwrap();
        assert_eq!(job.types, ["Patient", "Coverage", "ExplanationOfBenefit"]);
        assert_eq!(job.since.as_deref(), Some("2026-01-02T03:04:05+01:00"));
    }

    #[test]
    fn only_system_tokens_export_and_scopes_limit_the_types() {
        let (_dir, bulk) = service();
        let patient = token("patient/*.read", false);
        assert_eq!(ask(&bulk, &patient, &[]).unwrap_err().code().0, 403);
        let eob_only = token("system/ExplanationOfBenefit.rs", true);
        let job = ask(&bulk, &eob_only, &[]).unwrap();
        assert_eq!(job.types, ["ExplanationOfBenefit"]);
        let e = ask(&bulk, &eob_only, &[("_type", "Patient")]).unwrap_err();
        assert_eq!(e.code().0, 403);
        // Without Prefer: respond-async, nothing is queued.
        let e = kick_off(
            &bulk,
            &token("system/*.read", true),
            KickOff {
                level: Level::System,
                params: &[],
                prefer: &[],
                accept: None,
                request: String::new(),
            },
        )
        .unwrap_err();
        assert_eq!(e.code().0, 400);
    }

    #[test]
    fn refusals_of_the_service_keep_their_status() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let clock = Arc::new(crate::clock::FixedClock::new(OffsetDateTime::UNIX_EPOCH));
        let config = bulk::BulkConfig {
            max_active_per_client: 0,
            ..Default::default()
        };
        let bulk = Bulk::open(&store, dir.path(), clock, config, false).unwrap();
        let system = token("system/*.read", true);
        let e = ask(&bulk, &system, &[]).unwrap_err();
        assert!(matches!(e, FhirError::TooManyRequests { .. }), "{e}");
        assert_eq!(e.code().0, 429);
        assert_eq!(
            status(&bulk, &system, "nope", "b")
                .err()
                .map(|e| e.code().0),
            Some(404)
        );
        assert_eq!(
            cancel(&bulk, &system, "nope").err().map(|e| e.code().0),
            Some(404)
        );
        let patient = token("patient/*.read", false);
        assert_eq!(
            file(&bulk, &patient, "j", "f").err().map(|e| e.code().0),
            Some(403)
        );
    }

    #[test]
    fn the_manifest_names_absolute_urls_and_an_empty_error_list() {
        let mut job = Job::new(
            "j1".into(),
            ExportRequest {
                level: Level::System,
                types: vec!["Patient".into()],
                since: None,
                type_filters: vec![],
                request: "http://h/v2/fhir/$export".into(),
                client_id: "app".into(),
            },
            0,
        );
        job.files.push(bulk::OutputFile {
            resource_type: "Patient".into(),
            name: "Patient-1.ndjson".into(),
            count: 3,
        });
        job.transaction_time = Some("2026-01-02T00:00:00.000+00:00".into());
        let m = manifest(&job, "http://h/v2/fhir");
        assert_eq!(m["requiresAccessToken"], true);
        assert_eq!(m["error"], json!([]));
        assert_eq!(
            m["output"][0]["url"],
            "http://h/v2/fhir/bulkfiles/j1/Patient-1.ndjson"
        );
        assert_eq!(m["output"][0]["count"], 3);
        assert_eq!(m["request"], "http://h/v2/fhir/$export");
    }
}
