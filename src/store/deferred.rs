//! Writes taken off the request's hot path: a request hands a small write (an audit record) to
//! a channel and goes on; one background thread applies whatever has queued up in a single
//! redb write transaction, so a burst of requests costs one commit (one fsync), not one each.
//!
//! Items are typed (`Deferrable`): each kind is applied a batch at a time (`apply_batch`), so
//! what is the same for every item of a batch (a policy read, a table open, an expiry pass) is
//! done once per batch, not once per item. Plain closures (`DeferredWrite`) are one such kind.
//!
//! The thread starts with the first deferred write. Once woken by an item it lingers
//! (`LINGER`) before it drains the queue, so under load requests queue without waking it and a
//! commit carries many items; `flush` wakes it at once and waits until everything queued before
//! it is committed (readers of what was deferred call it first, so they read their own
//! writes); dropping the last clone of the store drains the queue and joins the thread, so
//! shutdown loses nothing.

use std::any::{Any, TypeId};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::{JoinHandle, Thread};
use std::time::Duration;

use redb::{Database, WriteTransaction};

use super::StoreError;

/// A kind of write that can wait: items are queued one at a time and applied a batch at a time,
/// inside the batch's transaction.
pub trait Deferrable: Send + Sized + 'static {
    /// Applies `items` (in the order they were queued) inside `tx`.
    fn apply_batch(tx: &WriteTransaction, items: Vec<Self>) -> Result<(), StoreError>;
}

/// One deferred write as a closure: applied inside the batch's transaction.
pub type DeferredWrite = Box<dyn FnOnce(&WriteTransaction) -> Result<(), StoreError> + Send>;

impl Deferrable for DeferredWrite {
    fn apply_batch(tx: &WriteTransaction, items: Vec<Self>) -> Result<(), StoreError> {
        for write in items {
            // One bad write is logged and skipped; the rest of the batch still commits.
            if let Err(e) = write(tx) {
                tracing::error!("a deferred write failed: {e}");
            }
        }
        Ok(())
    }
}

/// Writes queued before senders wait (back-pressure, not loss, when the disk falls behind).
const QUEUE: usize = 64 * 1024;
/// Most writes in one transaction.
const BATCH: usize = 16 * 1024;
/// How long the writer lets a batch gather after the first item wakes it.
const LINGER: Duration = Duration::from_millis(20);

type Erased = Box<dyn Any + Send>;
type Apply = fn(&WriteTransaction, Vec<Erased>) -> Result<(), StoreError>;

enum Message {
    Item {
        kind: TypeId,
        apply: Apply,
        item: Erased,
    },
    /// Answered once every write queued before it is committed.
    Flush(SyncSender<()>),
}

/// `T::apply_batch` over items known to be `T`s (the writer groups them by type).
fn apply_erased<T: Deferrable>(
    tx: &WriteTransaction,
    items: Vec<Erased>,
) -> Result<(), StoreError> {
    let typed = items
        .into_iter()
        .filter_map(|item| item.downcast::<T>().ok().map(|item| *item))
        .collect();
    T::apply_batch(tx, typed)
}

/// The queue and its writer thread (one per database).
#[derive(Default)]
pub(super) struct Deferred {
    sender: OnceLock<SyncSender<Message>>,
    /// The writer, to wake it early (flush, shutdown).
    waker: OnceLock<Thread>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Deferred {
    pub(super) fn defer<T: Deferrable>(&self, db: &Arc<Database>, item: T) {
        let sender = self.sender.get_or_init(|| self.start(db));
        let message = Message::Item {
            kind: TypeId::of::<T>(),
            apply: apply_erased::<T>,
            item: Box::new(item),
        };
        let message = match sender.try_send(message) {
            Ok(()) => return,
            Err(TrySendError::Full(message)) => message,
            Err(TrySendError::Disconnected(_)) => {
                tracing::error!("the deferred writer has stopped; a deferred write is lost");
                return;
            }
        };
        // A full queue: wake the writer and wait for room rather than drop an audit record.
        self.wake();
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
            self.wake();
            let _ = wait.recv();
        }
    }

    fn wake(&self) {
        if let Some(thread) = self.waker.get() {
            thread.unpark();
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
                let _ = self.waker.set(handle.thread().clone());
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
        self.wake();
        if let Some(handle) = self.thread.get_mut().ok().and_then(Option::take) {
            let _ = handle.join();
        }
    }
}

/// One transaction's worth of queued messages: items grouped by kind, and the flushes to
/// answer once it is committed.
#[derive(Default)]
struct Batch {
    kinds: Vec<(TypeId, Apply, Vec<Erased>)>,
    items: usize,
    flushes: Vec<SyncSender<()>>,
}

impl Batch {
    fn add(&mut self, message: Message) {
        match message {
            Message::Item { kind, apply, item } => {
                self.items += 1;
                match self.kinds.iter_mut().find(|(k, _, _)| *k == kind) {
                    Some((_, _, items)) => items.push(item),
                    None => self.kinds.push((kind, apply, vec![item])),
                }
            }
            Message::Flush(done) => self.flushes.push(done),
        }
    }
}

/// The writer: block for one message; unless it is a flush, linger so more can queue (a flush
/// or shutdown cuts that short); take whatever is queued (up to a batch), apply it in one
/// transaction, commit, then answer the flushes that were in the batch.
fn run(db: &Database, receiver: &Receiver<Message>) {
    while let Ok(first) = receiver.recv() {
        if matches!(first, Message::Item { .. }) {
            std::thread::park_timeout(LINGER);
        }
        let mut batch = Batch::default();
        batch.add(first);
        while batch.items < BATCH {
            match receiver.try_recv() {
                Ok(message) => batch.add(message),
                Err(_) => break,
            }
        }
        if batch.items > 0 {
            if let Err(e) = commit(db, batch.kinds) {
                tracing::error!("deferred writes lost: {e}");
            }
        }
        for done in batch.flushes {
            let _ = done.send(());
        }
    }
}

fn commit(db: &Database, kinds: Vec<(TypeId, Apply, Vec<Erased>)>) -> Result<(), StoreError> {
    let tx = db.begin_write()?;
    for (_, apply, items) in kinds {
        // One kind failing is logged; the others still commit.
        if let Err(e) = apply(&tx, items) {
            tracing::error!("deferred writes failed: {e}");
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

    /// A typed item: each batch writes how many it carried, so the test sees the batching.
    struct Counted(u32);

    impl super::Deferrable for Counted {
        fn apply_batch(
            tx: &redb::WriteTransaction,
            items: Vec<Self>,
        ) -> Result<(), crate::store::StoreError> {
            let mut meta = tx.open_table(META)?;
            let first = items.first().map_or(0, |c| c.0);
            let len = items.len().to_string();
            meta.insert(format!("batch{first}").as_str(), len.as_bytes())?;
            for item in items {
                meta.insert(format!("c{}", item.0).as_str(), b"v".as_slice())?;
            }
            Ok(())
        }
    }

    #[test]
    fn typed_items_are_applied_a_batch_at_a_time() {
        let store = Store::in_memory().unwrap();
        for i in 0..1000u32 {
            store.defer_item(Counted(i));
        }
        store.flush();
        let tx = store.database().begin_read().unwrap();
        let meta = tx.open_table(META).unwrap();
        let mut batches = 0;
        for i in 0..1000u32 {
            assert!(
                meta.get(format!("c{i}").as_str()).unwrap().is_some(),
                "c{i}"
            );
            batches += usize::from(meta.get(format!("batch{i}").as_str()).unwrap().is_some());
        }
        // Queued faster than the writer lingers: far fewer batches (transactions) than items.
        assert!(batches < 100, "{batches} batches for 1000 items");
    }

    #[test]
    fn flush_without_writes_returns() {
        Store::in_memory().unwrap().flush();
    }
}
