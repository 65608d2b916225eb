#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! `carin-sandbox import` killed with SIGKILL at random points: afterwards the store holds
//! all of the import or none of it, and the search index is in step with it (or is brought in
//! step by the next open, as `serve` does, without anyone running `reindex`).

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carin_sandbox::export::RESOURCE_TYPES;
use carin_sandbox::generate::{self, GenerateOptions};
use carin_sandbox::index::SearchIndex;
use carin_sandbox::store::Store;

const MEMBERS: u64 = 40;

fn counts(store: &Store) -> u64 {
    let read = store.read().unwrap();
    RESOURCE_TYPES.iter().map(|t| read.count(t).unwrap()).sum()
}

fn import(cpcds: &Path, data: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
        .arg("import")
        .arg(cpcds)
        .arg("--data-dir")
        .arg(data)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("import starts")
}

/// Opens the data directory as `serve` does and checks store and index agree.
fn check_consistent(data: &Path, full: u64) -> u64 {
    // A kill before the import made its data directory leaves nothing; `serve` makes the
    // directory as it starts, so do the same.
    std::fs::create_dir_all(data).unwrap();
    let store = Store::open(data).unwrap();
    let total = counts(&store);
    let patients = store.read().unwrap().count("Patient").unwrap();
    assert!(
        patients == 0 || patients == MEMBERS,
        "all or nothing: {patients} patients"
    );
    assert!(total == 0 || total == full, "{total} resources of {full}");
    let index = carin_sandbox::app::open_index(&store, data).unwrap();
    assert_eq!(index.doc_count(), total, "index in step with the store");
    let generation = store.read().unwrap().generation().unwrap().to_string();
    assert_eq!(index.stamp().unwrap(), Some(generation));
    total
}

#[test]
fn import_killed_at_random_points_leaves_store_and_index_consistent() {
    let work = tempfile::tempdir().unwrap();
    let cpcds = work.path().join("cpcds");
    generate::generate(
        &GenerateOptions {
            beneficiaries: MEMBERS,
            seed: 11,
        },
        &cpcds,
        &mut |_| {},
    )
    .unwrap();

    // A complete run: how long an import takes here, and what it writes.
    let reference = work.path().join("reference");
    let started = Instant::now();
    let status = import(&cpcds, &reference).wait().unwrap();
    let took = started.elapsed();
    assert!(status.success());
    let full = {
        let store = Store::open(&reference).unwrap();
        let n = counts(&store);
        let index = SearchIndex::open(&reference.join(carin_sandbox::app::INDEX_DIR)).unwrap();
        assert_eq!(index.doc_count(), n, "import leaves the data searchable");
        n
    };
    assert!(full > MEMBERS);

    let random = RandomState::new();
    let span = u64::try_from(took.as_millis()).unwrap().max(50) * 12 / 10;
    let mut outcomes = Vec::new();
    for round in 0..3u64 {
        let data = work.path().join(format!("killed-{round}"));
        // Some rounds kill a re-import over a complete store instead of a first import.
        if round % 2 == 1 {
            assert!(import(&cpcds, &data).wait().unwrap().success());
        }
        let delay = random.hash_one(round) % span;
        let mut child = import(&cpcds, &data);
        std::thread::sleep(Duration::from_millis(delay));
        let _ = child.kill();
        let _ = child.wait();
        let total = check_consistent(&data, full);
        outcomes.push((delay, total));
        // And the import, run again, completes over whatever the kill left.
        assert!(import(&cpcds, &data).wait().unwrap().success());
        assert_eq!(check_consistent(&data, full), full);
    }
    eprintln!("import took {took:?}; (kill after ms, resources left): {outcomes:?}");
}
