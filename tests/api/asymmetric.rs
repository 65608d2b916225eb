//! SMART asymmetric client authentication (`private_key_jwt`) and Backend Services
//! (`client_credentials`, `system/` scopes) over HTTP, with keys made in the tests.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use carin_sandbox::auth::clients::NewClient;
use carin_sandbox::auth::jws::SigningKey;
use carin_sandbox::auth::records::ClientJwks;
use carin_sandbox::auth::{AuthDb, ClientKind};
use carin_sandbox::store::Store;
use serde_json::{json, Value};

use crate::flow::*;
use crate::helpers::TestApp;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A server with one asymmetric app registered (inline JWKS) and that app's key.
pub(crate) struct Backend {
    pub(crate) app: TestApp,
    key: SigningKey,
    kid: String,
    client_id: String,
}

pub(crate) async fn backend_with(key: SigningKey, scopes: &str, seed: bool) -> Backend {
    let kid = key.thumbprint();
    let jwks = ClientJwks::Jwks(json!({"keys": [key.public_jwk(&kid)]}));
    backend_registered(key, kid, jwks, scopes, seed).await
}

async fn backend_registered(
    key: SigningKey,
    kid: String,
    jwks: ClientJwks,
    scopes: &str,
    seed: bool,
) -> Backend {
    let mut client_id = String::new();
    let app = TestApp::spawn_prepared(seed, |dir| {
        client_id = register_backend(dir, "Backend app", jwks, scopes);
    })
    .await;
    Backend {
        app,
        key,
        kid,
        client_id,
    }
}

/// Registers an app with keys (`private_key_jwt`) in the store of `dir`; its client id.
pub(crate) fn register_backend(
    dir: &std::path::Path,
    name: &str,
    jwks: ClientJwks,
    scopes: &str,
) -> String {
    let store = Store::open(dir).unwrap();
    let db = AuthDb::open(&store).unwrap();
    let registered = db
        .register(
            NewClient {
                name: name.into(),
                kind: ClientKind::Confidential,
                redirect_uris: vec![REDIRECT.into()],
                scopes: Some(scopes.into()),
                pkce_required: true,
                owner: None,
                grant_model: Default::default(),
                jwks: Some(jwks),
            },
            0,
        )
        .unwrap();
    assert!(
        registered.secret.is_none(),
        "an app with keys gets no secret"
    );
    registered.client.client_id
}

/// An RS384 app allowed system/*.read, on a server without data (refusal tests).
async fn backend() -> Backend {
    backend_with(SigningKey::generate_rsa().unwrap(), "system/*.read", false).await
}

impl Backend {
    fn header(&self) -> Value {
        header(&self.key, &self.kid)
    }

    fn claims(&self) -> Value {
        claims(&self.app, &self.client_id)
    }

    pub(crate) fn assertion(&self) -> String {
        assertion(&self.app, &self.key, &self.kid, &self.client_id)
    }

    /// client_credentials with this assertion (and scope, if any).
    pub(crate) async fn system_token(&self, assertion: &str, scope: Option<&str>) -> (u16, Value) {
        client_credentials(&self.app, assertion, scope).await
    }

    /// Asserts that `assertion` is refused as invalid_client, saying `why`, and that a fresh,
    /// well-formed assertion is then accepted (the refusal is the assertion's fault).
    async fn refuses(&self, assertion: &str, why: &str) {
        let (status, body) = self.system_token(assertion, None).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["error"], "invalid_client", "{body}");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(why), "{description}");
        let (status, body) = self.system_token(&self.assertion(), None).await;
        assert_eq!(status, 200, "{body}");
    }
}

fn header(key: &SigningKey, kid: &str) -> Value {
    json!({"alg": key.alg(), "kid": kid, "typ": "JWT"})
}

/// Kit-shaped claims: iss = sub = client id, aud = token endpoint, exp in 4 minutes, no iat.
fn claims(app: &TestApp, client_id: &str) -> Value {
    json!({
        "iss": client_id,
        "sub": client_id,
        "aud": app.url("/v2/o/token"),
        "exp": app.now() + 240,
        "jti": carin_sandbox::auth::keys::random_token(),
    })
}

/// A fresh client assertion of `client_id` signed with `key`.
pub(crate) fn assertion(app: &TestApp, key: &SigningKey, kid: &str, client_id: &str) -> String {
    key.sign(&header(key, kid), &claims(app, client_id))
        .unwrap()
}

/// client_credentials with this assertion (and scope, if any).
pub(crate) async fn client_credentials(
    app: &TestApp,
    assertion: &str,
    scope: Option<&str>,
) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    let (status, headers, body) = token_call(app, "/v2/o/token", &form, None).await;
    if status == 200 {
        assert_eq!(headers["cache-control"], "no-store");
    }
    (status, body)
}

fn with(mut base: Value, changes: &Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        base[k] = v.clone();
    }
    base
}

#[tokio::test]
async fn backend_services_token_reads_every_patient() {
    let b = backend_with(SigningKey::generate_rsa().unwrap(), "system/*.read", true).await;
    let (status, body) = b.system_token(&b.assertion(), Some("system/*.read")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "system/*.read");
    assert!(body["expires_in"].as_i64().unwrap() <= 300, "short-lived");
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body.get("patient").is_none(), "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (status, patients) = fhir_get(&b.app, token, "/v2/fhir/Patient?_count=5").await;
    assert_eq!(status, 200, "{patients}");
    assert_eq!(patients["total"], 200, "every seeded beneficiary");
    for id in ["M00001", "M00150"] {
        let (status, eobs) = fhir_get(
            &b.app,
            token,
            &format!("/v2/fhir/ExplanationOfBenefit?patient={id}"),
        )
        .await;
        assert_eq!(status, 200);
        assert!(eobs["total"].as_u64().unwrap() > 0, "{id}: {eobs}");
        let (status, _) = fhir_get(&b.app, token, &format!("/v2/fhir/Patient/{id}")).await;
        assert_eq!(status, 200, "{id}");
    }
    // The token dies with its five minutes.
    b.app
        .clock
        .as_ref()
        .unwrap()
        .advance(time::Duration::seconds(301));
    let (status, _) = fhir_get(&b.app, token, "/v2/fhir/Patient/M00001").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn backend_services_with_es384_and_v2_scopes() {
    let b = backend_with(
        SigningKey::generate_ec().unwrap(),
        "system/ExplanationOfBenefit.rs system/Coverage.read",
        true,
    )
    .await;
    // No scope: everything the app is registered for.
    let (status, body) = b.system_token(&b.assertion(), None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["scope"],
        "system/ExplanationOfBenefit.rs system/Coverage.read"
    );
    let (status, body) = b
        .system_token(&b.assertion(), Some("system/ExplanationOfBenefit.rs"))
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (status, _) = fhir_get(
        &b.app,
        token,
        "/v2/fhir/ExplanationOfBenefit?patient=M00002",
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = fhir_get(&b.app, token, "/v2/fhir/Patient/M00002").await;
    assert_eq!(status, 403, "not in the granted scopes");
    // Scopes the app is not registered for are not granted.
    let (status, body) = b
        .system_token(&b.assertion(), Some("system/Patient.read"))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_scope");
}

#[tokio::test]
async fn asymmetric_app_runs_the_code_flow_and_refreshes() {
    let b = backend_with(
        SigningKey::generate_ec().unwrap(),
        "launch/patient openid fhirUser offline_access patient/*.rs",
        true,
    )
    .await;
    let launch = Launch::new(
        &b.app,
        &b.client_id,
        "launch/patient openid offline_access patient/*.rs",
    );
    let done = code_for(&b.app, &launch, 3, true).await;
    let code = done.param("code").unwrap();
    let assertion = b.assertion();
    let (status, _, body) = token_call(
        &b.app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &launch.pkce.verifier),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["patient"], "M00003");
    let refresh = body["refresh_token"].as_str().unwrap();
    // Refreshing needs the app's assertion too: none is invalid_client.
    let (status, _, body) = token_call(
        &b.app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_id", &b.client_id),
        ],
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    let assertion = b.assertion();
    let (status, _, body) = token_call(
        &b.app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // A patient-facing app gets no system token.
    let (status, body) = b.system_token(&b.assertion(), None).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn refuses_alg_none() {
    let b = backend().await;
    let header = B64.encode(json!({"alg": "none", "typ": "JWT"}).to_string());
    let claims = B64.encode(b.claims().to_string());
    b.refuses(&format!("{header}.{claims}."), "alg none").await;
}

#[tokio::test]
async fn refuses_hs256_signed_with_the_public_key() {
    let b = backend().await;
    let header = B64.encode(json!({"alg": "HS256", "kid": b.kid, "typ": "JWT"}).to_string());
    let claims = B64.encode(b.claims().to_string());
    let input = format!("{header}.{claims}");
    // The classic confusion attack: the public key (as published) used as an HMAC secret.
    let public = b.key.public_jwk(&b.kid).to_string();
    let tag = hmac::sign(
        &hmac::Key::new(hmac::HMAC_SHA256, public.as_bytes()),
        input.as_bytes(),
    );
    b.refuses(
        &format!("{input}.{}", B64.encode(tag.as_ref())),
        "alg HS256",
    )
    .await;
}

#[tokio::test]
async fn refuses_the_wrong_audience() {
    let b = backend().await;
    let claims = with(b.claims(), &json!({"aud": b.app.url("/v2/fhir")}));
    let assertion = b.key.sign(&b.header(), &claims).unwrap();
    b.refuses(&assertion, "aud must be the token endpoint")
        .await;
}

#[tokio::test]
async fn refuses_exp_too_far_ahead() {
    let b = backend().await;
    let claims = with(b.claims(), &json!({"exp": b.app.now() + 3600}));
    let assertion = b.key.sign(&b.header(), &claims).unwrap();
    b.refuses(&assertion, "more than 300 seconds ahead").await;
}

#[tokio::test]
async fn refuses_a_replayed_jti() {
    let b = backend().await;
    let assertion = b.assertion();
    let (status, body) = b.system_token(&assertion, None).await;
    assert_eq!(status, 200, "{body}");
    b.refuses(&assertion, "jti was already used").await;
}

#[tokio::test]
async fn refuses_an_unknown_kid() {
    let b = backend().await;
    let header = with(b.header(), &json!({"kid": "not-registered"}));
    let assertion = b.key.sign(&header, &b.claims()).unwrap();
    b.refuses(&assertion, "no registered key has kid not-registered")
        .await;
    // A key the app never registered, under the registered kid: the signature fails.
    let stranger = SigningKey::generate_rsa().unwrap();
    let assertion = stranger.sign(&b.header(), &b.claims()).unwrap();
    b.refuses(&assertion, "signature does not verify").await;
}

#[tokio::test]
async fn client_credentials_is_refused_to_apps_without_keys() {
    let b = backend().await;
    // The secret app cannot use client_credentials (backend services need an assertion).
    let (status, _, body) = token_call(
        &b.app,
        "/v2/o/token",
        &[
            ("grant_type", "client_credentials"),
            ("scope", "system/*.read"),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"], "invalid_client");
    // An unknown assertion type is refused.
    let assertion = b.assertion();
    let (status, _, body) = token_call(
        &b.app,
        "/v2/o/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "not_an_assertion_type"),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    assert_eq!(status, 401, "{body}");
    // An unknown grant type is 400.
    let (status, _, body) = token_call(
        &b.app,
        "/v2/o/token",
        &[
            ("grant_type", "not_a_grant_type"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
        ],
        None,
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unsupported_grant_type");
}

#[tokio::test]
async fn discovery_advertises_asymmetric_auth_and_backend_services() {
    let app = TestApp::shared_secured();
    let smart = app
        .get_json("/v2/fhir/.well-known/smart-configuration")
        .await;
    let has = |key: &str, v: &str| smart[key].as_array().unwrap().contains(&v.into());
    assert!(has("capabilities", "client-confidential-asymmetric"));
    assert!(has(
        "token_endpoint_auth_methods_supported",
        "private_key_jwt"
    ));
    assert!(has("grant_types_supported", "client_credentials"));
    assert!(has("scopes_supported", "system/*.read"));
    assert!(has("scopes_supported", "system/ExplanationOfBenefit.rs"));
    for alg in ["RS384", "ES384"] {
        assert!(has("token_endpoint_auth_signing_alg_values_supported", alg));
    }
}

/// Serves `body` as JSON to every request on a loopback port (the app's jwks_uri).
fn serve_json(body: String) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    format!("http://{addr}/jwks.json")
}

#[tokio::test]
async fn keys_are_fetched_from_a_jwks_uri() {
    let key = SigningKey::generate_ec().unwrap();
    let kid = key.thumbprint();
    let uri = serve_json(json!({"keys": [key.public_jwk(&kid)]}).to_string());
    let b = backend_registered(key, kid, ClientJwks::JwksUri(uri), "system/*.read", false).await;
    let (status, body) = b.system_token(&b.assertion(), None).await;
    assert_eq!(status, 200, "{body}");
    // A key that is not in the fetched set is refused.
    let stranger = SigningKey::generate_ec().unwrap();
    let assertion = stranger.sign(&b.header(), &b.claims()).unwrap();
    let (status, body) = b.system_token(&assertion, None).await;
    assert_eq!(status, 401, "{body}");
}
