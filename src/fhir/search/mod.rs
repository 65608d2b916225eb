//! FHIR R4 search for the CARIN Blue Button 2.0.0 resources: pure, synchronous, no I/O.
//!
//! * [`registry`] — the one table of supported resource types, search parameters, `_include`
//!   values and result parameters. The CapabilityStatement ([`capability`]), the parser
//!   ([`params`]), the reference evaluator ([`eval`]) and the index extraction ([`mod@extract`]) all
//!   read it, so they cannot drift apart.
//! * [`params::parse`] — URL-decoded `(name, value)` pairs → [`SearchQuery`] or a
//!   [`SearchError`] with a stable snake_case code (a 400 OperationOutcome upstream).
//! * [`eval::matches_at`] — the exact FHIR R4 semantics on a stored resource; the index is
//!   property-tested against it.
//! * [`definitions::search_parameters`] — the registry as R4 SearchParameter resources, for
//!   loading into another server (`push --with-definitions`).
//! * [`extract::extract`] — the normalized terms / date ranges / sort keys an index stores, and
//!   [`extract::candidate_terms`] — how one query filter maps onto them (exact or superset).
//!
//! Time conventions: every date is a half-open range `[start, end)` of UTC milliseconds since
//! the Unix epoch ([`DateRange`]); a date or dateTime without a zone is read as UTC.

pub mod capability;
pub mod date;
pub mod definitions;
pub mod error;
pub mod eval;
pub mod extract;
pub mod include;
pub mod params;
pub mod prune;
pub mod query;
pub mod registry;
pub mod values;

#[cfg(test)]
mod tests_eval;
#[cfg(test)]
mod tests_params;
#[cfg(test)]
mod tests_prop;

pub use capability::capability_statement;
pub use date::DateRange;
pub use error::{SearchError, SearchErrorCode};
pub use eval::matches_at;
pub use extract::{candidate_terms, compare, extract, DateBounds, Extracted, IndexQuery};
pub use include::{resolve_include, IncludeTarget, ResolvedInclude};
pub use params::parse;
pub use query::{
    Condition, DateParam, DatePrefix, Filter, IgnoredParam, Include, SearchQuery, SortSpec,
    TokenValue, TotalMode, DEFAULT_COUNT, MAX_COUNT,
};
pub use registry::{ParamType, ResourceDef, SearchParamDef};
pub use values::RefTarget;
