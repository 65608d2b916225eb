//! UDAP Tiered OAuth for user authentication (UDAP Security IG STU2, "Tiered OAuth for User
//! Authentication", profile `udap_to`): an app adds `idp=<IdP base URL>` and the `udap` scope
//! to its authorization request, and the sandbox has that identity provider authenticate the
//! person instead of showing its own sign-in page.
//!
//! The sandbox is then a UDAP client of the IdP: it fetches `{idp}/.well-known/udap`, checks
//! its `signed_metadata` against the trust anchors (the chain, the signature, `iss` = the IdP
//! base = a SAN URI of the certificate, `exp`) and that `openid` and `udap` are offered;
//! registers once per IdP (UDAP DCR, with its own server certificate for its FHIR base, the one
//! that signs its metadata) and keeps the client id in `udap_idp_clients`; sends the browser to
//! the IdP with `openid udap`, PKCE and a `state` sealed like the pending request (the PKCE
//! verifier and the `nonce` are derived from the state's random id with the sealing key, so
//! neither travels in the browser); then exchanges the IdP's code with a UDAP client assertion
//! and checks the id_token (the IdP's JWKS from its OpenID configuration; `iss`, `aud`, `exp`,
//! `iat`, `nonce`). The IdP's user becomes a beneficiary here when its `fhirUser` (else its
//! `sub`) names a Patient of this sandbox that has a synthetic login (`BBUser…`), as it does
//! when the IdP is another sandbox loaded with the same data; anyone else is `access_denied`.
//!
//! Blocking HTTP (reqwest): the web edge calls these in `web::block`.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use url::Url;

use super::Udap;
use crate::auth::authorize::with_query;
use crate::auth::bounded::{read_at_most, BodyError};
use crate::auth::jws::Jws;
use crate::auth::keys::random_token;
use crate::auth::pkce::s256_challenge;
use crate::auth::users::{self, Beneficiary};
use crate::auth::x509;
use crate::auth::{AuthServer, PendingRequest};
use crate::store::tables::UDAP_IDP_CLIENTS;
use crate::store::StoreError;

/// The scope that asks for Tiered OAuth (with `idp=`), and that the IdP must offer.
pub const UDAP_SCOPE: &str = "udap";
/// What the sandbox asks the IdP for: `openid udap`, and `fhirUser` so that a sandbox IdP
/// issues an id_token naming its Patient.
const IDP_SCOPES: &str = "openid udap fhirUser";
const STATE_PURPOSE: &str = "tiered";
/// Registration statements and client assertions live this long (the IG's maximum).
const ASSERTION_LIFETIME: i64 = 300;
/// Clock skew allowed on the IdP's `exp`/`iat`.
const SKEW: i64 = 60;
/// Metadata, JWKS and token responses are small; nothing larger is read.
const MAX_BODY: u64 = 256 * 1024;
/// The path of the callback the IdP sends the browser back to.
pub const CALLBACK_PATH: &str = "/v2/o/authorize/idp";

/// Why Tiered OAuth could not go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TieredError {
    /// The IdP is not trusted or cannot be used (no UDAP metadata, no registration, a bad
    /// id_token): `error=invalid_idp` at the app's redirect URI.
    #[error("{0}")]
    InvalidIdp(String),
    /// The IdP's user is not a beneficiary here: `error=access_denied`.
    #[error("{0}")]
    AccessDenied(String),
    /// The callback's state is missing, altered, expired or from another browser: there is no
    /// app to tell, so the person sees an error page.
    #[error("{0}")]
    BadState(String),
    #[error("the server could not complete the request: {0}")]
    Server(String),
}

fn invalid_idp(d: impl Into<String>) -> TieredError {
    TieredError::InvalidIdp(d.into())
}

impl From<StoreError> for TieredError {
    fn from(e: StoreError) -> Self {
        TieredError::Server(e.to_string())
    }
}

/// An identity provider's endpoints, from its verified UDAP metadata and OpenID configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Idp {
    /// The IdP's base URL: its metadata's `iss`, and its id_tokens' `iss`.
    pub base: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: String,
    pub jwks_uri: String,
}

/// The sandbox's registration at one IdP (table `udap_idp_clients`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdpClient {
    pub idp: Idp,
    /// The sandbox's FHIR base it registered as (its certificate's SAN URI).
    pub fhir_base: String,
    pub client_id: String,
    pub redirect_uri: String,
    pub registered_at: i64,
}

fn client_key(idp: &str, fhir_base: &str) -> String {
    format!("{idp}\0{fhir_base}")
}

/// What travels to the IdP and back as `state`, sealed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TieredState {
    /// Random: the PKCE verifier and the nonce are derived from it.
    id: String,
    pub request: PendingRequest,
    pub idp: String,
    fhir_base: String,
    /// BLAKE3 of the browser's CSRF cookie.
    browser: String,
}

/// The IdP an authorization request names for Tiered OAuth: `idp` together with the `udap`
/// scope (without it `idp` means nothing, IG).
pub fn requested_idp(params: &[(String, String)]) -> Option<&str> {
    let scope_has_udap = params
        .iter()
        .filter(|(k, _)| k == "scope")
        .any(|(_, v)| v.split_ascii_whitespace().any(|s| s == UDAP_SCOPE));
    let idp = params
        .iter()
        .find(|(k, _)| k == "idp")
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())?;
    scope_has_udap.then_some(idp)
}

/// The start of a Tiered OAuth sign-in, as the web edge sees it.
pub struct TieredStart<'a> {
    pub idp: &'a str,
    /// The sandbox's FHIR base for this request (its UDAP identity at the IdP).
    pub fhir_base: &'a str,
    /// Where the IdP sends the browser back ([`CALLBACK_PATH`] at this origin).
    pub callback: &'a str,
    pub request: &'a PendingRequest,
    /// [`crate::web::csrf::Csrf::binding`] of the browser.
    pub browser: &'a str,
}

fn http_client() -> Result<reqwest::blocking::Client, TieredError> {
    reqwest::blocking::Client::builder()
        .user_agent(concat!("carin-sandbox/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| TieredError::Server(format!("cannot set up HTTP: {e}")))
}

/// Status and JSON body of a response (at most [`MAX_BODY`] bytes read).
fn json_of(response: reqwest::blocking::Response) -> Result<(u16, Value), String> {
    let status = response.status().as_u16();
    let body = read_at_most(response, MAX_BODY).map_err(|e| match e {
        BodyError::TooLarge => "the answer is larger than 256 KiB".to_string(),
        BodyError::Read(e) => format!("the answer could not be read: {e}"),
    })?;
    let value = serde_json::from_slice(&body)
        .map_err(|_| format!("the answer (HTTP {status}) is not JSON"))?;
    Ok((status, value))
}

fn get_json(http: &reqwest::blocking::Client, url: &str) -> Result<Value, String> {
    let response = http
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .map_err(|e| format!("GET {url} failed: {e}"))?;
    match json_of(response)? {
        (200, v) => Ok(v),
        (status, _) => Err(format!("GET {url} answered HTTP {status}")),
    }
}

/// The IdP base as it is compared with `iss`: no trailing slash, http(s), no query.
fn normalize_idp(idp: &str) -> Result<String, TieredError> {
    let url = Url::parse(idp).map_err(|_| invalid_idp(format!("idp {idp} is not a URL")))?;
    if !matches!(url.scheme(), "http" | "https")
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(invalid_idp(format!(
            "idp {idp} must be an http(s) base URL without query or fragment"
        )));
    }
    Ok(idp.trim_end_matches('/').to_string())
}

fn text<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v[field].as_str().filter(|s| !s.is_empty())
}

impl Udap {
    /// Fetches and verifies the IdP's UDAP metadata and OpenID configuration.
    pub fn discover_idp(&self, idp: &str, now: i64) -> Result<Idp, TieredError> {
        let http = http_client()?;
        let doc = get_json(&http, &format!("{idp}/.well-known/udap")).map_err(|e| {
            // Why the fetch failed stays in the server's log: telling the app (connection
            // refused, a status, not JSON) would let it map what this server can reach.
            tracing::info!("Tiered OAuth: {idp}/.well-known/udap: {e}");
            invalid_idp(format!(
                "the IdP {idp} has no UDAP metadata this server can use"
            ))
        })?;
        let signed = text(&doc, "signed_metadata")
            .ok_or_else(|| invalid_idp(format!("the IdP {idp}'s metadata is not signed")))?;
        let jws = Jws::parse(signed)
            .map_err(|e| invalid_idp(format!("the IdP's signed_metadata: {e}")))?;
        let x5c = x509::x5c_of(&jws.header)
            .map_err(|e| invalid_idp(format!("the IdP's signed_metadata: {e}")))?;
        let leaf = x509::verify(&x5c, self.anchors(), now).map_err(|e| {
            invalid_idp(format!(
                "the IdP {idp} is not trusted: its signed_metadata certificate: {e}"
            ))
        })?;
        jws.verify_with_key(&leaf.public_key)
            .map_err(|e| invalid_idp(format!("the IdP's signed_metadata: {e}")))?;
        let claims = &jws.claims;
        let iss = text(claims, "iss").unwrap_or_default();
        if iss.trim_end_matches('/') != idp || !leaf.san_uris.iter().any(|s| s == iss) {
            return Err(invalid_idp(format!(
                "the IdP's signed_metadata names {iss}, not {idp} (or its certificate does not)"
            )));
        }
        if claims["exp"].as_i64().is_none_or(|exp| exp + SKEW < now) {
            return Err(invalid_idp("the IdP's signed_metadata has expired"));
        }
        let offered = |scope: &str| {
            doc["scopes_supported"]
                .as_array()
                .is_some_and(|l| l.iter().any(|s| s == scope))
        };
        if !offered("openid") || !offered(UDAP_SCOPE) {
            return Err(invalid_idp(format!(
                "the IdP {idp} does not offer the openid and udap scopes"
            )));
        }
        // The signed values count; the plain document only fills in what they leave out.
        let endpoint = |field: &str| {
            text(claims, field)
                .or_else(|| text(&doc, field))
                .map(str::to_string)
                .ok_or_else(|| invalid_idp(format!("the IdP's metadata has no {field}")))
        };
        let (authorization_endpoint, token_endpoint, registration_endpoint) = (
            endpoint("authorization_endpoint")?,
            endpoint("token_endpoint")?,
            endpoint("registration_endpoint")?,
        );
        let oidc = get_json(&http, &format!("{idp}/.well-known/openid-configuration"))
            .map_err(|e| invalid_idp(format!("the IdP {idp} has no OpenID configuration: {e}")))?;
        if text(&oidc, "issuer").map(|i| i.trim_end_matches('/')) != Some(idp) {
            return Err(invalid_idp(format!(
                "the IdP's OpenID configuration names another issuer than {idp}"
            )));
        }
        let jwks_uri = text(&oidc, "jwks_uri")
            .ok_or_else(|| invalid_idp("the IdP's OpenID configuration has no jwks_uri"))?
            .to_string();
        Ok(Idp {
            base: idp.to_string(),
            authorization_endpoint,
            token_endpoint,
            registration_endpoint,
            jwks_uri,
        })
    }

    /// A JWT signed with the sandbox's server certificate for `fhir_base`, `x5c` = its chain.
    fn sign_as(&self, fhir_base: &str, claims: &Value, now: i64) -> Result<String, TieredError> {
        let at = OffsetDateTime::from_unix_timestamp(now)
            .map_err(|e| TieredError::Server(e.to_string()))?;
        let cert = self
            .server_cert(fhir_base, at)
            .map_err(|e| TieredError::Server(e.to_string()))?;
        cert.key
            .sign(&json!({"alg": "RS256", "x5c": cert.x5c}), claims)
            .map_err(TieredError::Server)
    }

    /// Registers the sandbox at the IdP (UDAP DCR): its client id there.
    fn register_at(
        &self,
        idp: &Idp,
        fhir_base: &str,
        callback: &str,
        now: i64,
    ) -> Result<String, TieredError> {
        let statement = self.sign_as(
            fhir_base,
            &json!({
                "iss": fhir_base,
                "sub": fhir_base,
                "aud": idp.registration_endpoint,
                "iat": now,
                "exp": now + ASSERTION_LIFETIME,
                "jti": random_token(),
                "client_name": "carin-sandbox (Tiered OAuth)",
                "grant_types": ["authorization_code"],
                "response_types": ["code"],
                "redirect_uris": [callback],
                "token_endpoint_auth_method": "private_key_jwt",
                "scope": IDP_SCOPES,
            }),
            now,
        )?;
        let response = http_client()?
            .post(&idp.registration_endpoint)
            .json(&json!({"software_statement": statement, "udap": "1"}))
            .send()
            .map_err(|e| invalid_idp(format!("registration at the IdP failed: {e}")))?;
        let (status, body) = json_of(response)
            .map_err(|e| invalid_idp(format!("registration at the IdP failed: {e}")))?;
        match (status, text(&body, "client_id")) {
            (200 | 201, Some(id)) => Ok(id.to_string()),
            _ => Err(invalid_idp(format!(
                "the IdP refused the sandbox's registration (HTTP {status}): {} {}",
                text(&body, "error").unwrap_or("no error code"),
                text(&body, "error_description").unwrap_or_default()
            ))),
        }
    }

    /// Step one: checks the IdP, registers there if not yet done, and returns the IdP
    /// authorization URL to send the browser to.
    pub fn tiered_start(
        &self,
        auth: &AuthServer,
        start: &TieredStart<'_>,
        now: i64,
    ) -> Result<String, TieredError> {
        let idp_base = normalize_idp(start.idp)?;
        // The metadata is checked every time: an anchor removed takes effect at once.
        let idp = self.discover_idp(&idp_base, now)?;
        let key = client_key(&idp_base, start.fhir_base);
        let cached: Option<IdpClient> = auth.db.get(UDAP_IDP_CLIENTS, &key)?;
        let client = match cached {
            Some(c) if c.idp == idp && c.redirect_uri == start.callback => c,
            _ => {
                let client_id = self.register_at(&idp, start.fhir_base, start.callback, now)?;
                let record = IdpClient {
                    idp: idp.clone(),
                    fhir_base: start.fhir_base.to_string(),
                    client_id,
                    redirect_uri: start.callback.to_string(),
                    registered_at: now,
                };
                auth.db
                    .write(|tx| tx.put(UDAP_IDP_CLIENTS, &key, &record))?;
                record
            }
        };
        let state = TieredState {
            id: random_token(),
            request: start.request.clone(),
            idp: idp_base,
            fhir_base: start.fhir_base.to_string(),
            browser: start.browser.to_string(),
        };
        let sealer = &auth.keys.sealer;
        let verifier = sealer.derive("tiered pkce", &state.id);
        let nonce = sealer.derive("tiered nonce", &state.id);
        let sealed = sealer.seal(STATE_PURPOSE, &json!(state), now + auth.config.request_ttl);
        Ok(with_query(
            &idp.authorization_endpoint,
            &[
                ("response_type", "code".into()),
                ("client_id", client.client_id),
                ("redirect_uri", client.redirect_uri),
                ("scope", IDP_SCOPES.into()),
                ("state", sealed),
                ("nonce", nonce),
                ("code_challenge", s256_challenge(&verifier)),
                ("code_challenge_method", "S256".into()),
            ],
        ))
    }

    /// The state the IdP sent back, if this server sealed it for this browser and it is fresh.
    pub fn open_tiered_state(
        auth: &AuthServer,
        sealed: Option<&str>,
        browser: Option<&str>,
        now: i64,
    ) -> Result<TieredState, TieredError> {
        let state: TieredState = sealed
            .and_then(|s| auth.keys.sealer.open(STATE_PURPOSE, s, now))
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                TieredError::BadState(
                    "The identity provider sent back a missing, altered or expired state. Start \
                     again from the app."
                        .into(),
                )
            })?;
        let same_browser =
            browser.is_some_and(|b| bool::from(b.as_bytes().ct_eq(state.browser.as_bytes())));
        if !same_browser {
            return Err(TieredError::BadState(
                "This sign-in was started in another browser (or cookies are disabled). Start \
                 again from the app."
                    .into(),
            ));
        }
        Ok(state)
    }

    /// Step two: exchanges the IdP's code, checks its id_token and maps its user to a
    /// beneficiary of this sandbox (with the IdP's subject, for the audit trail).
    pub fn tiered_finish(
        &self,
        auth: &AuthServer,
        state: &TieredState,
        code: &str,
        now: i64,
    ) -> Result<(Beneficiary, String), TieredError> {
        let client: IdpClient = auth
            .db
            .get(UDAP_IDP_CLIENTS, &client_key(&state.idp, &state.fhir_base))?
            .ok_or_else(|| invalid_idp("the sandbox is no longer registered at this IdP"))?;
        let assertion = self.sign_as(
            &state.fhir_base,
            &json!({
                "iss": client.client_id,
                "sub": client.client_id,
                "aud": client.idp.token_endpoint,
                "iat": now,
                "exp": now + ASSERTION_LIFETIME,
                "jti": random_token(),
            }),
            now,
        )?;
        let verifier = auth.keys.sealer.derive("tiered pkce", &state.id);
        let http = http_client()?;
        let response = http
            .post(&client.idp.token_endpoint)
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", client.redirect_uri.as_str()),
                ("code_verifier", verifier.as_str()),
                ("client_id", client.client_id.as_str()),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
                ("udap", "1"),
            ])
            .send()
            .map_err(|e| invalid_idp(format!("the IdP's token endpoint failed: {e}")))?;
        let (status, body) =
            json_of(response).map_err(|e| invalid_idp(format!("the IdP's token endpoint: {e}")))?;
        if status != 200 {
            // The IdP no longer knows the sandbox's registration: register again next time.
            if text(&body, "error") == Some("invalid_client") {
                let key = client_key(&state.idp, &state.fhir_base);
                auth.db.write(|tx| tx.remove(UDAP_IDP_CLIENTS, &key))?;
            }
            return Err(invalid_idp(format!(
                "the IdP refused the code (HTTP {status}): {} {}",
                text(&body, "error").unwrap_or("no error code"),
                text(&body, "error_description").unwrap_or_default()
            )));
        }
        let id_token = text(&body, "id_token").ok_or_else(|| {
            invalid_idp("the IdP sent no id_token (was fhirUser or openid withheld?)")
        })?;
        let jwks = get_json(&http, &client.idp.jwks_uri)
            .map_err(|e| invalid_idp(format!("the IdP's JWKS: {e}")))?;
        let nonce = auth.keys.sealer.derive("tiered nonce", &state.id);
        let claims = check_id_token(
            id_token,
            &jwks,
            &IdTokenExpect {
                issuer: &state.idp,
                client_id: &client.client_id,
                nonce: &nonce,
            },
            now,
        )
        .map_err(|e| invalid_idp(format!("the IdP's id_token was refused: {e}")))?;
        let subject = text(&claims, "sub").unwrap_or_default().to_string();
        let who = beneficiary_of(auth, &claims, &state.idp)?;
        Ok((who, subject))
    }
}

/// What an id_token must say.
pub struct IdTokenExpect<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
}

/// OpenID Connect Core §3.1.3.7 for the IdP's id_token: signature by a key of `jwks` (the
/// algorithm allow-list of `auth::jws`, never `none`), `iss`, `aud` (and `azp` when there are
/// several audiences), `exp`, `iat`, `nonce`, and a `sub`. Its claims.
pub fn check_id_token(
    jwt: &str,
    jwks: &Value,
    expect: &IdTokenExpect<'_>,
    now: i64,
) -> Result<Value, String> {
    let jws = Jws::parse(jwt).map_err(|e| e.to_string())?;
    jws.verify_with_jwks(jwks).map_err(|e| e.to_string())?;
    let c = &jws.claims;
    let iss = c["iss"].as_str().unwrap_or_default();
    if iss.trim_end_matches('/') != expect.issuer {
        return Err(format!("iss is {iss}, not the IdP {}", expect.issuer));
    }
    let audiences: Vec<&str> = match &c["aud"] {
        Value::String(a) => vec![a.as_str()],
        Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expect.client_id) {
        return Err(format!(
            "aud does not name this sandbox's client id {}",
            expect.client_id
        ));
    }
    if audiences.len() > 1 && c["azp"].as_str() != Some(expect.client_id) {
        return Err("aud names several parties and azp is not this sandbox".into());
    }
    match c["exp"].as_i64() {
        Some(exp) if exp + SKEW >= now => {}
        Some(_) => return Err("the id_token has expired".into()),
        None => return Err("exp is missing".into()),
    }
    match c["iat"].as_i64() {
        Some(iat) if iat <= now + SKEW => {}
        Some(_) => return Err("iat is in the future".into()),
        None => return Err("iat is missing".into()),
    }
    let nonce = c["nonce"].as_str().unwrap_or_default();
    if !bool::from(nonce.as_bytes().ct_eq(expect.nonce.as_bytes())) {
        return Err("nonce is missing or not the one sent".into());
    }
    if c["sub"].as_str().is_none_or(str::is_empty) {
        return Err("sub is missing".into());
    }
    Ok(jws.claims.clone())
}

/// The Patient id the IdP's user stands for: `fhirUser` when it is `{idp}/Patient/{id}` (or
/// a relative `Patient/{id}`), else `sub`.
pub fn patient_of(claims: &Value, idp: &str) -> Option<String> {
    if let Some(user) = claims["fhirUser"].as_str() {
        let relative = user
            .strip_prefix(idp)
            .map(|r| r.trim_start_matches('/'))
            .unwrap_or(user);
        if let Some(id) = relative.strip_prefix("Patient/") {
            return crate::fhir::id::is_valid_id(id).then(|| id.to_string());
        }
    }
    claims["sub"]
        .as_str()
        .filter(|s| crate::fhir::id::is_valid_id(s))
        .map(str::to_string)
}

/// The beneficiary the IdP's user maps to: a Patient of this sandbox with a synthetic login.
fn beneficiary_of(
    auth: &AuthServer,
    claims: &Value,
    idp: &str,
) -> Result<Beneficiary, TieredError> {
    let refuse = || {
        TieredError::AccessDenied(format!(
            "the IdP's user ({}) is not a beneficiary of this sandbox",
            claims["fhirUser"]
                .as_str()
                .or(claims["sub"].as_str())
                .unwrap_or("no subject")
        ))
    };
    let patient = patient_of(claims, idp).ok_or_else(refuse)?;
    let username = users::username_of_patient(&patient);
    if users::login_number(&username).is_none() {
        return Err(refuse());
    }
    let read = auth.store().read()?;
    if !read.exists("Patient", &patient)? {
        return Err(refuse());
    }
    Ok(Beneficiary { username, patient })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::jws::SigningKey;

    const IDP: &str = "http://localhost:9000/v2/fhir";
    const NOW: i64 = 1_767_323_045;

    fn token(key: &SigningKey, claims: &Value) -> String {
        key.sign(&json!({"alg": key.alg(), "kid": "k1"}), claims)
            .unwrap()
    }

    fn good() -> Value {
        json!({
            "iss": IDP, "sub": "M00001", "aud": "client-1", "exp": NOW + 300, "iat": NOW,
            "nonce": "n-1", "fhirUser": format!("{IDP}/Patient/M00001"),
        })
    }

    const EXPECT: IdTokenExpect<'static> = IdTokenExpect {
        issuer: IDP,
        client_id: "client-1",
        nonce: "n-1",
    };

    #[test]
    fn id_token_checks() {
        let key = SigningKey::generate_rsa().unwrap();
        let jwks = json!({"keys": [key.public_jwk("k1")]});
        let claims = check_id_token(&token(&key, &good()), &jwks, &EXPECT, NOW).unwrap();
        assert_eq!(patient_of(&claims, IDP).as_deref(), Some("M00001"));
        let refused = |patch: Value, why: &str| {
            let mut c = good();
            for (k, v) in patch.as_object().unwrap() {
                c[k] = v.clone();
            }
            let e = check_id_token(&token(&key, &c), &jwks, &EXPECT, NOW).unwrap_err();
            assert!(e.contains(why), "{patch}: {e}");
        };
        refused(json!({"aud": "someone-else"}), "aud");
        refused(json!({"aud": ["client-1", "x"]}), "azp");
        refused(json!({"nonce": "n-2"}), "nonce");
        refused(json!({"nonce": null}), "nonce");
        refused(json!({"iss": "http://localhost:9001/v2/fhir"}), "iss");
        refused(json!({"exp": NOW - 3_600}), "expired");
        refused(json!({"iat": NOW + 3_600}), "future");
        refused(json!({"sub": ""}), "sub");
        // Several audiences with azp naming the sandbox are fine.
        let mut c = good();
        c["aud"] = json!(["client-1", "x"]);
        c["azp"] = json!("client-1");
        assert!(check_id_token(&token(&key, &c), &jwks, &EXPECT, NOW).is_ok());
        // Another key, and alg=none, are refused.
        let stranger = SigningKey::generate_rsa().unwrap();
        assert!(check_id_token(&token(&stranger, &good()), &jwks, &EXPECT, NOW).is_err());
        let unsigned = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"none"}"#
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                good().to_string()
            )
        );
        assert!(check_id_token(&unsigned, &jwks, &EXPECT, NOW).is_err());
    }

    #[test]
    fn the_idp_user_maps_by_fhir_user_then_sub() {
        assert_eq!(
            patient_of(&json!({"sub": "x", "fhirUser": "Patient/M00002"}), IDP).as_deref(),
            Some("M00002")
        );
        assert_eq!(
            patient_of(&json!({"sub": "M00003"}), IDP).as_deref(),
            Some("M00003")
        );
        assert_eq!(
            patient_of(&json!({"sub": "M00003", "fhirUser": "Practitioner/p"}), IDP).as_deref(),
            Some("M00003")
        );
        assert_eq!(patient_of(&json!({"sub": "a b"}), IDP), None);
    }

    #[test]
    fn idp_needs_the_udap_scope() {
        let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            requested_idp(&p(&[("scope", "openid udap"), ("idp", IDP)])),
            Some(IDP)
        );
        assert_eq!(
            requested_idp(&p(&[("scope", "openid"), ("idp", IDP)])),
            None
        );
        assert_eq!(requested_idp(&p(&[("scope", "openid udap")])), None);
        assert!(normalize_idp("ftp://x").is_err());
        assert_eq!(normalize_idp(&format!("{IDP}/")).unwrap(), IDP);
    }
}
