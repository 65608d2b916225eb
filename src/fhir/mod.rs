//! FHIR vocabulary shared by the mapper, the checker and (later) the API.

pub mod codes;
pub mod compartment;
pub mod error;
pub mod id;
pub mod search;

/// The resource types this server holds and serves.
pub const RESOURCE_TYPES: &[&str] = &[
    "Patient",
    "Coverage",
    "Organization",
    "Practitioner",
    "RelatedPerson",
    "ExplanationOfBenefit",
];
