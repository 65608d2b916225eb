//! `carin-sandbox push --to <FHIR base>`: the store's resources (or a CPCDS folder's, imported
//! into a temporary store first) into another FHIR R4 server, the way a payer moves from the
//! sandbox to a production server. Plain blocking Rust (the `client` module's HTTP).
//!
//! * Order: [`ORDER`], so every reference points at something already sent; a Bundle never
//!   mixes types. With `--with-definitions` the registry's CARIN SearchParameters and the
//!   embedded C4BB profiles ([`profiles`]) go first.
//! * Transport ([`target`]): batch or transaction Bundles of `batch_size` `PUT`s, or one `PUT`
//!   each when the target offers no Bundles (its CapabilityStatement, or a 4xx to the first).
//! * Idempotent and resumable ([`ledger`]): the content hash of every resource the target
//!   confirmed (the store's fingerprint: the JSON without `meta`) is recorded per target after
//!   each batch; unchanged resources are not sent again.
//! * Retries ([`retry`]): 429 (with `Retry-After`), 408, transient 5xx and transport failures,
//!   exponential backoff with jitter, bounded.

pub mod ledger;
pub mod profiles;
pub mod retry;
pub mod target;

use std::time::Instant;

use serde::Serialize;

use crate::client::ClientError;
use crate::fhir::search::definitions::search_parameters;
use crate::store::{Store, StoreError};
use ledger::{hash, Ledger};
use target::{BundleAnswer, Mode, Outcome, Outgoing, Target};

/// The order resources are sent in: what a resource references goes before it.
pub const ORDER: [&str; 7] = [
    "Organization",
    "Practitioner",
    "Patient",
    "RelatedPerson",
    "Coverage",
    "ExplanationOfBenefit",
    "Provenance",
];

/// Failures listed one by one in the report (all are counted).
const MAX_LISTED_FAILURES: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum PushError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error("the target refused the credentials: {0}")]
    Auth(String),
    #[error("{0}")]
    Usage(String),
}

/// What to push and how.
#[derive(Debug, Clone)]
pub struct PushOptions {
    pub mode: Mode,
    /// Resources per Bundle.
    pub batch_size: usize,
    /// First the SearchParameters a generic server needs for the CARIN searches.
    pub with_definitions: bool,
    /// Stop after this many batches (tests of resuming).
    pub stop_after: Option<u64>,
    /// Forget what the ledger says about this target and send everything.
    pub full: bool,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            mode: Mode::Auto,
            batch_size: 200,
            with_definitions: false,
            stop_after: None,
            full: false,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub sent: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
}

impl Counts {
    fn add(&mut self, outcome: &Outcome) {
        self.sent += 1;
        match outcome {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Failed { .. } => self.failed += 1,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct TypeReport {
    pub resource_type: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// `Type/id`.
    pub resource: String,
    /// The HTTP status (the entry's, inside a Bundle); 0 when the target gave none.
    pub status: u16,
    /// The target's OperationOutcome, in words.
    pub diagnostics: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct DefinitionsReport {
    /// CARIN SearchParameters offered (sent unless unchanged).
    pub search_parameters: Vec<String>,
    /// Parameters the registry takes from R4 itself, which every R4 server defines: not sent.
    pub core_parameters: Vec<String>,
    /// The C4BB profiles offered (StructureDefinition ids; sent unless unchanged).
    pub profiles: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PushReport {
    pub target: String,
    /// The transport used (after `auto` was resolved and any fallback).
    pub mode: Mode,
    /// Why `auto` fell back to one `PUT` each, if it did.
    pub fallback: Option<String>,
    pub batches: u64,
    #[serde(flatten)]
    pub totals: Counts,
    pub retries: u64,
    pub by_type: Vec<TypeReport>,
    pub failures: Vec<Failure>,
    pub definitions: Option<DefinitionsReport>,
    /// Stopped by `stop_after` before the end: run again to resume.
    pub interrupted: bool,
    pub seconds: f64,
    /// Resources sent per second.
    pub rate: f64,
}

/// One resource the plan will send.
struct Planned {
    resource_type: &'static str,
    id: String,
    /// The store's fingerprint, or the hash of a generated definition's body.
    hash: u128,
    /// In memory for generated definitions; read from the store at send time otherwise.
    body: Option<Vec<u8>>,
}

/// Pushes `source` into `target`, recording in `ledger`; `progress(done, total)`.
pub fn run(
    source: &Store,
    ledger: &Ledger,
    target: &mut Target<'_>,
    opts: &PushOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<PushReport, PushError> {
    if opts.batch_size == 0 {
        return Err(PushError::Usage("--batch-size must be at least 1".into()));
    }
    let started = Instant::now();
    if opts.full {
        ledger.clear()?;
    }
    let read = source.read()?;
    let mut by_type: Vec<TypeReport> = Vec::new();
    let mut definitions = None;
    let planned = {
        let snapshot = ledger.snapshot()?;
        let mut planned = Vec::new();
        let unchanged = |ty: &'static str, by_type: &mut Vec<TypeReport>| {
            type_entry(by_type, ty).unchanged += 1;
        };
        if opts.with_definitions {
            let mut report = DefinitionsReport::default();
            for d in search_parameters(&ORDER) {
                let name = format!("{}:{}", d.resource_type, d.code);
                if !d.carin {
                    report.core_parameters.push(name);
                    continue;
                }
                report.search_parameters.push(name);
                let body = serde_json::to_vec(&d.resource).unwrap_or_default();
                let h = hash(&body);
                if snapshot.unchanged("SearchParameter", &d.id, h)? {
                    unchanged("SearchParameter", &mut by_type);
                } else {
                    planned.push(Planned {
                        resource_type: "SearchParameter",
                        id: d.id,
                        hash: h,
                        body: Some(body),
                    });
                }
            }
            for (id, body) in profiles::PROFILES {
                report.profiles.push((*id).to_string());
                let h = hash(body);
                if snapshot.unchanged("StructureDefinition", id, h)? {
                    unchanged("StructureDefinition", &mut by_type);
                } else {
                    planned.push(Planned {
                        resource_type: "StructureDefinition",
                        id: (*id).to_string(),
                        hash: h,
                        body: Some(body.to_vec()),
                    });
                }
            }
            definitions = Some(report);
        }
        for ty in ORDER {
            type_entry(&mut by_type, ty);
            read.for_each_fingerprint(ty, |id, h| {
                if snapshot.unchanged(ty, id, h)? {
                    unchanged(ty, &mut by_type);
                } else {
                    planned.push(Planned {
                        resource_type: ty,
                        id: id.to_string(),
                        hash: h,
                        body: None,
                    });
                }
                Ok(())
            })?;
        }
        planned
    };

    let total = planned.len() as u64;
    progress(0, total);
    let mut mode = target.resolve_mode(opts.mode)?;
    let mut fallback = None;
    let mut bundle_accepted = false;
    let mut failures = Vec::new();
    let mut batches = 0u64;
    let mut done = 0u64;
    let mut interrupted = false;
    'send: for group in planned.chunk_by(|a, b| a.resource_type == b.resource_type) {
        for chunk in group.chunks(opts.batch_size) {
            if opts.stop_after.is_some_and(|n| batches >= n) {
                interrupted = true;
                break 'send;
            }
            let mut bodies = Vec::with_capacity(chunk.len());
            let mut items = Vec::with_capacity(chunk.len());
            for p in chunk {
                let body = match &p.body {
                    Some(b) => Some(b.clone()),
                    None => read.get(p.resource_type, &p.id)?,
                };
                if let Some(body) = body {
                    bodies.push(body);
                    items.push(p);
                }
            }
            let outgoing: Vec<Outgoing<'_>> = items
                .iter()
                .zip(&bodies)
                .map(|(p, body)| Outgoing {
                    resource_type: p.resource_type,
                    id: &p.id,
                    body,
                })
                .collect();
            let outcomes = if mode == Mode::Put {
                put_each(target, &outgoing)?
            } else {
                match target.send_bundle(mode, &outgoing)? {
                    BundleAnswer::Outcomes(o) => {
                        bundle_accepted = true;
                        o
                    }
                    BundleAnswer::Refused {
                        status,
                        diagnostics,
                    } if opts.mode == Mode::Auto => {
                        if !bundle_accepted {
                            fallback = Some(format!(
                                "the target refused a {} Bundle ({status}: {diagnostics}); sent \
                                 one PUT each instead",
                                if mode == Mode::Transaction {
                                    "transaction"
                                } else {
                                    "batch"
                                }
                            ));
                            mode = Mode::Put;
                        }
                        put_each(target, &outgoing)?
                    }
                    BundleAnswer::Refused {
                        status,
                        diagnostics,
                    } => outgoing
                        .iter()
                        .map(|_| Outcome::Failed {
                            status,
                            diagnostics: diagnostics.clone(),
                        })
                        .collect(),
                }
            };
            let mut confirmed = Vec::new();
            for (p, outcome) in items.iter().zip(&outcomes) {
                type_entry(&mut by_type, p.resource_type).add(outcome);
                match outcome {
                    Outcome::Created | Outcome::Updated => {
                        confirmed.push((p.resource_type, p.id.as_str(), p.hash));
                    }
                    Outcome::Failed {
                        status,
                        diagnostics,
                    } => {
                        if failures.len() < MAX_LISTED_FAILURES {
                            failures.push(Failure {
                                resource: format!("{}/{}", p.resource_type, p.id),
                                status: *status,
                                diagnostics: diagnostics.clone(),
                            });
                        }
                    }
                }
            }
            ledger.record(&confirmed)?;
            batches += 1;
            done += chunk.len() as u64;
            progress(done, total);
        }
    }

    let mut totals = Counts::default();
    for t in &by_type {
        totals.sent += t.counts.sent;
        totals.created += t.counts.created;
        totals.updated += t.counts.updated;
        totals.unchanged += t.counts.unchanged;
        totals.failed += t.counts.failed;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(PushReport {
        target: target.base().to_string(),
        mode,
        fallback,
        batches,
        rate: if seconds > 0.0 {
            totals.sent as f64 / seconds
        } else {
            0.0
        },
        totals,
        retries: target.retries,
        by_type,
        failures,
        definitions,
        interrupted,
        seconds,
    })
}

fn put_each(target: &mut Target<'_>, items: &[Outgoing<'_>]) -> Result<Vec<Outcome>, PushError> {
    items.iter().map(|item| target.put(item)).collect()
}

fn type_entry<'a>(by_type: &'a mut Vec<TypeReport>, ty: &str) -> &'a mut Counts {
    let at = match by_type.iter().position(|t| t.resource_type == ty) {
        Some(i) => i,
        None => {
            by_type.push(TypeReport {
                resource_type: ty.to_string(),
                counts: Counts::default(),
            });
            by_type.len() - 1
        }
    };
    &mut by_type[at].counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keeps_references_resolvable() {
        // Every type a resource of ORDER[i] may reference comes earlier.
        let refs: &[(&str, &[&str])] = &[
            ("Practitioner", &[]),
            ("Patient", &["Organization", "Practitioner"]),
            ("RelatedPerson", &["Patient"]),
            ("Coverage", &["Patient", "Organization", "RelatedPerson"]),
            (
                "ExplanationOfBenefit",
                &[
                    "Patient",
                    "Organization",
                    "Practitioner",
                    "RelatedPerson",
                    "Coverage",
                ],
            ),
            (
                "Provenance",
                &[
                    "Patient",
                    "Organization",
                    "Practitioner",
                    "RelatedPerson",
                    "Coverage",
                    "ExplanationOfBenefit",
                ],
            ),
        ];
        let at = |t: &str| ORDER.iter().position(|o| *o == t);
        for (ty, targets) in refs {
            for target in *targets {
                assert!(at(target) < at(ty), "{target} must precede {ty}");
            }
        }
        // Every stored type is pushed.
        for ty in crate::fhir::RESOURCE_TYPES {
            assert!(at(ty).is_some(), "{ty}");
        }
    }

    #[test]
    fn counts_add_up() {
        let mut c = Counts::default();
        c.add(&Outcome::Created);
        c.add(&Outcome::Updated);
        c.add(&Outcome::Failed {
            status: 400,
            diagnostics: String::new(),
        });
        assert_eq!((c.sent, c.created, c.updated, c.failed), (3, 1, 1, 1));
        let mut by_type = Vec::new();
        type_entry(&mut by_type, "Patient").unchanged += 2;
        type_entry(&mut by_type, "Coverage").unchanged += 1;
        type_entry(&mut by_type, "Patient").unchanged += 1;
        assert_eq!(by_type.len(), 2);
        assert_eq!(by_type[0].counts.unchanged, 3);
    }
}
