//! Cross-check against the IG's own examples (and Inferno's patient-888 bundle) when the reference
//! copy under /work/shared is present; every test returns early (passes) when it is not.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use super::test_fixtures::{errors, remove, set};
use super::{profile_of, validate_resource, Issue, Profile, Severity};

const IG_DIR: &str = "/work/shared/carin-ig/2.0.0/examples";

/// Errors the IG examples really have, by (example, rule).
///
/// `EOB-prof-careTeam-practitioner` (Professional and Oral profiles) says "Careteam roles refer to
/// a practitioner" for rendering|primary|referring|supervising. Its 2.0.0 FHIRPath,
/// `role.where(...).exists().provider.all(resolve() is Practitioner)`, navigates `.provider` from
/// the Boolean returned by `exists()`, which yields an empty collection, so `all()` is always true:
/// the IG publisher could never flag a violation. We enforce the stated intent, which these two
/// examples break (careTeam[0] is an Organization with role `primary` resp. `rendering`).
const ALLOWED: &[(&str, &str)] = &[
    (
        "ExplanationOfBenefit-EOBProfessional2",
        "EOB-prof-careTeam-practitioner",
    ),
    (
        "ExplanationOfBenefit-EOBProfessionalTransportation1",
        "EOB-prof-careTeam-practitioner",
    ),
];

/// `(name, resource)` for each IG example file and each entry of the 888 bundle.
fn load_examples() -> Option<Vec<(String, Value)>> {
    let dir = Path::new(IG_DIR);
    if !dir.is_dir() {
        return None;
    }
    let read = |p: &Path| -> Value {
        let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("examples dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("json"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("file name")
            .to_string();
        out.push((name, read(&f)));
    }
    let bundle = read(&dir.join("inferno-reference-server/carin_bundle_patient_888.json"));
    for e in bundle["entry"].as_array().expect("bundle entries") {
        let r = e["resource"].clone();
        let name = format!(
            "888:{}/{}",
            r["resourceType"].as_str().unwrap_or("?"),
            r["id"].as_str().unwrap_or("?")
        );
        out.push((name, r));
    }
    // every caller relies on this: with the folder present, the tests cannot pass on no data
    assert!(out.len() > 20, "read only {} example resources", out.len());
    Some(out)
}

fn example(all: &[(String, Value)], name: &str) -> Value {
    all.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("example {name} missing"))
}

fn error_rules(issues: &[Issue]) -> BTreeSet<&'static str> {
    errors(issues).iter().map(|i| i.rule).collect()
}

/// Error rules of `v`, minus the allow-listed ones of example `name`.
fn unexpected(name: &str, v: &Value) -> BTreeSet<&'static str> {
    let mut rules = error_rules(&validate_resource(v));
    rules.retain(|r| !ALLOWED.contains(&(name, *r)));
    rules
}

#[test]
fn ig_examples_have_no_errors() {
    let Some(all) = load_examples() else { return };
    assert!(all.len() > 20, "read only {} resources", all.len());
    let mut profiles_seen = BTreeSet::new();
    let mut failures = Vec::new();
    for (name, v) in &all {
        let p = profile_of(v).unwrap_or_else(|| panic!("{name}: no C4BB profile"));
        profiles_seen.insert(p);
        for i in validate_resource(v) {
            if i.severity == Severity::Error && !ALLOWED.contains(&(name.as_str(), i.rule)) {
                failures.push(format!("{name}: {i}"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "unexpected errors:\n{}",
        failures.join("\n")
    );
    assert_eq!(
        profiles_seen.len(),
        Profile::all().len(),
        "every profile has an example"
    );
}

#[test]
fn allow_list_entries_still_fire() {
    let Some(all) = load_examples() else { return };
    for (name, rule) in ALLOWED {
        let issues = validate_resource(&example(&all, name));
        assert!(
            error_rules(&issues).contains(rule),
            "{name} no longer violates {rule}: prune ALLOWED"
        );
    }
}

#[test]
fn pharmacy_prescriber_as_practitioner_is_only_a_warning() {
    let Some(all) = load_examples() else { return };
    let issues = validate_resource(&example(&all, "888:ExplanationOfBenefit/c4bb-EOBPharmacy"));
    assert!(errors(&issues).is_empty());
    assert!(issues
        .iter()
        .any(|i| i.severity == Severity::Warning && i.rule == "EOB-pharm-careTeam-practitioner"));
}

#[test]
fn dropping_items_is_a_cardinality_error() {
    let Some(all) = load_examples() else { return };
    for name in [
        "ExplanationOfBenefit-EOBPharmacy1",
        "ExplanationOfBenefit-EOBInpatient2",
        "888:ExplanationOfBenefit/c4bb-EOBOutpatient",
    ] {
        let mut v = example(&all, name);
        remove(&mut v, "/item");
        let issues = validate_resource(&v);
        assert!(
            errors(&issues)
                .iter()
                .any(|i| i.rule == "cardinality" && i.path == "ExplanationOfBenefit.item"),
            "{name}: {issues:?}"
        );
    }
}

#[test]
fn two_focal_insurances_break_eob_insurance_focal() {
    let Some(all) = load_examples() else { return };
    let mut n = 0;
    for (name, v) in all
        .iter()
        .filter(|(_, v)| v["resourceType"] == "ExplanationOfBenefit")
    {
        let mut v = v.clone();
        set(
            &mut v,
            "/insurance/-",
            json!({ "focal": true, "coverage": { "reference": "Coverage/other" } }),
        );
        set(&mut v, "/insurance/0/focal", json!(true));
        let got = unexpected(name, &v);
        assert_eq!(got, BTreeSet::from(["EOB-insurance-focal"]), "{name}");
        n += 1;
    }
    assert!(n >= 10, "only {n} EOB examples");
}

#[test]
fn unversioned_meta_profile_breaks_the_version_invariant() {
    let Some(all) = load_examples() else { return };
    for (name, v) in &all {
        let p = profile_of(v).expect("profile");
        let mut v = v.clone();
        set(&mut v, "/meta/profile", json!([p.canonical()]));
        assert_eq!(
            unexpected(name, &v),
            BTreeSet::from([p.version_rule()]),
            "{name}"
        );
        set(
            &mut v,
            "/meta/profile",
            json!([format!("{}|1.1.0", p.canonical())]),
        );
        assert_eq!(
            unexpected(name, &v),
            BTreeSet::from([p.version_rule()]),
            "{name}"
        );
    }
}

#[test]
fn wrong_eob_type_code() {
    let Some(all) = load_examples() else { return };
    let pharmacy = json!({ "coding": [{ "system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "pharmacy" }] });
    // Oral with a pharmacy type: in the claim-type value set, but not the profile's pattern.
    let mut oral = example(&all, "ExplanationOfBenefit-EOBOral1");
    set(&mut oral, "/type", pharmacy.clone());
    assert_eq!(unexpected("", &oral), BTreeSet::from(["pattern"]));
    // Professional binds type to {professional, vision}.
    let mut prof = example(&all, "ExplanationOfBenefit-EOBProfessional1");
    set(&mut prof, "/type", pharmacy);
    assert_eq!(unexpected("", &prof), BTreeSet::from(["binding"]));
    // A code that is not in the claim-type code system at all.
    let mut inpatient = example(&all, "ExplanationOfBenefit-EOBInpatient1");
    set(&mut inpatient, "/type/coding/0/code", json!("inpatient"));
    assert_eq!(
        unexpected("", &inpatient),
        BTreeSet::from(["binding", "code-invalid", "pattern"])
    );
}

#[test]
fn provider_reference_to_patient() {
    let Some(all) = load_examples() else { return };
    for name in [
        "ExplanationOfBenefit-EOBInpatient1",
        "ExplanationOfBenefit-EOBOral1",
        "ExplanationOfBenefit-EOBPharmacy1",
    ] {
        let mut v = example(&all, name);
        set(
            &mut v,
            "/provider",
            json!({ "reference": "Patient/Patient1" }),
        );
        let issues = validate_resource(&v);
        assert_eq!(
            error_rules(&issues),
            BTreeSet::from(["reference-type"]),
            "{name}"
        );
        assert_eq!(
            errors(&issues)[0].path,
            "ExplanationOfBenefit.provider.reference"
        );
    }
    // Oral providers must be practitioners; institutional ones organizations.
    let mut oral = example(&all, "ExplanationOfBenefit-EOBOral1");
    set(
        &mut oral,
        "/provider",
        json!({ "reference": "Organization/Payer1" }),
    );
    assert_eq!(unexpected("", &oral), BTreeSet::from(["reference-type"]));
    let mut outpatient = example(&all, "ExplanationOfBenefit-EOBOutpatient1");
    set(
        &mut outpatient,
        "/provider",
        json!({ "reference": "Practitioner/Practitioner1" }),
    );
    assert_eq!(
        unexpected("", &outpatient),
        BTreeSet::from(["reference-type"])
    );
}

#[test]
fn more_mutations_of_examples() {
    let Some(all) = load_examples() else { return };
    // Pharmacy without the refill count slice.
    let mut v = example(&all, "ExplanationOfBenefit-EOBPharmacy1");
    let infos = v["supportingInfo"].as_array_mut().expect("supportingInfo");
    infos.retain(|s| s["category"]["coding"][0]["code"] != "refillnum");
    assert_eq!(unexpected("", &v), BTreeSet::from(["cardinality"]));
    // Coverage with two payors.
    let mut cov = example(&all, "Coverage-Coverage1");
    set(
        &mut cov,
        "/payor/-",
        json!({ "reference": "Organization/Payer1" }),
    );
    assert_eq!(unexpected("", &cov), BTreeSet::from(["cardinality"]));
    // Patient without a member id.
    let mut pat = example(&all, "Patient-Patient1");
    set(&mut pat, "/identifier/0/type/coding/0/code", json!("MR"));
    assert_eq!(unexpected("", &pat), BTreeSet::from(["cardinality"]));
    // Empty string somewhere deep.
    let mut org = example(&all, "Organization-Payer1");
    set(&mut org, "/identifier/0/value", json!(""));
    assert_eq!(unexpected("", &org), BTreeSet::from(["ele-1"]));
}
