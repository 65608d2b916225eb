//! AuditEvent search over a large trail: the patient index and the date window narrow what is
//! read, and the answers stay exactly those of a full scan.

use std::sync::Arc;

use serde_json::Value;
use time::OffsetDateTime;

use super::*;
use crate::audit::{append_batch, apply_policy, AuditPolicy, AuditRecord};
use crate::auth::{Access, ScopeSet};

const BASE: &str = "http://sandbox.test/v2/fhir";
/// The first entry's time; entry `i` is `i` seconds later.
const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z
const PATIENTS: usize = 50;
const PER_PATIENT: usize = 200;

fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(T0 + 86_400).unwrap()
}

/// 10,000 FHIR reads, patient `P{i % 50}` each, one a second, plus an unbound event each
/// hundred.
fn big_trail() -> Store {
    let store = Store::in_memory().unwrap();
    apply_policy(&store, &AuditPolicy::default(), T0).unwrap();
    let records = (0..PATIENTS * PER_PATIENT).map(|i| AuditRecord {
        at: T0 + i as i64,
        event: "fhir".into(),
        outcome: "success".into(),
        client_id: Some("app-a".into()),
        patient: (i % 100 != 99).then(|| format!("P{}", i % PATIENTS)),
        interaction: Some("read".into()),
        resource_type: Some("ExplanationOfBenefit".into()),
        touched: vec![format!("ExplanationOfBenefit/e{i}")],
        ..AuditRecord::default()
    });
    let tx = store.begin_write().unwrap();
    append_batch(&tx, records.collect()).unwrap();
    tx.commit().unwrap();
    store
}

fn token(patient: &str) -> Viewer {
    Viewer::Token(Arc::new(Access {
        client_id: "app-a".into(),
        patient: patient.into(),
        scopes: ScopeSet::parse("patient/AuditEvent.rs"),
        grant_id: "g".into(),
        issued_at: 0,
        failures: Default::default(),
        system: false,
    }))
}

fn find(store: &Store, viewer: &Viewer, params: &[(&str, &str)]) -> Value {
    let request = SearchRequest {
        resource_type: AUDIT_EVENT.into(),
        params: params
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect(),
        strict: true,
        base: BASE.into(),
    };
    serde_json::from_slice(&search(store, viewer, request, now()).unwrap().body.to_vec()).unwrap()
}

fn recorded(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(|entries| {
            entries
                .iter()
                .map(|e| e["resource"]["recorded"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn instant(at: i64) -> String {
    crate::clock::fhir_instant(OffsetDateTime::from_unix_timestamp(at).unwrap())
}

/// When P7's entries were recorded: i = 7, 57, 107, … (less those each hundred that name no
/// patient), oldest first.
fn p7_times() -> Vec<i64> {
    (0..PATIENTS * PER_PATIENT)
        .filter(|i| i % PATIENTS == 7 && i % 100 != 99)
        .map(|i| T0 + i as i64)
        .collect()
}

#[test]
fn a_patients_events_page_newest_first_with_their_total() {
    let store = big_trail();
    let viewer = token("P7");
    let mine = p7_times();
    let page = find(&store, &viewer, &[("_count", "10")]);
    assert_eq!(page["total"], mine.len());
    let newest: Vec<String> = mine.iter().rev().take(10).map(|&t| instant(t)).collect();
    assert_eq!(recorded(&page), newest);
    for entry in page["entry"].as_array().unwrap() {
        assert_eq!(
            entry["resource"]["agent"][1]["who"]["reference"],
            "Patient/P7"
        );
    }
    // The second page, and `_sort=date` (oldest first).
    let second = find(&store, &viewer, &[("_count", "10"), ("_offset", "10")]);
    let next: Vec<String> = mine
        .iter()
        .rev()
        .skip(10)
        .take(10)
        .map(|&t| instant(t))
        .collect();
    assert_eq!(recorded(&second), next);
    let oldest = find(&store, &viewer, &[("_count", "3"), ("_sort", "date")]);
    let first: Vec<String> = mine.iter().take(3).map(|&t| instant(t)).collect();
    assert_eq!(recorded(&oldest), first);
    assert_eq!(
        find(&store, &viewer, &[("_sort", "-date"), ("_count", "1")])["entry"][0]["resource"]
            ["recorded"],
        newest[0]
    );
}

/// Which of a patient's times a `date` value keeps.
type Keep = Box<dyn Fn(i64) -> bool>;

#[test]
fn date_prefixes_narrow_a_patients_events_exactly() {
    let store = big_trail();
    let viewer = token("P7");
    let mine = p7_times();
    let cut = T0 + 5_007; // one of P7's own seconds
    let at = |t: i64| instant(t).replace(".000+00:00", "Z");
    let cases: Vec<(String, Keep)> = vec![
        (format!("ge{}", at(cut)), Box::new(move |t| t >= cut)),
        (format!("gt{}", at(cut)), Box::new(move |t| t > cut)),
        (format!("lt{}", at(cut)), Box::new(move |t| t < cut)),
        (format!("le{}", at(cut)), Box::new(move |t| t <= cut)),
        (at(cut), Box::new(move |t| t == cut)),
        (format!("ne{}", at(cut)), Box::new(move |t| t != cut)),
        ("2026-01-01".into(), Box::new(|_| true)),
        ("lt2026-01-01".into(), Box::new(|_| false)),
    ];
    for (value, keep) in cases {
        let expected = mine.iter().filter(|&&t| keep(t)).count();
        let bundle = find(&store, &viewer, &[("date", &value), ("_summary", "count")]);
        assert_eq!(bundle["total"], expected, "date={value}");
    }
    // Two bounds (AND) and a comma list (OR).
    let window = find(
        &store,
        &viewer,
        &[
            ("date", &format!("ge{}", at(cut))),
            ("date", &format!("lt{}", at(cut + 500))),
        ],
    );
    assert_eq!(window["total"], 10, "P7 has one entry each 50 s");
    let either = find(
        &store,
        &viewer,
        &[("date", &format!("{},{}", at(cut), at(cut + 50)))],
    );
    assert_eq!(either["total"], 2);
}

#[test]
fn the_open_api_finds_by_patient_through_the_index_as_a_full_scan_would() {
    let store = big_trail();
    let open = Viewer::Open;
    // `entity=Patient/…` is not indexed: a full scan of the trail, the reference answer.
    let by_index = find(
        &store,
        &open,
        &[("patient", "Patient/P3"), ("_summary", "count")],
    );
    let by_scan = find(
        &store,
        &open,
        &[("entity", "Patient/P3"), ("_summary", "count")],
    );
    assert_eq!(by_index["total"], by_scan["total"]);
    assert!(by_index["total"].as_u64().unwrap() > 100);
    let both = find(
        &store,
        &open,
        &[("patient", "P3,P4"), ("_summary", "count")],
    );
    assert_eq!(
        both["total"].as_u64().unwrap(),
        2 * by_index["total"].as_u64().unwrap()
    );
    // Everyone's, newest first: the unbound events are there too.
    let all = find(&store, &open, &[("_count", "1")]);
    assert_eq!(all["total"], PATIENTS * PER_PATIENT);
    assert_eq!(
        recorded(&all),
        [instant(T0 + (PATIENTS * PER_PATIENT) as i64 - 1)]
    );
    // Another patient's events never reach a token.
    let p8 = find(
        &store,
        &token("P7"),
        &[("patient", "P8"), ("_summary", "count")],
    );
    assert_eq!(p8["total"], 0);
}
