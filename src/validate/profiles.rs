//! The ten concrete C4BB 2.0.0 profiles this checker knows, and how they are named.

/// Canonical base of every C4BB StructureDefinition.
pub const SD_BASE: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/";

/// Canonical of the abstract base EOB profile (never valid on its own in `meta.profile`).
pub const ABSTRACT_EOB: &str =
    "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit";

/// Which C4BB profile a resource claims (from meta.profile), e.g. Profile::EobPharmacy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Profile {
    Patient,
    Coverage,
    Organization,
    Practitioner,
    RelatedPerson,
    EobInpatient,
    EobOutpatient,
    EobProfessional,
    EobOral,
    EobPharmacy,
}

const ALL: [Profile; 10] = [
    Profile::Patient,
    Profile::Coverage,
    Profile::Organization,
    Profile::Practitioner,
    Profile::RelatedPerson,
    Profile::EobInpatient,
    Profile::EobOutpatient,
    Profile::EobProfessional,
    Profile::EobOral,
    Profile::EobPharmacy,
];

impl Profile {
    /// Full canonical URL without version.
    pub fn canonical(self) -> &'static str {
        match self {
            Profile::Patient => "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient",
            Profile::Coverage => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage"
            }
            Profile::Organization => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization"
            }
            Profile::Practitioner => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner"
            }
            Profile::RelatedPerson => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-RelatedPerson"
            }
            Profile::EobInpatient => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional"
            }
            Profile::EobOutpatient => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Outpatient-Institutional"
            }
            Profile::EobProfessional => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician"
            }
            Profile::EobOral => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Oral"
            }
            Profile::EobPharmacy => {
                "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy"
            }
        }
    }

    /// StructureDefinition id, e.g. "C4BB-ExplanationOfBenefit-Pharmacy".
    pub fn name(self) -> &'static str {
        self.canonical().trim_start_matches(SD_BASE)
    }

    /// All ten concrete profiles.
    pub fn all() -> &'static [Profile] {
        &ALL
    }

    /// The FHIR resource type the profile constrains.
    pub fn resource_type(self) -> &'static str {
        match self {
            Profile::Patient => "Patient",
            Profile::Coverage => "Coverage",
            Profile::Organization => "Organization",
            Profile::Practitioner => "Practitioner",
            Profile::RelatedPerson => "RelatedPerson",
            _ => "ExplanationOfBenefit",
        }
    }

    /// True for the five concrete ExplanationOfBenefit profiles.
    pub fn is_eob(self) -> bool {
        self.resource_type() == "ExplanationOfBenefit"
    }

    /// True for the two institutional EOB profiles.
    pub fn is_institutional(self) -> bool {
        matches!(self, Profile::EobInpatient | Profile::EobOutpatient)
    }

    /// Key of the profile's error-level `meta.profile` version invariant (2.0.0 StructureDefinitions).
    pub fn version_rule(self) -> &'static str {
        match self {
            Profile::Patient => "patient-meta-profile-version",
            Profile::Coverage => "coverage-meta-profile-version",
            Profile::Organization => "organization-meta-profile-version",
            Profile::Practitioner => "practitioner-meta-profile-version",
            Profile::RelatedPerson => "relatedperson-meta-profile-version",
            Profile::EobInpatient => "EOB-institutional-inpatient-meta-profile-version",
            Profile::EobOutpatient => "EOB-institutional-outpatient-meta-profile-version",
            Profile::EobProfessional => "EOB-professional-nonclinician-meta-profile-version",
            Profile::EobOral => "EOB-oral-meta-profile-version",
            Profile::EobPharmacy => "EOB-pharmacy-meta-profile-version",
        }
    }

    /// Parse a `meta.profile` entry (with or without `|version`) into a concrete profile.
    pub fn from_canonical(url: &str) -> Option<Profile> {
        let bare = url.split('|').next().unwrap_or(url);
        ALL.iter().copied().find(|p| p.canonical() == bare)
    }
}

impl std::fmt::Display for Profile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
