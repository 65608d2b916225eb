//! Writing JSON by hand into a byte buffer, for the two places that never build a
//! `serde_json::Value`: the CPCDS mappers (`cpcds::map::json`) and the searchset Bundles
//! (`fhir::bundle`), which wrap stored resource bytes without re-serializing them.

use bytes::Bytes;

/// A document written in parts: what is written here is copied into a buffer, stored bytes
/// are kept as the shared [`Bytes`] they already are. A searchset of 14 EOBs is ~86 kB of
/// stored JSON; assembling it in one buffer copied all of it once more than sending the parts
/// does (and took a fresh 86 kB allocation per search).
#[derive(Debug, Default)]
pub struct Parts {
    done: Vec<Bytes>,
    buf: Vec<u8>,
    len: usize,
}

impl Parts {
    /// The buffer the next written bytes go into.
    pub fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends `bytes` without copying them.
    pub fn shared(&mut self, bytes: Bytes) {
        self.flush();
        self.len += bytes.len();
        self.done.push(bytes);
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() {
            let buf = std::mem::take(&mut self.buf);
            self.len += buf.len();
            self.done.push(Bytes::from(buf));
        }
    }

    /// The length of the whole document.
    pub fn len(&self) -> usize {
        self.len + self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The parts, in order (none empty).
    pub fn into_parts(mut self) -> Vec<Bytes> {
        self.flush();
        self.done
    }

    /// The document in one piece (for tests, which parse it; the server sends the parts).
    #[cfg(test)]
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for part in &self.done {
            out.extend_from_slice(part);
        }
        out.extend_from_slice(&self.buf);
        out
    }
}

impl From<Vec<u8>> for Parts {
    fn from(buf: Vec<u8>) -> Self {
        Parts {
            buf,
            ..Parts::default()
        }
    }
}

/// A JSON string literal with the escapes RFC 8259 requires.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    // Almost every string needs no escape: find the next byte that does in one tight scan.
    while let Some(i) = rest
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
    {
        out.extend_from_slice(&rest[..i]);
        match rest[i] {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b => out.extend_from_slice(format!("\\u{b:04x}").as_bytes()),
        }
        rest = &rest[i + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_keep_their_order_and_length() {
        let mut parts = Parts::default();
        parts.buf().extend_from_slice(b"[");
        parts.shared(Bytes::from_static(b"1"));
        parts.buf().extend_from_slice(b",");
        parts.shared(Bytes::from_static(b"22"));
        parts.buf().extend_from_slice(b"]");
        assert_eq!(parts.len(), 6);
        assert_eq!(parts.to_vec(), b"[1,22]");
        let joined: Vec<u8> = parts.into_parts().concat();
        assert_eq!(joined, b"[1,22]");
    }

    #[test]
    fn strings_read_back_as_written() {
        for s in ["", "plain", "q\"b\\n\n\r\t\u{1}\u{1f}é ☃", "a/b?c=d&e"] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            let back: String = serde_json::from_slice(&out).unwrap();
            assert_eq!(back, s);
        }
        let mut out = Vec::new();
        write_str(&mut out, "\u{1}");
        assert_eq!(out, br#""\u0001""#);
    }
}
