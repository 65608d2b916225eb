//! UDAP Security (HL7 UDAP Security IG STU2) as plain Rust: the sandbox's own CA and the
//! anchors it trusts ([`ca`]), X.509 chains (`auth::x509`), and the server metadata with its
//! `signed_metadata` ([`metadata`]), Dynamic Client Registration ([`dcr`]). The web edge (`http::udap`) only translates.

pub mod ca;
pub mod dcr;
pub mod metadata;
pub mod tiered;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use time::{Duration, OffsetDateTime};

use crate::auth::jws::SigningKey;
use crate::auth::x509;
use ca::Ca;

#[derive(Debug, thiserror::Error)]
pub enum UdapError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("certificate: {0}")]
    Certificate(String),
}

impl UdapError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        UdapError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
    pub fn cert(e: impl std::fmt::Display) -> Self {
        UdapError::Certificate(e.to_string())
    }
}

/// The server's certificate for one FHIR base URL (SAN URI = the base), and its key.
pub struct ServerCert {
    pub key: SigningKey,
    /// `x5c`: the server certificate, then the sandbox CA (base64 DER).
    pub x5c: Vec<String>,
}

/// The sandbox's UDAP state: its CA, the anchors it trusts, its server certificates.
pub struct Udap {
    pub ca: Ca,
    anchors: Vec<Vec<u8>>,
    server_certs: Mutex<HashMap<String, Arc<ServerCert>>>,
}

impl Udap {
    /// Loads (or makes, on first start) the CA in `DATA_DIR/udap`, and the operator's anchors
    /// from `DATA_DIR/udap/anchors/*.pem`.
    pub fn open(data_dir: &Path, now: OffsetDateTime) -> Result<Udap, UdapError> {
        let ca = Ca::load_or_create(data_dir, now)?;
        let mut anchors = vec![ca.cert_der.clone()];
        let dir = ca::udap_dir(data_dir).join("anchors");
        if let Ok(entries) = std::fs::read_dir(&dir) {
            let mut paths: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "pem" || x == "crt"))
                .collect();
            paths.sort();
            for path in paths {
                let pem = std::fs::read(&path).map_err(|e| UdapError::io(&path, e))?;
                let certs = x509::pem_certificates(&pem).map_err(UdapError::Certificate)?;
                tracing::info!(
                    "UDAP trust anchor(s) from {}: {}",
                    path.display(),
                    certs.len()
                );
                anchors.extend(certs);
            }
        }
        Ok(Udap {
            ca,
            anchors,
            server_certs: Mutex::new(HashMap::new()),
        })
    }

    /// The trust anchors: the sandbox CA first, then the operator's.
    pub fn anchors(&self) -> &[Vec<u8>] {
        &self.anchors
    }

    /// The server's certificate for `fhir_base`, minted by the sandbox CA on first use.
    pub fn server_cert(
        &self,
        fhir_base: &str,
        now: OffsetDateTime,
    ) -> Result<Arc<ServerCert>, UdapError> {
        if let Ok(certs) = self.server_certs.lock() {
            if let Some(c) = certs.get(fhir_base) {
                return Ok(c.clone());
            }
        }
        let issued = self.ca.issue(
            fhir_base,
            "carin-sandbox FHIR server",
            now - Duration::days(1),
            now + Duration::days(365),
        )?;
        let key = SigningKey::from_pkcs8_der(&issued.key_der).map_err(UdapError::Certificate)?;
        let cert = Arc::new(ServerCert {
            key,
            x5c: vec![
                STANDARD.encode(&issued.cert_der),
                STANDARD.encode(&self.ca.cert_der),
            ],
        });
        if let Ok(mut certs) = self.server_certs.lock() {
            certs.insert(fhir_base.to_string(), cert.clone());
        }
        Ok(cert)
    }
}
