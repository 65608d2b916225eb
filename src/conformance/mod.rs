//! The client conformance report: what each registered app actually did (`facts`, recorded by
//! the web edge off the hot path) scored against what the CARIN IG, SMART App Launch and the
//! CARIN test kit ask of a client (`score`): pass, fail or not yet seen, with the request that
//! showed it. Plain Rust: the portal page, its JSON form and `carin-sandbox clients report`
//! all call [`report`].

pub mod facts;
pub mod score;

#[cfg(test)]
mod tests;

use time::OffsetDateTime;

pub use facts::{Event, Observation};
pub use score::{Finding, Outcome, Report};

use crate::store::{Store, StoreError};

/// The report of the app `client_id` as of `now`.
pub fn report(store: &Store, client_id: &str, now: OffsetDateTime) -> Result<Report, StoreError> {
    let observations = facts::load(store, client_id)?;
    Ok(score::score(client_id, &observations, now))
}
