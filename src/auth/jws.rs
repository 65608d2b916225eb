//! Compact JWS verification against a client's public keys (JWK), for `private_key_jwt`
//! client assertions (SMART `client-confidential-asymmetric`, RFC 7523).
//!
//! Hand-written over aws-lc-rs, which the server already uses for its own RS256 signing: the
//! checks that matter here are an explicit allow-list of asymmetric algorithms (so `none` and
//! `HS256`-with-the-public-key never reach a verifier), selection of the key by `kid` and by
//! key type, and errors we can word for the developer. A JWT crate would add a second crypto
//! stack for the ~100 lines below.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{
    self, EcdsaKeyPair, KeyPair, RsaKeyPair, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use base64::Engine;
use serde_json::{json, Value};

/// The signing algorithms accepted for client assertions, as discovery advertises them.
pub const ALGORITHMS: &[&str] = &["RS256", "RS384", "ES256", "ES384"];

/// Why a JWS was refused (the sentence goes to the developer in `error_description`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("the JWT is not a compact JWS (three base64url parts)")]
    Malformed,
    #[error("the JWT header is not a JSON object")]
    BadHeader,
    #[error("the JWT claims are not a JSON object")]
    BadClaims,
    #[error("alg {0} is not accepted (accepted: RS256, RS384, ES256, ES384)")]
    Algorithm(String),
    #[error("no registered key has kid {0}")]
    UnknownKid(String),
    #[error("the header names no kid and the app has several keys for {0}")]
    AmbiguousKey(String),
    #[error("the app has no registered key usable with {0}")]
    NoKey(String),
    #[error("the registered key {0} is malformed")]
    BadKey(String),
    #[error("the signature does not verify")]
    Signature,
}

/// A JWS split into its parts, signature not yet checked.
#[derive(Debug, Clone)]
pub struct Jws<'a> {
    pub header: Value,
    pub claims: Value,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    /// Splits and decodes a compact JWS; nothing is trusted yet.
    pub fn parse(token: &'a str) -> Result<Jws<'a>, JwsError> {
        let (signing_input, signature) = token.rsplit_once('.').ok_or(JwsError::Malformed)?;
        let (header, claims) = signing_input.split_once('.').ok_or(JwsError::Malformed)?;
        if claims.contains('.') {
            return Err(JwsError::Malformed);
        }
        let decode = |part: &str| B64.decode(part).map_err(|_| JwsError::Malformed);
        let header: Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| JwsError::BadHeader)?;
        let claims: Value =
            serde_json::from_slice(&decode(claims)?).map_err(|_| JwsError::BadClaims)?;
        if !header.is_object() {
            return Err(JwsError::BadHeader);
        }
        if !claims.is_object() {
            return Err(JwsError::BadClaims);
        }
        Ok(Jws {
            header,
            claims,
            signing_input,
            signature: decode(signature)?,
        })
    }

    /// The header's `alg`, if it is one of [`ALGORITHMS`].
    pub fn alg(&self) -> Result<&str, JwsError> {
        let alg = self.header["alg"].as_str().unwrap_or("(missing)");
        if ALGORITHMS.contains(&alg) {
            Ok(alg)
        } else {
            Err(JwsError::Algorithm(alg.to_string()))
        }
    }

    /// Verifies the signature with the key of `jwks` (`{"keys": […]}`) that the header's
    /// `kid` names (or the only key of the right type when there is no `kid`).
    pub fn verify_with_jwks(&self, jwks: &Value) -> Result<(), JwsError> {
        let alg = self.alg()?;
        let kty = if alg.starts_with("RS") { "RSA" } else { "EC" };
        let keys: Vec<&Value> = jwks["keys"]
            .as_array()
            .map(|k| k.iter().collect())
            .unwrap_or_default();
        let key = match self.header["kid"].as_str() {
            Some(kid) => *keys
                .iter()
                .find(|k| k["kid"].as_str() == Some(kid))
                .ok_or_else(|| JwsError::UnknownKid(kid.to_string()))?,
            None => {
                let mut usable = keys.iter().filter(|k| k["kty"] == kty);
                let first = usable.next().ok_or_else(|| JwsError::NoKey(alg.into()))?;
                if usable.next().is_some() {
                    return Err(JwsError::AmbiguousKey(alg.into()));
                }
                *first
            }
        };
        self.verify_with_jwk(alg, key)
    }

    /// Verifies the signature with an X.509 certificate's public key (UDAP `x5c[0]`).
    pub fn verify_with_key(&self, key: &PublicKey) -> Result<(), JwsError> {
        let alg = self.alg()?;
        let message = self.signing_input.as_bytes();
        let verified = match (alg, key) {
            ("RS256", PublicKey::Rsa(der)) => {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der)
                    .verify(message, &self.signature)
            }
            ("RS384", PublicKey::Rsa(der)) => {
                UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA384, der)
                    .verify(message, &self.signature)
            }
            ("ES256", PublicKey::EcP256(point)) => {
                UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, point)
                    .verify(message, &self.signature)
            }
            ("ES384", PublicKey::EcP384(point)) => {
                UnparsedPublicKey::new(&signature::ECDSA_P384_SHA384_FIXED, point)
                    .verify(message, &self.signature)
            }
            _ => return Err(JwsError::NoKey(alg.into())),
        };
        verified.map_err(|_| JwsError::Signature)
    }

    /// Verifies the signature with one JWK, which must suit `alg`.
    fn verify_with_jwk(&self, alg: &str, jwk: &Value) -> Result<(), JwsError> {
        let name = jwk["kid"].as_str().unwrap_or("(no kid)").to_string();
        if jwk["alg"].as_str().is_some_and(|a| a != alg) {
            return Err(JwsError::NoKey(alg.into()));
        }
        let field = |f: &str| {
            jwk[f]
                .as_str()
                .and_then(|s| B64.decode(s).ok())
                .ok_or_else(|| JwsError::BadKey(name.clone()))
        };
        let message = self.signing_input.as_bytes();
        let verified = match alg {
            "RS256" | "RS384" => {
                if jwk["kty"] != "RSA" {
                    return Err(JwsError::NoKey(alg.into()));
                }
                let (n, e) = (field("n")?, field("e")?);
                let params = if alg == "RS256" {
                    &signature::RSA_PKCS1_2048_8192_SHA256
                } else {
                    &signature::RSA_PKCS1_2048_8192_SHA384
                };
                RsaPublicKeyComponents { n: &n, e: &e }.verify(params, message, &self.signature)
            }
            _ => {
                let (curve, params) = if alg == "ES256" {
                    ("P-256", &signature::ECDSA_P256_SHA256_FIXED)
                } else {
                    ("P-384", &signature::ECDSA_P384_SHA384_FIXED)
                };
                if jwk["kty"] != "EC" || jwk["crv"] != curve {
                    return Err(JwsError::NoKey(alg.into()));
                }
                let mut point = vec![0x04];
                point.extend(field("x")?);
                point.extend(field("y")?);
                UnparsedPublicKey::new(params, point).verify(message, &self.signature)
            }
        };
        verified.map_err(|_| JwsError::Signature)
    }
}

/// A public key taken from an X.509 certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// PKCS#1 `RSAPublicKey` DER.
    Rsa(Vec<u8>),
    /// Uncompressed P-256 point.
    EcP256(Vec<u8>),
    /// Uncompressed P-384 point.
    EcP384(Vec<u8>),
}

/// True when `jwks` is a JWK Set whose every key is a public RSA or EC key (no private
/// members): what an app may register.
pub fn check_public_jwks(jwks: &Value) -> Result<(), String> {
    let keys = jwks["keys"]
        .as_array()
        .filter(|k| !k.is_empty())
        .ok_or("a JWKS is an object with a non-empty \"keys\" array")?;
    for key in keys {
        match key["kty"].as_str() {
            Some("RSA") if key["n"].is_string() && key["e"].is_string() => {}
            Some("EC") if key["x"].is_string() && key["y"].is_string() => {}
            _ => return Err("every key must be an RSA (n, e) or EC (crv, x, y) public key".into()),
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| key.get(m).is_some())
        {
            return Err("the JWKS holds a private key: register the public keys only".into());
        }
    }
    Ok(())
}

/// A private key that signs client assertions: what an app (or `carin-sandbox client
/// backend`, the benchmark, the tests) holds. RSA signs RS384, EC P-384 signs ES384.
pub enum SigningKey {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
}

impl SigningKey {
    /// A fresh RSA-2048 key (RS384).
    pub fn generate_rsa() -> Result<SigningKey, String> {
        RsaKeyPair::generate(KeySize::Rsa2048)
            .map(SigningKey::Rsa)
            .map_err(|e| format!("RSA key generation failed: {e}"))
    }

    /// A fresh EC P-384 key (ES384).
    pub fn generate_ec() -> Result<SigningKey, String> {
        EcdsaKeyPair::generate(&signature::ECDSA_P384_SHA384_FIXED_SIGNING)
            .map(SigningKey::Ec)
            .map_err(|e| format!("EC key generation failed: {e}"))
    }

    /// A PKCS#8 key, DER: RSA or EC P-384.
    pub fn from_pkcs8_der(der: &[u8]) -> Result<SigningKey, String> {
        if let Ok(k) = RsaKeyPair::from_pkcs8(der) {
            return Ok(SigningKey::Rsa(k));
        }
        EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P384_SHA384_FIXED_SIGNING, der)
            .map(SigningKey::Ec)
            .map_err(|_| "the key is neither a PKCS#8 RSA key nor a PKCS#8 EC P-384 key".into())
    }

    /// A `-----BEGIN PRIVATE KEY-----` PEM (PKCS#8).
    pub fn from_pem(pem: &str) -> Result<SigningKey, String> {
        let body: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect();
        if body.is_empty() {
            return Err("no -----BEGIN PRIVATE KEY----- block (PKCS#8 PEM)".into());
        }
        let der = STANDARD
            .decode(body.trim())
            .map_err(|e| format!("the PEM body is not base64: {e}"))?;
        Self::from_pkcs8_der(&der)
    }

    /// PKCS#8 DER of the private key.
    pub fn pkcs8_der(&self) -> Result<Vec<u8>, String> {
        match self {
            SigningKey::Rsa(k) => k.as_der().map(|d| d.as_ref().to_vec()),
            SigningKey::Ec(k) => k.to_pkcs8v1().map(|d| d.as_ref().to_vec()),
        }
        .map_err(|e| format!("the key could not be encoded: {e}"))
    }

    /// The private key as a PKCS#8 PEM (what `--private-key` reads).
    pub fn to_pem(&self) -> Result<String, String> {
        let b64 = STANDARD.encode(self.pkcs8_der()?);
        let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
        for line in b64.as_bytes().chunks(64) {
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        out.push_str("-----END PRIVATE KEY-----\n");
        Ok(out)
    }

    /// The JWS algorithm this key signs with.
    pub fn alg(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "RS384",
            SigningKey::Ec(_) => "ES384",
        }
    }

    /// The public JWK, with `kid` and `alg`.
    pub fn public_jwk(&self, kid: &str) -> Value {
        match self {
            SigningKey::Rsa(k) => {
                let p = k.public_key();
                json!({"kty": "RSA", "kid": kid, "alg": "RS384", "use": "sig",
                    "n": B64.encode(p.modulus().big_endian_without_leading_zero()),
                    "e": B64.encode(p.exponent().big_endian_without_leading_zero())})
            }
            SigningKey::Ec(k) => {
                let point = k.public_key().as_ref();
                let half = point.len().saturating_sub(1) / 2;
                json!({"kty": "EC", "crv": "P-384", "kid": kid, "alg": "ES384", "use": "sig",
                    "x": B64.encode(point.get(1..=half).unwrap_or_default()),
                    "y": B64.encode(point.get(1 + half..).unwrap_or_default())})
            }
        }
    }

    /// A kid derived from the public key (RFC 7638 thumbprint).
    pub fn thumbprint(&self) -> String {
        let jwk = self.public_jwk("");
        let canonical = match self {
            SigningKey::Rsa(_) => format!(r#"{{"e":{},"kty":"RSA","n":{}}}"#, jwk["e"], jwk["n"]),
            SigningKey::Ec(_) => format!(
                r#"{{"crv":"P-384","kty":"EC","x":{},"y":{}}}"#,
                jwk["x"], jwk["y"]
            ),
        };
        B64.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            canonical.as_bytes(),
        ))
    }

    /// A compact JWS of `claims` under `header` (its `alg` is the caller's to set).
    pub fn sign(&self, header: &Value, claims: &Value) -> Result<String, String> {
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let rng = SystemRandom::new();
        let sig = match self {
            SigningKey::Rsa(k) => {
                // RS256 when the header asks for it (UDAP's required algorithm), else RS384.
                let padding = if header["alg"] == "RS256" {
                    &signature::RSA_PKCS1_SHA256
                } else {
                    &signature::RSA_PKCS1_SHA384
                };
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(padding, &rng, input.as_bytes(), &mut sig)
                    .map_err(|_| "RSA signing failed".to_string())?;
                sig
            }
            SigningKey::Ec(k) => k
                .sign(&rng, input.as_bytes())
                .map_err(|_| "ES384 signing failed".to_string())?
                .as_ref()
                .to_vec(),
        };
        Ok(format!("{input}.{}", B64.encode(sig)))
    }

    /// A `private_key_jwt` client assertion for `client_id` at `token_endpoint`, valid for
    /// `lifetime` seconds from `now`, with a fresh `jti`.
    pub fn client_assertion(
        &self,
        kid: &str,
        client_id: &str,
        token_endpoint: &str,
        now: i64,
        lifetime: i64,
    ) -> Result<String, String> {
        self.sign(
            &json!({"alg": self.alg(), "kid": kid, "typ": "JWT"}),
            &json!({
                "iss": client_id,
                "sub": client_id,
                "aud": token_endpoint,
                "exp": now + lifetime,
                "iat": now,
                "jti": super::keys::random_token(),
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestKey = SigningKey;
    impl SigningKey {
        fn rsa() -> Self {
            Self::generate_rsa().unwrap()
        }
        fn ec() -> Self {
            Self::generate_ec().unwrap()
        }
        fn jwk(&self, kid: &str) -> Value {
            self.public_jwk(kid)
        }
        fn signed(&self, header: &Value, claims: &Value) -> String {
            self.sign(header, claims).unwrap()
        }
    }

    #[test]
    fn rs384_and_es384_verify_by_kid() {
        for key in [TestKey::rsa(), TestKey::ec()] {
            let other = TestKey::ec();
            let jwks = json!({"keys": [other.jwk("a"), key.jwk("b")]});
            let jwt = key.signed(&json!({"alg": key.alg(), "kid": "b"}), &json!({"iss": "x"}));
            let jws = Jws::parse(&jwt).unwrap();
            assert_eq!(jws.claims["iss"], "x");
            jws.verify_with_jwks(&jwks).unwrap();
            let wrong_kid = key.signed(&json!({"alg": key.alg(), "kid": "a"}), &json!({}));
            assert!(Jws::parse(&wrong_kid)
                .unwrap()
                .verify_with_jwks(&jwks)
                .is_err());
            let unknown = key.signed(&json!({"alg": key.alg(), "kid": "zz"}), &json!({}));
            assert_eq!(
                Jws::parse(&unknown).unwrap().verify_with_jwks(&jwks),
                Err(JwsError::UnknownKid("zz".into()))
            );
        }
    }

    #[test]
    fn tampered_claims_fail() {
        let key = TestKey::rsa();
        let jwks = json!({"keys": [key.jwk("k")]});
        let jwt = key.signed(&json!({"alg": "RS384", "kid": "k"}), &json!({"sub": "a"}));
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            B64.encode(json!({"sub": "b"}).to_string()),
            parts[2]
        );
        assert_eq!(
            Jws::parse(&forged).unwrap().verify_with_jwks(&jwks),
            Err(JwsError::Signature)
        );
    }

    #[test]
    fn none_and_hmac_are_refused_before_any_key_is_used() {
        let key = TestKey::rsa();
        let jwks = json!({"keys": [key.jwk("k")]});
        for alg in ["none", "HS256", "PS256"] {
            let h = B64.encode(json!({"alg": alg, "kid": "k"}).to_string());
            let c = B64.encode(json!({"sub": "a"}).to_string());
            let jwt = format!("{h}.{c}.");
            assert_eq!(
                Jws::parse(&jwt).unwrap().verify_with_jwks(&jwks),
                Err(JwsError::Algorithm(alg.into()))
            );
        }
    }

    #[test]
    fn registered_jwks_must_be_public() {
        let key = TestKey::ec();
        assert!(check_public_jwks(&json!({"keys": [key.jwk("a")]})).is_ok());
        let mut private = key.jwk("a");
        private["d"] = json!("secret");
        assert!(check_public_jwks(&json!({"keys": [private]})).is_err());
        assert!(check_public_jwks(&json!({"keys": []})).is_err());
        assert!(check_public_jwks(&json!({"keys": [{"kty": "oct", "k": "x"}]})).is_err());
    }

    #[test]
    fn keys_round_trip_through_pem() {
        for key in [TestKey::rsa(), TestKey::ec()] {
            let pem = key.to_pem().unwrap();
            let back = SigningKey::from_pem(&pem).unwrap();
            assert_eq!(back.public_jwk("k"), key.public_jwk("k"));
            assert_eq!(back.thumbprint(), key.thumbprint());
        }
        assert!(SigningKey::from_pem("nothing").is_err());
    }
}
