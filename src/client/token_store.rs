//! Tokens kept per server (keyed by FHIR base URL) in one JSON file only the user can read.
//!
//! The file also keeps the client id and, for confidential clients, the secret: refreshing
//! needs both, and the file is created with mode 0600 in a 0700 folder.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::discovery::Endpoints;
use super::error::ClientError;

/// What a login leaves behind for one server.
#[derive(Clone, Serialize, Deserialize)]
pub struct Session {
    pub endpoints: Endpoints,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub tokens: Tokens,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("endpoints", &self.endpoints)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| "***"))
            .field("tokens", &self.tokens)
            .finish()
    }
}

/// A token response, with the expiry turned into an instant.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Tokens {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Unix seconds; `None` when the server did not say.
    #[serde(default)]
    pub expires_at: Option<i64>,
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub patient: Option<String>,
    #[serde(default)]
    pub id_token: Option<String>,
    #[serde(default)]
    pub access_grant_expiration: Option<String>,
    /// Unix seconds when these tokens were obtained.
    pub obtained_at: i64,
    /// How many times the access token was refreshed since login.
    #[serde(default)]
    pub refreshes: u32,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &"***")
            .field("refresh_token", &self.refresh_token.as_ref().map(|_| "***"))
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("patient", &self.patient)
            .field("refreshes", &self.refreshes)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// Reads a token response. On a refresh, `previous` fills what the response leaves out
    /// (a server that does not rotate refresh tokens, or omits `patient`).
    pub fn from_response(
        body: &Value,
        now: i64,
        previous: Option<&Tokens>,
    ) -> Result<Tokens, String> {
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
        let access_token = text("access_token").ok_or("the response has no access_token")?;
        if let Some(kind) = text("token_type") {
            if !kind.eq_ignore_ascii_case("bearer") {
                return Err(format!("token_type is {kind}, not Bearer"));
            }
        }
        let expires_at = body
            .get("expires_in")
            .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()))
            .map(|s| now.saturating_add(s));
        Ok(Tokens {
            access_token,
            refresh_token: text("refresh_token")
                .or_else(|| previous.and_then(|p| p.refresh_token.clone())),
            expires_at,
            scope: text("scope")
                .or_else(|| previous.map(|p| p.scope.clone()))
                .unwrap_or_default(),
            patient: text("patient").or_else(|| previous.and_then(|p| p.patient.clone())),
            id_token: text("id_token").or_else(|| previous.and_then(|p| p.id_token.clone())),
            access_grant_expiration: text("access_grant_expiration")
                .filter(|s| !s.is_empty())
                .or_else(|| previous.and_then(|p| p.access_grant_expiration.clone())),
            obtained_at: now,
            refreshes: previous.map_or(0, |p| p.refreshes.saturating_add(1)),
        })
    }

    /// True when the access token has expired at `now` (with a few seconds to spare).
    pub fn expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| now >= at - 5)
    }
}

/// The file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TokenFile {
    #[serde(default)]
    pub servers: BTreeMap<String, Session>,
}

/// Where the tokens live.
#[derive(Debug, Clone)]
pub struct TokenStore {
    path: PathBuf,
}

impl TokenStore {
    pub fn new(path: impl Into<PathBuf>) -> TokenStore {
        TokenStore { path: path.into() }
    }

    /// `$XDG_CONFIG_HOME/carin-sandbox/tokens.json`, else `~/.config/carin-sandbox/tokens.json`.
    pub fn default_path() -> Result<PathBuf, ClientError> {
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| PathBuf::from(h).join(".config"))
            })
            .ok_or_else(|| {
                ClientError::Usage(
                    "neither XDG_CONFIG_HOME nor HOME is set; pass --token-file".into(),
                )
            })?;
        Ok(config.join("carin-sandbox").join("tokens.json"))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, reason: impl std::fmt::Display) -> ClientError {
        ClientError::TokenFile {
            path: self.path.display().to_string(),
            reason: reason.to_string(),
        }
    }

    /// The file's content (empty when there is no file yet).
    pub fn load(&self) -> Result<TokenFile, ClientError> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| self.error(format!("not a token file: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TokenFile::default()),
            Err(e) => Err(self.error(e)),
        }
    }

    pub fn get(&self, fhir_base: &str) -> Result<Option<Session>, ClientError> {
        Ok(self.load()?.servers.remove(fhir_base))
    }

    /// Adds or replaces one server's session.
    pub fn put(&self, session: &Session) -> Result<(), ClientError> {
        let mut file = self.load()?;
        file.servers
            .insert(session.endpoints.fhir_base.clone(), session.clone());
        self.save(&file)
    }

    /// Removes one server's session; false when there was none.
    pub fn remove(&self, fhir_base: &str) -> Result<bool, ClientError> {
        let mut file = self.load()?;
        let had = file.servers.remove(fhir_base).is_some();
        if had {
            self.save(&file)?;
        }
        Ok(had)
    }

    /// Writes the whole file: a 0600 temporary file beside it, then a rename.
    pub fn save(&self, file: &TokenFile) -> Result<(), ClientError> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir)
            .map_err(|e| self.error(format!("cannot create the folder: {e}")))?;
        let json = serde_json::to_vec_pretty(file).map_err(|e| self.error(e))?;
        let name = self.path.file_name().map_or_else(
            || "tokens.json".into(),
            |n| n.to_string_lossy().into_owned(),
        );
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let written = (|| -> std::io::Result<()> {
            let mut f = private_file(&tmp)?;
            f.write_all(&json)?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(self.error(e));
        }
        Ok(())
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
}

#[cfg(unix)]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::discovery::Flavor;
    use serde_json::json;

    fn session(base: &str) -> Session {
        Session {
            endpoints: Endpoints {
                fhir_base: base.into(),
                authorization_endpoint: "a".into(),
                token_endpoint: "t".into(),
                revocation_endpoint: None,
                userinfo_endpoint: None,
                scopes_supported: vec![],
                flavor: Flavor::Smart,
            },
            client_id: "c".into(),
            client_secret: Some("s3cret".into()),
            tokens: Tokens::from_response(
                &json!({"access_token": "at", "refresh_token": "rt", "expires_in": 60,
                        "token_type": "Bearer", "scope": "openid", "patient": "M00001"}),
                1000,
                None,
            )
            .expect("tokens"),
        }
    }

    #[test]
    fn refresh_keeps_what_the_response_leaves_out() {
        let first = session("b").tokens;
        assert_eq!(first.expires_at, Some(1060));
        assert!(!first.expired(1000));
        assert!(first.expired(1056));
        let next = Tokens::from_response(
            &json!({"access_token": "at2", "expires_in": "30"}),
            2000,
            Some(&first),
        )
        .expect("refresh");
        assert_eq!(next.refresh_token.as_deref(), Some("rt"));
        assert_eq!(next.patient.as_deref(), Some("M00001"));
        assert_eq!(next.expires_at, Some(2030));
        assert_eq!(next.refreshes, 1);
        assert!(
            Tokens::from_response(&json!({"access_token": "x", "token_type": "mac"}), 0, None)
                .is_err()
        );
    }

    #[test]
    fn store_is_private_and_keyed_by_server() {
        let dir = tempfile::tempdir().expect("dir");
        let store = TokenStore::new(dir.path().join("sub").join("tokens.json"));
        assert!(store.get("b1").expect("empty").is_none());
        store.put(&session("b1")).expect("put");
        store.put(&session("b2")).expect("put");
        assert_eq!(store.load().expect("load").servers.len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(store.path())
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(store.remove("b1").expect("remove"));
        assert!(!store.remove("b1").expect("remove again"));
        assert_eq!(store.get("b2").expect("get").expect("b2").client_id, "c");
        let debug = format!("{:?}", session("b"));
        assert!(
            !debug.contains("s3cret") && !debug.contains("\"rt\""),
            "{debug}"
        );
    }
}
