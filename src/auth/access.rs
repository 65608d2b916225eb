//! Bearer tokens on the FHIR API: who is calling, for which patient, with which scopes.

use redb::ReadableDatabase;

use super::db::{decode, secret_key, GRANTS, TOKENS};
use super::records::{Grant, TokenKind, TokenRecord};
use super::scopes::ScopeSet;
use super::AuthServer;
use crate::store::StoreError;

/// What a valid access token allows.
#[derive(Debug, Clone)]
pub struct Access {
    pub client_id: String,
    /// The beneficiary's Patient id: the only patient whose data the token reaches.
    pub patient: String,
    pub scopes: ScopeSet,
}

#[derive(Debug, thiserror::Error)]
pub enum BearerError {
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AuthServer {
    /// Checks an access token: known, an access token, not revoked or expired, and its grant
    /// still live. One read transaction, no writes.
    pub fn access(&self, token: &str, now: i64) -> Result<Access, BearerError> {
        let tx = self
            .store()
            .database()
            .begin_read()
            .map_err(StoreError::from)?;
        let tokens = tx.open_table(TOKENS).map_err(StoreError::from)?;
        let key = secret_key(token);
        let record: TokenRecord = match tokens.get(key.as_str()).map_err(StoreError::from)? {
            Some(v) => decode(&key, v.value())?,
            None => return Err(BearerError::Invalid("the access token is not known")),
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
        let grant: Option<Grant> = match grants
            .get(record.grant_id.as_str())
            .map_err(StoreError::from)?
        {
            Some(v) => Some(decode(&record.grant_id, v.value())?),
            None => None,
        };
        if !grant.is_some_and(|g| g.is_live(now)) {
            return Err(BearerError::Invalid(
                "the beneficiary's authorization of this app was revoked or has expired",
            ));
        }
        Ok(Access {
            client_id: record.client_id,
            patient: record.patient,
            scopes: ScopeSet::parse(&record.scopes),
        })
    }
}
