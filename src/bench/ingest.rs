//! `bench ingest`: generate, import, and report rate, memory and store size.

use std::path::Path;
use std::time::Instant;

use crate::clock::{Clock, SystemClock};
use crate::generate::{self, GenerateOptions};
use crate::store::{Store, STORE_FILE};

use super::{mib, peak_rss_bytes, rate};

pub fn ingest(beneficiaries: u64, work_dir: Option<&Path>) -> anyhow::Result<i32> {
    let temp;
    let work = match work_dir {
        Some(w) => w.to_path_buf(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_path_buf()
        }
    };
    let clock = SystemClock;
    let cpcds_dir = work.join("cpcds");
    let data_dir = work.join("data");
    let _ = std::fs::remove_dir_all(&data_dir);
    std::fs::create_dir_all(&data_dir)?;

    let t = Instant::now();
    let generated = generate::generate(
        &GenerateOptions {
            beneficiaries,
            seed: 1,
        },
        &cpcds_dir,
        &mut |_| {},
    )?;
    let gen_secs = t.elapsed().as_secs_f64();
    let rss_after_generate = peak_rss_bytes().unwrap_or(0);
    println!(
        "generate: {beneficiaries} beneficiaries, {} claims, {} rows in {gen_secs:.2} s ({:.0} claims/s)",
        generated.claims,
        generated.claim_lines,
        rate(generated.claims, gen_secs)
    );

    let store = Store::open(&data_dir)?;
    let report = crate::cpcds::import_dir(&cpcds_dir, &store, clock.now(), &mut |_, _| {})?;
    let secs = report.elapsed.as_secs_f64();
    let eobs = report.eobs();
    let read = store.read()?;
    let (json_bytes, stored_bytes) = read.bytes("ExplanationOfBenefit")?;
    drop(read);
    drop(store);
    let file_bytes = std::fs::metadata(data_dir.join(STORE_FILE))?.len();
    let peak = peak_rss_bytes().unwrap_or(0);
    println!(
        "import:   {eobs} EOBs ({} resources) in {secs:.2} s = {:.0} EOB/s end to end (goal >= 20000)",
        report.changed(),
        rate(eobs, secs)
    );
    println!(
        "memory:   peak RSS {:.0} MiB (goal < 1024; after generation alone {:.0} MiB)",
        mib(peak),
        mib(rss_after_generate)
    );
    println!(
        "store:    {:.0} MiB on disk = {:.0} bytes per EOB (all resource types and redb overhead included); an EOB is {:.0} bytes of JSON, {:.0} bytes stored (zstd)",
        mib(file_bytes),
        div(file_bytes, eobs),
        div(json_bytes, eobs),
        div(stored_bytes, eobs)
    );

    // Re-import of the same files: nothing changes.
    let store = Store::open(&data_dir)?;
    let again = crate::cpcds::import_dir(&cpcds_dir, &store, clock.now(), &mut |_, _| {})?;
    println!(
        "re-import: {} changed of {} in {:.2} s",
        again.changed(),
        again
            .by_type
            .values()
            .map(crate::cpcds::Counts::total)
            .sum::<u64>(),
        again.elapsed.as_secs_f64()
    );
    drop(store);

    let seed_dir = tempfile::tempdir()?;
    let seed_store = Store::open(seed_dir.path())?;
    let t = Instant::now();
    let seed_index = crate::index::SearchIndex::open(&seed_dir.path().join(crate::app::INDEX_DIR))?;
    let seeded = crate::seed::load_if_empty(
        &seed_store,
        &seed_index,
        seed_dir.path(),
        clock.now(),
        &mut |_, _| {},
    )?;
    println!(
        "seed:     first-start load of the bundled seed, indexed: {:.2} s ({} EOBs)",
        t.elapsed().as_secs_f64(),
        seeded.map_or(0, |r| r.eobs())
    );
    Ok(0)
}

fn div(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}
