//! The patient compartment as this server enforces it: which resources belong to a patient,
//! and the search filter that keeps a patient-bound token inside its own data.
//!
//! Organization and Practitioner are shared directory data, not any patient's; Patient,
//! Coverage (beneficiary), ExplanationOfBenefit (patient) and RelatedPerson (patient) are.

use serde::Deserialize;

use super::search::query::{Condition, Filter, TokenValue};
use super::search::registry::search_param;
use super::search::values::{parse_reference, RefTarget};

/// The search parameter that ties a resource type to its patient.
fn patient_param(resource_type: &str) -> Option<&'static str> {
    match resource_type {
        "Patient" => Some("_id"),
        "ExplanationOfBenefit" | "RelatedPerson" => Some("patient"),
        "Coverage" => Some("beneficiary"),
        _ => None,
    }
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

#[derive(Deserialize)]
struct Reference {
    reference: Option<String>,
}

/// Only the fields that say whose a resource is; serde skips the rest without building it.
#[derive(Deserialize)]
struct Owner {
    id: Option<String>,
    patient: Option<Reference>,
    beneficiary: Option<Reference>,
}

/// True when the stored resource may be shown to a token bound to `patient`.
pub fn visible_to(resource_type: &str, json: &[u8], patient: &str) -> bool {
    if patient_param(resource_type).is_none() {
        return true;
    }
    let Ok(owner) = serde_json::from_slice::<Owner>(json) else {
        return false;
    };
    let refers_to_patient = |r: Option<Reference>| {
        r.and_then(|r| r.reference)
            .and_then(|s| parse_reference(&s))
            .is_some_and(|t| {
                t.id == patient && t.resource_type.as_deref().is_none_or(|ty| ty == "Patient")
            })
    };
    match resource_type {
        "Patient" => owner.id.as_deref() == Some(patient),
        "Coverage" => refers_to_patient(owner.beneficiary),
        _ => refers_to_patient(owner.patient),
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
