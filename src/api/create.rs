//! `POST [base]/Provenance`: a client asserts where data came from. The body must be a FHIR R4
//! Provenance that passes the checker (`validate`), every target must be a resource the caller
//! can see (another patient's is as unknown as a missing one), and the record is stored as a
//! new resource with its own id and version 1, in one write transaction, then indexed. A
//! patient-bound token's Provenance always names its Patient among the targets (added when
//! missing), which is what puts it in that patient's compartment.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{admit, internal, Action, StoredResource, Viewer};
use crate::fhir::error::FhirError;
use crate::fhir::search::values::parse_reference;
use crate::index::{SearchIndex, Written};
use crate::store::{PreparedResource, ResourceWriter, Store};

pub const PROVENANCE: &str = "Provenance";

/// Stores the Provenance in `body`; its id and the stored resource.
pub fn create_provenance(
    store: &Store,
    index: &SearchIndex,
    viewer: &Viewer,
    body: &[u8],
    now: OffsetDateTime,
) -> Result<(String, StoredResource), FhirError> {
    admit(viewer, Action::Create, PROVENANCE, &[])?;
    let Ok(Value::Object(mut resource)) = serde_json::from_slice::<Value>(body) else {
        return Err(FhirError::Invalid(
            "the body is not a JSON object (a FHIR R4 Provenance)".into(),
        ));
    };
    if resource.get("resourceType").and_then(Value::as_str) != Some(PROVENANCE) {
        return Err(FhirError::Invalid(
            "resourceType must be Provenance at this URL".into(),
        ));
    }
    let read = store.read().map_err(internal)?;
    let mut targets = resource
        .get("target")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for target in &targets {
        let reference = target["reference"].as_str().unwrap_or_default();
        let seen = parse_reference(reference)
            .and_then(|t| Some((t.resource_type?, t.id)))
            .map(|(ty, id)| {
                read.get(&ty, &id)
                    .map(|j| j.filter(|j| viewer.sees(&ty, j)))
            })
            .transpose()
            .map_err(internal)?
            .flatten();
        if seen.is_none() {
            return Err(FhirError::Unprocessable(format!(
                "target {reference:?} is not a resource you can see (targets are Type/id \
                 references to resources of this server)"
            )));
        }
    }
    if let Some(patient) = viewer.patient() {
        let me = format!("Patient/{patient}");
        let names_me = targets.iter().any(|t| {
            t["reference"]
                .as_str()
                .and_then(parse_reference)
                .is_some_and(|r| r.id == patient && r.resource_type.as_deref() == Some("Patient"))
        });
        if !names_me && !targets.is_empty() {
            targets.push(serde_json::json!({ "reference": me }));
            resource.insert("target".into(), Value::Array(targets));
        }
    }
    // The server names and versions it: whatever id and meta came in are replaced.
    let stamp = now.unix_timestamp_nanos();
    let digest = blake3::hash(&[body, &stamp.to_be_bytes()].concat()).to_hex();
    let id = format!("asserted-{}", &digest[..24]);
    let mut ordered = Map::new();
    ordered.insert("resourceType".into(), Value::from(PROVENANCE));
    ordered.insert("id".into(), Value::from(id.clone()));
    for (k, v) in resource {
        if !matches!(k.as_str(), "resourceType" | "id" | "meta") {
            ordered.insert(k, v);
        }
    }
    let value = Value::Object(ordered);
    let issues = crate::validate::validate_resource(&value);
    if crate::validate::has_errors(&issues) {
        let errors: Vec<String> = issues
            .iter()
            .filter(|i| i.severity == crate::validate::Severity::Error)
            .map(ToString::to_string)
            .collect();
        return Err(FhirError::Unprocessable(format!(
            "the Provenance is not valid: {}",
            errors.join("; ")
        )));
    }
    let bytes = serde_json::to_vec(&value).map_err(internal)?;
    let mut prefix = Vec::new();
    prefix.extend_from_slice(br#"{"resourceType":"Provenance","id":"#);
    crate::json::write_str(&mut prefix, &id);
    let last_updated = crate::clock::fhir_instant(now);
    let tx = store.begin_write().map_err(internal)?;
    let generations = {
        let mut writer = ResourceWriter::new(&tx).map_err(internal)?;
        writer
            .upsert(
                &PreparedResource {
                    resource_type: PROVENANCE,
                    id: &id,
                    body: &bytes,
                    meta_at: prefix.len(),
                    profiles: &["http://hl7.org/fhir/StructureDefinition/Provenance"],
                },
                &last_updated,
            )
            .map_err(internal)?;
        writer.generations()
    };
    tx.commit().map_err(internal)?;
    let keys = [format!("{PROVENANCE}/{id}")];
    let written = Written {
        from: generations.0,
        to: generations.1,
        keys: &keys,
    };
    index.catch_up(store, Some(&written)).map_err(internal)?;
    let stored = store
        .read()
        .map_err(internal)?
        .get(PROVENANCE, &id)
        .map_err(internal)?
        .ok_or_else(|| internal("the Provenance just written is not there"))?;
    Ok((id, StoredResource::new(stored)))
}
