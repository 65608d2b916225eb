//! The `id` column of every segment, opened once per searcher generation.
//!
//! Opening a string column reads its dictionary's block index; for a segment of a few hundred
//! thousand resources that was 7% of a search by patient's CPU when done per search. The
//! columns are immutable for the life of a segment, so the opened ones are kept until a commit
//! makes a new searcher (the next search then opens the new generation's).

use std::sync::{Arc, PoisonError, RwLock};

use tantivy::columnar::StrColumn;
use tantivy::{Searcher, SegmentOrdinal};

use super::IndexError;

#[derive(Default)]
pub struct IdColumns {
    opened: RwLock<Option<Arc<Opened>>>,
}

/// The id columns of one searcher generation, by segment ordinal.
pub struct Opened {
    generation: u64,
    columns: Vec<StrColumn>,
}

impl Opened {
    pub fn segment(&self, ordinal: SegmentOrdinal) -> Result<&StrColumn, IndexError> {
        usize::try_from(ordinal)
            .ok()
            .and_then(|i| self.columns.get(i))
            .ok_or_else(|| IndexError::Corrupt(format!("no id column for segment {ordinal}")))
    }
}

impl IdColumns {
    /// The id columns of `searcher`'s segments.
    pub fn of(&self, searcher: &Searcher) -> Result<Arc<Opened>, IndexError> {
        let generation = searcher.generation().generation_id();
        {
            // The cached value is replaced whole, so a poisoned lock still holds a valid one.
            let opened = self.opened.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(o) = opened.as_ref().filter(|o| o.generation == generation) {
                return Ok(Arc::clone(o));
            }
        }
        let columns = searcher
            .segment_readers()
            .iter()
            .map(|seg| {
                seg.fast_fields()
                    .str("id")?
                    .ok_or_else(|| IndexError::Corrupt("segment without an id column".into()))
            })
            .collect::<Result<Vec<_>, IndexError>>()?;
        let fresh = Arc::new(Opened {
            generation,
            columns,
        });
        let mut opened = self.opened.write().unwrap_or_else(PoisonError::into_inner);
        // A search on an older searcher (still running across a reload) does not push the
        // newer generation's columns out.
        if opened.as_ref().is_none_or(|o| o.generation < generation) {
            *opened = Some(Arc::clone(&fresh));
        }
        Ok(fresh)
    }
}
