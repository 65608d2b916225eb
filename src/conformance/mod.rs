//! The client conformance report: what each registered app actually did (`facts`, recorded by
//! the web edge off the hot path) scored against what the CARIN IG, SMART App Launch and the
//! CARIN test kit ask of a client (`score`): pass, fail or not yet seen, with the request that
//! showed it. Plain Rust: the portal page, its JSON form and `carin-sandbox clients report`
//! all call [`report`].

pub mod facts;
pub mod score;
pub mod token;

#[cfg(test)]
mod tests;

use time::OffsetDateTime;

pub use facts::{Event, Observation};
pub use score::{Finding, Outcome, Report};

use crate::store::{Store, StoreError};

/// The report as a terminal table: one line per requirement, its evidence indented below.
pub fn text(report: &Report) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{}: {} pass, {} fail, {} not yet seen ({} authorization, {} token and {} FHIR requests seen)",
        report.client_id,
        s.pass,
        s.fail,
        s.not_seen,
        report.observed.authorize,
        report.observed.token,
        report.observed.fhir
    );
    for f in &report.requirements {
        let _ = writeln!(
            out,
            "{:<12} {:<24} {:<6} {}",
            f.result.label(),
            f.id,
            f.level,
            f.text
        );
        let _ = writeln!(out, "{:<12} {:<24} {:<6} {}", "", "", "", f.detail);
        if let Some(e) = &f.evidence {
            let _ = writeln!(
                out,
                "{:<12} {:<24} {:<6} {} {} {} → {}",
                "", "", "", e.at, e.method, e.target, e.status
            );
        }
    }
    out
}

/// The report of the app `client_id` as of `now`.
pub fn report(store: &Store, client_id: &str, now: OffsetDateTime) -> Result<Report, StoreError> {
    let observations = facts::load(store, client_id)?;
    Ok(score::score(client_id, &observations, now))
}
