//! UDAP Dynamic Client Registration (UDAP Security IG STU2 §3): `POST /v2/o/register` with a
//! software statement signed by the app's certificate key, its `x5c` chaining to a trusted
//! anchor. Every check the IG lists, its error codes (RFC 7591 §3.2.2), re-registration (the
//! same certificate SAN gets the same client id back, updated) and cancellation (an empty
//! `grant_types` deletes the registration).

use serde_json::{json, Value};

use super::Udap;
use crate::audit::AuditRecord;
use crate::auth::db::{secret_key, CLIENTS, JTIS};
use crate::auth::jws::Jws;
use crate::auth::records::{Client, ClientKind, JtiRecord, UdapClient};
use crate::auth::scopes::ScopeSet;
use crate::auth::x509::{self, ChainError};
use crate::auth::{keys::random_token, AuthServer};
use crate::store::StoreError;

/// A refused registration: always 400, with an RFC 7591 error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct DcrError {
    pub error: &'static str,
    pub description: String,
}

fn invalid_statement(d: impl Into<String>) -> DcrError {
    DcrError {
        error: "invalid_software_statement",
        description: d.into(),
    }
}
fn unapproved(d: impl Into<String>) -> DcrError {
    DcrError {
        error: "unapproved_software_statement",
        description: d.into(),
    }
}
fn invalid_metadata(d: impl Into<String>) -> DcrError {
    DcrError {
        error: "invalid_client_metadata",
        description: d.into(),
    }
}
fn server_error(e: &StoreError) -> DcrError {
    tracing::error!("UDAP registration store error: {e}");
    DcrError {
        error: "server_error",
        description: "the server could not complete the registration".into(),
    }
}

/// The longest a software statement may live (IG: exp no more than 5 minutes after iat).
const MAX_LIFETIME: i64 = 300;
const SKEW: i64 = 30;

/// What a valid software statement registers.
struct Statement {
    iss: String,
    client_name: String,
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
    scope: Option<String>,
}

impl Udap {
    /// Handles a registration request body: `(status, response body)` — 201 for a new app,
    /// 200 for a re-registration or a cancellation — or the refusal.
    pub fn register(
        &self,
        auth: &AuthServer,
        body: &[u8],
        registration_endpoint: &str,
        now: i64,
    ) -> Result<(u16, Value), DcrError> {
        let result = self.register_inner(auth, body, registration_endpoint, now);
        let (outcome, detail, client_id) = match &result {
            Ok((status, body)) => (
                "success".to_string(),
                format!("UDAP registration ({status})"),
                body["client_id"].as_str().map(str::to_string),
            ),
            Err(e) => (e.error.to_string(), e.description.clone(), None),
        };
        crate::audit::record(
            auth.store(),
            AuditRecord {
                at: now,
                event: "udap_register".into(),
                outcome,
                client_id,
                detail: Some(detail),
                ..AuditRecord::default()
            },
        );
        result
    }

    fn register_inner(
        &self,
        auth: &AuthServer,
        body: &[u8],
        registration_endpoint: &str,
        now: i64,
    ) -> Result<(u16, Value), DcrError> {
        let request: Value = serde_json::from_slice(body)
            .map_err(|e| invalid_metadata(format!("the body is not JSON: {e}")))?;
        if let Some(udap) = request.get("udap") {
            if udap != "1" {
                return Err(invalid_metadata("udap must be \"1\""));
            }
        }
        let jwt = request["software_statement"]
            .as_str()
            .ok_or_else(|| invalid_statement("software_statement is missing"))?;
        let statement = self.check_statement(jwt, registration_endpoint, now)?;
        let jti_key = secret_key(&format!(
            "udap-dcr\0{}\0{}",
            statement.iss,
            Jws::parse(jwt)
                .map(|j| j.claims["jti"].as_str().unwrap_or_default().to_string())
                .unwrap_or_default()
        ));
        let existing = auth
            .db
            .clients()
            .map_err(|e| server_error(&e))?
            .into_iter()
            .find(|c| c.udap.as_ref().is_some_and(|u| u.iss == statement.iss));
        let exp = Jws::parse(jwt)
            .ok()
            .and_then(|j| j.claims["exp"].as_i64())
            .unwrap_or(now);
        auth.db
            .write(|tx| -> Result<Result<(u16, Value), DcrError>, StoreError> {
                if let Some(seen) = tx.get::<JtiRecord>(JTIS, &jti_key)? {
                    if seen.expires_at >= now {
                        return Ok(Err(invalid_statement(
                            "the software statement's jti was already used",
                        )));
                    }
                }
                tx.put(
                    JTIS,
                    &jti_key,
                    &JtiRecord {
                        client_id: statement.iss.clone(),
                        expires_at: exp + SKEW,
                    },
                )?;
                // Cancellation: an empty grant_types.
                if statement.grant_types.is_empty() {
                    return match &existing {
                        Some(c) => {
                            tx.remove(CLIENTS, &c.client_id)?;
                            Ok(Ok((200, json!({"client_id": c.client_id, "grant_types": []}))))
                        }
                        None => Ok(Err(invalid_metadata(
                            "grant_types is empty (cancellation) but no registration exists for this iss",
                        ))),
                    };
                }
                let scopes = registered_scopes(&statement);
                let client = Client {
                    client_id: existing
                        .as_ref()
                        .map(|c| c.client_id.clone())
                        .unwrap_or_else(|| format!("udap-{}", &random_token()[..22])),
                    name: statement.client_name.clone(),
                    kind: ClientKind::Confidential,
                    secret_hash: None,
                    redirect_uris: statement.redirect_uris.clone(),
                    scopes: scopes.to_string(),
                    pkce_required: false,
                    owner: None,
                    created_at: existing.as_ref().map_or(now, |c| c.created_at),
                    grant_model: existing.as_ref().map_or_else(Default::default, |c| c.grant_model),
                    simulated_failures: existing
                        .as_ref()
                        .map(|c| c.simulated_failures.clone())
                        .unwrap_or_default(),
                    jwks: None,
                    udap: Some(UdapClient {
                        iss: statement.iss.clone(),
                        grant_types: statement.grant_types.clone(),
                    }),
                };
                tx.put(CLIENTS, &client.client_id, &client)?;
                let mut out = json!({
                    "client_id": client.client_id,
                    "software_statement": jwt,
                    "client_name": client.name,
                    "grant_types": statement.grant_types,
                    "token_endpoint_auth_method": "private_key_jwt",
                    "scope": client.scopes,
                });
                if !statement.redirect_uris.is_empty() {
                    out["redirect_uris"] = json!(statement.redirect_uris);
                    out["response_types"] = json!(["code"]);
                }
                Ok(Ok((if existing.is_some() { 200 } else { 201 }, out)))
            })
            .map_err(|e| server_error(&e))?
    }

    /// Every check of the software statement, in the IG's order of concern.
    fn check_statement(
        &self,
        jwt: &str,
        registration_endpoint: &str,
        now: i64,
    ) -> Result<Statement, DcrError> {
        let jws =
            Jws::parse(jwt).map_err(|e| invalid_statement(format!("software_statement: {e}")))?;
        jws.alg()
            .map_err(|e| invalid_statement(format!("software_statement: {e}")))?;
        let x5c = x509::x5c_of(&jws.header)
            .map_err(|e| invalid_statement(format!("software_statement header: {e}")))?;
        let leaf = x509::verify(&x5c, self.anchors(), now).map_err(|e| match e {
            ChainError::Untrusted | ChainError::Validity(_) => unapproved(e.to_string()),
            other => invalid_statement(other.to_string()),
        })?;
        jws.verify_with_key(&leaf.public_key).map_err(|e| {
            invalid_statement(format!(
                "software_statement: {e} with the key of the x5c certificate"
            ))
        })?;
        let c = &jws.claims;
        let text = |k: &str| c[k].as_str().filter(|s| !s.is_empty());
        let iss = text("iss").ok_or_else(|| invalid_statement("iss is missing"))?;
        if !leaf.san_uris.iter().any(|u| u == iss) {
            return Err(invalid_statement(format!(
                "iss {iss} is not a uniformResourceIdentifier SAN of the certificate ({})",
                leaf.san_uris.join(", ")
            )));
        }
        if text("sub") != Some(iss) {
            return Err(invalid_statement("sub must equal iss"));
        }
        if text("aud") != Some(registration_endpoint) {
            return Err(invalid_statement(format!(
                "aud must be the registration endpoint {registration_endpoint}"
            )));
        }
        let exp = c["exp"]
            .as_i64()
            .ok_or_else(|| invalid_statement("exp is missing"))?;
        let iat = c["iat"]
            .as_i64()
            .ok_or_else(|| invalid_statement("iat is missing"))?;
        if exp + SKEW <= now {
            return Err(invalid_statement("the software statement has expired"));
        }
        if iat > now + SKEW {
            return Err(invalid_statement("iat is in the future"));
        }
        if exp - iat > MAX_LIFETIME {
            return Err(invalid_statement(format!(
                "exp must be at most {MAX_LIFETIME} seconds after iat"
            )));
        }
        if text("jti").is_none_or(|j| j.len() > 256) {
            return Err(invalid_statement("jti is missing (1 to 256 characters)"));
        }
        let client_name = text("client_name")
            .ok_or_else(|| invalid_metadata("client_name is missing"))?
            .to_string();
        let grant_types: Vec<String> = c["grant_types"]
            .as_array()
            .ok_or_else(|| invalid_metadata("grant_types is missing"))?
            .iter()
            .map(|g| g.as_str().unwrap_or_default().to_string())
            .collect();
        for g in &grant_types {
            if !["authorization_code", "refresh_token", "client_credentials"].contains(&g.as_str())
            {
                return Err(invalid_metadata(format!("grant type {g} is not supported")));
            }
        }
        let has = |g: &str| grant_types.iter().any(|x| x == g);
        if has("authorization_code") && has("client_credentials") {
            return Err(invalid_metadata(
                "authorization_code and client_credentials cannot be registered together",
            ));
        }
        if has("refresh_token") && !has("authorization_code") {
            return Err(invalid_metadata(
                "refresh_token is only allowed with authorization_code",
            ));
        }
        if !grant_types.is_empty() && text("token_endpoint_auth_method") != Some("private_key_jwt")
        {
            return Err(invalid_metadata(
                "token_endpoint_auth_method must be private_key_jwt",
            ));
        }
        let redirect_uris: Vec<String> = c["redirect_uris"]
            .as_array()
            .map(|l| {
                l.iter()
                    .filter_map(|u| u.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if has("authorization_code") {
            if redirect_uris.is_empty() {
                return Err(DcrError {
                    error: "invalid_redirect_uri",
                    description: "authorization_code needs redirect_uris".into(),
                });
            }
            for uri in &redirect_uris {
                crate::auth::clients::check_redirect_uri(uri).map_err(|d| DcrError {
                    error: "invalid_redirect_uri",
                    description: d,
                })?;
            }
            if c["response_types"] != json!(["code"]) {
                return Err(invalid_metadata(
                    "response_types must be [\"code\"] with authorization_code",
                ));
            }
        } else if !redirect_uris.is_empty() {
            return Err(invalid_metadata(
                "redirect_uris are only allowed with authorization_code",
            ));
        }
        Ok(Statement {
            iss: iss.to_string(),
            client_name,
            grant_types,
            redirect_uris,
            scope: text("scope").map(str::to_string),
        })
    }
}

/// The scopes a UDAP app may be granted: `system/` for client_credentials, the patient-facing
/// ones for the code flow; what it asked for within those, or all of them.
fn registered_scopes(statement: &Statement) -> ScopeSet {
    let system = statement
        .grant_types
        .iter()
        .any(|g| g == "client_credentials");
    let allowed = if system {
        ScopeSet::parse("system/*.read system/*.rs")
    } else {
        ScopeSet::parse(crate::auth::clients::DEFAULT_SCOPES)
    };
    match &statement.scope {
        Some(s) => {
            let asked = allowed.allowed_subset(&ScopeSet::parse(s));
            if asked.is_empty() {
                allowed
            } else {
                asked
            }
        }
        None => allowed,
    }
}
