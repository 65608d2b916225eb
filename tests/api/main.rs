#![allow(clippy::unwrap_used)] // tests state their expectations by unwrapping
//! The one integration binary that talks HTTP to a real server (see helpers.rs).

mod fhir_api;
mod flow;
mod helpers;
mod serve;
mod smart;
