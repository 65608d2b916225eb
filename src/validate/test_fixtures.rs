//! Minimal valid resources for every profile, and assertion helpers for the unit tests.

use serde_json::{json, Value};

use super::codes as c;
use super::{validate_resource, Issue, Profile, Severity};

pub fn cc(system: &str, code: &str) -> Value {
    json!({ "coding": [{ "system": system, "code": code }] })
}

pub fn usd(v: f64) -> Value {
    json!({ "value": v, "currency": "USD" })
}

fn meta(p: Profile) -> Value {
    json!({ "lastUpdated": "2024-01-05T10:00:00Z", "profile": [format!("{}|2.0.0", p.canonical())] })
}

fn narrative() -> Value {
    json!({ "status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>" })
}

fn si(seq: u64, code: &str) -> Value {
    json!({ "sequence": seq, "category": cc(c::SIT, code) })
}

fn adj_amount(code: &str, v: f64) -> Value {
    let system = if ["submitted", "copay", "eligible", "deductible", "benefit"].contains(&code) {
        c::THO_ADJ
    } else {
        c::C4BB_ADJ
    };
    json!({ "category": cc(system, code), "amount": usd(v) })
}

fn adj_status(slice: &str, status: &str) -> Value {
    json!({ "category": cc(c::AD, slice), "reason": cc(c::PAYER_STATUS, status) })
}

/// A minimal EOB that passes every check for `p`.
pub fn eob(p: Profile) -> Value {
    let mut e = json!({
        "resourceType": "ExplanationOfBenefit",
        "id": "eob-1",
        "meta": meta(p),
        "text": narrative(),
        "identifier": [{
            "type": cc(c::C4BB_ID_TYPE, "uc"),
            "system": "https://payer.example.org/claim",
            "value": "CLAIM-1"
        }],
        "status": "active",
        "use": "claim",
        "patient": { "reference": "Patient/pat-1" },
        "billablePeriod": { "start": "2024-01-01", "end": "2024-01-02" },
        "created": "2024-01-05T10:00:00Z",
        "insurer": { "reference": "Organization/payer-1" },
        "provider": { "reference": "Organization/prov-1" },
        "outcome": "complete",
        "insurance": [{ "focal": true, "coverage": { "reference": "Coverage/cov-1" } }],
        "total": [{ "category": cc(c::THO_ADJ, "submitted"), "amount": usd(100.0) }]
    });
    let icd = json!({ "coding": [{ "system": c::ICD10CM, "code": "J20.9" }] });
    let obj = e.as_object_mut().expect("object");
    match p {
        Profile::EobInpatient | Profile::EobOutpatient => {
            let sub = if p == Profile::EobInpatient {
                "inpatient"
            } else {
                "outpatient"
            };
            obj.insert("type".into(), cc(c::CLAIM_TYPE, "institutional"));
            obj.insert("subType".into(), cc(c::INST_SUBTYPE, sub));
            obj.insert(
                "diagnosis".into(),
                json!([{ "sequence": 1, "diagnosisCodeableConcept": icd, "type": [cc(c::DIAGTYPE, "principal")] }]),
            );
            let mut item = json!({
                "sequence": 1,
                "revenue": cc(c::NUBC_REVENUE, "0450"),
                "productOrService": cc(c::CPT, "99281")
            });
            if p == Profile::EobInpatient {
                let mut adm = si(1, "admissionperiod");
                adm["timingPeriod"] = json!({ "start": "2024-01-01", "end": "2024-01-02" });
                obj.insert("supportingInfo".into(), json!([adm]));
            } else {
                item["servicedDate"] = json!("2024-01-01");
            }
            obj.insert("item".into(), json!([item]));
            obj.insert(
                "adjudication".into(),
                json!([
                    adj_status("benefitpaymentstatus", "innetwork"),
                    adj_amount("paidtoprovider", 80.0)
                ]),
            );
        }
        Profile::EobProfessional | Profile::EobOral => {
            let (ty, product) = if p == Profile::EobProfessional {
                ("professional", cc(c::CPT, "99231"))
            } else {
                ("oral", cc(c::CDT, "D0120"))
            };
            obj.insert("type".into(), cc(c::CLAIM_TYPE, ty));
            if p == Profile::EobOral {
                obj.insert(
                    "provider".into(),
                    json!({ "reference": "Practitioner/dent-1" }),
                );
                obj.insert(
                    "adjudication".into(),
                    json!([
                        adj_status("renderingnetworkstatus", "innetwork"),
                        adj_status("benefitpaymentstatus", "innetwork")
                    ]),
                );
            } else {
                obj.insert(
                    "diagnosis".into(),
                    json!([{ "sequence": 1, "diagnosisCodeableConcept": icd, "type": [cc(c::DIAGTYPE, "principal")] }]),
                );
            }
            obj.insert(
                "item".into(),
                json!([{
                    "sequence": 1,
                    "productOrService": product,
                    "servicedDate": "2024-01-01",
                    "locationCodeableConcept": cc(c::POS, "11"),
                    "adjudication": [adj_amount("submitted", 100.0), adj_status("benefitpaymentstatus", "innetwork")]
                }]),
            );
        }
        _ => {
            obj.insert("type".into(), cc(c::CLAIM_TYPE, "pharmacy"));
            let mut days = si(1, "dayssupply");
            days["valueQuantity"] = json!({ "value": 30 });
            let mut daw = si(2, "dawcode");
            daw["code"] = cc(c::NCPDP_DAW, "0");
            let mut refill = si(3, "refillnum");
            refill["valueQuantity"] = json!({ "value": 0 });
            let mut auth = si(4, "refillsauthorized");
            auth["valueQuantity"] = json!({ "value": 2 });
            obj.insert("supportingInfo".into(), json!([days, daw, refill, auth]));
            obj.insert(
                "item".into(),
                json!([{
                    "sequence": 1,
                    "productOrService": cc(c::NDC, "00777310502"),
                    "servicedDate": "2024-01-01",
                    "adjudication": [adj_amount("paidtoprovider", 20.0)]
                }]),
            );
            obj.insert(
                "adjudication".into(),
                json!([adj_status("benefitpaymentstatus", "innetwork")]),
            );
        }
    }
    e
}

pub fn patient() -> Value {
    json!({
        "resourceType": "Patient", "id": "pat-1", "meta": meta(Profile::Patient), "text": narrative(),
        "identifier": [{ "type": cc(c::V2_0203, "MB"), "system": "https://payer.example.org/member", "value": "M1" }],
        "name": [{ "family": "Doe", "given": ["Jane"] }],
        "gender": "female",
        "birthDate": "1980-02-29"
    })
}

pub fn coverage() -> Value {
    json!({
        "resourceType": "Coverage", "id": "cov-1", "meta": meta(Profile::Coverage), "text": narrative(),
        "status": "active",
        "subscriberId": "S1",
        "beneficiary": { "reference": "Patient/pat-1" },
        "relationship": cc(c::SUBSCRIBER_REL, "self"),
        "payor": [{ "reference": "Organization/payer-1" }],
        "class": [{ "type": cc(c::COVERAGE_CLASS, "group"), "value": "G1", "name": "Group one" }]
    })
}

pub fn organization() -> Value {
    json!({
        "resourceType": "Organization", "id": "payer-1", "meta": meta(Profile::Organization), "text": narrative(),
        "identifier": [{ "type": cc(c::V2_0203, "NPI"), "system": c::NPI_SYSTEM, "value": "1234567893" }],
        "active": true,
        "name": "Payer One"
    })
}

pub fn practitioner() -> Value {
    json!({
        "resourceType": "Practitioner", "id": "dent-1", "meta": meta(Profile::Practitioner), "text": narrative(),
        "identifier": [{ "type": cc(c::V2_0203, "NPI"), "system": c::NPI_SYSTEM, "value": "1234567893" }],
        "name": [{ "family": "Smith" }]
    })
}

pub fn related_person() -> Value {
    json!({
        "resourceType": "RelatedPerson", "id": "rp-1", "meta": meta(Profile::RelatedPerson), "text": narrative(),
        "active": true,
        "patient": { "reference": "Patient/pat-1" },
        "name": [{ "family": "Doe", "given": ["John"] }]
    })
}

/// The minimal valid resource for a profile.
pub fn valid(p: Profile) -> Value {
    match p {
        Profile::Patient => patient(),
        Profile::Coverage => coverage(),
        Profile::Organization => organization(),
        Profile::Practitioner => practitioner(),
        Profile::RelatedPerson => related_person(),
        _ => eob(p),
    }
}

/// Set (insert or replace) the value at a JSON pointer; `-` appends to an array.
pub fn set(v: &mut Value, pointer: &str, new: Value) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a '/'");
    let target = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent at {parent}"));
    match target {
        Value::Object(map) => {
            map.insert(key.to_string(), new);
        }
        Value::Array(arr) if key == "-" => arr.push(new),
        Value::Array(arr) => arr[key.parse::<usize>().expect("index")] = new,
        other => panic!("cannot set {key} on {other}"),
    }
}

/// Remove the value at a JSON pointer (object key or array index).
pub fn remove(v: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer has a '/'");
    match v.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            assert!(map.remove(key).is_some(), "nothing at {pointer}");
        }
        Some(Value::Array(arr)) => {
            arr.remove(key.parse::<usize>().expect("index"));
        }
        _ => panic!("no container at {parent}"),
    }
}

pub fn errors(issues: &[Issue]) -> Vec<&Issue> {
    issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect()
}

fn dump(issues: &[Issue]) -> String {
    issues.iter().map(|i| format!("  {i}\n")).collect()
}

/// No errors (warnings allowed).
pub fn assert_valid(v: &Value) {
    let issues = validate_resource(v);
    assert!(
        errors(&issues).is_empty(),
        "expected no errors, got:\n{}",
        dump(&issues)
    );
}

/// At least one error, and every error has rule `rule`. Returns the issues.
pub fn assert_only(v: &Value, rule: &str) -> Vec<Issue> {
    let issues = validate_resource(v);
    let errs = errors(&issues);
    assert!(
        !errs.is_empty(),
        "expected error {rule}, got none:\n{}",
        dump(&issues)
    );
    assert!(
        errs.iter().all(|i| i.rule == rule),
        "expected only {rule}, got:\n{}",
        dump(&issues)
    );
    issues
}

/// Some error has rule `rule` (other errors allowed).
pub fn assert_has(v: &Value, rule: &str) -> Vec<Issue> {
    let issues = validate_resource(v);
    assert!(
        errors(&issues).iter().any(|i| i.rule == rule),
        "expected error {rule}, got:\n{}",
        dump(&issues)
    );
    issues
}

/// A warning (and no error) with rule `rule`.
pub fn assert_warning_only(v: &Value, rule: &str) {
    let issues = validate_resource(v);
    assert!(
        errors(&issues).is_empty(),
        "expected no errors, got:\n{}",
        dump(&issues)
    );
    assert!(
        issues
            .iter()
            .any(|i| i.severity == Severity::Warning && i.rule == rule),
        "expected warning {rule}, got:\n{}",
        dump(&issues)
    );
}
