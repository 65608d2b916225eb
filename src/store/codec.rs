//! Resources are stored zstd-compressed with a dictionary: FHIR JSON repeats long system URLs,
//! profile URLs and element names in every resource, and a resource is too small (2–15 kB)
//! for zstd to learn them from the resource itself. With the dictionary an EOB shrinks about
//! 28-fold instead of 7-fold, and compresses about 1.8× and decompresses about 2.8× faster
//! (`zstd -b1` on 801 held-out EOBs): the import writes a quarter of the bytes, the store is a
//! quarter of the size, and a read decompresses in a third of the time.
//!
//! The dictionary (`resources.zdict`, 64 kB) is part of the store format, so it is embedded
//! and never changes; frames record its id, and frames without one (stores written before
//! it) still decompress. Trained with `zstd --train --maxdict=65536` on 3,658 resources as
//! this sandbox stores them: EOBs, Patients, Coverages, Organizations, Practitioners,
//! RelatedPersons and Provenances of `generate --seed 1`, and every resource imported from the
//! two Synthea CPCDS sample sets (other dialects, other code sets).

use std::cell::RefCell;
use std::num::NonZeroU32;
use std::sync::LazyLock;

use zstd::dict::{DecoderDictionary, EncoderDictionary};

use super::StoreError;

/// Fast compression; the ratio barely improves at higher levels for documents this small.
pub const LEVEL: i32 = 1;

static DICTIONARY: &[u8] = include_bytes!("resources.zdict");

static ENCODER_DICTIONARY: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY, LEVEL));
static DECODER_DICTIONARY: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY));

/// The dictionary's id, as frames compressed with it record it.
fn dictionary_id() -> Option<NonZeroU32> {
    zstd::zstd_safe::get_dict_id_from_dict(DICTIONARY)
}

/// A compression context for stored resources (one per writer; it is reused per resource).
pub fn compressor() -> Result<zstd::bulk::Compressor<'static>, StoreError> {
    zstd::bulk::Compressor::with_prepared_dictionary(&ENCODER_DICTIONARY).map_err(error)
}

/// Decompression contexts for both kinds of stored frame: with the dictionary, and without
/// (stores written before it). A context is costly to make, so callers keep one.
pub struct Decompressor {
    plain: zstd::bulk::Decompressor<'static>,
    with_dictionary: zstd::bulk::Decompressor<'static>,
}

impl Decompressor {
    pub fn new() -> Result<Self, StoreError> {
        Ok(Decompressor {
            plain: zstd::bulk::Decompressor::new().map_err(error)?,
            with_dictionary: zstd::bulk::Decompressor::with_prepared_dictionary(
                &DECODER_DICTIONARY,
            )
            .map_err(error)?,
        })
    }
}

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
    static DECOMPRESSOR: RefCell<Option<Decompressor>> = const { RefCell::new(None) };
}

pub fn decompress(key: &str, stored: &[u8]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::new();
    DECOMPRESSOR.with(|cell| {
        // A nested call (none today) would find the context taken and use one of its own.
        let Ok(mut slot) = cell.try_borrow_mut() else {
            let mut own = Decompressor::new()?;
            return decompress_into(&mut own, key, stored, &mut out);
        };
        if slot.is_none() {
            *slot = Some(Decompressor::new()?);
        }
        match slot.as_mut() {
            Some(d) => decompress_into(d, key, stored, &mut out),
            None => Err(corrupt(key, "no decompression context")),
        }
    })?;
    Ok(out)
}

pub fn decompress_into(
    d: &mut Decompressor,
    key: &str,
    stored: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), StoreError> {
    let size =
        usize::try_from(content_size(key, stored)?).map_err(|_| corrupt(key, "too large"))?;
    let context = match zstd::zstd_safe::get_dict_id_from_frame(stored) {
        None => &mut d.plain,
        Some(id) if Some(id) == dictionary_id() => &mut d.with_dictionary,
        Some(id) => {
            return Err(corrupt(
                key,
                format!("compressed with unknown dictionary {id}"),
            ))
        }
    };
    out.clear();
    out.reserve(size);
    context
        .decompress_to_buffer(stored, out)
        .map_err(|e| corrupt(key, e.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_with_and_without_the_dictionary_both_decompress() {
        let eob = br#"{"resourceType":"ExplanationOfBenefit","id":"x","meta":{"profile":["http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician|2.0.0"]},"status":"active"}"#;
        let with = compressor().unwrap().compress(eob).unwrap();
        let without = zstd::bulk::compress(eob, LEVEL).unwrap();
        assert_eq!(
            zstd::zstd_safe::get_dict_id_from_frame(&with),
            dictionary_id()
        );
        assert!(dictionary_id().is_some());
        // The dictionary knows the profile URL: the frame is a fraction of one without it.
        assert!(
            with.len() * 2 < without.len(),
            "{} vs {}",
            with.len(),
            without.len()
        );
        assert_eq!(decompress("a", &with).unwrap(), eob);
        assert_eq!(decompress("a", &without).unwrap(), eob);
        // A frame made with another dictionary is reported, not misread: ours with another id
        // in its header (bytes 4..8, after the magic number).
        let mut another = DICTIONARY.to_vec();
        another[4..8].copy_from_slice(&7u32.to_le_bytes());
        let other = zstd::bulk::Compressor::with_dictionary(LEVEL, &another)
            .unwrap()
            .compress(eob)
            .unwrap();
        assert_eq!(
            zstd::zstd_safe::get_dict_id_from_frame(&other).map(NonZeroU32::get),
            Some(7)
        );
        assert!(decompress("a", &other).is_err());
    }

    #[test]
    fn the_reused_context_decompresses_each_frame_and_reports_a_bad_one() {
        let a = br#"{"resourceType":"Patient","id":"a"}"#.repeat(20);
        let b = br#"{"resourceType":"Coverage","id":"b"}"#.to_vec();
        let za = compressor().unwrap().compress(&a).unwrap();
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
