//! The token endpoint (authorization_code, refresh_token), RFC 7009 revocation and RFC 7662
//! introspection.

use std::collections::HashMap;
use std::net::IpAddr;

use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use super::clients::secret_matches;
use super::db::{secret_key, Tx, CODES, GRANTS, TOKENS};
use super::failures::Failure;
use super::keys::random_token;
use super::pkce::s256_challenge;
use super::records::{
    simulated_failures, Client, ClientKind, CodeRecord, Grant, GrantModel, TokenKind, TokenRecord,
};
use super::scopes::{Scope, ScopeSet};
use super::throttle::Account;
use super::{AuthServer, OAuthCode, OAuthError};
use crate::audit::AuditRecord;
use crate::store::StoreError;

/// Lifetime of a backend-services access token (SMART recommends five minutes at most).
pub const SYSTEM_TOKEN_TTL: i64 = 300;

/// A request to the token, revocation or introspection endpoint: its form fields (from a
/// urlencoded or multipart body) and HTTP Basic credentials, if any.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    pub params: HashMap<String, String>,
    /// `(client_id, client_secret)` from `Authorization: Basic` (already decoded).
    pub basic: Option<(String, String)>,
    /// Who sent it (the TCP peer), for the budget of failed client authentications.
    pub client_address: Option<IpAddr>,
    /// The token endpoint's URL as the client sees it: the `aud` of client assertions.
    pub token_endpoint: String,
}

impl TokenRequest {
    /// A form field, None when absent or empty.
    pub fn param(&self, k: &str) -> Option<&str> {
        self.get(k)
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.params
            .get(k)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }
}

/// The outcome of a step that must commit even when it refuses (a replayed code revokes
/// its grant; every refusal is audited).
type Decided = Result<Value, OAuthError>;

impl AuthServer {
    /// Who is calling: None when the request names no client at all. A secret is checked
    /// only within the budgets of the client address and of the client id (429 beyond them).
    fn authenticate(&self, req: &TokenRequest, now: i64) -> Result<Option<Client>, OAuthError> {
        if req.get("client_assertion").is_some() || req.get("client_assertion_type").is_some() {
            if req.basic.is_some() || req.get("client_secret").is_some() {
                return Err(OAuthError::invalid_client(
                    "authenticate one way: a client assertion or a client secret, not both",
                ));
            }
            return self.authenticate_assertion(req, now).map(Some);
        }
        let body_id = req.get("client_id");
        let (id, secret) = match (&req.basic, req.get("client_secret")) {
            (Some((id, secret)), _) => {
                if body_id.is_some_and(|b| b != id) {
                    return Err(OAuthError::invalid_client(
                        "client_id in the body differs from the Basic credentials",
                    ));
                }
                (id.as_str(), Some(secret.as_str()))
            }
            (None, Some(secret)) => match body_id {
                Some(id) => (id, Some(secret)),
                None => {
                    return Err(OAuthError::invalid_client(
                        "client_secret was sent without client_id",
                    ))
                }
            },
            (None, None) => match body_id {
                Some(id) => (id, None),
                None => return Ok(None),
            },
        };
        let attempt = match secret {
            Some(_) => Some(
                self.throttles
                    .attempt(req.client_address, Account::Client, id, now)
                    .map_err(OAuthError::throttled)?,
            ),
            None => None,
        };
        let client = self
            .db
            .client(id)?
            .ok_or_else(|| OAuthError::invalid_client(format!("no app is registered as {id}")))?;
        match (client.kind, secret) {
            (ClientKind::Confidential, Some(s)) if secret_matches(&client, s) => {
                if let Some(attempt) = attempt {
                    attempt.succeeded();
                }
                Ok(Some(client))
            }
            (ClientKind::Confidential, Some(_)) => {
                Err(OAuthError::invalid_client("the client secret is wrong"))
            }
            (ClientKind::Confidential, None) if client.jwks.is_some() => {
                Err(OAuthError::invalid_client(
                    "this app authenticates with a signed client assertion (private_key_jwt)",
                ))
            }
            (ClientKind::Confidential, None) => Err(OAuthError::invalid_client(
                "this app is confidential: authenticate with its client secret",
            )),
            (ClientKind::Public, None) => Ok(Some(client)),
            (ClientKind::Public, Some(_)) => Err(OAuthError::invalid_client(
                "this app is public and has no secret",
            )),
        }
    }

    /// `POST /token`: the response body, or the error to send.
    pub fn token(&self, req: &TokenRequest, issuer: &str, now: i64) -> Result<Value, OAuthError> {
        let audit_failure = |e: &OAuthError, event: &str| {
            let record = AuditRecord {
                at: now,
                event: event.into(),
                outcome: e.error.as_str().into(),
                client_id: req
                    .basic
                    .as_ref()
                    .map(|b| b.0.clone())
                    .or_else(|| req.get("client_id").map(str::to_string)),
                detail: Some(e.description.clone()),
                ..AuditRecord::default()
            };
            crate::audit::record(self.store(), record);
        };
        let result = match req.get("grant_type") {
            Some("authorization_code") => self.exchange_code(req, issuer, now),
            Some("refresh_token") => self.refresh(req, issuer, now),
            Some("client_credentials") => self.client_credentials(req, now),
            Some(other) => Err(OAuthError::new(
                400,
                OAuthCode::UnsupportedGrantType,
                format!(
                    "grant_type {other} is not supported \
                     (authorization_code, refresh_token, client_credentials)"
                ),
            )),
            None => Err(OAuthError::invalid_request("grant_type is missing")),
        };
        if let Err(e) = &result {
            // Refusals decided inside a transaction were audited there; throttled ones are
            // not, so that a flood of them writes nothing.
            if !matches!(
                e.error,
                OAuthCode::InvalidGrant
                    | OAuthCode::InvalidScope
                    | OAuthCode::TemporarilyUnavailable
            ) {
                audit_failure(e, "token");
            }
        }
        result
    }

    fn exchange_code(&self, req: &TokenRequest, issuer: &str, now: i64) -> Decided {
        let client = self.authenticate(req, now)?.ok_or_else(|| {
            OAuthError::invalid_client("name the app: client_id, or HTTP Basic credentials")
        })?;
        let code = req
            .get("code")
            .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
        let key = secret_key(code);
        self.db.write(|tx| -> Result<Decided, StoreError> {
            let refuse = |tx: &mut Tx<'_>, e: OAuthError, grant: Option<&Grant>| {
                tx.audit(&AuditRecord {
                    at: now,
                    event: "token".into(),
                    outcome: e.error.as_str().into(),
                    client_id: Some(client.client_id.clone()),
                    user: grant.map(|g| g.username.clone()),
                    patient: grant.map(|g| g.patient.clone()),
                    detail: Some(e.description.clone()),
                    ..AuditRecord::default()
                })?;
                Ok(Err(e))
            };
            let Some(mut record) = tx.get::<CodeRecord>(CODES, &key)? else {
                return refuse(tx, OAuthError::invalid_grant("the authorization code is not known"), None);
            };
            let grant: Option<Grant> = tx.get(GRANTS, &record.grant_id)?;
            if simulated_failures(Some(&client), grant.as_ref()).contains(Failure::TokenInvalidClient) {
                return refuse(tx, simulated_invalid_client(), grant.as_ref());
            }
            if record.used {
                // RFC 6749 §4.1.2: a replayed code revokes what it issued.
                tx.revoke_grant(&record.grant_id, now)?;
                return refuse(
                    tx,
                    OAuthError::invalid_grant(
                        "the authorization code was already used; the tokens issued from it are revoked",
                    ),
                    grant.as_ref(),
                );
            }
            record.used = true;
            tx.put(CODES, &key, &record)?;
            if record.client_id != client.client_id {
                return refuse(tx, OAuthError::invalid_grant("the code was issued to another app"), grant.as_ref());
            }
            if record.expires_at <= now {
                return refuse(tx, OAuthError::invalid_grant("the authorization code has expired"), grant.as_ref());
            }
            // RFC 6749 §4.1.3: required when the authorization request had one, and the same.
            match req.get("redirect_uri") {
                None if record.redirect_uri_required => {
                    return refuse(
                        tx,
                        OAuthError::invalid_grant("redirect_uri is required: the authorization request named one"),
                        grant.as_ref(),
                    );
                }
                Some(r) if r != record.redirect_uri => {
                    return refuse(
                        tx,
                        OAuthError::invalid_grant("redirect_uri differs from the one in the authorization request"),
                        grant.as_ref(),
                    );
                }
                _ => {}
            }
            if let Some(challenge) = &record.code_challenge {
                if let Err(e) = verify_pkce(challenge, req.get("code_verifier")) {
                    return refuse(tx, e, grant.as_ref());
                }
            }
            let Some(grant) = grant.filter(|g| g.is_live(now)) else {
                return refuse(tx, OAuthError::invalid_grant("the authorization was revoked"), None);
            };
            let scopes = ScopeSet::parse(&grant.scopes);
            let body = self.issue(tx, &grant, &scopes, record.nonce.as_deref(), issuer, now)?;
            tx.audit(&AuditRecord {
                detail: Some("authorization_code".into()),
                ..grant.audit(now, "token", "success")
            })?;
            Ok(Ok(body))
        })?
    }

    fn refresh(&self, req: &TokenRequest, issuer: &str, now: i64) -> Decided {
        let caller = self.authenticate(req, now)?;
        let refresh = req
            .get("refresh_token")
            .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
        let key = secret_key(refresh);
        let requested = req.get("scope").map(ScopeSet::parse);
        self.db.write(|tx| -> Result<Decided, StoreError> {
            let refuse = |tx: &mut Tx<'_>, e: OAuthError, rec: Option<&TokenRecord>| {
                tx.audit(&AuditRecord {
                    at: now,
                    event: "refresh".into(),
                    outcome: e.error.as_str().into(),
                    client_id: rec.map(|r| r.client_id.clone()),
                    patient: rec.map(|r| r.patient.clone()),
                    detail: Some(e.description.clone()),
                    ..AuditRecord::default()
                })?;
                Ok(Err(e))
            };
            let record = match tx.get::<TokenRecord>(TOKENS, &key)? {
                Some(r) if r.kind == TokenKind::Refresh => r,
                _ => return refuse(tx, OAuthError::invalid_grant("the refresh token is not known"), None),
            };
            match &caller {
                Some(c) if c.client_id != record.client_id => {
                    return refuse(tx, OAuthError::invalid_grant("the refresh token was issued to another app"), Some(&record));
                }
                Some(_) => {}
                // A public app may refresh without naming itself (npm fhirclient does).
                None => {
                    let owner: Option<Client> = tx.get(super::db::CLIENTS, &record.client_id)?;
                    if !owner.is_some_and(|c| c.kind == ClientKind::Public) {
                        return refuse(tx, OAuthError::invalid_client("authenticate with the app's client credentials"), Some(&record));
                    }
                }
            }
            if record.used {
                tx.revoke_grant(&record.grant_id, now)?;
                return refuse(
                    tx,
                    OAuthError::invalid_grant(
                        "the refresh token was already used; every token of this authorization is revoked",
                    ),
                    Some(&record),
                );
            }
            let grant = tx.get::<Grant>(GRANTS, &record.grant_id)?;
            let app: Option<Client> = match &caller {
                Some(c) => Some(c.clone()),
                None => tx.get(super::db::CLIENTS, &record.client_id)?,
            };
            // Blue Button: a one-time app may not refresh (APPLICATION_ONE_TIME_REFRESH_NOT_ALLOWED).
            let one_time = grant.as_ref().is_some_and(|g| g.model == GrantModel::OneTime)
                || app.as_ref().is_some_and(|c| c.grant_model == GrantModel::OneTime);
            let failures = simulated_failures(app.as_ref(), grant.as_ref());
            if failures.contains(Failure::TokenInvalidClient) {
                return refuse(tx, simulated_invalid_client(), Some(&record));
            }
            if failures.contains(Failure::RefreshRejected) {
                return refuse(
                    tx,
                    OAuthError::invalid_grant(
                        "the refresh token has expired (simulated failure refresh_rejected)",
                    ),
                    Some(&record),
                );
            }
            if one_time {
                return refuse(
                    tx,
                    OAuthError::new(403, OAuthCode::InvalidClient, "this app has one-time access: it may not refresh tokens; ask the beneficiary again"),
                    Some(&record),
                );
            }
            if record.revoked {
                return refuse(tx, OAuthError::invalid_grant("the refresh token was revoked"), Some(&record));
            }
            let grant = match grant {
                Some(g) if g.revoked_at.is_some() => {
                    return refuse(
                        tx,
                        OAuthError::invalid_grant("the beneficiary's authorization of this app was revoked"),
                        Some(&record),
                    )
                }
                Some(g) if g.is_live(now) && record.expires_at > now => g,
                Some(g) => {
                    let ended = rfc3339(g.expires_at.min(record.expires_at)).unwrap_or_default();
                    return refuse(
                        tx,
                        OAuthError::invalid_grant(format!(
                            "the authorization for accessing user data has expired (access_grant_expiration {ended}); ask the beneficiary again"
                        )),
                        Some(&record),
                    )
                }
                None => {
                    return refuse(
                        tx,
                        OAuthError::invalid_grant("the beneficiary's authorization of this app is not known"),
                        Some(&record),
                    )
                }
            };
            let granted = ScopeSet::parse(&record.scopes);
            let scopes = match requested {
                Some(r) if !r.is_subset_of(&granted) => {
                    return refuse(tx, OAuthError::invalid_scope("scope may only narrow the original grant"), Some(&record));
                }
                Some(r) if !r.is_empty() => r,
                _ => granted,
            };
            let mut used = record.clone();
            used.used = true;
            tx.put(TOKENS, &key, &used)?;
            let body = self.issue(tx, &grant, &scopes, None, issuer, now)?;
            tx.audit(&AuditRecord {
                scopes: Some(scopes.to_string()),
                ..grant.audit(now, "refresh", "success")
            })?;
            Ok(Ok(body))
        })?
    }

    /// Backend services (SMART App Launch 2.2): an app with registered keys trades a signed
    /// client assertion for a short-lived access token to its `system/` scopes. No beneficiary,
    /// no refresh token; the token reads every patient's data its scopes name.
    fn client_credentials(&self, req: &TokenRequest, now: i64) -> Decided {
        if req.get("client_assertion").is_none() {
            return Err(OAuthError::invalid_client(
                "client_credentials needs a signed client assertion (private_key_jwt)",
            ));
        }
        if req.basic.is_some() || req.get("client_secret").is_some() {
            return Err(OAuthError::invalid_client(
                "authenticate one way: a client assertion or a client secret, not both",
            ));
        }
        // The jti is recorded in the transaction that issues the token: one commit.
        let (client, jti) = self.verify_assertion(req, now)?;
        if client
            .udap
            .as_ref()
            .is_some_and(|u| !u.grant_types.iter().any(|g| g == "client_credentials"))
        {
            return Err(OAuthError::new(
                400,
                OAuthCode::UnauthorizedClient,
                "this app was not registered (UDAP) for the client_credentials grant",
            ));
        }
        let b2b = b2b_extension(req.get("client_assertion").unwrap_or_default())?;
        let registered = ScopeSet::parse(&client.scopes).only_system();
        let scopes = match req.get("scope") {
            None => registered.clone(),
            Some(requested) => registered.allowed_subset(&ScopeSet::parse(requested)),
        };
        let ttl = self.config.access_token_ttl.min(SYSTEM_TOKEN_TTL);
        self.db.write(|tx| -> Result<Decided, StoreError> {
            if !jti.record(tx, now)? {
                return Ok(Err(OAuthError::invalid_client(super::assertion::REPLAYED)));
            }
            let refusal = if registered.is_empty() {
                Some(OAuthError::new(
                    400,
                    OAuthCode::UnauthorizedClient,
                    "this app is not registered for system/ scopes (backend services)",
                ))
            } else if scopes.is_empty() {
                Some(OAuthError::invalid_scope(format!(
                    "none of the requested scopes can be granted to this app (registered: {registered})"
                )))
            } else {
                None
            };
            if let Some(e) = refusal {
                tx.audit(&AuditRecord {
                    at: now,
                    event: "token".into(),
                    outcome: e.error.as_str().into(),
                    client_id: Some(client.client_id.clone()),
                    detail: Some(format!("client_credentials: {}", e.description)),
                    ..AuditRecord::default()
                })?;
                return Ok(Err(e));
            }
            let grant = Grant {
                id: random_token(),
                client_id: client.client_id.clone(),
                patient: String::new(),
                username: String::new(),
                scopes: scopes.to_string(),
                created_at: now,
                expires_at: now + ttl,
                revoked_at: None,
                model: Default::default(),
                simulated_failures: Vec::new(),
                system: true,
            };
            tx.put(GRANTS, &grant.id, &grant)?;
            let access = random_token();
            tx.put(
                TOKENS,
                &secret_key(&access),
                &TokenRecord {
                    kind: TokenKind::Access,
                    grant_id: grant.id.clone(),
                    client_id: client.client_id.clone(),
                    patient: String::new(),
                    scopes: grant.scopes.clone(),
                    issued_at: now,
                    expires_at: now + ttl,
                    revoked: false,
                    used: false,
                },
            )?;
            tx.audit(&AuditRecord {
                at: now,
                event: "token".into(),
                outcome: "success".into(),
                client_id: Some(client.client_id.clone()),
                scopes: Some(grant.scopes.clone()),
                detail: Some(format!(
                    "client_credentials (system token: every patient){}",
                    b2b.map(|b| format!("; hl7-b2b {b}")).unwrap_or_default()
                )),
                ..AuditRecord::default()
            })?;
            Ok(Ok(json!({
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": ttl,
                "scope": grant.scopes,
            })))
        })?
    }

    /// Writes a new access token (and refresh token, with offline_access) and builds the
    /// response body.
    fn issue(
        &self,
        tx: &mut Tx<'_>,
        grant: &Grant,
        scopes: &ScopeSet,
        nonce: Option<&str>,
        issuer: &str,
        now: i64,
    ) -> Result<Value, StoreError> {
        // No access token outlives its authorization (a one-time grant lasts one hour).
        let ttl = self
            .config
            .access_token_ttl
            .min(grant.expires_at - now)
            .max(0);
        let access = random_token();
        let record = |kind, expires_at| TokenRecord {
            kind,
            grant_id: grant.id.clone(),
            client_id: grant.client_id.clone(),
            patient: grant.patient.clone(),
            scopes: scopes.to_string(),
            issued_at: now,
            expires_at,
            revoked: false,
            used: false,
        };
        tx.put(
            TOKENS,
            &secret_key(&access),
            &record(TokenKind::Access, now + ttl),
        )?;
        let mut body = Map::new();
        body.insert("access_token".into(), json!(access));
        body.insert("token_type".into(), json!("Bearer"));
        body.insert("expires_in".into(), json!(ttl));
        body.insert("scope".into(), json!(scopes.to_string()));
        if scopes.contains(&Scope::OfflineAccess) && grant.model != GrantModel::OneTime {
            let refresh = random_token();
            tx.put(
                TOKENS,
                &secret_key(&refresh),
                &record(TokenKind::Refresh, grant.expires_at),
            )?;
            body.insert("refresh_token".into(), json!(refresh));
        }
        body.insert("patient".into(), json!(grant.patient));
        if scopes.contains(&Scope::OpenId)
            && (scopes.contains(&Scope::FhirUser) || scopes.contains(&Scope::Profile))
        {
            let mut claims = json!({
                "iss": issuer,
                "sub": grant.patient,
                "aud": grant.client_id,
                "exp": now + ttl,
                "iat": now,
                "fhirUser": format!("{issuer}/Patient/{}", grant.patient),
            });
            if let Some(n) = nonce {
                claims["nonce"] = json!(n);
            }
            match self.keys.sign_jwt(&claims) {
                Ok(jwt) => {
                    body.insert("id_token".into(), json!(jwt));
                }
                Err(e) => tracing::error!("no id_token: {e}"),
            }
        }
        if let Some(expiry) = rfc3339(grant.expires_at) {
            body.insert("access_grant_expiration".into(), json!(expiry));
        }
        Ok(Value::Object(body))
    }

    /// RFC 7009. Revoking a refresh token ends the whole authorization; an access token ends
    /// alone. Unknown tokens are not an error.
    pub fn revoke(&self, req: &TokenRequest, now: i64) -> Result<(), OAuthError> {
        let client = self.authenticate(req, now)?.ok_or_else(|| {
            OAuthError::invalid_client("name the app: client_id, or HTTP Basic credentials")
        })?;
        let token = req
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token is missing"))?;
        let key = secret_key(token);
        self.db
            .write(|tx| -> Result<Result<(), OAuthError>, StoreError> {
                let Some(mut record) = tx.get::<TokenRecord>(TOKENS, &key)? else {
                    return Ok(Ok(()));
                };
                if record.client_id != client.client_id {
                    return Ok(Err(OAuthError::new(
                        403,
                        OAuthCode::UnauthorizedClient,
                        "the token was issued to another app",
                    )));
                }
                record.revoked = true;
                tx.put(TOKENS, &key, &record)?;
                if record.kind == TokenKind::Refresh {
                    tx.revoke_grant(&record.grant_id, now)?;
                }
                tx.audit(&AuditRecord {
                    at: now,
                    event: "revoke".into(),
                    outcome: "success".into(),
                    client_id: Some(record.client_id.clone()),
                    patient: Some(record.patient.clone()),
                    scopes: Some(record.scopes.clone()),
                    detail: Some(format!("{:?} token", record.kind).to_lowercase()),
                    ..AuditRecord::default()
                })?;
                Ok(Ok(()))
            })?
    }

    /// Sandbox only, Blue Button's `POST /v2/o/expire_authenticated_user/{patient}`: the
    /// authenticated app's authorizations by that beneficiary end now (tokens stop working,
    /// refresh is refused as expired). Answers how many were live.
    pub fn expire_authenticated_user(
        &self,
        req: &TokenRequest,
        patient: &str,
        now: i64,
    ) -> Result<Value, OAuthError> {
        let client = self.authenticate(req, now)?.ok_or_else(|| {
            OAuthError::invalid_client("name the app: client_id, or HTTP Basic credentials")
        })?;
        let ended =
            self.db
                .end_app_for(&client.client_id, patient, now, super::db::Ending::Expire)?;
        Ok(json!({"patient": patient, "client_id": client.client_id, "expired_grants": ended}))
    }

    /// RFC 7662. Any registered confidential app may introspect; a public app only its own
    /// tokens. Anything not active is exactly `{"active":false}`.
    pub fn introspect(
        &self,
        req: &TokenRequest,
        issuer: &str,
        now: i64,
    ) -> Result<Value, OAuthError> {
        let client = self.authenticate(req, now)?.ok_or_else(|| {
            OAuthError::invalid_client("introspection needs client authentication")
        })?;
        let inactive = json!({"active": false});
        let Some(token) = req.get("token") else {
            return Ok(inactive);
        };
        let Some(record) = self.db.token(token)? else {
            return Ok(inactive);
        };
        if client.kind == ClientKind::Public && record.client_id != client.client_id {
            return Ok(inactive);
        }
        let grant = self.db.grant(&record.grant_id)?;
        let live_grant = grant.as_ref().is_some_and(|g| g.is_live(now));
        // `access_token_expires_early`: introspection agrees with the FHIR API.
        let expired_early = record.kind == TokenKind::Access
            && now >= record.issued_at + super::failures::EARLY_EXPIRY_SECS
            && simulated_failures(self.db.client(&record.client_id)?.as_ref(), grant.as_ref())
                .contains(Failure::AccessTokenExpiresEarly);
        if record.revoked || record.expires_at <= now || !live_grant || record.used || expired_early
        {
            return Ok(inactive);
        }
        if grant.is_some_and(|g| g.system) {
            return Ok(json!({
                "active": true,
                "scope": record.scopes,
                "client_id": record.client_id,
                "token_type": "Bearer",
                "exp": record.expires_at,
                "iat": record.issued_at,
                "iss": issuer,
                "sub": record.client_id,
            }));
        }
        Ok(json!({
            "active": true,
            "scope": record.scopes,
            "client_id": record.client_id,
            "token_type": match record.kind { TokenKind::Access => "Bearer", TokenKind::Refresh => "refresh_token" },
            "exp": record.expires_at,
            "iat": record.issued_at,
            "iss": issuer,
            "sub": record.patient,
            "patient": record.patient,
            "fhirUser": format!("{issuer}/Patient/{}", record.patient),
        }))
    }
}

fn simulated_invalid_client() -> OAuthError {
    OAuthError::invalid_client(
        "client authentication failed (simulated failure token_invalid_client)",
    )
}

/// Unix seconds as an RFC 3339 instant (`access_grant_expiration`).
pub fn rfc3339(at: i64) -> Option<String> {
    time::OffsetDateTime::from_unix_timestamp(at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
}

/// The UDAP `hl7-b2b` authorization extension of a client assertion (B2B profile): when
/// present it must have `version` "1", an `organization_id` and a non-empty `purpose_of_use`.
/// Returns how it reads in the audit trail.
fn b2b_extension(assertion: &str) -> Result<Option<String>, OAuthError> {
    let Ok(jws) = super::jws::Jws::parse(assertion) else {
        return Ok(None);
    };
    let b2b = &jws.claims["extensions"]["hl7-b2b"];
    if b2b.is_null() {
        return Ok(None);
    }
    let org = b2b["organization_id"].as_str().filter(|s| !s.is_empty());
    let purposes: Vec<&str> = b2b["purpose_of_use"]
        .as_array()
        .map(|l| l.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match (b2b["version"].as_str(), org) {
        (Some("1"), Some(org)) if !purposes.is_empty() => Ok(Some(format!(
            "organization {org}, subject {}, purpose {}",
            b2b["subject_name"].as_str().unwrap_or("-"),
            purposes.join(",")
        ))),
        _ => Err(OAuthError::invalid_request(
            "the hl7-b2b extension needs version \"1\", organization_id and purpose_of_use",
        )),
    }
}

/// RFC 7636 S256: base64url(SHA-256(verifier)) equals the stored challenge. Verifiers must be
/// 43 to 128 characters; their character set is not policed (cms-bluebutton-sdk sends `=`).
fn verify_pkce(challenge: &str, verifier: Option<&str>) -> Result<(), OAuthError> {
    let verifier = verifier.ok_or_else(|| {
        OAuthError::invalid_grant("code_verifier is required: this code was issued with PKCE")
    })?;
    if !(43..=128).contains(&verifier.len()) {
        return Err(OAuthError::invalid_grant(
            "code_verifier must be 43 to 128 characters",
        ));
    }
    let computed = s256_challenge(verifier);
    if bool::from(computed.as_bytes().ct_eq(challenge.as_bytes())) {
        Ok(())
    } else {
        Err(OAuthError::invalid_grant(
            "code_verifier does not match the code_challenge (PKCE)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_an_independent_computation() {
        // The challenge was computed independently (Python hashlib + base64).
        let verifier = "dBjftJeZ4CVP-mJ92K1qUJ1Bp0M5MoXvRFm_nXWzGsA";
        let challenge = "7buII-AMaVRN8ZFauznbtdyxHbGp7JRSt5FKSnHW5FE";
        assert!(verify_pkce(challenge, Some(verifier)).is_ok());
        assert!(verify_pkce(challenge, Some(&verifier.replace('d', "e"))).is_err());
        assert!(verify_pkce(challenge, Some(challenge)).is_err(), "plain");
        assert!(verify_pkce(challenge, None).is_err());
        assert!(verify_pkce(challenge, Some("short")).is_err());
    }
}
