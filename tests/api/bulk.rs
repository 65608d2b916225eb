//! Bulk Data 2.0 `$export` over HTTP: kick-off, polling, manifest, downloads, cancel, the
//! parameters, who may export, Groups, and a restart in between.

use std::collections::HashSet;
use std::sync::Arc;

use carin_sandbox::app::{Application, ServeConfig};
use carin_sandbox::auth::jws::SigningKey;
use carin_sandbox::auth::records::ClientJwks;
use carin_sandbox::clock::FixedClock;
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use time::macros::datetime;

use crate::asymmetric::{assertion, client_credentials, register_backend};
use crate::flow::tokens;
use crate::helpers::TestApp;

/// A backend-services app: its id and key.
struct Exporter {
    client_id: String,
    key: SigningKey,
    kid: String,
}

impl Exporter {
    fn new() -> (Self, ClientJwks) {
        let key = SigningKey::generate_rsa().unwrap();
        let kid = key.thumbprint();
        let jwks = ClientJwks::Jwks(json!({"keys": [key.public_jwk(&kid)]}));
        (
            Self {
                client_id: String::new(),
                key,
                kid,
            },
            jwks,
        )
    }

    fn register(dir: &std::path::Path, name: &str, scopes: &str) -> Self {
        let (mut exporter, jwks) = Self::new();
        exporter.client_id = register_backend(dir, name, jwks, scopes);
        exporter
    }

    async fn token(&self, app: &TestApp) -> String {
        let signed = assertion(app, &self.key, &self.kid, &self.client_id);
        let (status, body) = client_credentials(app, &signed, None).await;
        assert_eq!(status, 200, "{body}");
        body["access_token"].as_str().unwrap().to_string()
    }
}

/// A seeded server with two backend apps (system/*.read), and the first one's token.
async fn exporters() -> (TestApp, Exporter, Exporter) {
    let mut apps = None;
    let app = TestApp::spawn_prepared(true, |dir| {
        apps = Some((
            Exporter::register(dir, "Exporter A", "system/*.read"),
            Exporter::register(dir, "Exporter B", "system/*.read"),
        ));
    })
    .await;
    let (a, b) = apps.unwrap();
    (app, a, b)
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// A 4xx/5xx answer with an OperationOutcome body.
    fn refused(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.json()["resourceType"],
            "OperationOutcome",
            "{}",
            self.text
        );
    }
}

async fn send(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.unwrap();
    Answer {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        text: response.text().await.unwrap(),
    }
}

/// A kick-off as the Inferno kit sends it (`Accept`, `Prefer: respond-async`), with `token`.
async fn kick_off(app: &TestApp, token: Option<&str>, path: &str) -> Answer {
    let mut request = app
        .client
        .get(app.url(path))
        .header("Accept", "application/fhir+json")
        .header("Prefer", "respond-async");
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    send(request).await
}

/// Kicks off an export and polls it to the manifest (Retry-After is 1 s; polls faster).
async fn export(app: &TestApp, token: &str, path: &str) -> (String, Value) {
    let started = kick_off(app, Some(token), path).await;
    assert_eq!(started.status, 202, "{}", started.text);
    let location = started.header("content-location").to_string();
    assert!(location.starts_with("http://"), "{location}");
    (location.clone(), poll(app, token, &location).await)
}

async fn poll(app: &TestApp, token: &str, location: &str) -> Value {
    for _ in 0..600 {
        let answer = send(
            app.client
                .get(location)
                .bearer_auth(token)
                .header("Accept", "application/json"),
        )
        .await;
        match answer.status {
            202 => {
                assert!(!answer.header("x-progress").is_empty());
                assert_eq!(answer.header("retry-after"), "1");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            200 => {
                assert!(answer
                    .header("content-type")
                    .starts_with("application/json"));
                assert!(!answer.header("expires").is_empty());
                return answer.json();
            }
            other => panic!("status {other}: {}", answer.text),
        }
    }
    panic!("the export did not finish in a minute");
}

async fn download(app: &TestApp, token: Option<&str>, url: &str) -> Answer {
    let mut request = app
        .client
        .get(url)
        .header("Accept", "application/fhir+ndjson");
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    send(request).await
}

/// Every resource of the manifest's files, checked against the manifest: one JSON resource
/// per line, of the file's type, as many as `count` says.
async fn contents(app: &TestApp, token: &str, manifest: &Value) -> Vec<Value> {
    for key in [
        "transactionTime",
        "request",
        "requiresAccessToken",
        "output",
        "error",
    ] {
        assert!(manifest.get(key).is_some(), "{key} missing: {manifest}");
    }
    assert_eq!(manifest["requiresAccessToken"], true);
    assert_eq!(manifest["error"], json!([]));
    let mut all = Vec::new();
    for file in manifest["output"].as_array().unwrap() {
        let url = file["url"].as_str().unwrap();
        let answer = download(app, Some(token), url).await;
        assert_eq!(answer.status, 200, "{}", answer.text);
        assert!(answer
            .header("content-type")
            .starts_with("application/fhir+ndjson"));
        let lines: Vec<Value> = answer
            .text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len() as u64, file["count"].as_u64().unwrap(), "{url}");
        for r in &lines {
            assert_eq!(r["resourceType"], file["type"], "{url}");
        }
        all.extend(lines);
    }
    all
}

fn of_type<'a>(resources: &'a [Value], ty: &str) -> Vec<&'a Value> {
    resources
        .iter()
        .filter(|r| r["resourceType"] == ty)
        .collect()
}

fn output_types(manifest: &Value) -> HashSet<String> {
    manifest["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["type"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_system_export_round_trip() {
    let (app, a, b) = exporters().await;
    let token = a.token(&app).await;
    let (location, manifest) = export(&app, &token, "/v2/fhir/$export").await;
    assert_eq!(manifest["request"], app.url("/v2/fhir/$export"));
    let resources = contents(&app, &token, &manifest).await;
    let health = app.get_json("/health").await;
    assert_eq!(
        of_type(&resources, "Patient").len() as u64,
        health["patients"].as_u64().unwrap()
    );
    let eobs = of_type(&resources, "ExplanationOfBenefit");
    assert_eq!(
        eobs.len() as u64,
        health["explanationOfBenefits"].as_u64().unwrap()
    );
    for eob in eobs {
        let issues = carin_sandbox::validate::validate_resource(eob);
        assert!(
            !carin_sandbox::validate::has_errors(&issues),
            "{}: {issues:?}",
            eob["id"]
        );
    }
    for ty in ["Coverage", "Organization", "Practitioner", "Provenance"] {
        assert!(!of_type(&resources, ty).is_empty(), "{ty}");
    }

    // The files need the token of the client that started the export.
    let url = manifest["output"][0]["url"].as_str().unwrap();
    download(&app, None, url).await.refused(401);
    let other = b.token(&app).await;
    download(&app, Some(&other), url).await.refused(404);
    let status = send(app.client.get(&location).bearer_auth(&other)).await;
    status.refused(404);
    send(app.client.delete(&location).bearer_auth(&other))
        .await
        .refused(404);
    send(app.client.get(&location)).await.refused(401);

    // Every step is in the audit trail, as an Export event of this client.
    let (_, events) = crate::flow::fhir_get(&app, &token, "/v2/fhir/AuditEvent?_count=1000").await;
    let exports: Vec<&Value> = events["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .filter(|e| e["type"]["code"] == "110106")
        .collect();
    let text = serde_json::to_string(&exports).unwrap();
    for step in ["kick-off", "status complete", "download"] {
        assert!(
            text.contains(&format!("bulk export {step}")),
            "{step}: {text}"
        );
    }
    assert!(text.contains(&a.client_id), "{text}");
}

#[tokio::test]
async fn cancel_deletes_the_export_and_the_status_url_answers_404() {
    let (app, a, _) = exporters().await;
    let token = a.token(&app).await;
    let started = kick_off(&app, Some(&token), "/v2/fhir/$export").await;
    assert_eq!(started.status, 202);
    let location = started.header("content-location").to_string();
    let cancelled = send(
        app.client
            .delete(&location)
            .bearer_auth(&token)
            .header("Accept", "application/json"),
    )
    .await;
    assert_eq!(cancelled.status, 202, "{}", cancelled.text);
    send(app.client.get(&location).bearer_auth(&token))
        .await
        .refused(404);
    send(app.client.delete(&location).bearer_auth(&token))
        .await
        .refused(404);

    // A finished export's files go with a DELETE too.
    let (location, manifest) = export(&app, &token, "/v2/fhir/Patient/$export").await;
    let url = manifest["output"][0]["url"].as_str().unwrap().to_string();
    assert_eq!(download(&app, Some(&token), &url).await.status, 200);
    let cancelled = send(app.client.delete(&location).bearer_auth(&token)).await;
    assert_eq!(cancelled.status, 202);
    download(&app, Some(&token), &url).await.refused(404);
}

#[tokio::test]
async fn since_type_and_output_format_shape_the_export() {
    let (app, a, _) = exporters().await;
    let token = a.token(&app).await;
    // The seed was imported at the server's (fixed) start time, 2026-01-02T03:04:05Z.
    let (_, manifest) = export(
        &app,
        &token,
        "/v2/fhir/$export?_since=2026-01-02T03:04:06%2B00:00",
    )
    .await;
    assert_eq!(manifest["output"], json!([]), "nothing changed since then");
    let (_, manifest) = export(&app, &token, "/v2/fhir/$export?_since=2026-01-01T00:00:00Z").await;
    assert!(output_types(&manifest).contains("ExplanationOfBenefit"));

    let (_, manifest) = export(&app, &token, "/v2/fhir/$export?_type=Patient,Coverage").await;
    assert_eq!(
        output_types(&manifest),
        HashSet::from(["Patient".to_string(), "Coverage".to_string()])
    );
    let (_, manifest) = export(
        &app,
        &token,
        "/v2/fhir/$export?_type=ExplanationOfBenefit&_typeFilter=ExplanationOfBenefit%3Ftype%3Dpharmacy",
    )
    .await;
    let eobs = contents(&app, &token, &manifest).await;
    assert!(!eobs.is_empty());
    assert!(eobs
        .iter()
        .all(|e| e["type"].to_string().contains("pharmacy")));

    // POST with a Parameters body: the manifest's request is the URL without parameters.
    let parameters = json!({"resourceType": "Parameters", "parameter": [
        {"name": "_type", "valueString": "Patient"},
        {"name": "_outputFormat", "valueString": "application/fhir+ndjson"},
    ]});
    let started = send(
        app.client
            .post(app.url("/v2/fhir/Patient/$export"))
            .bearer_auth(&token)
            .header("Prefer", "respond-async")
            .header("Content-Type", "application/fhir+json")
            .body(parameters.to_string()),
    )
    .await;
    assert_eq!(started.status, 202, "{}", started.text);
    let manifest = poll(&app, &token, started.header("content-location")).await;
    assert_eq!(manifest["request"], app.url("/v2/fhir/Patient/$export"));
    assert_eq!(
        output_types(&manifest),
        HashSet::from(["Patient".to_string()])
    );
    let patient_param = json!({"resourceType": "Parameters", "parameter": [
        {"name": "patient", "valueReference": {"reference": "Patient/M00001"}},
    ]});
    send(
        app.client
            .post(app.url("/v2/fhir/Patient/$export"))
            .bearer_auth(&token)
            .header("Prefer", "respond-async")
            .body(patient_param.to_string()),
    )
    .await
    .refused(400);

    for format in ["application/fhir+ndjson", "application/ndjson", "ndjson"] {
        let path = format!(
            "/v2/fhir/$export?_outputFormat={}",
            format.replace('+', "%2B")
        );
        let started = kick_off(&app, Some(&token), &path).await;
        assert_eq!(started.status, 202, "{format}: {}", started.text);
        let location = started.header("content-location").to_string();
        let cancelled = send(app.client.delete(&location).bearer_auth(&token)).await;
        assert_eq!(cancelled.status, 202);
    }
}

#[tokio::test]
async fn bad_requests_get_an_operation_outcome() {
    let (app, a, _) = exporters().await;
    let token = a.token(&app).await;
    for path in [
        "/v2/fhir/$export?_outputFormat=text/csv",
        "/v2/fhir/$export?_since=yesterday",
        "/v2/fhir/$export?_since=2026-13-01T00:00:00Z",
        "/v2/fhir/$export?_type=Observation",
        "/v2/fhir/$export?_typeFilter=ExplanationOfBenefit%3Fnope%3D1",
        "/v2/fhir/$export?_elements=id",
        "/v2/fhir/Patient/$export?patient=Patient/M00000",
    ] {
        let answer = kick_off(&app, Some(&token), path).await;
        assert_eq!(answer.status, 400, "{path}: {}", answer.text);
        assert_eq!(answer.json()["resourceType"], "OperationOutcome");
    }
    // Unknown parameters are ignored under handling=lenient.
    let lenient = send(
        app.client
            .get(app.url("/v2/fhir/$export?_elements=id&_type=Patient,Observation"))
            .bearer_auth(&token)
            .header("Prefer", "respond-async, handling=lenient"),
    )
    .await;
    assert_eq!(lenient.status, 202, "{}", lenient.text);
    send(
        app.client
            .delete(lenient.header("content-location"))
            .bearer_auth(&token),
    )
    .await;
    // Without Prefer: respond-async.
    send(
        app.client
            .get(app.url("/v2/fhir/$export"))
            .bearer_auth(&token),
    )
    .await
    .refused(400);
    // An Accept the operation cannot answer.
    send(
        app.client
            .get(app.url("/v2/fhir/$export"))
            .bearer_auth(&token)
            .header("Prefer", "respond-async")
            .header("Accept", "application/xml"),
    )
    .await
    .refused(400);
    // Unknown group and unknown job.
    kick_off(&app, Some(&token), "/v2/fhir/Group/nope/$export")
        .await
        .refused(404);
    send(
        app.client
            .get(app.url("/v2/fhir/bulkstatus/not-a-job"))
            .bearer_auth(&token),
    )
    .await
    .refused(404);
    download(
        &app,
        Some(&token),
        &app.url("/v2/fhir/bulkfiles/not-a-job/Patient-1.ndjson"),
    )
    .await
    .refused(404);
}

#[tokio::test]
async fn only_backend_services_tokens_export() {
    let (app, _, _) = exporters().await;
    for path in [
        "/v2/fhir/$export",
        "/v2/fhir/Patient/$export",
        "/v2/fhir/Group/x/$export",
    ] {
        kick_off(&app, None, path).await.refused(401);
    }
    let patient = tokens(&app, "openid patient/*.read", 1).await;
    let patient = patient["access_token"].as_str().unwrap();
    for path in [
        "/v2/fhir/$export",
        "/v2/fhir/Patient/$export",
        "/v2/fhir/Group/x/$export",
    ] {
        kick_off(&app, Some(patient), path).await.refused(403);
    }
    let (status, body) = crate::flow::fhir_get(&app, patient, "/v2/fhir/Group").await;
    assert_eq!(status, 403, "{body}");
}

#[tokio::test]
async fn a_group_export_holds_only_the_members_data() {
    let (app, a, _) = exporters().await;
    let token = a.token(&app).await;
    let (status, bundle) = crate::flow::fhir_get(&app, &token, "/v2/fhir/Group").await;
    assert_eq!(status, 200, "{bundle}");
    let group = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["resource"])
        .find(|g| g["member"].as_array().is_some_and(|m| m.len() >= 2))
        .unwrap()
        .clone();
    let id = group["id"].as_str().unwrap();
    let (status, read) = crate::flow::fhir_get(&app, &token, &format!("/v2/fhir/Group/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(read, group);
    assert_eq!(read["type"], "person");
    assert_eq!(read["actual"], true);
    let (_, by_id) = crate::flow::fhir_get(&app, &token, &format!("/v2/fhir/Group?_id={id}")).await;
    assert_eq!(by_id["total"], 1);
    let members: HashSet<String> = group["member"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["entity"]["reference"].as_str().unwrap().to_string())
        .collect();

    let (_, manifest) = export(&app, &token, &format!("/v2/fhir/Group/{id}/$export")).await;
    let resources = contents(&app, &token, &manifest).await;
    let patients = of_type(&resources, "Patient");
    assert_eq!(patients.len(), members.len());
    for p in patients {
        assert!(members.contains(&format!("Patient/{}", p["id"].as_str().unwrap())));
    }
    let eobs = of_type(&resources, "ExplanationOfBenefit");
    assert!(!eobs.is_empty());
    for eob in eobs {
        assert!(members.contains(eob["patient"]["reference"].as_str().unwrap()));
    }
    for coverage in of_type(&resources, "Coverage") {
        assert!(members.contains(coverage["beneficiary"]["reference"].as_str().unwrap()));
    }
    let health = app.get_json("/health").await;
    assert!(
        (of_type(&resources, "Patient").len() as u64) < health["patients"].as_u64().unwrap(),
        "a plan covers some members, not all"
    );

    // The CapabilityStatement declares the three export levels.
    let cs = app.get_json("/v2/fhir/metadata").await;
    assert!(cs["instantiates"].as_array().unwrap().contains(&json!(
        "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"
    )));
    let text = cs.to_string();
    for op in ["export", "patient-export", "group-export"] {
        let url = format!("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/{op}\"");
        assert!(text.contains(&url), "{op}");
    }
}

/// Builds and starts a server on `dir`; the store may still be closing after a stop.
async fn start(
    dir: &std::path::Path,
    clock: Arc<FixedClock>,
) -> (TestApp, actix_web::dev::ServerHandle) {
    let mut last = None;
    for _ in 0..100 {
        match Application::build(ServeConfig {
            clock: clock.clone(),
            ..ServeConfig::new(dir)
        }) {
            Ok(app) => {
                let handle = app.handle();
                let addr = app.addrs()[0];
                tokio::spawn(app.run());
                return (TestApp::running(addr, clock), handle);
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    panic!("the server did not start again: {last:?}");
}

#[tokio::test]
async fn a_finished_export_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let exporter = Exporter::register(dir.path(), "Exporter", "system/*.read");
    let clock = Arc::new(FixedClock::new(datetime!(2026-01-02 03:04:05 UTC)));
    let (app, handle) = start(dir.path(), clock.clone()).await;
    let token = exporter.token(&app).await;
    let (location, manifest) = export(&app, &token, "/v2/fhir/Patient/$export").await;
    let before = contents(&app, &token, &manifest).await;
    handle.stop(true).await;
    drop(app);

    let (app, handle) = start(dir.path(), clock.clone()).await;
    let location = location.replace(
        &location[7..location.find("/v2/").unwrap()],
        &app.addr.to_string(),
    );
    let again = poll(&app, &token, &location).await;
    let manifest_paths = |m: &Value| -> Vec<String> {
        m["output"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                f["url"]
                    .as_str()
                    .unwrap()
                    .split("/v2/")
                    .nth(1)
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(manifest_paths(&again), manifest_paths(&manifest));
    assert_eq!(contents(&app, &token, &again).await, before);

    // A day later the files are gone (the sweep runs when the service opens).
    handle.stop(true).await;
    drop(app);
    clock.advance(time::Duration::hours(25));
    let (app, handle) = start(dir.path(), clock).await;
    let token = exporter.token(&app).await;
    let location = location.replace(
        &location[7..location.find("/v2/").unwrap()],
        &app.addr.to_string(),
    );
    send(app.client.get(&location).bearer_auth(&token))
        .await
        .refused(404);
    handle.stop(true).await;
}
