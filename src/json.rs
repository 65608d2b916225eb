//! Writing JSON by hand into a byte buffer, for the two places that never build a
//! `serde_json::Value`: the CPCDS mappers (`cpcds::map::json`) and the searchset Bundles
//! (`fhir::bundle`), which wrap stored resource bytes without re-serializing them.

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
