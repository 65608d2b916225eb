//! `validate`: runs the C4BB checker over the store or over JSON/NDJSON files and prints a
//! summary per profile. Exit code 1 when any resource has an error.
#![expect(
    clippy::print_stdout,
    reason = "a command-line front end: the terminal is its output"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::Value;

use crate::store::Store;
use crate::validate::{self, Issue, Severity};

#[derive(Default)]
struct Tally {
    resources: u64,
    with_errors: u64,
    warnings: u64,
}

pub fn run(data_dir: &Path, paths: &[PathBuf], show: usize) -> anyhow::Result<i32> {
    let mut tallies: BTreeMap<String, Tally> = BTreeMap::new();
    let mut shown: Vec<(String, Issue)> = Vec::new();
    let mut check = |label: String, resource: &Value| {
        let issues = validate::validate_resource(resource);
        let profile = validate::profile_of(resource).map_or_else(
            || resource["resourceType"].as_str().unwrap_or("?").to_string(),
            |p| p.name().to_string(),
        );
        let t = tallies.entry(profile).or_default();
        t.resources += 1;
        let errors = issues
            .iter()
            .filter(|i| i.severity == Severity::Error)
            .count();
        t.warnings += (issues.len() - errors) as u64;
        if errors > 0 {
            t.with_errors += 1;
        }
        for i in issues.into_iter().filter(|i| i.severity == Severity::Error) {
            if shown.len() < show {
                shown.push((label.clone(), i));
            }
        }
    };
    if paths.is_empty() {
        let store =
            Store::open(data_dir).with_context(|| format!("opening {}", data_dir.display()))?;
        let read = store.read()?;
        for ty in crate::export::RESOURCE_TYPES {
            read.for_each(ty, |id, json| {
                match serde_json::from_slice::<Value>(json) {
                    Ok(v) => check(format!("{ty}/{id}"), &v),
                    Err(e) => check(
                        format!("{ty}/{id}"),
                        &serde_json::json!({"resourceType": ty, "invalidJson": e.to_string()}),
                    ),
                }
                Ok(())
            })?;
        }
    } else {
        for path in files(paths)? {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let is_ndjson = path.extension().is_some_and(|e| e == "ndjson");
            let docs: Vec<Value> = if is_ndjson {
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .enumerate()
                    .map(|(i, l)| {
                        serde_json::from_str(l)
                            .with_context(|| format!("{}:{}", path.display(), i + 1))
                    })
                    .collect::<anyhow::Result<_>>()?
            } else {
                vec![serde_json::from_str(&text).with_context(|| path.display().to_string())?]
            };
            for doc in docs {
                let entries: Vec<Value> = if doc["resourceType"] == "Bundle" {
                    doc["entry"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|e| e["resource"].clone())
                        .collect()
                } else {
                    vec![doc]
                };
                for r in entries {
                    let label = format!(
                        "{} {}/{}",
                        path.display(),
                        r["resourceType"].as_str().unwrap_or("?"),
                        r["id"].as_str().unwrap_or("?")
                    );
                    check(label, &r);
                }
            }
        }
    }
    println!(
        "{:<58} {:>9} {:>11} {:>9}",
        "profile", "resources", "with errors", "warnings"
    );
    let mut total = Tally::default();
    for (profile, t) in &tallies {
        println!(
            "{profile:<58} {:>9} {:>11} {:>9}",
            t.resources, t.with_errors, t.warnings
        );
        total.resources += t.resources;
        total.with_errors += t.with_errors;
        total.warnings += t.warnings;
    }
    println!(
        "{:<58} {:>9} {:>11} {:>9}",
        "total", total.resources, total.with_errors, total.warnings
    );
    for (label, i) in &shown {
        println!("  {label}: {} [{}] {}", i.path, i.rule, i.message);
    }
    Ok(i32::from(total.with_errors > 0))
}

fn files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(p)?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json" || e == "ndjson"))
                .collect();
            entries.sort();
            out.extend(entries);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}
