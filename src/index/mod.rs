//! The tantivy search index: derived from the store (the source of truth) and rebuildable
//! from it at any time. One document per resource; see [`schema`] for the fields and
//! [`search`] for how each filter maps onto typed tantivy queries.
//!
//! Answers are exactly the FHIR semantics of [`crate::fhir::search::eval::matches_at`]: token,
//! reference, `:missing` and the `gt lt sa eb` date prefixes are answered by the index alone;
//! the superset prefixes (`eq ne ge le ap`) are confirmed per candidate with the reference
//! `date_matches` on the document's stored `(lo, hi)` pairs (the resource JSON is only read
//! from the store if those pairs were ever unusable).

pub mod build;
mod columns;
pub mod schema;
pub mod search;
pub mod through;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_perf;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_prop_data;
#[cfg(test)]
mod tests_stamp;
#[cfg(test)]
mod tests_through;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyError};

use crate::fhir::search::{matches_at, SearchQuery};
use crate::store::{Generation, ReadTx, Store, StoreError};
use schema::Fields;
use search::{Hit, Verdict};
pub use through::Feed;

/// Starts the commit payload; an index with another payload is recreated empty. The rest of
/// the payload is the stamp: the store [`Generation`] the index reflects.
const FORMAT: &str = "carin-sandbox-index/2";

/// Indexing memory per writer thread (on disk) — a segment is flushed when it is full.
const DISK_BUDGET_PER_THREAD: usize = 96 * 1024 * 1024;
/// Indexing memory for in-memory indexes (tests, small stores).
const RAM_BUDGET_PER_THREAD: usize = 32 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("search index: {0}")]
    Tantivy(#[from] TantivyError),
    #[error("search index directory {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("stored resource {key} is not valid JSON: {source}")]
    Json {
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("not a resource key (Type/id): {0:?}")]
    BadKey(String),
    #[error("search index is corrupt: {0}")]
    Corrupt(String),
    #[error("the search index writer was poisoned by a panic")]
    Poisoned,
}

impl From<tantivy::directory::error::OpenDirectoryError> for IndexError {
    fn from(e: tantivy::directory::error::OpenDirectoryError) -> Self {
        IndexError::Tantivy(e.into())
    }
}

/// The resources one store write transaction changed, and the store generations around it
/// (from [`crate::store::ResourceWriter::generations`]).
#[derive(Debug, Clone, Copy)]
pub struct Written<'a> {
    pub from: u64,
    pub to: u64,
    pub keys: &'a [String],
}

/// What [`SearchIndex::catch_up`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatchUp {
    InStep,
    /// Re-indexed this many resources.
    Updated(usize),
    /// Rebuilt with this many resources.
    Rebuilt(u64),
}

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: &'static Fields,
    /// The segments' id columns, opened once per searcher.
    id_columns: columns::IdColumns,
    /// Threads parsing resources during a rebuild.
    parse_threads: usize,
}

impl SearchIndex {
    /// Opens the index in `dir` (a directory of its own), creating it if missing. An index
    /// with another schema or format, or one that cannot be opened, is replaced by an empty
    /// one: the caller rebuilds it from the store.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        std::fs::create_dir_all(dir).map_err(|source| IndexError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let fields = Fields::get();
        let mmap = MmapDirectory::open(dir)?;
        let reusable = Index::open_or_create(mmap.clone(), fields.schema.clone())
            .ok()
            .filter(|index| {
                index
                    .load_metas()
                    .is_ok_and(|m| match m.payload.as_deref() {
                        Some(p) => p.split(' ').next() == Some(FORMAT),
                        None => m.segments.is_empty(),
                    })
            });
        let index = match reusable {
            Some(index) => index,
            None => Index::create(mmap, fields.schema.clone(), IndexSettings::default())?,
        };
        Self::with_index(index, 2, DISK_BUDGET_PER_THREAD)
    }

    /// An index in memory only.
    pub fn in_memory() -> Result<Self, IndexError> {
        let index = Index::create_in_ram(Fields::get().schema.clone());
        Self::with_index(index, 1, RAM_BUDGET_PER_THREAD)
    }

    fn with_index(index: Index, threads: usize, budget: usize) -> Result<Self, IndexError> {
        let options = IndexWriterOptions::builder()
            .num_worker_threads(threads)
            .memory_budget_per_thread(budget)
            .num_merge_threads(1)
            .build();
        let writer = index.writer_with_options(options)?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields: Fields::get(),
            id_columns: columns::IdColumns::default(),
            parse_threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4),
        })
    }

    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter>, IndexError> {
        self.writer.lock().map_err(|_| IndexError::Poisoned)
    }

    /// Commits, stamped with the store generation the index now reflects, and makes the
    /// commit visible to searches. The store commits first: a crash in between leaves the old
    /// stamp, which [`SearchIndex::catch_up`] then finds behind the store.
    fn commit(&self, writer: &mut IndexWriter, reflects: &Generation) -> Result<(), IndexError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&format!("{FORMAT} {reflects}"));
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// The store generation the last commit reflects (`None` for a new or pre-stamp index).
    pub fn stamp(&self) -> Result<Option<String>, IndexError> {
        let metas = self.index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .and_then(|p| p.strip_prefix(FORMAT))
            .and_then(|rest| rest.strip_prefix(' '))
            .map(str::to_string))
    }

    /// Brings the index in step with the store, judged by the stamp alone (so an edited value
    /// is seen, not only a changed count): nothing when it reflects the store's generation;
    /// the keys `written` names when that write is the only one the index misses; otherwise a
    /// full rebuild (a crash between the store's commit and the index's, an index copied from
    /// another store, a write made by a build without this check).
    pub fn catch_up(
        &self,
        store: &Store,
        written: Option<&Written<'_>>,
    ) -> Result<CatchUp, IndexError> {
        let read = store.read()?;
        let now = read.generation()?;
        let stamp = self.stamp()?;
        if stamp.as_deref() == Some(now.to_string().as_str()) {
            return Ok(CatchUp::InStep);
        }
        if let Some(w) = written {
            let before = Generation {
                store_id: now.store_id.clone(),
                number: w.from,
            };
            if w.to == now.number && stamp == Some(before.to_string()) {
                self.update_with(&read, w.keys)?;
                return Ok(CatchUp::Updated(w.keys.len()));
            }
        }
        Ok(CatchUp::Rebuilt(self.rebuild_with(&read)?))
    }

    /// Drops the uncommitted changes when `result` is an error (the index stays as it was).
    fn rollback_on_error<T>(
        writer: &mut IndexWriter,
        result: Result<T, IndexError>,
    ) -> Result<T, IndexError> {
        if result.is_err() {
            // The original error is the one worth reporting.
            let _ = writer.rollback();
        }
        result
    }

    /// Replaces the whole index with every current resource of the store; returns how many
    /// were indexed. Searches see the old index until the commit.
    pub fn rebuild_from(&self, store: &Store) -> Result<u64, IndexError> {
        self.rebuild_with(&store.read()?)
    }

    fn rebuild_with(&self, read: &ReadTx) -> Result<u64, IndexError> {
        let reflects = read.generation()?;
        let mut writer = self.writer()?;
        let result = (|| {
            writer.delete_all_documents()?;
            let n = build::add_all(self.fields, &writer, read, self.parse_threads)?;
            self.commit(&mut writer, &reflects)?;
            Ok(n)
        })();
        Self::rollback_on_error(&mut writer, result)
    }

    /// Re-indexes these resources (`Type/id`) from the store: their documents are deleted and
    /// the current versions (if any) added; then commits, stamped with the store's generation.
    /// The caller vouches that `keys` are everything written since the index's stamp;
    /// [`SearchIndex::catch_up`] checks that instead.
    pub fn update_from(&self, store: &Store, keys: &[String]) -> Result<(), IndexError> {
        self.update_with(&store.read()?, keys)
    }

    fn update_with(&self, read: &ReadTx, keys: &[String]) -> Result<(), IndexError> {
        let reflects = read.generation()?;
        let mut writer = self.writer()?;
        let result = (|| {
            build::add_keys(self.fields, &writer, read, keys, self.parse_threads)?;
            self.commit(&mut writer, &reflects)
        })();
        Self::rollback_on_error(&mut writer, result)
    }

    /// Documents in the last committed index.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Ids of every resource of `query.resource_type` matching all filters, in `query.sort`
    /// order (ties, and no `_sort`, by id). `store` is only read if a document's stored date
    /// pairs cannot be used (never for an index written by this module).
    pub fn search(
        &self,
        store: &ReadTx,
        query: &SearchQuery,
        now_ms: i64,
    ) -> Result<Vec<String>, IndexError> {
        let searcher = self.reader.searcher();
        let (tq, confirm) = search::build(self.fields, query, now_ms);
        let segments = searcher.search(tq.as_ref(), &search::AllDocs)?;
        let total: usize = segments.iter().map(|(_, d)| d.len()).sum();
        let mut hits: Vec<Hit> = Vec::with_capacity(total);
        let mut buf = Vec::new();
        let mut id = String::new();
        let sorted_by_date = query.sort.iter().any(|s| s.param != "_id");
        let id_columns = self.id_columns.of(&searcher)?;
        for (ord, docs) in segments {
            let seg = searcher.segment_reader(ord);
            let ids = id_columns.segment(ord)?;
            let checks = confirm
                .iter()
                .map(|f| search::Confirm::open(self.fields, seg, f))
                .collect::<tantivy::Result<Vec<_>>>()?;
            let sort_cols = if sorted_by_date {
                search::sort_columns(self.fields, seg, &query.sort)?
            } else {
                Vec::new()
            };
            // (term ordinal of the id, index in `hits`): ids are read in ordinal order.
            let mut pending: Vec<(u64, usize)> = Vec::with_capacity(docs.len());
            for doc in docs {
                let Some(term_ord) = ids.ords().first(doc) else {
                    return Err(IndexError::Corrupt(format!("document {doc} has no id")));
                };
                let mut keep = true;
                for c in &checks {
                    keep = match c.check(doc, now_ms, &mut buf) {
                        Verdict::Match => true,
                        Verdict::NoMatch => false,
                        Verdict::Unknown => {
                            search::read_id(ids, doc, &mut id).map_err(TantivyError::from)?;
                            self.confirm_in_store(store, query, &id, now_ms)?
                        }
                    };
                    if !keep {
                        break;
                    }
                }
                if keep {
                    let keys = sort_cols
                        .iter()
                        .map(|c| c.as_ref().and_then(|c| c.first(doc)))
                        .collect();
                    pending.push((term_ord, hits.len()));
                    hits.push(Hit {
                        id: String::new(),
                        keys,
                    });
                }
            }
            search::resolve_ids(ids, &mut pending, &mut hits).map_err(TantivyError::from)?;
        }
        if query.sort.is_empty() {
            hits.sort_unstable_by(|a, b| a.id.cmp(&b.id));
        } else {
            hits.sort_unstable_by(|a, b| search::compare_hits(a, b, &query.sort));
        }
        Ok(hits.into_iter().map(|h| h.id).collect())
    }

    /// The reference evaluator on the stored resource.
    fn confirm_in_store(
        &self,
        store: &ReadTx,
        query: &SearchQuery,
        id: &str,
        now_ms: i64,
    ) -> Result<bool, IndexError> {
        let ty = query.resource_type;
        let Some(json) = store.get(ty, id)? else {
            return Ok(false);
        };
        let value: Value = serde_json::from_slice(&json).map_err(|source| IndexError::Json {
            key: format!("{ty}/{id}"),
            source,
        })?;
        Ok(matches_at(query, &value, now_ms))
    }

    /// The tantivy index (diagnostics).
    pub fn tantivy_index(&self) -> &Index {
        &self.index
    }
}
