//! Bearer tokens on the FHIR API: who is calling, for which patient, with which scopes.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use redb::ReadableDatabase;

use super::db::{secret_key, CLIENTS, GRANTS, TOKENS};
use super::failures::Failures;
use super::records::{simulated_failures, Client};
use super::records::{Grant, TokenKind, TokenRecord};
use super::scopes::ScopeSet;
use super::AuthServer;
use crate::store::record;
use crate::store::StoreError;

/// What a valid access token allows.
#[derive(Debug, Clone)]
pub struct Access {
    pub client_id: String,
    /// The beneficiary's Patient id: the only patient whose data the token reaches (empty for
    /// a system token).
    pub patient: String,
    pub scopes: ScopeSet,
    /// The authorization the token belongs to.
    pub grant_id: String,
    pub issued_at: i64,
    /// Simulated failures of the app and the grant (usually none: one test on the hot path).
    pub failures: Failures,
    /// A backend-services token (`client_credentials`): it reaches every patient's data within
    /// its `system/` scopes.
    pub system: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Validated access tokens, so the FHIR API does not read and decode the token and grant
/// records on every request. Any write to the auth tables (a revocation, a new token, a
/// consent) moves the epoch and retires every entry: revocation still takes effect on the
/// next request.
#[derive(Default)]
pub struct AccessCache {
    entries: RwLock<HashMap<String, Cached>>,
}

struct Cached {
    epoch: u64,
    /// The earlier of the token's and its grant's expiry.
    expires_at: i64,
    access: Arc<Access>,
}

/// Entries kept before the cache starts over (a sandbox has few live tokens).
const CACHE_LIMIT: usize = 10_000;

impl AuthServer {
    /// Checks an access token: known, an access token, not revoked or expired, and its grant
    /// still live.
    pub fn access(&self, token: &str, now: i64) -> Result<Arc<Access>, BearerError> {
        let key = secret_key(token);
        let epoch = self.db.epoch();
        if let Ok(entries) = self.access_cache.entries.read() {
            if let Some(c) = entries.get(&key) {
                if c.epoch == epoch {
                    return if c.expires_at > now {
                        Ok(c.access.clone())
                    } else {
                        Err(BearerError::Invalid("the access token has expired"))
                    };
                }
            }
        }
        let (access, expires_at) = self.read_access(&key, now)?;
        let access = Arc::new(access);
        if let Ok(mut entries) = self.access_cache.entries.write() {
            if entries.len() >= CACHE_LIMIT {
                entries.clear();
            }
            entries.insert(
                key,
                Cached {
                    epoch,
                    expires_at,
                    access: access.clone(),
                },
            );
        }
        Ok(access)
    }

    /// The store's answer: one read transaction, no writes.
    fn read_access(&self, key: &str, now: i64) -> Result<(Access, i64), BearerError> {
        let tx = self
            .store()
            .database()
            .begin_read()
            .map_err(StoreError::from)?;
        let tokens = tx.open_table(TOKENS).map_err(StoreError::from)?;
        let Some(record) = record::get::<TokenRecord>(&tokens, key)? else {
            return Err(BearerError::Invalid("the access token is not known"));
        };
        if record.kind != TokenKind::Access {
            return Err(BearerError::Invalid(
                "a refresh token is not an access token",
            ));
        }
        if record.revoked {
            return Err(BearerError::Invalid("the access token was revoked"));
        }
        if record.expires_at <= now {
            return Err(BearerError::Invalid("the access token has expired"));
        }
        let grants = tx.open_table(GRANTS).map_err(StoreError::from)?;
        let grant: Option<Grant> = record::get(&grants, &record.grant_id)?;
        let Some(grant) = grant.filter(|g| g.is_live(now)) else {
            return Err(BearerError::Invalid(
                "the beneficiary's authorization of this app was revoked or has expired",
            ));
        };
        let clients = tx.open_table(CLIENTS).map_err(StoreError::from)?;
        let client: Option<Client> = record::get(&clients, &record.client_id)?;
        let failures = simulated_failures(client.as_ref(), Some(&grant));
        let access = Access {
            client_id: record.client_id,
            patient: record.patient,
            scopes: ScopeSet::parse(&record.scopes),
            grant_id: record.grant_id,
            issued_at: record.issued_at,
            failures,
            system: grant.system,
        };
        Ok((access, record.expires_at.min(grant.expires_at)))
    }
}
