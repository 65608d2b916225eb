//! FHIR vocabulary shared by the mapper, the checker and the API, and the API itself ([`api`]:
//! read, vread, search as plain functions; [`bundle`]: searchset Bundles).

pub mod api;
pub mod bundle;
pub mod codes;
pub mod compartment;
pub mod datetime;
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
