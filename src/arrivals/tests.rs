use serde_json::Value;
use time::macros::datetime;

use super::*;
use crate::api::{self, SearchRequest, Viewer};
use crate::clock::fhir_instant;

const EOB: &str = "ExplanationOfBenefit";

/// A store with generated members 2, 3 and 4 of a 6-member run, and its index.
fn store_with_members() -> (tempfile::TempDir, Store, SearchIndex, Filler) {
    let scratch = tempfile::TempDir::new().expect("tempdir");
    let store = Store::in_memory().expect("store");
    let index = SearchIndex::in_memory().expect("index");
    let fill = Filler::new(6, 0, scratch.path().to_path_buf());
    for n in 2..5 {
        fill.ensure_member(&store, &index, n, datetime!(2026-01-01 00:00:00 UTC))
            .expect("member");
    }
    (scratch, store, index, fill)
}

fn get(store: &Store, ty: &str, id: &str) -> Value {
    let json = store.read().expect("read").get(ty, id).expect("get");
    serde_json::from_slice(&json.unwrap_or_else(|| panic!("no {ty}/{id}"))).expect("json")
}

fn version(store: &Store, id: &str, v: u32) -> Option<Value> {
    let json = store
        .read()
        .expect("read")
        .get_version(EOB, id, v)
        .expect("vread");
    json.map(|j| serde_json::from_slice(&j).expect("json"))
}

fn related(eob: &Value) -> Vec<(String, String)> {
    eob["related"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|x| {
                    (
                        x["relationship"]["coding"][0]["code"]
                            .as_str()
                            .expect("code")
                            .to_string(),
                        x["reference"]["value"].as_str().expect("value").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

fn assert_valid(eob: &Value) {
    let issues = crate::validate::validate_resource(eob);
    assert!(
        !crate::validate::has_errors(&issues),
        "{}: {issues:#?}",
        eob["id"]
    );
}

/// The ids a search finds (open access: every patient).
fn search(store: &Store, index: &SearchIndex, params: &[(&str, &str)]) -> Vec<String> {
    let request = SearchRequest {
        resource_type: EOB.into(),
        params: params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        strict: true,
        base: "http://sandbox/v2/fhir".into(),
    };
    let found = api::search(
        store,
        index,
        &Viewer::Open,
        request,
        datetime!(2026-02-01 00:00:00 UTC),
    )
    .expect("search");
    let bundle: Value = serde_json::from_slice(&found.body.to_vec()).expect("bundle");
    let mut ids: Vec<String> = bundle["entry"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["resource"]["id"].as_str().expect("id").to_string())
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

#[test]
fn a_tick_adds_a_claim_and_the_next_adjusts_it() {
    let (_scratch, store, index, _fill) = store_with_members();
    let t1 = datetime!(2026-01-10 10:00:00 UTC);
    let first = tick(&store, &index, &[3, 2, 5, 3], 1, t1).expect("tick 1");
    assert_eq!(first.arrived, ["C00002-T0001", "C00003-T0001"]);
    assert!(first.adjusted.is_empty() && first.replacements.is_empty());
    // Member 5 is not in the store: nothing is made up for them.
    assert_eq!(first.skipped, [5]);
    let arrived = get(&store, EOB, "C00002-T0001");
    assert_eq!(arrived["meta"]["versionId"], "1");
    assert_eq!(arrived["meta"]["lastUpdated"], fhir_instant(t1));
    assert_eq!(arrived["status"], "active");
    assert_eq!(arrived["patient"]["reference"], "Patient/M00002");
    assert!(related(&arrived).is_empty());
    assert_valid(&arrived);

    let t2 = datetime!(2026-01-10 10:05:00 UTC);
    let second = tick(&store, &index, &[2, 3], 2, t2).expect("tick 2");
    assert_eq!(second.arrived, ["C00002-T0002", "C00003-T0002"]);
    assert_eq!(second.adjusted, ["C00002-T0001", "C00003-T0001"]);
    assert_eq!(second.replacements, ["C00002-T0001-R", "C00003-T0001-R"]);

    let adjusted = get(&store, EOB, "C00002-T0001");
    assert_eq!(adjusted["meta"]["versionId"], "2");
    assert_eq!(adjusted["meta"]["lastUpdated"], fhir_instant(t2));
    assert_eq!(adjusted["status"], "cancelled");
    assert_eq!(
        related(&adjusted),
        [("replacedby".to_string(), "C00002-T0001-R".to_string())]
    );
    // The claim as first adjudicated is still there, for vread.
    let v1 = version(&store, "C00002-T0001", 1).expect("version 1");
    assert_eq!(v1["status"], "active");
    assert_eq!(v1["meta"]["lastUpdated"], fhir_instant(t1));

    let replacement = get(&store, EOB, "C00002-T0001-R");
    assert_eq!(replacement["meta"]["versionId"], "1");
    assert_eq!(replacement["status"], "active");
    assert_eq!(
        related(&replacement),
        [("prior".to_string(), "C00002-T0001".to_string())]
    );
    for eob in [&adjusted, &replacement, &get(&store, EOB, "C00003-T0002")] {
        assert_valid(eob);
    }

    // Searches and the index are in step: `_lastUpdated=gt` the first tick finds the second's.
    assert_eq!(
        search(
            &store,
            &index,
            &[
                ("patient", "M00002"),
                ("_lastUpdated", "gt2026-01-10T10:00:00Z")
            ]
        ),
        ["C00002-T0001", "C00002-T0001-R", "C00002-T0002"]
    );
    assert!(search(
        &store,
        &index,
        &[
            ("patient", "M00004"),
            ("_lastUpdated", "gt2026-01-01T00:00:00Z")
        ]
    )
    .is_empty());
    assert_eq!(
        index.doc_count(),
        [
            "Patient",
            "Coverage",
            EOB,
            "Organization",
            "Practitioner",
            "RelatedPerson",
            "Provenance"
        ]
        .iter()
        .map(|t| store.read().expect("read").count(t).expect("count"))
        .sum::<u64>()
    );

    // Provenance names the new versions, as an import's does.
    let mut targets = Vec::new();
    store
        .read()
        .expect("read")
        .for_each("Provenance", |_, json| {
            let p: Value = serde_json::from_slice(json).expect("json");
            for t in p["target"].as_array().into_iter().flatten() {
                targets.push(t["reference"].as_str().unwrap_or_default().to_string());
            }
            Ok(())
        })
        .expect("provenance");
    for t in [
        "ExplanationOfBenefit/C00002-T0001/_history/1",
        "ExplanationOfBenefit/C00002-T0001/_history/2",
        "ExplanationOfBenefit/C00002-T0001-R/_history/1",
    ] {
        assert!(targets.iter().any(|x| x == t), "{t} in {targets:?}");
    }

    // The same tick again writes nothing.
    let again = tick(
        &store,
        &index,
        &[2, 3],
        2,
        datetime!(2026-01-10 11:00:00 UTC),
    )
    .expect("again");
    assert_eq!(again.changed, 0);
    assert_eq!(get(&store, EOB, "C00002-T0001")["meta"]["versionId"], "2");
}

/// Every EOB of `member`'s arrivals, without `meta`.
fn arrivals_of(store: &Store, member: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    store
        .read()
        .expect("read")
        .for_each(EOB, |id, json| {
            if id.starts_with(&format!("C{}-T", &member[1..])) {
                let mut v: Value = serde_json::from_slice(json).expect("json");
                v.as_object_mut().map(|o| o.remove("meta"));
                out.push((id.to_string(), v));
            }
            Ok(())
        })
        .expect("scan");
    out
}

#[test]
fn the_same_member_and_tick_give_the_same_claims_whoever_else_is_in_the_mode() {
    let (_a, one, one_index, _) = store_with_members();
    let (_b, other, other_index, _) = store_with_members();
    for t in 1..4 {
        let now = datetime!(2026-01-10 10:00:00 UTC);
        tick(&one, &one_index, &[2], t, now).expect("tick");
        tick(
            &other,
            &other_index,
            &[2, 3, 4],
            t,
            now + time::Duration::hours(t as i64),
        )
        .expect("tick");
    }
    let a = arrivals_of(&one, "M00002");
    assert_eq!(a.len(), 5, "three claims, two of them replaced");
    assert_eq!(a, arrivals_of(&other, "M00002"));
    assert_ne!(a[0].1["item"], arrivals_of(&other, "M00003")[0].1["item"]);
}

#[test]
fn the_mode_is_the_flag_members_and_the_switched_on_ones() {
    let (_scratch, store, index, fill) = store_with_members();
    let arrivals = Arrivals::new(Duration::from_secs(60), vec![2]);
    let now = datetime!(2026-01-10 10:00:00 UTC);
    assert_eq!(arrivals.members(&store).expect("members"), [2]);
    assert_eq!(
        arrivals.mode_of(&store, "M00002").expect("mode"),
        MemberMode::Chosen
    );
    assert_eq!(
        arrivals.mode_of(&store, "M00003").expect("mode"),
        MemberMode::Off
    );
    Arrivals::switch(&store, "M00003", true, now).expect("switch on");
    Arrivals::switch(&store, "M00003", true, now + time::Duration::hours(1)).expect("again");
    assert_eq!(
        arrivals.mode_of(&store, "M00003").expect("mode"),
        MemberMode::Switched(Switched {
            since: fhir_instant(now)
        })
    );
    assert_eq!(arrivals.members(&store).expect("members"), [2, 3]);

    let first = arrivals.run_once(&store, &index, &fill, now).expect("tick");
    assert_eq!((first.tick, first.arrived.len()), (1, 2));
    assert_eq!(Arrivals::last_tick(&store).expect("tick"), 1);
    Arrivals::switch(&store, "M00003", false, now).expect("switch off");
    let second = arrivals.run_once(&store, &index, &fill, now).expect("tick");
    assert_eq!(second.tick, 2);
    assert_eq!(second.arrived, ["C00002-T0002"]);

    let listed = recent(&store, "M00002", 5).expect("recent");
    let ids: Vec<&str> = listed.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["C00002-T0002", "C00002-T0001-R", "C00002-T0001"]);
    assert_eq!(listed[2].version, "2");
    assert_eq!(listed[2].status, "cancelled");
    assert_eq!(listed[2].related, ["replacedby C00002-T0001-R"]);
    assert_eq!(listed[1].related, ["prior C00002-T0001"]);
    assert!(recent(&store, "M00004", 5).expect("recent").is_empty());
    assert!(recent(&store, "someone", 5).expect("recent").is_empty());

    // A member the fill has not written yet is made first (member 5 of the 6-member run).
    // Member 9 is not a generated member of this store: nothing is made up for them.
    let later = Arrivals::new(Duration::from_secs(60), vec![5, 9]);
    let third = later.run_once(&store, &index, &fill, now).expect("tick");
    assert_eq!(third.skipped, [9]);
    assert_eq!(third.arrived, ["C00005-T0003"]);
}

#[test]
fn flags_parse() {
    assert_eq!(parse_member("BBUser00001"), Ok(1));
    assert_eq!(parse_member(" M00042 "), Ok(42));
    assert!(parse_member("M42").is_err());
    assert!(parse_member("someone").is_err());
    assert_eq!(parse_interval("30"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_interval("30s"), Ok(Duration::from_secs(30)));
    assert_eq!(parse_interval("5m"), Ok(Duration::from_secs(300)));
    assert_eq!(parse_interval("1h"), Ok(Duration::from_secs(3600)));
    for bad in ["", "0", "5d", "m", "-1s"] {
        assert!(parse_interval(bad).is_err(), "{bad}");
    }
}
