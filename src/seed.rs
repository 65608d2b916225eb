//! The bundled default data set (`seed/`, made by `carin-sandbox generate`), embedded in the
//! binary and imported on the first start into an empty data directory.

use std::path::Path;

use rust_embed::RustEmbed;
use time::OffsetDateTime;

use crate::cpcds::{self, ImportReport, IngestError};
use crate::index::SearchIndex;
use crate::store::tables::META_SEEDED_FROM;
use crate::store::Store;

#[derive(RustEmbed)]
#[folder = "seed/"]
#[include = "*.csv"]
struct SeedFiles;

/// A digest of the embedded seed, recorded in the store once it is loaded.
pub fn seed_digest() -> String {
    let mut names: Vec<_> = SeedFiles::iter().collect();
    names.sort();
    let mut h = blake3::Hasher::new();
    for name in names {
        if let Some(f) = SeedFiles::get(&name) {
            h.update(name.as_bytes());
            h.update(&f.data);
        }
    }
    h.finalize().to_hex()[..16].to_string()
}

/// How many members the embedded seed holds (`M00000` … ): rows of its members file.
pub fn member_count() -> u64 {
    SeedFiles::get(crate::generate::MEMBERS_FILE).map_or(0, |f| {
        let lines = f.data.iter().filter(|&&b| b == b'\n').count() as u64;
        lines.saturating_sub(1)
    })
}

/// Imports the embedded seed unless the store was seeded before (or holds data of its own),
/// indexed as it is written. Returns the import report when it loaded the seed.
pub fn load_if_empty(
    store: &Store,
    index: &SearchIndex,
    scratch_dir: &Path,
    now: OffsetDateTime,
    progress: cpcds::import::Progress<'_>,
) -> Result<Option<ImportReport>, IngestError> {
    if store.meta(META_SEEDED_FROM)?.is_some() || store.read()?.count("Patient")? > 0 {
        return Ok(None);
    }
    let dir = scratch_dir.join("seed-unpacked");
    let io = |source| IngestError::Io {
        file: dir.clone(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(io)?;
    for name in SeedFiles::iter() {
        if let Some(f) = SeedFiles::get(&name) {
            std::fs::write(dir.join(name.as_ref()), &f.data).map_err(io)?;
        }
    }
    let report = cpcds::import_indexed(&dir, store, index, now, progress);
    let _ = std::fs::remove_dir_all(&dir);
    let report = report?;
    store.set_meta(META_SEEDED_FROM, seed_digest().as_bytes())?;
    Ok(Some(report))
}
