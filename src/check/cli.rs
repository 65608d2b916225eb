//! `carin-sandbox check`: the command line over [`super::run`].
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line front end: the terminal is its output"
)]

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;

use super::transport::HttpTransport;
use super::{AuthOptions, Options};
use crate::client::discovery::normalize_base;
use crate::client::http::Http;
use crate::clock::{fhir_instant, Clock};

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The FHIR base URL of the server to check (e.g. http://127.0.0.1:8000/v2/fhir).
    #[arg(long)]
    pub base: String,
    /// An access token to send as `Authorization: Bearer …`.
    #[arg(long, env = "CARIN_CHECK_BEARER", hide_env_values = true,
          conflicts_with_all = ["username", "private_key"])]
    pub bearer: Option<String>,
    /// The registered app's client id (for --username/--password or --private-key).
    #[arg(long)]
    pub client_id: Option<String>,
    /// A confidential app's client secret (with --username/--password).
    #[arg(long, env = "CARIN_CHECK_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Sign in as this beneficiary with a standalone launch (this sandbox's sign-in forms).
    #[arg(long, requires_all = ["password", "client_id"])]
    pub username: Option<String>,
    #[arg(long, env = "CARIN_CHECK_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Backend services: the app's private key (PEM), with --client-id.
    #[arg(long, requires = "client_id", conflicts_with = "username")]
    pub private_key: Option<PathBuf>,
    /// The key id for --private-key (default: its RFC 7638 thumbprint).
    #[arg(long, requires = "private_key")]
    pub kid: Option<String>,
    /// The scopes to ask for (default: the CARIN patient scopes; `system/*.read` for backend services).
    #[arg(long)]
    pub scope: Option<String>,
    /// Check these patients (repeatable; default: the token's patient, else the first listed).
    #[arg(long = "patient")]
    pub patients: Vec<String>,
    /// `_count` for the paging check.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: u32,
    /// Print the report as JSON on stdout (the summary then goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Also write the report as one self-contained HTML page.
    #[arg(long)]
    pub html: Option<PathBuf>,
}

impl CheckArgs {
    fn auth(&self) -> anyhow::Result<AuthOptions> {
        if let Some(token) = &self.bearer {
            return Ok(AuthOptions::Bearer(token.clone()));
        }
        match (
            &self.client_id,
            &self.username,
            &self.password,
            &self.private_key,
        ) {
            (Some(id), Some(user), Some(pw), None) => Ok(AuthOptions::Login {
                client_id: id.clone(),
                client_secret: self.client_secret.clone(),
                username: user.clone(),
                password: pw.clone(),
                scope: self.scope.clone(),
            }),
            (Some(id), None, _, Some(key)) => Ok(AuthOptions::Backend {
                client_id: id.clone(),
                private_key: key.clone(),
                kid: self.kid.clone(),
                scope: self.scope.clone().unwrap_or_else(|| "system/*.read".into()),
            }),
            (None, None, None, None) => Ok(AuthOptions::None),
            _ => anyhow::bail!(
                "give --bearer TOKEN, or --client-id with --username and --password (a standalone \
                 launch), or --client-id with --private-key (backend services), or none of them"
            ),
        }
    }
}

pub fn run(args: &CheckArgs, clock: &dyn Clock) -> anyhow::Result<i32> {
    let base = normalize_base(&args.base)?;
    let options = Options {
        base,
        auth: args.auth()?,
        patients: args.patients.clone(),
        page_size: args.page_size,
    };
    let http = Http::new()?;
    let transport = HttpTransport { http: &http };
    let now = clock.now();
    let report = super::run(
        &transport,
        Some(&http),
        &options,
        now.unix_timestamp(),
        fhir_instant(now),
    );
    let text = super::output::summary(&report);
    if args.json {
        eprint!("{text}");
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{text}");
    }
    if let Some(path) = &args.html {
        let page = super::output::html(&report).context("rendering the HTML report")?;
        std::fs::write(path, page).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("HTML report: {}", path.display());
    }
    Ok(report.exit_code())
}
