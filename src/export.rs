//! `export`: the store as one NDJSON file per resource type (bulk-data style), ready to load
//! into another FHIR server.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::store::{Store, StoreError};

pub use crate::fhir::RESOURCE_TYPES;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Writes `<Type>.ndjson` for every type that has resources; returns the counts written.
pub fn export_ndjson(store: &Store, out: &Path) -> Result<Vec<(&'static str, u64)>, ExportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ExportError::Io { path, source }
    };
    std::fs::create_dir_all(out).map_err(io(out))?;
    let read = store.read()?;
    let mut counts = Vec::new();
    for ty in RESOURCE_TYPES {
        if read.count(ty)? == 0 {
            continue;
        }
        let path = out.join(format!("{ty}.ndjson"));
        let mut w = BufWriter::new(File::create(&path).map_err(io(&path))?);
        let mut n = 0u64;
        let mut failure = None;
        read.for_each(ty, |_, json| {
            if failure.is_none() {
                if let Err(e) = w.write_all(json).and_then(|()| w.write_all(b"\n")) {
                    failure = Some(e);
                }
                n += 1;
            }
            Ok(())
        })?;
        if let Some(e) = failure {
            return Err(io(&path)(e));
        }
        w.flush().map_err(io(&path))?;
        counts.push((*ty, n));
    }
    Ok(counts)
}
