//! X.509 chains for UDAP (`x5c` of software statements and of client assertions): an `x5c` array (leaf first) must lead to a trusted anchor, every
//! certificate within its validity, every issuer a CA. Parsing is x509-parser; signatures are
//! checked with its aws-lc-rs verifier. Revocation is not checked (the sandbox is offline).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::time::ASN1Time;

use super::jws::PublicKey;

/// What a valid chain tells about its leaf.
#[derive(Debug, Clone)]
pub struct Leaf {
    /// `uniformResourceIdentifier` SAN entries.
    pub san_uris: Vec<String>,
    pub public_key: PublicKey,
    /// The leaf certificate, DER (what a registration remembers).
    pub der: Vec<u8>,
}

/// Why a chain was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("x5c is missing or not an array of base64 DER certificates")]
    Malformed,
    #[error("a certificate in x5c does not parse: {0}")]
    Parse(String),
    #[error("the certificate {0} is not valid at this time (expired or not yet valid)")]
    Validity(String),
    #[error("the chain does not lead to a trusted anchor")]
    Untrusted,
    #[error("the leaf certificate's key type is not supported")]
    KeyType,
}

/// Every certificate of a PEM buffer, DER.
pub fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| format!("bad PEM: {e}"))?;
        if block.label == "CERTIFICATE" {
            out.push(block.contents);
        }
    }
    Ok(out)
}

/// The `x5c` header of a JWS: base64 (standard, not url) DER certificates.
pub fn x5c_of(header: &Value) -> Result<Vec<Vec<u8>>, ChainError> {
    let list = header["x5c"]
        .as_array()
        .filter(|l| !l.is_empty())
        .ok_or(ChainError::Malformed)?;
    list.iter()
        .map(|c| {
            c.as_str()
                .and_then(|s| STANDARD.decode(s).ok())
                .ok_or(ChainError::Malformed)
        })
        .collect()
}

fn parse(der: &[u8]) -> Result<X509Certificate<'_>, ChainError> {
    X509Certificate::from_der(der)
        .map(|(_, c)| c)
        .map_err(|e| ChainError::Parse(e.to_string()))
}

fn name(cert: &X509Certificate<'_>) -> String {
    cert.subject().to_string()
}

/// Checks `x5c` (leaf first) against the anchors at `now` (unix seconds): the leaf's facts.
pub fn verify(x5c: &[Vec<u8>], anchors: &[Vec<u8>], now: i64) -> Result<Leaf, ChainError> {
    let at = ASN1Time::from_timestamp(now).map_err(|e| ChainError::Parse(e.to_string()))?;
    let certs = x5c
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = anchors
        .iter()
        .filter_map(|d| parse(d).ok())
        .collect::<Vec<_>>();
    let leaf = certs.first().ok_or(ChainError::Malformed)?;
    let mut current = leaf;
    let mut trusted = false;
    for _ in 0..8 {
        if !current.validity().is_valid_at(at) {
            return Err(ChainError::Validity(name(current)));
        }
        // An anchor that signed it ends the chain.
        if let Some(anchor) = anchors.iter().find(|a| {
            a.subject() == current.issuer()
                && current.verify_signature(Some(a.public_key())).is_ok()
        }) {
            if !anchor.validity().is_valid_at(at) {
                return Err(ChainError::Validity(name(anchor)));
            }
            trusted = true;
            break;
        }
        // Else an intermediate from x5c that is a CA and signed it.
        match certs.iter().skip(1).find(|c| {
            c.subject() == current.issuer()
                && c.is_ca()
                && current.verify_signature(Some(c.public_key())).is_ok()
        }) {
            Some(next) => current = next,
            None => break,
        }
    }
    if !trusted {
        return Err(ChainError::Untrusted);
    }
    let mut san_uris = Vec::new();
    if let Ok(Some(san)) = leaf.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::URI(uri) = n {
                san_uris.push(uri.to_string());
            }
        }
    }
    Ok(Leaf {
        san_uris,
        public_key: public_key(leaf)?,
        der: x5c.first().cloned().unwrap_or_default(),
    })
}

/// The leaf's key in the form the JWS verifier takes.
fn public_key(cert: &X509Certificate<'_>) -> Result<PublicKey, ChainError> {
    use x509_parser::oid_registry::{
        OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_PKCS1_RSAENCRYPTION,
    };
    let spki = cert.public_key();
    let data = spki.subject_public_key.data.to_vec();
    if spki.algorithm.algorithm == OID_PKCS1_RSAENCRYPTION {
        return Ok(PublicKey::Rsa(data));
    }
    if spki.algorithm.algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        return match curve {
            Some(c) if c == OID_EC_P256 => Ok(PublicKey::EcP256(data)),
            Some(c) if c == OID_NIST_EC_P384 => Ok(PublicKey::EcP384(data)),
            _ => Err(ChainError::KeyType),
        };
    }
    Err(ChainError::KeyType)
}
