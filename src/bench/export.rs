//! `bench export`: Bulk Data export of a generated store (the same one `bench api` builds and
//! keeps in the work folder): a system export of every type and the export of the largest plan
//! Group, each run by the export engine the server's worker uses (`bulk`), with resources/s,
//! MB/s written and the peak RSS of the export alone (the peak is reset before each run).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::api::{prepare_store, ApiBench};
use super::{mib, peak_rss_bytes, rate, reset_peak_rss, rss_bytes};
use crate::bulk::{groups, Bulk, BulkConfig, ExportRequest, Level, EXPORT_ORDER};
use crate::clock::SystemClock;
use crate::store::Store;

pub struct ExportBench {
    pub beneficiaries: u64,
    pub work_dir: PathBuf,
}

/// What one export run measured.
pub struct Measured {
    pub resources: u64,
    pub files: usize,
    pub bytes: u64,
    pub secs: f64,
    pub peak_rss: u64,
}

pub fn run(opts: &ExportBench) -> anyhow::Result<i32> {
    let data_dir = opts
        .work_dir
        .join(format!("api-data-{}", opts.beneficiaries));
    prepare_store(
        &ApiBench {
            beneficiaries: opts.beneficiaries,
            work_dir: opts.work_dir.clone(),
            seconds: 0,
            connections: 0,
            audit_reads: false,
        },
        &data_dir,
    )?;
    let store = Store::open(&data_dir)?;
    let bulk = Bulk::open(
        &store,
        &data_dir,
        Arc::new(SystemClock),
        BulkConfig::default(),
        false,
    )?;

    let started = Instant::now();
    let plans = groups::groups(&store)?;
    let group_secs = started.elapsed().as_secs_f64();
    let largest = plans.by_id.values().max_by_key(|g| g.members.len());
    println!(
        "groups:  {} plan Groups computed from the Coverages in {:.2} s (cached per store generation)",
        plans.by_id.len(),
        group_secs
    );

    let mut levels = vec![("system export", Level::System)];
    if let Some(g) = largest {
        levels.push(("largest Group", Level::Group(g.id.clone())));
    }
    for (label, level) in levels {
        let m = export(&bulk, level)?;
        println!(
            "{label}: {} resources in {} files, {:.0} MiB of NDJSON in {:.2} s = {:.0} resources/s, {:.0} MiB/s; peak RSS {:.0} MiB",
            m.resources,
            m.files,
            mib(m.bytes),
            m.secs,
            rate(m.resources, m.secs),
            mib(m.bytes) / m.secs.max(1e-9),
            mib(m.peak_rss)
        );
    }
    println!("process RSS now {:.0} MiB", mib(rss_bytes().unwrap_or(0)));
    Ok(0)
}

/// Runs one export of every type at `level` on this thread, then deletes its files.
pub fn export(bulk: &Bulk, level: Level) -> anyhow::Result<Measured> {
    reset_peak_rss();
    let started = Instant::now();
    let job = bulk.kick_off(ExportRequest {
        level,
        types: EXPORT_ORDER.iter().map(|t| t.to_string()).collect(),
        since: None,
        type_filters: Vec::new(),
        request: "bench".into(),
        client_id: "bench".into(),
    })?;
    bulk.run_queued()?;
    let secs = started.elapsed().as_secs_f64();
    let peak_rss = peak_rss_bytes().unwrap_or(0);
    let job = bulk.job(&job.id, "bench")?;
    if let Some(e) = &job.error {
        anyhow::bail!("the export failed: {e}");
    }
    let dir = bulk.job_dir(&job.id);
    let mut bytes = 0;
    for f in &job.files {
        bytes += std::fs::metadata(dir.join(&f.name))?.len();
    }
    bulk.cancel(&job.id, "bench")?;
    Ok(Measured {
        resources: job.files.iter().map(|f| f.count).sum(),
        files: job.files.len(),
        bytes,
        secs,
        peak_rss,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_store_exports_every_resource() {
        let dir = tempfile::tempdir().unwrap();
        let opts = ExportBench {
            beneficiaries: 12,
            work_dir: dir.path().to_path_buf(),
        };
        assert_eq!(run(&opts).unwrap(), 0);
        let data_dir = dir.path().join("api-data-12");
        let store = Store::open(&data_dir).unwrap();
        let bulk = Bulk::open(
            &store,
            &data_dir,
            Arc::new(SystemClock),
            BulkConfig::default(),
            false,
        )
        .unwrap();
        let m = export(&bulk, Level::System).unwrap();
        let read = store.read().unwrap();
        let stored: u64 = EXPORT_ORDER.iter().map(|t| read.count(t).unwrap()).sum();
        assert_eq!(m.resources, stored);
        assert!(m.bytes > 0 && m.files >= 5);
    }
}
