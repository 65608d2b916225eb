//! `AuditEvent` read and search, over the audit trail itself (bounded by its retention, so a
//! scan is bounded too): each entry becomes an AuditEvent (`fhir::audit_event`) and the query
//! is evaluated on it with the exact FHIR semantics (`fhir::search::matches_at`). A
//! patient-bound token sees its own patient's events only; everything else does not exist.

use std::collections::HashMap;

use redb::{ReadableDatabase, ReadableTable};
use time::OffsetDateTime;

use super::{admit, internal, not_found, Action, SearchRequest, Searched, StoredResource, Viewer};
use crate::audit::{self, AuditEntry};
use crate::fhir::audit_event::audit_event;
use crate::fhir::bundle::{self, Page};
use crate::fhir::error::FhirError;
use crate::fhir::search;
use crate::store::{record, Store, StoreError};

pub const AUDIT_EVENT: &str = "AuditEvent";

/// True when `viewer` may see the entry: the open API sees all, a token its patient's.
fn visible(viewer: &Viewer, entry: &AuditEntry) -> bool {
    match viewer.patient() {
        None => true,
        Some(patient) => entry.record.patient.as_deref() == Some(patient),
    }
}

fn render(key: &str, entry: &AuditEntry) -> Vec<u8> {
    serde_json::to_vec(&audit_event(key, entry)).unwrap_or_default()
}

/// `GET [base]/AuditEvent/{id}` (and `_history/{n}` of its one current version).
pub fn read(
    store: &Store,
    viewer: &Viewer,
    id: &str,
    params: &[(String, String)],
) -> Result<StoredResource, FhirError> {
    admit(viewer, Action::Read, AUDIT_EVENT, params)?;
    if !audit::is_key(id) {
        return Err(not_found(AUDIT_EVENT, id));
    }
    audit::entry(store, id)
        .map_err(internal)?
        .filter(|entry| visible(viewer, entry))
        .map(|entry| StoredResource::new(render(id, &entry)))
        .ok_or_else(|| not_found(AUDIT_EVENT, id))
}

/// `GET [base]/AuditEvent?…`: newest first unless `_sort=date` (or `_lastUpdated`) asks for
/// the oldest first.
pub fn search(
    store: &Store,
    viewer: &Viewer,
    request: SearchRequest,
    now: OffsetDateTime,
) -> Result<Searched, FhirError> {
    admit(viewer, Action::Search, AUDIT_EVENT, &request.params)?;
    let query =
        search::parse(AUDIT_EVENT, &request.params, request.strict).map_err(FhirError::Search)?;
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let oldest_first = query.sort.first().is_some_and(|s| !s.descending);
    // Readers see every record queued before they asked.
    store.flush();
    let tx = store
        .database()
        .begin_read()
        .map_err(|e| internal(StoreError::from(e)))?;
    let table = tx
        .open_table(audit::AUDIT)
        .map_err(|e| internal(StoreError::from(e)))?;
    let mut ids = Vec::new();
    let mut page = HashMap::new();
    let first = query.offset;
    let last = query.offset.saturating_add(query.count);
    let rows = table.iter().map_err(|e| internal(StoreError::from(e)))?;
    let rows: Box<dyn Iterator<Item = _>> = if oldest_first {
        Box::new(rows)
    } else {
        Box::new(rows.rev())
    };
    for row in rows {
        let (key, value) = row.map_err(|e| internal(StoreError::from(e)))?;
        let key = key.value();
        let Ok(entry) = record::decode::<AuditEntry>(key, value.value()) else {
            continue;
        };
        if !visible(viewer, &entry) {
            continue;
        }
        let event = audit_event(key, &entry);
        if search::matches_at(&query, &event, now_ms) {
            if (first..last).contains(&ids.len()) {
                page.insert(
                    key.to_string(),
                    serde_json::to_vec(&event).unwrap_or_default(),
                );
            }
            ids.push(key.to_string());
        }
    }
    let source = |ty: &str, id: &str| -> Result<Option<Vec<u8>>, StoreError> {
        Ok((ty == AUDIT_EVENT).then(|| page.get(id).cloned()).flatten())
    };
    let page_links = Page {
        base: request.base,
        resource_type: AUDIT_EVENT,
        pairs: request.params,
    };
    let sees = |_: &str, _: &[u8]| true;
    let mut touched = Vec::new();
    let body = bundle::searchset(
        &source,
        &query,
        &ids,
        &page_links,
        now,
        &sees,
        &[],
        &mut touched,
    )
    .map_err(internal)?;
    Ok(Searched { body, touched })
}

/// Writes every entry, oldest first, as a FHIR AuditEvent per line (only `patient`'s when
/// given); returns how many.
pub fn write_ndjson(
    store: &Store,
    patient: Option<&str>,
    out: &mut impl std::io::Write,
) -> Result<u64, AuditExportError> {
    store.flush();
    let tx = store.database().begin_read().map_err(StoreError::from)?;
    let table = tx.open_table(audit::AUDIT).map_err(StoreError::from)?;
    let mut n = 0;
    for row in table.iter().map_err(StoreError::from)? {
        let (key, value) = row.map_err(StoreError::from)?;
        let entry: AuditEntry = record::decode(key.value(), value.value())?;
        if patient.is_some_and(|p| entry.record.patient.as_deref() != Some(p)) {
            continue;
        }
        let event = audit_event(key.value(), &entry);
        serde_json::to_writer(&mut *out, &event)?;
        out.write_all(b"\n")?;
        n += 1;
    }
    Ok(n)
}

#[derive(Debug, thiserror::Error)]
pub enum AuditExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write the audit trail: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot write the audit trail: {0}")]
    Json(#[from] serde_json::Error),
}
