//! Provenance of imported data (US Core Provenance, as PDex asks of a payer): one record per
//! import and beneficiary (and one for the shared directory data), naming every resource
//! version that import wrote as a target (R4 allows 1..* targets, so a beneficiary's
//! claims cost one record, not one each), the import time as `recorded`, the payer
//! Organization as transmitter and the CPCDS files it came from as source entities.

use serde_json::{json, Value};

/// US Core Provenance (6.1.0: the version CARIN BB 2.x and PDex 2.1 build on).
pub const US_CORE_PROVENANCE: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-provenance|6.1.0";
/// US Core's participant type code system (the transmitter slice's pattern).
pub const US_CORE_PARTICIPANT: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type";
/// PDex's "where did the payer get it" extension on `entity`.
const PDEX_SOURCE_FROM: &str =
    "http://hl7.org/fhir/us/davinci-pdex/StructureDefinition/ProvenanceSourceFrom";
const PDEX_SOURCE_SYSTEM: &str =
    "http://hl7.org/fhir/us/davinci-pdex/CodeSystem/ProvenancePayerDataSource";

/// What one import wrote for one beneficiary (or for the directory).
#[derive(Debug, Default, Clone)]
pub struct ImportProvenance {
    /// `Type/id/_history/v` of every resource version written.
    pub targets: Vec<String>,
    /// The CPCDS files they came from (file names, not paths).
    pub files: Vec<String>,
    /// `Organization/…` of the payer, when the import named one.
    pub payer: Option<String>,
}

/// The Provenance resource (without `meta`: the store adds it) for `p`, recorded at `recorded`.
pub fn import_provenance(id: &str, p: &ImportProvenance, recorded: &str) -> Value {
    let who = match &p.payer {
        Some(reference) => json!({"reference": reference}),
        None => json!({"display": "The health plan (CPCDS import)"}),
    };
    let entities: Vec<Value> = p
        .files
        .iter()
        .map(|file| {
            json!({
                "extension": [{
                    "url": PDEX_SOURCE_FROM,
                    "valueCodeableConcept": {"coding": [{
                        "system": PDEX_SOURCE_SYSTEM,
                        "code": "other",
                        "display": "Other"
                    }], "text": "CPCDS (Common Payer Consumer Data Set) CSV"},
                }],
                "role": "source",
                "what": {"display": format!("CPCDS file {file}")},
            })
        })
        .collect();
    let mut out = json!({
        "resourceType": "Provenance",
        "id": id,
        "target": p.targets.iter().map(|t| json!({"reference": t})).collect::<Vec<_>>(),
        "recorded": recorded,
        "activity": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation",
            "code": "CREATE",
            "display": "create"
        }]},
        "agent": [{
            "type": {"coding": [{
                "system": US_CORE_PARTICIPANT,
                "code": "transmitter",
                "display": "Transmitter"
            }]},
            "who": who,
        }],
    });
    if !entities.is_empty() {
        out["entity"] = Value::Array(entities);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_import_provenance_names_its_targets_and_transmitter() {
        let p = ImportProvenance {
            targets: vec![
                "Patient/M1/_history/1".into(),
                "ExplanationOfBenefit/e1/_history/2".into(),
            ],
            files: vec!["CPCDS_Claims.csv".into()],
            payer: Some("Organization/payer".into()),
        };
        let v = import_provenance("imp-1-M1", &p, "2026-01-01T00:00:00Z");
        assert_eq!(
            v["target"][1]["reference"],
            "ExplanationOfBenefit/e1/_history/2"
        );
        assert_eq!(v["agent"][0]["type"]["coding"][0]["code"], "transmitter");
    }
}
