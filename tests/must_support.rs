#![allow(clippy::unwrap_used)] // tests state their expectations by unwrapping
//! The bundled seed must show every must-support element of every C4BB 2.0.0 profile at least
//! once, as the Inferno CARIN kit lists them (`../shared/carin-ig/inferno-kit`; skipped when that
//! folder is absent), and one beneficiary must have claims of all five EOB types.

use std::collections::BTreeMap;
use std::path::Path;

use carin_sandbox::cpcds;
use carin_sandbox::export::RESOURCE_TYPES;
use carin_sandbox::generate;
use carin_sandbox::store::Store;
use serde_json::Value;
use time::macros::datetime;

fn seed_resources() -> Vec<Value> {
    let store = Store::in_memory().unwrap();
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("seed");
    cpcds::import_dir(
        &seed,
        &store,
        datetime!(2025-01-01 0:00 UTC),
        &mut |_, _| {},
    )
    .unwrap();
    let read = store.read().unwrap();
    let mut all = Vec::new();
    for ty in RESOURCE_TYPES {
        read.for_each(ty, |_, json| {
            all.push(serde_json::from_slice(json).unwrap());
            Ok(())
        })
        .unwrap();
    }
    all
}

/// The values at a must-support path (`item.adjudication:adjudicationamounttype.amount`,
/// `supportingInfo:clmrecvddate.timing[x]`, `extension:race`), slices resolved through the kit's
/// discriminators.
fn values_at<'a>(
    root: &'a Value,
    resource_type: &str,
    path: &str,
    slices: &BTreeMap<String, Value>,
    extensions: &BTreeMap<String, String>,
) -> Vec<&'a Value> {
    let mut current = vec![root];
    let mut walked = resource_type.to_string();
    for segment in path.split('.') {
        let (name, slice) = match segment.split_once(':') {
            Some((n, s)) => (n, Some(s)),
            None => (segment, None),
        };
        walked.push('.');
        walked.push_str(name);
        let mut next = Vec::new();
        for v in current {
            let Some(obj) = v.as_object() else { continue };
            let children: Vec<&Value> = match name.strip_suffix("[x]") {
                Some(prefix) => obj
                    .iter()
                    .filter(|(k, _)| {
                        k.strip_prefix(prefix)
                            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
                    })
                    .filter(|(k, _)| slice.is_none_or(|s| k.as_str() == s))
                    .map(|(_, v)| v)
                    .collect(),
                None => match obj.get(name) {
                    Some(Value::Array(a)) => a.iter().collect(),
                    Some(x) => vec![x],
                    None => vec![],
                },
            };
            for c in children {
                let keep = match slice {
                    None => true,
                    Some(_) if name.ends_with("[x]") => true,
                    Some(s) if name == "extension" => {
                        extensions.get(s).is_some_and(|url| c["url"] == *url)
                    }
                    Some(s) => slices
                        .get(&format!("{walked}:{s}"))
                        .is_some_and(|d| in_slice(c, d)),
                };
                if keep {
                    next.push(c);
                }
            }
        }
        if let Some(s) = slice {
            walked.push(':');
            walked.push_str(s);
        }
        current = next;
    }
    current
}

fn in_slice(v: &Value, discriminator: &Value) -> bool {
    let has_coding = |cc: &Value, system: &Value, code: &Value| {
        cc["coding"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["system"] == *system && c["code"] == *code)
        })
    };
    match discriminator["type"].as_str() {
        Some("patternCodeableConcept") => {
            let path = discriminator["path"].as_str().unwrap();
            has_coding(&v[path], &discriminator["system"], &discriminator["code"])
        }
        Some("requiredBinding") => {
            let path = discriminator["path"].as_str().unwrap();
            discriminator["values"]
                .as_array()
                .unwrap()
                .iter()
                .any(|allowed| has_coding(&v[path], &allowed["system"], &allowed["code"]))
        }
        Some("patternIdentifier") => match discriminator["system"].as_str() {
            Some(system) => v["system"] == system,
            None => v.get("system").is_none(),
        },
        other => panic!("unknown discriminator {other:?}"),
    }
}

#[test]
fn seed_covers_every_must_support_element_of_every_profile() {
    let kit = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/carin-ig/inferno-kit/c4bb_v200_metadata.json");
    let Ok(text) = std::fs::read_to_string(&kit) else {
        return;
    };
    let metadata: Value = serde_json::from_str(&text).unwrap();
    let resources = seed_resources();
    let mut missing = Vec::new();
    let mut checked = 0;
    for group in metadata["groups"].as_array().unwrap() {
        let profile = group["profile_url"].as_str().unwrap();
        let resource_type = group["resource"].as_str().unwrap();
        // The abstract base EOB profile is instantiated through the five concrete ones.
        let mine: Vec<&Value> = resources
            .iter()
            .filter(|r| r["resourceType"] == resource_type)
            .filter(|r| {
                profile.ends_with("C4BB-ExplanationOfBenefit")
                    || r["meta"]["profile"][0]
                        .as_str()
                        .is_some_and(|p| p.starts_with(&format!("{profile}|")))
            })
            .collect();
        assert!(!mine.is_empty(), "no seed resource claims {profile}");
        let ms = &group["must_supports"];
        let slices: BTreeMap<String, Value> = ms["slices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["slice_id"].as_str().unwrap().to_string(),
                    s["discriminator"].clone(),
                )
            })
            .collect();
        let extensions: BTreeMap<String, String> = ms["extensions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let id = e["id"].as_str().unwrap();
                (
                    id.rsplit(':').next().unwrap().to_string(),
                    e["url"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let mut paths: Vec<(String, Option<Value>)> = ms["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["path"].as_str().unwrap().to_string(),
                    e.get("fixed_value").cloned(),
                )
            })
            .collect();
        for s in slices.keys() {
            paths.push((s.split_once('.').unwrap().1.to_string(), None));
        }
        for e in extensions.keys() {
            paths.push((format!("extension:{e}"), None));
        }
        for (path, fixed) in paths {
            checked += 1;
            let found = mine.iter().any(|r| {
                let values = values_at(r, resource_type, &path, &slices, &extensions);
                match &fixed {
                    Some(f) => values.contains(&f),
                    None => !values.is_empty(),
                }
            });
            if !found {
                missing.push(format!(
                    "{profile}: {path}{}",
                    fixed.map(|f| format!(" = {f}")).unwrap_or_default()
                ));
            }
        }
    }
    assert!(checked > 400, "only {checked} must-support paths checked");
    assert!(
        missing.is_empty(),
        "{} must-support elements never appear in the seed:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn first_beneficiaries_have_all_five_eob_types() {
    let resources = seed_resources();
    for n in [0, 1] {
        let patient = format!("Patient/{}", generate::member_id(n));
        let mut profiles: Vec<&str> = resources
            .iter()
            .filter(|r| {
                r["resourceType"] == "ExplanationOfBenefit"
                    && r["patient"]["reference"] == *patient.as_str()
            })
            .filter_map(|r| r["meta"]["profile"][0].as_str())
            .collect();
        profiles.sort_unstable();
        profiles.dedup();
        assert_eq!(profiles.len(), 5, "{patient} has {profiles:?}");
    }
}
