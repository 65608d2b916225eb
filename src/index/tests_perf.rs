//! Release-mode figures (not a test of behaviour):
//! `cargo test --release --lib index -- --ignored --nocapture`.

use tempfile::TempDir;

use super::tests::{generated, now_ms, q};
use super::*;

fn cpu_secs() -> f64 {
    crate::clock::process_cpu_secs()
}

/// Release-mode measurement on a 1,000-member store:
/// `cargo test --release --lib index -- --ignored --nocapture`.
#[test]
#[ignore]
fn measure_rebuild_and_search() {
    use std::time::Instant;
    let t = Instant::now();
    let (_dir, store) = generated(1000);
    println!("generate + import: {:?}", t.elapsed());
    let tmp = TempDir::new().unwrap();
    let index = SearchIndex::open(tmp.path()).unwrap();
    let (t, cpu) = (Instant::now(), cpu_secs());
    let n = index.rebuild_from(&store).unwrap();
    let (secs, cpu) = (t.elapsed().as_secs_f64(), cpu_secs() - cpu);
    println!(
        "rebuild_from (disk): {n} docs in {secs:.2} s = {:.0} docs/s; {cpu:.2} CPU-s = {:.0} docs/CPU-s",
        n as f64 / secs,
        n as f64 / cpu
    );
    let mem = SearchIndex::in_memory().unwrap();
    let t = Instant::now();
    mem.rebuild_from(&store).unwrap();
    let secs = t.elapsed().as_secs_f64();
    println!("rebuild_from (ram): {:.0} docs/s", n as f64 / secs);
    println!(
        "segments: {}",
        index.reader.searcher().segment_readers().len()
    );

    let read = store.read().unwrap();
    let mut patients = Vec::new();
    read.for_each("Patient", |id, _| {
        patients.push(id.to_string());
        Ok(())
    })
    .unwrap();
    let queries: Vec<SearchQuery> = patients
        .iter()
        .map(|p| q("ExplanationOfBenefit", &[("patient", p)]))
        .collect();
    let mut hits = 0;
    for query in queries.iter().take(50) {
        hits += index.search(&read, query, now_ms()).unwrap().len();
    }
    let t = Instant::now();
    for query in &queries {
        hits += index.search(&read, query, now_ms()).unwrap().len();
    }
    let per = t.elapsed() / queries.len() as u32;
    println!(
        "search patient=<id>: {per:?} per search ({:.1} EOBs each)",
        hits as f64 / (queries.len() + 50) as f64
    );
    for (name, pairs) in [
        (
            "patient + service-date=ge",
            vec![("service-date", "ge2023-03-01")],
        ),
        (
            "billable-period-start=<day>",
            vec![("billable-period-start", "2023-03-01")],
        ),
        (
            "service-date=gt<dateTime>",
            vec![("service-date", "gt2025-06-01T00:00:00Z")],
        ),
        (
            "_lastUpdated=<instant>",
            vec![("_lastUpdated", "2025-01-02T03:04:05.000+00:00")],
        ),
    ] {
        let mut pairs = pairs;
        if name.starts_with("patient") {
            pairs.push(("patient", &patients[7]));
        }
        let query = q("ExplanationOfBenefit", &pairs);
        let n = index.search(&read, &query, now_ms()).unwrap().len();
        let t = Instant::now();
        for _ in 0..20 {
            index.search(&read, &query, now_ms()).unwrap();
        }
        println!("search {name}: {:?} ({n} hits)", t.elapsed() / 20);
    }
}
