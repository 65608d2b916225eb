//! Absolute URLs of everything this server offers, as the client sees them: one
//! [`Endpoints`] value builds the discovery documents and the CapabilityStatement's security
//! element (so they always list the same URLs), and the portal's pages use it for their links.

use actix_web::HttpRequest;
use serde_json::{json, Value};

use super::AppState;
use crate::auth::{jws, scopes};

/// SMART capabilities: the CARIN IG's required set plus what else this server does.
const CAPABILITIES: &[&str] = &[
    "launch-standalone",
    "client-public",
    "client-confidential-symmetric",
    "client-confidential-asymmetric",
    "sso-openid-connect",
    "context-standalone-patient",
    "permission-offline",
    "permission-patient",
    "permission-user",
    "permission-v1",
    "permission-v2",
    "authorize-post",
];

const AUTH_METHODS: &[&str] = &[
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "none",
];

/// Grant types: the code flow with refresh, and backend services.
const GRANT_TYPES: &[&str] = &["authorization_code", "refresh_token", "client_credentials"];

/// Absolute URLs of everything the authorization server offers, as the client sees them.
pub struct Endpoints {
    pub origin: String,
    pub fhir_base: String,
    pub authorize: String,
    pub token: String,
    pub revoke: String,
    pub introspect: String,
    pub userinfo: String,
    pub jwks: String,
    pub manage: String,
    /// UDAP Dynamic Client Registration.
    pub register: String,
}

impl Endpoints {
    pub fn new(origin: &str) -> Self {
        let origin = origin.trim_end_matches('/').to_string();
        Self {
            fhir_base: fhir_base(&origin),
            authorize: format!("{origin}/v2/o/authorize"),
            token: format!("{origin}/v2/o/token"),
            revoke: format!("{origin}/v2/o/revoke_token"),
            introspect: format!("{origin}/v2/o/introspect"),
            userinfo: format!("{origin}/v2/connect/userinfo"),
            jwks: format!("{origin}/.well-known/jwks.json"),
            manage: format!("{origin}/connected-apps"),
            register: format!("{origin}/v2/o/register"),
            origin,
        }
    }

    /// The id_token issuer: the FHIR base, so `{iss}/.well-known/openid-configuration` exists.
    pub fn issuer(&self) -> &str {
        &self.fhir_base
    }

    pub fn smart_configuration(&self) -> Value {
        json!({
            "issuer": self.issuer(),
            "jwks_uri": self.jwks,
            "authorization_endpoint": self.authorize,
            "token_endpoint": self.token,
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": jws::ALGORITHMS,
            "grant_types_supported": GRANT_TYPES,
            "scopes_supported": scopes::supported(),
            "response_types_supported": ["code"],
            "management_endpoint": self.manage,
            "introspection_endpoint": self.introspect,
            "revocation_endpoint": self.revoke,
            "userinfo_endpoint": self.userinfo,
            "capabilities": CAPABILITIES,
            "code_challenge_methods_supported": ["S256"],
        })
    }

    pub fn openid_configuration(&self) -> Value {
        json!({
            "issuer": self.issuer(),
            "authorization_endpoint": self.authorize,
            "token_endpoint": self.token,
            "userinfo_endpoint": self.userinfo,
            "jwks_uri": self.jwks,
            "revocation_endpoint": self.revoke,
            "introspection_endpoint": self.introspect,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": scopes::supported(),
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "fhirUser"],
            "token_endpoint_auth_methods_supported": AUTH_METHODS,
            "token_endpoint_auth_signing_alg_values_supported": jws::ALGORITHMS,
            "grant_types_supported": GRANT_TYPES,
            "code_challenge_methods_supported": ["S256"],
            "ui_locales_supported": ["en"],
            "fhir_metadata_uri": format!("{}/metadata", self.fhir_base),
            "service_documentation": format!("{}/", self.origin),
        })
    }

    /// `CapabilityStatement.rest[0].security`: the same endpoints as the well-known document.
    pub fn capability_security(&self) -> Value {
        let uri = |name: &str, url: &str| json!({"url": name, "valueUri": url});
        json!({
            "extension": [{
                "url": "http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris",
                "extension": [
                    uri("authorize", &self.authorize),
                    uri("token", &self.token),
                    uri("introspect", &self.introspect),
                    uri("revoke", &self.revoke),
                    uri("manage", &self.manage),
                ],
            }],
            "cors": true,
            "service": [{
                "coding": [{
                    "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                    "code": "SMART-on-FHIR",
                    "display": "SMART-on-FHIR",
                }],
                "text": "OAuth2 using SMART-on-FHIR profile (see http://docs.smarthealthit.org)",
            }],
            "description": "SMART App Launch (standalone) with OpenID Connect: every request needs \
                            a bearer token, and data is limited to the token's patient.",
        })
    }
}

/// The FHIR base under an origin.
pub fn fhir_base(origin: &str) -> String {
    format!("{origin}/v2/fhir")
}

/// The origin (`scheme://host[:port]`) as the client sees it: `--public-url`, else the
/// request's scheme and Host.
pub fn origin(state: &AppState, req: &HttpRequest) -> String {
    if let Some(url) = &state.public_url {
        return url.trim_end_matches('/').to_string();
    }
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

pub fn endpoints(state: &AppState, req: &HttpRequest) -> Endpoints {
    Endpoints::new(&origin(state, req))
}
