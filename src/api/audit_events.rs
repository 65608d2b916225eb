//! `AuditEvent` read and search, over the audit trail itself (bounded by its retention, so a
//! scan is bounded too): each entry becomes an AuditEvent (`fhir::audit_event`) and the query
//! is evaluated on it with the exact FHIR semantics (`fhir::search::matches_at`). A
//! patient-bound token sees its own patient's events only; everything else does not exist.

use std::collections::{BTreeSet, HashMap};

use redb::{ReadableDatabase, ReadableTable};
use time::OffsetDateTime;

use super::{admit, internal, not_found, Action, SearchRequest, Searched, StoredResource, Viewer};
use crate::audit::{self, AuditEntry};
use crate::fhir::audit_event::audit_event;
use crate::fhir::bundle::{self, Page};
use crate::fhir::error::FhirError;
use crate::fhir::search::{self, Condition, DateBounds, SearchQuery};
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
    let mut matches = Matches {
        viewer,
        query: &query,
        now_ms,
        first: query.offset,
        last: query.offset.saturating_add(query.count),
        ids: Vec::new(),
        page: HashMap::new(),
    };
    let (from, to) = date_window(&query, now_ms);
    if from <= to {
        match patient_scope(viewer, &query) {
            // One patient's (or a few patients') events: range scans of the patient index,
            // then a point read per candidate.
            Some(patients) => {
                let mut keys = BTreeSet::new();
                for patient in &patients {
                    keys.extend(audit::patient_keys(&tx, patient, from, to).map_err(internal)?);
                }
                let keys: Box<dyn Iterator<Item = &String>> = if oldest_first {
                    Box::new(keys.iter())
                } else {
                    Box::new(keys.iter().rev())
                };
                for key in keys {
                    let value = table
                        .get(key.as_str())
                        .map_err(|e| internal(StoreError::from(e)))?;
                    if let Some(value) = value {
                        matches.consider(key, value.value());
                    }
                }
            }
            // Anyone's events (the open API, no `patient`): a range scan of the trail by time.
            None => {
                let (lo, hi) = (audit::time_key(from), audit::time_key(to.saturating_add(1)));
                let rows = table
                    .range(lo.as_str()..hi.as_str())
                    .map_err(|e| internal(StoreError::from(e)))?;
                let rows: Box<dyn Iterator<Item = _>> = if oldest_first {
                    Box::new(rows)
                } else {
                    Box::new(rows.rev())
                };
                for row in rows {
                    let (key, value) = row.map_err(|e| internal(StoreError::from(e)))?;
                    matches.consider(key.value(), value.value());
                }
            }
        }
    }
    let Matches { ids, page, .. } = matches;
    let source = |ty: &str, id: &str| -> Result<Option<crate::store::Cached>, StoreError> {
        Ok((ty == AUDIT_EVENT)
            .then(|| page.get(id).cloned())
            .flatten()
            .map(|json| crate::store::Cached::uncached(json.into())))
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

/// The matches of a search so far: every id (for the total and paging) and the page's bodies.
struct Matches<'a> {
    viewer: &'a Viewer,
    query: &'a SearchQuery,
    now_ms: i64,
    first: usize,
    last: usize,
    ids: Vec<String>,
    page: HashMap<String, Vec<u8>>,
}

impl Matches<'_> {
    /// Evaluates the entry stored under `key` (skipped when it does not read, or the viewer
    /// may not see it).
    fn consider(&mut self, key: &str, value: &[u8]) {
        let Ok(entry) = record::decode::<AuditEntry>(key, value) else {
            return;
        };
        if !visible(self.viewer, &entry) {
            return;
        }
        let event = audit_event(key, &entry);
        if search::matches_at(self.query, &event, self.now_ms) {
            if (self.first..self.last).contains(&self.ids.len()) {
                self.page.insert(
                    key.to_string(),
                    serde_json::to_vec(&event).unwrap_or_default(),
                );
            }
            self.ids.push(key.to_string());
        }
    }
}

/// The patients whose index rows hold every possible match: the token's patient, else the
/// `patient` parameter's (the first one, when repeated: a superset of an AND); `None` when the
/// search may match anyone's events.
fn patient_scope(viewer: &Viewer, query: &SearchQuery) -> Option<Vec<String>> {
    if let Some(patient) = viewer.patient() {
        return Some(vec![patient.to_string()]);
    }
    query
        .filters
        .iter()
        .find_map(|filter| match &filter.condition {
            Condition::Reference(targets) if filter.param.code == "patient" => Some(
                targets
                    .iter()
                    .filter(|t| t.resource_type.as_deref().is_none_or(|ty| ty == "Patient"))
                    .map(|t| t.id.clone())
                    .collect(),
            ),
            _ => None,
        })
}

/// The Unix seconds (both included) within which every match of the `date` filters was
/// recorded: a superset (a second wider each side), the exact test is `matches_at`'s.
fn date_window(query: &SearchQuery, now_ms: i64) -> (i64, i64) {
    let (mut from_ms, mut to_ms) = (i64::MIN, i64::MAX);
    for filter in &query.filters {
        let Condition::Date(values) = &filter.condition else {
            continue;
        };
        if filter.param.code != "date" {
            continue;
        }
        // Comma values are ORed: the union of their windows.
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for value in values {
            let bounds = DateBounds::for_param(value, now_ms);
            // `recorded` is one instant: its range starts and ends within the same second.
            let start = [bounds.lo.map(|b| b.0), bounds.hi.map(|b| b.0)]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(i64::MIN);
            let end = [bounds.lo.map(|b| b.1), bounds.hi.map(|b| b.1)]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(i64::MAX);
            lo = lo.min(start);
            hi = hi.max(end);
        }
        // Repeated parameters are ANDed: the intersection.
        from_ms = from_ms.max(lo);
        to_ms = to_ms.min(hi);
    }
    let secs = |ms: i64, widen: i64| ms.div_euclid(1000).saturating_add(widen);
    (secs(from_ms, -1), secs(to_ms, 1))
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

#[cfg(test)]
#[path = "audit_events_tests.rs"]
mod tests;
