//! The redb store: the source of truth. Resources are kept as the exact JSON bytes we serve,
//! keyed by `Type/id`, with every superseded version kept for `vread`.

mod cache;
mod codec;
mod deferred;
mod error;
pub mod record;
pub mod tables;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use redb::{Database, ReadTransaction, ReadableDatabase, ReadableTable, WriteTransaction};

pub use bytes::Bytes;
pub use cache::{Cached, Links};
pub use deferred::{Deferrable, DeferredWrite};
pub use error::StoreError;
use tables::{
    FINGERPRINTS, META, META_GENERATION, META_SCHEMA_VERSION, META_STORE_ID, RESOURCES,
    RESOURCE_HISTORY, SCHEMA_VERSION,
};

/// The file inside the data directory that holds the store.
pub const STORE_FILE: &str = "carin.redb";

/// redb's page cache (reads and the write buffer of an open transaction) for imports and
/// the other commands.
const CACHE_BYTES: usize = 192 * 1024 * 1024;

/// redb's page cache for `serve`: the API's hot reads are answered from the cache of
/// decompressed resources ([`cache`]) and the index's columns, so pages kept here as well
/// mostly doubled what a busy server held (peak RSS 456 MiB at 30,000 members with 192 MiB);
/// a fill batch's write buffer fits easily.
pub const SERVE_CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Cheap to clone: every clone is the same database.
#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    /// Writes off the hot path (`defer`), shared by every clone.
    deferred: Arc<deferred::Deferred>,
    /// Decompressed resources lately read (`ReadTx::get_shared`), shared by every clone.
    cache: Arc<cache::ResourceCache>,
}

impl Store {
    /// Opens (or creates) the store in `data_dir`, checking its schema version.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_with_cache(data_dir, CACHE_BYTES)
    }

    /// [`Store::open`] with `cache_bytes` of redb page cache.
    pub fn open_with_cache(data_dir: &Path, cache_bytes: usize) -> Result<Self, StoreError> {
        let path = data_dir.join(STORE_FILE);
        // redb caches up to 1 GiB by default; during a large import that cache is what the
        // process's memory grows to. A smaller one keeps a 30,000-member import well under 1 GiB
        // (dirty pages spill to the file before commit; an aborted import still leaves nothing).
        let db = Database::builder()
            .set_cache_size(cache_bytes)
            .create(&path)
            .map_err(|source| StoreError::Open {
                path: path.clone(),
                source,
            })?;
        Self::init(db, path)
    }

    /// A store that lives in memory only (tests, validation of files without a data dir).
    pub fn in_memory() -> Result<Self, StoreError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|source| StoreError::Open {
                path: PathBuf::from(":memory:"),
                source,
            })?;
        Self::init(db, PathBuf::from(":memory:"))
    }

    fn init(db: Database, path: PathBuf) -> Result<Self, StoreError> {
        let tx = db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            let found = meta
                .get(META_SCHEMA_VERSION)?
                .map(|v| String::from_utf8_lossy(v.value()).into_owned());
            match found {
                None => {
                    meta.insert(META_SCHEMA_VERSION, SCHEMA_VERSION.to_string().as_bytes())?;
                }
                Some(found) if found != SCHEMA_VERSION.to_string() => {
                    return Err(StoreError::SchemaVersion {
                        path,
                        found,
                        expected: SCHEMA_VERSION,
                    });
                }
                Some(_) => {}
            }
            if meta.get(META_STORE_ID)?.is_none() {
                let mut id = [0u8; 16];
                aws_lc_rs::rand::fill(&mut id).map_err(|_| StoreError::Random)?;
                let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
                meta.insert(META_STORE_ID, hex.as_bytes())?;
            }
            // Create every table up front so read transactions never meet a missing one.
            tx.open_table(RESOURCES)?;
            tx.open_table(RESOURCE_HISTORY)?;
            tx.open_table(FINGERPRINTS)?;
            tx.open_table(tables::AUDIT_BY_PATIENT)?;
        }
        record::create_all(&tx, tables::RECORD_TABLES)?;
        tx.commit()?;
        Ok(Self {
            db: Arc::new(db),
            deferred: Arc::default(),
            cache: Arc::new(cache::ResourceCache::new(
                cache::BUDGET_BYTES,
                cache::LINKS_BUDGET_BYTES,
            )),
        })
    }

    pub fn begin_write(&self) -> Result<WriteTransaction, StoreError> {
        Ok(self.db.begin_write()?)
    }

    /// Queues `write` for the background writer, which commits queued writes in batches (one
    /// transaction each); returns at once. See `store::deferred`.
    pub fn defer(&self, write: DeferredWrite) {
        self.deferred.defer(&self.db, write);
    }

    /// Queues `item` for the background writer, which applies the items of one kind a batch
    /// at a time (`Deferrable::apply_batch`); returns at once.
    pub fn defer_item<T: Deferrable>(&self, item: T) {
        self.deferred.defer(&self.db, item);
    }

    /// Waits until every write deferred before this call is committed.
    pub fn flush(&self) {
        self.deferred.flush();
    }

    pub fn read(&self) -> Result<ReadTx, StoreError> {
        Ok(ReadTx {
            tx: self.db.begin_read()?,
            cache: self.cache.clone(),
        })
    }

    /// Closes the database once this is its last handle, waiting up to `patience` for the
    /// others (server workers, background threads) to let go; returns whether it closed. A
    /// database dropped this way is marked clean, so the next open skips redb's repair, which
    /// walks every page of the file (over a second at 30,000 members). A process that exits
    /// while another thread still holds a handle leaves that repair to the next start.
    pub fn close_when_unshared(self, patience: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + patience;
        while Arc::strong_count(&self.deferred) > 1 {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        // The last handle: dropping it drains the deferred queue, joins its thread (which holds
        // the other reference to the database) and so drops the database.
        drop(self);
        true
    }

    /// The database itself, for modules that keep tables of their own (`auth`, `audit`).
    pub fn database(&self) -> &Database {
        &self.db
    }

    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read()?;
        let table = tx.open_table(META)?;
        Ok(table.get(key)?.map(|v| v.value().to_vec()))
    }

    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        tx.open_table(META)?.insert(key, value)?;
        tx.commit()?;
        Ok(())
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upsert {
    Created,
    Updated { version: u32 },
    Unchanged,
}

/// A resource ready to be stored: its JSON without `meta`, and where `meta` goes.
///
/// `body` must start with `{"resourceType":"T","id":"X"` and `meta_at` is the byte offset just
/// after that prefix; `meta` is spliced in there so the stored JSON reads
/// `{"resourceType":…,"id":…,"meta":{…},…}` without a second serialization.
pub struct PreparedResource<'a> {
    pub resource_type: &'a str,
    pub id: &'a str,
    pub body: &'a [u8],
    pub meta_at: usize,
    /// Profiles for `meta.profile` (canonical|version).
    pub profiles: &'a [&'a str],
}

/// Which state of the store a snapshot shows: the store's id and its generation, the number of
/// committed write transactions that changed a resource. Every resource write goes through
/// [`ResourceWriter`], which bumps the generation in the same transaction, so two snapshots
/// with equal generations hold the same resources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generation {
    pub store_id: String,
    pub number: u64,
}

impl std::fmt::Display for Generation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.store_id, self.number)
    }
}

fn read_generation(value: Option<&[u8]>) -> Result<u64, StoreError> {
    match value {
        None => Ok(0),
        Some(raw) => raw
            .try_into()
            .map(u64::from_be_bytes)
            .map_err(|_| StoreError::Corrupt {
                key: META_GENERATION.into(),
                reason: "not an 8-byte counter".into(),
            }),
    }
}

/// Writes resources inside one write transaction; the caller commits (or drops to abort).
pub struct ResourceWriter<'txn> {
    resources: redb::Table<'txn, &'static str, &'static [u8]>,
    history: redb::Table<'txn, (&'static str, u32), &'static [u8]>,
    fingerprints: redb::Table<'txn, &'static str, &'static [u8]>,
    meta: redb::Table<'txn, &'static str, &'static [u8]>,
    /// The generation before this transaction, and whether it has bumped it yet.
    generation: u64,
    bumped: bool,
    key: String,
    out: Vec<u8>,
    compressor: zstd::bulk::Compressor<'static>,
}

impl<'txn> ResourceWriter<'txn> {
    pub fn new(tx: &'txn WriteTransaction) -> Result<Self, StoreError> {
        let meta = tx.open_table(META)?;
        let generation = read_generation(meta.get(META_GENERATION)?.as_ref().map(|v| v.value()))?;
        Ok(Self {
            resources: tx.open_table(RESOURCES)?,
            history: tx.open_table(RESOURCE_HISTORY)?,
            fingerprints: tx.open_table(FINGERPRINTS)?,
            meta,
            generation,
            bumped: false,
            key: String::new(),
            out: Vec::new(),
            compressor: codec::compressor()?,
        })
    }

    /// The store generation before this transaction and the one it commits (equal when it
    /// changed nothing).
    pub fn generations(&self) -> (u64, u64) {
        (self.generation, self.generation + u64::from(self.bumped))
    }

    /// The JSON the last [`ResourceWriter::upsert`] that wrote stored (`meta` included), as
    /// the search index sees it; meaningless after an `Unchanged`.
    pub fn last_json(&self) -> &[u8] {
        &self.out
    }

    /// The first change of the transaction moves the generation on, in the same transaction.
    fn bump_generation(&mut self) -> Result<(), StoreError> {
        if !self.bumped {
            let next = self.generation + 1;
            self.meta
                .insert(META_GENERATION, next.to_be_bytes().as_slice())?;
            self.bumped = true;
        }
        Ok(())
    }

    /// Stores `res` as a new version unless its content (everything but `meta`) is unchanged.
    /// `last_updated` is a FHIR instant.
    pub fn upsert(
        &mut self,
        res: &PreparedResource<'_>,
        last_updated: &str,
    ) -> Result<Upsert, StoreError> {
        self.key.clear();
        self.key.push_str(res.resource_type);
        self.key.push('/');
        self.key.push_str(res.id);
        // A fast 128-bit content hash: it only has to tell an edited resource from an unchanged one.
        let hash = xxhash_rust::xxh3::xxh3_128(res.body).to_be_bytes();

        let previous = match self.fingerprints.get(self.key.as_str())? {
            Some(fp) => Some(decode_fingerprint(&self.key, fp.value())?),
            None => None,
        };
        let version = match previous {
            Some((_, old_hash)) if old_hash == hash => return Ok(Upsert::Unchanged),
            Some((old_version, _)) => {
                // Keep the superseded version for vread before it is overwritten (as stored).
                let old = self
                    .resources
                    .get(self.key.as_str())?
                    .map(|v| v.value().to_vec())
                    .ok_or_else(|| StoreError::Corrupt {
                        key: self.key.clone(),
                        reason: "fingerprint without resource".into(),
                    })?;
                self.history
                    .insert((self.key.as_str(), old_version), old.as_slice())?;
                old_version + 1
            }
            None => 1,
        };

        self.bump_generation()?;
        self.out.clear();
        splice_meta(&mut self.out, res, version, last_updated);
        let stored = self.compressor.compress(&self.out).map_err(codec::error)?;
        self.resources
            .insert(self.key.as_str(), stored.as_slice())?;
        let mut fp = [0u8; 20];
        fp[..4].copy_from_slice(&version.to_be_bytes());
        fp[4..].copy_from_slice(&hash);
        self.fingerprints.insert(self.key.as_str(), fp.as_slice())?;
        Ok(if version == 1 {
            Upsert::Created
        } else {
            Upsert::Updated { version }
        })
    }
}

fn splice_meta(out: &mut Vec<u8>, res: &PreparedResource<'_>, version: u32, last_updated: &str) {
    use std::io::Write;
    out.extend_from_slice(&res.body[..res.meta_at]);
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        r#","meta":{{"versionId":"{version}","lastUpdated":"{last_updated}","profile":["#
    );
    for (i, p) in res.profiles.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(p.as_bytes());
        out.push(b'"');
    }
    out.extend_from_slice(b"]}");
    out.extend_from_slice(&res.body[res.meta_at..]);
}

fn decode_fingerprint(key: &str, raw: &[u8]) -> Result<(u32, [u8; 16]), StoreError> {
    let corrupt = || StoreError::Corrupt {
        key: key.to_string(),
        reason: "bad fingerprint".into(),
    };
    let version = u32::from_be_bytes(
        raw.get(..4)
            .ok_or_else(corrupt)?
            .try_into()
            .map_err(|_| corrupt())?,
    );
    let hash: [u8; 16] = raw
        .get(4..20)
        .ok_or_else(corrupt)?
        .try_into()
        .map_err(|_| corrupt())?;
    Ok((version, hash))
}

/// `meta.versionId` and `meta.lastUpdated` of a stored resource, read without parsing it all
/// (the writer always splices `meta` right after `id`, see [`ResourceWriter::upsert`]).
pub fn version_and_last_updated(json: &[u8]) -> Option<(String, String)> {
    let text = std::str::from_utf8(json.get(..json.len().min(512))?).ok()?;
    let field = |name: &str| {
        let key = format!("\"{name}\":\"");
        let start = text.find(&key)? + key.len();
        let end = text[start..].find('"')? + start;
        Some(text[start..end].to_string())
    };
    Some((field("versionId")?, field("lastUpdated")?))
}

/// The current resources of a [`ReadTx`], read through the cache ([`ReadTx::get_shared`]).
pub struct Resources<'a> {
    table: redb::ReadOnlyTable<&'static str, &'static [u8]>,
    cache: &'a cache::ResourceCache,
}

impl Resources<'_> {
    /// The current version of `Type/id` as JSON, shared (see [`ReadTx::get_shared`]).
    pub fn get_shared(&self, resource_type: &str, id: &str) -> Result<Option<Bytes>, StoreError> {
        Ok(self.get_cached(resource_type, id)?.map(|c| c.json))
    }

    /// Like [`Resources::get_shared`], with the resource's [`Links`] if they were made.
    pub fn get_cached(&self, resource_type: &str, id: &str) -> Result<Option<Cached>, StoreError> {
        let key = format!("{resource_type}/{id}");
        self.table
            .get(key.as_str())?
            .map(|v| self.cache.cached(&key, v.value()))
            .transpose()
    }
}

/// A consistent snapshot of the store.
pub struct ReadTx {
    tx: ReadTransaction,
    cache: Arc<cache::ResourceCache>,
}

impl ReadTx {
    /// The state of the store this snapshot shows.
    pub fn generation(&self) -> Result<Generation, StoreError> {
        let meta = self.tx.open_table(META)?;
        let store_id = meta
            .get(META_STORE_ID)?
            .map(|v| String::from_utf8_lossy(v.value()).into_owned())
            .unwrap_or_default();
        let number = read_generation(meta.get(META_GENERATION)?.as_ref().map(|v| v.value()))?;
        Ok(Generation { store_id, number })
    }

    /// The current version of `Type/id`, as JSON.
    pub fn get(&self, resource_type: &str, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let table = self.tx.open_table(RESOURCES)?;
        let key = format!("{resource_type}/{id}");
        table
            .get(key.as_str())?
            .map(|v| codec::decompress(&key, v.value()))
            .transpose()
    }

    /// The current version of `Type/id`, as JSON shared with the store's cache of lately
    /// read resources (see `store::cache`: an entry is used only when it was made from the
    /// very bytes this snapshot holds). For the API's reads and searches; bulk passes over
    /// many resources use [`ReadTx::get`] and leave the cache alone.
    pub fn get_shared(&self, resource_type: &str, id: &str) -> Result<Option<Bytes>, StoreError> {
        self.resources()?.get_shared(resource_type, id)
    }

    /// The resource table opened once, for reading many resources through the cache (a
    /// searchset's page and includes).
    pub fn resources(&self) -> Result<Resources<'_>, StoreError> {
        Ok(Resources {
            table: self.tx.open_table(RESOURCES)?,
            cache: &self.cache,
        })
    }

    pub fn exists(&self, resource_type: &str, id: &str) -> Result<bool, StoreError> {
        Ok(self.current_version(resource_type, id)?.is_some())
    }

    /// The current version number of `Type/id`.
    pub fn current_version(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<Option<u32>, StoreError> {
        let table = self.tx.open_table(FINGERPRINTS)?;
        let key = format!("{resource_type}/{id}");
        match table.get(key.as_str())? {
            Some(fp) => Ok(Some(decode_fingerprint(&key, fp.value())?.0)),
            None => Ok(None),
        }
    }

    /// A specific version of `Type/id` (current or historical).
    pub fn get_version(
        &self,
        resource_type: &str,
        id: &str,
        version: u32,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        match self.current_version(resource_type, id)? {
            Some(current) if current == version => self.get(resource_type, id),
            Some(current) if version < current => {
                let table = self.tx.open_table(RESOURCE_HISTORY)?;
                let key = format!("{resource_type}/{id}");
                table
                    .get((key.as_str(), version))?
                    .map(|v| codec::decompress(&key, v.value()))
                    .transpose()
            }
            _ => Ok(None),
        }
    }

    /// Calls `f(id, json)` for every current resource of one type, in id order.
    pub fn for_each(
        &self,
        resource_type: &str,
        mut f: impl FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut json = Vec::new();
        let mut decompressor = codec::Decompressor::new()?;
        self.for_each_stored(resource_type, |id, stored| {
            codec::decompress_into(&mut decompressor, id, stored, &mut json)?;
            f(id, &json)
        })
    }

    /// The first `limit` resources of a type in id order, decompressed.
    pub fn first(
        &self,
        resource_type: &str,
        limit: usize,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let table = self.tx.open_table(RESOURCES)?;
        let start = format!("{resource_type}/");
        let end = format!("{resource_type}0");
        let mut decompressor = codec::Decompressor::new()?;
        let mut out = Vec::new();
        for entry in table.range(start.as_str()..end.as_str())?.take(limit) {
            let (k, v) = entry?;
            let id = &k.value()[start.len()..];
            let mut json = Vec::new();
            codec::decompress_into(&mut decompressor, id, v.value(), &mut json)?;
            out.push((id.to_string(), json));
        }
        Ok(out)
    }

    /// Like [`ReadTx::for_each`], with the bytes as stored (compressed).
    pub fn for_each_stored(
        &self,
        resource_type: &str,
        mut f: impl FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let table = self.tx.open_table(RESOURCES)?;
        let start = format!("{resource_type}/");
        // '0' is the character after '/', so this range is exactly the "Type/" prefix.
        let end = format!("{resource_type}0");
        for entry in table.range(start.as_str()..end.as_str())? {
            let (k, v) = entry?;
            let key = k.value();
            f(&key[start.len()..], v.value())?;
        }
        Ok(())
    }

    /// Calls `f(id, hash)` for every current resource of one type, in id order, where `hash`
    /// is the xxh3-128 of its JSON without `meta` (the fingerprint): equal content, equal hash,
    /// across versions and stores. Reads no resource bodies.
    pub fn for_each_fingerprint(
        &self,
        resource_type: &str,
        mut f: impl FnMut(&str, u128) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let table = self.tx.open_table(FINGERPRINTS)?;
        let start = format!("{resource_type}/");
        let end = format!("{resource_type}0");
        for entry in table.range(start.as_str()..end.as_str())? {
            let (k, v) = entry?;
            let key = k.value();
            let (_, hash) = decode_fingerprint(key, v.value())?;
            f(&key[start.len()..], u128::from_be_bytes(hash))?;
        }
        Ok(())
    }

    /// How many current resources of one type exist.
    pub fn count(&self, resource_type: &str) -> Result<u64, StoreError> {
        let mut n = 0;
        self.for_each_stored(resource_type, |_, _| {
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }

    /// Total bytes of current resources of one type: (JSON, as stored compressed).
    pub fn bytes(&self, resource_type: &str) -> Result<(u64, u64), StoreError> {
        let (mut json, mut stored) = (0u64, 0u64);
        self.for_each_stored(resource_type, |id, v| {
            stored += v.len() as u64;
            json += codec::content_size(id, v)?;
            Ok(())
        })?;
        Ok((json, stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prepared<'a>(body: &'a [u8], id: &'a str) -> PreparedResource<'a> {
        let prefix = format!(r#"{{"resourceType":"Patient","id":"{id}""#);
        PreparedResource {
            resource_type: "Patient",
            id,
            body,
            meta_at: prefix.len(),
            profiles: &["http://example.org/P|2.0.0"],
        }
    }

    #[test]
    fn upsert_versions_only_on_change() {
        let store = Store::in_memory().unwrap();
        let v1 = br#"{"resourceType":"Patient","id":"p1","gender":"male"}"#;
        let v2 = br#"{"resourceType":"Patient","id":"p1","gender":"female"}"#;
        let tx = store.begin_write().unwrap();
        {
            let mut w = ResourceWriter::new(&tx).unwrap();
            assert_eq!(
                w.upsert(&prepared(v1, "p1"), "t1").unwrap(),
                Upsert::Created
            );
            assert_eq!(
                w.upsert(&prepared(v1, "p1"), "t2").unwrap(),
                Upsert::Unchanged
            );
            assert_eq!(
                w.upsert(&prepared(v2, "p1"), "t3").unwrap(),
                Upsert::Updated { version: 2 }
            );
        }
        tx.commit().unwrap();

        let r = store.read().unwrap();
        let current = String::from_utf8(r.get("Patient", "p1").unwrap().unwrap()).unwrap();
        assert_eq!(
            current,
            r#"{"resourceType":"Patient","id":"p1","meta":{"versionId":"2","lastUpdated":"t3","profile":["http://example.org/P|2.0.0"]},"gender":"female"}"#
        );
        let old = String::from_utf8(r.get_version("Patient", "p1", 1).unwrap().unwrap()).unwrap();
        assert!(
            old.contains(r#""versionId":"1","lastUpdated":"t1""#),
            "{old}"
        );
        assert!(old.contains("male"));
        assert!(r.get_version("Patient", "p1", 3).unwrap().is_none());
        assert_eq!(r.count("Patient").unwrap(), 1);
        serde_json::from_str::<serde_json::Value>(&current).unwrap();
    }

    #[test]
    fn generation_moves_once_per_transaction_that_changes_a_resource() {
        let store = Store::in_memory().unwrap();
        let generation = || store.read().unwrap().generation().unwrap();
        let start = generation();
        assert_eq!(start.number, 0);
        assert_eq!(start.store_id.len(), 32);
        let write = |bodies: &[&[u8]]| {
            let tx = store.begin_write().unwrap();
            let moved = {
                let mut w = ResourceWriter::new(&tx).unwrap();
                for body in bodies {
                    w.upsert(&prepared(body, "p1"), "t").unwrap();
                }
                w.generations()
            };
            tx.commit().unwrap();
            moved
        };
        let v1 = br#"{"resourceType":"Patient","id":"p1","gender":"male"}"#;
        let v2 = br#"{"resourceType":"Patient","id":"p1","gender":"female"}"#;
        assert_eq!(write(&[v1, v2]), (0, 1), "two changes, one transaction");
        assert_eq!(write(&[v2]), (1, 1), "nothing changed");
        assert_eq!(write(&[v1]), (1, 2));
        assert_eq!(generation().number, 2);
        assert_eq!(generation().store_id, start.store_id);
        {
            let tx = store.begin_write().unwrap();
            ResourceWriter::new(&tx)
                .unwrap()
                .upsert(&prepared(v2, "p1"), "t")
                .unwrap();
            // dropped: the change and its generation go together
        }
        assert_eq!(generation().number, 2);
    }

    #[test]
    fn dropped_transaction_leaves_store_untouched() {
        let store = Store::in_memory().unwrap();
        let body = br#"{"resourceType":"Patient","id":"p1"}"#;
        {
            let tx = store.begin_write().unwrap();
            let mut w = ResourceWriter::new(&tx).unwrap();
            w.upsert(&prepared(body, "p1"), "t").unwrap();
            // dropped without commit
        }
        assert_eq!(store.read().unwrap().count("Patient").unwrap(), 0);
    }

    #[test]
    fn for_each_is_limited_to_one_type() {
        let store = Store::in_memory().unwrap();
        let tx = store.begin_write().unwrap();
        {
            let mut w = ResourceWriter::new(&tx).unwrap();
            for (ty, id) in [
                ("Patient", "a"),
                ("PatientX", "b"),
                ("Patient", "c"),
                ("Pat", "d"),
            ] {
                let body = format!(r#"{{"resourceType":"{ty}","id":"{id}"}}"#);
                let prefix = format!(r#"{{"resourceType":"{ty}","id":"{id}""#);
                let res = PreparedResource {
                    resource_type: ty,
                    id,
                    body: body.as_bytes(),
                    meta_at: prefix.len(),
                    profiles: &[],
                };
                w.upsert(&res, "t").unwrap();
            }
        }
        tx.commit().unwrap();
        let mut ids = vec![];
        store
            .read()
            .unwrap()
            .for_each("Patient", |id, _| {
                ids.push(id.to_string());
                Ok(())
            })
            .unwrap();
        assert_eq!(ids, ["a", "c"]);
    }
}
