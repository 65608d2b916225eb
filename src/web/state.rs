//! The application state every handler reads (`web::Data<AppState>`), built by the
//! composition root (`app`) and shared by `http` and `portal`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::index::SearchIndex;
use crate::store::Store;

pub struct AppState {
    pub store: Store,
    pub index: SearchIndex,
    pub clock: Arc<dyn Clock>,
    pub data_dir: PathBuf,
    /// The base URL clients use, when it differs from the request's scheme and Host.
    pub public_url: Option<String>,
    /// Serve the FHIR API without tokens (demos only: every patient's data is open).
    pub insecure_open_api: bool,
    pub auth: crate::auth::AuthServer,
    /// The sandbox CA, trust anchors and server certificates (UDAP).
    pub udap: crate::udap::Udap,
    pub started_at: OffsetDateTime,
    /// Record every FHIR interaction in the audit trail (`serve --no-audit-reads` turns it off).
    pub audit_reads: bool,
    /// The generated members beyond the seed (background fill, sign-in materialization).
    pub fill: crate::fill::Filler,
    /// `serve --claims-arrive`: new and adjusted claims for chosen members over time.
    pub arrivals: crate::arrivals::Arrivals,
    /// The CapabilityStatement and discovery documents, serialized once per origin.
    pub documents: super::documents::Documents,
}

/// Where the self-signed certificate and its key live inside the data directory (`serve`
/// writes them; the test client trusts the certificate on its back channel).
pub fn self_signed_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (
        dir.join("localhost-cert.pem"),
        dir.join("localhost-key.pem"),
    )
}
