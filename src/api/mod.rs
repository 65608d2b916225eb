//! The FHIR API's interactions — read, vread and search-type — as plain functions over the
//! store and the index. Everything the API decides lives here: the type check, `_format`, the
//! caller's scopes (403), the patient compartment (another patient's data does not exist), the
//! search and its Bundle with `_include` and paging. `http::fhir` only translates HTTP to these
//! calls and their results (or [`FhirError`]s) to responses.

mod audit;
mod audit_events;
pub mod bulk;
mod create;
mod groups;
mod stored;
#[cfg(test)]
mod tests;
mod viewer;

use time::OffsetDateTime;

pub use audit::{record_interaction, Interaction};
pub use audit_events::{write_ndjson, AuditExportError};
pub use create::create_provenance;
pub use stored::StoredResource;
pub use viewer::{Action, Viewer};

use crate::fhir::bundle::{self, Page};
use crate::fhir::compartment;
use crate::fhir::error::FhirError;
use crate::fhir::search;
use crate::fhir::SERVED_TYPES;
use crate::index::SearchIndex;
use crate::store::Store;

/// A search-type request as the HTTP edge decoded it.
pub struct SearchRequest {
    pub resource_type: String,
    /// The parameters as sent (URL query, and for `_search` the form body too), decoded.
    pub params: Vec<(String, String)>,
    /// `Prefer: handling=strict`: unknown parameters are an error instead of ignored.
    pub strict: bool,
    /// The FHIR base URL as the client sees it, for `fullUrl` and the paging links.
    pub base: String,
}

/// `GET [base]/{type}/{id}`. `params` is the URL's query (only `_format` matters).
pub fn read(
    store: &Store,
    viewer: &Viewer,
    resource_type: &str,
    id: &str,
    params: &[(String, String)],
) -> Result<StoredResource, FhirError> {
    if resource_type == audit_events::AUDIT_EVENT {
        return audit_events::read(store, viewer, id, params);
    }
    if resource_type == groups::GROUP {
        return groups::read(store, viewer, id, params);
    }
    let resource_type = admit(viewer, Action::Read, resource_type, params)?;
    let read = store.read().map_err(internal)?;
    read.get_shared(resource_type, id)
        .map_err(internal)?
        // Another patient's resource does not exist, as far as this token knows.
        .filter(|json| viewer.sees(resource_type, json))
        .map(StoredResource::new)
        .ok_or_else(|| not_found(resource_type, id))
}

/// `GET [base]/{type}/{id}/_history/{version}`.
pub fn vread(
    store: &Store,
    viewer: &Viewer,
    resource_type: &str,
    id: &str,
    version: &str,
    params: &[(String, String)],
) -> Result<StoredResource, FhirError> {
    if resource_type == audit_events::AUDIT_EVENT {
        // An audit entry has one version: the current one (its count may grow).
        let found = audit_events::read(store, viewer, id, params)?;
        if found.version_id.as_deref() != Some(version) {
            return Err(FhirError::VersionNotFound {
                resource_type: resource_type.to_string(),
                id: id.to_string(),
                version: version.to_string(),
            });
        }
        return Ok(found);
    }
    let resource_type = admit(viewer, Action::Read, resource_type, params)?;
    let version_not_found = || FhirError::VersionNotFound {
        resource_type: resource_type.to_string(),
        id: id.to_string(),
        version: version.to_string(),
    };
    let number: u32 = version.parse().map_err(|_| version_not_found())?;
    let read = store.read().map_err(internal)?;
    let current = read.get_shared(resource_type, id).map_err(internal)?;
    // Ownership never changes between versions; the current one decides.
    if !current.is_some_and(|json| viewer.sees(resource_type, &json)) {
        return Err(not_found(resource_type, id));
    }
    read.get_version(resource_type, id, number)
        .map_err(internal)?
        .map(StoredResource::new)
        .ok_or_else(version_not_found)
}

/// A search's answer: the searchset Bundle as bytes, and what it holds (for the audit trail).
pub struct Searched {
    pub body: crate::json::Parts,
    /// `Type/id` of every entry, matches and includes.
    pub touched: Vec<String>,
}

/// `GET [base]/{type}?…` and `POST [base]/{type}/_search`: the searchset Bundle, as bytes.
/// `now` resolves relative dates and stamps the Bundle's `meta.lastUpdated`.
pub fn search(
    store: &Store,
    index: &SearchIndex,
    viewer: &Viewer,
    request: SearchRequest,
    now: OffsetDateTime,
) -> Result<Searched, FhirError> {
    if request.resource_type == audit_events::AUDIT_EVENT {
        return audit_events::search(store, viewer, request, now);
    }
    if request.resource_type == groups::GROUP {
        let (body, touched) = groups::search(store, viewer, &request.params, &request.base)?;
        return Ok(Searched {
            body: body.into(),
            touched,
        });
    }
    let resource_type = admit(
        viewer,
        Action::Search,
        &request.resource_type,
        &request.params,
    )?;
    // `_revinclude=Provenance:target` is answered here (it needs the index); the parser sees
    // the other parameters.
    let (revinclude, params): (Vec<_>, Vec<_>) = request
        .params
        .iter()
        .cloned()
        .partition(|(k, _)| k == "_revinclude");
    for (_, value) in &revinclude {
        if value != "Provenance:target" {
            return Err(FhirError::Search(search::SearchError::new(
                search::SearchErrorCode::InvalidInclude,
                "_revinclude",
                value,
                "only _revinclude=Provenance:target is supported",
            )));
        }
    }
    let mut query =
        search::parse(resource_type, &params, request.strict).map_err(FhirError::Search)?;
    // A patient-bound token searches its own patient's data only, whatever was asked.
    if let Some(patient) = viewer.patient() {
        query
            .filters
            .extend(compartment::filter(resource_type, patient));
    }
    let page = Page {
        base: request.base,
        resource_type,
        pairs: request.params,
    };
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let read = store.read().map_err(internal)?;
    let ids = index.search(&read, &query, now_ms).map_err(internal)?;
    let sees = |ty: &str, json: &[u8]| viewer.sees(ty, json);
    let provenances = if revinclude.is_empty() || query.summary_count {
        Vec::new()
    } else {
        let start = query.offset.min(ids.len());
        let end = start.saturating_add(query.count).min(ids.len());
        provenances_of(
            &read,
            index,
            viewer,
            resource_type,
            &ids[start..end],
            now_ms,
        )?
    };
    let mut touched = Vec::new();
    let resources = read.resources().map_err(internal)?;
    let source = |ty: &str, id: &str| resources.get_cached(ty, id);
    let body = bundle::searchset(
        &source,
        &query,
        &ids,
        &page,
        now,
        &sees,
        &provenances,
        &mut touched,
    )
    .map_err(internal)?;
    Ok(Searched { body, touched })
}

/// Ids of the Provenances that target any of `ids` (`_revinclude=Provenance:target`), kept
/// to the viewer's compartment.
fn provenances_of(
    read: &crate::store::ReadTx,
    index: &SearchIndex,
    viewer: &Viewer,
    resource_type: &str,
    ids: &[String],
    now_ms: i64,
) -> Result<Vec<String>, FhirError> {
    if ids.is_empty() || !viewer.sees_type("Provenance") {
        return Ok(Vec::new());
    }
    let targets: Vec<String> = ids
        .iter()
        .map(|id| format!("{resource_type}/{id}"))
        .collect();
    let pairs = [("target".to_string(), targets.join(","))];
    let mut query = search::parse("Provenance", &pairs, false).map_err(FhirError::Search)?;
    if let Some(patient) = viewer.patient() {
        query
            .filters
            .extend(compartment::filter("Provenance", patient));
    }
    index.search(read, &query, now_ms).map_err(internal)
}

/// The checks every interaction starts with, in the order clients see them: `_format` (406),
/// the type (404), then the scopes (403) — before anything is looked up, so a refusal says
/// nothing about what is stored.
fn admit(
    viewer: &Viewer,
    action: Action,
    resource_type: &str,
    params: &[(String, String)],
) -> Result<&'static str, FhirError> {
    check_format(params)?;
    let resource_type = known_type(resource_type)?;
    viewer.may(resource_type, action)?;
    Ok(resource_type)
}

/// A type this server serves, or 404 (as FHIR answers an unknown type).
fn known_type(resource_type: &str) -> Result<&'static str, FhirError> {
    SERVED_TYPES
        .iter()
        .copied()
        .find(|t| *t == resource_type)
        .ok_or_else(|| FhirError::UnsupportedType(resource_type.to_string()))
}

fn not_found(resource_type: &str, id: &str) -> FhirError {
    FhirError::NotFound {
        resource_type: resource_type.to_string(),
        id: id.to_string(),
    }
}

/// `_format` may ask for JSON in any of its spellings; XML is not served.
pub fn check_format(params: &[(String, String)]) -> Result<(), FhirError> {
    match params
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

/// Logs the cause once and answers 500 without it. The log line carries the request id (the
/// request span's field), and the OperationOutcome names the same id, so an operator greps
/// one for the other; ids are unique across restarts, where a counter here was not.
pub fn internal(e: impl std::fmt::Display) -> FhirError {
    tracing::error!("internal error: {e}");
    FhirError::Internal
}
