//! The authorization server's tables in the shared redb database (declared with every other
//! table in `store::tables`; records read and written by `store::record`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use redb::{ReadableDatabase, WriteTransaction};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::records::{Client, CodeRecord, Grant, JtiRecord, SessionRecord, TokenRecord};
use crate::store::record;
use crate::store::tables::RecordTable;
pub use crate::store::tables::{
    AUTH_CLIENTS as CLIENTS, AUTH_CODES as CODES, AUTH_GRANTS as GRANTS, AUTH_JTIS as JTIS,
    AUTH_SESSIONS as SESSIONS, AUTH_TOKENS as TOKENS,
};
use crate::store::{Store, StoreError};

/// The key a code or token is stored under.
pub fn secret_key(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

/// Typed access to the auth tables.
#[derive(Clone)]
pub struct AuthDb {
    store: Store,
    /// Bumped after every committed write: caches of what was read before are stale then.
    epoch: Arc<AtomicU64>,
}

impl AuthDb {
    /// The tables were created when the store was opened (`store::tables::RECORD_TABLES`).
    pub fn open(store: &Store) -> Result<AuthDb, StoreError> {
        Ok(AuthDb {
            store: store.clone(),
            epoch: Arc::new(AtomicU64::new(0)),
        })
    }

    pub fn get<T: DeserializeOwned>(
        &self,
        table: RecordTable,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let tx = self.store.database().begin_read()?;
        record::get(&tx.open_table(table)?, key)
    }

    /// Every record of a table, in key order.
    pub fn all<T: DeserializeOwned>(&self, table: RecordTable) -> Result<Vec<T>, StoreError> {
        let tx = self.store.database().begin_read()?;
        record::scan(&tx.open_table(table)?)
    }

    /// Runs `f` in one write transaction and commits only if it succeeds.
    pub fn write<R, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Tx<'_>) -> Result<R, E>,
    ) -> Result<R, E> {
        let tx = self.store.begin_write()?;
        let result = f(&mut Tx { tx: &tx })?;
        tx.commit().map_err(StoreError::from)?;
        self.epoch.fetch_add(1, Ordering::SeqCst);
        Ok(result)
    }

    /// The write epoch (read it before reading records you mean to cache).
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    pub fn client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        self.get(CLIENTS, client_id)
    }

    pub fn token(&self, token: &str) -> Result<Option<TokenRecord>, StoreError> {
        self.get(TOKENS, &secret_key(token))
    }

    pub fn grant(&self, id: &str) -> Result<Option<Grant>, StoreError> {
        self.get(GRANTS, id)
    }
}

/// A write transaction over the auth tables.
pub struct Tx<'a> {
    tx: &'a WriteTransaction,
}

impl Tx<'_> {
    pub fn get<T: DeserializeOwned>(
        &mut self,
        table: RecordTable,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        record::get(&self.tx.open_table(table)?, key)
    }

    pub fn put<T: Serialize>(
        &mut self,
        table: RecordTable,
        key: &str,
        value: &T,
    ) -> Result<(), StoreError> {
        record::put(&mut self.tx.open_table(table)?, key, value)
    }

    pub fn remove(&mut self, table: RecordTable, key: &str) -> Result<bool, StoreError> {
        Ok(self.tx.open_table(table)?.remove(key)?.is_some())
    }

    /// Appends an audit record that commits with this transaction.
    pub fn audit(&mut self, record: &crate::audit::AuditRecord) -> Result<(), StoreError> {
        crate::audit::append(self.tx, record)
    }

    /// Marks a grant revoked; its codes and tokens stop working at once (every check reads
    /// the grant).
    pub fn revoke_grant(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        if let Some(mut grant) = self.get::<Grant>(GRANTS, id)? {
            if grant.revoked_at.is_none() {
                grant.revoked_at = Some(now);
                self.put(GRANTS, id, &grant)?;
            }
        }
        Ok(())
    }

    /// Drops expired codes, sessions, assertion ids, backend-services grants, and tokens of dead
    /// grants (kept small on long-running sandboxes).
    pub fn prune(&mut self, now: i64) -> Result<usize, StoreError> {
        let mut dead = Vec::new();
        {
            for (key, code) in record::scan_keyed::<CodeRecord>(&self.tx.open_table(CODES)?)? {
                if code.expires_at < now {
                    dead.push((CODES, key));
                }
            }
            for (key, token) in record::scan_keyed::<TokenRecord>(&self.tx.open_table(TOKENS)?)? {
                if token.expires_at < now || token.revoked {
                    dead.push((TOKENS, key));
                }
            }
            // Backend-services grants live as long as their one token.
            for (key, grant) in record::scan_keyed::<Grant>(&self.tx.open_table(GRANTS)?)? {
                if grant.system && grant.expires_at < now {
                    dead.push((GRANTS, key));
                }
            }
            for (key, jti) in record::scan_keyed::<JtiRecord>(&self.tx.open_table(JTIS)?)? {
                if jti.expires_at < now {
                    dead.push((JTIS, key));
                }
            }
            let sessions = self.tx.open_table(SESSIONS)?;
            for (key, session) in record::scan_keyed::<SessionRecord>(&sessions)? {
                if session.expires_at < now {
                    dead.push((SESSIONS, key));
                }
            }
        }
        for (table, key) in &dead {
            self.remove(*table, key)?;
        }
        Ok(dead.len())
    }
}

impl AuthDb {
    /// A beneficiary's live authorizations, newest first (the connected-apps page).
    pub fn live_grants_of(&self, patient: &str, now: i64) -> Result<Vec<Grant>, StoreError> {
        let mut grants: Vec<Grant> = self
            .all::<Grant>(GRANTS)?
            .into_iter()
            .filter(|g| g.patient == patient && g.is_live(now))
            .collect();
        grants.sort_by_key(|g| std::cmp::Reverse(g.created_at));
        Ok(grants)
    }

    /// Ends every live authorization a beneficiary gave an app, the way `how` says, in one
    /// write with its audit record. Returns how many were live.
    pub fn end_app_for(
        &self,
        client_id: &str,
        patient: &str,
        now: i64,
        how: Ending,
    ) -> Result<usize, StoreError> {
        let live: Vec<Grant> = self
            .all::<Grant>(GRANTS)?
            .into_iter()
            .filter(|g| g.client_id == client_id && g.patient == patient && g.is_live(now))
            .collect();
        self.write(|tx| {
            for g in &live {
                match how {
                    Ending::Revoke => tx.revoke_grant(&g.id, now)?,
                    Ending::Expire => {
                        let mut ended = g.clone();
                        ended.expires_at = now;
                        tx.put(GRANTS, &g.id, &ended)?;
                    }
                }
            }
            let n = live.len();
            let (event, detail) = match how {
                Ending::Revoke => (
                    "revoke",
                    format!("beneficiary revoked {n} authorization(s)"),
                ),
                Ending::Expire => ("expire", format!("sandbox: {n} authorization(s) ended now")),
            };
            tx.audit(&crate::audit::AuditRecord {
                at: now,
                event: event.into(),
                outcome: "success".into(),
                client_id: Some(client_id.to_string()),
                patient: Some(patient.to_string()),
                detail: Some(detail),
                ..Default::default()
            })?;
            Ok::<_, StoreError>(())
        })?;
        Ok(live.len())
    }
}

/// How a beneficiary's authorizations of an app end ([`AuthDb::end_app_for`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Revoked: its tokens die at once and the app shows as revoked.
    Revoke,
    /// Sandbox only (Blue Button's `expire_authenticated_user`): as if its time were up; its
    /// tokens stop working at once and a refresh is refused as expired.
    Expire,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(id: &str, client: &str, patient: &str, created_at: i64) -> Grant {
        Grant {
            id: id.into(),
            client_id: client.into(),
            patient: patient.into(),
            username: "BBUser00001".into(),
            scopes: "patient/*.rs".into(),
            created_at,
            expires_at: 1_000,
            revoked_at: None,
            model: Default::default(),
            simulated_failures: Vec::new(),
            system: false,
        }
    }

    #[test]
    fn revoking_an_app_ends_only_that_patients_grants_for_it() {
        let store = Store::in_memory().unwrap();
        let db = AuthDb::open(&store).unwrap();
        db.write(|tx| {
            tx.put(GRANTS, "g1", &grant("g1", "app", "M00001", 1))?;
            tx.put(GRANTS, "g2", &grant("g2", "app", "M00001", 2))?;
            tx.put(GRANTS, "g3", &grant("g3", "other", "M00001", 3))?;
            tx.put(GRANTS, "g4", &grant("g4", "app", "M00002", 4))
        })
        .unwrap();
        let before = db.epoch();
        assert_eq!(
            db.end_app_for("app", "M00001", 10, Ending::Revoke).unwrap(),
            2
        );
        assert!(db.epoch() > before, "a write retires cached token checks");
        let live: Vec<String> = db
            .live_grants_of("M00001", 10)
            .unwrap()
            .into_iter()
            .map(|g| g.id)
            .collect();
        assert_eq!(live, ["g3"]);
        assert_eq!(db.live_grants_of("M00002", 10).unwrap().len(), 1);
        assert!(
            db.live_grants_of("M00002", 1_000).unwrap().is_empty(),
            "expired"
        );
    }
}
