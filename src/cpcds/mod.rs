//! CPCDS flat files in, C4BB 2.0.0 resources out. See docs/cpcds.md for the dialects.

pub mod columns;
pub mod crosswalk;
pub mod directory;
pub mod error;
pub mod files;
pub mod import;
pub mod map;
pub mod newlines;
pub mod row;

pub use error::IngestError;
pub use import::{import_dir, import_indexed, Counts, ImportReport};
