//! PKCE (RFC 7636, S256), `state` and `nonce`: random strings from the system's CSPRNG.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

/// A code verifier and its S256 challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// 32 random bytes: a 43-character verifier, the RFC 7636 minimum length, all unreserved.
    pub fn new() -> Pkce {
        let verifier = random_token(32);
        let challenge = challenge_for(&verifier);
        Pkce {
            verifier,
            challenge,
        }
    }
}

impl Default for Pkce {
    fn default() -> Self {
        Self::new()
    }
}

/// The S256 challenge for a verifier (computed by `auth::pkce`, the one home of the rule).
pub use crate::auth::pkce::s256_challenge as challenge_for;

/// `n` random bytes as base64url (for `state`, `nonce` and verifiers).
pub fn random_token(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    // The system CSPRNG does not fail on the platforms we build for; if it ever did, a
    // predictable state would be worse than stopping.
    #[expect(clippy::expect_used, reason = "stopping beats a predictable state")]
    aws_lc_rs::rand::fill(&mut bytes).expect("the system random number generator failed");
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_matches_rfc7636_appendix_b() {
        assert_eq!(
            challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn verifier_is_43_unreserved_characters_and_fresh() {
        let a = Pkce::new();
        let b = Pkce::new();
        assert_eq!(a.verifier.len(), 43);
        assert!(a
            .verifier
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.challenge, challenge_for(&a.verifier));
    }
}
