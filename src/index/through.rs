//! Indexing while the store writes: an import hands each resource it stores to the index as
//! it goes ([`Feed::stored`]), parsing threads add the documents, and the index commits right
//! after the store's commit, stamped with the generation that commit made. Nothing is read
//! back from the store and nothing is indexed twice, so an import is searchable the moment it
//! ends instead of after a second pass over everything it wrote.
//!
//! Crash safety is the stamp's: a kill between the two commits leaves the index stamped with
//! the generation before the import, and the next [`SearchIndex::catch_up`] (every `serve`
//! start, every import) rebuilds it from the store.

use tantivy::{IndexWriter, Term};

use super::build::{self, Doc, Push};
use super::schema::Fields;
use super::{IndexError, SearchIndex};
use crate::store::{Generation, Store, StoreError};

/// What a store writer tells the index while it writes.
pub struct Feed<'a> {
    push: &'a mut Push<'a>,
    writer: &'a IndexWriter,
    fields: &'static Fields,
    committed: Option<(u64, u64)>,
}

impl Feed<'_> {
    /// A resource just stored as `json` (its complete stored JSON, `meta` included);
    /// `replaced` when an earlier version of it was stored (its document goes first).
    pub fn stored(
        &mut self,
        resource_type: &'static str,
        id: &str,
        json: &[u8],
        replaced: bool,
    ) -> Result<(), StoreError> {
        self.replacing(resource_type, id, replaced);
        (self.push)(resource_type, id, Doc::Json(json))
    }

    /// [`Feed::stored`] for a resource the writer already has as
    /// [`crate::fhir::search::prune::parse`] would read it from its stored JSON.
    pub fn stored_pruned(
        &mut self,
        resource_type: &'static str,
        id: &str,
        pruned: serde_json::Value,
        replaced: bool,
    ) -> Result<(), StoreError> {
        self.replacing(resource_type, id, replaced);
        (self.push)(resource_type, id, Doc::Pruned(pruned))
    }

    fn replacing(&self, resource_type: &str, id: &str, replaced: bool) {
        if replaced {
            // Deletes apply to documents added before them, so the new one survives.
            let key = format!("{resource_type}/{id}");
            self.writer
                .delete_term(Term::from_field_text(self.fields.key, &key));
        }
    }

    /// The store transaction committed, moving the store from generation `from` to `to`
    /// (from [`crate::store::ResourceWriter::generations`]).
    pub fn committed(&mut self, generations: (u64, u64)) {
        self.committed = Some(generations);
    }
}

impl SearchIndex {
    /// Runs `write`, a store write that calls [`Feed::stored`] for every resource it stores and
    /// [`Feed::committed`] once its transaction committed, and indexes what it stored: the
    /// index commits after the store, stamped with the new generation. If the write fails,
    /// nothing is indexed. If another write slipped in between (the index was not at `from`),
    /// the index catches up with a rebuild instead.
    pub fn write_through<T, E: From<IndexError>>(
        &self,
        store: &Store,
        write: impl FnOnce(&mut Feed<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        // Documents added here are right only on top of an index in step with the store.
        self.catch_up(store, None)?;
        let mut writer = self.writer()?;
        let before = self.stamp()?;
        let store_id = store
            .read()
            .and_then(|r| r.generation())
            .map_err(IndexError::from)?
            .store_id;
        let ((result, committed), added) =
            build::with_workers(self.fields, &writer, self.parse_threads, |push| {
                let mut feed = Feed {
                    push,
                    writer: &writer,
                    fields: self.fields,
                    committed: None,
                };
                let result = write(&mut feed);
                (result, feed.committed)
            });
        let generation = |number| Generation {
            store_id: store_id.clone(),
            number,
        };
        match (&result, committed) {
            (Ok(_), Some((from, to))) if from != to => {
                if let Err(e) = added {
                    // The store has the write; the index rebuilds at its next catch-up.
                    let _ = writer.rollback();
                    return Err(e.into());
                }
                if before == Some(generation(from).to_string()) {
                    let commit = self.commit(&mut writer, &generation(to));
                    Self::rollback_on_error(&mut writer, commit)?;
                } else {
                    // Another write slipped in before this one: these documents would miss it.
                    let _ = writer.rollback();
                    drop(writer);
                    self.catch_up(store, None)?;
                }
            }
            // Nothing was written, or nothing committed: nothing to index.
            _ => {
                let _ = writer.rollback();
            }
        }
        result
    }
}
