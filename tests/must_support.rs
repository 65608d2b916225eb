#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! Must-support coverage of the bundled seed, as the Inferno CARIN kit (c4bb_v200) checks it.
//!
//! The kit's must-support lists are embedded in `c4bb_v200_must_supports.txt` (derived from
//! `../shared/carin-ig/inferno-kit/c4bb_v200_metadata.json`; `kit_table_matches_the_kit_metadata`
//! re-derives it whenever that folder is present), so these tests run without `../shared`.
//!
//! * Across the seed, every must-support element and slice of every C4BB profile appears.
//! * Each documented showcase login, on its own, covers everything the kit checks when it is
//!   given that one patient: per EOB profile over the first page of the patient's EOBs, and the
//!   first Coverage, Organization, Practitioner and RelatedPerson those EOBs reference.

#[path = "api/helpers.rs"]
#[expect(dead_code, reason = "this binary uses only the shared open server")]
mod helpers;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use carin_sandbox::cpcds;
use carin_sandbox::export::RESOURCE_TYPES;
use carin_sandbox::generate;
use carin_sandbox::store::Store;
use serde_json::{json, Value};
use time::macros::datetime;

use helpers::TestApp;

/// The logins README.md documents as showcases (BBUser00000, BBUser00001): each must pass the
/// kit's must-support checks on its own.
const SHOWCASE_MEMBERS: [u64; 2] = [0, 1];

const KIT_TABLE: &str = include_str!("c4bb_v200_must_supports.txt");

/// One profile's must-support list.
struct Profile {
    url: String,
    resource_type: String,
    /// Paths (`item.adjudication:adjustmentreason.reason`), with the value the kit requires.
    elements: Vec<(String, Option<String>)>,
    /// Slice id (`ExplanationOfBenefit.item.adjudication:adjustmentreason`) → discriminator, in
    /// the kit metadata's JSON shape.
    slices: BTreeMap<String, Value>,
    /// Extension slice name (`race`) → extension URL.
    extensions: BTreeMap<String, String>,
}

impl Profile {
    fn is_abstract_eob(&self) -> bool {
        self.url.ends_with("/C4BB-ExplanationOfBenefit")
    }

    /// True when `resource` is an instance of this profile (the abstract base EOB is
    /// instantiated through the five concrete ones).
    fn claims(&self, resource: &Value) -> bool {
        resource["resourceType"] == *self.resource_type
            && (self.is_abstract_eob()
                || resource["meta"]["profile"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|p| p.starts_with(&format!("{}|", self.url))))
    }

    /// Every path the kit checks: elements, then slices, then extensions.
    fn paths(&self) -> Vec<(String, Option<String>)> {
        let mut paths = self.elements.clone();
        for s in self.slices.keys() {
            paths.push((s.split_once('.').unwrap().1.to_string(), None));
        }
        for e in self.extensions.keys() {
            paths.push((format!("extension:{e}"), None));
        }
        paths
    }

    /// The paths no resource of `resources` has a value at.
    fn missing_in(&self, resources: &[&Value]) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|(path, fixed)| {
                !resources.iter().any(|r| {
                    let values = values_at(r, self, path);
                    match fixed {
                        Some(f) => values.iter().any(|v| v.as_str() == Some(f)),
                        None => !values.is_empty(),
                    }
                })
            })
            .map(|(path, fixed)| match fixed {
                Some(f) => format!("{path} = {f}"),
                None => path,
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// The embedded table: one line per item.
//   profile <ResourceType> <profile url>
//   element <path> [= <fixed value>]
//   slice <path:name> pattern <path> <system>#<code>     (patternCodeableConcept)
//   slice <path:name> binding <path> <value set>         (requiredBinding; codes listed below)
//   slice <path:name> system <system, or - for none>     (patternIdentifier)
//   slice <path:name> type <type>                        (choice type)
//   extension <name> <url>
//   code <value set> <system>#<code>
// ---------------------------------------------------------------------------------------------

/// The one value set the kit's binding discriminators use (the adjudication amount types).
const AMOUNT_TYPES: &str = "C4BBAdjudication";

fn kit_profiles() -> Vec<Profile> {
    parse_table(KIT_TABLE)
}

fn parse_table(text: &str) -> Vec<Profile> {
    let coding = |sc: &str| {
        let (system, code) = sc.rsplit_once('#').unwrap();
        json!({"system": system, "code": code})
    };
    let value_sets: BTreeMap<&str, Vec<Value>> = text
        .lines()
        .filter_map(|l| l.strip_prefix("code "))
        .fold(BTreeMap::new(), |mut m, l| {
            let (vs, sc) = l.split_once(' ').unwrap();
            m.entry(vs).or_insert_with(Vec::new).push(coding(sc));
            m
        });
    let mut profiles: Vec<Profile> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["profile", ty, url] => profiles.push(Profile {
                url: url.to_string(),
                resource_type: ty.to_string(),
                elements: Vec::new(),
                slices: BTreeMap::new(),
                extensions: BTreeMap::new(),
            }),
            ["code", ..] => {}
            rest => {
                let p = profiles.last_mut().expect("a profile line first");
                let slice_id = |s: &str| format!("{}.{s}", p.resource_type);
                match rest {
                    ["element", path] => p.elements.push((path.to_string(), None)),
                    ["element", path, "=", fixed] => {
                        p.elements.push((path.to_string(), Some(fixed.to_string())));
                    }
                    ["slice", s, "pattern", path, sc] => {
                        let mut d = coding(sc);
                        d["type"] = "patternCodeableConcept".into();
                        d["path"] = (*path).into();
                        p.slices.insert(slice_id(s), d);
                    }
                    ["slice", s, "binding", path, vs] => {
                        let d = json!({"type": "requiredBinding", "path": path, "values": value_sets[vs]});
                        p.slices.insert(slice_id(s), d);
                    }
                    ["slice", s, "system", system] => {
                        let system = (*system != "-").then_some(*system);
                        let d = json!({"type": "patternIdentifier", "path": "", "system": system});
                        p.slices.insert(slice_id(s), d);
                    }
                    ["slice", s, "type", code] => {
                        p.slices
                            .insert(slice_id(s), json!({"type": "type", "code": code}));
                    }
                    ["extension", name, url] => {
                        p.extensions.insert(name.to_string(), url.to_string());
                    }
                    other => panic!("bad kit table line {other:?}"),
                }
            }
        }
    }
    profiles
}

/// The table, derived from the kit's metadata file.
fn table_from_kit_metadata(metadata: &Value) -> String {
    let s = |v: &Value| v.as_str().unwrap().to_string();
    let mut out = String::from(
        "# Must-support elements, slices and extensions of the C4BB 2.0.0 profiles as the Inferno\n\
         # CARIN kit (c4bb_v200) checks them: derived from its c4bb_v200_metadata.json by\n\
         # tests/must_support.rs (format described there), which re-checks it against that file.\n",
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
            "tests/c4bb_v200_must_supports.txt differs from the kit metadata; the derived table \
             is in {}",
            out.display()
        );
    }
}

#[test]
fn kit_table_has_every_profile() {
    let profiles = kit_profiles();
    assert_eq!(profiles.len(), 11);
    let paths: usize = profiles.iter().map(|p| p.paths().len()).sum();
    assert!(paths > 500, "only {paths} must-support paths");
    for p in &profiles {
        assert!(!p.elements.is_empty(), "{}", p.url);
    }
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

/// The values at a must-support path (`item.adjudication:adjudicationamounttype.amount`,
/// `supportingInfo:clmrecvddate.timing[x]`, `extension:race`), slices resolved through the kit's
/// discriminators.
fn values_at<'a>(root: &'a Value, profile: &Profile, path: &str) -> Vec<&'a Value> {
    let mut current = vec![root];
    let mut walked = profile.resource_type.clone();
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
                    Some(s) if name == "extension" => profile
                        .extensions
                        .get(s)
                        .is_some_and(|url| c["url"] == *url),
                    Some(s) => profile
                        .slices
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
fn evaluation_resolves_slices_and_fixed_values() {
    let table = "profile ExplanationOfBenefit http://x/C4BB-EOB-Pharmacy\n\
                 element type.coding.code = pharmacy\n\
                 element item.adjudication:rejectreason.reason\n\
                 slice item.adjudication:rejectreason pattern category http://ad#rejectreason\n\
                 slice item.serviced[x]:servicedDate type Date\n";
    let profile = &parse_table(table)[0];
    let eob = json!({
        "resourceType": "ExplanationOfBenefit",
        "meta": {"profile": ["http://x/C4BB-EOB-Pharmacy|2.0.0"]},
        "type": {"coding": [{"code": "pharmacy"}]},
        "item": [{"servicedPeriod": {}, "adjudication": [
            {"category": {"coding": [{"system": "http://ad", "code": "rejectreason"}]}}
        ]}]
    });
    assert!(profile.claims(&eob));
    assert_eq!(
        profile.missing_in(&[&eob]),
        [
            "item.adjudication:rejectreason.reason",
            "item.serviced[x]:servicedDate"
        ]
    );
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

/// `Type/id` of a reference (relative or absolute, versioned or not).
fn type_and_id(reference: &str) -> Option<(String, String)> {
    let path = reference.split("/_history/").next()?;
    let mut parts = path.rsplit('/');
    let id = parts.next()?;
    let ty = parts.next()?;
    Some((ty.to_string(), id.to_string()))
}

/// The references the kit saves from a page of EOBs, in its order: per EOB insurer, provider,
/// payee.party, careTeam.provider, insurance.coverage.
fn kit_references(eobs: &[&Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for eob in eobs {
        let mut refs = vec![&eob["insurer"], &eob["provider"], &eob["payee"]["party"]];
        refs.extend(
            eob["careTeam"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|c| &c["provider"]),
        );
        refs.extend(
            eob["insurance"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|i| &i["coverage"]),
        );
        out.extend(
            refs.into_iter()
                .filter_map(|r| r["reference"].as_str())
                .filter_map(type_and_id),
        );
    }
    out
}

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
