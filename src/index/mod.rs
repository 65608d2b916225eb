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
pub mod prune;
pub mod schema;
pub mod search;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_perf;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_prop_data;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use serde_json::Value;
use tantivy::directory::MmapDirectory;
use tantivy::indexer::IndexWriterOptions;
use tantivy::{Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyError, Term};

use crate::fhir::search::{matches_at, SearchQuery};
use crate::store::{ReadTx, Store, StoreError};
use schema::Fields;
use search::{Hit, Verdict};

/// Written as the commit payload; an index with another payload is recreated empty.
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

pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: &'static Fields,
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
                        Some(p) => p == FORMAT,
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
            parse_threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, 4),
        })
    }

    fn writer(&self) -> Result<MutexGuard<'_, IndexWriter>, IndexError> {
        self.writer.lock().map_err(|_| IndexError::Poisoned)
    }

    /// Commits (with the format payload) and makes the commit visible to searches.
    fn commit(&self, writer: &mut IndexWriter) -> Result<(), IndexError> {
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(FORMAT);
        prepared.commit()?;
        self.reader.reload()?;
        Ok(())
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
        let read = store.read()?;
        let mut writer = self.writer()?;
        let result = (|| {
            writer.delete_all_documents()?;
            let n = build::add_all(self.fields, &writer, &read, self.parse_threads)?;
            self.commit(&mut writer)?;
            Ok(n)
        })();
        Self::rollback_on_error(&mut writer, result)
    }

    /// Re-indexes these resources (`Type/id`) from the store: their documents are deleted and
    /// the current versions (if any) added; then commits.
    pub fn update_from(&self, store: &Store, keys: &[String]) -> Result<(), IndexError> {
        let read = store.read()?;
        let mut writer = self.writer()?;
        let result = (|| {
            for key in keys {
                let (ty, id) = key
                    .split_once('/')
                    .filter(|(t, i)| !t.is_empty() && !i.is_empty())
                    .ok_or_else(|| IndexError::BadKey(key.clone()))?;
                writer.delete_term(Term::from_field_text(self.fields.key, key));
                if let Some(json) = read.get(ty, id)? {
                    build::add(self.fields, &writer, ty, id, &json)?;
                }
            }
            self.commit(&mut writer)
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
        for (ord, docs) in segments {
            let seg = searcher.segment_reader(ord);
            let ids = seg
                .fast_fields()
                .str("id")?
                .ok_or_else(|| IndexError::Corrupt("segment without an id column".into()))?;
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
                            search::read_id(&ids, doc, &mut id).map_err(TantivyError::from)?;
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
            search::resolve_ids(&ids, &mut pending, &mut hits).map_err(TantivyError::from)?;
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
