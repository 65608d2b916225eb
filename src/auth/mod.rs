//! The SMART App Launch / OpenID Connect authorization server, as plain Rust: the HTTP face
//! (`http::oauth`) parses requests and renders answers; everything decided lives here.
//!
//! - [`scopes`]: the SMART v1/v2 scope grammar and what a grant allows.
//! - [`clients`]: registered apps and redirect URI rules.
//! - [`users`]: the synthetic beneficiaries (`BBUser00000` …).
//! - [`authorize`]: validating an authorization request, consent, codes.
//! - [`token`]: the token endpoint (code exchange, refresh), revocation, introspection.
//! - [`access`]: bearer tokens on the FHIR API.
//! - [`assertion`], [`jws`]: `private_key_jwt` client assertions checked against an app's JWKS.
//! - [`x509`]: UDAP certificate chains (`x5c`) to the trusted anchors.
//! - [`pkce`]: the S256 challenge (RFC 7636), for the server and every client of it.
//! - [`keys`]: RSA (id_tokens) and Ed25519 (what the server signs for itself).
//! - [`sessions`]: beneficiaries' sign-ins and their server-side browser sessions.
//! - [`throttle`]: attempt budgets for passwords and client secrets.
//! - [`failures`]: simulated failures an app's developer switches on to test the app.

pub mod access;
pub mod assertion;
pub mod authorize;
pub mod bounded;
pub mod clients;
pub mod db;
pub mod failures;
pub mod jws;
pub mod keys;
pub mod oauth_code;
pub mod pkce;
pub mod records;
pub mod scopes;
pub mod sessions;
#[cfg(test)]
mod tests;
pub mod throttle;
pub mod token;
pub mod users;
pub mod x509;

use crate::store::{Store, StoreError};

pub use access::{Access, BearerError};
pub use authorize::{AuthorizeError, PendingRequest};
pub use db::AuthDb;
pub use keys::Keys;
pub use oauth_code::OAuthCode;
pub use records::{Client, ClientKind, GrantModel};
pub use scopes::ScopeSet;
pub use token::TokenRequest;

/// Errors of the authorization server's own housekeeping (keys, registrations).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("key error: {0}")]
    Key(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("no app with client id {0}")]
    UnknownClient(String),
}

/// An OAuth error answer: status, RFC 6749 error code, and a sentence for the developer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct OAuthError {
    pub status: u16,
    pub error: OAuthCode,
    pub description: String,
    /// Seconds to wait before trying again (`Retry-After`), when throttled.
    pub retry_after: Option<i64>,
}

impl OAuthError {
    pub fn new(status: u16, error: OAuthCode, description: impl Into<String>) -> Self {
        Self {
            status,
            error,
            description: description.into(),
            retry_after: None,
        }
    }
    /// 429: too many failed attempts from this address or on this account.
    pub fn throttled(wait: throttle::RetryAfter) -> Self {
        Self {
            retry_after: Some(wait.0),
            ..Self::new(
                429,
                OAuthCode::TemporarilyUnavailable,
                format!(
                    "too many failed client authentications; try again in {} s",
                    wait.0
                ),
            )
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(400, OAuthCode::InvalidRequest, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(400, OAuthCode::InvalidGrant, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(401, OAuthCode::InvalidClient, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(400, OAuthCode::InvalidScope, d)
    }
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        tracing::error!("authorization server store error: {e}");
        Self::new(
            500,
            OAuthCode::ServerError,
            "the server could not complete the request",
        )
    }
}

impl AuthConfig {
    /// How long an authorization given now lasts under `model`.
    pub fn grant_ttl_of(&self, model: records::GrantModel) -> i64 {
        match model {
            records::GrantModel::OneTime => self.one_time_grant_ttl,
            records::GrantModel::ThirteenMonth => self.grant_ttl,
        }
    }
}

/// Lifetimes, in seconds, and attempt budgets.
#[derive(Debug, Clone, Copy)]
pub struct AuthConfig {
    /// Access tokens (Blue Button: one hour).
    pub access_token_ttl: i64,
    /// Authorization codes (single use).
    pub code_ttl: i64,
    /// A beneficiary's authorization of an app, which bounds its refresh tokens (13 months).
    pub grant_ttl: i64,
    /// An app with one-time access: its authorization lasts this long (Blue Button: one hour).
    pub one_time_grant_ttl: i64,
    /// A sign-in and consent in progress.
    pub request_ttl: i64,
    /// A beneficiary's browser session.
    pub session_ttl: i64,
    /// Budgets for failed sign-ins and client authentications.
    pub throttle: throttle::ThrottleConfig,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            access_token_ttl: 3600,
            code_ttl: 60,
            grant_ttl: 396 * 24 * 3600,
            one_time_grant_ttl: 3600,
            request_ttl: 600,
            session_ttl: 1800,
            throttle: throttle::ThrottleConfig::default(),
        }
    }
}

/// The authorization server's state: its tables, keys and lifetimes.
pub struct AuthServer {
    pub db: AuthDb,
    pub keys: Keys,
    pub config: AuthConfig,
    /// Failed password and secret checks, per client address and per account.
    pub throttles: throttle::Throttles,
    store: Store,
    access_cache: access::AccessCache,
    /// UDAP trust anchors (DER), set by the composition root once the CA is loaded.
    udap_anchors: std::sync::RwLock<Vec<Vec<u8>>>,
}

impl AuthServer {
    /// Opens the tables, loads (or makes) the keys, adds the test apps and drops expired
    /// codes and tokens.
    pub fn open(store: &Store, config: AuthConfig, now: i64) -> Result<AuthServer, AuthError> {
        let db = AuthDb::open(store)?;
        let keys = Keys::load_or_create(store)?;
        db.seed_test_clients(now)?;
        let pruned = db.write(|tx| tx.prune(now))?;
        if pruned > 0 {
            tracing::info!("dropped {pruned} expired authorization codes and tokens");
        }
        Ok(AuthServer {
            db,
            keys,
            config,
            throttles: throttle::Throttles::new(config.throttle),
            store: store.clone(),
            access_cache: access::AccessCache::default(),
            udap_anchors: std::sync::RwLock::new(Vec::new()),
        })
    }

    /// The anchors UDAP client certificates must chain to.
    pub fn set_udap_anchors(&self, anchors: Vec<Vec<u8>>) {
        if let Ok(mut a) = self.udap_anchors.write() {
            *a = anchors;
        }
    }

    pub fn udap_anchors(&self) -> Vec<Vec<u8>> {
        self.udap_anchors
            .read()
            .map(|a| a.clone())
            .unwrap_or_default()
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// Unix seconds.
pub fn unix(at: time::OffsetDateTime) -> i64 {
    at.unix_timestamp()
}
