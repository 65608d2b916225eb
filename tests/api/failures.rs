//! Simulated failures over HTTP, each real on the wire: asked for by a seeded app with
//! `sim_failure=` on the authorization request, or switched on a registered app's portal page
//! (and off again, with normal behaviour at once).

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::flow::*;
use crate::grants::{launch_as, register_app};
use crate::helpers::TestApp;

const SCOPES: &str = "launch/patient openid fhirUser offline_access patient/*.rs";

/// The seeded confidential app's tokens for BBUser{user}, with `sim_failure`.
async fn sim_tokens(app: &TestApp, failures: &str, user: u32) -> Value {
    let launch = Launch::new(app, CONFIDENTIAL.0, SCOPES).set("sim_failure", failures);
    launch_as(app, CONFIDENTIAL, launch, user).await.1
}

/// GET with a bearer token: status, headers, JSON body and how long the answer took.
async fn call(
    app: &TestApp,
    token: &str,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value, Duration) {
    let started = Instant::now();
    let response = reqwest::Client::new()
        .get(if path.starts_with("http") {
            path.to_string()
        } else {
            app.url(path)
        })
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body, started.elapsed())
}

fn access(t: &Value) -> &str {
    t["access_token"].as_str().unwrap()
}

async fn refresh(app: &TestApp, t: &Value) -> (u16, Value) {
    let (status, _, body) = token_call(
        app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    (status, body)
}

fn diagnostics(outcome: &Value) -> &str {
    outcome["issue"][0]["diagnostics"]
        .as_str()
        .unwrap_or_default()
}

#[tokio::test]
async fn sim_failure_is_checked_and_only_for_the_seeded_apps() {
    let app = TestApp::shared_secured();
    let b = browser();
    let launch = Launch::new(&app, CONFIDENTIAL.0, SCOPES).set("sim_failure", "fhir_418");
    let landing = authorize(&app, &b, &launch).await;
    assert_eq!(landing.status, 303, "{}", landing.body);
    assert_eq!(landing.param("error").as_deref(), Some("invalid_request"));
    assert!(landing
        .param("error_description")
        .unwrap()
        .contains("fhir_503"));
    // Without failures, nothing changes (the other tests of this binary show it too).
    let t = sim_tokens(&app, "", 20).await;
    assert_eq!(call(&app, access(&t), "/v2/fhir/Coverage").await.0, 200);
}

#[tokio::test]
async fn token_invalid_client() {
    let app = TestApp::shared_secured();
    let launch =
        Launch::new(&app, CONFIDENTIAL.0, SCOPES).set("sim_failure", "token_invalid_client");
    let done = code_for(&app, &launch, 21, true).await;
    let (status, headers, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &done.param("code").unwrap()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &launch.pkce.verifier),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client")),
        "{body}"
    );
    assert!(headers.contains_key("www-authenticate"));
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("token_invalid_client"));
}

#[tokio::test]
async fn access_token_expires_early() {
    let app = TestApp::spawn(true, false).await;
    let clock = app.clock.clone().unwrap();
    let t = sim_tokens(&app, "access_token_expires_early", 1).await;
    assert_eq!(
        t["expires_in"], 3600,
        "the token response does not tell: {t}"
    );
    assert_eq!(call(&app, access(&t), "/v2/fhir/Coverage").await.0, 200);
    clock.advance(time::Duration::seconds(30));
    let (status, headers, outcome, _) = call(&app, access(&t), "/v2/fhir/Coverage").await;
    assert_eq!(status, 401, "{outcome}");
    assert_eq!(
        headers["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert!(diagnostics(&outcome).contains("has expired"), "{outcome}");
    let (_, _, introspected) = token_call(
        &app,
        "/v2/o/introspect",
        &[("token", access(&t))],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(
        introspected,
        serde_json::json!({"active": false}),
        "introspection agrees"
    );
    // A refreshed token works again, for another 30 seconds.
    let (status, fresh) = refresh(&app, &t).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(call(&app, access(&fresh), "/v2/fhir/Coverage").await.0, 200);
}

#[tokio::test]
async fn refresh_rejected() {
    let app = TestApp::shared_secured();
    let t = sim_tokens(&app, "refresh_rejected", 22).await;
    for _ in 0..2 {
        let (status, body) = refresh(&app, &t).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("refresh_rejected"));
    }
    assert_eq!(
        call(&app, access(&t), "/v2/fhir/Coverage").await.0,
        200,
        "access still works"
    );
}

#[tokio::test]
async fn grant_revoked_mid_session() {
    let app = TestApp::shared_secured();
    let t = sim_tokens(&app, "grant_revoked", 23).await;
    assert_eq!(
        call(&app, access(&t), "/v2/fhir/Coverage").await.0,
        200,
        "the first call"
    );
    let (status, _, outcome, _) = call(&app, access(&t), "/v2/fhir/Coverage").await;
    assert_eq!(status, 401, "{outcome}");
    assert!(diagnostics(&outcome).contains("revoked"), "{outcome}");
    let (status, body) = refresh(&app, &t).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[tokio::test]
async fn fhir_401_429_and_503() {
    let app = TestApp::shared_secured();
    let t = sim_tokens(&app, "fhir_401", 24).await;
    let (status, headers, outcome, _) = call(&app, access(&t), "/v2/fhir/Coverage").await;
    assert_eq!(status, 401, "{outcome}");
    assert_eq!(
        headers["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    assert_eq!(outcome["resourceType"], "OperationOutcome");

    let t = sim_tokens(&app, "fhir_429", 24).await;
    let (status, headers, outcome, _) =
        call(&app, access(&t), "/v2/fhir/ExplanationOfBenefit").await;
    assert_eq!(status, 429, "{outcome}");
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(outcome["issue"][0]["code"], "throttled");

    let t = sim_tokens(&app, "fhir_503", 24).await;
    let (status, headers, outcome, _) = call(&app, access(&t), "/v2/fhir/Patient/M00024").await;
    assert_eq!(status, 503, "{outcome}");
    assert_eq!(headers["retry-after"], "2");
    assert_eq!(outcome["issue"][0]["code"], "transient");
}

#[tokio::test]
async fn slow_responses() {
    let app = TestApp::shared_secured();
    let t = sim_tokens(&app, "slow_responses", 25).await;
    let (status, _, _, took) = call(&app, access(&t), "/v2/fhir/Coverage").await;
    assert_eq!(status, 200);
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(took < Duration::from_secs(10), "bounded: {took:?}");
}

#[tokio::test]
async fn next_link_expires() {
    let app = TestApp::shared_secured();
    let t = sim_tokens(&app, "next_link_expires", 1).await;
    let (status, _, bundle, _) =
        call(&app, access(&t), "/v2/fhir/ExplanationOfBenefit?_count=1").await;
    assert_eq!(status, 200, "the first page is answered");
    let next = bundle["link"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["relation"] == "next")
        .unwrap_or_else(|| panic!("BBUser00001 has more than one claim: {bundle}"))["url"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _, outcome, _) = call(&app, access(&t), &next).await;
    assert_eq!(status, 410, "{outcome}");
    assert!(diagnostics(&outcome).contains("expired"), "{outcome}");
    // The same link with a token without the failure still works.
    let plain = sim_tokens(&app, "", 1).await;
    assert_eq!(call(&app, access(&plain), &next).await.0, 200);
}

#[tokio::test]
async fn the_portal_switches_failures_on_and_off_at_once() {
    let app = TestApp::spawn(true, false).await;
    let (dev, id, secret) = register_app(&app, "failures@example.com", None).await;
    let (_, t) = launch_as(&app, (&id, &secret), Launch::new(&app, &id, SCOPES), 1).await;
    assert_eq!(call(&app, access(&t), "/v2/fhir/Coverage").await.0, 200);

    let page = app.url(&format!("/apps/{id}"));
    let html = dev.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"id="failures-off""#), "{html}");
    let set = |failures: &'static [&'static str]| {
        let dev = dev.clone();
        let url = app.url(&format!("/apps/{id}/failures"));
        let csrf = hidden(&html, "csrf");
        async move {
            let mut form = vec![("csrf", csrf.as_str())];
            form.extend(failures.iter().map(|f| ("failure", *f)));
            let r = dev.post(&url).form(&form).send().await.unwrap();
            assert_eq!(r.status(), 303);
        }
    };
    set(&["fhir_503", "refresh_rejected"]).await;
    let html = dev.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"id="failures-on""#), "{html}");
    assert!(html.contains(r#"value="fhir_503" checked"#), "{html}");
    assert!(
        html.contains("<code>refresh_rejected</code>, <code>fhir_503</code>"),
        "{html}"
    );
    assert_eq!(call(&app, access(&t), "/v2/fhir/Coverage").await.0, 503);
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    set(&["token_invalid_client"]).await;
    assert_eq!(
        call(&app, access(&t), "/v2/fhir/Coverage").await.0,
        200,
        "503 is off at once"
    );
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    set(&[]).await;
    let html = dev.get(&page).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"id="failures-off""#), "{html}");
    let (status, _, fresh) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", t["refresh_token"].as_str().unwrap()),
        ],
        Some((&id, &secret)),
    )
    .await;
    assert_eq!(status, 200, "normal again: {fresh}");

    // A registered app cannot ask for failures on the authorization request.
    let b = browser();
    let launch = Launch::new(&app, &id, SCOPES).set("sim_failure", "fhir_503");
    let landing = authorize(&app, &b, &launch).await;
    assert_eq!(landing.param("error").as_deref(), Some("invalid_request"));
}
