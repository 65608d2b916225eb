//! `carin-sandbox push`: the command line around `push` (arguments, auth, progress bar, the
//! report as a table or JSON).
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line front end: the terminal is its output"
)]

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use crate::clock::Clock;
use crate::push::ledger::Ledger;
use crate::push::retry::RetryPolicy;
use crate::push::target::{Auth, BackendAuth, Mode, Target};
use crate::push::{PushOptions, PushReport};
use crate::store::Store;

#[derive(Args, Debug)]
pub struct PushArgs {
    /// The target's FHIR base URL (e.g. http://localhost:8080/fhir).
    #[arg(long)]
    pub to: String,
    /// Push this folder of CPCDS files instead (transformed into a temporary store first).
    #[arg(long)]
    pub cpcds: Option<PathBuf>,
    /// Resources per Bundle.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub batch_size: u64,
    /// How resources travel: auto picks from the target's CapabilityStatement.
    #[arg(long, value_enum, default_value = "auto")]
    pub mode: Mode,
    /// First send the CARIN SearchParameters (generated from the sandbox's registry) and the
    /// C4BB profiles the sandbox claims.
    #[arg(long)]
    pub with_definitions: bool,
    /// Forget what earlier pushes to this target confirmed and send everything.
    #[arg(long)]
    pub full: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Retries per request on 429, 408, 5xx and transport failures.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(0..=20))]
    pub max_retries: u32,
    /// A bearer token for the target (better: the CARIN_PUSH_TOKEN environment variable).
    #[arg(
        long,
        env = "CARIN_PUSH_TOKEN",
        hide_env_values = true,
        conflicts_with = "client_id"
    )]
    pub bearer: Option<String>,
    /// Backend services: the client id registered at the target's authorization server.
    #[arg(long, requires = "private_key")]
    pub client_id: Option<String>,
    /// Backend services: the PEM private key (RSA or EC P-384) that signs the assertion.
    #[arg(long, requires = "client_id")]
    pub private_key: Option<PathBuf>,
    /// Backend services: the key id (default: the key's RFC 7638 thumbprint).
    #[arg(long, requires = "client_id")]
    pub kid: Option<String>,
    /// Backend services: the token endpoint (default: SMART discovery at the target).
    #[arg(long, requires = "client_id")]
    pub token_url: Option<String>,
    /// Backend services: the scope asked for.
    #[arg(long, default_value = "system/*.write")]
    pub scope: String,
    /// Stop after this many batches (for testing resumption).
    #[arg(long, hide = true)]
    pub stop_after: Option<u64>,
}

/// A progress bar of `len` steps saying `what` (the CLI's, passed in so that this module does
/// not import `cli`, which imports it).
pub type Bar = fn(u64, &str) -> indicatif::ProgressBar;

/// Runs a push; `data_dir` holds the store pushed (unless `--cpcds`) and the push ledger.
pub fn run(data_dir: &Path, args: &PushArgs, clock: &dyn Clock, bar: Bar) -> anyhow::Result<i32> {
    let http = crate::client::http::Http::new()?;
    let auth = match (&args.bearer, &args.client_id, &args.private_key) {
        (Some(token), _, _) => Auth::Bearer(token.clone()),
        (None, Some(client_id), Some(key_path)) => {
            let key = crate::client::backend::load_key(key_path)?;
            let token_url = match &args.token_url {
                Some(u) => u.clone(),
                None => crate::client::backend::discover_token_endpoint(&http, &args.to)?,
            };
            Auth::Backend(BackendAuth {
                client_id: client_id.clone(),
                kid: args.kid.clone().unwrap_or_else(|| key.thumbprint()),
                key,
                token_url,
                scope: args.scope.clone(),
            })
        }
        _ => Auth::None,
    };
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("creating {}", data_dir.display()))?;
    let home = Store::open(data_dir)?;
    let temp;
    let source = match &args.cpcds {
        Some(dir) => {
            temp = tempfile::tempdir()?;
            let store = Store::open(temp.path())?;
            let bar = bar(0, "transforming CPCDS");
            let at = files_time(dir).unwrap_or_else(|| clock.now());
            let report = crate::cpcds::import_dir(dir, &store, at, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })?;
            bar.finish_and_clear();
            eprintln!(
                "transformed {}: {} resources ({} EOBs)",
                dir.display(),
                report.changed(),
                report.eobs()
            );
            store
        }
        None => home.clone(),
    };
    let ledger = Ledger::open(&home, &args.to)?;
    let policy = RetryPolicy {
        max_retries: args.max_retries,
        ..RetryPolicy::default()
    };
    let mut target = Target::new(&http, &args.to, auth, policy, clock)?;
    let opts = PushOptions {
        mode: args.mode,
        batch_size: usize::try_from(args.batch_size).unwrap_or(200),
        with_definitions: args.with_definitions,
        stop_after: args.stop_after,
        full: args.full,
    };
    let bar = bar(0, "pushing");
    let report = crate::push::run(&source, &ledger, &mut target, &opts, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    crate::audit::record(
        &home,
        crate::audit::AuditRecord {
            at: clock.now().unix_timestamp(),
            event: "push".into(),
            outcome: if report.totals.failed == 0 {
                "success".into()
            } else {
                "partial".into()
            },
            detail: Some(format!(
                "{}: {} sent, {} created, {} updated, {} unchanged, {} failed",
                report.target,
                report.totals.sent,
                report.totals.created,
                report.totals.updated,
                report.totals.unchanged,
                report.totals.failed
            )),
            ..crate::audit::AuditRecord::default()
        },
    );
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
    }
    Ok(i32::from(report.totals.failed > 0))
}

/// The time a CPCDS folder is transformed at: its newest file's modification time, so that
/// unchanged files give the same resources (`meta.lastUpdated`, `Provenance.recorded`) and a
/// second push of them sends nothing.
fn files_time(dir: &std::path::Path) -> Option<time::OffsetDateTime> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
        .max()
        .map(time::OffsetDateTime::from)
}

fn print_report(r: &PushReport) {
    println!("pushed to {} ({:?})", r.target, r.mode);
    if let Some(f) = &r.fallback {
        println!("  {f}");
    }
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "resource", "sent", "created", "updated", "unchanged", "failed"
    );
    for t in &r.by_type {
        let c = &t.counts;
        println!(
            "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
            t.resource_type, c.sent, c.created, c.updated, c.unchanged, c.failed
        );
    }
    let c = &r.totals;
    println!(
        "{:<22} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "total", c.sent, c.created, c.updated, c.unchanged, c.failed
    );
    println!(
        "{} batches, {} retries, {:.2} s, {:.0} resources/s",
        r.batches, r.retries, r.seconds, r.rate
    );
    if let Some(d) = &r.definitions {
        println!(
            "definitions: {} CARIN SearchParameters ({}); not sent, defined by R4 itself: {}",
            d.search_parameters.len(),
            d.search_parameters.join(", "),
            d.core_parameters.join(", ")
        );
        println!(
            "  and {} C4BB profiles (StructureDefinitions, differential only): {}",
            d.profiles.len(),
            d.profiles.join(", ")
        );
    }
    if !r.failures.is_empty() {
        println!("failures ({} listed):", r.failures.len());
        for f in r.failures.iter().take(50) {
            println!("  {} [{}] {}", f.resource, f.status, f.diagnostics);
        }
    }
    if r.interrupted {
        println!("stopped early (--stop-after): run the same command again to resume");
    }
}
