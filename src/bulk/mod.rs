//! FHIR Bulk Data 2.0 export as plain Rust: jobs in the `bulk_jobs` table, one background
//! worker that runs them one at a time into `DATA_DIR/bulk/<job>/<Type>-<n>.ndjson`, the
//! retention sweep, and the plan Groups (`groups`). `api::bulk` decides who may ask for what
//! and turns HTTP parameters into an [`ExportRequest`]; `http::bulk` only translates.
//!
//! Jobs survive a restart: [`Bulk::open`] puts every queued or running job back in the queue
//! (its partial files deleted) and the worker runs it again from scratch, with a new
//! `transactionTime`. Finished, failed and cancelled jobs are deleted with their files once
//! they are older than the retention (24 h by default), by the worker, with the injected clock.

pub mod groups;
mod job;
mod run;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use redb::ReadableDatabase;

pub use job::{ExportRequest, Job, Level, OutputFile, State};
pub use run::{instant_nanos, type_filter};

use crate::clock::Clock;
use crate::store::tables::BULK_JOBS;
use crate::store::{record, Store, StoreError};

/// The folder inside the data directory that holds the export files.
pub const BULK_DIR: &str = "bulk";

/// The types an export may hold, in the order they are written: patient data first (so the
/// directory resources it references are known when Organization and Practitioner follow).
pub const EXPORT_ORDER: &[&str] = &[
    "Patient",
    "Coverage",
    "ExplanationOfBenefit",
    "RelatedPerson",
    "Provenance",
    "Organization",
    "Practitioner",
];

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no export job {0}")]
    NotFound(String),
    #[error("this client already has {0} exports queued or running; wait for one to finish or cancel it")]
    TooMany(usize),
    #[error("Group/{0} is not known")]
    UnknownGroup(String),
    #[error("_typeFilter={value} cannot be used: {why}")]
    BadTypeFilter { value: String, why: String },
    #[error("cannot start the export worker: {0}")]
    Worker(std::io::Error),
}

/// redb's errors reach us through the store's error type.
macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for BulkError {
            fn from(e: $t) -> Self {
                BulkError::Store(e.into())
            }
        }
    )*};
}
from_redb!(redb::TableError, redb::StorageError, redb::CommitError);

impl BulkError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        BulkError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Limits of the export service.
#[derive(Debug, Clone, Copy)]
pub struct BulkConfig {
    /// Seconds a finished (or failed, or cancelled) job and its files are kept.
    pub retention_secs: i64,
    /// Queued and running jobs one client may have (more: 429).
    pub max_active_per_client: usize,
    /// Lines per NDJSON file before the next file of the type starts.
    pub file_max_resources: u64,
}

impl Default for BulkConfig {
    fn default() -> Self {
        Self {
            retention_secs: 24 * 3600,
            max_active_per_client: 2,
            file_max_resources: 100_000,
        }
    }
}

/// The export service: cheap to clone. Dropping the last clone stops the worker thread.
#[derive(Clone)]
pub struct Bulk {
    inner: Arc<Inner>,
    _stop: Arc<StopOnDrop>,
}

struct Inner {
    store: Store,
    dir: PathBuf,
    clock: Arc<dyn Clock>,
    config: BulkConfig,
    wake: Mutex<Wake>,
    signal: Condvar,
}

#[derive(Default)]
struct Wake {
    pending: bool,
    stop: bool,
}

struct StopOnDrop(Arc<Inner>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.notify(|w| w.stop = true);
    }
}

/// How long the idle worker sleeps between retention sweeps.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Bulk {
    /// Opens the service over `store` with its files under `data_dir/bulk`: interrupted jobs
    /// are queued again, expired ones deleted; with `worker`, a thread starts running jobs.
    pub fn open(
        store: &Store,
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        config: BulkConfig,
        worker: bool,
    ) -> Result<Self, BulkError> {
        let inner = Arc::new(Inner {
            store: store.clone(),
            dir: data_dir.join(BULK_DIR),
            clock,
            config,
            wake: Mutex::new(Wake::default()),
            signal: Condvar::new(),
        });
        inner.recover()?;
        let now = inner.clock.now().unix_timestamp();
        inner.sweep(now)?;
        if worker {
            let work = inner.clone();
            std::thread::Builder::new()
                .name("bulk-export".into())
                .spawn(move || work.work())
                .map_err(BulkError::Worker)?;
        }
        Ok(Self {
            _stop: Arc::new(StopOnDrop(inner.clone())),
            inner,
        })
    }

    pub fn config(&self) -> BulkConfig {
        self.inner.config
    }

    /// Queues an export; its id (random, unguessable) names the status and file URLs.
    pub fn kick_off(&self, request: ExportRequest) -> Result<Job, BulkError> {
        for filter in &request.type_filters {
            type_filter(filter)?;
        }
        if let Level::Group(id) = &request.level {
            if groups::groups(&self.inner.store)?.get(id).is_none() {
                return Err(BulkError::UnknownGroup(id.clone()));
            }
        }
        let now = self.inner.clock.now().unix_timestamp();
        let id = job_id();
        let limit = self.inner.config.max_active_per_client;
        let job = Job::new(id, request, now);
        let tx = self.inner.store.begin_write()?;
        {
            let mut table = tx.open_table(BULK_JOBS)?;
            let active = record::scan::<Job>(&table)?
                .iter()
                .filter(|j| j.client_id == job.client_id && j.state.is_active())
                .count();
            if active >= limit {
                return Err(BulkError::TooMany(limit));
            }
            record::put(&mut table, &job.id, &job)?;
        }
        tx.commit()?;
        self.inner.notify(|w| w.pending = true);
        Ok(job)
    }

    /// The job, if it exists and `client_id` started it (another client's job does not exist).
    pub fn job(&self, id: &str, client_id: &str) -> Result<Job, BulkError> {
        let tx = self
            .inner
            .store
            .database()
            .begin_read()
            .map_err(StoreError::from)?;
        let table = tx.open_table(BULK_JOBS).map_err(StoreError::from)?;
        record::get::<Job>(&table, id)?
            .filter(|j| j.client_id == client_id)
            .ok_or_else(|| BulkError::NotFound(id.to_string()))
    }

    /// `DELETE` on the status URL: the job is cancelled (or, when finished, its files released)
    /// and its files deleted. A cancelled job answers 404 from then on.
    pub fn cancel(&self, id: &str, client_id: &str) -> Result<Job, BulkError> {
        let now = self.inner.clock.now().unix_timestamp();
        let tx = self.inner.store.begin_write()?;
        let (job, was) = {
            let mut table = tx.open_table(BULK_JOBS)?;
            let mut job = record::get::<Job>(&table, id)?
                .filter(|j| j.client_id == client_id && j.state != State::Cancelled)
                .ok_or_else(|| BulkError::NotFound(id.to_string()))?;
            let was = job.state;
            job.state = State::Cancelled;
            job.finished_at = Some(now);
            job.files.clear();
            record::put(&mut table, id, &job)?;
            (job, was)
        };
        tx.commit()?;
        // A running job's files are the worker's to delete (it sees the cancellation at its
        // next progress report); every other job's go now.
        if was != State::Running {
            self.inner.remove_files(id);
        }
        Ok(job)
    }

    /// The path of one output file of a finished job of `client_id` (only names the manifest
    /// lists: nothing else in the folder, and nothing outside it, is ever served).
    pub fn file(&self, id: &str, client_id: &str, name: &str) -> Result<PathBuf, BulkError> {
        let job = self.job(id, client_id)?;
        let listed = job.state == State::Done && job.files.iter().any(|f| f.name == name);
        if !listed {
            return Err(BulkError::NotFound(format!("{id}/{name}")));
        }
        Ok(self.inner.dir.join(&job.id).join(name))
    }

    /// Runs every queued job now, on the calling thread (tests and `bench export`).
    pub fn run_queued(&self) -> Result<usize, BulkError> {
        let mut n = 0;
        while let Some(job) = self.inner.claim_next()? {
            self.inner.run(job)?;
            n += 1;
        }
        Ok(n)
    }

    /// Deletes the jobs finished longer ago than the retention, with their files.
    pub fn sweep(&self, now: i64) -> Result<usize, BulkError> {
        self.inner.sweep(now)
    }

    /// The folder of a job's files.
    pub fn job_dir(&self, id: &str) -> PathBuf {
        self.inner.dir.join(id)
    }
}

/// 32 random bytes, base64url: a job id nobody can guess.
fn job_id() -> String {
    crate::auth::keys::random_token()
}

impl Inner {
    fn notify(&self, change: impl FnOnce(&mut Wake)) {
        if let Ok(mut wake) = self.wake.lock() {
            change(&mut wake);
        }
        self.signal.notify_all();
    }

    /// The worker: run queued jobs, sweep expired ones, sleep until told or a minute passed.
    fn work(&self) {
        loop {
            loop {
                match self.claim_next() {
                    Ok(Some(job)) => {
                        if let Err(e) = self.run(job) {
                            tracing::error!("bulk export: {e}");
                        }
                    }
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!("bulk export: cannot read the job queue: {e}");
                        break;
                    }
                }
                if self.stopping() {
                    return;
                }
            }
            if let Err(e) = self.sweep(self.clock.now().unix_timestamp()) {
                tracing::error!("bulk export: retention sweep failed: {e}");
            }
            let Ok(mut wake) = self.wake.lock() else {
                return;
            };
            if !wake.pending && !wake.stop {
                wake = match self.signal.wait_timeout(wake, SWEEP_EVERY) {
                    Ok((w, _)) => w,
                    Err(_) => return,
                };
            }
            if wake.stop {
                return;
            }
            wake.pending = false;
        }
    }

    fn stopping(&self) -> bool {
        self.wake.lock().map(|w| w.stop).unwrap_or(true)
    }

    /// After a restart: every queued or running job goes (back) to the queue, from scratch.
    fn recover(&self) -> Result<(), BulkError> {
        let tx = self.store.begin_write()?;
        let mut restarted = Vec::new();
        {
            let mut table = tx.open_table(BULK_JOBS)?;
            for (key, mut job) in record::scan_keyed::<Job>(&table)? {
                if job.state == State::Running {
                    job.state = State::Queued;
                    job.written = 0;
                    job.files.clear();
                    record::put(&mut table, &key, &job)?;
                    restarted.push(key);
                }
            }
        }
        tx.commit()?;
        for id in restarted {
            tracing::info!("bulk export {id} was interrupted by a restart: running it again");
            self.remove_files(&id);
        }
        Ok(())
    }

    /// Marks the oldest queued job running and returns it.
    fn claim_next(&self) -> Result<Option<Job>, BulkError> {
        let now = self.clock.now();
        let tx = self.store.begin_write()?;
        let claimed = {
            let mut table = tx.open_table(BULK_JOBS)?;
            let next = record::scan::<Job>(&table)?
                .into_iter()
                .filter(|j| j.state == State::Queued)
                .min_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
            match next {
                Some(mut job) => {
                    job.state = State::Running;
                    job.started_at = Some(now.unix_timestamp());
                    job.attempts += 1;
                    record::put(&mut table, &job.id, &job)?;
                    Some(job)
                }
                None => None,
            }
        };
        tx.commit()?;
        Ok(claimed)
    }

    /// Runs one claimed job to its end (done, failed or cancelled) and records it.
    fn run(&self, mut job: Job) -> Result<(), BulkError> {
        let dir = self.dir.join(&job.id);
        // A re-run starts from an empty folder.
        let _ = std::fs::remove_dir_all(&dir);
        // The time first, then the snapshot: everything written up to `transactionTime` is in
        // it (the specification's SHALL); a write in between may be too (its SHOULD NOT).
        let now = self.clock.now();
        let read = self.store.read()?;
        let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
        let transaction_time = crate::clock::fhir_instant(now);
        let members: Option<HashSet<String>> = match &job.level {
            Level::Group(id) => groups::groups(&self.store)?
                .get(id)
                .map(|g| g.members.iter().cloned().collect()),
            _ => None,
        };
        let mut estimate = 0;
        for ty in &job.types {
            estimate += read.count(ty)?;
        }
        job.estimate = estimate;
        job.transaction_time = Some(transaction_time);
        if !self.update(&job.id, |j| {
            j.estimate = estimate;
            j.transaction_time.clone_from(&job.transaction_time);
        })? {
            self.remove_files(&job.id);
            return Ok(());
        }
        let max = self.config.file_max_resources;
        let mut report = |written: u64| -> Result<run::Go, BulkError> {
            let live = self.progress(&job.id, written)?;
            Ok(if live { run::Go::On } else { run::Go::Stop })
        };
        let result = run::export(&read, &job, members, &dir, max, now_ms, &mut report);
        drop(read);
        let finished = self.clock.now().unix_timestamp();
        let live = match result {
            Ok(files) => {
                let written = files.iter().map(|f| f.count).sum();
                self.update(&job.id, |j| {
                    j.state = State::Done;
                    j.written = written;
                    j.files = files;
                    j.finished_at = Some(finished);
                })?
            }
            Err(run::Stopped::Cancelled) => false,
            Err(run::Stopped::Failed(e)) => {
                tracing::error!("bulk export {} failed: {e}", job.id);
                let message = e.to_string();
                let live = self.update(&job.id, |j| {
                    j.state = State::Failed;
                    j.error = Some(message);
                    j.files.clear();
                    j.finished_at = Some(finished);
                })?;
                self.remove_files(&job.id);
                live
            }
        };
        if !live {
            self.remove_files(&job.id);
        }
        Ok(())
    }

    /// Records a running job's progress without waiting for the disk (a count lost in a crash
    /// is of no use anyway: the job runs again); false when it is no longer running.
    fn progress(&self, id: &str, written: u64) -> Result<bool, BulkError> {
        let mut tx = self.store.begin_write()?;
        // Only fails when the transaction holds a persistent savepoint, which this one never does.
        let _ = tx.set_durability(redb::Durability::None);
        self.change_running(tx, id, |j| j.written = written)
    }

    /// Changes a running job; false (and no change) when it is no longer running (cancelled,
    /// or swept).
    fn update(&self, id: &str, change: impl FnOnce(&mut Job)) -> Result<bool, BulkError> {
        let tx = self.store.begin_write()?;
        self.change_running(tx, id, change)
    }

    fn change_running(
        &self,
        tx: redb::WriteTransaction,
        id: &str,
        change: impl FnOnce(&mut Job),
    ) -> Result<bool, BulkError> {
        let live = {
            let mut table = tx.open_table(BULK_JOBS)?;
            match record::get::<Job>(&table, id)? {
                Some(mut job) if job.state == State::Running => {
                    change(&mut job);
                    record::put(&mut table, id, &job)?;
                    true
                }
                _ => false,
            }
        };
        tx.commit()?;
        Ok(live)
    }

    fn sweep(&self, now: i64) -> Result<usize, BulkError> {
        let retention = self.config.retention_secs;
        let tx = self.store.begin_write()?;
        let mut expired = Vec::new();
        {
            let mut table = tx.open_table(BULK_JOBS)?;
            for (key, job) in record::scan_keyed::<Job>(&table)? {
                let old = job
                    .finished_at
                    .is_some_and(|at| at.saturating_add(retention) <= now);
                if !job.state.is_active() && old {
                    table.remove(key.as_str())?;
                    expired.push(key);
                }
            }
        }
        tx.commit()?;
        for id in &expired {
            self.remove_files(id);
        }
        Ok(expired.len())
    }

    fn remove_files(&self, id: &str) {
        let dir = self.dir.join(id);
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!("bulk export: cannot delete {}: {e}", dir.display()),
        }
    }
}
