//! `GET {base}/.well-known/udap` (UDAP Security IG STU2 §2): the server metadata, and its
//! `signed_metadata` JWT (RS256, `x5c` = the server certificate for this base then the sandbox
//! CA; `iss` = `sub` = the base, which is the certificate's SAN URI).

use serde_json::{json, Value};
use time::OffsetDateTime;

use super::{Udap, UdapError};
use crate::auth::{jws, keys::random_token, scopes};

/// The URLs the metadata names, as the client sees them.
pub struct UdapEndpoints<'a> {
    pub fhir_base: &'a str,
    pub authorize: &'a str,
    pub token: &'a str,
    pub register: &'a str,
}

/// Lifetime of `signed_metadata` (the IG allows up to a year; it is re-signed per request).
const SIGNED_METADATA_TTL: i64 = 24 * 3600;

/// Every scope, plus `udap` (Tiered OAuth: `openid udap` asks for it).
fn scopes_supported() -> Vec<String> {
    let mut out = scopes::supported();
    out.push(super::tiered::UDAP_SCOPE.to_string());
    out
}

impl Udap {
    /// The metadata document for this base.
    pub fn metadata(
        &self,
        ep: &UdapEndpoints<'_>,
        now: OffsetDateTime,
    ) -> Result<Value, UdapError> {
        let cert = self.server_cert(ep.fhir_base, now)?;
        let iat = now.unix_timestamp();
        let signed = cert
            .key
            .sign(
                &json!({"alg": "RS256", "typ": "JWT", "x5c": cert.x5c}),
                &json!({
                    "iss": ep.fhir_base,
                    "sub": ep.fhir_base,
                    "iat": iat,
                    "exp": iat + SIGNED_METADATA_TTL,
                    "jti": random_token(),
                    "authorization_endpoint": ep.authorize,
                    "token_endpoint": ep.token,
                    "registration_endpoint": ep.register,
                }),
            )
            .map_err(UdapError::Certificate)?;
        Ok(json!({
            "udap_versions_supported": ["1"],
            "udap_profiles_supported": ["udap_dcr", "udap_authn", "udap_authz", "udap_to"],
            "udap_authorization_extensions_supported": ["hl7-b2b"],
            "udap_authorization_extensions_required": [],
            "udap_certifications_supported": [],
            "udap_certifications_required": [],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "scopes_supported": scopes_supported(),
            "authorization_endpoint": ep.authorize,
            "token_endpoint": ep.token,
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": jws::ALGORITHMS,
            "registration_endpoint": ep.register,
            "registration_endpoint_jwt_signing_alg_values_supported": jws::ALGORITHMS,
            "signed_metadata": signed,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jws::Jws;
    use crate::auth::x509 as chain;
    use time::macros::datetime;

    #[test]
    fn signed_metadata_chains_to_the_sandbox_ca_and_names_the_base() {
        let dir = tempfile::tempdir().unwrap();
        let now = datetime!(2026-01-02 03:04:05 UTC);
        let udap = Udap::open(dir.path(), now).unwrap();
        let base = "http://127.0.0.1:8000/v2/fhir";
        let ep = UdapEndpoints {
            fhir_base: base,
            authorize: "http://127.0.0.1:8000/v2/o/authorize",
            token: "http://127.0.0.1:8000/v2/o/token",
            register: "http://127.0.0.1:8000/v2/o/register",
        };
        let doc = udap.metadata(&ep, now).unwrap();
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!(["private_key_jwt"])
        );
        let jwt = doc["signed_metadata"].as_str().unwrap();
        let jws = Jws::parse(jwt).unwrap();
        assert_eq!(jws.header["alg"], "RS256");
        assert_eq!(jws.claims["iss"], base);
        assert_eq!(jws.claims["sub"], base);
        let x5c = chain::x5c_of(&jws.header).unwrap();
        let leaf = chain::verify(&x5c, udap.anchors(), now.unix_timestamp()).unwrap();
        assert_eq!(leaf.san_uris, [base]);
        jws.verify_with_key(&leaf.public_key).unwrap();
        // The CA is kept: a second start trusts the same anchor.
        let again = Udap::open(dir.path(), now).unwrap();
        assert_eq!(again.anchors()[0], udap.anchors()[0]);
        assert!(chain::verify(&x5c, again.anchors(), now.unix_timestamp()).is_ok());
        // Another CA's anchors do not.
        let other = tempfile::tempdir().unwrap();
        let stranger = Udap::open(other.path(), now).unwrap();
        assert_eq!(
            chain::verify(&x5c[..1], stranger.anchors(), now.unix_timestamp()).unwrap_err(),
            chain::ChainError::Untrusted
        );
    }
}
