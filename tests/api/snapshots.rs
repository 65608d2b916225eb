//! Snapshots (insta) of what clients read without a token: the CapabilityStatement, the
//! discovery documents, and the error bodies — status, the headers a client acts on, and the
//! JSON. A change to any of them shows up as a diff to review, not as a silent break.
//!
//! Written to survive a version bump: the servers run with a fixed `public_url` (no port in
//! any URL) and the harness's fixed clock (so the CapabilityStatement's `date`, the start
//! time, is the same on every run and stays in), and the values that change by themselves
//! (`software.version`, the request id that is an OperationOutcome's `id`) are replaced before
//! the comparison. The `.snap` files are committed: in CI (`CI=true`) insta does not write
//! snapshots, it compares. After an intended change: `INSTA_UPDATE=always cargo test --test
//! api snapshots`, then review the diff of `tests/api/snapshots/`.

use reqwest::{Method, Response};
use serde_json::{json, Value};

use crate::helpers::TestApp;

const PUBLIC_URL: &str = "https://sandbox.example";

/// Unseeded servers (none of these answers reads stored data) at [`PUBLIC_URL`].
async fn spawn(open_api: bool) -> TestApp {
    TestApp::spawn_with(false, open_api, |config| {
        config.public_url = Some(PUBLIC_URL.to_string());
    })
    .await
}

/// Status, the headers a client acts on (those present), and the body with volatile values
/// replaced.
async fn exchange(response: Response) -> Value {
    let status = response.status().as_u16();
    let mut headers = serde_json::Map::new();
    for name in ["content-type", "www-authenticate", "allow", "cache-control"] {
        if let Some(value) = response.headers().get(name) {
            headers.insert(name.into(), json!(value.to_str().unwrap()));
        }
    }
    let mut body: Value = response.json().await.unwrap();
    redact(&mut body);
    json!({ "status": status, "headers": headers, "body": body })
}

/// Replaces what differs between runs or versions; asserts each is there, so a renamed field
/// fails here instead of slipping into the snapshot.
fn redact(body: &mut Value) {
    if body["resourceType"] == "OperationOutcome" {
        // The request id (also the X-Request-Id header).
        let id = body
            .get_mut("id")
            .expect("an OperationOutcome names its request id");
        *id = json!("[request id]");
    }
    if body["resourceType"] == "CapabilityStatement" {
        let version = body
            .pointer_mut("/software/version")
            .expect("software.version");
        *version = json!("[version]");
    }
}

async fn get(app: &TestApp, path: &str) -> Value {
    exchange(app.client.get(app.url(path)).send().await.unwrap()).await
}

#[tokio::test]
async fn capability_statement() {
    let app = spawn(false).await;
    insta::assert_json_snapshot!(get(&app, "/v2/fhir/metadata").await);
}

#[tokio::test]
async fn discovery_documents() {
    let app = spawn(false).await;
    insta::assert_json_snapshot!(
        "smart_configuration",
        get(&app, "/v2/fhir/.well-known/smart-configuration").await
    );
    insta::assert_json_snapshot!(
        "openid_configuration",
        get(&app, "/.well-known/openid-configuration").await
    );
}

#[tokio::test]
async fn fhir_error_bodies() {
    let secured = spawn(false).await;
    insta::assert_json_snapshot!(
        "401_no_token",
        get(&secured, "/v2/fhir/ExplanationOfBenefit").await
    );
    // The rest need no token to reach their check.
    let open = spawn(true).await;
    insta::assert_json_snapshot!("404_unknown_type", get(&open, "/v2/fhir/Claim").await);
    insta::assert_json_snapshot!(
        "400_bad_param_value",
        get(
            &open,
            "/v2/fhir/ExplanationOfBenefit?service-date=yesterday"
        )
        .await
    );
    let post = open
        .client
        .request(Method::POST, open.url("/v2/fhir/metadata"))
        .send()
        .await
        .unwrap();
    insta::assert_json_snapshot!("405_method", exchange(post).await);
}

#[tokio::test]
async fn oauth_token_error_bodies() {
    let app = spawn(false).await;
    let app = &app;
    let token = |form: &'static [(&str, &str)]| async move {
        let response = app.client.post(app.url("/v2/o/token")).form(form).send();
        exchange(response.await.unwrap()).await
    };
    insta::assert_json_snapshot!(
        "token_unsupported_grant_type",
        token(&[("grant_type", "password")]).await
    );
    insta::assert_json_snapshot!(
        "token_unknown_client",
        token(&[
            ("grant_type", "authorization_code"),
            ("code", "not-a-code"),
            ("redirect_uri", "http://127.0.0.1/cb"),
            ("client_id", "no-such-client"),
        ])
        .await
    );
}
