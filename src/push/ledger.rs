//! The push ledger: per target base, the content hash of every resource the target confirmed.
//! Written after each confirmed batch (one redb transaction), so a second push sends nothing
//! that did not change and a killed push resumes after its last confirmed batch.

use redb::ReadableDatabase;

use crate::store::tables::PUSH_LEDGER;
use crate::store::{Store, StoreError};

/// The hash the ledger keeps for a body.
pub fn hash(body: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128(body)
}

/// The ledger of one target, kept in a store (the data directory's, even when the resources
/// come from a CPCDS folder imported into a temporary store).
pub struct Ledger {
    store: Store,
    base: String,
}

/// A target base as the ledger keys it: no trailing slash.
pub fn normalize_base(base: &str) -> &str {
    base.trim_end_matches('/')
}

impl Ledger {
    pub fn open(store: &Store, base: &str) -> Result<Ledger, StoreError> {
        let tx = store.begin_write()?;
        tx.open_table(PUSH_LEDGER)?;
        tx.commit()?;
        Ok(Ledger {
            store: store.clone(),
            base: normalize_base(base).to_string(),
        })
    }

    fn key(&self, resource_type: &str, id: &str) -> String {
        format!("{}\u{0}{resource_type}/{id}", self.base)
    }

    /// A snapshot to check many resources against.
    pub fn snapshot(&self) -> Result<LedgerSnapshot<'_>, StoreError> {
        Ok(LedgerSnapshot {
            ledger: self,
            tx: self.store.database().begin_read()?,
        })
    }

    /// Records what the target confirmed, in one transaction.
    pub fn record(&self, confirmed: &[(&str, &str, u128)]) -> Result<(), StoreError> {
        if confirmed.is_empty() {
            return Ok(());
        }
        let tx = self.store.begin_write()?;
        {
            let mut table = tx.open_table(PUSH_LEDGER)?;
            for (ty, id, h) in confirmed {
                table.insert(self.key(ty, id).as_str(), h.to_be_bytes().as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// How many resources the ledger holds for this target.
    pub fn count(&self) -> Result<u64, StoreError> {
        let tx = self.store.database().begin_read()?;
        let table = tx.open_table(PUSH_LEDGER)?;
        let start = format!("{}\u{0}", self.base);
        let end = format!("{}\u{1}", self.base);
        let mut n = 0;
        for row in table.range(start.as_str()..end.as_str())? {
            row?;
            n += 1;
        }
        Ok(n)
    }

    /// Forgets this target (`push --full`).
    pub fn clear(&self) -> Result<(), StoreError> {
        let tx = self.store.begin_write()?;
        {
            let mut table = tx.open_table(PUSH_LEDGER)?;
            let start = format!("{}\u{0}", self.base);
            let end = format!("{}\u{1}", self.base);
            table.retain_in(start.as_str()..end.as_str(), |_, _| false)?;
        }
        tx.commit()?;
        Ok(())
    }
}

pub struct LedgerSnapshot<'a> {
    ledger: &'a Ledger,
    tx: redb::ReadTransaction,
}

impl LedgerSnapshot<'_> {
    /// True when the target already confirmed exactly this content.
    pub fn unchanged(&self, resource_type: &str, id: &str, h: u128) -> Result<bool, StoreError> {
        let table = self.tx.open_table(PUSH_LEDGER)?;
        let key = self.ledger.key(resource_type, id);
        Ok(table
            .get(key.as_str())?
            .is_some_and(|v| v.value() == h.to_be_bytes().as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ledger_keeps_hashes_per_target() {
        let store = Store::in_memory().unwrap();
        let a = Ledger::open(&store, "http://a.example/fhir/").unwrap();
        let b = Ledger::open(&store, "http://a.example/fhir2").unwrap();
        let h = hash(b"{\"resourceType\":\"Patient\"}");
        a.record(&[("Patient", "p1", h), ("Patient", "p2", h)])
            .unwrap();
        let snap = a.snapshot().unwrap();
        assert!(snap.unchanged("Patient", "p1", h).unwrap());
        assert!(!snap.unchanged("Patient", "p1", h + 1).unwrap());
        assert!(!snap.unchanged("Patient", "p3", h).unwrap());
        // Another base (even one the first is a prefix of) knows nothing.
        assert!(!b.snapshot().unwrap().unchanged("Patient", "p1", h).unwrap());
        assert_eq!(a.count().unwrap(), 2);
        assert_eq!(b.count().unwrap(), 0);
        // The same base with a trailing slash is the same target.
        let again = Ledger::open(&store, "http://a.example/fhir").unwrap();
        assert_eq!(again.count().unwrap(), 2);
        b.record(&[("Patient", "p1", h)]).unwrap();
        a.clear().unwrap();
        assert_eq!(a.count().unwrap(), 0);
        assert_eq!(b.count().unwrap(), 1);
    }
}
