//! Resources are stored zstd-compressed: FHIR JSON repeats long system URLs everywhere, so a
//! 13 kB ExplanationOfBenefit shrinks about eightfold, which cuts the import's write volume and
//! the store's size by as much. Reads decompress (a few microseconds per resource).

use super::StoreError;

/// Fast compression; the ratio barely improves at higher levels for documents this small.
pub const LEVEL: i32 = 1;

#[expect(
    clippy::needless_pass_by_value,
    reason = "takes the error by value to serve as map_err(codec::error)"
)]
pub fn error(e: std::io::Error) -> StoreError {
    StoreError::Corrupt {
        key: "zstd".into(),
        reason: e.to_string(),
    }
}

fn corrupt(key: &str, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// The uncompressed size recorded in the frame header.
pub fn content_size(key: &str, stored: &[u8]) -> Result<u64, StoreError> {
    match zstd::zstd_safe::get_frame_content_size(stored) {
        Ok(Some(n)) => Ok(n),
        _ => Err(corrupt(key, "not a zstd frame with a content size")),
    }
}

pub fn decompress(key: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
    let size =
        usize::try_from(content_size(key, stored)?).map_err(|_| corrupt(key, "too large"))?;
    zstd::bulk::decompress(stored, size).map_err(|e| corrupt(key, e.to_string()))
}

pub fn decompress_into(
    d: &mut zstd::bulk::Decompressor<'_>,
    key: &str,
    stored: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), StoreError> {
    let size =
        usize::try_from(content_size(key, stored)?).map_err(|_| corrupt(key, "too large"))?;
    out.clear();
    out.reserve(size);
    d.decompress_to_buffer(stored, out)
        .map_err(|e| corrupt(key, e.to_string()))?;
    Ok(())
}
