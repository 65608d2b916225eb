#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! The one integration binary that talks HTTP to a real server (see helpers.rs).

mod arrivals;
mod asymmetric;
mod audit_events;
mod bulk;
mod conformance;
mod failures;
mod fhir_api;
mod flow;
mod grants;
mod hardening;
mod helpers;
mod provenance;
mod serve;
mod slow_clients;
mod smart;
mod snapshots;
mod tiered;
mod udap;
