use std::fmt;
use std::path::PathBuf;

use crate::store::StoreError;

/// Where in the input something went wrong: `file:line:column (header)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub file: PathBuf,
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    /// 1-based column and its header name, when one column is to blame.
    pub column: Option<(usize, String)>,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if let Some((n, name)) = &self.column {
            write!(f, ":{n} ({name})")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{place}: {reason}")]
    Row { place: Place, reason: String },
    #[error("{file}: {reason}")]
    File { file: PathBuf, reason: String },
    #[error("cannot read {file}: {source}")]
    Io {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Index(#[from] crate::index::IndexError),
}

impl IngestError {
    pub fn file(file: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        IngestError::File {
            file: file.into(),
            reason: reason.into(),
        }
    }
}
