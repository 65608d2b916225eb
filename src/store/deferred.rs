//! Writes taken off the request's hot path: a request hands a small write (an audit record) to
//! a channel and goes on; one background thread applies whatever has queued up in a single
//! redb write transaction, so a burst of requests costs one commit (one fsync), not one each.
//!
//! The thread starts with the first deferred write. `flush` waits until everything queued
//! before it is committed (readers of what was deferred call it first, so they read their own
//! writes); dropping the last clone of the store drains the queue and joins the thread, so
//! shutdown loses nothing.

use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;

use redb::{Database, WriteTransaction};

use super::StoreError;

/// One deferred write: applied inside the batch's transaction.
pub type DeferredWrite = Box<dyn FnOnce(&WriteTransaction) -> Result<(), StoreError> + Send>;

/// Writes queued before senders wait (back-pressure, not loss, when the disk falls behind).
const QUEUE: usize = 16 * 1024;
/// Most writes in one transaction.
const BATCH: usize = 4 * 1024;

enum Message {
    Write(DeferredWrite),
    /// Answered once every write queued before it is committed.
    Flush(SyncSender<()>),
}

/// The queue and its writer thread (one per database).
#[derive(Default)]
pub(super) struct Deferred {
    sender: OnceLock<SyncSender<Message>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Deferred {
    pub(super) fn defer(&self, db: &Arc<Database>, write: DeferredWrite) {
        let sender = self.sender.get_or_init(|| self.start(db));
        let message = match sender.try_send(Message::Write(write)) {
            Ok(()) => return,
            Err(TrySendError::Full(message)) => message,
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("the deferred writer has stopped; a deferred write is lost");
                return;
            }
        };
        // A full queue: wait for room rather than drop an audit record.
        if sender.send(message).is_err() {
            tracing::error!("the deferred writer has stopped; a deferred write is lost");
        }
    }

    /// Waits until every write deferred before this call is committed (at once when the writer
    /// never started).
    pub(super) fn flush(&self) {
        let Some(sender) = self.sender.get() else {
            return;
        };
        let (done, wait) = sync_channel(1);
        if sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    fn start(&self, db: &Arc<Database>) -> SyncSender<Message> {
        let (sender, receiver) = sync_channel(QUEUE);
        let db = Arc::clone(db);
        let spawned = std::thread::Builder::new()
            .name("deferred-writes".into())
            .spawn(move || run(&db, &receiver));
        match spawned {
            Ok(handle) => {
                if let Ok(mut slot) = self.thread.lock() {
                    *slot = Some(handle);
                }
            }
            Err(e) => tracing::error!("cannot start the deferred writer: {e}"),
        }
        sender
    }
}

impl Drop for Deferred {
    /// Closes the queue, lets the thread commit what is left, and waits for it.
    fn drop(&mut self) {
        drop(self.sender.take());
        if let Some(handle) = self.thread.get_mut().ok().and_then(Option::take) {
            let _ = handle.join();
        }
    }
}

/// The writer: block for one message, take whatever else is queued (up to a batch), apply the
/// writes in one transaction, commit, then answer the flushes that were in the batch.
fn run(db: &Database, receiver: &Receiver<Message>) {
    while let Ok(first) = receiver.recv() {
        let mut writes = Vec::new();
        let mut flushes = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next.take() {
            match message {
                Message::Write(w) => writes.push(w),
                Message::Flush(done) => flushes.push(done),
            }
            if writes.len() < BATCH {
                next = receiver.try_recv().ok();
            }
        }
        if !writes.is_empty() {
            if let Err(e) = commit(db, writes) {
                tracing::error!("deferred writes lost: {e}");
            }
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

fn commit(db: &Database, writes: Vec<DeferredWrite>) -> Result<(), StoreError> {
    let tx = db.begin_write()?;
    for write in writes {
        // One bad write is logged and skipped; the rest of the batch still commits.
        if let Err(e) = write(&tx) {
            tracing::error!("a deferred write failed: {e}");
        }
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use redb::ReadableDatabase;

    use crate::store::tables::META;
    use crate::store::Store;

    #[test]
    fn deferred_writes_commit_in_batches_and_flush_sees_them() {
        let store = Store::in_memory().unwrap();
        for i in 0..100u32 {
            store.defer(Box::new(move |tx| {
                tx.open_table(META)?
                    .insert(format!("k{i}").as_str(), b"v".as_slice())?;
                Ok(())
            }));
        }
        store.flush();
        let tx = store.database().begin_read().unwrap();
        let meta = tx.open_table(META).unwrap();
        for i in 0..100u32 {
            assert!(
                meta.get(format!("k{i}").as_str()).unwrap().is_some(),
                "k{i}"
            );
        }
    }

    #[test]
    fn dropping_the_store_commits_what_was_queued() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            store.defer(Box::new(|tx| {
                tx.open_table(META)?.insert("late", b"yes".as_slice())?;
                Ok(())
            }));
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.meta("late").unwrap().as_deref(),
            Some(b"yes".as_slice())
        );
    }

    #[test]
    fn flush_without_writes_returns() {
        Store::in_memory().unwrap().flush();
    }
}
