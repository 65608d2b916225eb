//! Typed JSON records in the store's small tables (auth, audit, portal): the one encoder and
//! decoder for them, so every table reports a record it cannot read the same way
//! (`StoreError::Corrupt`, naming the key) and none grows its own.
//!
//! Resources are not records: they live in `RESOURCES` zstd-compressed (`store::codec`).

use redb::{ReadableTable, Table};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::tables::RecordTable;
use super::StoreError;

/// Reads one stored record; `key` names it in the error when it does not parse.
pub fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt {
        key: key.to_string(),
        reason: e.to_string(),
    })
}

/// The stored form of a record.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Records are plain structs of strings and numbers: serializing them cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

/// The record under `key`, if any.
pub fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let found = table.get(key)?;
    found.map(|v| decode(key, v.value())).transpose()
}

/// Stores `value` under `key`, replacing what was there.
pub fn put<T: Serialize>(
    table: &mut Table<'_, &'static str, &'static [u8]>,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    table.insert(key, encode(value).as_slice())?;
    Ok(())
}

/// Every record of a table, in key order.
pub fn scan<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<T>, StoreError> {
    Ok(scan_keyed(table)?.into_iter().map(|(_, v)| v).collect())
}

/// Every record of a table with its key, in key order.
pub fn scan_keyed<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Vec<(String, T)>, StoreError> {
    let mut out = Vec::new();
    for row in table.iter()? {
        let (k, v) = row?;
        out.push((k.value().to_string(), decode(k.value(), v.value())?));
    }
    Ok(out)
}

/// Creates the record tables that do not exist yet, so reads never meet a missing one.
pub fn create_all(tx: &redb::WriteTransaction, tables: &[RecordTable]) -> Result<(), StoreError> {
    for table in tables {
        tx.open_table(*table)?;
    }
    Ok(())
}
