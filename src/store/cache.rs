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

use super::{codec, StoreError};

/// What the cache holds at most: JSON, stored bytes and keys of the resources read lately.
pub const BUDGET_BYTES: usize = 96 * 1024 * 1024;

/// What the links of resources whose JSON was let go may hold at most (see [`Links`]).
pub const LINKS_BUDGET_BYTES: usize = 16 * 1024 * 1024;

/// Bookkeeping per entry besides its bytes (map slot, key list, allocations).
const ENTRY_OVERHEAD: usize = 128;

/// The references a resource holds on the element paths `_include` follows, as
/// `(element path, reference as written)` pairs in document order. Made by the caller (the
/// store knows no FHIR paths), at most once per stored version while it is remembered: an
/// `_include` search otherwise parses every match again, and most of an EOB's ~12 kB is
/// adjudication detail it skips to find a handful of references (the parse was 46% of such
/// a search's CPU, and ~25% again when the matches no longer fit in the cache).
pub type Links = Arc<[(&'static str, Box<str>)]>;

/// A resource as the cache hands it out: its JSON, and its [`Links`] once someone made them.
#[derive(Clone)]
pub struct Cached {
    pub json: Bytes,
    links: Arc<OnceLock<Links>>,
}

impl Cached {
    /// JSON that is not in the cache: its links live as long as this handle.
    pub fn uncached(json: Bytes) -> Self {
        Cached {
            json,
            links: Arc::default(),
        }
    }

    /// The resource's links: `make`'s, made on the first call for this stored version.
    pub fn links(&self, make: impl FnOnce(&[u8]) -> Vec<(&'static str, Box<str>)>) -> Links {
        Arc::clone(self.links.get_or_init(|| make(&self.json).into()))
    }
}

/// Heap bytes of a [`Links`]: the slice, the strings and the `Arc`'s counters.
fn links_weight(links: &Links) -> usize {
    16 + links
        .iter()
        .map(|(_, r)| std::mem::size_of::<(&str, Box<str>)>() + r.len())
        .sum::<usize>()
}

/// The decompressed resources read lately, and the links of some whose JSON was let go.
///
/// When a JSON entry with links is pushed out, its links move to a second, smaller map (kept
/// with the stored bytes they were made from, checked the same way). A client that walks
/// more resources than the JSON budget holds then pays to decompress a match again, as a
/// plain search does, but not to parse it again for `_include`.
pub struct ResourceCache {
    inner: RwLock<Inner>,
}

struct Inner {
    json: Slots<Entry>,
    links: Slots<KeptLinks>,
}

struct Entry {
    stored: Box<[u8]>,
    cached: Cached,
}

struct KeptLinks {
    stored: Box<[u8]>,
    links: Links,
}

/// What a JSON entry is charged: its bytes, and a sixteenth of its JSON's length again for
/// the links it may hold (an EOB's 7–8 references take ~0.4 kB against ~16 kB of JSON),
/// counted before they exist so the budget holds whether or not they are made.
fn weight(key: &str, stored: &[u8], json: &[u8]) -> usize {
    key.len() * 2 + stored.len() + json.len() + json.len() / 16 + ENTRY_OVERHEAD
}

impl ResourceCache {
    pub fn new(budget: usize, links_budget: usize) -> Self {
        Self {
            inner: RwLock::new(Inner {
                json: Slots::new(budget),
                links: Slots::new(links_budget),
            }),
        }
    }

    /// The JSON of `key` whose stored bytes are `stored` (see [`ResourceCache::cached`]).
    #[cfg(test)]
    fn json(&self, key: &str, stored: &[u8]) -> Result<Bytes, StoreError> {
        Ok(self.cached(key, stored)?.json)
    }

    /// The resource `key` whose stored bytes are `stored`: the cached copy when it was made
    /// from exactly these bytes, else decompressed now (and kept), with the links remembered
    /// for these bytes if any.
    pub fn cached(&self, key: &str, stored: &[u8]) -> Result<Cached, StoreError> {
        let links = {
            // The maps stay consistent whatever a panicking holder did (each change completes
            // before the next can panic), so a poisoned lock is still usable.
            let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(entry) = inner.json.get(key).filter(|e| *e.stored == *stored) {
                return Ok(entry.cached.clone());
            }
            inner
                .links
                .get(key)
                .filter(|k| *k.stored == *stored)
                .map(|k| Arc::new(OnceLock::from(Arc::clone(&k.links))))
        };
        let json = Bytes::from(codec::decompress(key, stored)?);
        let cached = Cached {
            json,
            links: links.unwrap_or_default(),
        };
        self.keep(key, stored, cached.clone());
        Ok(cached)
    }

    /// Bytes held now (JSON entries, kept links).
    #[cfg(test)]
    fn held_bytes(&self) -> (usize, usize) {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        (inner.json.bytes, inner.links.bytes)
    }

    fn keep(&self, key: &str, stored: &[u8], cached: Cached) {
        let weight = weight(key, stored, &cached.json);
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        // The links (if any) now live with the JSON entry.
        inner.links.remove(key);
        let pushed_out = inner.json.insert(
            key,
            Entry {
                stored: stored.into(),
                cached,
            },
            weight,
        );
        for (key, entry) in pushed_out {
            if let Some(links) = entry.cached.links.get() {
                let weight = key.len() * 2 + entry.stored.len() + links_weight(links);
                let links = Arc::clone(links);
                inner.links.insert(
                    &key,
                    KeptLinks {
                        stored: entry.stored,
                        links,
                    },
                    weight,
                );
            }
        }
    }
}

/// A map bounded by the bytes its values are charged, which makes room by dropping entries
/// chosen at random (see the module comment for why not least recently used).
struct Slots<V> {
    entries: HashMap<String, Slot<V>>,
    /// Every key of `entries`, for picking one at random; `Slot::at` is its place here.
    keys: Vec<String>,
    bytes: usize,
    budget: usize,
    /// xorshift state for the random choice.
    seed: u64,
}

struct Slot<V> {
    value: V,
    at: usize,
    weight: usize,
}

impl<V> Slots<V> {
    fn new(budget: usize) -> Self {
        Self {
            entries: HashMap::new(),
            keys: Vec::new(),
            bytes: 0,
            budget,
            seed: 0x9E37_79B9_7F4A_7C15,
        }
    }

    fn get(&self, key: &str) -> Option<&V> {
        self.entries.get(key).map(|s| &s.value)
    }

    /// Puts `value` under `key` (replacing what was there), first dropping random entries
    /// until it fits, and returns those. A value charged more than an eighth of the budget
    /// is not kept.
    fn insert(&mut self, key: &str, value: V, weight: usize) -> Vec<(String, V)> {
        let mut dropped = Vec::new();
        if weight > self.budget / 8 {
            return dropped;
        }
        self.remove(key);
        while self.bytes + weight > self.budget && !self.keys.is_empty() {
            self.seed ^= self.seed << 13;
            self.seed ^= self.seed >> 7;
            self.seed ^= self.seed << 17;
            let len = self.keys.len() as u64;
            let victim = self.keys[usize::try_from(self.seed % len).unwrap_or(0)].clone();
            if let Some(v) = self.remove(&victim) {
                dropped.push((victim, v));
            }
        }
        let at = self.keys.len();
        self.keys.push(key.to_string());
        self.entries
            .insert(key.to_string(), Slot { value, at, weight });
        self.bytes += weight;
        dropped
    }

    fn remove(&mut self, key: &str) -> Option<V> {
        let old = self.entries.remove(key)?;
        self.bytes -= old.weight;
        self.keys.swap_remove(old.at);
        if let Some(moved) = self.keys.get(old.at) {
            if let Some(slot) = self.entries.get_mut(moved) {
                slot.at = old.at;
            }
        }
        Some(old.value)
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
        let cache = ResourceCache::new(BUDGET_BYTES, LINKS_BUDGET_BYTES);
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

    /// Links made of a JSON that looks like `{"id":…,"n":N}`: one pair naming N.
    fn links_of(json: &[u8]) -> Vec<(&'static str, Box<str>)> {
        let v: serde_json::Value = serde_json::from_slice(json).unwrap();
        vec![("n", v["n"].to_string().into())]
    }

    #[test]
    fn links_are_made_once_per_stored_version_and_never_outlive_it() {
        let cache = ResourceCache::new(BUDGET_BYTES, LINKS_BUDGET_BYTES);
        let v1 = br#"{"id":"a","n":1}"#;
        let v2 = br#"{"id":"a","n":2}"#;
        let (s1, s2) = (stored(v1), stored(v2));
        let made = std::cell::Cell::new(0);
        let counted = |json: &[u8]| {
            made.set(made.get() + 1);
            links_of(json)
        };
        let first = cache.cached("P/a", &s1).unwrap().links(counted);
        let again = cache.cached("P/a", &s1).unwrap().links(counted);
        assert_eq!((&*first[0].1, made.get()), ("1", 1));
        assert!(Arc::ptr_eq(&first, &again));
        // A new version: a new entry, its links made anew from its own JSON.
        let second = cache.cached("P/a", &s2).unwrap().links(counted);
        assert_eq!((&*second[0].1, made.get()), ("2", 2));
        // Uncached JSON makes them on its own handle.
        let loose = Cached::uncached(Bytes::from_static(v1));
        assert_eq!(&*loose.links(links_of)[0].1, "1");
    }

    #[test]
    fn links_outlive_their_pushed_out_json_but_only_for_the_same_stored_bytes() {
        let json = |i: usize, n: usize| format!(r#"{{"id":"{i}","n":{n},"pad":"{i:0>1000}"}}"#);
        let cache = ResourceCache::new(20 * 1024, 64 * 1024);
        let stored_of: Vec<Vec<u8>> = (0..100).map(|i| stored(json(i, i).as_bytes())).collect();
        let made = std::cell::Cell::new(0);
        let counted = |json: &[u8]| {
            made.set(made.get() + 1);
            links_of(json)
        };
        // Three rounds over more JSON than fits: each resource's links are made once.
        for _ in 0..3 {
            for (i, s) in stored_of.iter().enumerate() {
                let c = cache.cached(&format!("P/{i}"), s).unwrap();
                assert_eq!(&c.json[..], json(i, i).as_bytes());
                assert_eq!(*c.links(counted)[0].1, *i.to_string());
                let (json_bytes, links_bytes) = cache.held_bytes();
                assert!(json_bytes <= 20 * 1024 && links_bytes <= 64 * 1024);
            }
        }
        assert_eq!(made.get(), 100);
        // Another version of a resource whose links were kept: its own links, made anew.
        let first_out = {
            let inner = cache.inner.read().unwrap();
            let first_out = (0..100)
                .find(|i| inner.json.get(&format!("P/{i}")).is_none())
                .unwrap();
            assert!(inner.links.get(&format!("P/{first_out}")).is_some());
            first_out
        };
        let newer = stored(json(first_out, 1000 + first_out).as_bytes());
        let links = cache
            .cached(&format!("P/{first_out}"), &newer)
            .unwrap()
            .links(counted);
        assert_eq!((*links[0].1).to_string(), (1000 + first_out).to_string());
        assert_eq!(made.get(), 101);
    }

    #[test]
    fn the_cache_stays_within_its_budget_and_keeps_serving_what_it_holds() {
        let json = |i: usize| format!(r#"{{"id":"{i}","pad":"{}"}}"#, "x".repeat(1000));
        let budget = 20 * 1024;
        let cache = ResourceCache::new(budget, budget);
        let stored_of: Vec<Vec<u8>> = (0..100).map(|i| stored(json(i).as_bytes())).collect();
        // Three rounds over more than fits: always within budget, always the right JSON.
        for _ in 0..3 {
            for (i, s) in stored_of.iter().enumerate() {
                let got = cache.json(&format!("P/{i}"), s).unwrap();
                assert_eq!(&got[..], json(i).as_bytes());
                assert!(cache.held_bytes().0 <= budget, "{:?}", cache.held_bytes());
            }
        }
        assert!(cache.held_bytes().0 > budget / 2);
        {
            let inner = cache.inner.read().unwrap();
            assert_eq!(inner.json.keys.len(), inner.json.entries.len());
            for (at, key) in inner.json.keys.iter().enumerate() {
                assert_eq!(inner.json.entries[key].at, at);
            }
        }
        // One too large for an eighth of the budget is served and not kept.
        let big = format!(r#"{{"pad":"{}"}}"#, "y".repeat(budget));
        let big_stored = stored(big.as_bytes());
        let a = cache.json("P/big", &big_stored).unwrap();
        let b = cache.json("P/big", &big_stored).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.as_ptr(), b.as_ptr());
        assert!(cache.held_bytes().0 <= budget);
    }
}
