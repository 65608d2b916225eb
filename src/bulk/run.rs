//! Running one export: a read snapshot of the store, each type's resources streamed (one
//! decompressed resource in memory at a time) through the job's filters into NDJSON files
//! `<Type>-<n>.ndjson`, a new file every `file_max_resources` lines.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::job::{Job, Level, OutputFile};
use super::BulkError;
use crate::fhir::compartment;
use crate::fhir::search::{self, SearchQuery};
use crate::store::{ReadTx, StoreError};

/// Bytes buffered per open file before they go to the disk.
const WRITE_BUFFER: usize = 1 << 20;

/// Resources between two progress reports (which also look for a cancellation).
pub const PROGRESS_EVERY: u64 = 2_000;

/// What the worker learns at each progress report: go on, or stop (the job was cancelled).
pub enum Go {
    On,
    Stop,
}

/// Why an export stopped before the end.
pub enum Stopped {
    Cancelled,
    Failed(BulkError),
}

impl From<BulkError> for Stopped {
    fn from(e: BulkError) -> Self {
        Stopped::Failed(e)
    }
}

impl From<StoreError> for Stopped {
    fn from(e: StoreError) -> Self {
        Stopped::Failed(BulkError::Store(e))
    }
}

/// Which patients' compartments an export covers.
enum Members {
    /// Every resource (system export).
    Everything,
    /// Every patient's compartment (`Patient/$export`).
    AllPatients,
    /// These patients' (a Group's members).
    Only(HashSet<String>),
}

impl Members {
    fn has(&self, patient: &str) -> bool {
        match self {
            Members::Everything | Members::AllPatients => true,
            Members::Only(set) => set.contains(patient),
        }
    }
}

/// Types outside any patient's compartment: exported whole at system level, and for patient
/// and group exports only as far as the exported resources reference them.
const DIRECTORY_TYPES: &[&str] = &["Organization", "Practitioner"];

/// Runs `job` against the snapshot `read` into `dir`. `report(written)` is called every
/// [`PROGRESS_EVERY`] resources.
pub fn export(
    read: &ReadTx,
    job: &Job,
    members: Option<HashSet<String>>,
    dir: &Path,
    file_max_resources: u64,
    now_ms: i64,
    report: &mut dyn FnMut(u64) -> Result<Go, BulkError>,
) -> Result<Vec<OutputFile>, Stopped> {
    let members = match (&job.level, members) {
        (Level::System, _) => Members::Everything,
        (Level::Patient, _) => Members::AllPatients,
        (Level::Group(_), Some(set)) => Members::Only(set),
        (Level::Group(id), None) => return Err(BulkError::UnknownGroup(id.clone()).into()),
    };
    let filters = type_filters(&job.type_filters)?;
    std::fs::create_dir_all(dir).map_err(|e| BulkError::io(dir, e))?;
    let mut files = Vec::new();
    let mut written = 0u64;
    // Directory resources the exported patient data references (patient and group exports).
    let mut referenced: HashSet<String> = HashSet::new();
    for ty in &job.types {
        let mut out = Splitter::new(dir, ty, file_max_resources);
        let wanted: Vec<&SearchQuery> = filters
            .iter()
            .filter(|q| q.resource_type == ty.as_str())
            .collect();
        let mut stop = None;
        read.for_each(ty, |id, json| {
            if stop.is_some() {
                return Ok(());
            }
            if !selected(ty, id, json, &members, &referenced)
                || !changed_since(json, job.since_nanos)
                || !passes(&wanted, json, now_ms)
            {
                return Ok(());
            }
            if !matches!(members, Members::Everything) {
                collect_directory_refs(json, &mut referenced);
            }
            if let Err(e) = out.write(json) {
                stop = Some(Stopped::Failed(e));
                return Ok(());
            }
            written += 1;
            if written % PROGRESS_EVERY == 0 {
                match report(written) {
                    Ok(Go::On) => {}
                    Ok(Go::Stop) => stop = Some(Stopped::Cancelled),
                    Err(e) => stop = Some(Stopped::Failed(e)),
                }
            }
            Ok(())
        })?;
        if let Some(stopped) = stop {
            return Err(stopped);
        }
        files.extend(out.finish()?);
    }
    report(written)?;
    Ok(files)
}

/// True when the resource belongs to the export's patients (or is directory data they use).
fn selected(
    ty: &str,
    id: &str,
    json: &[u8],
    members: &Members,
    referenced: &HashSet<String>,
) -> bool {
    if matches!(members, Members::Everything) {
        return true;
    }
    if DIRECTORY_TYPES.contains(&ty) {
        return referenced.contains(&format!("{ty}/{id}"));
    }
    if ty == "Provenance" {
        return compartment::provenance_patients(json)
            .iter()
            .any(|p| members.has(p));
    }
    compartment::owner(ty, json).is_some_and(|p| members.has(&p))
}

/// `_since`: changed after that instant (`meta.lastUpdated`); a resource without one is kept.
fn changed_since(json: &[u8], since_nanos: Option<i128>) -> bool {
    let Some(since) = since_nanos else {
        return true;
    };
    crate::store::version_and_last_updated(json)
        .and_then(|(_, at)| instant_nanos(&at))
        .is_none_or(|at| at > since)
}

/// A FHIR instant as unix nanoseconds.
pub fn instant_nanos(instant: &str) -> Option<i128> {
    time::OffsetDateTime::parse(instant, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(time::OffsetDateTime::unix_timestamp_nanos)
}

/// `_typeFilter` searches of this type are ORed; a type without any passes.
fn passes(queries: &[&SearchQuery], json: &[u8], now_ms: i64) -> bool {
    if queries.is_empty() {
        return true;
    }
    let Ok(resource) = serde_json::from_slice::<Value>(json) else {
        return false;
    };
    queries
        .iter()
        .any(|q| search::matches_at(q, &resource, now_ms))
}

/// Parses `_typeFilter` values (`Type?query`) with the search registry.
pub fn type_filters(values: &[String]) -> Result<Vec<SearchQuery>, BulkError> {
    values.iter().map(|v| type_filter(v)).collect()
}

/// One `_typeFilter` search, checked: a known type and parameters it has.
pub fn type_filter(value: &str) -> Result<SearchQuery, BulkError> {
    let bad = |why: String| BulkError::BadTypeFilter {
        value: value.to_string(),
        why,
    };
    let (ty, query) = value
        .split_once('?')
        .ok_or_else(|| bad("expected Type?search".into()))?;
    let ty = super::EXPORT_ORDER
        .iter()
        .find(|t| **t == ty)
        .ok_or_else(|| bad(format!("{ty} is not an exported type")))?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|e| bad(format!("the query is not well formed: {e}")))?;
    if let Some((k, _)) = pairs
        .iter()
        .find(|(k, _)| k.starts_with("_include") || k.starts_with("_revinclude") || k == "_sort")
    {
        return Err(bad(format!("{k} may not be used in _typeFilter")));
    }
    search::parse(ty, &pairs, true).map_err(|e| bad(e.message))
}

/// Adds every `Organization/…` and `Practitioner/…` reference in `json` to `out` (a byte scan:
/// references sit at many depths of an EOB, and their spelling is fixed by the mapper).
fn collect_directory_refs(json: &[u8], out: &mut HashSet<String>) {
    const KEY: &str = "\"reference\":\"";
    let Ok(mut rest) = std::str::from_utf8(json) else {
        return;
    };
    while let Some(at) = rest.find(KEY) {
        rest = &rest[at + KEY.len()..];
        let end = rest.find('"').unwrap_or(rest.len());
        let reference = &rest[..end];
        if DIRECTORY_TYPES.iter().any(|t| {
            reference
                .strip_prefix(t)
                .is_some_and(|r| r.starts_with('/'))
        }) && !out.contains(reference)
        {
            out.insert(reference.to_string());
        }
        rest = &rest[end..];
    }
}

/// One type's output, split into files of at most `max` resources.
struct Splitter<'a> {
    dir: &'a Path,
    ty: &'a str,
    max: u64,
    current: Option<(PathBuf, BufWriter<File>, u64)>,
    done: Vec<OutputFile>,
}

impl<'a> Splitter<'a> {
    fn new(dir: &'a Path, ty: &'a str, max: u64) -> Self {
        Self {
            dir,
            ty,
            max: max.max(1),
            current: None,
            done: Vec::new(),
        }
    }

    fn write(&mut self, json: &[u8]) -> Result<(), BulkError> {
        if self
            .current
            .as_ref()
            .is_some_and(|(_, _, n)| *n >= self.max)
        {
            self.close()?;
        }
        if self.current.is_none() {
            let name = format!("{}-{}.ndjson", self.ty, self.done.len() + 1);
            let path = self.dir.join(name);
            let file = File::create(&path).map_err(|e| BulkError::io(&path, e))?;
            self.current = Some((path, BufWriter::with_capacity(WRITE_BUFFER, file), 0));
        }
        if let Some((path, w, n)) = self.current.as_mut() {
            w.write_all(json)
                .and_then(|()| w.write_all(b"\n"))
                .map_err(|e| BulkError::io(path, e))?;
            *n += 1;
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), BulkError> {
        if let Some((path, mut w, count)) = self.current.take() {
            w.flush().map_err(|e| BulkError::io(&path, e))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.done.push(OutputFile {
                resource_type: self.ty.to_string(),
                name,
                count,
            });
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<OutputFile>, BulkError> {
        self.close()?;
        Ok(self.done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_references_are_found_at_any_depth() {
        let mut out = HashSet::new();
        collect_directory_refs(
            br#"{"provider":{"reference":"Organization/o1"},"careTeam":[{"provider":{"reference":"Practitioner/p1"}}],"patient":{"reference":"Patient/M1"},"x":{"reference":"OrganizationX/z"}}"#,
            &mut out,
        );
        let mut found: Vec<_> = out.into_iter().collect();
        found.sort();
        assert_eq!(found, ["Organization/o1", "Practitioner/p1"]);
    }

    #[test]
    fn since_compares_instants_not_strings() {
        let json = br#"{"resourceType":"Patient","id":"p","meta":{"versionId":"1","lastUpdated":"2026-01-02T03:04:05.000+00:00"}}"#;
        let at = |s: &str| instant_nanos(s);
        assert!(changed_since(json, at("2026-01-02T03:04:04+00:00")));
        assert!(!changed_since(json, at("2026-01-02T03:04:05Z")));
        // 04:04:05+01:00 is 03:04:05Z: not after.
        assert!(!changed_since(json, at("2026-01-02T04:04:05+01:00")));
        assert!(changed_since(json, at("2026-01-02T04:04:04+01:00")));
        assert!(changed_since(json, None));
    }

    #[test]
    fn type_filters_are_checked() {
        assert!(type_filter("ExplanationOfBenefit?type=pharmacy").is_ok());
        assert!(type_filter("ExplanationOfBenefit").is_err());
        assert!(type_filter("Nope?x=1").is_err());
        assert!(type_filter("ExplanationOfBenefit?not-a-param=1").is_err());
        assert!(type_filter("ExplanationOfBenefit?_include=ExplanationOfBenefit:patient").is_err());
    }
}
