//! The audit trail: every authorization decision and token event, and every FHIR read, vread
//! and search (with its query and each resource it returned or included), kept in the store
//! and served as FHIR AuditEvents (`fhir::audit_event`). Tokens and secrets never appear here.
//!
//! Records that describe a write commit with it (`append` in the caller's transaction); the
//! rest (`record`) are handed to the store's background writer and committed in batches, off
//! the request's hot path. Readers of the trail flush that queue first.
//!
//! The trail is bounded, because anyone can make the server record a failure (a wrong client
//! secret needs no account): identical failures close together become one entry with a
//! count, strings are clipped, and every write drops entries past the retention age and the
//! oldest beyond the row cap (`AuditPolicy`, set by `serve` and stored beside the trail so
//! every writer applies the same one).

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::OnceLock;

use redb::{ReadTransaction, WriteTransaction};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, Table};
use serde::{Deserialize, Serialize};

use crate::store::record;
pub use crate::store::tables::AUDIT;
use crate::store::tables::{AUDIT_BY_PATIENT, AUDIT_POLICY};
use crate::store::{Deferrable, Store, StoreError};

const POLICY_KEY: &str = "policy";
/// Set (beside the policy) once the patient index covers the whole trail, so a start-up does
/// not decode every entry again to find out: a trail of reads by open-API or system clients
/// names no patient, and its index stays empty for good.
const INDEXED_KEY: &str = "by_patient_indexed";

/// Entries examined for an identical failure to add to: enough for a flood of one kind, and a
/// flood of many kinds costs no more than this per write (the row cap bounds it instead).
const AGGREGATE_LOOKBACK: usize = 16;
/// Entries past the retention age dropped per write (a start-up sweep drops the rest).
const EXPIRE_PER_WRITE: usize = 64;
/// Entries dropped (in this process) before the patient index loses their rows in one pass.
const CLEAN_INDEX_EVERY: usize = 16 * 1024;
/// Entries dropped since the last pass over the patient index.
static STALE_ROWS: AtomicUsize = AtomicUsize::new(0);
/// Longest stored string (bytes); `detail` may hold twice this.
const MAX_FIELD: usize = 256;
/// Most resources one entry names (a full page of matches and their includes).
const MAX_TOUCHED: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditRecord {
    /// Unix time, seconds.
    pub at: i64,
    /// `authorize`, `login`, `consent`, `token`, `refresh`, `revoke`, `introspect`, …
    pub event: String,
    /// `success`, or the OAuth error code.
    pub outcome: String,
    pub client_id: Option<String>,
    /// The beneficiary's login name.
    pub user: Option<String>,
    pub patient: Option<String>,
    pub scopes: Option<String>,
    pub detail: Option<String>,
    /// FHIR interactions: `read`, `vread`, `search-type` (restful-interaction codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction: Option<String>,
    /// FHIR interactions: the resource type asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_type: Option<String>,
    /// FHIR searches: the parameters as sent, form-encoded (never a token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// `Type/id` (or `Type/id/_history/v`) of every resource returned or included.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touched: Vec<String>,
    /// The request id (`X-Request-Id`) the event belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// A stored record and how many identical failures it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(flatten)]
    pub record: AuditRecord,
    /// 1, or the number of identical failures folded into this entry.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u64,
    /// When the last folded failure happened.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_at: Option<i64>,
}

fn one() -> u64 {
    1
}

// By reference: serde's skip_serializing_if passes one.
fn is_one(n: &u64) -> bool {
    *n == 1
}

/// How long and how much of the trail is kept (`serve --audit-*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPolicy {
    /// Entries older than this many seconds are dropped.
    pub max_age_secs: i64,
    /// At most this many entries are kept; the oldest go first.
    pub max_entries: u64,
    /// Identical failures (same event, outcome, app, user, patient and scopes) within this
    /// many seconds of the first become one entry with a count; 0 keeps each.
    pub aggregate_window_secs: i64,
}

impl Default for AuditPolicy {
    fn default() -> Self {
        Self {
            max_age_secs: 90 * 24 * 3600,
            max_entries: 100_000,
            aggregate_window_secs: 300,
        }
    }
}

/// Stores `policy` for every later write and applies it to the trail as of `now`.
pub fn apply_policy(store: &Store, policy: &AuditPolicy, now: i64) -> Result<(), StoreError> {
    let tx = store.begin_write()?;
    {
        record::put(&mut tx.open_table(AUDIT_POLICY)?, POLICY_KEY, policy)?;
        let mut trail = Trail::open(&tx)?;
        let mut marks = tx.open_table(AUDIT_POLICY)?;
        if marks.get(INDEXED_KEY)?.is_none() {
            trail.index_if_missing()?;
            record::put(&mut marks, INDEXED_KEY, &true)?;
        }
        trail.expire(now, policy, usize::MAX)?;
        trail.drop_stale_index_rows()?;
    }
    tx.commit()?;
    Ok(())
}

fn policy_in(tx: &WriteTransaction) -> Result<AuditPolicy, StoreError> {
    let table = tx.open_table(AUDIT_POLICY)?;
    let stored = table.get(POLICY_KEY)?;
    // An unreadable policy falls back to the default rather than stopping every audited write.
    Ok(stored
        .and_then(|bytes| record::decode(POLICY_KEY, bytes.value()).ok())
        .unwrap_or_default())
}

/// Sixteen bytes from the system RNG (not `auth::keys`: the authorization server records
/// into the audit, so the audit must not depend on it).
fn random_bytes() -> [u8; 16] {
    let mut out = [0u8; 16];
    #[expect(
        clippy::expect_used,
        reason = "the system RNG failing is not something a request can recover from"
    )]
    aws_lc_rs::rand::fill(&mut out).expect("the system random number generator failed");
    out
}

/// The last part of new keys: a counter that starts at a random value in each process, so
/// same-second keys of one process never meet and another process's almost never do (a key
/// already taken is skipped, see `insert_new`).
fn next_serial() -> u32 {
    static SERIAL: OnceLock<AtomicU32> = OnceLock::new();
    SERIAL
        .get_or_init(|| {
            let [a, b, c, d, ..] = random_bytes();
            AtomicU32::new(u32::from_le_bytes([a, b, c, d]))
        })
        .fetch_add(1, Ordering::Relaxed)
}

/// Appends a record inside the caller's transaction (so it commits with what it describes),
/// folding it into an identical recent failure, and drops what the policy no longer keeps.
pub fn append(tx: &WriteTransaction, record: &AuditRecord) -> Result<(), StoreError> {
    append_batch(tx, vec![record.clone()])
}

/// Appends `records` (in order) inside `tx`: the policy is read, the trail opened and expired
/// once for all of them. The background writer applies each queued batch with this.
pub fn append_batch(tx: &WriteTransaction, records: Vec<AuditRecord>) -> Result<(), StoreError> {
    let Some(newest) = records.iter().map(|r| r.at).max() else {
        return Ok(());
    };
    let policy = policy_in(tx)?;
    let mut trail = Trail::open(tx)?;
    let mut appended = 0;
    for record in records {
        let record = clipped(record);
        let kind = kind_tag(&record);
        if fold_into_recent(&mut trail.entries, &record, &kind, &policy)? {
            continue;
        }
        let entry = AuditEntry {
            record,
            count: 1,
            last_at: None,
        };
        let key = insert_new(
            &mut trail.entries,
            entry.record.at,
            &kind,
            &record::encode(&entry),
        )?;
        for patient in patients_named(&entry.record) {
            trail.by_patient.insert((patient, key.as_str()), ())?;
        }
        appended += 1;
    }
    if appended > 0 {
        trail.expire(newest, &policy, EXPIRE_PER_WRITE + appended)?;
    }
    Ok(())
}

/// The trail's tables, open in one write transaction: the entries, and the patient index
/// (`AUDIT_BY_PATIENT`) kept in step with them.
struct Trail<'tx> {
    entries: Table<'tx, &'static str, &'static [u8]>,
    by_patient: Table<'tx, (&'static str, &'static str), ()>,
}

impl<'tx> Trail<'tx> {
    fn open(tx: &'tx WriteTransaction) -> Result<Self, StoreError> {
        Ok(Self {
            entries: tx.open_table(AUDIT)?,
            by_patient: tx.open_table(AUDIT_BY_PATIENT)?,
        })
    }

    /// Drops the oldest entry; false when the trail is empty. Its index rows stay until
    /// `drop_stale_index_rows` (reading the entry to find them would cost more than the rest of
    /// the write): entries only ever leave oldest first, so stale rows are exactly those keyed
    /// before the oldest live entry, and readers skip them.
    fn pop_oldest(&mut self) -> Result<bool, StoreError> {
        let popped = self.entries.pop_first()?.is_some();
        if popped && STALE_ROWS.fetch_add(1, Ordering::Relaxed) + 1 >= CLEAN_INDEX_EVERY {
            self.drop_stale_index_rows()?;
        }
        Ok(popped)
    }

    /// Removes the index rows of entries that are gone (keyed before the oldest live one).
    fn drop_stale_index_rows(&mut self) -> Result<(), StoreError> {
        STALE_ROWS.store(0, Ordering::Relaxed);
        let oldest = self
            .entries
            .first()?
            .map(|(key, _)| key.value().to_string());
        match oldest {
            Some(oldest) => self
                .by_patient
                .retain(|(_, key), ()| key >= oldest.as_str())?,
            None => self.by_patient.retain(|_, ()| false)?,
        }
        Ok(())
    }

    /// Drops up to `limit` entries older than the retention age, then the oldest beyond the
    /// cap; returns how many it dropped.
    fn expire(
        &mut self,
        now: i64,
        policy: &AuditPolicy,
        limit: usize,
    ) -> Result<usize, StoreError> {
        let cutoff = time_key(now.saturating_sub(policy.max_age_secs));
        let mut dropped = 0;
        for _ in 0..limit {
            let too_old = self
                .entries
                .first()?
                .is_some_and(|(key, _)| key.value() < cutoff.as_str());
            if !too_old || !self.pop_oldest()? {
                break;
            }
            dropped += 1;
        }
        while self.entries.len()? > policy.max_entries.max(1) {
            if !self.pop_oldest()? {
                break;
            }
            dropped += 1;
        }
        Ok(dropped)
    }

    /// Builds the patient index of a trail written before it existed.
    fn index_if_missing(&mut self) -> Result<(), StoreError> {
        if !self.by_patient.is_empty()? {
            return Ok(());
        }
        let mut rows = Vec::new();
        for row in self.entries.iter()? {
            let (key, value) = row?;
            let Ok(entry) = record::decode::<AuditEntry>(key.value(), value.value()) else {
                continue;
            };
            for patient in patients_named(&entry.record) {
                rows.push((patient.to_string(), key.value().to_string()));
            }
        }
        for (patient, key) in rows {
            self.by_patient
                .insert((patient.as_str(), key.as_str()), ())?;
        }
        Ok(())
    }
}

/// Every patient an entry names, once each: its patient, and each `Patient/…` it touched (what
/// the AuditEvent's `patient` search parameter matches).
pub fn patients_named(record: &AuditRecord) -> Vec<&str> {
    let touched = record.touched.iter().filter_map(|t| {
        let id = t.strip_prefix("Patient/")?;
        Some(id.split('/').next().unwrap_or(id))
    });
    let mut out: Vec<&str> = Vec::new();
    for patient in record.patient.as_deref().into_iter().chain(touched) {
        if !patient.is_empty() && !out.contains(&patient) {
            out.push(patient);
        }
    }
    out
}

/// Keys of the entries that name `patient` (`patients_named`), recorded from `from` to `to`
/// (Unix seconds, both included), oldest first: a range scan of the patient index.
pub fn patient_keys(
    tx: &ReadTransaction,
    patient: &str,
    from: i64,
    to: i64,
) -> Result<Vec<String>, StoreError> {
    let table = tx.open_table(AUDIT_BY_PATIENT)?;
    // Rows keyed before the oldest live entry are stale (see `Trail::pop_oldest`).
    let oldest = tx
        .open_table(AUDIT)?
        .first()?
        .map(|(key, _)| key.value().to_string())
        .unwrap_or_default();
    let (lo, hi) = (time_key(from).max(oldest), time_key(to.saturating_add(1)));
    let mut out = Vec::new();
    if lo >= hi {
        return Ok(out);
    }
    for row in table.range((patient, lo.as_str())..(patient, hi.as_str()))? {
        let (key, _) = row?;
        out.push(key.value().1.to_string());
    }
    Ok(out)
}

/// Stores `value` under a new key and returns it: time first so keys sort chronologically; then the kind of
/// event, so finding one to fold into needs no parsing; then a serial that keeps same-second
/// keys apart.
fn insert_new(
    table: &mut Table<&str, &[u8]>,
    at: i64,
    kind: &str,
    value: &[u8],
) -> Result<String, StoreError> {
    loop {
        let key = format!("{}-{kind}{:08x}", time_key(at), next_serial());
        let taken = table
            .insert(key.as_str(), value)?
            .map(|old| old.value().to_vec());
        let Some(old) = taken else {
            return Ok(key);
        };
        // Another process's entry had this key: put it back and take the next serial.
        table.insert(key.as_str(), old.as_slice())?;
    }
}

/// The trail's key of a stored entry is `{time}-{kind}{random}`: 37 characters of digits,
/// `-` and hex, so it is also a valid FHIR id (the AuditEvent's).
pub fn is_key(key: &str) -> bool {
    key.len() == 37
        && key.as_bytes().get(20) == Some(&b'-')
        && key.bytes().enumerate().all(|(i, b)| {
            if i == 20 {
                b == b'-'
            } else {
                b.is_ascii_hexdigit()
            }
        })
}

/// The key prefix of entries at `at`: zero-padded so keys sort by time.
pub fn time_key(at: i64) -> String {
    format!("{:020}", at.max(0))
}

/// Adds `record` to the count of an identical failure within the window; false when there is
/// none (or `record` is a success: each of those is kept).
fn fold_into_recent(
    table: &mut Table<&str, &[u8]>,
    record: &AuditRecord,
    kind: &str,
    policy: &AuditPolicy,
) -> Result<bool, StoreError> {
    if record.outcome == "success" || policy.aggregate_window_secs <= 0 {
        return Ok(false);
    }
    let since = time_key(record.at - policy.aggregate_window_secs + 1);
    let mut found = None;
    for row in table
        .range(since.as_str()..)?
        .rev()
        .take(AGGREGATE_LOOKBACK)
    {
        let (key, value) = row?;
        if key.value().get(21..29) != Some(kind) {
            continue;
        }
        let Ok(entry) = record::decode::<AuditEntry>(key.value(), value.value()) else {
            continue;
        };
        if same_failure(&entry.record, record) {
            found = Some((key.value().to_string(), entry));
            break;
        }
    }
    let Some((key, mut entry)) = found else {
        return Ok(false);
    };
    entry.count += 1;
    entry.last_at = Some(entry.last_at.unwrap_or(entry.record.at).max(record.at));
    record::put(table, &key, &entry)?;
    Ok(true)
}

/// Eight hex digits naming what `same_failure` compares, for the entry's key.
fn kind_tag(r: &AuditRecord) -> String {
    let mut hasher = blake3::Hasher::new();
    for part in [
        Some(r.event.as_str()),
        Some(r.outcome.as_str()),
        r.client_id.as_deref(),
        r.user.as_deref(),
        r.patient.as_deref(),
        r.scopes.as_deref(),
    ] {
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        let part = part.unwrap_or("\0");
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part.as_bytes());
    }
    hasher.finalize().to_hex()[..8].to_string()
}

/// Same event, outcome and parties; the time and the free-text detail may differ (a detail can
/// quote what the client sent, so a flood could vary it at will).
fn same_failure(a: &AuditRecord, b: &AuditRecord) -> bool {
    a.event == b.event
        && a.outcome == b.outcome
        && a.client_id == b.client_id
        && a.user == b.user
        && a.patient == b.patient
        && a.scopes == b.scopes
}

/// `record` with every string cut to a bounded length (callers pass what clients sent).
fn clipped(mut r: AuditRecord) -> AuditRecord {
    clip(&mut r.event, MAX_FIELD);
    clip(&mut r.outcome, MAX_FIELD);
    for (field, max) in [
        (&mut r.client_id, MAX_FIELD),
        (&mut r.user, MAX_FIELD),
        (&mut r.patient, MAX_FIELD),
        (&mut r.scopes, MAX_FIELD * 4),
        (&mut r.detail, MAX_FIELD * 2),
        (&mut r.interaction, MAX_FIELD),
        (&mut r.resource_type, MAX_FIELD),
        (&mut r.query, MAX_FIELD * 8),
        (&mut r.request_id, MAX_FIELD),
    ] {
        if let Some(s) = field {
            clip(s, max);
        }
    }
    // A page holds at most `MAX_COUNT` matches plus what they include.
    r.touched.truncate(MAX_TOUCHED);
    for t in &mut r.touched {
        clip(t, MAX_FIELD);
    }
    r
}

/// Cuts `s` to at most `max` bytes (at a character boundary) and marks the cut with `…`.
fn clip(s: &mut String, max: usize) {
    if s.len() <= max {
        return;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    s.push('…');
}

impl Deferrable for AuditRecord {
    fn apply_batch(tx: &WriteTransaction, items: Vec<Self>) -> Result<(), StoreError> {
        let n = items.len();
        append_batch(tx, items).inspect_err(|e| {
            tracing::error!("could not record {n} audit events: {e}");
        })
    }
}

/// Appends a record that describes no write of its own (refusals, sign-ins, FHIR reads):
/// queued for the store's background writer, which commits a batch per transaction, so the
/// request does not wait for the disk. A store failure there is logged, not raised: the
/// request it describes has been decided already.
pub fn record(store: &Store, record: AuditRecord) {
    store.defer_item(record);
}

/// The newest `limit` records, newest first.
pub fn recent(store: &Store, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
    Ok(recent_entries(store, limit)?
        .into_iter()
        .map(|entry| entry.record)
        .collect())
}

/// The newest `limit` entries with their counts, newest first.
pub fn recent_entries(store: &Store, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
    Ok(recent_keyed(store, limit)?
        .into_iter()
        .map(|(_, entry)| entry)
        .collect())
}

/// The newest `limit` entries with their keys, newest first (after a flush of the queue).
pub fn recent_keyed(store: &Store, limit: usize) -> Result<Vec<(String, AuditEntry)>, StoreError> {
    store.flush();
    let tx = store.database().begin_read()?;
    let table = match tx.open_table(AUDIT) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for row in table.iter()?.rev().take(limit) {
        let (k, v) = row?;
        out.push((k.value().to_string(), record::decode(k.value(), v.value())?));
    }
    Ok(out)
}

/// The newest FHIR interactions of each app with `patient`'s data (at most `per_app` each,
/// newest first), from the patient's newest `scan` entries (the patient index): the
/// connected-apps page's access history.
pub fn access_history(
    store: &Store,
    patient: &str,
    per_app: usize,
    scan: usize,
) -> Result<std::collections::HashMap<String, Vec<AuditRecord>>, StoreError> {
    store.flush();
    let tx = store.database().begin_read()?;
    let keys = patient_keys(&tx, patient, 0, i64::MAX)?;
    let table = tx.open_table(AUDIT)?;
    let mut out: std::collections::HashMap<String, Vec<AuditRecord>> = Default::default();
    for key in keys.iter().rev().take(scan) {
        let Some(entry) = record::get::<AuditEntry>(&table, key)? else {
            continue;
        };
        let r = entry.record;
        if r.interaction.is_none() || r.patient.as_deref() != Some(patient) {
            continue;
        }
        let Some(client_id) = r.client_id.clone() else {
            continue;
        };
        let list = out.entry(client_id).or_default();
        if list.len() < per_app {
            list.push(r);
        }
    }
    Ok(out)
}

/// The entry stored under `key` (after a flush of the queue).
pub fn entry(store: &Store, key: &str) -> Result<Option<AuditEntry>, StoreError> {
    store.flush();
    let tx = store.database().begin_read()?;
    record::get(&tx.open_table(AUDIT)?, key)
}

/// Entries kept and the bytes their keys and values take.
pub fn size(store: &Store) -> Result<(u64, u64), StoreError> {
    store.flush();
    let tx = store.database().begin_read()?;
    let table = match tx.open_table(AUDIT) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok((0, 0)),
        Err(e) => return Err(e.into()),
    };
    let mut bytes = 0;
    for row in table.iter()? {
        let (k, v) = row?;
        bytes += (k.value().len() + v.value().len()) as u64;
    }
    Ok((table.len()?, bytes))
}

#[cfg(test)]
#[path = "audit_tests.rs"]
mod tests;
