//! The search index after `import`, through the real binary: `import` leaves the index in step
//! in the same command, and the next `serve` answers searches from what was just imported even
//! when a re-import edited a claim without changing any count.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use carin_sandbox::generate::{self, GenerateOptions};
use carin_sandbox::index::SearchIndex;
use carin_sandbox::store::Store;
use serde_json::Value;

use super::{edit_cells, first_claim_id};

fn bin(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
        .args(args)
        .env_remove("CARIN_DATA_DIR")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn import(csv: &Path, data: &Path) -> String {
    let out = bin(&[
        "import",
        csv.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The index on disk reflects the store's current generation.
fn assert_index_in_step(data: &Path) {
    let store = Store::open(data).unwrap();
    let now = store.read().unwrap().generation().unwrap();
    let index = SearchIndex::open(&data.join(carin_sandbox::app::INDEX_DIR)).unwrap();
    assert_eq!(index.stamp().unwrap(), Some(now.to_string()));
}

/// `serve` on a free loopback port, killed when dropped.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(data: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
            .args(["serve", "--no-seed", "--insecure-open-api", "--listen"])
            .arg("127.0.0.1:0")
            .arg("--data-dir")
            .arg(data)
            .env_remove("CARIN_LISTEN")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("serve exited before listening")
                .unwrap();
            if let Some(url) = line.strip_prefix("carin-sandbox listening on ") {
                break url.to_string();
            }
        };
        Self { child, base }
    }

    /// Ids of the EOBs whose billing period starts on `day`.
    fn eobs_starting(&self, day: &str) -> Vec<String> {
        let url = format!(
            "{}/v2/fhir/ExplanationOfBenefit?billable-period-start={day}&_count=1000",
            self.base
        );
        let bundle: Value = reqwest::blocking::get(url).unwrap().json().unwrap();
        bundle["entry"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| e["resource"]["id"].as_str().unwrap().to_string())
            .collect()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn search_answers_from_a_reimported_claim_after_the_next_serve() {
    let tmp = tempfile::tempdir().unwrap();
    let (csv, data) = (tmp.path().join("csv"), tmp.path().join("data"));
    generate::generate(
        &GenerateOptions {
            beneficiaries: 3,
            seed: 11,
        },
        &csv,
        &mut |_| {},
    )
    .unwrap();
    let printed = import(&csv, &data);
    assert!(
        printed.contains("indexed as they were written; in step"),
        "{printed}"
    );
    assert_index_in_step(&data);

    let claims = csv.join(generate::CLAIMS_FILE);
    let claim = first_claim_id(&claims);
    let mut reader = csv::Reader::from_path(&claims).unwrap();
    let headers = reader.headers().unwrap().clone();
    let first = reader.records().next().unwrap().unwrap();
    let old_day = ["Statement from date", "Claim service start date"]
        .iter()
        .find_map(|c| {
            let i = headers.iter().position(|h| h == *c)?;
            Some(first[i].to_string()).filter(|d| !d.is_empty())
        })
        .unwrap();
    let new_day = "2011-11-11";
    {
        let served = Served::start(&data);
        assert!(served.eobs_starting(&old_day).contains(&claim));
        assert!(served.eobs_starting(new_day).is_empty());
    }

    // The same claim, now starting on another day: every count stays the same.
    for column in ["Statement from date", "Claim service start date"] {
        edit_cells(
            &claims,
            |row| row["Claim unique identifier"] == claim,
            column,
            new_day,
        );
    }
    let printed = import(&csv, &data);
    assert!(
        printed.contains("search index: 2 changed resource(s) indexed"),
        "the claim and the re-import's Provenance for it: {printed}"
    );
    assert!(printed.contains("provenance: 1 record"), "{printed}");
    assert_index_in_step(&data);

    let served = Served::start(&data);
    assert_eq!(served.eobs_starting(new_day), std::slice::from_ref(&claim));
    assert!(!served.eobs_starting(&old_day).contains(&claim));
}
