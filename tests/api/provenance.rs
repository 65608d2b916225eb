//! Provenance of imported data: every import writes one per beneficiary (US Core Provenance,
//! the payer as transmitter), found with `_revinclude=Provenance:target` and by search, and
//! kept to the beneficiary's compartment.

use serde_json::Value;

use crate::flow::{fhir_get, tokens};
use crate::helpers::TestApp;

const SCOPES: &str = "launch/patient openid fhirUser patient/*.rs";

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_string()
}

fn resources<'a>(bundle: &'a Value, ty: &str) -> Vec<&'a Value> {
    bundle["entry"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| &e["resource"])
                .filter(|r| r["resourceType"] == ty)
                .collect()
        })
        .unwrap_or_default()
}

fn targets(p: &Value) -> Vec<&str> {
    p["target"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["reference"].as_str())
        .collect()
}

#[tokio::test]
async fn revinclude_returns_the_import_provenance_in_the_compartment() {
    let app = TestApp::shared_secured();
    let mine = access(&tokens(&app, SCOPES, 44).await);
    let theirs = access(&tokens(&app, SCOPES, 45).await);
    let (status, bundle) = fhir_get(
        &app,
        &mine,
        "/v2/fhir/ExplanationOfBenefit?_count=3&_revinclude=Provenance:target",
    )
    .await;
    assert_eq!(status, 200, "{bundle}");
    let eobs = resources(&bundle, "ExplanationOfBenefit");
    let provenances = resources(&bundle, "Provenance");
    assert_eq!(eobs.len(), 3);
    assert_eq!(provenances.len(), 1, "one per import and beneficiary");
    let p = provenances[0];
    for eob in &eobs {
        let versioned = format!(
            "ExplanationOfBenefit/{}/_history/{}",
            eob["id"].as_str().unwrap(),
            eob["meta"]["versionId"].as_str().unwrap()
        );
        assert!(targets(p).contains(&versioned.as_str()), "{versioned}");
    }
    assert!(targets(p).iter().any(|t| t.starts_with("Patient/M00044")));
    assert_eq!(
        p["agent"][0]["type"]["coding"][0]["system"],
        "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type"
    );
    assert_eq!(p["agent"][0]["type"]["coding"][0]["code"], "transmitter");
    assert!(p["agent"][0]["who"]["reference"]
        .as_str()
        .unwrap()
        .starts_with("Organization/"));
    assert!(p["entity"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["role"] == "source"
            && e["what"]["display"]
                .as_str()
                .unwrap()
                .contains("CPCDS_Claims.csv")));
    let issues = carin_sandbox::validate::validate_resource(p);
    assert!(!carin_sandbox::validate::has_errors(&issues), "{issues:?}");

    // Read and search it; the other beneficiary cannot.
    let id = p["id"].as_str().unwrap();
    assert_eq!(
        fhir_get(&app, &mine, &format!("/v2/fhir/Provenance/{id}"))
            .await
            .0,
        200
    );
    let (_, found) = fhir_get(&app, &mine, "/v2/fhir/Provenance?patient=M00044").await;
    assert!(resources(&found, "Provenance")
        .iter()
        .any(|r| r["id"] == id));
    let eob = eobs[0]["id"].as_str().unwrap();
    let (_, found) = fhir_get(
        &app,
        &mine,
        &format!("/v2/fhir/Provenance?target=ExplanationOfBenefit/{eob}"),
    )
    .await;
    assert_eq!(found["total"], 1);
    assert_eq!(
        fhir_get(&app, &theirs, &format!("/v2/fhir/Provenance/{id}"))
            .await
            .0,
        404
    );
    let (_, found) = fhir_get(
        &app,
        &theirs,
        &format!("/v2/fhir/Provenance?target=ExplanationOfBenefit/{eob}"),
    )
    .await;
    assert_eq!(found["total"], 0);
    let (status, _) = fhir_get(&app, &mine, "/v2/fhir/Patient?_revinclude=Provenance:agent").await;
    assert_eq!(status, 400);
}

async fn post(app: &TestApp, token: &str, path: &str, body: &str) -> (u16, Option<String>, Value) {
    let response = reqwest::Client::new()
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (
        status,
        location,
        response.json().await.unwrap_or(Value::Null),
    )
}

fn asserted(target: &str) -> String {
    serde_json::json!({
        "resourceType": "Provenance",
        "id": "ignored",
        "target": [{"reference": target}],
        "recorded": "2026-01-02T03:04:05Z",
        "agent": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                "code": "author"
            }]},
            "who": {"reference": "Patient/M00046"}
        }]
    })
    .to_string()
}

#[tokio::test]
async fn a_client_asserted_provenance_round_trips_inside_its_compartment() {
    let app = TestApp::shared_secured();
    let writer = access(&tokens(&app, &format!("{SCOPES} patient/Provenance.c"), 46).await);
    let reader_only = access(&tokens(&app, SCOPES, 46).await);
    let theirs = access(&tokens(&app, SCOPES, 47).await);
    let (_, mine) = fhir_get(&app, &writer, "/v2/fhir/ExplanationOfBenefit?_count=1").await;
    let my_eob = format!(
        "ExplanationOfBenefit/{}",
        mine["entry"][0]["resource"]["id"].as_str().unwrap()
    );
    let (_, other) = fhir_get(&app, &theirs, "/v2/fhir/ExplanationOfBenefit?_count=1").await;
    let their_eob = format!(
        "ExplanationOfBenefit/{}",
        other["entry"][0]["resource"]["id"].as_str().unwrap()
    );

    let (status, location, created) =
        post(&app, &writer, "/v2/fhir/Provenance", &asserted(&my_eob)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_string();
    assert_ne!(id, "ignored", "the server names it");
    assert!(location
        .unwrap()
        .ends_with(&format!("/v2/fhir/Provenance/{id}/_history/1")));
    assert_eq!(created["meta"]["versionId"], "1");
    assert!(targets(&created).contains(&"Patient/M00046"), "{created}");
    let (status, read) = fhir_get(&app, &writer, &format!("/v2/fhir/Provenance/{id}")).await;
    assert_eq!((status, &read["target"]), (200, &created["target"]));
    let (_, found) = fhir_get(
        &app,
        &writer,
        &format!("/v2/fhir/Provenance?target={my_eob}"),
    )
    .await;
    assert!(resources(&found, "Provenance")
        .iter()
        .any(|p| p["id"] == id.as_str()));
    assert_eq!(
        fhir_get(&app, &theirs, &format!("/v2/fhir/Provenance/{id}"))
            .await
            .0,
        404
    );
    let (_, events) = fhir_get(&app, &writer, "/v2/fhir/AuditEvent?subtype=create").await;
    assert!(resources(&events, "AuditEvent")
        .iter()
        .any(|e| e["action"] == "C"
            && e["entity"]
                .as_array()
                .unwrap()
                .iter()
                .any(|x| x["what"]["reference"] == format!("Provenance/{id}/_history/1"))));

    // Refusals: another patient's target, no write scope, not a Provenance, invalid.
    let (status, _, outcome) =
        post(&app, &writer, "/v2/fhir/Provenance", &asserted(&their_eob)).await;
    assert_eq!(status, 422, "{outcome}");
    assert_eq!(outcome["resourceType"], "OperationOutcome");
    let (status, _, _) = post(
        &app,
        &reader_only,
        "/v2/fhir/Provenance",
        &asserted(&my_eob),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post(&app, &writer, "/v2/fhir/Provenance", "not json").await;
    assert_eq!(status, 400);
    let mut invalid: Value = serde_json::from_str(&asserted(&my_eob)).unwrap();
    invalid.as_object_mut().unwrap().remove("recorded");
    let (status, _, outcome) =
        post(&app, &writer, "/v2/fhir/Provenance", &invalid.to_string()).await;
    assert_eq!(status, 422, "{outcome}");
    let (status, _, _) = post(
        &app,
        &writer,
        "/v2/fhir/ExplanationOfBenefit",
        &asserted(&my_eob),
    )
    .await;
    assert_eq!(status, 405);
    // Nothing of the refused ones was stored.
    let (_, all) = fhir_get(&app, &writer, "/v2/fhir/Provenance?patient=M00046").await;
    let asserted_ids: Vec<&Value> = resources(&all, "Provenance")
        .into_iter()
        .filter(|p| p["id"].as_str().unwrap().starts_with("asserted-"))
        .collect();
    assert_eq!(asserted_ids.len(), 1);
}
