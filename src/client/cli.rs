//! `carin-sandbox client …`: the clap definitions and what each subcommand does.
#![expect(
    clippy::print_stderr,
    reason = "a command-line front end: the terminal is its output"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::callback_server::CallbackServer;
use super::commands::{logout, resolve_base, status_lines};
use super::discovery::{discover, normalize_base, Endpoints, Flavor, Preset};
use super::error::ClientError;
use super::fhir::FhirClient;
use super::form_driver::Decision;
use super::http::Http;
use super::login::{default_scopes, login, LoginOptions, SignIn};
use super::loopback::DEFAULT_REDIRECT;
use super::oauth::ClientCredentials;
use super::output::{render, Format};
use super::queries::{coverage_params, eob_params, patient_params, EobFilters};
use super::token_store::TokenStore;
use crate::clock::{Clock, SystemClock};

/// Which server, and where its tokens are kept.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// The FHIR base URL, e.g. http://127.0.0.1:8000/v2/fhir (default: the only server logged in).
    #[arg(long, env = "CARIN_FHIR_BASE", conflicts_with = "preset")]
    pub fhir_base: Option<String>,
    /// A server whose endpoints are documented, instead of --fhir-base and discovery.
    #[arg(long, value_enum)]
    pub preset: Option<Preset>,
    /// The token file (default: $XDG_CONFIG_HOME/carin-sandbox/tokens.json or ~/.config/…).
    #[arg(long, env = "CARIN_CLIENT_TOKENS")]
    pub token_file: Option<PathBuf>,
}

/// The app's registration.
#[derive(Args, Debug, Clone)]
pub struct AppArgs {
    /// The app's client id (default on the sandbox: test-public-client-id, or test-client-id
    /// with a secret).
    #[arg(long, env = "CARIN_CLIENT_ID")]
    pub client_id: Option<String>,
    /// The client secret of a confidential app (none: a public app, PKCE only).
    #[arg(long, env = "CARIN_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Scopes to ask for (default: CARIN's patient scopes plus openid fhirUser offline_access;
    /// Blue Button's v2 scopes with --preset bluebutton-sandbox).
    #[arg(long)]
    pub scope: Option<String>,
    /// The loopback redirect URI registered for the app; port 0 picks a free port.
    #[arg(long, default_value = DEFAULT_REDIRECT)]
    pub redirect_uri: String,
}

#[derive(Subcommand, Debug)]
pub enum ClientCommand {
    /// Sign in (authorization code + PKCE) and keep the tokens for this server.
    Login {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        app: AppArgs,
        /// Sign in through the sandbox's own forms instead of a browser (scripts and CI).
        #[arg(long, requires = "password")]
        username: Option<String>,
        #[arg(long, requires = "username")]
        password: Option<String>,
        /// What the scripted sign-in answers on the consent page.
        #[arg(long, value_enum, default_value_t = Decision::Allow, requires = "username")]
        consent: Decision,
        /// Print the sign-in URL without trying to open a browser.
        #[arg(long)]
        no_browser: bool,
        /// Seconds to wait for the browser to come back.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
    /// SMART Backend Services: a system token by client_credentials with a client assertion
    /// signed by --private-key (private_key_jwt), then one FHIR search with it.
    Backend {
        /// The FHIR base URL, e.g. http://127.0.0.1:8000/v2/fhir.
        #[arg(long, env = "CARIN_FHIR_BASE")]
        fhir_base: String,
        /// The app's client id (registered with its public JWKS).
        #[arg(long, env = "CARIN_CLIENT_ID")]
        client_id: String,
        /// The app's PKCS#8 PEM private key (RSA signs RS384, EC P-384 signs ES384).
        #[arg(long)]
        private_key: PathBuf,
        /// The key id registered in the JWKS (default: the key's RFC 7638 thumbprint).
        #[arg(long)]
        kid: Option<String>,
        #[arg(long, default_value = "system/*.read")]
        scope: String,
        /// The search to run with the token, relative to the base.
        #[arg(long, default_value = "Patient?_count=5")]
        query: String,
    },
    /// Revoke the tokens at the server and delete them here.
    Logout {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Show who is logged in where: patient, scopes, expiry (never the tokens).
    Status {
        #[command(flatten)]
        server: ServerArgs,
    },
    /// The patient's ExplanationOfBenefit resources.
    Eob {
        #[command(flatten)]
        server: ServerArgs,
        /// Claim type (pharmacy, professional, institutional, oral, vision; comma list or repeated).
        #[arg(long = "type")]
        types: Vec<String>,
        /// Claims with service on or after this date (service-date=geDATE).
        #[arg(long)]
        since: Option<String>,
        /// service-date with a prefix, e.g. ge2023-01-01 (repeatable).
        #[arg(long)]
        service_date: Vec<String>,
        /// _lastUpdated with a prefix, e.g. gt2025-01-01T00:00:00Z (repeatable).
        #[arg(long = "lastupdated", alias = "last-updated")]
        last_updated: Vec<String>,
        /// Include the referenced resources (_include=ExplanationOfBenefit:*).
        #[arg(long)]
        include: bool,
        /// Page size (_count).
        #[arg(long)]
        count: Option<u32>,
        /// Follow next links to the last page.
        #[arg(long)]
        all_pages: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The patient's Patient resource.
    Patient {
        #[command(flatten)]
        server: ServerArgs,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// The patient's Coverage resources.
    Coverage {
        #[command(flatten)]
        server: ServerArgs,
        /// Follow next links to the last page.
        #[arg(long)]
        all_pages: bool,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// A local page that runs the sign-in and shows the token with ready-made curl commands
    /// (the callback handler of Blue Button's tutorial).
    CallbackServer {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        app: AppArgs,
        /// Stop after one completed sign-in.
        #[arg(long)]
        once: bool,
        /// Print the page's URL without trying to open a browser.
        #[arg(long)]
        no_browser: bool,
    },
}

fn store_for(server: &ServerArgs) -> Result<TokenStore, ClientError> {
    Ok(TokenStore::new(match &server.token_file {
        Some(p) => p.clone(),
        None => TokenStore::default_path()?,
    }))
}

/// The endpoints for a login: the preset's, or discovery at the FHIR base.
fn endpoints_for(http: &Http, server: &ServerArgs) -> Result<Endpoints, ClientError> {
    match (server.preset, &server.fhir_base) {
        (Some(p), _) => Ok(p.endpoints()),
        (None, Some(base)) => discover(http, &normalize_base(base)?),
        (None, None) => Err(ClientError::Usage(
            "say which server: --fhir-base URL (or CARIN_FHIR_BASE) or --preset bluebutton-sandbox"
                .into(),
        )),
    }
}

fn credentials_for(app: &AppArgs, flavor: Flavor) -> Result<ClientCredentials, ClientError> {
    let secret = app.client_secret.clone().filter(|s| !s.is_empty());
    let client_id = match (&app.client_id, flavor, &secret) {
        (Some(id), _, _) => id.clone(),
        (None, Flavor::BlueButton, _) => {
            return Err(ClientError::Usage(
                "Blue Button needs your app's --client-id and --client-secret (register one at https://sandbox.bluebutton.cms.gov)".into(),
            ))
        }
        (None, Flavor::Smart, Some(_)) => "test-client-id".into(),
        (None, Flavor::Smart, None) => "test-public-client-id".into(),
    };
    if flavor == Flavor::BlueButton && secret.is_none() {
        return Err(ClientError::Usage(
            "Blue Button apps are confidential: pass --client-secret (or CARIN_CLIENT_SECRET)"
                .into(),
        ));
    }
    Ok(ClientCredentials {
        client_id,
        client_secret: secret,
    })
}

fn unix_now(clock: &dyn Clock) -> i64 {
    clock.now().unix_timestamp()
}

/// Runs one `client` subcommand; the exit code on success.
pub fn run(cmd: ClientCommand) -> anyhow::Result<i32> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let http = Http::new()?;
    match cmd {
        ClientCommand::Login {
            server,
            app,
            username,
            password,
            consent,
            no_browser,
            timeout,
        } => {
            let store = store_for(&server)?;
            let endpoints = endpoints_for(&http, &server)?;
            let flavor = endpoints.flavor;
            let sign_in = match (username, password) {
                (Some(_), Some(_)) if flavor == Flavor::BlueButton => {
                    return Err(ClientError::Usage(
                        "--username/--password drive this sandbox's own forms; Blue Button signs in at Medicare.gov, so use the browser".into(),
                    )
                    .into())
                }
                (Some(username), Some(password)) => SignIn::Script {
                    username,
                    password,
                    decision: consent,
                },
                _ => SignIn::Browser { open: !no_browser },
            };
            let options = LoginOptions {
                client: credentials_for(&app, flavor)?,
                scope: app
                    .scope
                    .clone()
                    .unwrap_or_else(|| default_scopes(flavor).to_string()),
                redirect_uri: app.redirect_uri.clone(),
                sign_in,
                timeout: Duration::from_secs(timeout),
                endpoints,
            };
            let now = || unix_now(clock.as_ref());
            let session = login(&http, &options, &now, &mut |url, opened| {
                if opened {
                    eprintln!(
                        "Opened your browser to sign in. If nothing appeared, open:\n  {url}"
                    );
                } else {
                    eprintln!("Open this URL in a browser to sign in:\n  {url}");
                }
                eprintln!("Waiting for the browser to come back (at most {timeout} s) …");
            })?;
            store.put(&session)?;
            let t = &session.tokens;
            say(&format!(
                "logged in to {} as patient {} (scopes: {})",
                session.endpoints.fhir_base,
                t.patient.as_deref().unwrap_or("(none)"),
                t.scope
            ))?;
            if let Some(at) = t.expires_at {
                say(&format!(
                    "access token expires {}{}",
                    super::commands::instant(at),
                    if t.refresh_token.is_some() {
                        "; refreshed automatically"
                    } else {
                        ""
                    }
                ))?;
            }
            say(&format!("tokens saved to {}", store.path().display()))?;
            Ok(0)
        }
        ClientCommand::Backend {
            fhir_base,
            client_id,
            private_key,
            kid,
            scope,
            query,
        } => {
            let lines = super::backend::run(
                &http,
                &super::backend::Backend {
                    fhir_base: &fhir_base,
                    client_id: &client_id,
                    private_key: &private_key,
                    kid: kid.as_deref(),
                    scope: &scope,
                    query: &query,
                },
                clock.now().unix_timestamp(),
            )?;
            for line in lines {
                say(&line)?;
            }
            Ok(0)
        }
        ClientCommand::Logout { server } => {
            let store = store_for(&server)?;
            let base = resolve_base(server.fhir_base.as_deref(), server.preset, &store)?;
            let report = logout(&http, &store, &base)?;
            say(&format!(
                "logged out of {base}: {} token{} revoked, local tokens deleted",
                report.revoked,
                if report.revoked == 1 { "" } else { "s" }
            ))?;
            if let Some(w) = report.warning {
                eprintln!("warning: {w}");
                return Ok(1);
            }
            Ok(0)
        }
        ClientCommand::Status { server } => {
            let store = store_for(&server)?;
            let now = unix_now(clock.as_ref());
            let path = store.path().display().to_string();
            let file = store.load()?;
            let wanted = match (&server.fhir_base, server.preset) {
                (None, None) => None,
                _ => Some(resolve_base(
                    server.fhir_base.as_deref(),
                    server.preset,
                    &store,
                )?),
            };
            let sessions: Vec<_> = file
                .servers
                .values()
                .filter(|s| wanted.as_ref().is_none_or(|w| &s.endpoints.fhir_base == w))
                .collect();
            if sessions.is_empty() {
                let r#where = wanted.unwrap_or_else(|| "any server".into());
                return Err(ClientError::NotLoggedIn(r#where).into());
            }
            for (i, s) in sessions.iter().enumerate() {
                if i > 0 {
                    say("")?;
                }
                for line in status_lines(s, &path, now) {
                    say(&line)?;
                }
            }
            Ok(0)
        }
        ClientCommand::Eob {
            server,
            types,
            since,
            service_date,
            last_updated,
            include,
            count,
            all_pages,
            format,
        } => {
            let filters = EobFilters {
                types,
                since,
                service_date,
                last_updated,
                include,
                count,
            };
            search(
                &http,
                &server,
                clock,
                "ExplanationOfBenefit",
                all_pages,
                format,
                |s| eob_params(&filters, s.endpoints.flavor, s.tokens.patient.as_deref()),
            )
        }
        ClientCommand::Patient { server, format } => {
            search(&http, &server, clock, "Patient", false, format, |s| {
                Ok(patient_params(s.tokens.patient.as_deref()))
            })
        }
        ClientCommand::Coverage {
            server,
            all_pages,
            format,
        } => search(&http, &server, clock, "Coverage", all_pages, format, |s| {
            Ok(coverage_params(s.tokens.patient.as_deref()))
        }),
        ClientCommand::CallbackServer {
            server,
            app,
            once,
            no_browser,
        } => {
            let store = store_for(&server)?;
            let endpoints = endpoints_for(&http, &server)?;
            let flavor = endpoints.flavor;
            let client = credentials_for(&app, flavor)?;
            let scope = app
                .scope
                .clone()
                .unwrap_or_else(|| default_scopes(flavor).to_string());
            let mut cs =
                CallbackServer::bind(endpoints, client, scope, &app.redirect_uri, Some(store))?;
            let home = cs.home_url().to_string();
            let opened = !no_browser && super::login::open_browser(&home);
            say(&format!(
                "callback server for {} on {home} (redirect URI {}){}",
                server.preset.map_or_else(
                    || server.fhir_base.clone().unwrap_or_default(),
                    |p| p.endpoints().fhir_base
                ),
                cs.redirect_uri(),
                if opened {
                    "; opened in your browser"
                } else {
                    "; open it in a browser"
                }
            ))?;
            let now = || unix_now(clock.as_ref());
            if let Some(session) = cs.serve(&http, &now, once)? {
                say(&format!(
                    "signed in as patient {}; tokens saved",
                    session.tokens.patient.as_deref().unwrap_or("(none)")
                ))?;
            }
            Ok(0)
        }
    }
}

/// Runs a search on the logged-in server and prints it.
fn search(
    http: &Http,
    server: &ServerArgs,
    clock: Arc<dyn Clock>,
    resource_type: &str,
    all_pages: bool,
    format: Format,
    params: impl FnOnce(&super::token_store::Session) -> Result<Vec<(String, String)>, ClientError>,
) -> anyhow::Result<i32> {
    let store = store_for(server)?;
    let base = resolve_base(server.fhir_base.as_deref(), server.preset, &store)?;
    let mut fhir = FhirClient::open(http, &store, &base, clock)?;
    let params = params(fhir.session())?;
    let refreshes = fhir.session().tokens.refreshes;
    let result = fhir.search(resource_type, &params, all_pages)?;
    if fhir.session().tokens.refreshes != refreshes {
        eprintln!("refreshed the access token (the new refresh token is saved)");
    }
    print_out(&render(resource_type, &result, format))?;
    Ok(0)
}

/// One line to stdout.
fn say(line: &str) -> std::io::Result<()> {
    print_out(&format!("{line}\n"))
}

/// Writes to stdout; a reader that went away (`| head`) is not an error.
fn print_out(text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}
