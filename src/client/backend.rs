//! `carin-sandbox client backend`: SMART Backend Services. Discovery gives the token
//! endpoint; a client assertion signed with the app's private key (`private_key_jwt`, RS384 or
//! ES384) buys a system token (`client_credentials`); one FHIR search shows what it reaches.
//! The token is never printed.

use std::path::Path;

use serde_json::Value;

use super::error::ClientError;
use super::http::Http;
use crate::auth::assertion::{JWT_BEARER, MAX_LIFETIME};
use crate::auth::jws::SigningKey;

/// What to run.
pub struct Backend<'a> {
    pub fhir_base: &'a str,
    pub client_id: &'a str,
    pub private_key: &'a Path,
    /// Default: the key's RFC 7638 thumbprint.
    pub kid: Option<&'a str>,
    pub scope: &'a str,
    /// A FHIR search relative to the base, e.g. `Patient?_count=5`.
    pub query: &'a str,
}

fn unreachable(url: &str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Unreachable {
        url: url.to_string(),
        reason: e.to_string(),
    }
}

/// Reads a PEM private key (RSA or EC P-384) for client assertions.
pub fn load_key(path: &Path) -> Result<SigningKey, ClientError> {
    let pem = std::fs::read_to_string(path)
        .map_err(|e| ClientError::Usage(format!("--private-key {}: {e}", path.display())))?;
    SigningKey::from_pem(&pem)
        .map_err(|e| ClientError::Usage(format!("--private-key {}: {e}", path.display())))
}

/// The token endpoint SMART discovery (`[base]/.well-known/smart-configuration`) names.
pub fn discover_token_endpoint(http: &Http, fhir_base: &str) -> Result<String, ClientError> {
    let base = fhir_base.trim_end_matches('/');
    let discovery_url = format!("{base}/.well-known/smart-configuration");
    let discovery: Value = http
        .plain()
        .get(&discovery_url)
        .send()
        .and_then(reqwest::blocking::Response::error_for_status)
        .and_then(reqwest::blocking::Response::json)
        .map_err(|e| unreachable(&discovery_url, e))?;
    discovery["token_endpoint"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| unreachable(&discovery_url, "no token_endpoint"))
}

/// What a system token is asked with.
pub struct SystemTokenRequest<'a> {
    pub token_url: &'a str,
    pub client_id: &'a str,
    pub key: &'a SigningKey,
    pub kid: &'a str,
    pub scope: &'a str,
}

/// `client_credentials` with a `private_key_jwt` assertion made at `now` (unix seconds): the
/// token response (its `access_token` is secret: never print it).
pub fn system_token(
    http: &Http,
    r: &SystemTokenRequest<'_>,
    now: i64,
) -> Result<Value, ClientError> {
    let assertion = r
        .key
        .client_assertion(r.kid, r.client_id, r.token_url, now, MAX_LIFETIME - 60)
        .map_err(ClientError::Usage)?;
    let response = http
        .plain()
        .post(r.token_url)
        .form(&[
            ("grant_type", "client_credentials"),
            ("scope", r.scope),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ])
        .send()
        .map_err(|e| unreachable(r.token_url, e))?;
    let status = response.status();
    let body: Value = response.json().unwrap_or_default();
    if !status.is_success() {
        return Err(ClientError::Usage(format!(
            "the token endpoint refused ({status}): {} {}",
            body["error"].as_str().unwrap_or("?"),
            body["error_description"].as_str().unwrap_or("")
        )));
    }
    Ok(body)
}

/// Discovery, then a system token for `b` at `now` (unix seconds): the token response.
pub fn backend_token(http: &Http, b: &Backend<'_>, now: i64) -> Result<Value, ClientError> {
    let key = load_key(b.private_key)?;
    let kid = b.kid.map_or_else(|| key.thumbprint(), str::to_string);
    let token_url = discover_token_endpoint(http, b.fhir_base)?;
    system_token(
        http,
        &SystemTokenRequest {
            token_url: &token_url,
            client_id: b.client_id,
            key: &key,
            kid: &kid,
            scope: b.scope,
        },
        now,
    )
}

/// Runs the flow at `now` (unix seconds); the lines to print.
pub fn run(http: &Http, b: &Backend<'_>, now: i64) -> Result<Vec<String>, ClientError> {
    let body = backend_token(http, b, now)?;
    let base = b.fhir_base.trim_end_matches('/');
    let token = body["access_token"].as_str().unwrap_or_default();
    let mut lines = vec![format!(
        "system token: scope \"{}\", expires in {} s, refresh token: {}",
        body["scope"].as_str().unwrap_or(""),
        body["expires_in"],
        if body.get("refresh_token").is_some() {
            "yes"
        } else {
            "no"
        }
    )];
    let url = format!("{base}/{}", b.query.trim_start_matches('/'));
    let bundle: Value = http
        .plain()
        .get(&url)
        .bearer_auth(token)
        .header(reqwest::header::ACCEPT, "application/fhir+json")
        .send()
        .and_then(reqwest::blocking::Response::error_for_status)
        .and_then(reqwest::blocking::Response::json)
        .map_err(|e| unreachable(&url, e))?;
    lines.push(format!("GET {url}: total {}", bundle["total"]));
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let r = &entry["resource"];
        lines.push(format!(
            "  {}/{}",
            r["resourceType"].as_str().unwrap_or("?"),
            r["id"].as_str().unwrap_or("?")
        ));
    }
    Ok(lines)
}
