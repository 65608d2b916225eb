//! A bounded cache of decompressed resources, shared by every read snapshot of a [`Store`].
//!
//! An entry keeps the stored (compressed) bytes it was made from, and is served only to a
//! read whose snapshot holds exactly those bytes — so it can never outlive the resource it
//! shows: a new version, a fill batch, an arrivals tick or a Provenance POST writes other
//! bytes, and the next read decompresses those (and replaces the entry). Nothing has to be
//! told about writes, and a read never sees a resource newer or older than its snapshot.
//!
//! The check costs one comparison of ~2 kB the read has in hand anyway (redb hands out the
//! stored value without copying); a hit saves decompressing ~13 kB and hands out the JSON as
//! [`Bytes`], which the HTTP layer sends without copying. Bounded by bytes (JSON, stored
//! bytes and key), least recently used out first.
//!
//! [`Store`]: super::Store

use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use lru::LruCache;

use super::{codec, StoreError};

/// What the cache holds at most: JSON, stored bytes and keys of the resources read lately.
pub const BUDGET_BYTES: usize = 64 * 1024 * 1024;

/// Bookkeeping per entry besides its bytes (map slot, allocations).
const ENTRY_OVERHEAD: usize = 96;

pub struct ResourceCache {
    inner: Mutex<Inner>,
    budget: usize,
}

struct Inner {
    entries: LruCache<String, Entry>,
    bytes: usize,
}

struct Entry {
    stored: Box<[u8]>,
    json: Bytes,
}

impl Entry {
    fn weight(&self, key: &str) -> usize {
        key.len() + self.stored.len() + self.json.len() + ENTRY_OVERHEAD
    }
}

impl ResourceCache {
    pub fn new(budget: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
            budget,
        }
    }

    /// The JSON of `key` whose stored bytes are `stored`: the cached copy when it was made
    /// from exactly these bytes, else decompressed now (and kept).
    pub fn json(&self, key: &str, stored: &[u8]) -> Result<Bytes, StoreError> {
        if let Some(json) = self.hit(key, stored) {
            return Ok(json);
        }
        let json = Bytes::from(codec::decompress(key, stored)?);
        self.keep(key, stored, json.clone());
        Ok(json)
    }

    /// Bytes held now (JSON, stored bytes, keys and bookkeeping).
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map stays consistent whatever a panicking holder did (no step leaves it half
        // changed), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn hit(&self, key: &str, stored: &[u8]) -> Option<Bytes> {
        let mut inner = self.lock();
        let entry = inner.entries.get(key)?;
        (*entry.stored == *stored).then(|| entry.json.clone())
    }

    fn keep(&self, key: &str, stored: &[u8], json: Bytes) {
        let entry = Entry {
            stored: stored.into(),
            json,
        };
        let weight = entry.weight(key);
        // One resource never takes more than an eighth of the budget.
        if weight > self.budget / 8 {
            return;
        }
        let mut inner = self.lock();
        if let Some(old) = inner.entries.put(key.to_string(), entry) {
            inner.bytes -= old.weight(key);
        }
        inner.bytes += weight;
        while inner.bytes > self.budget {
            let Some((old_key, old)) = inner.entries.pop_lru() else {
                break;
            };
            inner.bytes -= old.weight(&old_key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(json: &[u8]) -> Vec<u8> {
        zstd::bulk::compress(json, codec::LEVEL).unwrap()
    }

    #[test]
    fn an_entry_is_served_only_for_the_stored_bytes_it_was_made_from() {
        let cache = ResourceCache::new(BUDGET_BYTES);
        let v1 = br#"{"resourceType":"Patient","id":"a","meta":{"versionId":"1"}}"#;
        let v2 = br#"{"resourceType":"Patient","id":"a","meta":{"versionId":"2"}}"#;
        let (s1, s2) = (stored(v1), stored(v2));
        assert_eq!(&cache.json("Patient/a", &s1).unwrap()[..], v1);
        // The same bytes again: the very same buffer, not decompressed again.
        let first = cache.json("Patient/a", &s1).unwrap();
        let again = cache.json("Patient/a", &s1).unwrap();
        assert_eq!(first.as_ptr(), again.as_ptr());
        // A new version is what the store holds now: never the cached old one.
        assert_eq!(&cache.json("Patient/a", &s2).unwrap()[..], v2);
        // A snapshot taken before the change still sees its own version.
        assert_eq!(&cache.json("Patient/a", &s1).unwrap()[..], v1);
        // Keys are separate.
        assert_eq!(&cache.json("Patient/b", &s2).unwrap()[..], v2);
        // Bad bytes are an error, and nothing is kept for them.
        assert!(cache.json("Patient/c", b"not zstd").is_err());
    }

    #[test]
    fn the_cache_stays_within_its_budget_dropping_the_least_recently_used() {
        let json = |i: usize| format!(r#"{{"id":"{i}","pad":"{}"}}"#, "x".repeat(1000));
        let budget = 20 * 1024;
        let cache = ResourceCache::new(budget);
        let stored_of: Vec<Vec<u8>> = (0..100).map(|i| stored(json(i).as_bytes())).collect();
        for (i, s) in stored_of.iter().enumerate() {
            cache.json(&format!("P/{i}"), s).unwrap();
            // Keep the first one in use: it stays.
            let kept = cache.json("P/0", &stored_of[0]).unwrap();
            assert_eq!(&kept[..], json(0).as_bytes());
            assert!(cache.held_bytes() <= budget, "{}", cache.held_bytes());
        }
        assert!(cache.held_bytes() > budget / 2);
        let first = cache.json("P/0", &stored_of[0]).unwrap();
        assert_eq!(
            first.as_ptr(),
            cache.json("P/0", &stored_of[0]).unwrap().as_ptr()
        );
        // One too large for an eighth of the budget is served and not kept.
        let big = format!(r#"{{"pad":"{}"}}"#, "y".repeat(budget));
        let big_stored = stored(big.as_bytes());
        let a = cache.json("P/big", &big_stored).unwrap();
        let b = cache.json("P/big", &big_stored).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.as_ptr(), b.as_ptr());
        assert!(cache.held_bytes() <= budget);
    }
}
