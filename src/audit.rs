//! The audit trail: every authorization decision and token event, kept in the store.
//! (A later issue serves these as FHIR AuditEvent resources.) Tokens never appear here.

use redb::{ReadableDatabase, ReadableTable, TableDefinition, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const AUDIT: TableDefinition<&str, &[u8]> = TableDefinition::new("audit");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AuditRecord {
    /// Unix time, seconds.
    pub at: i64,
    /// `authorize`, `login`, `consent`, `token`, `refresh`, `revoke`, `introspect`, …
    pub event: String,
    /// `success`, or the OAuth error code.
    pub outcome: String,
    pub client_id: Option<String>,
    /// The beneficiary's login name.
    pub user: Option<String>,
    pub patient: Option<String>,
    pub scopes: Option<String>,
    pub detail: Option<String>,
}

/// Appends a record inside the caller's transaction (so it commits with what it describes).
pub fn append(tx: &WriteTransaction, record: &AuditRecord) -> Result<(), StoreError> {
    let mut table = tx.open_table(AUDIT)?;
    // Time first so keys sort chronologically; a random suffix keeps same-second keys apart.
    let suffix = blake3::hash(&crate::auth::keys::random_bytes::<16>()).to_hex();
    let key = format!("{:020}-{}", record.at, &suffix[..12]);
    let bytes = serde_json::to_vec(record).unwrap_or_default();
    table.insert(key.as_str(), bytes.as_slice())?;
    Ok(())
}

/// Appends a record in a transaction of its own (for refusals and sign-ins, which change
/// nothing else). A store failure here is logged, not raised: the request it describes has
/// been decided already, and every caller would only log it.
pub fn record(store: &Store, record: &AuditRecord) {
    let result = store.begin_write().and_then(|tx| {
        append(&tx, record)?;
        tx.commit()?;
        Ok(())
    });
    if let Err(e) = result {
        tracing::error!(
            "could not record the audit event {} ({}): {e}",
            record.event,
            record.outcome
        );
    }
}

/// The newest `limit` records, newest first.
pub fn recent(store: &Store, limit: usize) -> Result<Vec<AuditRecord>, StoreError> {
    let tx = store.database().begin_read()?;
    let table = match tx.open_table(AUDIT) {
        Ok(t) => t,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for row in table.iter()?.rev().take(limit) {
        let (k, v) = row?;
        out.push(
            serde_json::from_slice(v.value()).map_err(|e| StoreError::Corrupt {
                key: k.value().to_string(),
                reason: e.to_string(),
            })?,
        );
    }
    Ok(out)
}
