#![allow(clippy::unwrap_used)] // tests state their expectations by unwrapping
//! The one integration binary that talks HTTP to a real server (see helpers.rs).

mod fhir_api;
mod flow;
mod hardening;
mod helpers;
mod serve;
mod slow_clients;
mod smart;
