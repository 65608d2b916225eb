//! Physical line numbers for CSV records, whatever the file's line endings.
//!
//! The csv crate stamps a record with the line count at the end of the previous record. A CRLF
//! record ends at its `\r`, so the `\n` is only counted when the next record starts (every
//! record after the header was reported one line too low), and skipped blank lines are counted
//! the same late way. Reading through [`UnixNewlines`] makes every record end with a `\n` that
//! is counted with it; [`record_line`] then counts back from the record's end.

use std::io::{self, Read};

/// Rewrites CRLF and lone CR to LF, and ends the text with an LF if it does not.
pub struct UnixNewlines<R> {
    inner: R,
    /// The previous byte was a CR (already written as LF): a following LF is dropped.
    after_cr: bool,
    /// The last byte handed out, to know whether the text already ends with an LF.
    last: Option<u8>,
    done: bool,
}

impl<R: Read> UnixNewlines<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            after_cr: false,
            last: None,
            done: false,
        }
    }
}

impl<R: Read> Read for UnixNewlines<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.done || buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.inner.read(buf)?;
            if n == 0 {
                self.done = true;
                if self.last.is_some_and(|b| b != b'\n') {
                    buf[0] = b'\n';
                    return Ok(1);
                }
                return Ok(0);
            }
            let mut out = 0;
            for i in 0..n {
                let b = buf[i];
                let after_cr = std::mem::replace(&mut self.after_cr, b == b'\r');
                if b == b'\n' && after_cr {
                    continue;
                }
                buf[out] = if b == b'\r' { b'\n' } else { b };
                out += 1;
            }
            // A chunk that was only the LF of a CRLF: read on rather than signal the end.
            if out > 0 {
                self.last = Some(buf[out - 1]);
                return Ok(out);
            }
        }
    }
}

/// The physical line a record just read starts on (1-based). Only valid for a reader over
/// [`UnixNewlines`]: the record's terminating LF has been counted, and every line break
/// inside a quoted cell is one LF.
pub fn record_line<R: Read>(reader: &csv::Reader<R>, record: &csv::StringRecord) -> u64 {
    let inner: u64 = record
        .iter()
        .map(|field| field.bytes().filter(|&b| b == b'\n').count() as u64)
        .sum();
    reader.position().line().saturating_sub(inner + 1).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(text: &[u8], chunk: usize) -> Vec<u8> {
        /// Hands out at most `chunk` bytes per read, to cross CRLFs over read boundaries.
        struct Chunked<'a>(&'a [u8], usize);
        impl Read for Chunked<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = self.0.len().min(self.1).min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut out = Vec::new();
        UnixNewlines::new(Chunked(text, chunk))
            .read_to_end(&mut out)
            .unwrap_or_default();
        out
    }

    #[test]
    fn every_line_ending_becomes_one_lf_and_the_text_ends_with_one() {
        for chunk in [1, 2, 3, 64] {
            assert_eq!(
                unix(b"a\r\nb\rc\nd", chunk),
                b"a\nb\nc\nd\n",
                "chunk {chunk}"
            );
            assert_eq!(unix(b"a\r\n\r\nb\r\n", chunk), b"a\n\nb\n", "chunk {chunk}");
            assert_eq!(unix(b"", chunk), b"");
        }
    }

    /// Every record's line as the importer computes it.
    fn lines(text: &str) -> Vec<(u64, String)> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(UnixNewlines::new(text.as_bytes()));
        let mut record = csv::StringRecord::new();
        let mut out = Vec::new();
        while reader.read_record(&mut record).unwrap_or(false) {
            out.push((record_line(&reader, &record), record[0].to_string()));
        }
        out
    }

    #[test]
    fn records_get_their_physical_line_for_lf_crlf_blank_lines_and_quoted_breaks() {
        let want = |v: &[(u64, &str)]| -> Vec<(u64, String)> {
            v.iter().map(|(l, s)| (*l, s.to_string())).collect()
        };
        assert_eq!(lines("h\na\nb\n"), want(&[(2, "a"), (3, "b")]));
        assert_eq!(lines("h\r\na\r\nb\r\n"), want(&[(2, "a"), (3, "b")]));
        assert_eq!(lines("h\r\na\r\nb"), want(&[(2, "a"), (3, "b")]));
        assert_eq!(lines("h\n\na\n\n\nb"), want(&[(3, "a"), (6, "b")]));
        assert_eq!(lines("h\r\n\r\na\r\n"), want(&[(3, "a")]));
        assert_eq!(
            lines("h\r\n\"x\r\ny\",1\r\nb\r\n"),
            want(&[(2, "x\ny"), (4, "b")])
        );
    }
}
