//! FHIR vocabulary shared by the mapper, the checker and (later) the API.

pub mod codes;
pub mod id;
pub mod search;
