//! The FHIR API against the running server with the bundled seed: every request shape the
//! Inferno CARIN kit sends (reference §7.4), includes, paging, read/vread, errors.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::helpers::TestApp;

const PATIENT: &str = "M00000";

fn entries<'a>(bundle: &'a Value, mode: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["search"]["mode"] == mode)
                .map(|e| &e["resource"])
                .collect()
        })
        .unwrap_or_default()
}

fn ids(resources: &[&Value]) -> BTreeSet<String> {
    resources
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

/// `Type/id` of each resource.
fn keys(resources: &[&Value]) -> BTreeSet<String> {
    resources
        .iter()
        .map(|r| {
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

fn path_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest[rest.find('/').unwrap()..].to_string()
}

/// The patient's EOBs; the first one drives the Inferno searches.
async fn patient_eobs(app: &TestApp) -> Vec<Value> {
    let bundle = app
        .get_json(&format!("/v2/fhir/ExplanationOfBenefit?patient={PATIENT}"))
        .await;
    assert_eq!(bundle["resourceType"], "Bundle");
    assert_eq!(bundle["type"], "searchset");
    let eobs: Vec<Value> = entries(&bundle, "match").into_iter().cloned().collect();
    assert_eq!(
        bundle["total"].as_u64(),
        Some(eobs.len() as u64),
        "one page holds all of a patient's EOBs"
    );
    assert!(eobs.len() >= 5);
    eobs
}

#[tokio::test]
async fn metadata_is_open_and_declares_carin() {
    let app = TestApp::shared();
    let response = app
        .client
        .get(app.url("/v2/fhir/metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/fhir+json"));
    let cs: Value = response.json().await.unwrap();
    assert_eq!(cs["resourceType"], "CapabilityStatement");
    assert_eq!(cs["fhirVersion"], "4.0.1");
    assert!(cs["instantiates"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i == "http://hl7.org/fhir/us/carin-bb/CapabilityStatement/c4bb"));
    assert!(cs["format"].as_array().unwrap().iter().any(|f| f == "json"));
    let resources = cs["rest"][0]["resource"].as_array().unwrap();
    let eob = resources
        .iter()
        .find(|r| r["type"] == "ExplanationOfBenefit")
        .unwrap();
    let params: BTreeSet<&str> = eob["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "_id",
        "patient",
        "_lastUpdated",
        "type",
        "identifier",
        "service-date",
        "service-start-date",
        "billable-period-start",
    ] {
        assert!(params.contains(p), "EOB searchParam {p} missing");
    }
    assert_eq!(eob["supportedProfile"].as_array().unwrap().len(), 6);
    for ty in [
        "Coverage",
        "Patient",
        "Organization",
        "Practitioner",
        "RelatedPerson",
    ] {
        assert!(resources.iter().any(|r| r["type"] == ty), "{ty} missing");
    }
}

#[tokio::test]
async fn search_by_patient_returns_only_that_patients_eobs() {
    let app = TestApp::shared();
    let eobs = patient_eobs(&app).await;
    for eob in &eobs {
        assert_eq!(eob["patient"]["reference"], format!("Patient/{PATIENT}"));
    }
    let typed = app
        .get_json(&format!(
            "/v2/fhir/ExplanationOfBenefit?patient=Patient/{PATIENT}"
        ))
        .await;
    assert_eq!(typed["total"].as_u64(), Some(eobs.len() as u64));
    let kinds: BTreeSet<&str> = eobs
        .iter()
        .map(|e| e["type"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.len(),
        4,
        "institutional, professional, oral, pharmacy: {kinds:?}"
    );
}

#[tokio::test]
async fn inferno_searches_without_patient_find_the_first_eob() {
    let app = TestApp::shared();
    let eobs = patient_eobs(&app).await;
    let first = &eobs[0];
    let id = first["id"].as_str().unwrap();
    let last_updated = first["meta"]["lastUpdated"].as_str().unwrap();
    let code = first["type"]["coding"][0]["code"].as_str().unwrap();
    let identifier = first["identifier"][0]["value"].as_str().unwrap();
    let start = first["billablePeriod"]["start"].as_str().unwrap();
    let day_before = {
        let d = time::Date::parse(
            start,
            &time::macros::format_description!("[year]-[month]-[day]"),
        )
        .unwrap();
        (d - time::Duration::days(1)).to_string()
    };
    let enc = |s: &str| serde_urlencoded::to_string([("v", s)]).unwrap()[2..].to_string();
    let searches = [
        format!("_id={id}"),
        format!("_lastUpdated={}", enc(last_updated)),
        format!("type={code}"),
        format!("identifier={}", enc(identifier)),
        format!(
            "service-date=gt{}",
            enc(&format!("{day_before}T00:00:00+00:00"))
        ),
        // A client that forgot to encode '+': it arrives as a space.
        format!("service-date=gt{day_before}T00:00:00+00:00"),
        format!("service-start-date={start}"),
        format!("billable-period-start={start}"),
    ];
    for q in searches {
        let (status, bundle) = app.get(&format!("/v2/fhir/ExplanationOfBenefit?{q}")).await;
        assert_eq!(status, 200, "{q}: {bundle}");
        let found = entries(&bundle, "match");
        assert!(found.iter().any(|e| e["id"] == id), "{q} did not find {id}");
        assert!(bundle["total"].as_u64().unwrap() >= found.len() as u64);
    }
    // Every result of a type search has that type; of a start-date search, that start.
    let bundle = app
        .get_json(&format!(
            "/v2/fhir/ExplanationOfBenefit?type={code}&_count=50"
        ))
        .await;
    for e in entries(&bundle, "match") {
        assert_eq!(e["type"]["coding"][0]["code"], code);
    }
    let bundle = app
        .get_json(&format!(
            "/v2/fhir/ExplanationOfBenefit?billable-period-start={start}"
        ))
        .await;
    for e in entries(&bundle, "match") {
        assert_eq!(e["billablePeriod"]["start"], start);
    }
}

#[tokio::test]
async fn every_include_returns_exactly_the_referenced_resources() {
    let app = TestApp::shared();
    let eobs = patient_eobs(&app).await;
    let first = &eobs[0];
    let id = first["id"].as_str().unwrap();
    let reference = |v: &Value| v["reference"].as_str().map(str::to_string);
    let mut expected_star = BTreeSet::new();
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "patient",
            reference(&first["patient"]).into_iter().collect(),
        ),
        (
            "provider",
            reference(&first["provider"]).into_iter().collect(),
        ),
        (
            "care-team",
            first["careTeam"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| reference(&c["provider"]))
                .collect(),
        ),
        (
            "coverage",
            first["insurance"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|i| reference(&i["coverage"]))
                .collect(),
        ),
        (
            "insurer",
            reference(&first["insurer"]).into_iter().collect(),
        ),
        (
            "payee",
            reference(&first["payee"]["party"]).into_iter().collect(),
        ),
    ];
    for (name, refs) in &cases {
        assert!(!refs.is_empty(), "the first EOB has no {name} reference");
        expected_star.extend(refs.iter().cloned());
        let bundle = app
            .get_json(&format!(
                "/v2/fhir/ExplanationOfBenefit?_id={id}&_include=ExplanationOfBenefit:{name}"
            ))
            .await;
        assert_eq!(entries(&bundle, "match").len(), 1);
        let included = keys(&entries(&bundle, "include"));
        let want: BTreeSet<String> = refs.iter().cloned().collect();
        assert_eq!(included, want, "_include=ExplanationOfBenefit:{name}");
        assert_eq!(
            entries(&bundle, "include").len(),
            included.len(),
            "no duplicates"
        );
    }
    let bundle = app
        .get_json(&format!(
            "/v2/fhir/ExplanationOfBenefit?_id={id}&_include=ExplanationOfBenefit:*"
        ))
        .await;
    let included = keys(&entries(&bundle, "include"));
    assert_eq!(included, expected_star);
    assert!(included.len() >= 5);

    // Coverage's payor through :iterate.
    let bundle = app
        .get_json(&format!("/v2/fhir/ExplanationOfBenefit?_id={id}&_include=ExplanationOfBenefit:coverage&_include:iterate=Coverage:payor"))
        .await;
    let kinds: Vec<&str> = entries(&bundle, "include")
        .iter()
        .map(|r| r["resourceType"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"Coverage") && kinds.contains(&"Organization"),
        "{kinds:?}"
    );
}

#[tokio::test]
async fn everything_referenced_can_be_read_and_vread() {
    let app = TestApp::shared();
    let eobs = patient_eobs(&app).await;
    let first = &eobs[0];
    let mut refs = vec![format!(
        "ExplanationOfBenefit/{}",
        first["id"].as_str().unwrap()
    )];
    for v in [
        &first["patient"],
        &first["provider"],
        &first["insurer"],
        &first["payee"]["party"],
    ] {
        refs.extend(v["reference"].as_str().map(str::to_string));
    }
    for c in first["careTeam"].as_array().unwrap() {
        refs.extend(c["provider"]["reference"].as_str().map(str::to_string));
    }
    for i in first["insurance"].as_array().unwrap() {
        refs.extend(i["coverage"]["reference"].as_str().map(str::to_string));
    }
    for r in refs {
        let response = app
            .client
            .get(app.url(&format!("/v2/fhir/{r}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{r}");
        assert_eq!(response.headers()["etag"], "W/\"1\"");
        assert!(response.headers().contains_key("last-modified"));
        let resource: Value = response.json().await.unwrap();
        assert_eq!(
            format!(
                "{}/{}",
                resource["resourceType"].as_str().unwrap(),
                resource["id"].as_str().unwrap()
            ),
            r
        );
        let (status, version) = app.get(&format!("/v2/fhir/{r}/_history/1")).await;
        assert_eq!(status, 200);
        assert_eq!(version, resource);
        let (status, outcome) = app.get(&format!("/v2/fhir/{r}/_history/7")).await;
        assert_eq!(status, 404);
        assert_eq!(outcome["resourceType"], "OperationOutcome");
    }
}

#[tokio::test]
async fn other_types_search_by_id_and_last_updated() {
    let app = TestApp::shared();
    let eobs = patient_eobs(&app).await;
    let first = &eobs[0];
    let coverage = first["insurance"][0]["coverage"]["reference"]
        .as_str()
        .unwrap()
        .split('/')
        .nth(1)
        .unwrap()
        .to_string();
    let targets = [
        ("Patient", PATIENT.to_string()),
        ("Coverage", coverage.clone()),
        (
            "Organization",
            first["insurer"]["reference"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(1)
                .unwrap()
                .to_string(),
        ),
        (
            "Practitioner",
            first["careTeam"][0]["provider"]["reference"]
                .as_str()
                .unwrap()
                .split('/')
                .nth(1)
                .unwrap()
                .to_string(),
        ),
    ];
    for (ty, id) in targets {
        let bundle = app.get_json(&format!("/v2/fhir/{ty}?_id={id}")).await;
        let found = entries(&bundle, "match");
        assert_eq!(ids(&found), BTreeSet::from([id.clone()]), "{ty}?_id");
        let last_updated = found[0]["meta"]["lastUpdated"].as_str().unwrap();
        let enc = serde_urlencoded::to_string([("_lastUpdated", last_updated)]).unwrap();
        let bundle = app.get_json(&format!("/v2/fhir/{ty}?{enc}")).await;
        assert!(
            ids(&entries(&bundle, "match")).contains(&id),
            "{ty}?_lastUpdated"
        );
    }
    let bundle = app
        .get_json(&format!(
            "/v2/fhir/Coverage?_id={coverage}&_include=Coverage:payor"
        ))
        .await;
    let included = entries(&bundle, "include");
    assert_eq!(included.len(), 1);
    assert_eq!(included[0]["resourceType"], "Organization");
    let related = app.get_json("/v2/fhir/RelatedPerson?_count=1").await;
    let rp = &entries(&related, "match")[0];
    let by_id = app
        .get_json(&format!(
            "/v2/fhir/RelatedPerson?_id={}",
            rp["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(by_id["total"], 1);
}

#[tokio::test]
async fn paging_walks_every_match_once_with_stable_links() {
    let app = TestApp::shared();
    let all = ids(&patient_eobs(&app).await.iter().collect::<Vec<_>>());
    let mut seen = BTreeSet::new();
    let mut next = Some(format!(
        "/v2/fhir/ExplanationOfBenefit?patient={PATIENT}&_count=4&_sort=-service-date"
    ));
    let mut pages = 0;
    let mut previous_last: Option<String> = None;
    while let Some(path) = next {
        let bundle = app.get_json(&path).await;
        assert_eq!(bundle["total"].as_u64(), Some(all.len() as u64));
        let page = entries(&bundle, "match");
        assert!(page.len() <= 4);
        for e in &page {
            assert!(
                seen.insert(e["id"].as_str().unwrap().to_string()),
                "duplicate across pages"
            );
        }
        // Sorted by service date, newest first, across page boundaries too.
        let starts: Vec<&str> = page
            .iter()
            .map(|e| e["billablePeriod"]["start"].as_str().unwrap())
            .collect();
        if let (Some(prev), Some(first)) = (&previous_last, starts.first()) {
            assert!(prev.as_str() >= *first);
        }
        assert!(starts.windows(2).all(|w| w[0] >= w[1]), "{starts:?}");
        previous_last = starts.last().map(|s| s.to_string());
        assert!(link(&bundle, "first").is_some() && link(&bundle, "last").is_some());
        if pages > 0 {
            assert!(link(&bundle, "previous").is_some());
        }
        next = link(&bundle, "next").map(path_of);
        pages += 1;
    }
    assert_eq!(seen, all);
    assert!(pages >= 2);
}

#[tokio::test]
async fn post_search_equals_get_search() {
    let app = TestApp::shared();
    let get = app
        .get_json(&format!(
            "/v2/fhir/ExplanationOfBenefit?patient={PATIENT}&type=pharmacy"
        ))
        .await;
    let post: Value = app
        .client
        .post(app.url("/v2/fhir/ExplanationOfBenefit/_search"))
        .form(&[("patient", PATIENT), ("type", "pharmacy")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ids(&entries(&get, "match")), ids(&entries(&post, "match")));
    assert!(get["total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn bad_requests_get_operation_outcomes_with_the_right_status() {
    let app = TestApp::shared();
    let cases = [
        ("/v2/fhir/Claim?patient=x", 404),
        ("/v2/fhir/ExplanationOfBenefit/does-not-exist", 404),
        ("/v2/fhir/ExplanationOfBenefit?service-date=2023-02-30", 400),
        ("/v2/fhir/ExplanationOfBenefit?service-date=yesterday", 400),
        ("/v2/fhir/ExplanationOfBenefit?_count=5000", 400),
        ("/v2/fhir/ExplanationOfBenefit?patient=Organization/x", 400),
        ("/v2/fhir/ExplanationOfBenefit?_sort=outcome", 400),
        ("/v2/fhir/Patient?_format=xml", 406),
    ];
    for (path, status) in cases {
        let (got, body) = app.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{path}");
        assert!(body["issue"][0]["diagnostics"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
    }
    // Unknown parameters are ignored, unless the client asks for strict handling.
    let (status, _) = app.get("/v2/fhir/Patient?_id=M00001&colour=blue").await;
    assert_eq!(status, 200);
    let response = app
        .client
        .get(app.url("/v2/fhir/Patient?_id=M00001&colour=blue"))
        .header("Prefer", "handling=strict")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    // Trailing slashes are optional.
    let (status, bundle) = app.get("/v2/fhir/Patient/?_id=M00001").await;
    assert_eq!(status, 200);
    assert_eq!(bundle["total"], 1);
}

#[tokio::test]
async fn without_the_open_api_flag_the_api_wants_a_token() {
    let app = TestApp::spawn(false, false).await;
    let response = app
        .client
        .get(app.url("/v2/fhir/Patient?_id=M00001"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let (status, _) = app.get("/v2/fhir/metadata").await;
    assert_eq!(status, 200);
}
