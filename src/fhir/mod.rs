//! FHIR vocabulary shared by the mapper, the checker, the authorization server and the API
//! (`crate::api`), and the searchset Bundles it answers with ([`bundle`]).

pub mod audit_event;
pub mod bundle;
pub mod codes;
pub mod compartment;
pub mod datetime;
pub mod display;
pub mod error;
pub mod id;
pub mod provenance;
pub mod search;

/// The resource types this server holds and serves.
pub const RESOURCE_TYPES: &[&str] = &[
    "Patient",
    "Coverage",
    "Organization",
    "Practitioner",
    "RelatedPerson",
    "ExplanationOfBenefit",
    "Provenance",
];

/// Every type the FHIR API answers and scopes can name: the stored resources, and the
/// AuditEvents the audit trail is served as.
pub const SERVED_TYPES: &[&str] = &[
    "Patient",
    "Coverage",
    "Organization",
    "Practitioner",
    "RelatedPerson",
    "ExplanationOfBenefit",
    "Provenance",
    "AuditEvent",
];
