//! `private_key_jwt` (RFC 7523 client assertions, SMART `client-confidential-asymmetric`): an
//! app proves who it is with a short-lived JWT signed by a key whose public half it registered.
//!
//! The rules (SMART App Launch 2.2, client-confidential-asymmetric): `iss` = `sub` = the client
//! id, `aud` = the token endpoint URL, `exp` at most five minutes ahead, `jti` never seen before
//! (kept in `auth_jtis` until the assertion expires), signature by the registered key the
//! header's `kid` names, with RS256/RS384/ES256/ES384 only.

use std::time::Duration;

use serde_json::Value;

use super::bounded::{read_at_most, BodyError};
use super::db::{secret_key, Tx, JTIS};
use super::jws::Jws;
use super::records::{Client, ClientJwks, JtiRecord};
use super::token::TokenRequest;
use super::x509;
use super::{AuthServer, OAuthError};
use crate::store::StoreError;

/// `client_assertion_type` for a JWT client assertion (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may live ahead of now (SMART: five minutes).
pub const MAX_LIFETIME: i64 = 300;
/// Clock skew tolerated between the app and the sandbox.
const SKEW: i64 = 30;
/// The most a `jwks_uri` may send.
const MAX_JWKS: u64 = 64 * 1024;
/// `jti` values longer than this are refused (they are stored).
const MAX_JTI: usize = 256;

impl AuthServer {
    /// The app a request's `client_assertion` proves, after every check; the `jti` is recorded
    /// so the same assertion cannot be used again.
    pub(super) fn authenticate_assertion(
        &self,
        req: &TokenRequest,
        now: i64,
    ) -> Result<Client, OAuthError> {
        let (client, jti) = self.verify_assertion(req, now)?;
        if !self.db.write(|tx| jti.record(tx, now))? {
            return Err(OAuthError::invalid_client(REPLAYED));
        }
        Ok(client)
    }

    /// Every check but the replay one: the app, and the `jti` to record in the transaction
    /// that acts on the request (so a backend token costs one commit).
    pub(super) fn verify_assertion(
        &self,
        req: &TokenRequest,
        now: i64,
    ) -> Result<(Client, Jti), OAuthError> {
        let bad = |d: String| OAuthError::invalid_client(d);
        match req.param("client_assertion_type") {
            Some(JWT_BEARER) => {}
            Some(other) => {
                return Err(bad(format!(
                    "client_assertion_type {other} is not supported (use {JWT_BEARER})"
                )))
            }
            None => return Err(bad("client_assertion_type is missing".into())),
        }
        let assertion = req
            .param("client_assertion")
            .ok_or_else(|| bad("client_assertion is missing".into()))?;
        let jws = Jws::parse(assertion).map_err(|e| bad(format!("client_assertion: {e}")))?;
        jws.alg()
            .map_err(|e| bad(format!("client_assertion: {e}")))?;
        let claims = &jws.claims;
        let iss = claims["iss"]
            .as_str()
            .ok_or_else(|| bad("the client assertion has no iss".into()))?;
        if claims["sub"].as_str() != Some(iss) {
            return Err(bad(
                "the client assertion's sub must equal its iss (the client id)".into(),
            ));
        }
        if req.param("client_id").is_some_and(|id| id != iss) {
            return Err(bad(
                "client_id differs from the client assertion's iss".into()
            ));
        }
        let client = self
            .db
            .client(iss)?
            .ok_or_else(|| bad(format!("no app is registered as {iss}")))?;
        if let Some(udap) = &client.udap {
            // UDAP JWT client authentication: the key is x5c[0]'s, which must chain to a
            // trusted anchor and carry the registered SAN URI.
            let x5c = x509::x5c_of(&jws.header)
                .map_err(|e| bad(format!("client_assertion header: {e}")))?;
            let leaf = x509::verify(&x5c, &self.udap_anchors(), now)
                .map_err(|e| bad(format!("client_assertion certificate: {e}")))?;
            if !leaf.san_uris.contains(&udap.iss) {
                return Err(bad(format!(
                    "the certificate does not carry the registered SAN URI {}",
                    udap.iss
                )));
            }
            jws.verify_with_key(&leaf.public_key)
                .map_err(|e| bad(format!("client_assertion: {e}")))?;
        } else {
            let jwks = match &client.jwks {
                Some(ClientJwks::Jwks(jwks)) => jwks.clone(),
                Some(ClientJwks::JwksUri(uri)) => fetch_jwks(uri).map_err(bad)?,
                None => {
                    return Err(bad(format!(
                        "{iss} has no registered keys: it authenticates with its client secret"
                    )))
                }
            };
            jws.verify_with_jwks(&jwks)
                .map_err(|e| bad(format!("client_assertion: {e}")))?;
        }
        check_claims(claims, &req.token_endpoint, now).map_err(bad)?;
        let jti = claims["jti"].as_str().unwrap_or_default();
        let exp = claims["exp"].as_i64().unwrap_or_default();
        let jti = Jti {
            key: secret_key(&format!("{iss}\0{jti}")),
            record: JtiRecord {
                client_id: iss.to_string(),
                expires_at: exp + SKEW,
            },
        };
        Ok((client, jti))
    }
}

/// The refusal of a replayed assertion.
pub const REPLAYED: &str =
    "the client assertion's jti was already used: sign a new assertion for every request";

/// A verified assertion's `jti`, still to be recorded.
pub struct Jti {
    key: String,
    record: JtiRecord,
}

impl Jti {
    /// Records it; false when it was seen before and has not expired (a replay).
    pub fn record(&self, tx: &mut Tx<'_>, now: i64) -> Result<bool, StoreError> {
        if let Some(seen) = tx.get::<JtiRecord>(JTIS, &self.key)? {
            if seen.expires_at >= now {
                return Ok(false);
            }
        }
        tx.put(JTIS, &self.key, &self.record)?;
        Ok(true)
    }
}

/// `aud`, `exp`, `nbf`/`iat` and `jti` of a verified assertion.
fn check_claims(claims: &Value, token_endpoint: &str, now: i64) -> Result<(), String> {
    let aud_ok = match &claims["aud"] {
        Value::String(a) => a == token_endpoint,
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(token_endpoint)),
        _ => false,
    };
    if !aud_ok {
        return Err(format!(
            "the client assertion's aud must be the token endpoint {token_endpoint}"
        ));
    }
    let exp = claims["exp"]
        .as_i64()
        .ok_or("the client assertion has no exp (integer seconds)")?;
    if exp + SKEW <= now {
        return Err("the client assertion has expired".into());
    }
    if exp > now + MAX_LIFETIME + SKEW {
        return Err(format!(
            "the client assertion's exp is more than {MAX_LIFETIME} seconds ahead"
        ));
    }
    for claim in ["nbf", "iat"] {
        if claims[claim].as_i64().is_some_and(|t| t > now + SKEW) {
            return Err(format!("the client assertion's {claim} is in the future"));
        }
    }
    match claims["jti"].as_str() {
        Some(j) if !j.is_empty() && j.len() <= MAX_JTI => Ok(()),
        _ => Err(format!(
            "the client assertion needs a jti (1 to {MAX_JTI} characters)"
        )),
    }
}

/// An app's JWKS from its `jwks_uri` (blocking; the token endpoint decides off the async
/// workers).
fn fetch_jwks(uri: &str) -> Result<Value, String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::limited(3))
        .build()
        .map_err(|e| format!("could not fetch the app's jwks_uri: {e}"))?;
    let response = client
        .get(uri)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .and_then(reqwest::blocking::Response::error_for_status)
        .map_err(|e| format!("could not fetch the app's jwks_uri {uri}: {e}"))?;
    // A JWKS is small: read at most 64 KiB, whatever the URL sends.
    let body = read_at_most(response, MAX_JWKS).map_err(|e| match e {
        BodyError::TooLarge => format!("the app's jwks_uri {uri} sent more than 64 KiB"),
        BodyError::Read(e) => format!("could not read the app's jwks_uri {uri}: {e}"),
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| format!("the app's jwks_uri {uri} did not return JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TOKEN: &str = "http://127.0.0.1:8000/v2/o/token";

    #[test]
    fn claims_rules() {
        let ok = json!({"aud": TOKEN, "exp": 1_200, "jti": "a"});
        assert!(check_claims(&ok, TOKEN, 1_000).is_ok());
        let list = json!({"aud": ["x", TOKEN], "exp": 1_200, "jti": "a"});
        assert!(check_claims(&list, TOKEN, 1_000).is_ok());
        for bad in [
            json!({"aud": "http://127.0.0.1:8000/v2/fhir", "exp": 1_200, "jti": "a"}),
            json!({"aud": TOKEN, "exp": 1_000 + 3_600, "jti": "a"}),
            json!({"aud": TOKEN, "exp": 900, "jti": "a"}),
            json!({"aud": TOKEN, "jti": "a"}),
            json!({"aud": TOKEN, "exp": 1_200}),
            json!({"aud": TOKEN, "exp": 1_200, "jti": ""}),
            json!({"aud": TOKEN, "exp": 1_200, "jti": "a", "iat": 5_000}),
        ] {
            assert!(check_claims(&bad, TOKEN, 1_000).is_err(), "{bad}");
        }
    }
}
