//! `bench table`: every figure of the scale table (issue 15) in one run, against a server in
//! a process of its own (this binary's `serve`), so its RSS and start-up are its own:
//!
//! * import N generated beneficiaries into a fresh data directory, index included: EOB/s
//!   until searchable;
//! * restart: spawn `serve` on that directory, time until the first `/metadata` answers;
//! * RSS idle (after start) and peak (`VmHWM`) after the loads;
//! * `/ping`, EOB read, search by patient (at `connections`, p99), search by patient and
//!   `_include=ExplanationOfBenefit:*` at 1 connection (p50), and `/metadata`; each load
//!   after one pass with every path once, so the figures are the steady state (the first
//!   pass of `_include` is printed too: it makes each match's links);
//! * a first start with the defaults on an empty data directory: time to the first
//!   `/metadata`, and until every member is searchable (the seed, then the background fill).

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::api::{get_request, load, LoadResult, Repeat};
use super::{mib, rate};
use crate::clock::{Clock, SystemClock};
use crate::generate::{self, GenerateOptions};
use crate::store::Store;

#[derive(Clone)]
pub struct TableBench {
    pub beneficiaries: u64,
    pub work_dir: PathBuf,
    pub seconds: u64,
    pub connections: usize,
}

/// The server process; killed when dropped.
pub(super) struct Server {
    child: Child,
    pub addr: SocketAddr,
}

impl Drop for Server {
    /// Stops the server as an operator would (SIGTERM, so the store closes cleanly and the
    /// restart measured next is not a crash recovery), and kills it if it lingers.
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub(super) fn status_kb(&self, field: &str) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        let line = status.lines().find(|l| l.starts_with(field))?;
        line.split_whitespace().nth(1)?.parse().ok()
    }
}

/// A fresh data directory with `beneficiaries` generated members imported until searchable,
/// and what the loads ask for.
pub(super) struct Prepared {
    pub data_dir: PathBuf,
    pub eobs: u64,
    /// Seconds until the import was durable in the store, and until it was searchable too.
    pub import_secs: f64,
    pub searchable_secs: f64,
    pub eob_ids: Vec<String>,
    pub patient_ids: Vec<String>,
}

/// Generates `beneficiaries` members into `work_dir` (kept and reused by later runs) and
/// imports them into a fresh data directory there, as `carin-sandbox import` does it.
pub(super) fn prepare(beneficiaries: u64, work_dir: &std::path::Path) -> anyhow::Result<Prepared> {
    std::fs::create_dir_all(work_dir)?;
    let cpcds = work_dir.join(format!("table-cpcds-{beneficiaries}"));
    if !cpcds.join(generate::CLAIMS_FILE).exists() {
        println!("generating {beneficiaries} beneficiaries …");
        generate::generate(
            &GenerateOptions {
                beneficiaries,
                seed: 1,
            },
            &cpcds,
            &mut |_| {},
        )?;
    }
    let data_dir = work_dir.join(format!("table-data-{beneficiaries}"));
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    std::fs::create_dir_all(&data_dir)?;

    // Import until searchable, as `carin-sandbox import` does it.
    let started = Instant::now();
    let (eobs, import_secs, eob_ids, patient_ids) = {
        let store = Store::open(&data_dir)?;
        let index = crate::index::SearchIndex::open(&data_dir.join(crate::app::INDEX_DIR))?;
        let report = crate::cpcds::import_indexed(
            &cpcds,
            &store,
            &index,
            SystemClock.now(),
            &mut |_, _| {},
        )?;
        let import_secs = started.elapsed().as_secs_f64();
        let (eob_ids, patient_ids) = super::api::sample_ids_of(&store)?;
        (report.eobs(), import_secs, eob_ids, patient_ids)
    };
    let searchable_secs = started.elapsed().as_secs_f64();
    Ok(Prepared {
        data_dir,
        eobs,
        import_secs,
        searchable_secs,
        eob_ids,
        patient_ids,
    })
}

/// What one load measured: its first, untimed-for-the-table pass over the paths (each once),
/// and then the steady state over `seconds`.
pub(super) struct Warmed {
    pub first_pass: LoadResult,
    pub steady: LoadResult,
}

impl Warmed {
    /// The steady state's figures, with the first pass's errors counted too.
    pub(super) fn counted(self) -> LoadResult {
        LoadResult {
            errors: self.first_pass.errors + self.steady.errors,
            ..self.steady
        }
    }
}

/// Loads `server` with `paths` over `connections` keep-alive connections: one pass with each
/// path once (bounded by `seconds`), then round and round for `seconds`. The figures are the
/// steady state a returning client sees (resources and their `_include` links cached); the
/// first pass pays for what a first visit makes, and one short load's figure would mix the
/// two in a proportion that depends on the machine's speed.
pub(super) fn load_paths(
    runtime: &tokio::runtime::Runtime,
    addr: SocketAddr,
    paths: &[String],
    connections: usize,
    seconds: u64,
) -> anyhow::Result<Warmed> {
    let requests: Arc<Vec<Vec<u8>>> =
        Arc::new(paths.iter().map(|p| get_request(p, None)).collect());
    let duration = Duration::from_secs(seconds);
    let first_pass = runtime.block_on(load(
        addr,
        Arc::clone(&requests),
        connections,
        duration,
        Repeat::Once,
    ))?;
    let steady = runtime.block_on(load(addr, requests, connections, duration, Repeat::Cycle))?;
    Ok(Warmed { first_pass, steady })
}

/// The load generator's runtime: one worker thread, so it takes one core at most.
pub(super) fn load_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?)
}

pub fn run(opts: &TableBench) -> anyhow::Result<i32> {
    let Prepared {
        data_dir,
        eobs,
        import_secs,
        searchable_secs,
        eob_ids,
        patient_ids,
    } = prepare(opts.beneficiaries, &opts.work_dir)?;

    let server = spawn_server(&data_dir)?;
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle = server.status_kb("VmRSS:").unwrap_or(0) * 1024;

    let runtime = load_runtime()?;
    let run = |paths: &[String], connections: usize| {
        load_paths(&runtime, server.addr, paths, connections, opts.seconds)
    };
    let steady =
        |paths: &[String], connections: usize| run(paths, connections).map(Warmed::counted);
    let eob_paths: Vec<String> = eob_ids
        .iter()
        .map(|id| format!("/v2/fhir/ExplanationOfBenefit/{id}"))
        .collect();
    let search_paths: Vec<String> = patient_ids
        .iter()
        .map(|p| format!("/v2/fhir/ExplanationOfBenefit?patient={p}"))
        .collect();
    let include_paths: Vec<String> = search_paths
        .iter()
        .map(|p| format!("{p}&_include=ExplanationOfBenefit:*"))
        .collect();
    let c = opts.connections;
    let ping = steady(&["/ping".to_string()], c)?;
    let read = steady(&eob_paths, c)?;
    let search = steady(&search_paths, c)?;
    let search_1 = steady(&search_paths, 1)?;
    let Warmed {
        first_pass: include_first,
        steady: include_1,
    } = run(&include_paths, 1)?;
    let metadata = steady(&["/v2/fhir/metadata".to_string()], c)?;
    let rss_peak = server.status_kb("VmHWM:").unwrap_or(0) * 1024;
    let errors = ping.errors
        + read.errors
        + search.errors
        + search_1.errors
        + include_1.errors
        + include_first.errors
        + metadata.errors;
    drop(server);

    let restart = time_restart(&data_dir)?;
    let first = first_start(opts.beneficiaries, &opts.work_dir)?;
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { 0.0 };

    println!(
        "{} beneficiaries, {eobs} EOBs; {c} connections, {} s per load; server: `serve --no-seed --insecure-open-api` in its own process",
        opts.beneficiaries, opts.seconds
    );
    println!("| figure | measured | goal |");
    println!("|---|---|---|");
    println!(
        "| EOB read vs `GET /ping` | {:.1}k vs {:.1}k req/s = **{:.2}×** | ≥ 0.5× |",
        read.rate / 1000.0,
        ping.rate / 1000.0,
        ratio(read.rate, ping.rate)
    );
    println!(
        "| search by patient | {:.1}k req/s, p99 {:.2} ms; 1 connection p50 {:.2} ms | p99 ≤ 5 ms at 32 connections; p50 ≤ 0.3 ms at 1 |",
        search.rate / 1000.0,
        search.p99_ms,
        search_1.p50_ms
    );
    println!(
        "| `_include=ExplanationOfBenefit:*` | {:.0} req/s at 1 connection (p50 {:.2} ms), {:.2}× a plain search ({:.0} req/s); first visit of each member {:.0} req/s | ≥ 0.5× a plain search |",
        include_1.rate,
        include_1.p50_ms,
        ratio(include_1.rate, search_1.rate),
        search_1.rate,
        include_first.rate
    );
    println!(
        "| import {} beneficiaries | {:.1} s to the store, {:.1} s searchable → **{:.1}k EOB/s searchable** | ≥ 25k EOB/s |",
        opts.beneficiaries,
        import_secs,
        searchable_secs,
        rate(eobs, searchable_secs) / 1000.0
    );
    println!(
        "| restart to first `/metadata` | {:.0} ms | ≤ 250 ms |",
        restart.as_secs_f64() * 1000.0
    );
    println!(
        "| RSS idle / peak under load | {:.0} / {:.0} MiB | ≤ 150 / ≤ 400 MiB |",
        mib(rss_idle),
        mib(rss_peak)
    );
    println!(
        "| `/metadata` | {:.1}k req/s ({:.2}× `/ping`) | served from bytes made once |",
        metadata.rate / 1000.0,
        ratio(metadata.rate, ping.rate)
    );
    println!(
        "| first start, empty data directory (`serve --beneficiaries {n}`) | first `/metadata` after {:.0} ms; all {n} members searchable after **{:.1} s**; RSS then {:.0} MiB | ≤ 1 s; ≤ 60 s |",
        first.metadata.as_secs_f64() * 1000.0,
        first.searchable.as_secs_f64(),
        mib(first.rss),
        n = opts.beneficiaries,
    );
    if errors > 0 {
        println!("non-200 answers during the loads: {errors}");
    }
    Ok(0)
}

/// What a first start took.
struct FirstStart {
    metadata: Duration,
    searchable: Duration,
    rss: u64,
}

/// `serve` with the defaults (the seed, then the fill up to `beneficiaries`) on an empty data
/// directory: time to the first `/metadata`, then until a search counts every member.
fn first_start(beneficiaries: u64, work_dir: &std::path::Path) -> anyhow::Result<FirstStart> {
    let data_dir = work_dir.join(format!("first-start-{beneficiaries}"));
    if data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)?;
    }
    let n = beneficiaries.to_string();
    let started = Instant::now();
    let (server, metadata) = spawn_and_wait(
        &data_dir,
        &["--insecure-open-api", "--beneficiaries", n.as_str()],
    )?;
    let count = get_request("/v2/fhir/Patient?_summary=count", None);
    loop {
        if patients_counted(server.addr, &count) == Some(beneficiaries) {
            break;
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(600),
            "the fill did not finish within 600 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let searchable = started.elapsed();
    let rss = server.status_kb("VmRSS:").unwrap_or(0) * 1024;
    drop(server);
    let _ = std::fs::remove_dir_all(&data_dir);
    Ok(FirstStart {
        metadata,
        searchable,
        rss,
    })
}

/// The `total` of a `_summary=count` search, read from one request on a new connection.
fn patients_counted(addr: SocketAddr, request: &[u8]) -> Option<u64> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(request).ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    // The Bundle of a count is small: read until its closing brace.
    while !answer.ends_with(b"}") {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    let body = text.split_once("\r\n\r\n")?.1;
    let bundle: serde_json::Value = serde_json::from_str(body).ok()?;
    bundle["total"].as_u64()
}

/// `serve` on `data_dir` in a child process, on a free loopback port, once `/metadata` answers.
pub(super) fn spawn_server(data_dir: &std::path::Path) -> anyhow::Result<Server> {
    let (server, _) = spawn_and_wait(data_dir, MEASURED)?;
    Ok(server)
}

/// How the loads' server runs: the data it was given only, no token needed.
const MEASURED: &[&str] = &["--no-seed", "--insecure-open-api", "--beneficiaries", "0"];

/// Time from spawning `serve` on an existing data directory to its first `/metadata` answer.
pub(super) fn time_restart(data_dir: &std::path::Path) -> anyhow::Result<Duration> {
    let (_server, took) = spawn_and_wait(data_dir, MEASURED)?;
    Ok(took)
}

fn spawn_and_wait(data_dir: &std::path::Path, args: &[&str]) -> anyhow::Result<(Server, Duration)> {
    let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let exe = std::env::current_exe().context("this binary's path")?;
    let started = Instant::now();
    let child = Command::new(exe)
        .arg("serve")
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--listen")
        .arg(addr.to_string())
        .args(args)
        // No line per request: the load is measured, not the log (as `bench api` does).
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting serve")?;
    let mut server = Server { child, addr };
    let request = get_request("/v2/fhir/metadata", None);
    loop {
        if let Some(status) = server.child.try_wait()? {
            anyhow::bail!("serve exited: {status}");
        }
        if metadata_answers(addr, &request) {
            return Ok((server, started.elapsed()));
        }
        anyhow::ensure!(
            started.elapsed() < Duration::from_secs(120),
            "serve did not answer within 120 s"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn metadata_answers(addr: SocketAddr, request: &[u8]) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    if stream.write_all(request).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}
