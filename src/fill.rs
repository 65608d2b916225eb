//! The generated beneficiaries beyond the bundled seed: `serve --beneficiaries N` makes members
//! `M00000` … `M{N-1}` (logins `BBUser00000` …) exist without a long first start.
//!
//! The seed (members below [`crate::seed::member_count`]) is loaded before the server listens;
//! the rest are written while it serves, by a background fill in batches of [`BATCH`] members
//! — each batch one store transaction (`cpcds::import_indexed` over the generator's files for
//! those members) and the index commit right after it, stamped with the store generation, so a
//! member is searchable as soon as it is readable. The next batch is generated while one is
//! imported. The fill resumes where it stopped: `META_FILL_NEXT`
//! holds the first member it has not written. A beneficiary who signs in before the fill
//! reached them is materialized on the spot ([`Filler::ensure_login`]), one member, the same
//! way: the generator is deterministic per member, so the data is the same whichever way it
//! was made (only `meta.lastUpdated` tells when).

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use subtle::ConstantTimeEq;
use time::OffsetDateTime;

use crate::auth::users::{login_number, password_for, patient_for};
use crate::cpcds::IngestError;
use crate::generate::{GenerateError, GenerateOptions};
use crate::index::{IndexError, SearchIndex};
use crate::store::tables::{META_FILL_NEXT, META_SEEDED_FROM};
use crate::store::{Store, StoreError};

/// Members per fill transaction (about 7,500 EOBs): each batch pays a store commit, an index
/// commit and a reader reload, so bigger batches fill faster; a sign-in waiting for its member
/// waits at most one batch (well under a second).
pub const BATCH: u64 = 512;

/// The generator seed of the bundled `seed/` folder (`generate --seed 2026`): the fill
/// continues that run, so member `n` is the same person whatever the member count.
pub const SEED: u64 = 2026;

#[derive(Debug, thiserror::Error)]
pub enum FillError {
    #[error("generating members: {0}")]
    Generate(#[from] GenerateError),
    #[error("importing generated members: {0}")]
    Import(#[from] IngestError),
    #[error("indexing generated members: {0}")]
    Index(#[from] IndexError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("fill scratch folder {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// The fill's state, shared by the background thread and the sign-in path.
pub struct Filler {
    /// Members `0..target` should exist.
    target: u64,
    /// Members below this come from the bundled seed and are never written here.
    first: u64,
    /// Where generated files are written before they are imported.
    scratch: PathBuf,
    /// Members per batch ([`BATCH`]; smaller in tests, to run several).
    batch: u64,
    /// Held while a batch (or one member) is generated, imported and indexed: the index's
    /// catch-up needs the store writes in sequence. `true` once providers are in the store.
    writing: Mutex<bool>,
    /// Members below this have been written by the fill (for status).
    done: AtomicU64,
    stop: AtomicBool,
}

/// A status line: `(members written or seeded, target)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FillStatus {
    pub done: u64,
    pub target: u64,
}

impl Filler {
    /// A fill of members `first..target` that writes its scratch files under `scratch`.
    pub fn new(target: u64, first: u64, scratch: PathBuf) -> Self {
        Filler {
            target,
            first,
            scratch,
            batch: BATCH,
            writing: Mutex::new(false),
            done: AtomicU64::new(first.min(target)),
            stop: AtomicBool::new(false),
        }
    }

    /// The same fill in batches of `batch` members.
    #[cfg(test)]
    pub fn with_batch(mut self, batch: u64) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Nothing to fill: only what the store holds is served.
    pub fn disabled() -> Self {
        Self::new(0, 0, PathBuf::new())
    }

    /// The fill for a store that was seeded from the bundled seed, else a disabled one (a
    /// store with data of its own gets no synthetic members added).
    pub fn for_store(store: &Store, target: u64, scratch: PathBuf) -> Result<Self, StoreError> {
        if store.meta(META_SEEDED_FROM)?.is_none() {
            return Ok(Self::disabled());
        }
        Ok(Self::new(target, crate::seed::member_count(), scratch))
    }

    pub fn status(&self) -> FillStatus {
        FillStatus {
            done: self.done.load(Ordering::Relaxed),
            target: self.target,
        }
    }

    /// Asks a running [`Filler::run`] to stop after its current batch.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    /// Writes every member not written yet, batch by batch, resuming at `META_FILL_NEXT`.
    /// Returns how many members this call wrote. `now` gives each batch its `lastUpdated`.
    ///
    /// A second thread generates the next batch's files while this one imports the current
    /// batch: generating is one thread's work and importing (mapper and writer) two others',
    /// so in sequence the fill kept only one of this machine's two cores busy.
    pub fn run(
        &self,
        store: &Store,
        index: &SearchIndex,
        now: &dyn Fn() -> OffsetDateTime,
    ) -> Result<u64, FillError> {
        let from = self.next(store)?;
        self.remove_leftovers();
        let batches: Vec<_> = (from..self.target)
            .step_by(usize::try_from(self.batch).unwrap_or(usize::MAX))
            .map(|start| start..(start + self.batch).min(self.target))
            .collect();
        // Providers are written with the first batch of a run unless already in the store.
        let with_providers = !*self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let mut next = from;
        let written = std::thread::scope(|s| {
            let (ready, generated) = std::sync::mpsc::sync_channel(1);
            let generator = std::thread::Builder::new().name("fill-generate".into());
            let spawned = generator.spawn_scoped(s, move || {
                for (i, members) in batches.into_iter().enumerate() {
                    if self.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let dir = self
                        .scratch
                        .join(format!("batch-{}-{}", members.start, members.end));
                    let made = self.generate(&members, i == 0 && with_providers, &dir);
                    if ready.send((members, dir, made)).is_err() {
                        break; // the importer stopped
                    }
                }
            });
            if let Err(source) = spawned {
                return Err(FillError::Io {
                    path: self.scratch.clone(),
                    source,
                });
            }
            for (members, dir, made) in generated {
                let imported = made.and_then(|()| self.import(store, index, &dir, now()));
                // The files served their purpose whatever happened.
                let _ = std::fs::remove_dir_all(&dir);
                imported?;
                store.set_meta(META_FILL_NEXT, &members.end.to_be_bytes())?;
                self.done.store(members.end, Ordering::Relaxed);
                if members.end == self.target
                    || (members.end - from) % (self.batch * 10) < self.batch
                {
                    tracing::info!("generated members: {} of {}", members.end, self.target);
                }
                next = members.end;
                if self.stop.load(Ordering::Relaxed) {
                    break;
                }
            }
            Ok(next.saturating_sub(from))
        });
        // A stopped run may leave the batch generated ahead.
        self.remove_leftovers();
        written
    }

    /// Removes batch folders that were generated but not imported (a fill stopped while its
    /// generator was a batch ahead, or a run for another member count); one member's folder
    /// (`member-…`) may be in use by a sign-in and is left alone.
    fn remove_leftovers(&self) {
        let Ok(entries) = std::fs::read_dir(&self.scratch) else {
            return;
        };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with("batch-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }

    /// The first member the fill has not written (the seed's size on a first start).
    fn next(&self, store: &Store) -> Result<u64, StoreError> {
        let stored = store
            .meta(META_FILL_NEXT)?
            .and_then(|v| <[u8; 8]>::try_from(v.as_slice()).ok())
            .map(u64::from_be_bytes);
        let next = stored.unwrap_or(0).max(self.first);
        self.done.store(next.min(self.target), Ordering::Relaxed);
        Ok(next)
    }

    /// Makes sure the generated member behind a correct synthetic login exists before the
    /// login is checked; returns whether it wrote the member. A wrong password, a name that is
    /// not a synthetic login or a member outside the fill's range change nothing.
    pub fn ensure_login(
        &self,
        store: &Store,
        index: &SearchIndex,
        username: &str,
        password: &str,
        now: OffsetDateTime,
    ) -> Result<bool, FillError> {
        let Some(n) = login_number(username.trim()) else {
            return Ok(false);
        };
        let n = u64::from(n);
        if n < self.first || n >= self.target {
            return Ok(false);
        }
        let expected = password_for(u32::try_from(n).unwrap_or(u32::MAX));
        if !bool::from(expected.as_bytes().ct_eq(password.as_bytes())) {
            return Ok(false);
        }
        self.ensure_member(store, index, n, now)
    }

    /// Writes member `n` unless the store already has it; returns whether it did.
    pub fn ensure_member(
        &self,
        store: &Store,
        index: &SearchIndex,
        n: u64,
        now: OffsetDateTime,
    ) -> Result<bool, FillError> {
        let patient = patient_for(u32::try_from(n).unwrap_or(u32::MAX));
        if n >= self.target || store.read()?.exists("Patient", &patient)? {
            return Ok(false);
        }
        self.write_member(store, index, n, now)?;
        Ok(true)
    }

    /// Runs `f` while holding the lock that orders the fill's writes, for another writer of
    /// generated data (`arrivals`): its store commit and index catch-up then never interleave
    /// with a batch's, so every catch-up stays the cheap "one write missed" case.
    pub fn exclusive<T>(&self, f: impl FnOnce() -> T) -> T {
        let _writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        f()
    }

    /// Generates, imports and indexes one member (skipping none: an unchanged resource is not
    /// rewritten by the import), unless another writer made it while this one waited.
    fn write_member(
        &self,
        store: &Store,
        index: &SearchIndex,
        n: u64,
        now: OffsetDateTime,
    ) -> Result<(), FillError> {
        let mut providers_loaded = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        let patient = patient_for(u32::try_from(n).unwrap_or(u32::MAX));
        if store.read()?.exists("Patient", &patient)? {
            return Ok(());
        }
        let dir = self.scratch.join(format!("member-{n}"));
        let written = self
            .generate(&(n..n + 1), !*providers_loaded, &dir)
            .and_then(|()| {
                crate::cpcds::import_indexed(&dir, store, index, now, &mut |_, _| {})
                    .map_err(FillError::from)
            });
        let _ = std::fs::remove_dir_all(&dir);
        written?;
        *providers_loaded = true;
        Ok(())
    }

    /// Writes the generator's files for `members` into `dir` (a leftover folder is replaced).
    fn generate(
        &self,
        members: &std::ops::Range<u64>,
        with_providers: bool,
        dir: &std::path::Path,
    ) -> Result<(), FillError> {
        let io = |source| FillError::Io {
            path: dir.to_path_buf(),
            source,
        };
        if dir.exists() {
            std::fs::remove_dir_all(dir).map_err(io)?;
        }
        let opts = GenerateOptions {
            beneficiaries: self.target,
            seed: SEED,
        };
        crate::generate::generate_members(
            &opts,
            members.clone(),
            with_providers,
            dir,
            &mut |_| {},
        )?;
        Ok(())
    }

    /// Imports and indexes a batch's folder in one store transaction and one index commit,
    /// under the lock that orders the fill's writes.
    fn import(
        &self,
        store: &Store,
        index: &SearchIndex,
        dir: &std::path::Path,
        now: OffsetDateTime,
    ) -> Result<(), FillError> {
        let mut providers_loaded = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        crate::cpcds::import_indexed(dir, store, index, now, &mut |_, _| {})?;
        // The run's first batch carried them if they were missing.
        *providers_loaded = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
