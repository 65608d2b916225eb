//! The audit trail served as FHIR AuditEvents: what app A read and searched for its
//! beneficiary is found by that beneficiary's token, and by no one else's.

use serde_json::Value;

use crate::flow::{fhir_get, tokens};
use crate::helpers::TestApp;

const SCOPES: &str = "launch/patient openid fhirUser patient/*.rs";

fn access(tokens: &Value) -> String {
    tokens["access_token"].as_str().unwrap().to_string()
}

fn events(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|a| a.iter().map(|e| e["resource"].clone()).collect())
        .unwrap_or_default()
}

fn subtype(event: &Value) -> &str {
    event["subtype"][0]["code"].as_str().unwrap_or_default()
}

fn touches(event: &Value, reference: &str) -> bool {
    event["entity"]
        .as_array()
        .is_some_and(|a| a.iter().any(|e| e["what"]["reference"] == reference))
}

#[tokio::test]
async fn reads_and_searches_become_audit_events_only_their_patient_sees() {
    let app = TestApp::shared_secured();
    let mine = access(&tokens(&app, SCOPES, 41).await);
    let theirs = access(&tokens(&app, SCOPES, 42).await);

    let (status, _) = fhir_get(&app, &mine, "/v2/fhir/Patient/M00041").await;
    assert_eq!(status, 200);
    let (status, eobs) = fhir_get(
        &app,
        &mine,
        "/v2/fhir/ExplanationOfBenefit?_count=2&_include=ExplanationOfBenefit:patient",
    )
    .await;
    assert_eq!(status, 200);
    let first_eob = eobs["entry"][0]["resource"]["id"].as_str().unwrap();
    let first_eob = format!("ExplanationOfBenefit/{first_eob}");
    // A refusal is audited too.
    assert_eq!(
        fhir_get(&app, &mine, "/v2/fhir/Patient/M00042").await.0,
        404
    );

    let (status, bundle) = fhir_get(&app, &mine, "/v2/fhir/AuditEvent?_sort=-date").await;
    assert_eq!(status, 200, "{bundle}");
    let found = events(&bundle);
    for event in &found {
        let issues = carin_sandbox::validate::validate_resource(event);
        assert!(
            !carin_sandbox::validate::has_errors(&issues),
            "{issues:?}\n{event}"
        );
    }
    let read = found
        .iter()
        .find(|e| subtype(e) == "read" && touches(e, "Patient/M00041"))
        .expect("the read is audited");
    assert_eq!(read["action"], "R");
    assert_eq!(read["outcome"], "0");
    assert_eq!(read["type"]["code"], "rest");
    assert_eq!(
        read["agent"][0]["who"]["identifier"]["value"],
        crate::flow::CONFIDENTIAL.0
    );
    let search = found
        .iter()
        .find(|e| subtype(e) == "search-type" && touches(e, &first_eob))
        .expect("the search is audited with what it returned");
    assert_eq!(search["action"], "E");
    assert!(touches(search, "Patient/M00041"), "included resources too");
    let query = search["entity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["role"]["code"] == "24")
        .expect("the query entity");
    assert!(query["description"]
        .as_str()
        .unwrap()
        .starts_with("ExplanationOfBenefit?_count=2"));
    assert!(found
        .iter()
        .any(|e| subtype(e) == "read" && e["outcome"] == "4"));
    // Newest first.
    let dates: Vec<&str> = found
        .iter()
        .map(|e| e["recorded"].as_str().unwrap())
        .collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");

    // The same events by parameter, and each by id.
    let (_, by_subtype) = fhir_get(
        &app,
        &mine,
        "/v2/fhir/AuditEvent?subtype=http://hl7.org/fhir/restful-interaction|read&patient=Patient/M00041&date=ge2000-01-01",
    )
    .await;
    assert!(events(&by_subtype).iter().all(|e| subtype(e) == "read"));
    assert!(!events(&by_subtype).is_empty());
    let (_, by_entity) = fhir_get(
        &app,
        &mine,
        &format!("/v2/fhir/AuditEvent?entity={first_eob}"),
    )
    .await;
    assert!(!events(&by_entity).is_empty());
    let id = search["id"].as_str().unwrap();
    let (status, one) = fhir_get(&app, &mine, &format!("/v2/fhir/AuditEvent/{id}")).await;
    assert_eq!((status, &one["id"]), (200, &search["id"]));

    // Another beneficiary finds none of it.
    let (status, bundle) = fhir_get(&app, &theirs, "/v2/fhir/AuditEvent").await;
    assert_eq!(status, 200);
    assert!(events(&bundle)
        .iter()
        .all(|e| !touches(e, "Patient/M00041") && !touches(e, &first_eob)));
    let (_, bundle) = fhir_get(&app, &theirs, "/v2/fhir/AuditEvent?patient=M00041").await;
    assert_eq!(bundle["total"], 0);
    let (status, _) = fhir_get(&app, &theirs, &format!("/v2/fhir/AuditEvent/{id}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn audit_events_need_their_scope() {
    let app = TestApp::shared_secured();
    let eob_only = access(
        &tokens(
            &app,
            "launch/patient openid patient/ExplanationOfBenefit.rs",
            43,
        )
        .await,
    );
    assert_eq!(
        fhir_get(&app, &eob_only, "/v2/fhir/AuditEvent").await.0,
        403
    );
    let audit_only = access(&tokens(&app, "launch/patient openid patient/AuditEvent.rs", 43).await);
    let (status, bundle) = fhir_get(&app, &audit_only, "/v2/fhir/AuditEvent?_count=5").await;
    assert_eq!(status, 200, "{bundle}");
    // The refused search above was M00043's and is recorded as a refusal.
    assert!(events(&bundle).iter().any(|e| e["outcome"] == "4"));
    let (status, _) = fhir_get(&app, &audit_only, "/v2/fhir/AuditEvent?date=bogus").await;
    assert_eq!(status, 400);
}

/// Every AuditEvent and Provenance the server emits over a whole session — sign-in, consent,
/// token, refresh, reads, a vread, searches with includes, a refused read, a refused code, a
/// posted Provenance, a revocation, and the seed's import — passes the project's validator, and
/// each kind of event is there. The operator's view: a backend token with `system/*.read`.
#[tokio::test]
async fn every_event_and_provenance_of_a_session_passes_the_validator() {
    use carin_sandbox::auth::jws::SigningKey;
    let b =
        crate::asymmetric::backend_with(SigningKey::generate_rsa().unwrap(), "system/*.read", true)
            .await;
    let app = &b.app;
    let t = tokens(
        app,
        &format!("{SCOPES} offline_access patient/Provenance.c"),
        41,
    )
    .await;
    let token = access(&t);
    let (status, _, refreshed) = crate::flow::token_call(
        app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some(crate::flow::CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let (status, eobs) = fhir_get(
        app,
        &token,
        "/v2/fhir/ExplanationOfBenefit?_count=2&_include=ExplanationOfBenefit:*&_revinclude=Provenance:target",
    )
    .await;
    assert_eq!(status, 200, "{eobs}");
    let eob = format!(
        "ExplanationOfBenefit/{}",
        eobs["entry"][0]["resource"]["id"].as_str().unwrap()
    );
    assert_eq!(
        fhir_get(app, &token, "/v2/fhir/Patient/M00041").await.0,
        200
    );
    assert_eq!(
        fhir_get(app, &token, "/v2/fhir/Patient/M00041/_history/1")
            .await
            .0,
        200
    );
    assert_eq!(
        fhir_get(app, &token, "/v2/fhir/Patient/M00042").await.0,
        404
    );
    let provenance = serde_json::json!({
        "resourceType": "Provenance",
        "target": [{"reference": eob}],
        "recorded": "2026-01-02T03:04:05Z",
        "agent": [{
            "type": {"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                "code": "author"
            }]},
            "who": {"reference": "Patient/M00041"}
        }]
    });
    let posted = app
        .client
        .post(app.url("/v2/fhir/Provenance"))
        .bearer_auth(&token)
        .header("content-type", "application/fhir+json")
        .body(provenance.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status().as_u16(), 201);
    // A refused code, then the revocation of the session's grant.
    let (status, refused) = crate::flow::exchange(app, "not-a-code", "v").await;
    assert_eq!(status, 400, "{refused}");
    let (status, _, _) = crate::flow::token_call(
        app,
        "/v2/o/revoke_token",
        &[("token", t["refresh_token"].as_str().unwrap())],
        Some(crate::flow::CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200);

    let (status, operator) = b.system_token(&b.assertion(), Some("system/*.read")).await;
    assert_eq!(status, 200, "{operator}");
    let operator = access(&operator);
    let (status, trail) = fhir_get(app, &operator, "/v2/fhir/AuditEvent?_count=1000").await;
    assert_eq!(status, 200, "{trail}");
    let found = events(&trail);
    for event in &found {
        let issues = carin_sandbox::validate::validate_resource(event);
        assert!(
            !carin_sandbox::validate::has_errors(&issues),
            "{issues:?}\n{event}"
        );
    }
    let kinds: std::collections::BTreeSet<&str> = found.iter().map(subtype).collect();
    for kind in [
        "login",
        "consent",
        "token",
        "refresh",
        "revoke",
        "import",
        "read",
        "vread",
        "search-type",
        "create",
    ] {
        assert!(kinds.contains(kind), "no {kind} event in {kinds:?}");
    }
    // The sign-in names the beneficiary (the IRCP agent) beside the login name.
    let login = found
        .iter()
        .find(|e| subtype(e) == "login" && e["outcome"] == "0")
        .expect("the sign-in");
    assert!(
        login["agent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["who"]["reference"] == "Patient/M00041" && a["altId"] == "BBUser00041"),
        "{login}"
    );
    // The refusals are there with their outcome.
    assert!(found
        .iter()
        .any(|e| subtype(e) == "read" && e["outcome"] == "4"));
    assert!(found
        .iter()
        .any(|e| subtype(e) == "token" && e["outcome"] == "4"));

    let (status, provenances) = fhir_get(app, &operator, "/v2/fhir/Provenance?_count=1000").await;
    assert_eq!(status, 200, "{provenances}");
    let provenances = events(&provenances);
    assert!(provenances.len() > 1, "the seed's and the posted one");
    for p in &provenances {
        let issues = carin_sandbox::validate::validate_resource(p);
        assert!(
            !carin_sandbox::validate::has_errors(&issues),
            "{issues:?}\n{p}"
        );
    }
}
