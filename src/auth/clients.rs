//! Registered apps: redirect URI rules, secrets, the seeded test apps, client authentication.

use subtle::ConstantTimeEq;
use url::Url;

use super::db::{secret_key, AuthDb, CLIENTS};
use super::keys::random_token;
use super::records::{Client, ClientJwks, ClientKind, GrantModel};
use super::AuthError;
use crate::store::StoreError;

/// The scopes an app gets when it registers none: everything the sandbox grants.
pub const DEFAULT_SCOPES: &str =
    "openid fhirUser profile launch/patient offline_access patient/*.read patient/*.rs user/*.read user/*.rs patient/Provenance.c user/Provenance.c";

/// The seeded confidential app (Blue Button's well-known test app credentials).
pub const TEST_CLIENT_ID: &str = "test-client-id";
pub const TEST_CLIENT_SECRET: &str = "test-client-secret";
/// The seeded public app (PKCE, no secret).
pub const TEST_PUBLIC_CLIENT_ID: &str = "test-public-client-id";

/// Redirect URIs of the seeded apps: the built-in test client, loopback callbacks (any port,
/// RFC 8252 §7.3), a native-app custom scheme, and Postman's callback.
pub const TEST_REDIRECT_URIS: &[&str] = &[
    "http://localhost:8000/testclient/callback",
    "http://127.0.0.1:8000/testclient/callback",
    "http://localhost/callback",
    "http://127.0.0.1/callback",
    "http://[::1]/callback",
    "org.carin.sandbox:/callback",
    "https://oauth.pstmn.io/v1/callback",
];

/// Loopback redirect URIs begin with one of these, and match on any port (RFC 8252 §7.3).
/// Spelled exactly: `HTTP://…`, `http:localhost…` or `http://2130706433/…` are other strings.
const LOOPBACK_PREFIXES: &[&str] = &["http://127.0.0.1", "http://[::1]", "http://localhost"];

/// Why a redirect URI cannot be registered (the same rules `authorize` applies).
pub fn check_redirect_uri(uri: &str) -> Result<(), String> {
    let url = Url::parse(uri).map_err(|e| format!("{uri} is not an absolute URL: {e}"))?;
    if url.fragment().is_some() {
        return Err(format!("{uri} has a fragment, which OAuth forbids"));
    }
    match url.scheme() {
        "http" | "https" if url.host_str().is_none_or(str::is_empty) => {
            return Err(format!("{uri} has no host"));
        }
        "http" | "https" => {}
        "javascript" | "data" | "file" | "vbscript" | "about" | "blob" => {
            return Err(format!("{uri}: the {} scheme is not allowed", url.scheme()))
        }
        // Custom schemes for native apps (RFC 8252 §7.1); PKCE is required for them.
        _ => {}
    }
    Ok(())
}

/// True when a redirect URI is a native app's private-use scheme (PKCE then is mandatory).
pub fn is_custom_scheme(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| !matches!(u.scheme(), "http" | "https"))
}

/// The same string, except that a loopback http URI may use any port (RFC 8252 §7.3). The
/// strings are compared, never parsed first: parsing would accept spellings the app never
/// registered (upper-case schemes, numeric hosts, dot segments).
pub fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    match (
        without_loopback_port(registered),
        without_loopback_port(requested),
    ) {
        (Some(r), Some(q)) => r == q,
        _ => false,
    }
}

/// A loopback redirect URI with its port cut out; None for any other URI.
fn without_loopback_port(uri: &str) -> Option<String> {
    LOOPBACK_PREFIXES.iter().find_map(|prefix| {
        let mut rest = uri.strip_prefix(prefix)?;
        if let Some(after_colon) = rest.strip_prefix(':') {
            let digits = after_colon.bytes().take_while(u8::is_ascii_digit).count();
            let port: u32 = after_colon[..digits].parse().ok()?;
            if port > 65_535 {
                return None;
            }
            rest = &after_colon[digits..];
        }
        // The host must end here: `http://localhost.evil.example` is not loopback.
        let host_ends = rest.is_empty() || rest.starts_with('/') || rest.starts_with('?');
        host_ends.then(|| format!("{prefix}{rest}"))
    })
}

/// Who stands behind an app, as the consent page tells the beneficiary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Provenance {
    /// One of the two test apps every sandbox starts with.
    Seeded,
    /// Added with `carin-sandbox clients add` by whoever runs the sandbox.
    Operator,
    /// Registered on the portal by a developer account (anyone can make one).
    Developer(String),
}

impl Provenance {
    pub fn of(client: &Client) -> Provenance {
        match &client.owner {
            Some(email) => Provenance::Developer(email.clone()),
            None if [TEST_CLIENT_ID, TEST_PUBLIC_CLIENT_ID]
                .contains(&client.client_id.as_str()) =>
            {
                Provenance::Seeded
            }
            None => Provenance::Operator,
        }
    }

    /// Nobody has checked who is behind the app or whether its name is true.
    pub fn is_unverified(&self) -> bool {
        matches!(self, Provenance::Developer(_))
    }

    /// "registered by …", in words.
    pub fn describe(&self) -> String {
        match self {
            Provenance::Seeded => "seeded test app (built into this sandbox)".into(),
            Provenance::Operator => "registered by operator (CLI)".into(),
            Provenance::Developer(email) => format!("registered by developer {email}"),
        }
    }
}

/// What to register.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub kind: ClientKind,
    pub redirect_uris: Vec<String>,
    /// None: [`DEFAULT_SCOPES`].
    pub scopes: Option<String>,
    pub pkce_required: bool,
    pub owner: Option<String>,
    /// One-time or thirteen-month access (Blue Button's grant types).
    pub grant_model: GrantModel,
    /// Public keys for `private_key_jwt` (the app then gets no secret).
    pub jwks: Option<ClientJwks>,
}

impl NewClient {
    fn check(&self) -> Result<(), AuthError> {
        let name = self.name.trim();
        if name.is_empty() || name.len() > 100 || name.chars().any(char::is_control) {
            return Err(AuthError::InvalidClient(
                "the app name must be 1 to 100 printable characters".into(),
            ));
        }
        // A backend-services app (keys, no user) never redirects anywhere.
        if self.redirect_uris.is_empty() && self.jwks.is_none() {
            return Err(AuthError::InvalidClient(
                "an app needs at least one redirect URI".into(),
            ));
        }
        match &self.jwks {
            Some(ClientJwks::Jwks(jwks)) => {
                super::jws::check_public_jwks(jwks).map_err(AuthError::InvalidClient)?;
            }
            Some(ClientJwks::JwksUri(uri)) => {
                let url = Url::parse(uri)
                    .map_err(|e| AuthError::InvalidClient(format!("jwks_uri {uri}: {e}")))?;
                if !matches!(url.scheme(), "http" | "https") {
                    return Err(AuthError::InvalidClient(format!(
                        "jwks_uri {uri} must be an http(s) URL"
                    )));
                }
            }
            None => {}
        }
        if self.jwks.is_some() && self.kind != ClientKind::Confidential {
            return Err(AuthError::InvalidClient(
                "an app with keys is confidential".into(),
            ));
        }
        for uri in &self.redirect_uris {
            check_redirect_uri(uri).map_err(AuthError::InvalidClient)?;
        }
        if let Some(scopes) = &self.scopes {
            if super::scopes::ScopeSet::parse(scopes).is_empty() {
                return Err(AuthError::InvalidClient(format!(
                    "none of the scopes \"{scopes}\" can be granted by this server"
                )));
            }
        }
        Ok(())
    }
}

/// A registration's result: the secret is shown once and only its hash is kept.
pub struct Registered {
    pub client: Client,
    pub secret: Option<String>,
}

impl AuthDb {
    /// Registers an app with a fresh client id (and secret, for a confidential one).
    pub fn register(&self, new: NewClient, now: i64) -> Result<Registered, AuthError> {
        new.check()?;
        let client_id = format!("app-{}", &random_token()[..22]);
        let secret =
            (new.kind == ClientKind::Confidential && new.jwks.is_none()).then(random_token);
        let client = Client {
            client_id,
            name: new.name.trim().to_string(),
            kind: new.kind,
            secret_hash: secret.as_deref().map(secret_key),
            redirect_uris: new.redirect_uris,
            scopes: scope_text(new.scopes.as_deref()),
            pkce_required: new.pkce_required,
            owner: new.owner,
            created_at: now,
            grant_model: new.grant_model,
            simulated_failures: Vec::new(),
            jwks: new.jwks,
            udap: None,
        };
        self.write(|tx| tx.put(CLIENTS, &client.client_id, &client))?;
        Ok(Registered { client, secret })
    }

    /// Replaces an app's editable fields (name, redirect URIs, scopes, PKCE).
    pub fn update_client(&self, client: &Client) -> Result<(), AuthError> {
        NewClient {
            name: client.name.clone(),
            kind: client.kind,
            redirect_uris: client.redirect_uris.clone(),
            scopes: Some(client.scopes.clone()),
            pkce_required: client.pkce_required,
            owner: client.owner.clone(),
            grant_model: client.grant_model,
            jwks: client.jwks.clone(),
        }
        .check()?;
        self.write(|tx| tx.put(CLIENTS, &client.client_id, client))?;
        Ok(())
    }

    /// A new secret for a confidential app; the old one stops working at once.
    pub fn rotate_secret(&self, client_id: &str) -> Result<String, AuthError> {
        let secret = random_token();
        self.write(|tx| {
            let mut client: Client = tx
                .get(CLIENTS, client_id)?
                .ok_or_else(|| AuthError::UnknownClient(client_id.to_string()))?;
            if client.kind != ClientKind::Confidential {
                return Err(AuthError::InvalidClient(
                    "a public app has no secret to rotate".into(),
                ));
            }
            if client.jwks.is_some() {
                return Err(AuthError::InvalidClient(
                    "this app authenticates with its keys (private_key_jwt), not a secret".into(),
                ));
            }
            client.secret_hash = Some(secret_key(&secret));
            tx.put(CLIENTS, client_id, &client)?;
            Ok(())
        })?;
        Ok(secret)
    }

    /// Switches an app's simulated failures (the portal's form); the FHIR API and the token
    /// endpoint apply them from the next request on (the write retires cached token checks).
    pub fn set_failures(
        &self,
        client_id: &str,
        failures: Vec<super::failures::Failure>,
    ) -> Result<(), AuthError> {
        self.write(|tx| {
            let mut client: Client = tx
                .get(CLIENTS, client_id)?
                .ok_or_else(|| AuthError::UnknownClient(client_id.to_string()))?;
            client.simulated_failures = failures;
            tx.put(CLIENTS, client_id, &client)?;
            Ok(())
        })
    }

    pub fn remove_client(&self, client_id: &str) -> Result<bool, StoreError> {
        self.write(|tx| tx.remove(CLIENTS, client_id))
    }

    pub fn clients(&self) -> Result<Vec<Client>, StoreError> {
        self.all(CLIENTS)
    }

    /// Adds the two documented test apps when they are missing.
    pub fn seed_test_clients(&self, now: i64) -> Result<(), StoreError> {
        let uris: Vec<String> = TEST_REDIRECT_URIS.iter().map(|s| s.to_string()).collect();
        let seeded = [
            Client {
                client_id: TEST_CLIENT_ID.into(),
                name: "TestApp (confidential)".into(),
                kind: ClientKind::Confidential,
                secret_hash: Some(secret_key(TEST_CLIENT_SECRET)),
                redirect_uris: uris.clone(),
                scopes: DEFAULT_SCOPES.into(),
                pkce_required: true,
                owner: None,
                created_at: now,
                grant_model: GrantModel::ThirteenMonth,
                simulated_failures: Vec::new(),
                jwks: None,
                udap: None,
            },
            Client {
                client_id: TEST_PUBLIC_CLIENT_ID.into(),
                name: "TestApp (public)".into(),
                kind: ClientKind::Public,
                secret_hash: None,
                redirect_uris: uris,
                scopes: DEFAULT_SCOPES.into(),
                pkce_required: true,
                owner: None,
                created_at: now,
                grant_model: GrantModel::ThirteenMonth,
                simulated_failures: Vec::new(),
                jwks: None,
                udap: None,
            },
        ];
        self.write(|tx| {
            for client in &seeded {
                if tx.get::<Client>(CLIENTS, &client.client_id)?.is_none() {
                    tx.put(CLIENTS, &client.client_id, client)?;
                }
            }
            Ok::<_, StoreError>(())
        })
    }
}

fn scope_text(scopes: Option<&str>) -> String {
    match scopes {
        Some(s) => super::scopes::ScopeSet::parse(s).to_string(),
        None => DEFAULT_SCOPES.to_string(),
    }
}

/// True when `secret` is the client's secret (compared as hashes, in constant time).
pub fn secret_matches(client: &Client, secret: &str) -> bool {
    client
        .secret_hash
        .as_deref()
        .is_some_and(|h| bool::from(h.as_bytes().ct_eq(secret_key(secret).as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_match_on_any_port_only() {
        let reg = "http://127.0.0.1/callback";
        assert!(redirect_matches(reg, "http://127.0.0.1:53124/callback"));
        assert!(!redirect_matches(reg, "http://127.0.0.1:53124/other"));
        assert!(!redirect_matches(reg, "http://127.0.0.2:53124/callback"));
        assert!(!redirect_matches(reg, "https://127.0.0.1:53124/callback"));
        assert!(!redirect_matches(reg, "http://127.0.0.1:1/callback#x"));
        assert!(redirect_matches(
            "http://localhost:8000/cb",
            "http://localhost:3/cb"
        ));
        assert!(redirect_matches("http://[::1]/cb", "http://[::1]:8080/cb"));
        assert!(!redirect_matches(
            "http://[::1]/cb",
            "http://127.0.0.1:8080/cb"
        ));
        // Spellings that parse to the registered URI are still other strings.
        for other in [
            "HTTP://127.0.0.1:5000/callback",
            "http:127.0.0.1:5000/callback",
            "http:/127.0.0.1/callback",
            "http://2130706433:5000/callback",
            "http://127.1:5000/callback",
            "http://0x7f.0.0.1/callback",
            "http://127.0.0.1:5000/x/../callback",
            "http://127.0.0.1:5000/%63allback",
            "http://127.0.0.1.:5000/callback",
            "http://127.0.0.1:5000@evil.example/callback",
            "http://127.0.0.1:99999/callback",
            "http://127.0.0.1:/callback",
        ] {
            assert!(!redirect_matches(reg, other), "{other}");
        }
        assert!(!redirect_matches(
            "http://localhost/callback",
            "http://localhost.evil.example/callback"
        ));
        assert!(!redirect_matches(
            "http://localhost/callback",
            "http:localhost/callback"
        ));
        let https = "https://app.example.com/cb";
        assert!(redirect_matches(https, https));
        assert!(!redirect_matches(https, "https://app.example.com:444/cb"));
        assert!(!redirect_matches(https, "https://app.example.com/cb?x=1"));
        assert!(redirect_matches(
            "com.example.app:/cb",
            "com.example.app:/cb"
        ));
    }

    #[test]
    fn registration_rules() {
        assert!(check_redirect_uri("https://a.example/cb").is_ok());
        assert!(check_redirect_uri("http://localhost:3000/cb").is_ok());
        assert!(check_redirect_uri("com.example.app:/oauth").is_ok());
        assert!(check_redirect_uri("https://a.example/cb#frag").is_err());
        assert!(check_redirect_uri("javascript:alert(1)").is_err());
        assert!(check_redirect_uri("/relative").is_err());
        assert!(is_custom_scheme("com.example.app:/oauth"));
        assert!(!is_custom_scheme("http://localhost/cb"));
    }

    #[test]
    fn secrets_are_shown_once_and_kept_hashed() {
        let store = crate::store::Store::in_memory().unwrap();
        let db = AuthDb::open(&store).unwrap();
        let reg = db
            .register(
                NewClient {
                    name: "My app".into(),
                    kind: ClientKind::Confidential,
                    redirect_uris: vec!["https://a.example/cb".into()],
                    scopes: None,
                    pkce_required: true,
                    owner: None,
                    grant_model: GrantModel::ThirteenMonth,
                    jwks: None,
                },
                0,
            )
            .unwrap();
        let secret = reg.secret.unwrap();
        let stored = db.client(&reg.client.client_id).unwrap().unwrap();
        assert!(!serde_json::to_string(&stored).unwrap().contains(&secret));
        assert!(secret_matches(&stored, &secret));
        assert!(!secret_matches(&stored, "wrong"));
        let rotated = db.rotate_secret(&stored.client_id).unwrap();
        let stored = db.client(&reg.client.client_id).unwrap().unwrap();
        assert!(secret_matches(&stored, &rotated) && !secret_matches(&stored, &secret));
    }
}
