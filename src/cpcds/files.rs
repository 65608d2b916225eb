//! Finding CPCDS files in a folder and telling what each one is by its header.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use csv::{ReaderBuilder, StringRecord};

use super::columns::{
    normalize, ClaimCol, Column, CoverageCol, Dialect, HeaderClash, Layout, MemberCol, OrgCol,
    PractitionerCol, RelatedPersonCol,
};
use super::error::IngestError;
use super::newlines::UnixNewlines;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    Members,
    Organizations,
    Practitioners,
    RelatedPersons,
    Coverages,
    Claims,
}

impl FileKind {
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Members => "members",
            FileKind::Organizations => "organizations",
            FileKind::Practitioners => "practitioners",
            FileKind::RelatedPersons => "related persons",
            FileKind::Coverages => "coverages",
            FileKind::Claims => "claims",
        }
    }

    fn layout(self, headers: &[String]) -> Result<Layout, HeaderClash> {
        match self {
            FileKind::Members => Layout::resolve::<MemberCol>(headers),
            FileKind::Organizations => Layout::resolve::<OrgCol>(headers),
            FileKind::Practitioners => Layout::resolve::<PractitionerCol>(headers),
            FileKind::RelatedPersons => Layout::resolve::<RelatedPersonCol>(headers),
            FileKind::Coverages => Layout::resolve::<CoverageCol>(headers),
            FileKind::Claims => Layout::resolve::<ClaimCol>(headers),
        }
    }

    /// The first column every row of this kind needs that the header lacks (by its usual
    /// name), so a renamed key column is reported as such, not as unknown keys later on.
    fn missing_column(self, layout: &Layout) -> Option<&'static str> {
        fn first_missing<C: Column>(layout: &Layout, needed: &[C]) -> Option<&'static str> {
            needed
                .iter()
                .find(|c| !layout.has(**c))
                .map(|c| c.aliases()[0])
        }
        match self {
            FileKind::Members => first_missing(
                layout,
                &[
                    MemberCol::MemberId,
                    MemberCol::BirthDate,
                    MemberCol::Gender,
                    MemberCol::Name,
                ],
            ),
            FileKind::Organizations => first_missing(layout, &[OrgCol::Id, OrgCol::Name]),
            FileKind::Practitioners => {
                first_missing(layout, &[PractitionerCol::Npi, PractitionerCol::Name])
            }
            FileKind::RelatedPersons => {
                first_missing(layout, &[RelatedPersonCol::Id, RelatedPersonCol::MemberId])
            }
            FileKind::Coverages => {
                // D1 has neither a coverage id nor a member id: its subscriber is the member.
                // With coverage ids, the member is its own column (a dependent's subscriber
                // is someone else).
                let member = if layout.has(CoverageCol::CoverageId) {
                    CoverageCol::MemberId
                } else {
                    CoverageCol::SubscriberId
                };
                first_missing(layout, &[member, CoverageCol::PayerId])
            }
            FileKind::Claims => first_missing(
                layout,
                &[
                    ClaimCol::ClaimId,
                    ClaimCol::PatientAccount,
                    ClaimCol::PayerId,
                ],
            ),
        }
    }
}

/// Recognises a file by the columns its header has.
pub fn detect(headers: &[String]) -> Option<FileKind> {
    let names: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let has = |c: &[&str]| c.iter().any(|n| names.iter().any(|h| h == n));
    if has(ClaimCol::ClaimId.aliases()) {
        Some(FileKind::Claims)
    } else if has(&["related person id"]) {
        Some(FileKind::RelatedPersons)
    } else if has(&["coverage type", "coverage status", "coverage id"]) {
        Some(FileKind::Coverages)
    } else if has(&["practitioner npi", "provider npi"]) {
        Some(FileKind::Practitioners)
    } else if has(&["member id"]) {
        Some(FileKind::Members)
    } else if has(&["id"]) && has(&["name"]) {
        Some(FileKind::Organizations)
    } else {
        None
    }
}

/// One CPCDS file, its kind and column layout.
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: PathBuf,
    pub kind: FileKind,
    pub layout: Layout,
    pub bytes: u64,
}

/// Every `*.csv` in `dir` (sorted by name), recognised by header.
pub fn scan(dir: &Path) -> Result<Vec<InputFile>, IngestError> {
    let entries = std::fs::read_dir(dir).map_err(|source| IngestError::Io {
        file: dir.to_path_buf(),
        source,
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(IngestError::file(dir, "no CPCDS .csv files in this folder"));
    }
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        let headers = read_headers(&path)?;
        let kind = detect(&headers).ok_or_else(|| {
            IngestError::file(
                &path,
                "not a CPCDS file: its header matches none of members, coverages, claims, organizations, practitioners, related persons",
            )
        })?;
        let header_error = |reason: String| IngestError::Row {
            place: super::error::Place {
                file: path.clone(),
                line: 1,
                column: None,
            },
            reason,
        };
        let layout = kind
            .layout(&headers)
            .map_err(|clash| header_error(clash.to_string()))?;
        if let Some(column) = kind.missing_column(&layout) {
            return Err(header_error(format!(
                "missing required column {column:?}: every row of a {} file needs it",
                kind.label()
            )));
        }
        files.push(InputFile {
            path,
            kind,
            layout,
            bytes,
        });
    }
    files.sort_by_key(|f| f.kind);
    // The dialect is a property of the whole file set: our canonical claims file (or, without
    // claims, a canonical members file) makes every file of the set canonical.
    let canonical = files
        .iter()
        .filter(|f| f.kind == FileKind::Claims || f.kind == FileKind::Members)
        .any(|f| f.layout.dialect == Dialect::Canonical && f.layout.canonical_columns());
    let dialect = if canonical {
        Dialect::Canonical
    } else {
        files
            .iter()
            .find(|f| f.kind == FileKind::Claims)
            .map_or(Dialect::Synthea, |f| f.layout.dialect)
    };
    for f in &mut files {
        f.layout.dialect = dialect;
    }
    Ok(files)
}

fn read_headers(path: &Path) -> Result<Vec<String>, IngestError> {
    let mut reader = open(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, &e))?;
    if headers.is_empty() || headers.iter().all(str::is_empty) {
        return Err(IngestError::file(path, "the file is empty: no header row"));
    }
    Ok(headers
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect())
}

/// A CSV file to read, its records' lines given by [`super::newlines::record_line`].
pub type CsvReader = csv::Reader<UnixNewlines<BufReader<File>>>;

pub fn open(path: &Path) -> Result<CsvReader, IngestError> {
    let file = File::open(path).map_err(|source| IngestError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    Ok(ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .buffer_capacity(1 << 20)
        .from_reader(UnixNewlines::new(BufReader::with_capacity(1 << 20, file))))
}

/// A reader that counts bytes, for progress bars.
pub struct Counting<R> {
    pub inner: R,
    pub count: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

pub fn csv_error(path: &Path, e: &csv::Error) -> IngestError {
    match e.position() {
        Some(pos) => IngestError::Row {
            place: super::error::Place {
                file: path.to_path_buf(),
                line: pos.line(),
                column: None,
            },
            reason: match e.kind() {
                csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8".to_string(),
                _ => e.to_string(),
            },
        },
        None => IngestError::file(path, e.to_string()),
    }
}

/// Rejects rows whose field count differs from the header's (a truncated or shifted row).
/// D3's organizations file has a 9-column header over 8-column rows, so one trailing missing
/// column is tolerated there.
pub fn check_width(file: &InputFile, record: &StringRecord, line: u64) -> Result<(), IngestError> {
    let width = file.layout.width();
    let ok = record.len() == width
        || (file.kind == FileKind::Organizations && record.len() + 1 == width);
    if ok {
        return Ok(());
    }
    Err(IngestError::Row {
        place: super::error::Place {
            file: file.path.clone(),
            line,
            column: Some((
                record.len().min(width) + 1,
                file.layout.header(record.len().min(width)).to_string(),
            )),
        },
        reason: format!(
            "the row has {} fields but the header has {} (truncated or shifted row?)",
            record.len(),
            width
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn files_are_recognised_by_header() {
        assert_eq!(
            detect(&h(&["Member id", "Date of birth", "Name"])),
            Some(FileKind::Members)
        );
        assert_eq!(
            detect(&h(&["Subscriber id", "Coverage type", "Payer"])),
            Some(FileKind::Coverages)
        );
        assert_eq!(
            detect(&h(&["Payer claim unique identifier", "Line number"])),
            Some(FileKind::Claims)
        );
        assert_eq!(
            detect(&h(&["Id", "Name", "Address"])),
            Some(FileKind::Organizations)
        );
        assert_eq!(
            detect(&h(&["Provider NPI", "Provider name"])),
            Some(FileKind::Practitioners)
        );
        assert_eq!(
            detect(&h(&["Related person id", "Member id", "Name"])),
            Some(FileKind::RelatedPersons)
        );
        assert_eq!(detect(&h(&["foo", "bar"])), None);
    }
}
