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
