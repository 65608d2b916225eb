//! The server's keys, made on first start and kept in the store's meta table.
//!
//! - RSA-2048 (aws-lc-rs) signs id_tokens with RS256, which SMART requires and conformance
//!   tools check for; its public half is the JWKS.
//! - Ed25519 (ed25519-dalek) signs what only this server reads back: pending authorization
//!   requests, session cookies and CSRF tokens ([`Sealer`]).

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde_json::{json, Value};

use super::AuthError;
use crate::store::Store;

const META_RSA: &str = "auth.rsa.pkcs8";
const META_ED25519: &str = "auth.ed25519.seed";

/// `n` random bytes from the system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    #[expect(
        clippy::expect_used,
        reason = "no request can recover from a failed CSPRNG"
    )]
    SystemRandom::new()
        .fill(&mut out)
        .expect("the system random number generator failed");
    out
}

/// A fresh 256-bit secret, base64url without padding (43 URL-safe characters).
pub fn random_token() -> String {
    B64.encode(random_bytes::<32>())
}

pub struct Keys {
    rsa: RsaKeyPair,
    kid: String,
    jwk: Value,
    pub sealer: Sealer,
}

impl Keys {
    /// Loads the keys from the store, making and saving them on first start.
    pub fn load_or_create(store: &Store) -> Result<Keys, AuthError> {
        let rsa_der = match store.meta(META_RSA)? {
            Some(der) => der,
            None => {
                let key = RsaKeyPair::generate(KeySize::Rsa2048)
                    .map_err(|_| AuthError::Key("RSA key generation failed".into()))?;
                let der = key
                    .as_der()
                    .map_err(|_| AuthError::Key("RSA key encoding failed".into()))?
                    .as_ref()
                    .to_vec();
                store.set_meta(META_RSA, &der)?;
                der
            }
        };
        let rsa = RsaKeyPair::from_pkcs8(&rsa_der)
            .map_err(|e| AuthError::Key(format!("the stored RSA key is unusable: {e}")))?;
        let seed: [u8; 32] = match store.meta(META_ED25519)? {
            Some(seed) => seed
                .try_into()
                .map_err(|_| AuthError::Key("the stored Ed25519 seed is not 32 bytes".into()))?,
            None => {
                let seed = random_bytes::<32>();
                store.set_meta(META_ED25519, &seed)?;
                seed
            }
        };
        let (kid, jwk) = public_jwk(&rsa);
        Ok(Keys {
            rsa,
            kid,
            jwk,
            sealer: Sealer {
                key: SigningKey::from_bytes(&seed),
            },
        })
    }

    /// The JWKS document.
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// A compact JWS (RS256) over `claims`.
    pub fn sign_jwt(&self, claims: &Value) -> Result<String, AuthError> {
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": self.kid});
        let signing_input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let mut signature = vec![0u8; self.rsa.public_modulus_len()];
        self.rsa
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| AuthError::Key("RS256 signing failed".into()))?;
        Ok(format!("{signing_input}.{}", B64.encode(signature)))
    }

    /// The RSA public key in DER (SubjectPublicKeyInfo), for verifying our own tokens in tests.
    pub fn rsa_public_der(&self) -> Vec<u8> {
        self.rsa
            .public_key()
            .as_der()
            .map(|d| d.as_ref().to_vec())
            .unwrap_or_default()
    }
}

/// The public JWK and its RFC 7638 thumbprint, used as `kid`.
fn public_jwk(key: &RsaKeyPair) -> (String, Value) {
    let public = key.public_key();
    let n = B64.encode(public.modulus().big_endian_without_leading_zero());
    let e = B64.encode(public.exponent().big_endian_without_leading_zero());
    // RFC 7638: the required members, lexicographic order, no whitespace.
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let kid = B64.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        canonical.as_bytes(),
    ));
    let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
    (kid, jwk)
}

/// Ed25519-signed, purpose-bound, expiring blobs: `base64url(json).base64url(signature)`.
pub struct Sealer {
    key: SigningKey,
}

impl Sealer {
    /// Seals `payload` for `purpose` until `expires_at` (unix seconds).
    pub fn seal(&self, purpose: &str, payload: &Value, expires_at: i64) -> String {
        let body = json!({"p": purpose, "exp": expires_at, "d": payload}).to_string();
        let signature = self.key.sign(body.as_bytes());
        format!(
            "{}.{}",
            B64.encode(body.as_bytes()),
            B64.encode(signature.to_bytes())
        )
    }

    /// The payload of a blob sealed for `purpose`, if the signature holds and it has not
    /// expired at `now` (unix seconds).
    pub fn open(&self, purpose: &str, sealed: &str, now: i64) -> Option<Value> {
        let (body, signature) = sealed.split_once('.')?;
        let body = B64.decode(body).ok()?;
        let signature: [u8; 64] = B64.decode(signature).ok()?.try_into().ok()?;
        let verifying: VerifyingKey = self.key.verifying_key();
        verifying
            .verify_strict(&body, &ed25519_dalek::Signature::from_bytes(&signature))
            .ok()?;
        let mut value: Value = serde_json::from_slice(&body).ok()?;
        if value["p"] != purpose || value["exp"].as_i64().is_none_or(|exp| exp < now) {
            return None;
        }
        Some(value["d"].take())
    }

    /// A secret that only this server can compute from `input` (BLAKE3 keyed by a key derived
    /// from the sealing key), base64url: values that must not travel with what they protect,
    /// such as the PKCE verifier behind a sealed Tiered OAuth state.
    pub fn derive(&self, purpose: &str, input: &str) -> String {
        let key = blake3::derive_key("carin-sandbox sealer derive v1", &self.key.to_bytes());
        let mut hasher = blake3::Hasher::new_keyed(&key);
        hasher.update(purpose.as_bytes());
        hasher.update(&[0]);
        hasher.update(input.as_bytes());
        B64.encode(hasher.finalize().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_made_once_and_kept() {
        let store = Store::in_memory().unwrap();
        let a = Keys::load_or_create(&store).unwrap();
        let b = Keys::load_or_create(&store).unwrap();
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.jwks()["keys"][0]["kty"], "RSA");
    }

    #[test]
    fn id_tokens_verify_with_the_published_key() {
        let store = Store::in_memory().unwrap();
        let keys = Keys::load_or_create(&store).unwrap();
        let jwt = keys.sign_jwt(&json!({"sub": "M00001"})).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS256");
        assert_eq!(header["kid"], keys.kid());
        let public = aws_lc_rs::signature::UnparsedPublicKey::new(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            keys.rsa_public_der(),
        );
        let signed = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(signed.as_bytes(), &B64.decode(parts[2]).unwrap())
            .unwrap();
        let mut tampered = signed.into_bytes();
        tampered[5] ^= 1;
        assert!(public
            .verify(&tampered, &B64.decode(parts[2]).unwrap())
            .is_err());
    }

    #[test]
    fn sealed_blobs_are_bound_to_purpose_signature_and_time() {
        let store = Store::in_memory().unwrap();
        let keys = Keys::load_or_create(&store).unwrap();
        let s = &keys.sealer;
        let sealed = s.seal("csrf", &json!("abc"), 100);
        assert_eq!(s.open("csrf", &sealed, 99), Some(json!("abc")));
        assert_eq!(s.open("csrf", &sealed, 101), None, "expired");
        assert_eq!(s.open("session", &sealed, 99), None, "other purpose");
        let mut forged = sealed;
        forged.insert(3, 'x');
        assert_eq!(s.open("csrf", &forged, 99), None);
        let derived = s.derive("pkce", "abc");
        assert_eq!(derived.len(), 43);
        assert_eq!(derived, s.derive("pkce", "abc"));
        assert_ne!(derived, s.derive("nonce", "abc"));
        let other = Keys::load_or_create(&Store::in_memory().unwrap()).unwrap();
        assert_ne!(derived, other.sealer.derive("pkce", "abc"));
    }
}
