//! The authorization endpoint's decisions: is the request acceptable, and after sign-in and
//! consent, which code goes back to the app.
//!
//! A validated request travels through the login and consent pages sealed (Ed25519) in a
//! hidden form field, so nothing is stored until the beneficiary approves.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::json;
use url::Url;

use super::clients::{is_custom_scheme, redirect_matches, Provenance};
use super::db::{secret_key, CODES, GRANTS};
use super::failures::{self, Failure};
use super::keys::random_token;
use super::records::{CodeRecord, Grant, GrantModel};
use super::scopes::ScopeSet;
use super::users::Beneficiary;
use super::{AuthServer, OAuthCode, OAuthError};
use crate::audit::AuditRecord;

/// An authorization request that passed validation, waiting for sign-in and consent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub client_id: String,
    pub client_name: String,
    pub redirect_uri: String,
    /// The request named `redirect_uri` (rather than relying on the only one registered).
    #[serde(default)]
    pub redirect_uri_sent: bool,
    pub state: String,
    /// What the app asked for, limited to what it is registered for.
    pub scopes: String,
    pub code_challenge: Option<String>,
    pub nonce: Option<String>,
    /// `prompt=none`: answer at once, without showing a page.
    #[serde(default)]
    pub prompt_none: bool,
    /// `prompt=login` or `max_age=0`: ask for the password even with a live session.
    #[serde(default)]
    pub force_login: bool,
    /// The password must have been checked at or after this time (unix seconds), from
    /// `prompt=login` or `max_age`.
    #[serde(default)]
    pub signed_in_since: Option<i64>,
    /// The app's grant model (one-time or thirteen-month access) at the time of the request.
    #[serde(default)]
    pub grant_model: GrantModel,
    /// `sim_failure=`: failures a seeded test app asked for, carried into the grant.
    #[serde(default)]
    pub sim_failures: Vec<Failure>,
}

impl PendingRequest {
    /// True when a session whose password was checked at `signed_in_at` may go straight to
    /// consent.
    pub fn accepts_session(&self, signed_in_at: i64) -> bool {
        !self.force_login && self.sign_in_is_recent(signed_in_at)
    }

    /// True when a sign-in at `signed_in_at` is recent enough for this request's consent.
    pub fn sign_in_is_recent(&self, signed_in_at: i64) -> bool {
        self.signed_in_since.is_none_or(|t| signed_in_at >= t)
    }

    /// The app's redirect URI with an OAuth error and the request's state.
    pub fn error_url(&self, error: OAuthCode, description: &str) -> String {
        ErrorRedirect {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description: description.to_string(),
            state: Some(self.state.clone()),
        }
        .url()
    }
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The app or its redirect URI cannot be trusted: show the person an error page and never
    /// redirect (RFC 6749 §4.1.2.1).
    Page(String),
    /// Tell the app, at its redirect URI.
    Redirect(ErrorRedirect),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorRedirect {
    pub redirect_uri: String,
    pub error: OAuthCode,
    pub description: String,
    pub state: Option<String>,
}

impl ErrorRedirect {
    pub fn url(&self) -> String {
        let mut pairs = vec![
            ("error", self.error.as_str().to_string()),
            ("error_description", self.description.clone()),
        ];
        if let Some(state) = &self.state {
            pairs.push(("state", state.clone()));
        }
        with_query(&self.redirect_uri, &pairs)
    }
}

/// `uri` with `pairs` added to its query.
pub fn with_query(uri: &str, pairs: &[(&str, String)]) -> String {
    match Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => uri.to_string(),
    }
}

/// Hosts that name this machine, for comparing `aud` with the FHIR base.
fn is_local_alias(host: &str) -> bool {
    matches!(
        host,
        "localhost" | "127.0.0.1" | "[::1]" | "::1" | "host.docker.internal"
    )
}

/// True when `aud` names the FHIR base `base` (trailing slash ignored; local aliases of
/// the same port accepted, since a laptop sandbox is reached by several names).
pub fn aud_names_base(aud: &str, base: &str) -> bool {
    let (Ok(a), Ok(b)) = (Url::parse(aud.trim()), Url::parse(base)) else {
        return false;
    };
    let same_host = a.host_str() == b.host_str()
        || (a.host_str().is_some_and(is_local_alias) && b.host_str().is_some_and(is_local_alias));
    a.scheme() == b.scheme()
        && same_host
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path().trim_end_matches('/') == b.path().trim_end_matches('/')
        && a.query().is_none()
}

impl AuthServer {
    /// Checks an authorization request (GET query or POST form) against the app's
    /// registration and the SMART rules.
    pub fn validate_authorize(
        &self,
        params: &[(String, String)],
        fhir_base: &str,
        now: i64,
    ) -> Result<PendingRequest, AuthorizeError> {
        // A repeated parameter is ambiguous (RFC 6749 §3.1); the first one is used only when
        // all copies agree.
        let mut map: HashMap<&str, &str> = HashMap::new();
        for (k, v) in params {
            if let Some(prev) = map.insert(k.as_str(), v.as_str()) {
                if prev != v {
                    return Err(AuthorizeError::Page(format!(
                        "the parameter {k} was sent twice with different values"
                    )));
                }
            }
        }
        let get = |k: &str| map.get(k).copied().filter(|v| !v.is_empty());

        let client_id =
            get("client_id").ok_or_else(|| AuthorizeError::Page("client_id is missing".into()))?;
        let client = self
            .db
            .client(client_id)
            .map_err(|e| {
                AuthorizeError::Page(format!("the server could not look up the app: {e}"))
            })?
            .ok_or_else(|| AuthorizeError::Page(format!("no app is registered as {client_id}")))?;
        let redirect_uri = match get("redirect_uri") {
            Some(uri) => {
                if !client
                    .redirect_uris
                    .iter()
                    .any(|r| redirect_matches(r, uri))
                {
                    return Err(AuthorizeError::Page(format!(
                        "redirect_uri {uri} is not registered for {}",
                        client.name
                    )));
                }
                uri.to_string()
            }
            None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
            None => {
                return Err(AuthorizeError::Page(
                    "redirect_uri is missing and the app registered more than one".into(),
                ))
            }
        };
        let state = get("state").map(str::to_string);
        let refuse = |error: OAuthCode, description: String| {
            AuthorizeError::Redirect(ErrorRedirect {
                redirect_uri: redirect_uri.clone(),
                error,
                description,
                state: state.clone(),
            })
        };
        if get("response_type") != Some("code") {
            return Err(refuse(
                OAuthCode::UnsupportedResponseType,
                "response_type must be code".into(),
            ));
        }
        let Some(state) = state.clone() else {
            return Err(refuse(
                OAuthCode::InvalidRequest,
                "state is required".into(),
            ));
        };
        if map.contains_key("client_secret") {
            return Err(refuse(
                OAuthCode::InvalidRequest,
                "client_secret must never be sent to the authorization endpoint".into(),
            ));
        }
        // OpenID Connect Core §6: request objects are optional, and refused by name.
        if map.contains_key("request") {
            return Err(refuse(
                OAuthCode::RequestNotSupported,
                "request objects are not supported: send the parameters in the query or form"
                    .into(),
            ));
        }
        if map.contains_key("request_uri") {
            return Err(refuse(
                OAuthCode::RequestUriNotSupported,
                "request_uri is not supported: send the parameters in the query or form".into(),
            ));
        }
        let prompts: Vec<&str> = get("prompt")
            .map(|p| p.split(' ').filter(|v| !v.is_empty()).collect())
            .unwrap_or_default();
        let prompt_none = prompts.contains(&"none");
        if prompt_none && prompts.len() > 1 {
            return Err(refuse(
                OAuthCode::InvalidRequest,
                "prompt=none cannot be combined with other prompt values".into(),
            ));
        }
        let max_age = match get("max_age") {
            None => None,
            Some(v) => Some(v.parse::<i64>().ok().filter(|s| *s >= 0).ok_or_else(|| {
                refuse(
                    OAuthCode::InvalidRequest,
                    format!("max_age must be a whole number of seconds, not {v}"),
                )
            })?),
        };
        let prompt_login = prompts.contains(&"login");
        let signed_in_since = if prompt_login {
            Some(now)
        } else {
            max_age.map(|secs| now.saturating_sub(secs))
        };

        let pkce_needed = client.pkce_required || is_custom_scheme(&redirect_uri);
        let code_challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (None, _) if pkce_needed => {
                return Err(refuse(
                    OAuthCode::InvalidRequest,
                    "PKCE is required: send code_challenge and code_challenge_method=S256".into(),
                ))
            }
            (None, _) => None,
            (Some(_), Some(method)) if method != "S256" => {
                return Err(refuse(
                    OAuthCode::InvalidRequest,
                    format!("code_challenge_method must be S256, not {method}"),
                ))
            }
            (Some(_), None) => {
                return Err(refuse(
                    OAuthCode::InvalidRequest,
                    "code_challenge_method is required and must be S256 (plain is not accepted)"
                        .into(),
                ))
            }
            (Some(challenge), Some(_)) => {
                // Some clients keep base64's `=` padding (cms-bluebutton-sdk); it carries nothing.
                let challenge = challenge.trim_end_matches('=');
                let well_formed = challenge.len() == 43
                    && challenge
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !well_formed {
                    return Err(refuse(
                        OAuthCode::InvalidRequest,
                        "code_challenge must be the base64url SHA-256 of the verifier (43 characters)"
                            .into(),
                    ));
                }
                Some(challenge.to_string())
            }
        };

        if let Some(aud) = get("aud") {
            if !aud_names_base(aud, fhir_base) {
                return Err(refuse(
                    OAuthCode::InvalidRequest,
                    format!("aud {aud} is not this server's FHIR base URL {fhir_base}"),
                ));
            }
        }

        // Registered apps choose their failures on the portal; the seeded ones, per request.
        let sim_failures = match get("sim_failure") {
            None => Vec::new(),
            Some(_) if Provenance::of(&client) != Provenance::Seeded => {
                return Err(refuse(
                    OAuthCode::InvalidRequest,
                    "sim_failure is only for the seeded test apps; a registered app switches simulated failures on its portal page".into(),
                ))
            }
            Some(list) => failures::parse_list(list)
                .map_err(|why| refuse(OAuthCode::InvalidRequest, why))?,
        };

        // system/ scopes are for backend services (client_credentials): no beneficiary grants them.
        let registered = ScopeSet::parse(&client.scopes).without_system();
        let scopes = match get("scope") {
            None => registered,
            Some(requested) => registered.allowed_subset(&ScopeSet::parse(requested)),
        };
        // One-time access never gets a refresh token, so it is not granted `offline_access`
        // (and the consent page does not promise it).
        let scopes = match client.grant_model {
            GrantModel::OneTime => ScopeSet::parse(
                &scopes
                    .to_string()
                    .split(' ')
                    .filter(|s| *s != "offline_access")
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            GrantModel::ThirteenMonth => scopes,
        };
        if scopes.is_empty() {
            return Err(refuse(
                OAuthCode::InvalidScope,
                "none of the requested scopes can be granted to this app".into(),
            ));
        }

        Ok(PendingRequest {
            client_id: client.client_id,
            client_name: client.name,
            redirect_uri,
            redirect_uri_sent: get("redirect_uri").is_some(),
            state,
            scopes: scopes.to_string(),
            code_challenge,
            nonce: get("nonce").map(str::to_string),
            prompt_none,
            force_login: prompt_login || max_age == Some(0),
            signed_in_since,
            grant_model: client.grant_model,
            sim_failures,
        })
    }

    /// The request sealed for the login and consent forms.
    pub fn seal_request(&self, request: &PendingRequest, now: i64) -> String {
        self.keys
            .sealer
            .seal("authorize", &json!(request), now + self.config.request_ttl)
    }

    pub fn open_request(&self, sealed: &str, now: i64) -> Option<PendingRequest> {
        let value = self.keys.sealer.open("authorize", sealed, now)?;
        serde_json::from_value(value).ok()
    }

    /// The beneficiary approved: record the grant and a code, and return where the browser
    /// goes next (the app's redirect URI with `code` and `state`).
    pub fn approve(
        &self,
        request: &PendingRequest,
        who: &Beneficiary,
        share_demographics: bool,
        now: i64,
    ) -> Result<String, OAuthError> {
        let mut scopes = ScopeSet::parse(&request.scopes).without_system();
        if !share_demographics {
            scopes = scopes.without_demographics();
        }
        if scopes.is_empty() {
            return Ok(self.deny(request, Some(who), now));
        }
        let code = random_token();
        let grant = Grant {
            id: random_token(),
            client_id: request.client_id.clone(),
            patient: who.patient.clone(),
            username: who.username.clone(),
            scopes: scopes.to_string(),
            created_at: now,
            expires_at: now + self.config.grant_ttl_of(request.grant_model),
            revoked_at: None,
            model: request.grant_model,
            simulated_failures: request.sim_failures.clone(),
            system: false,
        };
        let record = CodeRecord {
            grant_id: grant.id.clone(),
            client_id: request.client_id.clone(),
            redirect_uri: request.redirect_uri.clone(),
            redirect_uri_required: request.redirect_uri_sent,
            code_challenge: request.code_challenge.clone(),
            nonce: request.nonce.clone(),
            expires_at: now + self.config.code_ttl,
            used: false,
        };
        self.db.write(|tx| {
            tx.put(GRANTS, &grant.id, &grant)?;
            tx.put(CODES, &secret_key(&code), &record)?;
            tx.audit(&AuditRecord {
                detail: (!share_demographics).then(|| "demographics withheld".to_string()),
                ..grant.audit(now, "consent", "success")
            })
        })?;
        Ok(with_query(
            &request.redirect_uri,
            &[("code", code), ("state", request.state.clone())],
        ))
    }

    /// The beneficiary said no: `error=access_denied` back to the app.
    pub fn deny(&self, request: &PendingRequest, who: Option<&Beneficiary>, now: i64) -> String {
        let audit = AuditRecord {
            at: now,
            event: "consent".into(),
            outcome: OAuthCode::AccessDenied.as_str().into(),
            client_id: Some(request.client_id.clone()),
            user: who.map(|w| w.username.clone()),
            patient: who.map(|w| w.patient.clone()),
            scopes: Some(request.scopes.clone()),
            ..AuditRecord::default()
        };
        crate::audit::record(self.store(), audit);
        request.error_url(
            OAuthCode::AccessDenied,
            "the beneficiary did not authorize this app",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aud_must_name_the_fhir_base() {
        let base = "http://localhost:8000/v2/fhir";
        assert!(aud_names_base("http://localhost:8000/v2/fhir", base));
        assert!(aud_names_base("http://127.0.0.1:8000/v2/fhir/", base));
        assert!(!aud_names_base(
            "https://inferno.healthit.gov/invalid_aud",
            base
        ));
        assert!(!aud_names_base("http://localhost:8001/v2/fhir", base));
        assert!(!aud_names_base("http://localhost:8000/v1/fhir", base));
        assert!(!aud_names_base("not a url", base));
    }

    #[test]
    fn error_redirects_carry_state() {
        let url = ErrorRedirect {
            redirect_uri: "http://127.0.0.1:5000/cb?x=1".into(),
            error: OAuthCode::AccessDenied,
            description: "no".into(),
            state: Some("s t".into()),
        }
        .url();
        assert_eq!(
            url,
            "http://127.0.0.1:5000/cb?x=1&error=access_denied&error_description=no&state=s+t"
        );
    }
}
