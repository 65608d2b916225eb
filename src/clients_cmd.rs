//! `clients add|list|remove`: manage registered apps from the command line.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line front end: the terminal is its output"
)]

use std::path::Path;

use clap::Subcommand;

use crate::auth::clients::NewClient;
use crate::auth::jws::SigningKey;
use crate::auth::records::ClientJwks;
use crate::auth::{AuthDb, ClientKind};
use crate::clock::{Clock, SystemClock};
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// Register an app; prints its client id (and secret, once, for a confidential app).
    Add {
        /// The name beneficiaries see on the consent page.
        name: String,
        /// A redirect URI (repeat for several). Loopback http URIs match on any port. Optional
        /// for an app with keys (`--jwks`/`--jwks-uri`) that only runs backend services.
        #[arg(long = "redirect-uri", required_unless_present_any = ["jwks", "jwks_uri"])]
        redirect_uris: Vec<String>,
        /// A file holding the app's public JWK Set: it authenticates with private_key_jwt
        /// (SMART client-confidential-asymmetric) and gets no secret.
        #[arg(long, conflicts_with_all = ["public", "jwks_uri"])]
        jwks: Option<std::path::PathBuf>,
        /// The URL of the app's public JWK Set (fetched when the app authenticates).
        #[arg(long, conflicts_with = "public")]
        jwks_uri: Option<String>,
        /// A public app (native or browser): PKCE, no secret.
        #[arg(long)]
        public: bool,
        /// The scopes the app may be granted (default: everything the sandbox grants).
        #[arg(long)]
        scope: Option<String>,
        /// Allow authorization without PKCE (legacy tools; custom-scheme redirects still need it).
        #[arg(long)]
        no_pkce: bool,
    },
    /// Make a key pair for private_key_jwt: `private-key.pem` (keep it) and `jwks.json` (its
    /// public half, for `clients add --jwks`).
    Keygen {
        /// Where to write the two files.
        #[arg(long, default_value = ".")]
        out: std::path::PathBuf,
        /// An EC P-384 key (ES384) instead of RSA-2048 (RS384).
        #[arg(long)]
        ec: bool,
    },
    /// Print a client assertion (`private_key_jwt`, valid 4 minutes, single use) for a
    /// backend-services token request with curl; needs no data directory.
    Assertion {
        /// The app's client id.
        #[arg(long)]
        client_id: String,
        /// The app's PKCS#8 PEM private key (from `clients keygen`).
        #[arg(long)]
        private_key: std::path::PathBuf,
        /// The token endpoint URL exactly as discovery lists it (the assertion's `aud`).
        #[arg(long)]
        aud: String,
        /// The key id registered in the JWKS (default: the key's RFC 7638 thumbprint).
        #[arg(long)]
        kid: Option<String>,
    },
    /// List registered apps.
    List,
    /// Remove an app by client id.
    Remove { client_id: String },
    /// The app's client conformance report: what it did, scored against the CARIN IG, SMART
    /// App Launch and the CARIN test kit (pass / fail / not yet seen, with evidence).
    Report {
        client_id: String,
        /// The report as JSON (the portal's `?format=json`).
        #[arg(long)]
        json: bool,
    },
}

/// A client assertion of `client_id` for `aud`, signed with the PEM key at `key_path`, valid
/// from `now` (unix seconds) for a minute less than the server accepts.
pub fn sign_assertion(
    client_id: &str,
    key_path: &Path,
    aud: &str,
    kid: Option<&str>,
    now: i64,
) -> anyhow::Result<String> {
    let pem = std::fs::read_to_string(key_path)
        .map_err(|e| anyhow::anyhow!("{}: {e}", key_path.display()))?;
    let key = SigningKey::from_pem(&pem).map_err(anyhow::Error::msg)?;
    let kid = kid.map_or_else(|| key.thumbprint(), str::to_string);
    let lifetime = crate::auth::assertion::MAX_LIFETIME - 60;
    key.client_assertion(&kid, client_id, aud, now, lifetime)
        .map_err(anyhow::Error::msg)
}

pub fn run(data_dir: &Path, command: ClientsCommand) -> anyhow::Result<i32> {
    // Signing needs the key only: it works while the server holds the store.
    if let ClientsCommand::Assertion {
        client_id,
        private_key,
        aud,
        kid,
    } = &command
    {
        let now = SystemClock.now().unix_timestamp();
        let assertion = sign_assertion(client_id, private_key, aud, kid.as_deref(), now)?;
        println!("{assertion}");
        return Ok(0);
    }
    std::fs::create_dir_all(data_dir)?;
    let store = Store::open(data_dir)?;
    let db = AuthDb::open(&store)?;
    let now = SystemClock.now().unix_timestamp();
    db.seed_test_clients(now)?;
    match command {
        ClientsCommand::Add {
            name,
            redirect_uris,
            public,
            scope,
            no_pkce,
            jwks,
            jwks_uri,
        } => {
            let jwks = match (jwks, jwks_uri) {
                (Some(path), _) => {
                    let text = std::fs::read_to_string(&path)
                        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
                    let value: serde_json::Value = serde_json::from_str(&text)
                        .map_err(|e| anyhow::anyhow!("{}: not JSON: {e}", path.display()))?;
                    Some(ClientJwks::Jwks(value))
                }
                (None, Some(uri)) => Some(ClientJwks::JwksUri(uri)),
                (None, None) => None,
            };
            let registered = db.register(
                NewClient {
                    name,
                    kind: if public {
                        ClientKind::Public
                    } else {
                        ClientKind::Confidential
                    },
                    redirect_uris,
                    scopes: scope,
                    pkce_required: !no_pkce,
                    owner: None,
                    grant_model: Default::default(),
                    jwks,
                },
                now,
            )?;
            println!("client_id:     {}", registered.client.client_id);
            if let Some(secret) = registered.secret {
                println!("client_secret: {secret}   (shown once; only its hash is kept)");
            }
            println!("scopes:        {}", registered.client.scopes);
            Ok(0)
        }
        ClientsCommand::Keygen { out, ec } => {
            let key = if ec {
                SigningKey::generate_ec()
            } else {
                SigningKey::generate_rsa()
            }
            .map_err(anyhow::Error::msg)?;
            std::fs::create_dir_all(&out)?;
            let kid = key.thumbprint();
            let jwks = serde_json::json!({"keys": [key.public_jwk(&kid)]});
            let key_path = out.join("private-key.pem");
            crate::udap::ca::write_private(&key_path, &key.to_pem().map_err(anyhow::Error::msg)?)?;
            let jwks_path = out.join("jwks.json");
            std::fs::write(&jwks_path, serde_json::to_string_pretty(&jwks)?)?;
            println!("private key: {} ({})", key_path.display(), key.alg());
            println!("public JWKS: {} (kid {kid})", jwks_path.display());
            Ok(0)
        }
        // Answered above, before the store is opened.
        ClientsCommand::Assertion { .. } => Ok(0),
        ClientsCommand::List => {
            for c in db.clients()? {
                let kind = match c.kind {
                    ClientKind::Public => "public",
                    ClientKind::Confidential if c.udap.is_some() => "udap",
                    ClientKind::Confidential if c.jwks.is_some() => "asymmetric",
                    ClientKind::Confidential => "confidential",
                };
                println!("{:<28} {:<12} {}", c.client_id, kind, c.name);
                for uri in &c.redirect_uris {
                    println!("{:<28} {:<12}   redirect {uri}", "", "");
                }
            }
            Ok(0)
        }
        ClientsCommand::Report { client_id, json } => {
            if db.client(&client_id)?.is_none() {
                eprintln!("error: no app is registered as {client_id}");
                return Ok(1);
            }
            let report = crate::conformance::report(&store, &client_id, SystemClock.now())?;
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", crate::conformance::text(&report));
            }
            Ok(0)
        }
        ClientsCommand::Remove { client_id } => {
            if db.remove_client(&client_id)? {
                crate::conformance::facts::clear(&store, &client_id)?;
                println!("removed {client_id}");
                Ok(0)
            } else {
                eprintln!("error: no app is registered as {client_id}");
                Ok(1)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine;

    use super::*;

    #[test]
    fn an_assertion_names_the_client_and_the_token_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let key = SigningKey::generate_ec().unwrap();
        let path = dir.path().join("private-key.pem");
        std::fs::write(&path, key.to_pem().unwrap()).unwrap();
        let jwt = sign_assertion("app-1", &path, "http://h/v2/o/token", None, 1_000).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[0]).unwrap()).unwrap();
        let claims: serde_json::Value =
            serde_json::from_slice(&b64.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["kid"], key.thumbprint().as_str());
        assert_eq!(claims["iss"], "app-1");
        assert_eq!(claims["sub"], "app-1");
        assert_eq!(claims["aud"], "http://h/v2/o/token");
        assert!(claims["exp"].as_i64().unwrap() <= 1_000 + 300);
        assert!(sign_assertion("app-1", &dir.path().join("none"), "x", None, 0).is_err());
    }
}
