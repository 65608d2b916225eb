//! The FHIR API without a server: scopes × patient compartment × `_include` × paging, on a
//! hand-written store small enough to know every answer.
//!
//! Two beneficiaries: `pat-1` (three EOBs, a coverage, a related person) and `pat-2` (one EOB
//! whose insurance names `pat-1`'s coverage, so an `_include` would cross the compartment
//! if included resources were not checked). Organizations and the practitioner are shared.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};
use time::macros::datetime;
use time::OffsetDateTime;

use super::*;
use crate::auth::{Access, ScopeSet};
use crate::store::{PreparedResource, ResourceWriter};

const BASE: &str = "http://sandbox.test/v2/fhir";
const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
const ALL: &str = "patient/*.read";

struct Fixture {
    store: Store,
    index: SearchIndex,
}

fn reference(target: &str) -> Value {
    json!({ "reference": target })
}

fn eob(patient: &str, coverage: &str) -> Value {
    json!({
        "status": "active",
        "patient": reference(&format!("Patient/{patient}")),
        "insurer": reference("Organization/org-1"),
        "provider": reference("Practitioner/prac-1"),
        "careTeam": [{ "sequence": 1, "provider": reference("Practitioner/prac-1") }],
        "insurance": [{ "focal": true, "coverage": reference(&format!("Coverage/{coverage}")) }],
    })
}

fn resources() -> Vec<(&'static str, &'static str, Value)> {
    vec![
        ("Patient", "pat-1", json!({ "active": true })),
        ("Patient", "pat-2", json!({ "active": true })),
        ("Organization", "org-1", json!({ "name": "Payer" })),
        ("Organization", "org-2", json!({ "name": "Other payer" })),
        ("Practitioner", "prac-1", json!({ "active": true })),
        (
            "Coverage",
            "cov-1",
            json!({
                "status": "active",
                "beneficiary": reference("Patient/pat-1"),
                "payor": [reference("Organization/org-1")],
            }),
        ),
        (
            "Coverage",
            "cov-2",
            json!({
                "status": "active",
                "beneficiary": reference("Patient/pat-2"),
                "payor": [reference("Organization/org-2")],
            }),
        ),
        (
            "RelatedPerson",
            "rp-1",
            json!({ "patient": reference("Patient/pat-1") }),
        ),
        ("ExplanationOfBenefit", "eob-1a", eob("pat-1", "cov-1")),
        ("ExplanationOfBenefit", "eob-1b", eob("pat-1", "cov-1")),
        ("ExplanationOfBenefit", "eob-1c", eob("pat-1", "cov-1")),
        ("ExplanationOfBenefit", "eob-2", eob("pat-2", "cov-1")),
    ]
}

/// `{"resourceType":T,"id":X,…fields}` with `meta` going right after the id, as the store
/// expects.
fn put(writer: &mut ResourceWriter<'_>, resource_type: &str, id: &str, fields: &Value) {
    let mut body = format!(r#"{{"resourceType":"{resource_type}","id":"{id}""#).into_bytes();
    let meta_at = body.len();
    for (key, value) in fields.as_object().unwrap() {
        body.extend_from_slice(format!(",\"{key}\":{value}").as_bytes());
    }
    body.push(b'}');
    let prepared = PreparedResource {
        resource_type,
        id,
        body: &body,
        meta_at,
        profiles: &[],
    };
    writer.upsert(&prepared, "2025-01-02T03:04:05Z").unwrap();
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let store = Store::in_memory().unwrap();
        let tx = store.begin_write().unwrap();
        {
            let mut writer = ResourceWriter::new(&tx).unwrap();
            for (ty, id, fields) in resources() {
                put(&mut writer, ty, id, &fields);
            }
            // A second version of one claim, for vread.
            let mut edited = eob("pat-1", "cov-1");
            edited["status"] = json!("cancelled");
            put(&mut writer, "ExplanationOfBenefit", "eob-1a", &edited);
        }
        tx.commit().unwrap();
        let index = SearchIndex::in_memory().unwrap();
        index.rebuild_from(&store).unwrap();
        Fixture { store, index }
    })
}

fn token(patient: &str, scopes: &str) -> Viewer {
    Viewer::Token(Arc::new(Access {
        client_id: "test-app".into(),
        patient: patient.into(),
        scopes: ScopeSet::parse(scopes),
        grant_id: "g".into(),
        issued_at: 0,
        failures: Default::default(),
        system: false,
    }))
}

/// A backend-services token (client_credentials): no patient.
fn system_token(scopes: &str) -> Viewer {
    Viewer::Token(Arc::new(Access {
        client_id: "backend-app".into(),
        patient: String::new(),
        scopes: ScopeSet::parse(scopes),
        grant_id: "g".into(),
        issued_at: 0,
        failures: Default::default(),
        system: true,
    }))
}

fn pairs(params: &[(&str, &str)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

fn search_pairs(
    viewer: &Viewer,
    resource_type: &str,
    params: Vec<(String, String)>,
) -> Result<Value, FhirError> {
    let fx = fixture();
    let request = SearchRequest {
        resource_type: resource_type.into(),
        params,
        strict: true,
        base: BASE.into(),
    };
    let body = search(&fx.store, &fx.index, viewer, request, NOW)?
        .body
        .to_vec();
    Ok(serde_json::from_slice(&body).unwrap())
}

fn find(viewer: &Viewer, resource_type: &str, params: &[(&str, &str)]) -> Value {
    search_pairs(viewer, resource_type, pairs(params)).unwrap()
}

fn find_err(viewer: &Viewer, resource_type: &str, params: &[(&str, &str)]) -> FhirError {
    search_pairs(viewer, resource_type, pairs(params)).unwrap_err()
}

/// `Type/id` of the entries with search mode `mode`, in Bundle order.
fn entries(bundle: &Value, mode: &str) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .filter(|e| e["search"]["mode"] == mode)
        .map(|e| {
            let r = &e["resource"];
            format!(
                "{}/{}",
                r["resourceType"].as_str().unwrap(),
                r["id"].as_str().unwrap()
            )
        })
        .collect()
}

fn link<'a>(bundle: &'a Value, relation: &str) -> Option<&'a str> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == relation)?["url"]
        .as_str()
}

/// The decoded query of a paging link, checked to point at this base and type.
fn link_params(url: &str, resource_type: &str) -> Vec<(String, String)> {
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    assert_eq!(path, format!("{BASE}/{resource_type}"));
    serde_urlencoded::from_str(query).unwrap()
}

fn read_of(viewer: &Viewer, resource_type: &str, id: &str) -> Result<StoredResource, FhirError> {
    read(&fixture().store, viewer, resource_type, id, &[])
}

fn status(e: &FhirError) -> u16 {
    e.code().0
}

#[test]
fn eob_only_scopes_include_nothing_else() {
    let viewer = token("pat-1", "patient/ExplanationOfBenefit.read");
    let bundle = find(
        &viewer,
        "ExplanationOfBenefit",
        &[("_include", "ExplanationOfBenefit:*")],
    );
    assert_eq!(bundle["total"], 3);
    assert_eq!(
        entries(&bundle, "match"),
        [
            "ExplanationOfBenefit/eob-1a",
            "ExplanationOfBenefit/eob-1b",
            "ExplanationOfBenefit/eob-1c"
        ]
    );
    assert!(entries(&bundle, "include").is_empty(), "{bundle}");
    // One more scope, one more included type: the scope check is per included resource.
    let viewer = token(
        "pat-1",
        "patient/ExplanationOfBenefit.read patient/Coverage.read",
    );
    let bundle = find(
        &viewer,
        "ExplanationOfBenefit",
        &[("_include", "ExplanationOfBenefit:*")],
    );
    assert_eq!(entries(&bundle, "include"), ["Coverage/cov-1"]);
}

#[test]
fn included_resources_are_deduplicated() {
    let viewer = token("pat-1", ALL);
    let bundle = find(
        &viewer,
        "ExplanationOfBenefit",
        &[
            ("_include", "ExplanationOfBenefit:*"),
            ("_include:iterate", "Coverage:payor"),
        ],
    );
    // Three claims name the same patient, practitioner (twice each), coverage and insurer;
    // the coverage's payor is the insurer again.
    let included = entries(&bundle, "include");
    let unique: BTreeSet<&String> = included.iter().collect();
    assert_eq!(included.len(), unique.len(), "{included:?}");
    assert_eq!(
        unique.into_iter().cloned().collect::<Vec<_>>(),
        [
            "Coverage/cov-1",
            "Organization/org-1",
            "Patient/pat-1",
            "Practitioner/prac-1"
        ]
    );
}

#[test]
fn included_resources_stay_in_the_compartment() {
    // eob-2 (pat-2's) names pat-1's coverage: pat-2 must not see it, however it is asked for.
    let viewer = token("pat-2", ALL);
    let bundle = find(
        &viewer,
        "ExplanationOfBenefit",
        &[("_include", "ExplanationOfBenefit:*")],
    );
    assert_eq!(entries(&bundle, "match"), ["ExplanationOfBenefit/eob-2"]);
    assert_eq!(
        entries(&bundle, "include"),
        ["Patient/pat-2", "Practitioner/prac-1", "Organization/org-1"]
    );
    let bundle = find(
        &viewer,
        "ExplanationOfBenefit",
        &[
            ("_include", "ExplanationOfBenefit:coverage"),
            ("_include:iterate", "Coverage:payor"),
        ],
    );
    assert!(entries(&bundle, "include").is_empty(), "{bundle}");
    // The open API includes it: the filter above is the compartment's doing.
    let bundle = find(
        &Viewer::Open,
        "ExplanationOfBenefit",
        &[
            ("_id", "eob-2"),
            ("_include", "ExplanationOfBenefit:coverage"),
        ],
    );
    assert_eq!(entries(&bundle, "include"), ["Coverage/cov-1"]);
}

#[test]
fn another_patients_resources_do_not_exist() {
    let viewer = token("pat-1", ALL);
    for (ty, id) in [
        ("Patient", "pat-2"),
        ("Coverage", "cov-2"),
        ("ExplanationOfBenefit", "eob-2"),
    ] {
        let e = read_of(&viewer, ty, id).err().unwrap();
        assert!(matches!(e, FhirError::NotFound { .. }), "{ty}/{id}: {e}");
        // Not "no such version": that would say the resource exists.
        let e = vread(&fixture().store, &viewer, ty, id, "1", &[])
            .err()
            .unwrap();
        assert!(matches!(e, FhirError::NotFound { .. }), "{ty}/{id}: {e}");
    }
    // Its own data and the shared directory are there.
    for (ty, id) in [
        ("Patient", "pat-1"),
        ("Coverage", "cov-1"),
        ("ExplanationOfBenefit", "eob-1b"),
        ("RelatedPerson", "rp-1"),
        ("Organization", "org-2"),
        ("Practitioner", "prac-1"),
    ] {
        assert!(read_of(&viewer, ty, id).is_ok(), "{ty}/{id}");
    }
    let e = read_of(&token("pat-2", ALL), "RelatedPerson", "rp-1")
        .err()
        .unwrap();
    assert_eq!(status(&e), 404);
}

#[test]
fn searching_for_another_patient_finds_nothing() {
    let viewer = token("pat-1", ALL);
    for (ty, param, value) in [
        ("ExplanationOfBenefit", "patient", "pat-2"),
        ("ExplanationOfBenefit", "_id", "eob-2"),
        ("Patient", "_id", "pat-2"),
        ("Coverage", "beneficiary", "Patient/pat-2"),
        ("Coverage", "_id", "cov-2"),
    ] {
        let bundle = find(&viewer, ty, &[(param, value)]);
        assert_eq!(bundle["total"], 0, "{ty}?{param}={value}");
        assert!(bundle.get("entry").is_none());
    }
    // Without a filter, the compartment still applies.
    assert_eq!(find(&viewer, "Coverage", &[])["total"], 1);
    assert_eq!(find(&viewer, "Patient", &[])["total"], 1);
    assert_eq!(find(&viewer, "Organization", &[])["total"], 2);
}

#[test]
fn a_system_token_reads_every_patient_within_its_scopes() {
    let viewer = system_token("system/*.read");
    for (ty, id) in [
        ("Patient", "pat-1"),
        ("Patient", "pat-2"),
        ("Coverage", "cov-2"),
        ("ExplanationOfBenefit", "eob-2"),
        ("RelatedPerson", "rp-1"),
    ] {
        assert!(read_of(&viewer, ty, id).is_ok(), "{ty}/{id}");
    }
    assert_eq!(find(&viewer, "Patient", &[])["total"], 2);
    assert_eq!(
        find(&viewer, "ExplanationOfBenefit", &[("patient", "pat-2")])["total"],
        find(
            &Viewer::Open,
            "ExplanationOfBenefit",
            &[("patient", "pat-2")]
        )["total"]
    );
    // Still only what its scopes name: v2 syntax, one type.
    let eob_only = system_token("system/ExplanationOfBenefit.rs");
    assert!(read_of(&eob_only, "ExplanationOfBenefit", "eob-2").is_ok());
    assert_eq!(
        status(&read_of(&eob_only, "Patient", "pat-2").err().unwrap()),
        403
    );
}

#[test]
fn paging_links_keep_the_compartment() {
    let viewer = token("pat-1", ALL);
    let first = find(&viewer, "ExplanationOfBenefit", &[("_count", "1")]);
    assert_eq!(first["total"], 3);
    // The links carry what was asked, never the server's own compartment filter.
    let next = link(&first, "next").unwrap();
    assert_eq!(
        next,
        format!("{BASE}/ExplanationOfBenefit?_count=1&_offset=1")
    );
    assert!(!link(&first, "self").unwrap().contains("patient"));
    let mut seen = entries(&first, "match");
    let mut url = next.to_string();
    loop {
        let page = search_pairs(
            &viewer,
            "ExplanationOfBenefit",
            link_params(&url, "ExplanationOfBenefit"),
        )
        .unwrap();
        assert_eq!(page["total"], 3, "{url}");
        seen.extend(entries(&page, "match"));
        match link(&page, "next") {
            Some(n) => url = n.to_string(),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "ExplanationOfBenefit/eob-1a",
            "ExplanationOfBenefit/eob-1b",
            "ExplanationOfBenefit/eob-1c"
        ]
    );
    // The same link followed by the other patient's token pages through that patient's data.
    let other = search_pairs(
        &token("pat-2", ALL),
        "ExplanationOfBenefit",
        link_params(
            &format!("{BASE}/ExplanationOfBenefit?_count=1&_offset=0"),
            "ExplanationOfBenefit",
        ),
    )
    .unwrap();
    assert_eq!(entries(&other, "match"), ["ExplanationOfBenefit/eob-2"]);
    assert!(link(&other, "next").is_none());
}

#[test]
fn count_and_offset_boundaries() {
    let open = Viewer::Open;
    let eob = "ExplanationOfBenefit";
    let zero = find(&open, eob, &[("_count", "0")]);
    assert_eq!(zero["total"], 4);
    assert!(zero.get("entry").is_none());
    assert!(link(&zero, "next").is_none());

    let exact = find(&open, eob, &[("_count", "4")]);
    assert_eq!(entries(&exact, "match").len(), 4);
    assert!(link(&exact, "next").is_none());
    assert!(link(&exact, "previous").is_none());
    assert_eq!(
        link(&exact, "last").unwrap(),
        format!("{BASE}/{eob}?_count=4&_offset=0")
    );

    let short = find(&open, eob, &[("_count", "3")]);
    assert_eq!(entries(&short, "match").len(), 3);
    assert_eq!(
        link(&short, "next").unwrap(),
        format!("{BASE}/{eob}?_count=3&_offset=3")
    );
    assert_eq!(
        link(&short, "last").unwrap(),
        format!("{BASE}/{eob}?_count=3&_offset=3")
    );

    let tail = find(&open, eob, &[("_count", "3"), ("_offset", "3")]);
    assert_eq!(entries(&tail, "match"), ["ExplanationOfBenefit/eob-2"]);
    assert!(link(&tail, "next").is_none());
    assert_eq!(
        link(&tail, "previous").unwrap(),
        format!("{BASE}/{eob}?_count=3&_offset=0")
    );

    let beyond = find(&open, eob, &[("_offset", "99")]);
    assert_eq!(beyond["total"], 4);
    assert!(beyond.get("entry").is_none());

    let most = find(&open, eob, &[("_count", &search::MAX_COUNT.to_string())]);
    assert_eq!(entries(&most, "match").len(), 4);
    let over = (search::MAX_COUNT + 1).to_string();
    let e = find_err(&open, eob, &[("_count", &over)]);
    assert!(matches!(e, FhirError::Search(_)), "{e}");
    assert_eq!(status(&e), 400);
    assert_eq!(status(&find_err(&open, eob, &[("_count", "-1")])), 400);

    let count = find(&open, eob, &[("_summary", "count")]);
    assert_eq!(count["total"], 4);
    assert!(count.get("entry").is_none());
}

#[test]
fn open_access_sees_everything() {
    let open = Viewer::Open;
    assert_eq!(find(&open, "ExplanationOfBenefit", &[])["total"], 4);
    assert_eq!(find(&open, "Patient", &[])["total"], 2);
    assert_eq!(
        find(&open, "ExplanationOfBenefit", &[("patient", "pat-2")])["total"],
        1
    );
    for (ty, id) in [
        ("Patient", "pat-2"),
        ("ExplanationOfBenefit", "eob-2"),
        ("RelatedPerson", "rp-1"),
    ] {
        assert!(read_of(&open, ty, id).is_ok(), "{ty}/{id}");
    }
}

#[test]
fn scopes_decide_read_and_search_separately() {
    let eob = "ExplanationOfBenefit";
    // SMART v2: .r reads but does not search, .s searches but does not read.
    let read_only = token("pat-1", "patient/ExplanationOfBenefit.r");
    let e = find_err(&read_only, eob, &[]);
    assert!(matches!(e, FhirError::Forbidden(_)), "{e}");
    assert_eq!(status(&e), 403);
    assert!(read_of(&read_only, eob, "eob-1a").is_ok());

    let search_only = token("pat-1", "patient/ExplanationOfBenefit.s");
    assert_eq!(find(&search_only, eob, &[])["total"], 3);
    assert_eq!(
        status(&read_of(&search_only, eob, "eob-1a").err().unwrap()),
        403
    );

    // A type outside the scopes is refused before anything is looked up, so a 403 says
    // nothing about whether the id exists.
    let eob_only = token("pat-1", "patient/ExplanationOfBenefit.read");
    for id in ["pat-1", "pat-2", "nobody"] {
        let e = read_of(&eob_only, "Patient", id).err().unwrap();
        assert!(matches!(e, FhirError::Forbidden(_)), "{id}: {e}");
    }
    assert_eq!(status(&find_err(&eob_only, "Coverage", &[])), 403);
}

#[test]
fn vread_serves_each_version_with_its_etag() {
    let store = &fixture().store;
    let viewer = token("pat-1", ALL);
    let eob = "ExplanationOfBenefit";
    let current = read_of(&viewer, eob, "eob-1a").unwrap();
    assert_eq!(current.version_id.as_deref(), Some("2"));
    assert_eq!(
        current.last_modified.as_deref(),
        Some("Thu, 02 Jan 2025 03:04:05 GMT")
    );
    let first = vread(store, &viewer, eob, "eob-1a", "1", &[]).unwrap();
    assert_eq!(first.version_id.as_deref(), Some("1"));
    let json: Value = serde_json::from_slice(&first.json).unwrap();
    assert_eq!(json["status"], "active");
    let second = vread(store, &viewer, eob, "eob-1a", "2", &[]).unwrap();
    assert_eq!(second.json, current.json);
    for version in ["3", "x", "-1"] {
        let e = vread(store, &viewer, eob, "eob-1a", version, &[])
            .err()
            .unwrap();
        assert!(
            matches!(e, FhirError::VersionNotFound { .. }),
            "{version}: {e}"
        );
        assert_eq!(status(&e), 404);
    }
}

#[test]
fn type_format_and_strictness_are_checked_in_order() {
    let viewer = token("pat-1", "patient/ExplanationOfBenefit.read");
    // An unknown type is 404 whatever the scopes.
    let e = read_of(&viewer, "Claim", "x").err().unwrap();
    assert!(matches!(e, FhirError::UnsupportedType(_)), "{e}");
    assert!(matches!(
        find_err(&viewer, "Claim", &[]),
        FhirError::UnsupportedType(_)
    ));
    // `_format` is looked at first: XML is refused even for a type out of scope.
    let xml = pairs(&[("_format", "xml")]);
    let e = read(&fixture().store, &viewer, "Patient", "pat-1", &xml)
        .err()
        .unwrap();
    assert_eq!(status(&e), 406);
    assert_eq!(
        status(&find_err(&viewer, "Patient", &[("_format", "xml")])),
        406
    );
    let json = pairs(&[("_format", "application/fhir+json")]);
    assert!(read(
        &fixture().store,
        &viewer,
        "ExplanationOfBenefit",
        "eob-1a",
        &json
    )
    .is_ok());
    // Unknown parameters: 400 when strict, ignored otherwise.
    let e = find_err(&viewer, "ExplanationOfBenefit", &[("colour", "blue")]);
    assert_eq!(status(&e), 400);
    let fx = fixture();
    let lenient = SearchRequest {
        resource_type: "ExplanationOfBenefit".into(),
        params: pairs(&[("colour", "blue")]),
        strict: false,
        base: BASE.into(),
    };
    let body = search(&fx.store, &fx.index, &viewer, lenient, NOW)
        .unwrap()
        .body
        .to_vec();
    let bundle: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(bundle["total"], 3);
    assert_eq!(
        bundle["meta"]["lastUpdated"],
        crate::clock::fhir_instant(NOW)
    );
}

/// Reads are served from the store's cache of decompressed resources: a write is seen by the
/// next read (the entry was made from other stored bytes), a snapshot taken before it still
/// sees its own version, and a resource cached by one viewer's read is still refused to a
/// token of another patient, by read and by `_include`.
#[test]
fn cached_reads_see_every_write_and_keep_the_compartment() {
    let store = Store::in_memory().unwrap();
    let write = |status: &str| {
        let tx = store.begin_write().unwrap();
        {
            let mut writer = ResourceWriter::new(&tx).unwrap();
            let mut claim = eob("pat-2", "cov-2");
            claim["status"] = json!(status);
            put(&mut writer, "ExplanationOfBenefit", "eob-x", &claim);
            put(&mut writer, "Coverage", "cov-2", &resources()[6].2);
        }
        tx.commit().unwrap();
    };
    let status = |viewer: &Viewer| -> Result<(String, Option<String>), FhirError> {
        let found = read(&store, viewer, "ExplanationOfBenefit", "eob-x", &[])?;
        let json: Value = serde_json::from_slice(&found.json).unwrap();
        Ok((
            json["status"].as_str().unwrap().to_string(),
            found.version_id,
        ))
    };
    write("active");
    let open = Viewer::Open;
    let mine = token("pat-2", ALL);
    let other = token("pat-1", ALL);
    assert_eq!(status(&open).unwrap(), ("active".into(), Some("1".into())));
    assert_eq!(status(&mine).unwrap(), ("active".into(), Some("1".into())));
    let before = store.read().unwrap();
    // An update (as a fill batch, an arrivals tick or an import writes one).
    write("cancelled");
    assert_eq!(
        status(&open).unwrap(),
        ("cancelled".into(), Some("2".into()))
    );
    assert_eq!(
        status(&mine).unwrap(),
        ("cancelled".into(), Some("2".into()))
    );
    // The older snapshot still reads the version it holds, even after the newer was cached.
    let old: Value = serde_json::from_slice(
        &before
            .get_shared("ExplanationOfBenefit", "eob-x")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(old["status"], "active");
    // vread of both versions, through the cached current one.
    let v1 = vread(&store, &mine, "ExplanationOfBenefit", "eob-x", "1", &[]).unwrap();
    assert_eq!(v1.version_id.as_deref(), Some("1"));
    // Cached by the reads above, and still another patient's: not found for pat-1.
    assert!(matches!(status(&other), Err(FhirError::NotFound { .. })));
    let index = SearchIndex::in_memory().unwrap();
    index.rebuild_from(&store).unwrap();
    let request = SearchRequest {
        resource_type: "ExplanationOfBenefit".into(),
        params: pairs(&[("_include", "ExplanationOfBenefit:coverage")]),
        strict: true,
        base: BASE.into(),
    };
    let body = search(&store, &index, &other, request, NOW)
        .unwrap()
        .body
        .to_vec();
    let bundle: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(entries(&bundle, "match"), Vec::<String>::new());
    assert_eq!(entries(&bundle, "include"), Vec::<String>::new());
}
