//! A resource as stored, with what HTTP caching needs: its version (the ETag) and its
//! lastUpdated (Last-Modified).

use time::OffsetDateTime;

use crate::store::Bytes;

pub struct StoredResource {
    /// The stored JSON, served as is (shared with the store's cache: never copied).
    pub json: Bytes,
    /// `meta.versionId` (only when `meta.lastUpdated` is there too).
    pub version_id: Option<String>,
    /// `meta.lastUpdated` as an HTTP-date (RFC 9110).
    pub last_modified: Option<String>,
}

impl StoredResource {
    pub fn new(json: impl Into<Bytes>) -> Self {
        let json = json.into();
        let (version_id, last_modified) = match crate::store::version_and_last_updated(&json) {
            Some((version, last_updated)) => (Some(version), http_date(&last_updated)),
            None => (None, None),
        };
        Self {
            json,
            version_id,
            last_modified,
        }
    }
}

/// An HTTP-date (RFC 9110) from a FHIR instant.
fn http_date(instant: &str) -> Option<String> {
    let t = OffsetDateTime::parse(instant, &time::format_description::well_known::Rfc3339).ok()?;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC).format(&format).ok()
}
