//! Resources are stored zstd-compressed: FHIR JSON repeats long system URLs everywhere, so a
//! 13 kB ExplanationOfBenefit shrinks about eightfold, which cuts the import's write volume and
//! the store's size by as much. Reads decompress (a few microseconds per resource).

use std::cell::RefCell;

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

thread_local! {
    /// One decompression context per thread, made on its first read: creating one costs about
    /// as much as decompressing an EOB (it was 5% of a read's CPU when made per call).
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        const { RefCell::new(None) };
}

pub fn decompress(key: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    DECOMPRESSOR.with(|cell| {
        // A nested call (none today) would find the context taken and use one of its own.
        let Ok(mut slot) = cell.try_borrow_mut() else {
            let mut own = zstd::bulk::Decompressor::new().map_err(error)?;
            return decompress_into(&mut own, key, stored, &mut out);
        };
        if slot.is_none() {
            *slot = Some(zstd::bulk::Decompressor::new().map_err(error)?);
        }
        match slot.as_mut() {
            Some(d) => decompress_into(d, key, stored, &mut out),
            None => Err(corrupt(key, "no decompression context")),
        }
    })?;
    Ok(out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reused_context_decompresses_each_frame_and_reports_a_bad_one() {
        let a = br#"{"resourceType":"Patient","id":"a"}"#.repeat(20);
        let b = br#"{"resourceType":"Coverage","id":"b"}"#.to_vec();
        let za = zstd::bulk::compress(&a, LEVEL).unwrap();
        let zb = zstd::bulk::compress(&b, LEVEL).unwrap();
        assert_eq!(decompress("a", &za).unwrap(), a);
        assert_eq!(decompress("b", &zb).unwrap(), b);
        let mut broken = za;
        let last = broken.len() - 1;
        broken.truncate(last);
        assert!(decompress("a", &broken).is_err());
        // A failed frame leaves the thread's context usable.
        assert_eq!(decompress("b", &zb).unwrap(), b);
    }
}
