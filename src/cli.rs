//! The command line: operator verbs over the library. `anyhow` lives here, at the edge.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line front end: the terminal is its output"
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::bench::rate;
use crate::clock::{Clock, SystemClock};
use crate::cpcds::{self, ImportReport};
use crate::generate::{self, GenerateOptions};
use crate::store::Store;

#[derive(Parser, Debug)]
#[command(
    name = "carin-sandbox",
    version,
    about = "An offline CARIN Blue Button 2.0.0 payer sandbox"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug, Clone)]
pub struct DataDir {
    /// Where the store lives.
    #[arg(long, env = "CARIN_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// `serve`'s claims-arrive mode (see `arrivals`).
#[derive(Args, Debug, Clone)]
pub struct ArrivalArgs {
    /// Claims keep arriving: every INTERVAL (seconds, or 30s, 5m, 1h) each member in the mode
    /// gets a new ExplanationOfBenefit and the previous one is adjusted (a new version,
    /// cancelled and replaced by a corrected claim), so apps can test incremental sync.
    #[arg(long, env = "CARIN_CLAIMS_ARRIVE", value_name = "INTERVAL",
          value_parser = crate::arrivals::parse_interval)]
    pub claims_arrive: Option<std::time::Duration>,
    /// The members in the mode (logins or member ids); beneficiaries can also switch it on
    /// for themselves on the portal's "Claims that keep arriving" page.
    #[arg(long, env = "CARIN_ARRIVE_FOR", value_delimiter = ',',
          default_value = "BBUser00000,BBUser00001", requires = "claims_arrive",
          value_parser = crate::arrivals::parse_member)]
    pub arrive_for: Vec<u64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the sandbox (loads the bundled seed into an empty data directory first).
    Serve {
        #[command(flatten)]
        data: DataDir,
        /// Addresses to listen on.
        #[arg(
            long,
            env = "CARIN_LISTEN",
            value_delimiter = ',',
            default_value = "127.0.0.1:8000,[::1]:8000"
        )]
        listen: Vec<SocketAddr>,
        /// Start with an empty store instead of loading the bundled seed.
        #[arg(long)]
        no_seed: bool,
        /// Generated beneficiaries on a seeded store (logins BBUser00000 … and PW00000! …):
        /// the seed's 200 before listening, the rest written in the background (each one who
        /// signs in earlier is made on the spot).
        #[arg(long, env = "CARIN_BENEFICIARIES", default_value_t = crate::app::DEFAULT_BENEFICIARIES,
              value_parser = clap::value_parser!(u64).range(0..=100_000))]
        beneficiaries: u64,
        /// The base URL clients reach the sandbox at (default: the request's scheme and Host).
        #[arg(long, env = "CARIN_PUBLIC_URL")]
        public_url: Option<String>,
        /// Serve the FHIR API without access tokens (demos only: anyone who can reach the
        /// port reads every patient's data).
        #[arg(long)]
        insecure_open_api: bool,
        /// Access token lifetime in seconds (Blue Button: 3600; the legacy value was 36000).
        #[arg(long, env = "CARIN_ACCESS_TOKEN_LIFETIME", default_value_t = 3600,
              value_parser = clap::value_parser!(i64).range(1..))]
        access_token_lifetime: i64,
        /// Serve HTTPS with this PEM certificate chain (with --tls-key).
        #[arg(long, requires = "tls_key", conflicts_with = "tls_self_signed")]
        tls_cert: Option<PathBuf>,
        /// The PEM private key for --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Serve HTTPS with a self-signed localhost certificate, made once and kept in the
        /// data directory (tls/localhost-cert.pem) for clients to trust.
        #[arg(long)]
        tls_self_signed: bool,
        #[command(flatten)]
        limits: LimitArgs,
        #[command(flatten)]
        arrivals: ArrivalArgs,
    },
    /// Manage registered apps (OAuth clients).
    Clients {
        #[command(flatten)]
        data: DataDir,
        #[command(subcommand)]
        command: crate::clients_cmd::ClientsCommand,
    },
    /// UDAP: mint client certificates from the sandbox CA (for testing registration).
    Udap {
        #[command(flatten)]
        data: DataDir,
        #[command(subcommand)]
        command: crate::udap_cmd::UdapCommand,
    },
    /// Rebuild the search index from the store.
    Reindex {
        #[command(flatten)]
        data: DataDir,
    },
    /// Import a folder of CPCDS files (all-or-nothing).
    Import {
        /// The folder holding the CPCDS *.csv files.
        dir: PathBuf,
        #[command(flatten)]
        data: DataDir,
    },
    /// Write a deterministic synthetic CPCDS data set (canonical dialect).
    Generate {
        #[arg(long, default_value_t = 100)]
        beneficiaries: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Check stored resources (or JSON/NDJSON files) against the C4BB 2.0.0 profiles.
    Validate {
        #[command(flatten)]
        data: DataDir,
        /// Files or folders of .json / .ndjson to check instead of the store.
        paths: Vec<PathBuf>,
        /// How many issues to print.
        #[arg(long, default_value_t = 30)]
        show: usize,
    },
    /// Write the store as one NDJSON file per resource type.
    Export {
        #[command(flatten)]
        data: DataDir,
        #[arg(long)]
        out: PathBuf,
    },
    /// Prints the audit trail as FHIR AuditEvents, one JSON object per line (oldest first).
    Audit {
        #[command(flatten)]
        data: DataDir,
        /// Only the events of this patient (a Patient id).
        #[arg(long)]
        patient: Option<String>,
    },
    /// Benchmarks that print figures (not tests).
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
    /// Load the store (or a CPCDS folder) into another FHIR R4 server, idempotently.
    Push {
        /// Its store is pushed (unless --cpcds), and it keeps the push ledger.
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        args: crate::push_cmd::PushArgs,
    },
    /// Act as a SMART client app against a sandbox or Blue Button.
    Client {
        #[command(subcommand)]
        command: crate::client::cli::ClientCommand,
    },
    /// CARIN Blue Button 2.0.0 server conformance check of a FHIR base (this sandbox or another).
    Check(crate::check::cli::CheckArgs),
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Generate N beneficiaries, import them, and report EOB/s, peak RSS and bytes per EOB.
    Ingest {
        #[arg(long, default_value_t = 30_000)]
        beneficiaries: u64,
        /// Work folder (default: a temporary one).
        #[arg(long)]
        work_dir: Option<PathBuf>,
    },
    /// Bulk Data export of a generated store (kept in the work folder, shared with `bench
    /// api`): a system export and the largest plan Group's, resources/s and peak RSS.
    Export {
        #[arg(long, default_value_t = 30_000)]
        beneficiaries: u64,
        #[arg(long, default_value = "./bench-work")]
        work_dir: PathBuf,
    },
    /// Load the FHIR API over loopback: EOB reads and patient searches vs. a trivial endpoint.
    Api {
        #[arg(long, default_value_t = 30_000)]
        beneficiaries: u64,
        /// Work folder; the generated store is kept there and reused by later runs.
        #[arg(long, default_value = "./bench-work")]
        work_dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Serve without the per-request audit write (to measure what it costs).
        #[arg(long)]
        no_audit_reads: bool,
    },
    /// Every figure of the scale table in one run: import until searchable, restart to the
    /// first /metadata, RSS idle and under load, EOB read vs /ping, search by patient,
    /// _include, /metadata (a release build, with a server process of its own).
    Table {
        #[arg(long, default_value_t = 30_000)]
        beneficiaries: u64,
        /// Work folder; the generated CPCDS files are kept there and reused by later runs.
        #[arg(long, default_value = "./bench-work")]
        work_dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        connections: usize,
    },
    /// The scale curve: import until searchable, restart, RSS, search by patient and EOB read
    /// latency for each member count (a release build; 100,000 members take a few minutes).
    Curve {
        /// Member counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000u64, 10_000, 30_000, 100_000])]
        sizes: Vec<u64>,
        /// Work folder; the generated CPCDS files are kept there and reused by later runs.
        #[arg(long, default_value = "./bench-work")]
        work_dir: PathBuf,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Keep each size's data directory (they are removed after their row by default).
        #[arg(long)]
        keep: bool,
    },
    /// The authorization server's cost: token endpoint exchanges/s, and EOB reads with bearer
    /// validation vs. the same reads with --insecure-open-api.
    Auth {
        #[arg(long, default_value_t = 1_000)]
        beneficiaries: u64,
        #[arg(long, default_value = "./bench-work")]
        work_dir: PathBuf,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long, default_value_t = 32)]
        connections: usize,
        /// Authorization codes to mint for the token endpoint scenario (each is single use).
        #[arg(long, default_value_t = 3_000)]
        codes: usize,
    },
    /// Slow clients that never finish their request bodies (loopback, bounded): `/ping`
    /// latency while they are attached, and whether the body timeout cuts them off.
    Abuse {
        #[arg(long, default_value_t = 3_000)]
        slow_clients: usize,
        /// The server's --body-timeout for this run, seconds.
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=60))]
        body_timeout: u64,
        /// `/ping` probes at most while the slow clients are attached.
        #[arg(long, default_value_t = 200)]
        pings: usize,
    },
    /// Parallel developer sign-ins with unknown emails (argon2 each) against a server in this
    /// process on 127.0.0.1: the status mix and the peak RSS.
    Logins {
        /// Parallel clients (at most 512).
        #[arg(long, default_value_t = 128)]
        clients: usize,
        /// Sign-ins per client (at most 100).
        #[arg(long, default_value_t = 4)]
        per_client: usize,
        /// Stop after this many seconds (at most 120).
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        /// Lift the per-address and per-account budgets, to load the argon2 gate alone.
        #[arg(long)]
        unthrottled: bool,
    },
}

/// `serve`'s defences against clients that hold connections, and the audit trail's bounds.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Seconds a client may take to send the request line and headers.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..))]
    header_timeout: u64,
    /// Seconds a client may take to send the request body, counted from its headers.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    body_timeout: u64,
    /// Seconds an idle keep-alive connection stays open.
    #[arg(long, default_value_t = 5)]
    keep_alive: u64,
    /// Seconds a closing connection gets to take the rest of its response.
    #[arg(long, default_value_t = 2)]
    disconnect_timeout: u64,
    /// Connections served at once; capped below the open-file limit (whose soft value is
    /// raised to the hard one at start).
    #[arg(long, default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(1..))]
    max_connections: u64,
    /// Connections the kernel queues while the server is at --max-connections.
    #[arg(long, default_value_t = 1024)]
    backlog: u32,
    /// Days the audit trail keeps an entry.
    #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(i64).range(1..))]
    audit_max_age_days: i64,
    /// Entries the audit trail keeps at most (the oldest go first).
    #[arg(long, default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..))]
    audit_max_entries: u64,
    /// Seconds within which identical failures become one audit entry with a count (0: never).
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(i64).range(0..))]
    audit_aggregate_window: i64,
    /// Do not record FHIR reads, vreads and searches in the audit trail (for measuring what
    /// the per-request audit write costs; authorization events are still recorded).
    #[arg(long)]
    no_audit_reads: bool,
}

impl LimitArgs {
    fn server(&self) -> crate::http::limits::ServerLimits {
        use std::time::Duration;
        crate::http::limits::ServerLimits {
            header_timeout: Duration::from_secs(self.header_timeout),
            body_timeout: Duration::from_secs(self.body_timeout),
            keep_alive: Duration::from_secs(self.keep_alive),
            disconnect_timeout: Duration::from_secs(self.disconnect_timeout),
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            backlog: self.backlog,
        }
    }

    fn audit(&self) -> crate::audit::AuditPolicy {
        crate::audit::AuditPolicy {
            max_age_secs: self.audit_max_age_days.saturating_mul(24 * 3600),
            max_entries: self.audit_max_entries,
            aggregate_window_secs: self.audit_aggregate_window,
        }
    }
}

pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    match cli.command {
        Command::Serve {
            data,
            listen,
            no_seed,
            beneficiaries,
            public_url,
            insecure_open_api,
            access_token_lifetime,
            tls_cert,
            tls_key,
            tls_self_signed,
            limits,
            arrivals,
        } => {
            if insecure_open_api {
                eprintln!("WARNING: --insecure-open-api: the FHIR API answers without an access token; every patient's data is readable by anyone who can reach this port.");
            }
            let tls = match (tls_cert, tls_key) {
                (Some(cert), Some(key)) => Some(crate::http::tls::TlsSource::Files { cert, key }),
                _ if tls_self_signed => Some(crate::http::tls::TlsSource::SelfSigned),
                _ => None,
            };
            let config = crate::app::ServeConfig {
                listen,
                clock,
                load_seed: !no_seed,
                beneficiaries,
                public_url,
                insecure_open_api,
                auth: crate::auth::AuthConfig {
                    access_token_ttl: access_token_lifetime,
                    ..Default::default()
                },
                tls,
                limits: limits.server(),
                audit: limits.audit(),
                audit_reads: !limits.no_audit_reads,
                claims_arrive: arrivals.claims_arrive,
                arrive_for: arrivals.arrive_for,
                ..crate::app::ServeConfig::new(data.data_dir)
            };
            serve(config)
        }
        Command::Reindex { data } => {
            let store = Store::open(&data.data_dir)?;
            let started = Instant::now();
            let index =
                crate::index::SearchIndex::open(&data.data_dir.join(crate::app::INDEX_DIR))?;
            let n = index.rebuild_from(&store)?;
            println!(
                "indexed {n} resources in {:.2} s",
                started.elapsed().as_secs_f64()
            );
            Ok(0)
        }
        Command::Import { dir, data } => {
            std::fs::create_dir_all(&data.data_dir)?;
            let store = Store::open(&data.data_dir)?;
            // Indexed as it is written: the next `serve` answers searches from it at once.
            let index =
                crate::index::SearchIndex::open(&data.data_dir.join(crate::app::INDEX_DIR))?;
            let report = with_progress("importing", |p| {
                cpcds::import_indexed(&dir, &store, &index, clock.now(), p)
            })?;
            // `import_indexed` has audited it.
            print_import(&report);
            println!(
                "search index: {} changed resource(s) indexed as they were written; in step ({} documents)",
                report.changed_keys.len(),
                index.doc_count()
            );
            Ok(0)
        }
        Command::Generate {
            beneficiaries,
            seed,
            out,
        } => {
            let started = Instant::now();
            let bar = bar(beneficiaries, "generating");
            let report = generate::generate(
                &GenerateOptions {
                    beneficiaries,
                    seed,
                },
                &out,
                &mut |n| {
                    bar.set_position(n);
                },
            )?;
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            println!("generated {} into {}", beneficiaries, out.display());
            println!(
                "  members {}  coverages {}  organizations {}  practitioners {}  related persons {}",
                report.members, report.coverages, report.organizations, report.practitioners, report.related_persons
            );
            println!("  claims {} ({} rows)", report.claims, report.claim_lines);
            for (ty, n) in &report.claims_by_type {
                println!("    {ty:<28} {n}");
            }
            println!("  {secs:.2} s, {:.0} claims/s", rate(report.claims, secs));
            Ok(0)
        }
        Command::Clients { data, command } => crate::clients_cmd::run(&data.data_dir, command),
        Command::Udap { data, command } => crate::udap_cmd::run(&data.data_dir, command),
        Command::Validate { data, paths, show } => {
            crate::validate_cmd::run(&data.data_dir, &paths, show)
        }
        Command::Audit { data, patient } => {
            let store = Store::open(&data.data_dir)?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let n = crate::api::write_ndjson(&store, patient.as_deref(), &mut out)?;
            std::io::Write::flush(&mut out)?;
            eprintln!("{n} audit events");
            Ok(0)
        }
        Command::Export { data, out } => {
            let store = Store::open(&data.data_dir)?;
            let exported = crate::export::export_ndjson(&store, &out);
            // Audited whether it worked or not.
            let (outcome, detail) = match &exported {
                Ok(counts) => {
                    let total: u64 = counts.iter().map(|(_, n)| *n).sum();
                    ("success", format!("{total} resources to {}", out.display()))
                }
                Err(e) => ("error", format!("to {}: {e}", out.display())),
            };
            crate::audit::record(
                &store,
                crate::audit::AuditRecord {
                    at: clock.now().unix_timestamp(),
                    event: "export".into(),
                    outcome: outcome.into(),
                    detail: Some(detail),
                    ..crate::audit::AuditRecord::default()
                },
            );
            let counts = exported?;
            for (ty, n) in counts {
                println!(
                    "{ty:<22} {n:>9}  {}",
                    out.join(format!("{ty}.ndjson")).display()
                );
            }
            Ok(0)
        }
        Command::Client { command } => crate::client::cli::run(command),
        Command::Check(args) => crate::check::cli::run(&args, clock.as_ref()),
        Command::Push { data, args } => {
            crate::push_cmd::run(&data.data_dir, &args, clock.as_ref(), bar)
        }
        Command::Bench { what } => match what {
            BenchCommand::Ingest {
                beneficiaries,
                work_dir,
            } => crate::bench::ingest(beneficiaries, work_dir.as_deref()),
            BenchCommand::Export {
                beneficiaries,
                work_dir,
            } => crate::bench::export::run(&crate::bench::export::ExportBench {
                beneficiaries,
                work_dir,
            }),
            BenchCommand::Api {
                beneficiaries,
                work_dir,
                seconds,
                connections,
                no_audit_reads,
            } => crate::bench::api::run(&crate::bench::api::ApiBench {
                beneficiaries,
                work_dir,
                seconds,
                connections,
                audit_reads: !no_audit_reads,
            }),
            BenchCommand::Table {
                beneficiaries,
                work_dir,
                seconds,
                connections,
            } => crate::bench::table::run(&crate::bench::table::TableBench {
                beneficiaries,
                work_dir,
                seconds,
                connections,
            }),
            BenchCommand::Curve {
                sizes,
                work_dir,
                seconds,
                connections,
                keep,
            } => crate::bench::curve::run(&crate::bench::curve::CurveBench {
                sizes,
                work_dir,
                seconds,
                connections,
                keep,
            }),
            BenchCommand::Auth {
                beneficiaries,
                work_dir,
                seconds,
                connections,
                codes,
            } => crate::bench::auth::run(
                &crate::bench::api::ApiBench {
                    beneficiaries,
                    work_dir,
                    seconds,
                    connections,
                    audit_reads: true,
                },
                codes,
            ),
            BenchCommand::Abuse {
                slow_clients,
                body_timeout,
                pings,
            } => crate::bench::abuse::run(&crate::bench::abuse::AbuseBench {
                slow_clients,
                body_timeout,
                pings,
            }),
            BenchCommand::Logins {
                clients,
                per_client,
                seconds,
                unthrottled,
            } => crate::bench::logins::run(&crate::bench::logins::LoginBench {
                clients,
                per_client,
                seconds,
                unthrottled,
            }),
        },
    }
}

fn serve(config: crate::app::ServeConfig) -> anyhow::Result<i32> {
    let data_dir = config.data_dir.clone();
    // The server must be built inside the runtime it will run on.
    actix_web::rt::System::new().block_on(async move {
        let started = Instant::now();
        let app = crate::app::Application::build(config)
            .with_context(|| format!("starting the sandbox with data in {}", data_dir.display()))?;
        if let Some(report) = &app.seeded {
            println!(
                "loaded the bundled seed into {} in {:.2} s: {} resources, {} EOBs",
                data_dir.display(),
                started.elapsed().as_secs_f64(),
                report.changed(),
                report.eobs()
            );
        }
        let scheme = if app.tls_certificate.is_some() {
            "https"
        } else {
            "http"
        };
        for a in app.addrs() {
            println!("carin-sandbox listening on {scheme}://{a}");
        }
        if let Some(cert) = &app.tls_certificate {
            println!("TLS certificate: {}", cert.display());
        }
        let closing = app.closing();
        app.run().await?;
        // Off the runtime: the wait blocks, and the server's workers are gone by now.
        actix_web::rt::task::spawn_blocking(move || {
            closing.finish(std::time::Duration::from_secs(15));
        })
        .await?;
        Ok(0)
    })
}

pub fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {percent:>3}% {elapsed_precise} eta {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn with_progress<T>(what: &str, f: impl FnOnce(&mut dyn FnMut(u64, u64)) -> T) -> T {
    let bar = bar(0, what);
    let out = f(&mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    });
    bar.finish_and_clear();
    out
}

pub fn print_import(report: &ImportReport) {
    println!("imported {} files:", report.files.len());
    for (path, kind, rows) in &report.files {
        println!(
            "  {:<16} {:>9} rows  {}",
            kind.label(),
            rows,
            display_name(path)
        );
    }
    println!(
        "{:<22} {:>9} {:>9} {:>9}",
        "resource", "created", "updated", "unchanged"
    );
    for (ty, c) in &report.by_type {
        println!(
            "{ty:<22} {:>9} {:>9} {:>9}",
            c.created, c.updated, c.unchanged
        );
    }
    println!("explanation of benefits by profile:");
    for (profile, n) in &report.eobs_by_profile {
        println!("  {profile:<28} {n:>9}");
    }
    println!(
        "provenance: {} record(s) (one per beneficiary whose data changed, one for the directory)",
        report.provenances
    );
    let s = &report.stats;
    if report.placeholders > 0 {
        println!("placeholders for members/coverages/payers/providers the files name but do not describe: {}", report.placeholders);
    }
    if s.reclassified_outpatient > 0 {
        println!("claims labelled inpatient but re-classified outpatient (same-day or non-inpatient bill type): {}", s.reclassified_outpatient);
    }
    if s.unmapped_diagnoses + s.unmapped_procedures + s.unmapped_drugs > 0 {
        println!(
            "SNOMED/RxNorm codes without a crosswalk entry (kept, with a fallback code): diagnoses {}, procedures {}, drugs {}",
            s.unmapped_diagnoses, s.unmapped_procedures, s.unmapped_drugs
        );
    }
    if s.claims_without_diagnosis + s.claims_without_lines > 0 {
        println!(
            "claims without diagnosis (coded R69): {}; claims without lines (one claim-level item): {}",
            s.claims_without_diagnosis, s.claims_without_lines
        );
    }
    let secs = report.elapsed.as_secs_f64();
    println!(
        "{} EOBs in {:.2} s ({:.0} EOB/s, {} claim rows)",
        report.eobs(),
        secs,
        rate(report.eobs(), secs),
        report.claim_rows
    );
}

fn display_name(p: &Path) -> String {
    p.file_name().map_or_else(
        || p.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}
