//! Claims that keep arriving: `serve --claims-arrive <interval>` adjudicates new claims and
//! adjusts earlier ones for chosen members while it serves, so an app can test incremental
//! sync (`_lastUpdated=gt…`, version reads) against data that changes.
//!
//! Each tick `t` (counted in `META_ARRIVALS_TICK`) gives every member in the mode one new
//! ExplanationOfBenefit — built by the generator's claim families from `(seed, member, t)`
//! ([`crate::generate::write_arrivals`]), so the same member and tick always give the same
//! claim — and adjusts the claim of tick `t - 1`: that EOB becomes version 2 (`status`
//! cancelled, `related` replacedby the corrected claim; version 1 stays readable by vread) and
//! the corrected claim arrives with `related` prior pointing at it. The claims go through the
//! import path (CPCDS rows → `cpcds::map` → `store::ResourceWriter` in one write transaction,
//! Provenance per beneficiary), then `index.catch_up` with the keys written, under the fill's
//! lock ([`Filler::exclusive`]) so the two writers of generated data never interleave.
//!
//! Members are in the mode when `serve --arrive-for` names them or when the beneficiary
//! switched it on in the portal (table `ARRIVALS`). The ticker thread is started by the
//! composition root only when the mode is on.

use std::time::Duration;

use redb::ReadableDatabase;
use time::OffsetDateTime;

use crate::auth::users::{login_number, patient_for};
use crate::cpcds::IngestError;
use crate::fhir::id::id_for;
use crate::fill::{FillError, Filler};
use crate::generate::{arrival_ids, write_arrivals, Arrival, ArrivalStage, GenerateError};
use crate::index::{IndexError, SearchIndex};
use crate::store::tables::{ARRIVALS, META_ARRIVALS_TICK};
use crate::store::{record, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ArrivalsError {
    #[error("generating arriving claims: {0}")]
    Generate(#[from] GenerateError),
    #[error("importing arriving claims: {0}")]
    Import(#[from] IngestError),
    #[error("indexing arriving claims: {0}")]
    Index(#[from] IndexError),
    #[error("materializing a member for arriving claims: {0}")]
    Fill(#[from] FillError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("arrivals scratch folder: {0}")]
    Io(#[from] std::io::Error),
}

/// What one tick wrote (EOB ids).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    pub tick: u64,
    /// New claims, as first adjudicated.
    pub arrived: Vec<String>,
    /// Earlier claims now cancelled and replaced (their version went up).
    pub adjusted: Vec<String>,
    /// The corrected claims that replace them.
    pub replacements: Vec<String>,
    /// Members in the mode whose Patient is not in the store (nothing written for them).
    pub skipped: Vec<u64>,
    /// Resources the tick created or updated (Provenance included).
    pub changed: usize,
}

/// Tick `tick_no` (from 1) for the generated members `members`: one new claim each, and the
/// claim of tick `tick_no - 1` adjusted where it exists. One import transaction, then the
/// index catches up with what it wrote. Running a tick again changes nothing (the claims are
/// the same, and an unchanged resource is not rewritten).
pub fn tick(
    store: &Store,
    index: &SearchIndex,
    members: &[u64],
    tick_no: u64,
    now: OffsetDateTime,
) -> Result<TickReport, ArrivalsError> {
    let mut report = TickReport {
        tick: tick_no,
        ..TickReport::default()
    };
    let mut members = members.to_vec();
    members.sort_unstable();
    members.dedup();
    let mut wanted = Vec::new();
    {
        let read = store.read()?;
        for &n in &members {
            let Ok(login) = u32::try_from(n) else {
                report.skipped.push(n);
                continue;
            };
            if !read.exists("Patient", &patient_for(login))? {
                report.skipped.push(n);
                continue;
            }
            let (arriving, _) = arrival_ids(n, tick_no);
            wanted.push(Arrival {
                member: n,
                tick: tick_no,
                stage: ArrivalStage::Arrived,
            });
            report.arrived.push(id_for(&arriving));
            if tick_no > 1 {
                let (earlier, replacement) = arrival_ids(n, tick_no - 1);
                if read.exists("ExplanationOfBenefit", &id_for(&earlier))? {
                    wanted.push(Arrival {
                        member: n,
                        tick: tick_no - 1,
                        stage: ArrivalStage::Adjusted,
                    });
                    report.adjusted.push(id_for(&earlier));
                    report.replacements.push(id_for(&replacement));
                }
            }
        }
    }
    if wanted.is_empty() {
        return Ok(report);
    }
    let scratch = tempfile::Builder::new().prefix("arrivals-").tempdir()?;
    write_arrivals(crate::fill::SEED, &wanted, scratch.path())?;
    let imported = crate::cpcds::import_indexed(scratch.path(), store, index, now, &mut |_, _| {})?;
    report.changed = imported.changed_keys.len();
    Ok(report)
}

/// A beneficiary's own switch (portal), as stored in `ARRIVALS`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Switched {
    /// When they switched it on (FHIR instant).
    pub since: String,
}

/// Why a member is (or is not) in the mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberMode {
    /// Named by `serve --arrive-for`.
    Chosen,
    /// Switched on by the beneficiary in the portal.
    Switched(Switched),
    Off,
}

/// The mode as `serve` runs it: the interval (none = off) and the members `--arrive-for`
/// named. The ticker thread (`app`) calls [`Arrivals::run_once`] every interval.
pub struct Arrivals {
    interval: Option<Duration>,
    chosen: Vec<u64>,
}

impl Arrivals {
    /// The mode on, ticking every `interval`, for `chosen` (plus whoever switches it on).
    pub fn new(interval: Duration, chosen: Vec<u64>) -> Self {
        Arrivals {
            interval: Some(interval),
            chosen,
        }
    }

    /// The mode off: nothing ever arrives, the portal switch explains how to turn it on.
    pub fn disabled() -> Self {
        Arrivals {
            interval: None,
            chosen: Vec::new(),
        }
    }

    pub fn interval(&self) -> Option<Duration> {
        self.interval
    }

    /// Whether this member (by patient id) is in the mode, and why.
    pub fn mode_of(&self, store: &Store, patient: &str) -> Result<MemberMode, StoreError> {
        if self
            .chosen
            .iter()
            .any(|&n| u32::try_from(n).is_ok_and(|n| patient_for(n) == patient))
        {
            return Ok(MemberMode::Chosen);
        }
        let tx = store.database().begin_read()?;
        let table = tx.open_table(ARRIVALS)?;
        Ok(record::get::<Switched>(&table, patient)?.map_or(MemberMode::Off, MemberMode::Switched))
    }

    /// Switches the mode on or off for one beneficiary (by patient id); a member `--arrive-for`
    /// chose stays in it whatever the switch says.
    pub fn switch(
        store: &Store,
        patient: &str,
        on: bool,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let tx = store.begin_write()?;
        {
            let mut table = tx.open_table(ARRIVALS)?;
            if on {
                if record::get::<Switched>(&table, patient)?.is_none() {
                    let since = crate::clock::fhir_instant(now);
                    record::put(&mut table, patient, &Switched { since })?;
                }
            } else {
                table.remove(patient)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Every member in the mode: those `--arrive-for` chose and those who switched it on.
    pub fn members(&self, store: &Store) -> Result<Vec<u64>, StoreError> {
        let tx = store.database().begin_read()?;
        let table = tx.open_table(ARRIVALS)?;
        let switched = record::scan_keyed::<Switched>(&table)?;
        let mut out = self.chosen.clone();
        out.extend(
            switched
                .iter()
                .filter_map(|(patient, _)| member_of(patient)),
        );
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// The last tick written (0 before the first).
    pub fn last_tick(store: &Store) -> Result<u64, StoreError> {
        Ok(store
            .meta(META_ARRIVALS_TICK)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map_or(0, u64::from_be_bytes))
    }

    /// One tick for every member in the mode that is a generated member of this store (below
    /// the fill's target; none on a store with data of its own): members the fill has not
    /// reached yet are made first, then the tick is written under the fill's lock and counted.
    pub fn run_once(
        &self,
        store: &Store,
        index: &SearchIndex,
        fill: &Filler,
        now: OffsetDateTime,
    ) -> Result<TickReport, ArrivalsError> {
        let target = fill.status().target;
        let (members, beyond): (Vec<u64>, Vec<u64>) =
            self.members(store)?.into_iter().partition(|&n| n < target);
        for &n in &members {
            fill.ensure_member(store, index, n, now)?;
        }
        let mut report = fill.exclusive(|| {
            let next = Self::last_tick(store)? + 1;
            let report = tick(store, index, &members, next, now)?;
            store.set_meta(META_ARRIVALS_TICK, &next.to_be_bytes())?;
            Ok::<_, ArrivalsError>(report)
        })?;
        report.skipped.extend(beyond);
        Ok(report)
    }
}

/// The generated member behind a patient id (`M00001` → 1; see `auth::users::patient_for`).
pub fn member_of(patient: &str) -> Option<u64> {
    parse_member(patient).ok()
}

/// One arrived claim as a beneficiary's page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrivedClaim {
    pub id: String,
    pub version: String,
    pub last_updated: String,
    pub status: String,
    /// What `related` says: `prior C…` or `replacedby C…`.
    pub related: Vec<String>,
}

/// The EOBs of `patient`'s last `ticks` ticks (newest first): each tick's claim and, once
/// adjusted, its replacement.
pub fn recent(store: &Store, patient: &str, ticks: u64) -> Result<Vec<ArrivedClaim>, StoreError> {
    let Some(n) = member_of(patient) else {
        return Ok(Vec::new());
    };
    // A tick's claims are committed just before its number: look one tick further.
    let last = Arrivals::last_tick(store)? + 1;
    let read = store.read()?;
    let mut out = Vec::new();
    for t in (last.saturating_sub(ticks) + 1..=last).rev() {
        let (claim, replacement) = arrival_ids(n, t);
        for id in [replacement, claim] {
            let Some(json) = read.get("ExplanationOfBenefit", &id_for(&id))? else {
                continue;
            };
            let v: serde_json::Value =
                serde_json::from_slice(&json).map_err(|e| StoreError::Corrupt {
                    key: format!("ExplanationOfBenefit/{id}"),
                    reason: e.to_string(),
                })?;
            let text = |p: &str| {
                v.pointer(p)
                    .and_then(|x| x.as_str())
                    .unwrap_or("")
                    .to_string()
            };
            let related = v["related"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| {
                    let code = r
                        .pointer("/relationship/coding/0/code")
                        .and_then(|x| x.as_str());
                    let other = r.pointer("/reference/value").and_then(|x| x.as_str());
                    format!("{} {}", code.unwrap_or("?"), other.unwrap_or("?"))
                })
                .collect();
            out.push(ArrivedClaim {
                id: text("/id"),
                version: text("/meta/versionId"),
                last_updated: text("/meta/lastUpdated"),
                status: text("/status"),
                related,
            });
        }
    }
    Ok(out)
}

/// The members `--arrive-for` names: synthetic logins (`BBUser00001`) or member ids (`M00001`).
pub fn parse_member(s: &str) -> Result<u64, String> {
    let s = s.trim();
    if let Some(n) = login_number(s) {
        return Ok(u64::from(n));
    }
    s.strip_prefix('M')
        .filter(|d| d.len() == 5 && d.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| {
            format!("{s:?} is neither a synthetic login (BBUser00001) nor a member id (M00001)")
        })
}

/// `--claims-arrive`'s interval: seconds, or a number with `s`, `m` or `h` (`30s`, `5m`).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => s.split_at(i),
        None => (s, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?}: expected a number of seconds, or 30s, 5m, 1h"))?;
    let seconds = match unit {
        "s" => n,
        "m" => n.saturating_mul(60),
        "h" => n.saturating_mul(3600),
        _ => return Err(format!("{s:?}: the unit is s, m or h")),
    };
    if seconds == 0 {
        return Err("the interval must be at least one second".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests;
