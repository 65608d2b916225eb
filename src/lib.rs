//! carin-sandbox: an offline CARIN Blue Button 2.0.0 payer sandbox.
//!
//! See ARCHITECTURE.md for the tour. Only the web edge (`http`, `portal` and their shared `web`)
//! touches actix-web; everything else is plain Rust, synchronous, and takes the current time
//! as a parameter.

pub mod api;
pub mod app;
pub mod arrivals;
pub mod audit;
pub mod auth;
pub mod bench;
pub mod bulk;
pub mod check;
pub mod cli;
pub mod client;
pub mod clients_cmd;
pub mod clock;
pub mod conformance;
pub mod cpcds;
pub mod export;
pub mod fhir;
pub mod fill;
pub mod generate;
pub mod http;
pub mod index;
pub mod json;
pub mod portal;
pub mod push;
pub mod push_cmd;
pub mod seed;
pub mod store;
pub mod udap;
pub mod udap_cmd;
pub mod validate;
pub mod validate_cmd;
pub mod web;
