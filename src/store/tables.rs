//! Every redb table the sandbox keeps, in one place.

use redb::TableDefinition;

/// Bumped whenever a table's layout changes; checked when the store is opened.
pub const SCHEMA_VERSION: u32 = 2;

/// Current version of every resource: `"Type/id"` → its JSON, zstd-compressed (store/codec.rs).
pub const RESOURCES: TableDefinition<&str, &[u8]> = TableDefinition::new("resources");
/// Superseded versions: `("Type/id", versionId)` → JSON.
pub const RESOURCE_HISTORY: TableDefinition<(&str, u32), &[u8]> =
    TableDefinition::new("resource_history");
/// `"Type/id"` → current versionId (4 bytes BE) + xxh3-128 of the content without `meta` (16 bytes),
/// so a re-import can tell an unchanged resource from a changed one without parsing JSON.
pub const FINGERPRINTS: TableDefinition<&str, &[u8]> = TableDefinition::new("fingerprints");
/// Small facts about the store itself (schema version, seed marker, generation).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

pub const META_SCHEMA_VERSION: &str = "schema_version";
pub const META_SEEDED_FROM: &str = "seeded_from";
/// A random id made when the store is created, so an index built from another store (a copied
/// or recreated data directory) never passes for this one's.
pub const META_STORE_ID: &str = "store_id";
/// Counts the write transactions that changed a resource (u64 BE), bumped in the same
/// transaction as the change: the search index records the value it reflects.
pub const META_GENERATION: &str = "generation";
