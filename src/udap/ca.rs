//! The sandbox's own UDAP trust anchor: an RSA CA made on first start and kept in
//! `DATA_DIR/udap/` (`ca.pem`, `ca-key.pem`), which signs the server's certificates (one per
//! FHIR base URL, SAN URI = the base) and the client certificates `carin-sandbox udap cert`
//! mints for testing. No CRL distribution points: everything here works offline.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, RsaKeySize, SanType, PKCS_RSA_SHA256,
};
use time::{Duration, OffsetDateTime};

use super::UdapError;

/// The CA's common name (also how its certificates name their issuer).
const CA_NAME: &str = "carin-sandbox UDAP CA";

/// A certificate and its private key, PEM.
#[derive(Debug, Clone)]
pub struct Issued {
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    pub key_pem: String,
    pub key_der: Vec<u8>,
}

/// The sandbox CA: its certificate and the key that signs with it.
pub struct Ca {
    key: KeyPair,
    params: CertificateParams,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
}

fn ca_params(now: OffsetDateTime) -> Result<CertificateParams, UdapError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(UdapError::cert)?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_NAME);
    dn.push(DnType::OrganizationName, "carin-sandbox");
    params.distinguished_name = dn;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(3650);
    Ok(params)
}

/// Where the sandbox's UDAP files live.
pub fn udap_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("udap")
}

impl Ca {
    /// Loads the CA from `DATA_DIR/udap`, making it on first start.
    pub fn load_or_create(data_dir: &Path, now: OffsetDateTime) -> Result<Ca, UdapError> {
        let dir = udap_dir(data_dir);
        let cert_path = dir.join("ca.pem");
        let key_path = dir.join("ca-key.pem");
        if cert_path.exists() && key_path.exists() {
            let key_pem =
                std::fs::read_to_string(&key_path).map_err(|e| UdapError::io(&key_path, e))?;
            let cert_pem =
                std::fs::read_to_string(&cert_path).map_err(|e| UdapError::io(&cert_path, e))?;
            let key = KeyPair::from_pem(&key_pem).map_err(UdapError::cert)?;
            let cert_der = crate::auth::x509::pem_certificates(cert_pem.as_bytes())
                .map_err(UdapError::Certificate)?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    UdapError::Certificate(format!("{} holds no certificate", cert_path.display()))
                })?;
            // The issuer's name and key are all a child certificate takes from the CA.
            let params = ca_params(now)?;
            return Ok(Ca {
                key,
                params,
                cert_pem,
                cert_der,
            });
        }
        std::fs::create_dir_all(dir.join("anchors")).map_err(|e| UdapError::io(&dir, e))?;
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
            .map_err(UdapError::cert)?;
        let params = ca_params(now)?;
        let cert = params.self_signed(&key).map_err(UdapError::cert)?;
        write_private(&key_path, &key.serialize_pem())?;
        std::fs::write(&cert_path, cert.pem()).map_err(|e| UdapError::io(&cert_path, e))?;
        tracing::info!("made the sandbox UDAP CA: {}", cert_path.display());
        Ok(Ca {
            key,
            params,
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
        })
    }

    /// A leaf certificate for `san_uri` (a UDAP client's `iss`, or the server's FHIR base),
    /// valid from `not_before` to `not_after`, with a fresh RSA-2048 key.
    pub fn issue(
        &self,
        san_uri: &str,
        common_name: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Issued, UdapError> {
        let key = KeyPair::generate_rsa_for(&PKCS_RSA_SHA256, RsaKeySize::_2048)
            .map_err(UdapError::cert)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(UdapError::cert)?;
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, common_name);
        dn.push(DnType::OrganizationName, "carin-sandbox");
        params.distinguished_name = dn;
        let uri = san_uri
            .try_into()
            .map_err(|_| UdapError::Certificate(format!("{san_uri} cannot be a SAN URI")))?;
        params.subject_alt_names = vec![SanType::URI(uri)];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = not_before;
        params.not_after = not_after;
        params.use_authority_key_identifier_extension = true;
        let issuer = Issuer::from_params(&self.params, &self.key);
        let cert = params.signed_by(&key, &issuer).map_err(UdapError::cert)?;
        Ok(Issued {
            cert_pem: cert.pem(),
            cert_der: cert.der().to_vec(),
            key_pem: key.serialize_pem(),
            key_der: key.serialize_der(),
        })
    }
}

/// Writes a private key readable by its owner only.
pub fn write_private(path: &Path, pem: &str) -> Result<(), UdapError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| UdapError::io(path, e))?;
    file.write_all(pem.as_bytes())
        .map_err(|e| UdapError::io(path, e))
}
