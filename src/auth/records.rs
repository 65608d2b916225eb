//! What the authorization server keeps in the store, one JSON record per key.
//!
//! Codes and tokens are keyed by a BLAKE3 hash of the secret: the store never holds a usable
//! token, and lookups by hash need no constant-time comparison (the hash is the key).

use serde::{Deserialize, Serialize};

use super::failures::{Failure, Failures};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    /// Native and browser apps: PKCE only, no secret.
    Public,
    /// Apps with a back end that keeps a secret.
    Confidential,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    pub name: String,
    pub kind: ClientKind,
    /// BLAKE3 of the secret (secrets are 256-bit random, so a fast hash is enough).
    pub secret_hash: Option<String>,
    pub redirect_uris: Vec<String>,
    /// The scopes the app may be granted, and what it gets when it asks for none.
    pub scopes: String,
    /// PKCE S256 on every authorization (custom-scheme redirects require it regardless).
    pub pkce_required: bool,
    /// The developer account that registered it (None: seeded or added on the command line).
    #[serde(default)]
    pub owner: Option<String>,
    pub created_at: i64,
    /// How long a beneficiary's authorization of the app lasts (Blue Button's grant types).
    #[serde(default)]
    pub grant_model: GrantModel,
    /// Failures the developer switched on for the app (portal), applied to every grant of it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulated_failures: Vec<Failure>,
    /// The public keys of an app that authenticates with signed assertions (`private_key_jwt`)
    /// instead of a secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<ClientJwks>,
    /// Registered by UDAP Dynamic Client Registration: authenticates with assertions whose
    /// `x5c` chains to a trusted anchor and names this `iss` as a SAN URI.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub udap: Option<UdapClient>,
}

/// A UDAP registration: the certificate SAN URI it is bound to and its grant types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UdapClient {
    pub iss: String,
    pub grant_types: Vec<String>,
}

/// Where an asymmetric app's public keys are: registered inline, or fetched from its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientJwks {
    Jwks(serde_json::Value),
    JwksUri(String),
}

/// A client assertion's `jti`, kept until the assertion expires so it cannot be replayed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JtiRecord {
    pub client_id: String,
    pub expires_at: i64,
}

/// Blue Button's data access grant types: what an app chooses at registration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantModel {
    /// ONE_TIME: one hour, no refresh token.
    OneTime,
    /// THIRTEEN_MONTH: refresh tokens until the grant ends, 13 months after consent.
    #[default]
    ThirteenMonth,
}

impl GrantModel {
    pub fn name(self) -> &'static str {
        match self {
            GrantModel::OneTime => "one_time",
            GrantModel::ThirteenMonth => "thirteen_month",
        }
    }

    pub fn parse(name: &str) -> Option<GrantModel> {
        match name {
            "one_time" => Some(GrantModel::OneTime),
            "thirteen_month" => Some(GrantModel::ThirteenMonth),
            _ => None,
        }
    }

    /// In words, for the portal pages.
    pub fn describe(self) -> &'static str {
        match self {
            GrantModel::OneTime => "One-time access: one hour, no refresh token",
            GrantModel::ThirteenMonth => {
                "Thirteen-month access: refresh tokens until the authorization ends"
            }
        }
    }
}

/// One beneficiary's authorization of one app (BB2's DataAccessGrant): every code and token
/// issued from a consent belongs to one grant, and revoking the grant kills them all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub patient: String,
    pub username: String,
    pub scopes: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The app's grant model when the beneficiary consented.
    #[serde(default)]
    pub model: GrantModel,
    /// Failures a seeded app asked for on the authorization request (`sim_failure=`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub simulated_failures: Vec<Failure>,
    /// A backend-services grant (`client_credentials`, `system/` scopes): no beneficiary, every
    /// patient's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub system: bool,
}

impl Grant {
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }

    /// An audit record of something that happened to this grant: who, which app, which scopes.
    pub fn audit(&self, at: i64, event: &str, outcome: &str) -> crate::audit::AuditRecord {
        crate::audit::AuditRecord {
            at,
            event: event.into(),
            outcome: outcome.into(),
            client_id: Some(self.client_id.clone()),
            user: Some(self.username.clone()),
            patient: Some(self.patient.clone()),
            scopes: Some(self.scopes.clone()),
            ..crate::audit::AuditRecord::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub grant_id: String,
    pub client_id: String,
    pub redirect_uri: String,
    /// The authorization request named `redirect_uri`, so the token request must repeat it
    /// (RFC 6749 §4.1.3).
    #[serde(default)]
    pub redirect_uri_required: bool,
    /// S256 challenge with any `=` padding removed.
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    pub expires_at: i64,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub kind: TokenKind,
    pub grant_id: String,
    pub client_id: String,
    pub patient: String,
    pub scopes: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked: bool,
    /// A refresh token that has been exchanged (rotation): using it again is theft.
    pub used: bool,
}

/// A beneficiary's browser session, kept on the server so that signing out ends it for
/// every copy of the cookie. Keyed by the BLAKE3 hash of the cookie's random value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub username: String,
    pub patient: String,
    /// When the beneficiary typed their password (OIDC `max_age`, `prompt=login`).
    pub signed_in_at: i64,
    pub expires_at: i64,
}

/// The simulated failures in force for a token: the app's (switched on in the portal) and its
/// grant's (asked for with `sim_failure=` by a seeded app). One place, for the bearer check and
/// the token endpoint alike.
pub fn simulated_failures(client: Option<&Client>, grant: Option<&Grant>) -> Failures {
    let of_client = client.map_or_else(Failures::default, |c| Failures::of(&c.simulated_failures));
    let of_grant = grant.map_or_else(Failures::default, |g| Failures::of(&g.simulated_failures));
    of_client.union(of_grant)
}
