//! The client conformance report over HTTP: a deliberately incomplete client (short `state`,
//! no `aud`, one scope, reads only its Patient, retries a 401 with the same token and ignores
//! `Retry-After`, then tries without PKCE) shows the expected fails and not-yet-seens on its
//! owner's portal page and in the JSON form; nobody else sees the report; "start over"
//! forgets. An app that waits out `Retry-After` and refreshes after a 401 passes those rows
//! (the server's clock moved by the test), and a POST search is recorded with its form. The
//! complete client's passes are in tests/client.rs (`carin-sandbox client`).

use serde_json::Value;

use crate::flow::*;
use crate::grants::{launch_as, register_app};
use crate::helpers::TestApp;

fn results(report: &Value) -> std::collections::BTreeMap<String, String> {
    report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["id"].as_str().unwrap().to_string(),
                f["result"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn report_json(app: &TestApp, dev: &reqwest::Client, id: &str) -> Value {
    let r = dev
        .get(app.url(&format!("/apps/{id}/conformance?format=json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

#[tokio::test]
async fn an_incomplete_client_shows_its_gaps_to_its_owner_only() {
    let app = TestApp::shared_secured();
    let (dev, id, secret) = register_app(&app, "conformance-gaps@example.com", None).await;
    let sloppy = |launch: Launch| launch.set("state", "abc").without("aud");

    let launch = sloppy(Launch::new(&app, &id, "patient/Patient.read"));
    let (_, t) = launch_as(&app, (&id, &secret), launch, 42).await;
    let token = t["access_token"].as_str().unwrap();
    let patient = t["patient"].as_str().unwrap();
    let read = format!("/v2/fhir/Patient/{patient}");
    assert_eq!(fhir_get(&app, token, &read).await.0, 200);

    // The app's page links to the report; its failure switches make a 401 and a 429.
    let page = app.url(&format!("/apps/{id}"));
    let html = dev.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(
        html.contains(&format!(r#"href="/apps/{id}/conformance""#)),
        "{html}"
    );
    let csrf = hidden(&html, "csrf");
    let set = |failure: &'static str| {
        let (dev, csrf) = (dev.clone(), csrf.clone());
        let url = app.url(&format!("/apps/{id}/failures"));
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            if !failure.is_empty() {
                form.push(("failure", failure));
            }
            assert_eq!(
                dev.post(&url).form(&form).send().await.unwrap().status(),
                303
            );
        }
    };
    set("fhir_401").await;
    assert_eq!(fhir_get(&app, token, &read).await.0, 401);
    assert_eq!(fhir_get(&app, token, &read).await.0, 401);
    set("fhir_429").await;
    assert_eq!(fhir_get(&app, token, &read).await.0, 429);
    assert_eq!(fhir_get(&app, token, &read).await.0, 429);
    set("").await;

    // Last, an authorization request without PKCE: refused, and recorded as such.
    let launch = sloppy(Launch::new(&app, &id, "patient/Patient.read"))
        .without("code_challenge")
        .without("code_challenge_method");
    let landing = authorize(&app, &browser(), &launch).await;
    assert_eq!(landing.param("error").as_deref(), Some("invalid_request"));

    let report = report_json(&app, &dev, &id).await;
    let got = results(&report);
    for (req, want) in [
        ("smart-pkce-s256", "fail"),
        ("smart-state", "fail"),
        ("smart-aud", "fail"),
        ("carin-scopes", "fail"),
        ("smart-openid-fhiruser", "fail"),
        ("smart-offline-access", "fail"),
        ("smart-token-exchange", "pass"),
        ("smart-client-auth", "pass"),
        ("carin-read-patient", "pass"),
        ("carin-patient-context", "pass"),
        ("carin-search-coverage", "not_seen"),
        ("carin-eob-patient", "not_seen"),
        ("carin-eob-_lastUpdated", "not_seen"),
        ("carin-eob-include-all", "not_seen"),
        ("fhir-paging", "not_seen"),
        ("smart-refresh", "not_seen"),
        ("http-401", "fail"),
        ("http-429", "fail"),
        ("http-503", "not_seen"),
    ] {
        assert_eq!(got[req], want, "{req}: {report:#}");
    }
    let finding = |req: &str| {
        report["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == req)
            .unwrap()
            .clone()
    };
    let pkce = finding("smart-pkce-s256");
    assert_eq!(pkce["evidence"]["status"], 303, "{pkce}");
    assert!(pkce["evidence"]["target"]
        .as_str()
        .unwrap()
        .starts_with("/v2/o/authorize?"));
    let retry = finding("http-401");
    assert_eq!(retry["evidence"]["target"], read.as_str(), "{retry}");
    assert_eq!(retry["evidence"]["status"], 401, "{retry}");
    // The token endpoint's evidence names the grant, never a code, token or secret.
    let exchange = finding("smart-token-exchange");
    let target = exchange["evidence"]["target"].as_str().unwrap();
    assert!(target.contains("grant_type=authorization_code"), "{target}");
    assert!(!report.to_string().contains(&secret));
    assert!(!report.to_string().contains(token));
    assert!(
        report["summary"]["fail"].as_u64().unwrap() >= 8,
        "{report:#}"
    );

    // The page: a row per requirement with its result.
    let html = dev
        .get(app.url(&format!("/apps/{id}/conformance")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"id="req-smart-pkce-s256""#), "{html}");
    assert!(
        html.contains(r#"<span class="status bad">fail</span>"#),
        "{html}"
    );
    assert!(html.contains("not yet seen"), "{html}");

    // Nobody else: another developer gets "not found", a visitor the sign-in page.
    let (other, _, _) = register_app(&app, "conformance-other@example.com", None).await;
    let r = other
        .get(app.url(&format!("/apps/{id}/conformance?format=json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = browser()
        .get(app.url(&format!("/apps/{id}/conformance?format=json")))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200);
    assert!(!r.text().await.unwrap().contains("smart-pkce-s256"));

    // Start over: everything is "not yet seen" again.
    let r = dev
        .post(app.url(&format!("/apps/{id}/conformance/reset")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let report = report_json(&app, &dev, &id).await;
    assert!(
        results(&report).values().all(|r| r == "not_seen"),
        "{report:#}"
    );
    assert_eq!(report["observed"]["fhir"], 0);
}

#[tokio::test]
async fn waiting_out_retry_after_and_refreshing_after_a_401_pass() {
    let app = TestApp::spawn(true, false).await;
    let clock = app.clock.clone().unwrap();
    let (dev, id, secret) = register_app(&app, "conformance-good@example.com", None).await;
    let scopes = "launch/patient openid fhirUser offline_access patient/*.rs";
    let (_, t) = launch_as(&app, (&id, &secret), Launch::new(&app, &id, scopes), 7).await;
    let token = t["access_token"].as_str().unwrap();
    let patient = t["patient"].as_str().unwrap();
    let read = format!("/v2/fhir/Patient/{patient}");

    let html = dev
        .get(app.url(&format!("/apps/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf");
    let set = |failure: &'static str| {
        let (dev, csrf) = (dev.clone(), csrf.clone());
        let url = app.url(&format!("/apps/{id}/failures"));
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            if !failure.is_empty() {
                form.push(("failure", failure));
            }
            assert_eq!(
                dev.post(&url).form(&form).send().await.unwrap().status(),
                303
            );
        }
    };
    // A 503, then the next call three seconds later (Retry-After: 2).
    set("fhir_503").await;
    assert_eq!(fhir_get(&app, token, &read).await.0, 503);
    set("").await;
    clock.advance(time::Duration::seconds(3));
    assert_eq!(fhir_get(&app, token, &read).await.0, 200);

    // A 401, then a refresh, then the call with the new token.
    set("fhir_401").await;
    assert_eq!(fhir_get(&app, token, &read).await.0, 401);
    set("").await;
    let (status, _, refreshed) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    let fresh = refreshed["access_token"].as_str().unwrap();
    assert_eq!(fhir_get(&app, fresh, &read).await.0, 200);

    // A POST search is recorded with its form parameters.
    let r = reqwest::Client::new()
        .post(app.url("/v2/fhir/Coverage/_search"))
        .bearer_auth(fresh)
        .form(&[("patient", patient)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let report = report_json(&app, &dev, &id).await;
    let got = results(&report);
    for req in [
        "http-503",
        "http-401",
        "smart-refresh",
        "carin-search-coverage",
        "smart-pkce-s256",
        "smart-state",
        "smart-aud",
        "carin-patient-context",
    ] {
        assert_eq!(got[req], "pass", "{req}: {report:#}");
    }
    let coverage = report["requirements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "carin-search-coverage")
        .unwrap();
    assert_eq!(
        coverage["evidence"]["target"],
        format!("/v2/fhir/Coverage/_search?patient={patient}"),
        "{coverage}"
    );
    assert_eq!(coverage["evidence"]["method"], "POST");
}
