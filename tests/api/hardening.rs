//! HEAD on every GET route, 405 on the FHIR API, request ids and the request log.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use reqwest::Method;
use serde_json::Value;

use crate::flow::tokens;
use crate::helpers::TestApp;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// GET and HEAD of `path` answer alike, HEAD without a body.
async fn assert_head_like_get(app: &TestApp, path: &str, token: Option<&str>) {
    let send = |method: Method| {
        let mut request = app.client.request(method, app.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let get = send(Method::GET).await.unwrap();
    let (get_status, get_headers) = (get.status(), get.headers().clone());
    let get_body = get.bytes().await.unwrap();
    let head = send(Method::HEAD).await.unwrap();
    assert_eq!(head.status(), get_status, "HEAD {path}");
    for name in [
        CONTENT_TYPE.as_str(),
        "etag",
        "last-modified",
        "www-authenticate",
    ] {
        assert_eq!(
            header(head.headers(), name),
            header(&get_headers, name),
            "HEAD {path}: {name}"
        );
    }
    let length = get_body.len().to_string();
    assert_eq!(
        header(head.headers(), CONTENT_LENGTH.as_str()),
        Some(length.as_str()),
        "HEAD {path} announces the GET body's length"
    );
    assert!(
        head.bytes().await.unwrap().is_empty(),
        "HEAD {path} has a body"
    );
}

#[tokio::test]
async fn head_answers_every_get_route_without_a_body() {
    let app = TestApp::shared_secured();
    for path in [
        "/",
        "/docs",
        "/ping",
        "/static/site.css",
        "/v2/fhir/metadata",
        "/.well-known/smart-configuration",
        // No token: the same 401 and WWW-Authenticate as GET.
        "/v2/fhir/Patient/M00001",
    ] {
        assert_head_like_get(&app, path, None).await;
    }
    let token = tokens(&app, "launch/patient patient/*.rs", 1).await;
    let token = token["access_token"].as_str().unwrap();
    for path in ["/v2/fhir/Patient/M00001", "/v2/fhir/ExplanationOfBenefit"] {
        assert_head_like_get(&app, path, Some(token)).await;
    }
}

/// `method path`: status, Allow, the body as JSON and the request id header.
async fn call(app: &TestApp, method: Method, path: &str) -> (u16, Option<String>, Value, String) {
    let response = app
        .client
        .request(method, app.url(path))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let allow = header(response.headers(), "allow").map(str::to_string);
    let id = header(response.headers(), "x-request-id")
        .expect("every response has a request id")
        .to_string();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, allow, body, id)
}

#[tokio::test]
async fn unsupported_methods_on_fhir_urls_are_405_with_allow_and_an_operation_outcome() {
    let app = TestApp::shared();
    let cases = [
        (
            Method::DELETE,
            "/v2/fhir/ExplanationOfBenefit/x",
            "GET, HEAD",
        ),
        (Method::PUT, "/v2/fhir/ExplanationOfBenefit/x", "GET, HEAD"),
        (
            Method::PATCH,
            "/v2/fhir/ExplanationOfBenefit/x",
            "GET, HEAD",
        ),
        (Method::POST, "/v2/fhir/ExplanationOfBenefit/x", "GET, HEAD"),
        (
            Method::POST,
            "/v2/fhir/ExplanationOfBenefit/x/_history/1",
            "GET, HEAD",
        ),
        (Method::DELETE, "/v2/fhir/ExplanationOfBenefit", "GET, HEAD"),
        (Method::POST, "/v2/fhir/metadata", "GET, HEAD"),
        (Method::GET, "/v2/fhir/ExplanationOfBenefit/_search", "POST"),
    ];
    for (method, path, allowed) in cases {
        let (status, allow, body, id) = call(&app, method.clone(), path).await;
        assert_eq!(status, 405, "{method} {path}");
        assert_eq!(allow.as_deref(), Some(allowed), "{method} {path}");
        assert_eq!(body["resourceType"], "OperationOutcome", "{method} {path}");
        assert_eq!(body["issue"][0]["code"], "not-supported");
        assert_eq!(body["id"], id.as_str(), "the outcome names the request id");
    }
    // What is supported still is.
    let search = app
        .client
        .post(app.url("/v2/fhir/ExplanationOfBenefit/_search"))
        .form(&[("_count", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(search.status(), 200);
    // Unknown paths stay 404, whatever the method.
    for (method, path) in [
        (Method::GET, "/v2/fhir/ExplanationOfBenefit/x/y/z"),
        (Method::DELETE, "/v2/fhir/ExplanationOfBenefit/x/y/z"),
        (Method::DELETE, "/nowhere"),
    ] {
        assert_eq!(call(&app, method, path).await.0, 404, "{path}");
    }
}

/// Everything under the FHIR base is matched in one scope (`http::routes` splits the path by
/// hand): each URL still reaches its own handler, and the Bulk Data URLs keep their 405s.
#[tokio::test]
async fn every_url_under_the_fhir_base_reaches_its_own_handler() {
    let app = TestApp::shared();
    let search = app.get_json("/v2/fhir/ExplanationOfBenefit?_count=1").await;
    let eob = search["entry"][0]["resource"]["id"]
        .as_str()
        .expect("the seed has EOBs")
        .to_string();
    let read = app
        .get_json(&format!("/v2/fhir/ExplanationOfBenefit/{eob}"))
        .await;
    assert_eq!(read["id"], eob.as_str());
    let vread = app
        .get_json(&format!("/v2/fhir/ExplanationOfBenefit/{eob}/_history/1"))
        .await;
    assert_eq!(vread["id"], eob.as_str());
    // A percent-encoded id is decoded as before.
    let encoded: String = eob.bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, read) = app
        .get(&format!("/v2/fhir/ExplanationOfBenefit/{encoded}"))
        .await;
    assert_eq!((status, read["id"].as_str()), (200, Some(eob.as_str())));
    assert_eq!(
        app.get_json("/v2/fhir/metadata").await["resourceType"],
        "CapabilityStatement"
    );
    for document in ["smart-configuration", "openid-configuration"] {
        let (status, body) = app.get(&format!("/v2/fhir/.well-known/{document}")).await;
        assert_eq!(status, 200, "{document}");
        assert!(body["token_endpoint"].is_string(), "{document}");
    }
    // An unknown type is the FHIR API's 404 (an OperationOutcome), an unknown shape a bare one.
    let (status, body) = app.get("/v2/fhir/Nonsense/x").await;
    assert_eq!(
        (status, body["resourceType"].as_str()),
        (404, Some("OperationOutcome"))
    );
    for path in ["/v2/fhir", "/v2/fhir/a/b/c/d/e", "/v2/fhirx/Patient"] {
        assert_eq!(call(&app, Method::GET, path).await.0, 404, "{path}");
    }
    // Bulk Data URLs before the FHIR patterns, with their own 405s.
    let (status, body) = app.get("/v2/fhir/bulkstatus/not-a-job").await;
    assert_ne!(status, 200);
    assert_ne!(
        body["issue"][0]["diagnostics"].as_str().unwrap_or_default(),
        "",
        "the status URL answered: {body}"
    );
    for (method, path, allowed) in [
        (Method::PUT, "/v2/fhir/Group/g/$export", "GET, POST"),
        (Method::PUT, "/v2/fhir/bulkstatus/j", "GET, DELETE"),
        (Method::POST, "/v2/fhir/bulkfiles/j/f.ndjson", "GET"),
        (Method::PUT, "/v2/fhir/$export", "GET, POST"),
        (Method::PUT, "/v2/fhir/Patient/$export", "GET, POST"),
    ] {
        let (status, allow, _, _) = call(&app, method.clone(), path).await;
        assert_eq!(
            (status, allow.as_deref()),
            (405, Some(allowed)),
            "{method} {path}"
        );
    }
}

#[tokio::test]
async fn error_outcomes_carry_the_request_id_of_the_response() {
    let app = TestApp::shared();
    let (status, _, body, id) = call(&app, Method::GET, "/v2/fhir/Nonsense/1").await;
    assert_eq!(status, 404);
    assert_eq!(body["id"], id.as_str());
    // A well-formed id from the client is kept (for tracing across services); others are not.
    for (sent, kept) in [("client-trace.42", true), ("not an id", false)] {
        let response = app
            .client
            .get(app.url("/v2/fhir/Nonsense/1"))
            .header("x-request-id", sent)
            .send()
            .await
            .unwrap();
        let id = header(response.headers(), "x-request-id")
            .unwrap()
            .to_string();
        assert_eq!(id == sent, kept, "{sent:?} → {id:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["id"], id.as_str());
    }
}

#[tokio::test]
async fn two_server_starts_never_hand_out_the_same_request_id() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let app = TestApp::spawn(false, true).await;
        let response = app.client.get(app.url("/ping")).send().await.unwrap();
        ids.push(
            header(response.headers(), "x-request-id")
                .unwrap()
                .to_string(),
        );
    }
    // Each is the first request of its server: only the per-start part can tell them apart.
    assert_ne!(ids[0], ids[1]);
}

/// Everything the `carin_sandbox::access` target logs in this test binary.
fn access_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        tracing_subscriber::fmt()
            .with_env_filter("carin_sandbox::access=info")
            .with_ansi(false)
            .with_writer(move || Sink(sink.clone()))
            .init();
        log
    })
    .clone()
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_request_log_names_routes_never_paths_or_query_strings() {
    let log = access_log();
    let app = TestApp::shared();
    for (id, path) in [
        (
            "log-1",
            "/v2/o/authorize?client_id=test-client-id&state=SECRET-STATE",
        ),
        ("log-2", "/v2/fhir/Patient/M00001?_format=json"),
    ] {
        app.client
            .get(app.url(path))
            .header("x-request-id", id)
            .send()
            .await
            .unwrap();
    }
    let log = String::from_utf8(log.lock().unwrap().clone()).unwrap();
    let line = |id: &str| {
        log.lines()
            .find(|l| l.ends_with(&format!("id={id}")))
            .unwrap_or_else(|| panic!("no line for {id} in:\n{log}"))
            .to_string()
    };
    let authorize = line("log-1");
    assert!(
        authorize.contains("method=GET route=/v2/o/authorize status="),
        "{authorize}"
    );
    let read = line("log-2");
    assert!(
        read.contains("method=GET route=/v2/fhir/{type}/{id} status=200 ms="),
        "{read}"
    );
    for secret in ["SECRET-STATE", "test-client-id", "M00001", "_format"] {
        assert!(!log.contains(secret), "{secret} logged:\n{log}");
    }
}
