//! `bench api`: the FHIR API under load from a loopback load generator (HTTP/1.1 keep-alive,
//! N concurrent connections), against a generated store. Reports requests/s and p50/p99
//! latency per scenario, with a trivial endpoint (`/ping`) in the same run as the ceiling.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::{mib, peak_rss_bytes, rss_bytes};
use crate::app::{Application, ServeConfig};
use crate::clock::{Clock, SystemClock};
use crate::generate::{self, GenerateOptions};
use crate::store::Store;

#[derive(Clone)]
pub struct ApiBench {
    pub beneficiaries: u64,
    pub work_dir: PathBuf,
    pub seconds: u64,
    pub connections: usize,
    /// Record every request in the audit trail, as `serve` does (`--no-audit-reads`: off).
    pub audit_reads: bool,
}

pub fn run(opts: &ApiBench) -> anyhow::Result<i32> {
    let data_dir = opts
        .work_dir
        .join(format!("api-data-{}", opts.beneficiaries));
    prepare_store(opts, &data_dir)?;
    let (eob_ids, patient_ids) = sample_ids(&data_dir)?;
    let addr = start_server(&data_dir, opts.audit_reads)?;
    println!(
        "per-request audit write: {}",
        if opts.audit_reads { "on" } else { "off" }
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let scenarios: Vec<(&str, Vec<String>)> = vec![
        ("trivial endpoint GET /ping", vec!["/ping".to_string()]),
        (
            "EOB read by id",
            eob_ids
                .iter()
                .map(|id| format!("/v2/fhir/ExplanationOfBenefit/{id}"))
                .collect(),
        ),
        (
            "EOB search by patient",
            patient_ids
                .iter()
                .map(|p| format!("/v2/fhir/ExplanationOfBenefit?patient={p}"))
                .collect(),
        ),
        (
            "EOB search by patient + _include=*",
            patient_ids
                .iter()
                .map(|p| {
                    format!(
                        "/v2/fhir/ExplanationOfBenefit?patient={p}&_include=ExplanationOfBenefit:*"
                    )
                })
                .collect(),
        ),
    ];
    println!(
        "{:<38} {:>10} {:>10} {:>10} {:>9} {:>12}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors", "cpu µs/req"
    );
    for (name, paths) in scenarios {
        let requests = Arc::new(paths.iter().map(|p| get_request(p, None)).collect());
        // The whole process's CPU (server, load generator, audit writer) per request: unlike
        // the rate, it hardly moves when other work shares the machine.
        let cpu_before = crate::clock::process_cpu_secs();
        let r = runtime.block_on(load(
            addr,
            requests,
            opts.connections,
            Duration::from_secs(opts.seconds),
            Repeat::Cycle,
        ))?;
        let cpu = crate::clock::process_cpu_secs() - cpu_before;
        let cpu_us = cpu * 1e6 / (r.rate * opts.seconds as f64).max(1.0);
        println!(
            "{name:<38} {:>10.0} {:>10.3} {:>10.3} {:>9} {cpu_us:>12.1}",
            r.rate, r.p50_ms, r.p99_ms, r.errors
        );
    }
    println!(
        "server process RSS now {:.0} MiB, peak {:.0} MiB ({} connections, {} s per scenario)",
        mib(rss_bytes().unwrap_or(0)),
        mib(peak_rss_bytes().unwrap_or(0)),
        opts.connections,
        opts.seconds
    );
    Ok(0)
}

pub(super) fn prepare_store(opts: &ApiBench, data_dir: &Path) -> anyhow::Result<()> {
    if data_dir.join(crate::store::STORE_FILE).exists() {
        return Ok(());
    }
    let cpcds = opts
        .work_dir
        .join(format!("api-cpcds-{}", opts.beneficiaries));
    println!(
        "preparing a {}-beneficiary store in {} …",
        opts.beneficiaries,
        data_dir.display()
    );
    generate::generate(
        &GenerateOptions {
            beneficiaries: opts.beneficiaries,
            seed: 1,
        },
        &cpcds,
        &mut |_| {},
    )?;
    std::fs::create_dir_all(data_dir)?;
    let store = Store::open(data_dir)?;
    let report = crate::cpcds::import_dir(&cpcds, &store, SystemClock.now(), &mut |_, _| {})?;
    let started = Instant::now();
    crate::app::open_index(&store, data_dir)?;
    println!(
        "imported {} EOBs in {:.1} s, indexed in {:.1} s",
        report.eobs(),
        report.elapsed.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    let _ = std::fs::remove_dir_all(&cpcds);
    Ok(())
}

fn start_server(data_dir: &Path, audit_reads: bool) -> anyhow::Result<SocketAddr> {
    start_server_with(ServeConfig {
        load_seed: false,
        insecure_open_api: true,
        audit_reads,
        ..ServeConfig::new(data_dir)
    })
}

/// Starts a server on a thread of its own; returns its address.
pub(super) fn start_server_with(config: ServeConfig) -> anyhow::Result<SocketAddr> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            match Application::build(config) {
                Ok(app) => {
                    let _ = tx.send(Ok(app.addrs()[0]));
                    let _ = app.run().await;
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
    });
    rx.recv().context("the server thread stopped")?
}

/// About 5,000 EOB ids and 1,000 patient ids spread over the store (read before the server
/// opens it).
fn sample_ids(data_dir: &Path) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    sample_ids_of(&Store::open(data_dir)?)
}

/// `sample_ids` of an open store.
pub(super) fn sample_ids_of(store: &Store) -> anyhow::Result<(Vec<String>, Vec<String>)> {
    let read = store.read()?;
    let sample = |ty: &str, want: u64| -> anyhow::Result<Vec<String>> {
        let step = (read.count(ty)? / want).max(1);
        let mut ids = Vec::new();
        let mut i = 0u64;
        read.for_each_stored(ty, |id, _| {
            if i % step == 0 {
                ids.push(id.to_string());
            }
            i += 1;
            Ok(())
        })?;
        Ok(ids)
    };
    Ok((
        sample("ExplanationOfBenefit", 5000)?,
        sample("Patient", 1000)?,
    ))
}

pub(super) struct LoadResult {
    pub rate: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub errors: u64,
}

/// A GET request's bytes, with an optional bearer token.
pub(super) fn get_request(path: &str, bearer: Option<&str>) -> Vec<u8> {
    let auth = bearer.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/fhir+json\r\n{auth}\r\n")
        .into_bytes()
}

/// How the load generator walks its requests.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Repeat {
    /// Round and round until the time is up.
    Cycle,
    /// Each request once (single-use codes), or until the time is up.
    Once,
}

pub(super) async fn load(
    addr: SocketAddr,
    requests: Arc<Vec<Vec<u8>>>,
    connections: usize,
    duration: Duration,
    repeat: Repeat,
) -> anyhow::Result<LoadResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let requests = requests.clone();
        let next = next.clone();
        tasks.push(tokio::spawn(async move {
            connection(addr, &requests, c, deadline, repeat, &next).await
        }));
    }
    let mut latencies: Vec<u32> = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (lat, err) = t.await??;
        latencies.extend(lat);
        errors += err;
    }
    latencies.sort_unstable();
    let pct = |p: f64| -> f64 {
        if latencies.is_empty() {
            return 0.0;
        }
        f64::from(latencies[super::quantile_index(latencies.len(), p)]) / 1000.0
    };
    let elapsed = match repeat {
        Repeat::Cycle => duration,
        Repeat::Once => started.elapsed().min(duration),
    };
    let rate = latencies.len() as f64 / elapsed.as_secs_f64();
    Ok(LoadResult {
        rate,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        errors,
    })
}

/// One keep-alive connection sending requests back to back; latencies in microseconds.
async fn connection(
    addr: SocketAddr,
    requests: &[Vec<u8>],
    start: usize,
    deadline: Instant,
    repeat: Repeat,
    next: &std::sync::atomic::AtomicUsize,
) -> anyhow::Result<(Vec<u32>, u64)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut i = start * 7919;
    while Instant::now() < deadline {
        let request = match repeat {
            Repeat::Cycle => {
                i += 1;
                &requests[i % requests.len()]
            }
            Repeat::Once => {
                match requests.get(next.fetch_add(1, std::sync::atomic::Ordering::Relaxed)) {
                    Some(r) => r,
                    None => break,
                }
            }
        };
        let sent = Instant::now();
        stream.write_all(request).await?;
        let status = read_response(&mut stream, &mut buf).await?;
        latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
        if status != 200 {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}

/// Reads one response (headers, then a Content-Length body); returns the status code.
pub(super) async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> anyhow::Result<u16> {
    let mut filled = 0;
    let header_end = loop {
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = stream.read(&mut buf[filled..]).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        filled += n;
        if let Some(p) = buf[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = std::str::from_utf8(&buf[..header_end])?;
    let status: u16 = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .context("response without Content-Length")?;
    let mut remaining = (header_end + length).saturating_sub(filled);
    while remaining > 0 {
        let want = remaining.min(buf.len());
        let n = stream.read(&mut buf[..want]).await?;
        anyhow::ensure!(n > 0, "the server closed the connection");
        remaining -= n;
    }
    Ok(status)
}
