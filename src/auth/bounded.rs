//! Reading what another server sends, bounded: the authorization server fetches documents
//! named by others (an app's `jwks_uri`, a Tiered OAuth IdP's metadata), so it never reads more
//! than it can use, whatever the other end streams.

use std::io::Read;

/// Why a bounded body could not be had.
#[derive(Debug)]
pub enum BodyError {
    /// More than the limit was sent.
    TooLarge,
    /// The connection failed while reading.
    Read(std::io::Error),
}

/// The whole body of `from`, if it is at most `max` bytes.
pub fn read_at_most(from: impl Read, max: u64) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    from.take(max + 1)
        .read_to_end(&mut body)
        .map_err(BodyError::Read)?;
    if body.len() as u64 > max {
        return Err(BodyError::TooLarge);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_at_the_limit_is_read_and_one_byte_more_is_refused() {
        assert_eq!(read_at_most(&b"abcd"[..], 4).unwrap(), b"abcd");
        assert!(matches!(
            read_at_most(&b"abcde"[..], 4),
            Err(BodyError::TooLarge)
        ));
    }
}
