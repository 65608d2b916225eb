//! `bench curve`: how the figures move with the number of members (issue 15's scale curve:
//! 1,000, 10,000, 30,000 and 100,000). For each size: generate (kept for later runs), import
//! into a fresh data directory until searchable, restart, then from a server process of its
//! own: RSS idle, search by patient and EOB read at one connection (p50), search by patient at
//! `connections` (req/s, p99), RSS peak. The data directory is removed after its row unless
//! `keep`, so a 100,000-member run does not leave gigabytes behind.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::table::{load_paths, load_runtime, prepare, spawn_server, time_restart, Warmed};
use super::{mib, rate};

#[derive(Clone)]
pub struct CurveBench {
    pub sizes: Vec<u64>,
    pub work_dir: PathBuf,
    pub seconds: u64,
    pub connections: usize,
    pub keep: bool,
}

/// One size's figures.
struct Point {
    beneficiaries: u64,
    eobs: u64,
    searchable_rate: f64,
    disk_mib: f64,
    restart_ms: f64,
    rss_idle_mib: f64,
    rss_peak_mib: f64,
    search_p50_ms: f64,
    read_p50_ms: f64,
    search_rate: f64,
    search_p99_ms: f64,
}

pub fn run(opts: &CurveBench) -> anyhow::Result<i32> {
    anyhow::ensure!(!opts.sizes.is_empty(), "no sizes given");
    println!(
        "{} s per load; the server is `serve --no-seed --insecure-open-api` in its own process",
        opts.seconds
    );
    println!(
        "| members | EOBs | import until searchable | on disk | first `serve` after the import to /metadata (makes the RSA keys) | RSS idle / peak | search by patient p50 (1 conn) | EOB read p50 (1 conn) | search by patient, {} conns |",
        opts.connections
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    let mut points = Vec::new();
    for &n in &opts.sizes {
        let point = measure(n, opts)?;
        println!(
            "| {} | {} | {:.1}k EOB/s | {:.0} MiB | {:.0} ms | {:.0} / {:.0} MiB | {:.3} ms | {:.3} ms | {:.1}k req/s, p99 {:.2} ms |",
            point.beneficiaries,
            point.eobs,
            point.searchable_rate / 1000.0,
            point.disk_mib,
            point.restart_ms,
            point.rss_idle_mib,
            point.rss_peak_mib,
            point.search_p50_ms,
            point.read_p50_ms,
            point.search_rate / 1000.0,
            point.search_p99_ms,
        );
        points.push(point);
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        if points.len() > 1 && first.search_p50_ms > 0.0 {
            println!(
                "search by patient p50 at {} members is {:+.0}% of the {}-member figure (goal: within 20%)",
                last.beneficiaries,
                (last.search_p50_ms / first.search_p50_ms - 1.0) * 100.0,
                first.beneficiaries
            );
        }
    }
    Ok(0)
}

fn measure(beneficiaries: u64, opts: &CurveBench) -> anyhow::Result<Point> {
    let prepared = prepare(beneficiaries, &opts.work_dir)?;
    let disk_mib = mib(dir_bytes(&prepared.data_dir));
    let restart = time_restart(&prepared.data_dir)?;
    let server = spawn_server(&prepared.data_dir)?;
    std::thread::sleep(Duration::from_secs(2));
    let rss_idle = server.status_kb("VmRSS:").unwrap_or(0) * 1024;
    let runtime = load_runtime()?;
    let search_paths: Vec<String> = prepared
        .patient_ids
        .iter()
        .map(|p| format!("/v2/fhir/ExplanationOfBenefit?patient={p}"))
        .collect();
    let eob_paths: Vec<String> = prepared
        .eob_ids
        .iter()
        .map(|id| format!("/v2/fhir/ExplanationOfBenefit/{id}"))
        .collect();
    let run = |paths: &[String], connections: usize| {
        load_paths(&runtime, server.addr, paths, connections, opts.seconds).map(Warmed::counted)
    };
    let search_1 = run(&search_paths, 1)?;
    let read_1 = run(&eob_paths, 1)?;
    let search_c = run(&search_paths, opts.connections)?;
    let rss_peak = server.status_kb("VmHWM:").unwrap_or(0) * 1024;
    let errors = search_1.errors + read_1.errors + search_c.errors;
    drop(server);
    if errors > 0 {
        println!("{beneficiaries} members: non-200 answers during the loads: {errors}");
    }
    if !opts.keep {
        std::fs::remove_dir_all(&prepared.data_dir)?;
    }
    Ok(Point {
        beneficiaries,
        eobs: prepared.eobs,
        searchable_rate: rate(prepared.eobs, prepared.searchable_secs),
        disk_mib,
        restart_ms: restart.as_secs_f64() * 1000.0,
        rss_idle_mib: mib(rss_idle),
        rss_peak_mib: mib(rss_peak),
        search_p50_ms: search_1.p50_ms,
        read_p50_ms: read_1.p50_ms,
        search_rate: search_c.rate,
        search_p99_ms: search_c.p99_ms,
    })
}

/// Bytes of every file under `dir` (store and index).
fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}
