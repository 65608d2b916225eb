#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! Must-support coverage of the bundled seed, as the Inferno CARIN kit (c4bb_v200) checks it.
//!
//! The kit's must-support lists and their evaluation are `check::must_support` (the same code
//! `carin-sandbox check` runs); its table `src/check/c4bb_v200_must_supports.txt` is derived from
//! `../shared/carin-ig/inferno-kit/c4bb_v200_metadata.json`, which
//! `kit_table_matches_the_kit_metadata` re-derives whenever that folder is present, so these
//! tests run without `../shared`.
//!
//! * Across the seed, every must-support element and slice of every C4BB profile appears.
//! * Each documented showcase login, on its own, covers everything the kit checks when it is
//!   given that one patient: per EOB profile over the first page of the patient's EOBs, and the
//!   first Coverage, Organization, Practitioner and RelatedPerson those EOBs reference.

#[path = "api/helpers.rs"]
#[expect(dead_code, reason = "this binary uses only the shared open server")]
mod helpers;

use std::path::Path;
use std::sync::OnceLock;

use carin_sandbox::check::must_support::{self, MsProfile, AMOUNT_TYPES, KIT_TABLE};
use carin_sandbox::check::resources::kit_references;
use carin_sandbox::cpcds;
use carin_sandbox::export::RESOURCE_TYPES;
use carin_sandbox::generate;
use carin_sandbox::store::Store;
use serde_json::Value;
use time::macros::datetime;

use helpers::TestApp;

/// The logins README.md documents as showcases (BBUser00000, BBUser00001): each must pass the
/// kit's must-support checks on its own.
const SHOWCASE_MEMBERS: [u64; 2] = [0, 1];

fn kit_profiles() -> &'static [MsProfile] {
    must_support::kit_profiles().unwrap()
}

/// The table, derived from the kit's metadata file.
fn table_from_kit_metadata(metadata: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let mut out = String::from(
        "# Must-support elements, slices and extensions of the C4BB 2.0.0 profiles as the Inferno\n\
         # CARIN kit (c4bb_v200) checks them: derived from its c4bb_v200_metadata.json by\n\
         # tests/must_support.rs, which re-checks it against that file (format: src/check/must_support.rs).\n",
    );
    let mut amount_types: Option<Value> = None;
    for group in metadata["groups"].as_array().unwrap() {
        let resource_type = s(&group["resource"]);
        out += &format!("profile {resource_type} {}\n", s(&group["profile_url"]));
        let ms = &group["must_supports"];
        for e in ms["elements"].as_array().unwrap() {
            out += &format!("element {}", s(&e["path"]));
            if let Some(f) = e.get("fixed_value") {
                out += &format!(" = {}", s(f));
            }
            out.push('\n');
        }
        for slice in ms["slices"].as_array().unwrap() {
            let id = s(&slice["slice_id"]);
            let name = id.strip_prefix(&format!("{resource_type}.")).unwrap();
            let d = &slice["discriminator"];
            let rule = match d["type"].as_str().unwrap() {
                "patternCodeableConcept" => format!(
                    "pattern {} {}#{}",
                    s(&d["path"]),
                    s(&d["system"]),
                    s(&d["code"])
                ),
                "requiredBinding" => {
                    // Every binding discriminator of the kit names the same codes.
                    let known = amount_types.get_or_insert_with(|| d["values"].clone());
                    assert_eq!(*known, d["values"], "{id}: another value set");
                    format!("binding {} {AMOUNT_TYPES}", s(&d["path"]))
                }
                "patternIdentifier" => {
                    assert_eq!(d["path"], "", "{id}");
                    format!("system {}", d["system"].as_str().unwrap_or("-"))
                }
                "type" => format!("type {}", s(&d["code"])),
                other => panic!("{id}: discriminator {other}"),
            };
            out += &format!("slice {name} {rule}\n");
        }
        for e in ms["extensions"].as_array().unwrap() {
            let id = s(&e["id"]);
            let name = id.rsplit(':').next().unwrap();
            out += &format!("extension {name} {}\n", s(&e["url"]));
        }
    }
    for c in amount_types.unwrap().as_array().unwrap() {
        out += &format!(
            "code {AMOUNT_TYPES} {}#{}\n",
            s(&c["system"]),
            s(&c["code"])
        );
    }
    out
}

#[test]
fn kit_table_matches_the_kit_metadata() {
    // `../shared` next to the checkout (or next to a folder of worktrees above it).
    let kit = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("shared/carin-ig/inferno-kit/c4bb_v200_metadata.json"))
        .find(|path| path.exists());
    let Some(text) = kit.and_then(|path| std::fs::read_to_string(path).ok()) else {
        return; // the embedded table is what the other tests use
    };
    let derived = table_from_kit_metadata(&serde_json::from_str(&text).unwrap());
    if derived != KIT_TABLE {
        let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/c4bb_v200_must_supports.txt");
        std::fs::write(&out, &derived).unwrap();
        panic!(
            "src/check/c4bb_v200_must_supports.txt differs from the kit metadata; the derived table \
             is in {}",
            out.display()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The whole seed
// ---------------------------------------------------------------------------------------------

/// Every resource of the imported seed (imported once per test binary: slow unoptimized).
fn seed_resources() -> &'static [Value] {
    static SEED: OnceLock<Vec<Value>> = OnceLock::new();
    SEED.get_or_init(import_seed)
}

fn import_seed() -> Vec<Value> {
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

#[test]
fn seed_covers_every_must_support_element_of_every_profile() {
    let resources = seed_resources();
    let mut missing = Vec::new();
    for profile in kit_profiles() {
        let mine: Vec<&Value> = resources.iter().filter(|r| profile.claims(r)).collect();
        assert!(!mine.is_empty(), "no seed resource claims {}", profile.url);
        for path in profile.missing_in(&mine) {
            missing.push(format!("{}: {path}", profile.url));
        }
    }
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
    for n in SHOWCASE_MEMBERS {
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

// ---------------------------------------------------------------------------------------------
// One showcase login, the way the kit sees it
// ---------------------------------------------------------------------------------------------

/// What the kit would report missing for member `n`, given only that patient id.
async fn kit_view_of(app: &TestApp, n: u64) -> Vec<String> {
    let patient = generate::member_id(n);
    // The kit sends no _count and reads only the first page.
    let bundle = app
        .get_json(&format!("/v2/fhir/ExplanationOfBenefit?patient={patient}"))
        .await;
    let eobs: Vec<&Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .collect();
    assert!(!eobs.is_empty(), "{patient} has no EOBs");
    let mut fetched = vec![app.get_json(&format!("/v2/fhir/Patient/{patient}")).await];
    let references = kit_references(&eobs);
    for ty in ["Coverage", "Organization", "Practitioner", "RelatedPerson"] {
        let first = references.iter().find(|(t, _)| t == ty);
        let (_, id) = first.unwrap_or_else(|| panic!("{patient}: no EOB references a {ty}"));
        fetched.push(app.get_json(&format!("/v2/fhir/{ty}/{id}")).await);
    }
    let mut missing = Vec::new();
    for profile in kit_profiles() {
        let claimed: Vec<&Value> = if profile.resource_type == "ExplanationOfBenefit" {
            eobs.iter().copied().filter(|r| profile.claims(r)).collect()
        } else {
            fetched.iter().filter(|r| profile.claims(r)).collect()
        };
        if claimed.is_empty() && profile.resource_type == "ExplanationOfBenefit" {
            continue; // a profile none of the member's claims claims is not checked
        }
        assert!(!claimed.is_empty(), "{patient}: no {}", profile.url);
        for path in profile.missing_in(&claimed) {
            let tail = profile.url.rsplit('/').next().unwrap();
            missing.push(format!("{patient} {tail}: {path}"));
        }
    }
    missing
}

#[tokio::test]
async fn each_showcase_login_alone_covers_what_the_kit_checks() {
    let app = TestApp::shared();
    let mut missing = Vec::new();
    for n in SHOWCASE_MEMBERS {
        missing.extend(kit_view_of(&app, n).await);
    }
    assert!(
        missing.is_empty(),
        "{} must-support elements missing:\n{}",
        missing.len(),
        missing.join("\n")
    );
}
