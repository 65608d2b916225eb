//! The C4BB 2.0.0 profiles the sandbox claims in `meta.profile`, embedded for
//! `push --with-definitions`: StructureDefinitions as published, without `snapshot` and `text`
//! (`definitions/README.md`). A profile comes after the profile it is derived from.

/// `(id, StructureDefinition JSON)`.
pub const PROFILES: &[(&str, &[u8])] = &[
    (
        "C4BB-ExplanationOfBenefit",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-ExplanationOfBenefit.json"),
    ),
    (
        "C4BB-ExplanationOfBenefit-Inpatient-Institutional",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-ExplanationOfBenefit-Inpatient-Institutional.json"),
    ),
    (
        "C4BB-ExplanationOfBenefit-Outpatient-Institutional",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-ExplanationOfBenefit-Outpatient-Institutional.json"),
    ),
    (
        "C4BB-ExplanationOfBenefit-Professional-NonClinician",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-ExplanationOfBenefit-Professional-NonClinician.json"),
    ),
    (
        "C4BB-ExplanationOfBenefit-Oral",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-ExplanationOfBenefit-Oral.json"),
    ),
    (
        "C4BB-ExplanationOfBenefit-Pharmacy",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-ExplanationOfBenefit-Pharmacy.json"),
    ),
    (
        "C4BB-Coverage",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-Coverage.json"),
    ),
    (
        "C4BB-Organization",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-Organization.json"),
    ),
    (
        "C4BB-Patient",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-Patient.json"),
    ),
    (
        "C4BB-Practitioner",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-Practitioner.json"),
    ),
    (
        "C4BB-RelatedPerson",
        include_bytes!("../../definitions/c4bb-2.0.0/StructureDefinition-C4BB-RelatedPerson.json"),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::codes;
    use serde_json::Value;

    #[test]
    fn profiles_are_the_claimed_ones_bases_first() {
        let claimed = [
            codes::profile::PATIENT,
            codes::profile::COVERAGE,
            codes::profile::ORGANIZATION,
            codes::profile::PRACTITIONER,
            codes::profile::RELATED_PERSON,
            codes::profile::EOB_INPATIENT,
            codes::profile::EOB_OUTPATIENT,
            codes::profile::EOB_PROFESSIONAL,
            codes::profile::EOB_ORAL,
            codes::profile::EOB_PHARMACY,
        ];
        let mut seen: Vec<String> = Vec::new();
        for (id, bytes) in PROFILES {
            let sd: Value = serde_json::from_slice(bytes).unwrap();
            assert_eq!(sd["resourceType"], "StructureDefinition");
            assert_eq!(sd["id"], *id);
            assert_eq!(sd["version"], "2.0.0");
            assert!(sd.get("snapshot").is_none() && sd["differential"]["element"].is_array());
            let url = sd["url"].as_str().unwrap().to_string();
            let base = sd["baseDefinition"].as_str().unwrap();
            if base.contains("/carin-bb/") {
                assert!(
                    seen.iter().any(|s| s == base),
                    "{id} before its base {base}"
                );
            }
            seen.push(url);
        }
        for c in claimed {
            let unversioned = c.split('|').next().unwrap();
            assert!(seen.iter().any(|s| s == unversioned), "{c} is not embedded");
        }
    }
}
