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
//! bytes and key); when full, a new entry takes the place of one chosen at random. Not least
//! recently used: clients (and the benchmark) cycle through more resources than fit, and LRU
//! would then miss every time, where random replacement keeps about budget/working set.
//!
//! [`Store`]: super::Store

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use bytes::Bytes;
use serde_json::Value;

use super::{codec, StoreError};

/// What the cache holds at most: JSON, stored bytes and keys of the resources read lately.
pub const BUDGET_BYTES: usize = 96 * 1024 * 1024;

/// Bookkeeping per entry besides its bytes (map slot, key list, allocations).
const ENTRY_OVERHEAD: usize = 128;

/// A resource as the cache hands it out: its JSON, and one value derived from it (`_include`
/// keeps the pruned parse of a match here), made at most once while the entry lives. The
/// derived value dies with the entry, so it is as fresh as the JSON it came from.
#[derive(Clone)]
pub struct Cached {
    pub json: Bytes,
    derived: Arc<OnceLock<Arc<Value>>>,
}

impl Cached {
    /// JSON that is not in the cache: its derived value lives as long as this handle.
    pub fn uncached(json: Bytes) -> Self {
        Cached {
            json,
            derived: Arc::default(),
        }
    }

    /// The value derived from the JSON: `make`'s, made on the first call for this entry.
    pub fn derived(&self, make: impl FnOnce(&[u8]) -> Value) -> Arc<Value> {
        Arc::clone(self.derived.get_or_init(|| Arc::new(make(&self.json))))
    }
}

pub struct ResourceCache {
    inner: RwLock<Inner>,
    budget: usize,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Every key of `entries`, for picking one at random; `Entry::slot` is its place here.
    keys: Vec<String>,
    bytes: usize,
    /// xorshift state for the random choice.
    seed: u64,
}

struct Entry {
    stored: Box<[u8]>,
    cached: Cached,
    slot: usize,
}

/// What an entry is charged: its bytes, and a quarter of its JSON's length again for the
/// derived value it may hold (what `_include` keeps of an EOB — its references — is a few
/// small maps, ~2–3 kB of heap against ~12 kB of JSON), counted before it exists so the
/// budget holds whether or not it is made.
fn weight(key: &str, stored: &[u8], json: &[u8]) -> usize {
    key.len() * 2 + stored.len() + json.len() + json.len() / 4 + ENTRY_OVERHEAD
}

impl ResourceCache {
    pub fn new(budget: usize) -> Self {
        Self {
            inner: RwLock::new(Inner {
                seed: 0x9E37_79B9_7F4A_7C15,
                ..Inner::default()
            }),
            budget,
        }
    }

    /// The JSON of `key` whose stored bytes are `stored` (see [`ResourceCache::cached`]).
    #[cfg(test)]
    fn json(&self, key: &str, stored: &[u8]) -> Result<Bytes, StoreError> {
        Ok(self.cached(key, stored)?.json)
    }

    /// The resource `key` whose stored bytes are `stored`: the cached copy when it was made
    /// from exactly these bytes, else decompressed now (and kept).
    pub fn cached(&self, key: &str, stored: &[u8]) -> Result<Cached, StoreError> {
        if let Some(cached) = self.hit(key, stored) {
            return Ok(cached);
        }
        let cached = Cached::uncached(Bytes::from(codec::decompress(key, stored)?));
        self.keep(key, stored, cached.clone());
        Ok(cached)
    }

    /// Bytes held now (JSON, stored bytes, keys and bookkeeping).
    #[cfg(test)]
    fn held_bytes(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }

    fn hit(&self, key: &str, stored: &[u8]) -> Option<Cached> {
        // The map stays consistent whatever a panicking holder did (each change completes
        // before the next can panic), so a poisoned lock is still usable.
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let entry = inner.entries.get(key)?;
        (*entry.stored == *stored).then(|| entry.cached.clone())
    }

    fn keep(&self, key: &str, stored: &[u8], cached: Cached) {
        let weight = weight(key, stored, &cached.json);
        // One resource never takes more than an eighth of the budget.
        if weight > self.budget / 8 {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        inner.remove(key);
        while inner.bytes + weight > self.budget && !inner.keys.is_empty() {
            inner.seed ^= inner.seed << 13;
            inner.seed ^= inner.seed >> 7;
            inner.seed ^= inner.seed << 17;
            let len = inner.keys.len() as u64;
            let victim = inner.keys[usize::try_from(inner.seed % len).unwrap_or(0)].clone();
            inner.remove(&victim);
        }
        let slot = inner.keys.len();
        inner.keys.push(key.to_string());
        inner.entries.insert(
            key.to_string(),
            Entry {
                stored: stored.into(),
                cached,
                slot,
            },
        );
        inner.bytes += weight;
    }
}

impl Inner {
    fn remove(&mut self, key: &str) {
        let Some(old) = self.entries.remove(key) else {
            return;
        };
        self.bytes -= weight(key, &old.stored, &old.cached.json);
        self.keys.swap_remove(old.slot);
        if let Some(moved) = self.keys.get(old.slot) {
            if let Some(entry) = self.entries.get_mut(moved) {
                entry.slot = old.slot;
            }
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
    fn a_derived_value_is_made_once_per_entry_and_never_outlives_its_json() {
        let cache = ResourceCache::new(BUDGET_BYTES);
        let v1 = br#"{"id":"a","n":1}"#;
        let v2 = br#"{"id":"a","n":2}"#;
        let (s1, s2) = (stored(v1), stored(v2));
        let parse = |json: &[u8]| serde_json::from_slice::<Value>(json).unwrap();
        let made = std::cell::Cell::new(0);
        let counted = |json: &[u8]| {
            made.set(made.get() + 1);
            parse(json)
        };
        let first = cache.cached("P/a", &s1).unwrap().derived(counted);
        let again = cache.cached("P/a", &s1).unwrap().derived(counted);
        assert_eq!((first["n"].as_i64(), made.get()), (Some(1), 1));
        assert!(Arc::ptr_eq(&first, &again));
        // A new version: a new entry, derived anew from its own JSON.
        let second = cache.cached("P/a", &s2).unwrap().derived(counted);
        assert_eq!((second["n"].as_i64(), made.get()), (Some(2), 2));
        // Uncached JSON derives on its own handle.
        let loose = Cached::uncached(Bytes::from_static(v1));
        assert_eq!(loose.derived(parse)["n"], 1);
    }

    #[test]
    fn the_cache_stays_within_its_budget_and_keeps_serving_what_it_holds() {
        let json = |i: usize| format!(r#"{{"id":"{i}","pad":"{}"}}"#, "x".repeat(1000));
        let budget = 20 * 1024;
        let cache = ResourceCache::new(budget);
        let stored_of: Vec<Vec<u8>> = (0..100).map(|i| stored(json(i).as_bytes())).collect();
        // Three rounds over more than fits: always within budget, always the right JSON.
        for _ in 0..3 {
            for (i, s) in stored_of.iter().enumerate() {
                let got = cache.json(&format!("P/{i}"), s).unwrap();
                assert_eq!(&got[..], json(i).as_bytes());
                assert!(cache.held_bytes() <= budget, "{}", cache.held_bytes());
            }
        }
        assert!(cache.held_bytes() > budget / 2);
        {
            let inner = cache.inner.read().unwrap();
            assert_eq!(inner.keys.len(), inner.entries.len());
            for (slot, key) in inner.keys.iter().enumerate() {
                assert_eq!(inner.entries[key].slot, slot);
            }
        }
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
