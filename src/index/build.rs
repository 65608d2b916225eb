//! Feeding resources to the tantivy writer. A full rebuild is bound by JSON decoding, so the
//! store scan (this thread) hands batches of resources to worker threads that parse (pruned),
//! extract and add documents; tantivy's own indexing threads build the segments.

use std::sync::mpsc;
use std::sync::Mutex;

use serde_json::Value;
use tantivy::{IndexWriter, Term};

use super::schema::Fields;
use super::IndexError;
use crate::export::RESOURCE_TYPES;
use crate::fhir::search::{extract, prune};
use crate::store::{ReadTx, StoreError};

/// Resources per batch handed to a worker.
const BATCH: usize = 64;

/// Parses one stored resource and adds its document.
pub fn add(
    fields: &Fields,
    writer: &IndexWriter,
    ty: &str,
    id: &str,
    json: &[u8],
) -> Result<(), IndexError> {
    let value = prune::parse(ty, json).map_err(|source| IndexError::Json {
        key: format!("{ty}/{id}"),
        source,
    })?;
    add_pruned(fields, writer, ty, id, &value)
}

/// Adds the document of a resource already parsed the way [`prune::parse`] does it.
fn add_pruned(
    fields: &Fields,
    writer: &IndexWriter,
    ty: &str,
    id: &str,
    value: &Value,
) -> Result<(), IndexError> {
    let ex = extract(value);
    writer.add_document(fields.document(ty, id, &ex))?;
    Ok(())
}

/// A resource handed to the index: its stored JSON, or what [`prune::parse`] would make of it.
pub enum Doc<'a> {
    Json(&'a [u8]),
    Pruned(Value),
}

/// One resource as scanned.
#[derive(Default)]
struct Item {
    ty: &'static str,
    id: String,
    json: Vec<u8>,
    pruned: Option<Value>,
}

/// A batch of resources. Batches go back to the scan once indexed, so their buffers are
/// reused instead of allocating (and the kernel zeroing) fresh memory for every resource.
#[derive(Default)]
struct Batch {
    items: Vec<Item>,
    len: usize,
}

impl Batch {
    fn push(&mut self, ty: &'static str, id: &str, doc: Doc<'_>) {
        if self.len == self.items.len() {
            self.items.push(Item::default());
        }
        let item = &mut self.items[self.len];
        item.ty = ty;
        item.id.clear();
        item.id.push_str(id);
        item.json.clear();
        item.pruned = match doc {
            Doc::Json(json) => {
                item.json.extend_from_slice(json);
                None
            }
            Doc::Pruned(value) => Some(value),
        };
        self.len += 1;
    }
}

/// Adds every current resource of the snapshot with `workers` parsing threads; returns how
/// many were added. On error nothing is committed here (the caller rolls back).
pub fn add_all(
    fields: &Fields,
    writer: &IndexWriter,
    read: &ReadTx,
    workers: usize,
) -> Result<u64, IndexError> {
    add_with(fields, writer, workers, |push| {
        for ty in RESOURCE_TYPES {
            read.for_each(ty, |id, json| push(ty, id, Doc::Json(json)))?;
        }
        Ok(())
    })
}

/// Replaces the documents of these resources (`Type/id`) with their current versions in the
/// snapshot (none for a resource that is gone), with `workers` parsing threads; returns how
/// many were added. Each key's old document is deleted before its new one is handed to a
/// worker, so the add comes after the delete whichever thread makes it; a key named twice is
/// indexed once.
pub fn add_keys(
    fields: &Fields,
    writer: &IndexWriter,
    read: &ReadTx,
    keys: &[String],
    workers: usize,
) -> Result<u64, IndexError> {
    add_with(fields, writer, workers, |push| {
        let mut seen = std::collections::HashSet::with_capacity(keys.len());
        for key in keys {
            if !seen.insert(key.as_str()) {
                continue;
            }
            let (ty, id) = key
                .split_once('/')
                .filter(|(t, i)| !t.is_empty() && !i.is_empty())
                .ok_or_else(|| IndexError::BadKey(key.clone()))?;
            let ty = RESOURCE_TYPES
                .iter()
                .copied()
                .find(|t| *t == ty)
                .ok_or_else(|| IndexError::BadKey(key.clone()))?;
            writer.delete_term(Term::from_field_text(fields.key, key));
            if let Some(json) = read.get(ty, id)? {
                push(ty, id, Doc::Json(&json))?;
            }
        }
        Ok(())
    })
}

/// Hands what `source` pushes to `workers` parsing threads (in batches); returns how many
/// documents they added.
fn add_with(
    fields: &Fields,
    writer: &IndexWriter,
    workers: usize,
    source: impl FnOnce(&mut Push<'_>) -> Result<(), IndexError>,
) -> Result<u64, IndexError> {
    let (scanned, added) = with_workers(fields, writer, workers, source);
    scanned?;
    added
}

/// What a source calls with each resource.
pub(super) type Push<'a> = dyn FnMut(&'static str, &str, Doc<'_>) -> Result<(), StoreError> + 'a;

/// Runs `source` with a push that hands its resources to `workers` parsing threads (in
/// batches); returns what `source` returned and, once every pushed resource was added, how
/// many documents the workers added (or their first error).
pub(super) fn with_workers<T>(
    fields: &Fields,
    writer: &IndexWriter,
    workers: usize,
    source: impl FnOnce(&mut Push<'_>) -> T,
) -> (T, Result<u64, IndexError>) {
    let workers = workers.max(1);
    let (tx, rx) = mpsc::sync_channel::<Batch>(workers * 2);
    let (give_back, recycled) = mpsc::channel::<Batch>();
    let rx = Mutex::new(rx);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                let give_back = give_back.clone();
                let rx = &rx;
                s.spawn(move || work(fields, writer, rx, &give_back))
            })
            .collect();
        drop(give_back);
        let (out, scanned) = scan(source, &tx, &recycled);
        drop(tx);
        let mut added = 0u64;
        let mut failure = scanned.err();
        for h in handles {
            match h.join() {
                Ok(Ok(n)) => added += n,
                Ok(Err(e)) => failure = failure.or(Some(e)),
                Err(_) => failure = failure.or(Some(IndexError::Poisoned)),
            }
        }
        match failure {
            Some(e) => (out, Err(e)),
            None => (out, Ok(added)),
        }
    })
}

/// The source's resources in batches of `(type, id, json)`; then the last, partial batch
/// (an error if the workers are gone).
fn scan<T>(
    source: impl FnOnce(&mut Push<'_>) -> T,
    tx: &mpsc::SyncSender<Batch>,
    recycled: &mpsc::Receiver<Batch>,
) -> (T, Result<(), IndexError>) {
    let closed = || StoreError::Corrupt {
        key: "index".into(),
        reason: "indexing workers stopped".into(),
    };
    let mut batch = Batch::default();
    let out = source(&mut |ty, id, doc| {
        batch.push(ty, id, doc);
        if batch.len == BATCH {
            let next = recycled.try_recv().unwrap_or_default();
            tx.send(std::mem::replace(&mut batch, next))
                .map_err(|_| closed())?;
        }
        Ok(())
    });
    let last = if batch.len > 0 {
        tx.send(batch).map_err(|_| IndexError::from(closed()))
    } else {
        Ok(())
    };
    (out, last)
}

/// One worker: adds documents until the channel closes. After a failure it keeps draining
/// (so the scan never blocks) and reports the first error.
fn work(
    fields: &Fields,
    writer: &IndexWriter,
    rx: &Mutex<mpsc::Receiver<Batch>>,
    give_back: &mpsc::Sender<Batch>,
) -> Result<u64, IndexError> {
    let mut added = 0u64;
    let mut failure = None;
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return Err(IndexError::Poisoned),
        };
        let Ok(mut batch) = next else { break };
        if failure.is_none() {
            for item in &mut batch.items[..batch.len] {
                let one = match item.pruned.take() {
                    Some(value) => add_pruned(fields, writer, item.ty, &item.id, &value),
                    None => add(fields, writer, item.ty, &item.id, &item.json),
                };
                match one {
                    Ok(()) => added += 1,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
        }
        batch.len = 0;
        // The scan may be done already; then the batch is simply dropped.
        let _ = give_back.send(batch);
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(added),
    }
}
