//! UDAP over HTTP: server metadata and its signed_metadata, Dynamic Client Registration with
//! every refusal the IG names, then UDAP JWT client authentication for client_credentials
//! (with the hl7-b2b extension) and for the code flow. Certificates are minted in the tests by
//! the server's own CA (prepared in its data directory before it starts) or by a stranger CA.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use carin_sandbox::auth::jws::{Jws, SigningKey};
use carin_sandbox::auth::x509;
use carin_sandbox::udap::ca::{Ca, Issued};
use serde_json::{json, Value};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::flow::*;
use crate::helpers::TestApp;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The test servers' clock (helpers::start_clock).
const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
const ISS: &str = "https://backend.example.org/udap";

struct Fixture {
    app: TestApp,
    ca: Ca,
}

async fn fixture(seed: bool) -> Fixture {
    let mut ca = None;
    let app = TestApp::spawn_prepared(seed, |dir| {
        ca = Some(Ca::load_or_create(dir, NOW).unwrap());
    })
    .await;
    Fixture {
        app,
        ca: ca.unwrap(),
    }
}

/// A certificate for `san` valid around NOW.
fn cert(ca: &Ca, san: &str) -> Issued {
    ca.issue(
        san,
        "test client",
        NOW - Duration::days(1),
        NOW + Duration::days(30),
    )
    .unwrap()
}

/// A JWT signed by `cert`'s key (RS256) with `x5c` = [cert, its CA].
fn signed(cert: &Issued, ca: &Ca, claims: &Value) -> String {
    let key = SigningKey::from_pkcs8_der(&cert.key_der).unwrap();
    let x5c = [
        STANDARD.encode(&cert.cert_der),
        STANDARD.encode(&ca.cert_der),
    ];
    key.sign(&json!({"alg": "RS256", "x5c": x5c}), claims)
        .unwrap()
}

impl Fixture {
    fn register_url(&self) -> String {
        self.app.url("/v2/o/register")
    }

    /// Software statement claims for `iss` with these grant types.
    fn statement_claims(&self, iss: &str, grant_types: &[&str]) -> Value {
        let now = NOW.unix_timestamp();
        let mut claims = json!({
            "iss": iss,
            "sub": iss,
            "aud": self.register_url(),
            "iat": now,
            "exp": now + 300,
            "jti": carin_sandbox::auth::keys::random_token(),
            "client_name": "UDAP test app",
            "contacts": ["mailto:ops@example.org"],
            "grant_types": grant_types,
            "token_endpoint_auth_method": "private_key_jwt",
            "scope": "system/*.read",
        });
        if grant_types.contains(&"authorization_code") {
            claims["redirect_uris"] = json!([REDIRECT]);
            claims["response_types"] = json!(["code"]);
            claims["logo_uri"] = json!("https://backend.example.org/logo.png");
            claims["scope"] = json!("openid launch/patient patient/*.rs");
        }
        claims
    }

    async fn register(&self, statement: &str) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(self.register_url())
            .json(&json!({"software_statement": statement, "udap": "1"}))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Registers a client_credentials app for `iss`; its client id.
    async fn registered(&self, cert: &Issued, grant_types: &[&str]) -> String {
        let statement = signed(cert, &self.ca, &self.statement_claims(ISS, grant_types));
        let (status, body) = self.register(&statement).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["software_statement"], statement.as_str());
        body["client_id"].as_str().unwrap().to_string()
    }

    /// A UDAP client assertion (AnT) for `client_id`, signed by `cert`.
    fn assertion(&self, cert: &Issued, client_id: &str, extensions: Option<Value>) -> String {
        let now = NOW.unix_timestamp();
        let mut claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": self.app.url("/v2/o/token"),
            "iat": now,
            "exp": now + 300,
            "jti": carin_sandbox::auth::keys::random_token(),
        });
        if let Some(e) = extensions {
            claims["extensions"] = e;
        }
        signed(cert, &self.ca, &claims)
    }

    async fn client_credentials(&self, assertion: &str) -> (u16, Value) {
        let (status, _, body) = token_call(
            &self.app,
            "/v2/o/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", assertion),
                ("udap", "1"),
            ],
            None,
        )
        .await;
        (status, body)
    }

    /// Asserts a registration refusal: 400 with this error code, saying `why`.
    async fn refused(&self, statement: &str, code: &str, why: &str) {
        let (status, body) = self.register(statement).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"], code, "{body}");
        let d = body["error_description"].as_str().unwrap();
        assert!(d.contains(why), "{d}");
    }
}

fn b2b() -> Value {
    json!({"hl7-b2b": {
        "version": "1",
        "subject_name": "UDAP Test Kit",
        "organization_name": "Inferno Framework",
        "organization_id": "https://inferno-framework.github.io/",
        "purpose_of_use": ["SYSDEV"],
    }})
}

#[tokio::test]
async fn metadata_is_signed_by_a_certificate_of_the_sandbox_ca() {
    let f = fixture(false).await;
    let doc = f.app.get_json("/v2/fhir/.well-known/udap").await;
    assert_eq!(doc["udap_versions_supported"], json!(["1"]));
    for p in ["udap_dcr", "udap_authn", "udap_authz"] {
        assert!(doc["udap_profiles_supported"]
            .as_array()
            .unwrap()
            .contains(&p.into()));
    }
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!(["private_key_jwt"])
    );
    assert_eq!(doc["registration_endpoint"], f.register_url());
    assert!(doc["udap_authorization_extensions_supported"]
        .as_array()
        .unwrap()
        .contains(&"hl7-b2b".into()));
    assert!(
        doc["registration_endpoint_jwt_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"RS256".into())
    );
    let jws = Jws::parse(doc["signed_metadata"].as_str().unwrap()).unwrap();
    assert_eq!(jws.header["alg"], "RS256");
    let base = f.app.url("/v2/fhir");
    assert_eq!(jws.claims["iss"], base.as_str());
    assert_eq!(jws.claims["sub"], base.as_str());
    assert_eq!(jws.claims["token_endpoint"], f.app.url("/v2/o/token"));
    let x5c = x509::x5c_of(&jws.header).unwrap();
    let leaf = x509::verify(
        &x5c,
        std::slice::from_ref(&f.ca.cert_der),
        NOW.unix_timestamp(),
    )
    .unwrap();
    assert_eq!(leaf.san_uris, [base]);
    jws.verify_with_key(&leaf.public_key).unwrap();
}

#[tokio::test]
async fn registration_then_client_credentials_with_hl7_b2b() {
    let f = fixture(true).await;
    let cert = cert(&f.ca, ISS);
    let client_id = f.registered(&cert, &["client_credentials"]).await;
    let (status, body) = f
        .client_credentials(&f.assertion(&cert, &client_id, Some(b2b())))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scope"], "system/*.read");
    assert!(body.get("refresh_token").is_none());
    let token = body["access_token"].as_str().unwrap();
    let (status, patients) = fhir_get(&f.app, token, "/v2/fhir/Patient?_count=1").await;
    assert_eq!(status, 200);
    assert_eq!(patients["total"], 200);
    // A malformed hl7-b2b extension is refused.
    let bad = json!({"hl7-b2b": {"version": "1"}});
    let (status, body) = f
        .client_credentials(&f.assertion(&cert, &client_id, Some(bad)))
        .await;
    assert_eq!(status, 400, "{body}");
    // A certificate of the same CA with another SAN does not authenticate this app.
    let other = self::cert(&f.ca, "https://other.example.org/udap");
    let (status, body) = f
        .client_credentials(&f.assertion(&other, &client_id, None))
        .await;
    assert_eq!(status, 401, "{body}");
    // Re-registration: the same iss gets the same client id back (200).
    let again = signed(
        &cert,
        &f.ca,
        &f.statement_claims(ISS, &["client_credentials"]),
    );
    let (status, body) = f.register(&again).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["client_id"], client_id.as_str());
    // Cancellation: empty grant_types; the app no longer authenticates.
    let cancel = signed(&cert, &f.ca, &f.statement_claims(ISS, &[]));
    let (status, body) = f.register(&cancel).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = f
        .client_credentials(&f.assertion(&cert, &client_id, None))
        .await;
    assert_eq!(status, 401, "{body}");
}

#[tokio::test]
async fn registration_then_code_flow_with_udap_client_auth() {
    let f = fixture(true).await;
    let cert = cert(&f.ca, ISS);
    let client_id = f
        .registered(&cert, &["authorization_code", "refresh_token"])
        .await;
    let launch = Launch::new(&f.app, &client_id, "openid launch/patient patient/*.rs");
    let done = code_for(&f.app, &launch, 4, true).await;
    let code = done.param("code").unwrap();
    let assertion = f.assertion(&cert, &client_id, None);
    let (status, _, body) = token_call(
        &f.app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &launch.pkce.verifier),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &assertion),
            ("udap", "1"),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["patient"], "M00004");
    // The wrong grant type for this client: client_credentials.
    let (status, body) = f
        .client_credentials(&f.assertion(&cert, &client_id, None))
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "unauthorized_client");
}

#[tokio::test]
async fn refuses_an_expired_certificate() {
    let f = fixture(false).await;
    let expired =
        f.ca.issue(
            ISS,
            "old",
            NOW - Duration::days(60),
            NOW - Duration::days(1),
        )
        .unwrap();
    let statement = signed(
        &expired,
        &f.ca,
        &f.statement_claims(ISS, &["client_credentials"]),
    );
    f.refused(
        &statement,
        "unapproved_software_statement",
        "not valid at this time",
    )
    .await;
    // The same statement with a valid certificate registers.
    f.registered(&cert(&f.ca, ISS), &["client_credentials"])
        .await;
}

#[tokio::test]
async fn refuses_a_san_that_is_not_the_iss() {
    let f = fixture(false).await;
    let other = cert(&f.ca, "https://someone-else.example.org/udap");
    let statement = signed(
        &other,
        &f.ca,
        &f.statement_claims(ISS, &["client_credentials"]),
    );
    f.refused(
        &statement,
        "invalid_software_statement",
        "is not a uniformResourceIdentifier SAN",
    )
    .await;
}

#[tokio::test]
async fn refuses_an_untrusted_anchor() {
    let f = fixture(false).await;
    let dir = tempfile::tempdir().unwrap();
    let stranger = Ca::load_or_create(dir.path(), NOW).unwrap();
    let cert = cert(&stranger, ISS);
    let statement = signed(
        &cert,
        &stranger,
        &f.statement_claims(ISS, &["client_credentials"]),
    );
    f.refused(
        &statement,
        "unapproved_software_statement",
        "trusted anchor",
    )
    .await;
}

#[tokio::test]
async fn refuses_a_statement_signed_by_another_key_than_its_x5c() {
    let f = fixture(false).await;
    let cert = cert(&f.ca, ISS);
    let x5c = [
        STANDARD.encode(&cert.cert_der),
        STANDARD.encode(&f.ca.cert_der),
    ];
    let other_key = SigningKey::generate_rsa().unwrap();
    let statement = other_key
        .sign(
            &json!({"alg": "RS256", "x5c": x5c}),
            &f.statement_claims(ISS, &["client_credentials"]),
        )
        .unwrap();
    f.refused(
        &statement,
        "invalid_software_statement",
        "signature does not verify",
    )
    .await;
}

#[tokio::test]
async fn refuses_wrong_grant_types_and_auth_method() {
    let f = fixture(false).await;
    let cert = cert(&f.ca, ISS);
    let both = signed(
        &cert,
        &f.ca,
        &f.statement_claims(ISS, &["authorization_code", "client_credentials"]),
    );
    f.refused(
        &both,
        "invalid_client_metadata",
        "cannot be registered together",
    )
    .await;
    let unknown = signed(&cert, &f.ca, &f.statement_claims(ISS, &["password"]));
    f.refused(&unknown, "invalid_client_metadata", "not supported")
        .await;
    let mut claims = f.statement_claims(ISS, &["client_credentials"]);
    claims["token_endpoint_auth_method"] = json!("client_secret_basic");
    f.refused(
        &signed(&cert, &f.ca, &claims),
        "invalid_client_metadata",
        "private_key_jwt",
    )
    .await;
    let mut claims = f.statement_claims(ISS, &["client_credentials"]);
    claims["aud"] = json!(f.app.url("/v2/o/token"));
    f.refused(
        &signed(&cert, &f.ca, &claims),
        "invalid_software_statement",
        "aud",
    )
    .await;
    let statement = signed(
        &cert,
        &f.ca,
        &f.statement_claims(ISS, &["client_credentials"]),
    );
    let (status, _) = f.register(&statement).await;
    assert_eq!(status, 201);
    f.refused(
        &statement,
        "invalid_software_statement",
        "jti was already used",
    )
    .await;
}

/// The portal lists UDAP-registered apps (which no developer owns) for every signed-in
/// developer: name, client id, the certificate's SAN and the grant types; a cancelled
/// registration is gone from the list.
#[tokio::test]
async fn udap_apps_are_listed_on_the_portal() {
    let f = fixture(false).await;
    let cert = cert(&f.ca, ISS);
    let client_id = f.registered(&cert, &["client_credentials"]).await;

    let b = browser();
    let signup = f.app.url("/account/signup");
    let html = b.get(&signup).send().await.unwrap().text().await.unwrap();
    let csrf = hidden(&html, "csrf");
    let password = "correct horse battery";
    let r = b
        .post(&signup)
        .form(&[
            ("csrf", csrf.as_str()),
            ("email", "udap-viewer@example.com"),
            ("name", "Viewer"),
            ("organization", ""),
            ("password", password),
            ("password_again", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let apps = || async {
        let r = b.get(f.app.url("/apps")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.text().await.unwrap()
    };
    let html = apps().await;
    let listed = &html[html.find("id=\"udap-apps\"").unwrap()..];
    assert!(listed.contains(&client_id), "{listed}");
    assert!(listed.contains(ISS), "{listed}");
    assert!(listed.contains("client_credentials"), "{listed}");

    let cancel = signed(&cert, &f.ca, &f.statement_claims(ISS, &[]));
    let (status, body) = f.register(&cancel).await;
    assert_eq!(status, 200, "{body}");
    let html = apps().await;
    let listed = &html[html.find("id=\"udap-apps\"").unwrap()..];
    assert!(!listed.contains(&client_id), "{listed}");
}
