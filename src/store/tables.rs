//! Every redb table the sandbox keeps, in one place: the resource tables and the record
//! tables of the authorization server, the audit trail and the portal. All of them live in the
//! one database file and are covered by its `SCHEMA_VERSION`.
//!
//! When to bump `SCHEMA_VERSION`: when what an existing store holds can no longer be read as
//! it is — a table renamed or removed, a key or value type changed, a record field made
//! required without a serde default, a different encoding (say, compressing a record table).
//! Adding a table, or a record field with a default, is not a format change: an older store
//! opens and the new table is created empty. Bumping makes every existing data directory
//! refuse to open, so do it only when that is the truth.

use redb::TableDefinition;

/// Checked when the store is opened (see the rule above for when it changes).
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
/// The first generated member the background fill (`fill`) has not written yet (u64 BE).
pub const META_FILL_NEXT: &str = "fill_next";
/// The last tick the claims-arrive mode (`arrivals`) wrote (u64 BE).
pub const META_ARRIVALS_TICK: &str = "arrivals_tick";

/// What `push` confirmed on each target: `"<base>\u{0}Type/id"` → xxh3-128 (16 bytes BE) of
/// the body the target accepted, so a second push sends only what changed (`push::ledger`).
pub const PUSH_LEDGER: TableDefinition<&str, &[u8]> = TableDefinition::new("push_ledger");

/// A table of JSON records keyed by a string (`store::record` reads and writes them).
pub type RecordTable = TableDefinition<'static, &'static str, &'static [u8]>;

/// Registered apps: client id → `auth::records::Client`.
pub const AUTH_CLIENTS: RecordTable = TableDefinition::new("auth_clients");
/// Beneficiaries' authorizations of apps: grant id → `auth::records::Grant`.
pub const AUTH_GRANTS: RecordTable = TableDefinition::new("auth_grants");
/// Authorization codes: BLAKE3 of the code → `auth::records::CodeRecord`.
pub const AUTH_CODES: RecordTable = TableDefinition::new("auth_codes");
/// Access and refresh tokens: BLAKE3 of the token → `auth::records::TokenRecord`.
pub const AUTH_TOKENS: RecordTable = TableDefinition::new("auth_tokens");
/// Beneficiaries' browser sessions: BLAKE3 of the cookie's value → `auth::records::SessionRecord`.
pub const AUTH_SESSIONS: RecordTable = TableDefinition::new("auth_sessions");
/// Client assertion ids seen (replay cache): BLAKE3 of `client_id`, NUL, `jti` →
/// `auth::records::JtiRecord`; dropped once the assertion has expired.
pub const AUTH_JTIS: RecordTable = TableDefinition::new("auth_jtis");
/// The audit trail: time-ordered key → `audit::AuditEntry`.
pub const AUDIT: RecordTable = TableDefinition::new("audit");
/// The trail by patient: (patient id, trail key) for every patient an entry names (its
/// patient, and each `Patient/…` it touched), so a patient's events are a range scan in time
/// order. Kept by `audit` with the trail; rebuilt at start when a store predates it.
pub const AUDIT_BY_PATIENT: TableDefinition<(&str, &str), ()> =
    TableDefinition::new("audit_by_patient");
/// One row: the `audit::AuditPolicy` the server was last started with.
pub const AUDIT_POLICY: RecordTable = TableDefinition::new("audit_policy");
/// Developer accounts: lower-cased e-mail → `portal::accounts::Developer`.
pub const PORTAL_DEVELOPERS: RecordTable = TableDefinition::new("portal_developers");

/// Beneficiaries who switched the claims-arrive mode on in the portal: patient id →
/// `arrivals::Switched`.
pub const ARRIVALS: RecordTable = TableDefinition::new("arrivals");
/// UDAP Tiered OAuth: the sandbox's registrations as a client of identity providers:
/// `"{IdP base}\0{the sandbox's FHIR base}"` → `udap::tiered::IdpClient`.
pub const UDAP_IDP_CLIENTS: RecordTable = TableDefinition::new("udap_idp_clients");
/// What each registered app did, for its conformance report: `client_id`, NUL, kind, NUL,
/// sequence number → `conformance::facts::Observation` (a bounded ring per app and kind; the
/// key `…NUL next` holds the next sequence number).
pub const CONFORMANCE: RecordTable = TableDefinition::new("conformance");
/// Bulk Data export jobs (`bulk`): job id → `bulk::Job` (its files live in `DATA_DIR/bulk/<id>`).
pub const BULK_JOBS: RecordTable = TableDefinition::new("bulk_jobs");

/// Every record table, created when the store is opened.
pub const RECORD_TABLES: &[RecordTable] = &[
    AUTH_CLIENTS,
    AUTH_JTIS,
    AUTH_GRANTS,
    AUTH_CODES,
    AUTH_TOKENS,
    AUTH_SESSIONS,
    AUDIT,
    AUDIT_POLICY,
    PORTAL_DEVELOPERS,
    ARRIVALS,
    UDAP_IDP_CLIENTS,
    CONFORMANCE,
    BULK_JOBS,
];
