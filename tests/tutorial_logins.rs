#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! The Blue Button tutorial's logins on a fresh default start: `serve` with the default
//! `--beneficiaries` (30,000) on an empty data directory. The seed's 200 members are loaded
//! before it listens and the rest are filled in the background, so `BBUser12345` is almost
//! certainly not written yet when it signs in: the sign-in materializes it, through the real
//! authorize, sign-in, consent and token flow, and its claims are then read like anyone's.

#[path = "api/flow.rs"]
#[expect(
    dead_code,
    reason = "the api tests' flow helpers; this test uses part of them"
)]
mod flow;
#[path = "api/helpers.rs"]
#[expect(
    dead_code,
    reason = "the api tests' server helpers; this test uses part of them"
)]
mod helpers;

use carin_sandbox::app::DEFAULT_BENEFICIARIES;
use flow::{authorize, browser, fhir_get, sign_in, tokens, Launch, CONFIDENTIAL};
use helpers::TestApp;
use serde_json::Value;

const SCOPES: &str = "launch/patient openid fhirUser patient/*.rs";

async fn default_start() -> TestApp {
    TestApp::spawn_with(true, false, |config| {
        config.beneficiaries = DEFAULT_BENEFICIARIES;
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bbuser12345_signs_in_on_a_fresh_default_start_and_reads_its_claims() {
    assert_eq!(DEFAULT_BENEFICIARIES, 30_000);
    let app = default_start().await;
    let (status, metadata) = app.get("/v2/fhir/metadata").await;
    assert_eq!(status, 200);
    assert_eq!(metadata["resourceType"], "CapabilityStatement");

    let t = tokens(&app, SCOPES, 12345).await;
    assert_eq!(t["patient"], "M12345", "{t}");
    let token = t["access_token"].as_str().unwrap();

    let (status, patient) = fhir_get(&app, token, "/v2/fhir/Patient/M12345").await;
    assert_eq!(status, 200, "{patient}");
    assert_eq!(patient["id"], "M12345");

    let (status, bundle) = fhir_get(&app, token, "/v2/fhir/ExplanationOfBenefit").await;
    assert_eq!(status, 200, "{bundle}");
    let entries = bundle["entry"].as_array().expect("EOB entries");
    assert!(!entries.is_empty(), "BBUser12345 has claims: {bundle}");
    assert_eq!(bundle["total"].as_u64(), Some(entries.len() as u64));
    for e in entries {
        let eob = &e["resource"];
        assert_eq!(eob["resourceType"], "ExplanationOfBenefit");
        assert_eq!(eob["patient"]["reference"], "Patient/M12345", "{eob}");
    }
    // One of them read by id, the way the tutorial's next step does.
    let id = entries[0]["resource"]["id"].as_str().unwrap();
    let (status, eob) = fhir_get(&app, token, &format!("/v2/fhir/ExplanationOfBenefit/{id}")).await;
    assert_eq!(status, 200, "{eob}");
    assert_eq!(eob["id"], Value::from(id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_outside_the_member_count_or_with_the_wrong_password_are_refused() {
    let app = default_start().await;
    for (user, password) in [
        ("BBUser30000", "PW30000!"),
        ("BBUser23456", "PW23457!"),
        ("BBUser99999", "PW99999!"),
    ] {
        let b = browser();
        let page = authorize(&app, &b, &Launch::new(&app, CONFIDENTIAL.0, SCOPES)).await;
        assert_eq!(page.status, 200, "{}", page.body);
        let refused = sign_in(&app, &b, &page.body, user, password).await;
        assert_eq!(refused.status, 401, "{user}: {}", refused.body);
    }
    // The last of the 30,000 signs in.
    let t = tokens(&app, SCOPES, 29_999).await;
    assert_eq!(t["patient"], "M29999", "{t}");
}
