//! FHIR vocabulary shared by the mapper, the checker, the authorization server and the API
//! (`crate::api`), and the searchset Bundles it answers with ([`bundle`]).

pub mod bundle;
pub mod codes;
pub mod compartment;
pub mod datetime;
pub mod display;
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
