//! The patient compartment as this server enforces it: which resources belong to a patient,
//! and the search filter that keeps a patient-bound token inside its own data.
//!
//! Organization and Practitioner are shared directory data, not any patient's; Patient,
//! Coverage (beneficiary), ExplanationOfBenefit (patient) and RelatedPerson (patient) are.

use serde::de::{self, Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use super::search::query::{Condition, Filter, TokenValue};
use super::search::registry::search_param;
use super::search::values::{parse_reference, RefTarget};

/// The search parameter that ties a resource type to its patient.
fn patient_param(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "Patient" => Some("_id"),
        "ExplanationOfBenefit" | "RelatedPerson" | "Provenance" => Some("patient"),
        "Coverage" => Some("beneficiary"),
        _ => None,
    }
}

/// The patient a stored resource belongs to (None for shared directory data, or when it
/// names none).
pub fn owner(resource_type: &str, json: &[u8]) -> Option<String> {
    let key = match resource_type {
        "Patient" => return top_level_field(json, "id")?.as_str().map(str::to_string),
        "Coverage" => "beneficiary",
        "ExplanationOfBenefit" | "RelatedPerson" => "patient",
        _ => return None,
    };
    let target = parse_reference(top_level_field(json, key)?["reference"].as_str()?)?;
    (target
        .resource_type
        .as_deref()
        .is_none_or(|t| t == "Patient"))
    .then_some(target.id)
}

/// The `reference` of a top-level Reference member, or of the first one of a list.
pub fn first_reference(json: &[u8], key: &str) -> Option<String> {
    let value = top_level_field(json, key)?;
    let reference = match &value {
        Value::Array(items) => items.first()?.get("reference"),
        other => other.get("reference"),
    };
    reference.and_then(Value::as_str).map(str::to_string)
}

/// The Patient ids a Provenance targets (its compartment: a bulk export takes a Provenance
/// when one of them is exported).
pub fn provenance_patients(json: &[u8]) -> Vec<String> {
    let Some(Value::Array(targets)) = top_level_field(json, "target") else {
        return Vec::new();
    };
    targets
        .iter()
        .filter_map(|t| t["reference"].as_str().and_then(parse_reference))
        .filter(|t| t.resource_type.as_deref() == Some("Patient"))
        .map(|t| t.id)
        .collect()
}

/// Types of shared directory data (no patient's): a Provenance about only these is shared.
const DIRECTORY_TYPES: &[&str] = &["Organization", "Practitioner"];

/// A Provenance is `patient`'s when a target is that Patient, shared when every target is
/// directory data, and nobody's (hidden) otherwise: one that targets a claim without naming
/// the patient is never shown.
fn provenance_visible(json: &[u8], patient: &str) -> bool {
    let Some(Value::Array(targets)) = top_level_field(json, "target") else {
        return false;
    };
    let refs: Vec<_> = targets
        .iter()
        .filter_map(|t| t["reference"].as_str().and_then(parse_reference))
        .collect();
    let names_patient = refs
        .iter()
        .any(|t| t.id == patient && t.resource_type.as_deref() == Some("Patient"));
    let other_patient = refs
        .iter()
        .any(|t| t.resource_type.as_deref() == Some("Patient") && t.id != patient);
    if other_patient {
        return false;
    }
    names_patient
        || (!refs.is_empty()
            && refs.len() == targets.len()
            && refs.iter().all(|t| {
                t.resource_type
                    .as_deref()
                    .is_some_and(|ty| DIRECTORY_TYPES.contains(&ty))
            }))
}

/// The filter every search of `resource_type` gets for a token bound to `patient` (None for
/// types outside the compartment).
pub fn filter(resource_type: &str, patient: &str) -> Option<Filter> {
    let code = patient_param(resource_type)?;
    let param = search_param(resource_type, code)?;
    let condition = if code == "_id" {
        Condition::Token {
            values: vec![TokenValue::Code(patient.to_string())],
            negate: false,
        }
    } else {
        Condition::Reference(vec![RefTarget {
            resource_type: Some("Patient".into()),
            id: patient.to_string(),
        }])
    };
    Some(Filter { param, condition })
}

/// True when the stored resource may be shown to a token bound to `patient`.
pub fn visible_to(resource_type: &str, json: &[u8], patient: &str) -> bool {
    let key = match resource_type {
        "Provenance" => return provenance_visible(json, patient),
        "Patient" => "id",
        "Coverage" => "beneficiary",
        "ExplanationOfBenefit" | "RelatedPerson" => "patient",
        _ => return true,
    };
    let Some(value) = top_level_field(json, key) else {
        return false;
    };
    if key == "id" {
        return value.as_str() == Some(patient);
    }
    value["reference"]
        .as_str()
        .and_then(parse_reference)
        .is_some_and(|t| {
            t.id == patient && t.resource_type.as_deref().is_none_or(|ty| ty == "Patient")
        })
}

/// One top-level member of a JSON object, parsed properly but only up to that member: the
/// owner reference sits in the first kilobyte of a 10-20 kB EOB, and this check runs on every
/// read, so the rest is never tokenized.
fn top_level_field(json: &[u8], key: &str) -> Option<Value> {
    let mut found = None;
    let mut de = serde_json::Deserializer::from_slice(json);
    // Stopping early is reported by serde as an error; `found` says whether it was ours.
    let _ = de.deserialize_map(FieldVisitor {
        key,
        found: &mut found,
    });
    found
}

struct FieldVisitor<'a> {
    key: &'a str,
    found: &'a mut Option<Value>,
}

impl<'de> Visitor<'de> for FieldVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if k == self.key {
                *self.found = Some(map.next_value::<Value>()?);
                return Err(de::Error::custom("found"));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ownership_is_read_from_the_resource() {
        let eob = br#"{"resourceType":"ExplanationOfBenefit","id":"e1","patient":{"reference":"Patient/M00001"},"item":[{"x":1}]}"#;
        assert!(visible_to("ExplanationOfBenefit", eob, "M00001"));
        assert!(!visible_to("ExplanationOfBenefit", eob, "M00002"));
        assert!(!visible_to("ExplanationOfBenefit", eob, "M0000"));
        let cov = br#"{"resourceType":"Coverage","id":"c","beneficiary":{"reference":"Patient/M00002"},"subscriber":{"reference":"Patient/M00001"}}"#;
        assert!(visible_to("Coverage", cov, "M00002"));
        assert!(!visible_to("Coverage", cov, "M00001"));
        assert!(visible_to("Patient", br#"{"id":"M00001"}"#, "M00001"));
        assert!(!visible_to("Patient", br#"{"id":"M00002"}"#, "M00001"));
        assert!(visible_to("Organization", br#"{"id":"o"}"#, "M00001"));
        assert!(
            !visible_to("RelatedPerson", br#"{"id":"r"}"#, "M00001"),
            "no patient: hidden"
        );
        assert!(!visible_to("ExplanationOfBenefit", b"not json", "M00001"));
    }

    #[test]
    fn every_compartment_type_has_a_filter() {
        for ty in [
            "Patient",
            "Coverage",
            "ExplanationOfBenefit",
            "RelatedPerson",
        ] {
            assert!(filter(ty, "M00001").is_some(), "{ty}");
        }
        assert!(filter("Organization", "M00001").is_none());
    }
}
