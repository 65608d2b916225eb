//! The SMART App Launch flow end to end over HTTP, and every way it must refuse.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::Value;

use crate::flow::*;
use crate::helpers::TestApp;

const CARIN_SCOPES: &str = "launch/patient openid fhirUser offline_access patient/*.rs";

/// Exactly what the Inferno CARIN kit (c4bb_v200) requests: no RelatedPerson scope.
const CARIN_KIT_SCOPES: &str = "launch/patient openid fhirUser patient/ExplanationOfBenefit.read \
     patient/Coverage.read patient/Patient.read patient/Organization.read \
     patient/Practitioner.read user/ExplanationOfBenefit.read user/Coverage.read \
     user/Patient.read user/Organization.read user/Practitioner.read";

fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("no {key} in {v}"))
}

#[tokio::test]
async fn discovery_documents_agree_and_name_what_carin_requires() {
    let app = TestApp::shared_secured();
    let smart = app
        .get_json("/v2/fhir/.well-known/smart-configuration")
        .await;
    for cap in [
        "launch-standalone",
        "client-public",
        "client-confidential-symmetric",
        "sso-openid-connect",
        "context-standalone-patient",
        "permission-offline",
        "permission-patient",
        "permission-user",
    ] {
        assert!(
            smart["capabilities"]
                .as_array()
                .unwrap()
                .contains(&cap.into()),
            "{cap}"
        );
    }
    assert_eq!(
        smart["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let scopes = smart["scopes_supported"].as_array().unwrap();
    for ty in [
        "ExplanationOfBenefit",
        "Coverage",
        "Patient",
        "Organization",
        "Practitioner",
    ] {
        for ctx in ["patient", "user"] {
            assert!(
                scopes.contains(&format!("{ctx}/{ty}.read").into()),
                "{ctx}/{ty}"
            );
        }
    }
    assert_eq!(
        smart,
        app.get_json("/.well-known/smart-configuration").await
    );

    // The CapabilityStatement lists exactly the same OAuth endpoints.
    let cs = app.get_json("/v2/fhir/metadata").await;
    let security = &cs["rest"][0]["security"];
    assert_eq!(security["service"][0]["coding"][0]["code"], "SMART-on-FHIR");
    let uris = security["extension"][0]["extension"].as_array().unwrap();
    let uri = |name: &str| {
        uris.iter()
            .find(|e| e["url"] == name)
            .map(|e| e["valueUri"].clone())
            .unwrap_or(Value::Null)
    };
    assert_eq!(uri("authorize"), smart["authorization_endpoint"]);
    assert_eq!(uri("token"), smart["token_endpoint"]);
    assert_eq!(uri("introspect"), smart["introspection_endpoint"]);
    assert_eq!(uri("revoke"), smart["revocation_endpoint"]);
    assert_eq!(uri("manage"), smart["management_endpoint"]);
    assert_eq!(uri("register"), Value::Null);
    assert!(smart.get("registration_endpoint").is_none());

    // OpenID Connect discovery under the issuer, and a usable RSA key.
    let issuer = str_field(&smart, "issuer");
    let path = issuer.strip_prefix(&app.url("")).unwrap();
    let oidc = app
        .get_json(&format!("{path}/.well-known/openid-configuration"))
        .await;
    assert_eq!(oidc["issuer"], issuer);
    assert!(oidc["id_token_signing_alg_values_supported"]
        .as_array()
        .unwrap()
        .contains(&"RS256".into()));
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "response_types_supported",
        "subject_types_supported",
    ] {
        assert!(!oidc[key].is_null(), "{key}");
    }
    let jwks = app.get_json("/.well-known/jwks.json").await;
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    assert_eq!(jwks["keys"][0]["alg"], "RS256");
}

#[tokio::test]
async fn discovery_token_and_fhir_answer_cross_origin_requests() {
    let app = TestApp::shared_secured();
    for path in [
        "/v2/fhir/.well-known/smart-configuration",
        "/v2/fhir/metadata",
    ] {
        let response = app
            .client
            .get(app.url(path))
            .header("Origin", "https://app.example")
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}"
        );
    }
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v2/o/token"))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
}

/// Verifies an id_token's RS256 signature against the server's JWKS and returns its claims.
async fn verified_claims(app: &TestApp, jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    let header: Value = serde_json::from_slice(&B64.decode(parts[0]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    let jwks = app.get_json("/.well-known/jwks.json").await;
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == header["kid"])
        .expect("the id_token's kid is in the JWKS");
    let n = B64.decode(key["n"].as_str().unwrap()).unwrap();
    let e = B64.decode(key["e"].as_str().unwrap()).unwrap();
    let public = aws_lc_rs::signature::RsaPublicKeyComponents { n: &n, e: &e };
    public
        .verify(
            &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
            format!("{}.{}", parts[0], parts[1]).as_bytes(),
            &B64.decode(parts[2]).unwrap(),
        )
        .expect("the signature verifies");
    serde_json::from_slice(&B64.decode(parts[1]).unwrap()).unwrap()
}

#[tokio::test]
async fn standalone_launch_to_fhir_refresh_revoke() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).set("nonce", "n-123");
    let done = code_for(&app, &launch, 1, true).await;
    assert_eq!(
        done.param("state").as_deref(),
        Some("state-0123456789abcdef")
    );
    assert!(done.location.as_deref().unwrap().starts_with(REDIRECT));
    let code = done.param("code").unwrap();
    assert!(code
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));

    let (status, headers, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &launch.pkce.verifier),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    assert!(headers["pragma"].to_str().unwrap().contains("no-cache"));
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["patient"], "M00001");
    assert_eq!(body["scope"], CARIN_SCOPES);
    let access = str_field(&body, "access_token").to_string();
    let refresh = str_field(&body, "refresh_token").to_string();

    let claims = verified_claims(&app, str_field(&body, "id_token")).await;
    assert_eq!(claims["aud"], CONFIDENTIAL.0);
    assert_eq!(claims["sub"], "M00001");
    assert_eq!(claims["nonce"], "n-123");
    assert_eq!(claims["iss"], app.url("/v2/fhir"));
    assert_eq!(claims["fhirUser"], app.url("/v2/fhir/Patient/M00001"));
    assert!(claims["exp"].as_i64().unwrap() > claims["iat"].as_i64().unwrap());

    // The fhirUser resource is readable with the token; searches see only M00001's data.
    let (status, patient) = fhir_get(&app, &access, "/v2/fhir/Patient/M00001").await;
    assert_eq!((status, patient["id"].as_str()), (200, Some("M00001")));
    let (status, bundle) = fhir_get(&app, &access, "/v2/fhir/ExplanationOfBenefit").await;
    assert_eq!(status, 200);
    let entries = bundle["entry"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        assert_eq!(e["resource"]["patient"]["reference"], "Patient/M00001");
    }

    // Refresh rotates; the new access token works.
    let (status, headers, refreshed) = token_call(
        &app,
        "/v2/o/token",
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert!(headers["cache-control"]
        .to_str()
        .unwrap()
        .contains("no-store"));
    let new_access = str_field(&refreshed, "access_token").to_string();
    assert_ne!(new_access, access);
    assert_ne!(str_field(&refreshed, "refresh_token"), refresh);
    assert_eq!(
        fhir_get(&app, &new_access, "/v2/fhir/Coverage").await.0,
        200
    );

    // Revocation takes effect on the next request.
    let (status, _, _) = token_call(
        &app,
        "/v2/o/revoke_token",
        &[("token", &new_access)],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200);
    let response = reqwest::Client::new()
        .get(app.url("/v2/fhir/ExplanationOfBenefit"))
        .bearer_auth(&new_access)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(
        response.headers()["www-authenticate"],
        r#"Bearer error="invalid_token""#
    );
    let outcome: Value = response.json().await.unwrap();
    assert_eq!(outcome["resourceType"], "OperationOutcome");
}

#[tokio::test]
async fn requests_without_a_valid_token_get_401() {
    let app = TestApp::shared_secured();
    let (status, body) = app.get("/v2/fhir/Patient/M00001").await;
    assert_eq!(status, 401);
    assert_eq!(body["resourceType"], "OperationOutcome");
    let (status, _) = fhir_get(&app, "forged-token-value", "/v2/fhir/ExplanationOfBenefit").await;
    assert_eq!(status, 401);
    // A refresh token is not an access token.
    let t = tokens(&app, CARIN_SCOPES, 2).await;
    let (status, _) = fhir_get(&app, str_field(&t, "refresh_token"), "/v2/fhir/Coverage").await;
    assert_eq!(status, 401);
    // The discovery documents and the CapabilityStatement need no token.
    assert_eq!(app.get("/v2/fhir/metadata").await.0, 200);
}

/// Every FHIR interaction takes its caller's access from one extractor, so none can skip the
/// token check: each answers 401 with the challenge header and an OperationOutcome, before
/// it looks at the type, the id or the search parameters.
#[tokio::test]
async fn every_fhir_interaction_is_guarded() {
    let app = TestApp::shared_secured();
    let client = reqwest::Client::new();
    let requests = [
        client.get(app.url("/v2/fhir/Patient/M00001")),
        client.get(app.url("/v2/fhir/Patient/M00001/_history/1")),
        client.get(app.url("/v2/fhir/ExplanationOfBenefit?patient=M00001")),
        client
            .post(app.url("/v2/fhir/ExplanationOfBenefit/_search"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("patient=M00001"),
        client.get(app.url("/v2/fhir/Claim/x")),
        client.get(app.url("/v2/fhir/ExplanationOfBenefit?_count=5000")),
    ];
    for request in requests {
        for token in [None, Some("forged-token-value")] {
            let request = request.try_clone().unwrap();
            let request = match token {
                Some(t) => request.bearer_auth(t),
                None => request,
            };
            let response = request.send().await.unwrap();
            let url = response.url().to_string();
            assert_eq!(response.status(), 401, "{url} {token:?}");
            assert_eq!(
                response.headers()["www-authenticate"],
                r#"Bearer error="invalid_token""#,
                "{url}"
            );
            let outcome: Value = response.json().await.unwrap();
            assert_eq!(outcome["issue"][0]["code"], "login", "{url}");
        }
    }
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    let app = TestApp::shared_secured();
    let browser = browser();
    // No challenge, and the plain method: refused at the redirect URI, no code.
    for launch in [
        Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).without("code_challenge"),
        Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).set("code_challenge_method", "plain"),
        Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).without("code_challenge_method"),
    ] {
        let refused = authorize(&app, &browser, &launch).await;
        assert_eq!(refused.status, 303);
        assert_eq!(refused.param("error").as_deref(), Some("invalid_request"));
        assert_eq!(
            refused.param("state").as_deref(),
            Some("state-0123456789abcdef")
        );
        assert!(refused.param("code").is_none());
    }
    // A wrong verifier, a missing one, and the challenge itself ("plain") are refused.
    for verifier in [Some("x".repeat(64)), None, Some(String::new())] {
        let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
        let code = code_for(&app, &launch, 3, true)
            .await
            .param("code")
            .unwrap();
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        if let Some(v) = &verifier {
            form.push(("code_verifier", v));
        }
        let (status, _, body) = token_call(&app, "/v2/o/token", &form, Some(CONFIDENTIAL)).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
    }
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let code = code_for(&app, &launch, 3, true)
        .await
        .param("code")
        .unwrap();
    let (status, body) = exchange(&app, &code, &launch.pkce.challenge).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let code = code_for(&app, &launch, 4, true)
        .await
        .param("code")
        .unwrap();
    let (status, first) = exchange(&app, &code, &launch.pkce.verifier).await;
    assert_eq!(status, 200);
    let access = str_field(&first, "access_token");
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 200);
    let (status, replay) = exchange(&app, &code, &launch.pkce.verifier).await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 401);
    let (status, _, _) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&first, "refresh_token")),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn untrusted_redirects_and_audiences_never_get_a_code() {
    let app = TestApp::shared_secured();
    let browser = browser();
    // An unregistered redirect URI: an error page, never a redirect.
    for uri in [
        "https://evil.example/callback",
        "http://127.0.0.1:7777/other",
        "http://127.0.0.1:7777/callback#frag",
    ] {
        let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).set("redirect_uri", uri);
        let page = authorize(&app, &browser, &launch).await;
        assert_eq!(page.status, 400, "{uri}");
        assert!(page.location.is_none());
        assert!(page.body.contains("not registered"), "{}", page.body);
    }
    // An unknown app: an error page.
    let launch = Launch::new(&app, "no-such-app", CARIN_SCOPES);
    let page = authorize(&app, &browser, &launch).await;
    assert_eq!((page.status, page.location.is_none()), (400, true));
    // A bad aud: an error at the app, no code.
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES)
        .set("aud", "https://inferno.healthit.gov/invalid_aud");
    let refused = authorize(&app, &browser, &launch).await;
    assert_eq!(refused.status, 303);
    assert!(refused.param("code").is_none());
    assert_eq!(refused.param("error").as_deref(), Some("invalid_request"));
    // Missing state.
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).without("state");
    let refused = authorize(&app, &browser, &launch).await;
    assert_eq!(refused.param("error").as_deref(), Some("invalid_request"));
    // A redirect_uri at the token endpoint that differs from the authorization request.
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let code = code_for(&app, &launch, 5, true)
        .await
        .param("code")
        .unwrap();
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", "http://127.0.0.1:7778/callback"),
            ("code_verifier", &launch.pkce.verifier),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn tokens_expire_with_the_clock_and_codes_after_60_seconds() {
    let app = TestApp::spawn(true, false).await;
    let clock = app.clock.clone().unwrap();
    let t = tokens(&app, CARIN_SCOPES, 1).await;
    let access = str_field(&t, "access_token");
    assert_eq!(
        fhir_get(&app, access, "/v2/fhir/Patient/M00001").await.0,
        200
    );
    clock.advance(time::Duration::seconds(3601));
    let (status, outcome) = fhir_get(&app, access, "/v2/fhir/Patient/M00001").await;
    assert_eq!(status, 401);
    assert!(outcome.to_string().contains("expired"), "{outcome}");
    // The refresh token still works after the access token expired.
    let (status, _, refreshed) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&t, "refresh_token")),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_eq!(
        fhir_get(
            &app,
            str_field(&refreshed, "access_token"),
            "/v2/fhir/Coverage"
        )
        .await
        .0,
        200
    );

    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let code = code_for(&app, &launch, 1, true)
        .await
        .param("code")
        .unwrap();
    clock.advance(time::Duration::seconds(61));
    let (status, body) = exchange(&app, &code, &launch.pkce.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_reused_refresh_token_fails_and_revokes_the_family() {
    let app = TestApp::shared_secured();
    let t = tokens(&app, CARIN_SCOPES, 6).await;
    let old = str_field(&t, "refresh_token");
    let form = [("grant_type", "refresh_token"), ("refresh_token", old)];
    let (status, _, fresh) = token_call(&app, "/v2/o/token", &form, Some(CONFIDENTIAL)).await;
    assert_eq!(status, 200);
    let (status, _, body) = token_call(&app, "/v2/o/token", &form, Some(CONFIDENTIAL)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    // Everything issued under that authorization is dead now.
    assert_eq!(
        fhir_get(&app, str_field(&fresh, "access_token"), "/v2/fhir/Coverage")
            .await
            .0,
        401
    );
    let (status, _, _) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&fresh, "refresh_token")),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 400);
    // A refresh may narrow the scopes, never widen them.
    let t = tokens(
        &app,
        "launch/patient offline_access patient/ExplanationOfBenefit.rs",
        6,
    )
    .await;
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&t, "refresh_token")),
            ("scope", "patient/Coverage.rs"),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_scope"))
    );
}

#[tokio::test]
async fn scopes_limit_resource_types() {
    let app = TestApp::shared_secured();
    let t = tokens(&app, "openid fhirUser patient/ExplanationOfBenefit.read", 7).await;
    assert_eq!(
        t["scope"],
        "openid fhirUser patient/ExplanationOfBenefit.read"
    );
    assert!(
        t.get("refresh_token").is_none(),
        "no offline_access, no refresh token"
    );
    let access = str_field(&t, "access_token");
    assert_eq!(
        fhir_get(&app, access, "/v2/fhir/ExplanationOfBenefit")
            .await
            .0,
        200
    );
    let (status, outcome) = fhir_get(&app, access, "/v2/fhir/Coverage").await;
    assert_eq!(
        (status, outcome["resourceType"].as_str()),
        (403, Some("OperationOutcome"))
    );
    let (_, bundle) = fhir_get(&app, access, "/v2/fhir/ExplanationOfBenefit?_count=1").await;
    let eob_id = str_field(&bundle["entry"][0]["resource"], "id").to_string();
    let coverage = bundle["entry"][0]["resource"]["insurance"][0]["coverage"]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        fhir_get(&app, access, &format!("/v2/fhir/{coverage}"))
            .await
            .0,
        403
    );
    // Included resources obey the scopes too: no Coverage, no Patient comes back.
    let (_, bundle) = fhir_get(
        &app,
        access,
        &format!("/v2/fhir/ExplanationOfBenefit?_id={eob_id}&_include=ExplanationOfBenefit:*"),
    )
    .await;
    for e in bundle["entry"].as_array().unwrap() {
        assert_eq!(e["resource"]["resourceType"], "ExplanationOfBenefit");
    }
    // v2 syntax: search without read.
    let t = tokens(&app, "patient/Coverage.s", 7).await;
    let access = str_field(&t, "access_token");
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 200);
    assert_eq!(
        fhir_get(&app, access, &format!("/v2/fhir/{coverage}"))
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn another_patients_data_is_invisible() {
    let app = TestApp::shared_secured();
    let mine = tokens(&app, CARIN_SCOPES, 8).await;
    let theirs = tokens(&app, CARIN_SCOPES, 9).await;
    let (_, their_eobs) = fhir_get(
        &app,
        str_field(&theirs, "access_token"),
        "/v2/fhir/ExplanationOfBenefit?_count=1",
    )
    .await;
    let their_eob = str_field(&their_eobs["entry"][0]["resource"], "id").to_string();
    let access = str_field(&mine, "access_token");
    assert_eq!(mine["patient"], "M00008");

    let (status, _) = fhir_get(
        &app,
        access,
        &format!("/v2/fhir/ExplanationOfBenefit/{their_eob}"),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = fhir_get(
        &app,
        access,
        &format!("/v2/fhir/ExplanationOfBenefit/{their_eob}/_history/1"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        fhir_get(&app, access, "/v2/fhir/Patient/M00009").await.0,
        404
    );
    for query in [
        "/v2/fhir/ExplanationOfBenefit?patient=M00009",
        "/v2/fhir/ExplanationOfBenefit?patient=Patient/M00009",
        "/v2/fhir/ExplanationOfBenefit?_id=".to_string().as_str(),
        "/v2/fhir/Coverage?beneficiary=M00009",
        "/v2/fhir/Patient?_id=M00009",
    ] {
        let (status, bundle) = fhir_get(&app, access, query).await;
        if query.ends_with("_id=") {
            continue; // an empty _id is a parameter error, not a leak
        }
        assert_eq!(
            (status, bundle["total"].as_u64()),
            (200, Some(0)),
            "{query}"
        );
    }
    let (_, bundle) = fhir_get(
        &app,
        access,
        &format!("/v2/fhir/ExplanationOfBenefit?_id={their_eob}"),
    )
    .await;
    assert_eq!(bundle["total"], 0);
    // Everything a search returns, includes included, is M00008's.
    let (_, bundle) = fhir_get(
        &app,
        access,
        "/v2/fhir/ExplanationOfBenefit?_include=ExplanationOfBenefit:*&_include:iterate=Coverage:payor",
    )
    .await;
    for e in bundle["entry"].as_array().unwrap() {
        let r = &e["resource"];
        match r["resourceType"].as_str().unwrap() {
            "ExplanationOfBenefit" => assert_eq!(r["patient"]["reference"], "Patient/M00008"),
            "Coverage" => assert_eq!(r["beneficiary"]["reference"], "Patient/M00008"),
            "Patient" => assert_eq!(r["id"], "M00008"),
            _ => {}
        }
    }
    let (_, patients) = fhir_get(&app, access, "/v2/fhir/Patient").await;
    assert_eq!(patients["total"], 1);
}

#[tokio::test]
async fn deny_and_withheld_demographics() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let browser = browser();
    let page = authorize(&app, &browser, &launch).await;
    let consent_page = sign_in(&app, &browser, &page.body, "BBUser00010", "PW00010!").await;
    assert!(consent_page.body.contains("TestApp (confidential)"));
    let denied = consent(&app, &browser, &consent_page.body, "deny", true).await;
    assert_eq!(denied.param("error").as_deref(), Some("access_denied"));
    assert_eq!(
        denied.param("state").as_deref(),
        Some("state-0123456789abcdef")
    );
    assert!(denied.param("code").is_none());

    let launch = Launch::new(&app, CONFIDENTIAL.0, "openid fhirUser profile patient/*.rs");
    let done = code_for(&app, &launch, 10, false).await;
    let (status, t) = exchange(&app, &done.param("code").unwrap(), &launch.pkce.verifier).await;
    assert_eq!(status, 200);
    let scope = str_field(&t, "scope");
    assert!(
        !scope.contains("Patient.") && !scope.contains("profile") && !scope.contains("/*."),
        "{scope}"
    );
    let access = str_field(&t, "access_token");
    assert_eq!(
        fhir_get(&app, access, "/v2/fhir/Patient/M00010").await.0,
        403
    );
    assert_eq!(
        fhir_get(&app, access, "/v2/fhir/ExplanationOfBenefit")
            .await
            .0,
        200
    );
    // Userinfo still says who signed in (openid), without the withheld name.
    let (status, info) = fhir_get(&app, access, "/v2/connect/userinfo").await;
    assert_eq!((status, &info["sub"]), (200, &Value::from("M00010")));
    assert!(
        info.get("name").is_none() && info.get("family_name").is_none(),
        "{info}"
    );
}

#[tokio::test]
async fn withheld_demographics_withhold_related_persons() {
    // BBUser00000's claims name a related person (RP00000-1) as payee. However the app asked
    // (the kit's scopes, a wildcard, RelatedPerson by name), unticking "share my demographics"
    // withholds it.
    let app = TestApp::shared_secured();
    for scopes in [
        CARIN_KIT_SCOPES,
        CARIN_SCOPES,
        "openid patient/ExplanationOfBenefit.rs patient/RelatedPerson.rs",
    ] {
        let t = tokens_sharing(&app, scopes, 0, false).await;
        let access = str_field(&t, "access_token");
        let granted = str_field(&t, "scope");
        assert!(
            !granted.contains("Patient.") && !granted.contains("RelatedPerson."),
            "{granted}"
        );
        let (status, outcome) = fhir_get(&app, access, "/v2/fhir/RelatedPerson/RP00000-1").await;
        assert_eq!(
            (status, outcome["resourceType"].as_str()),
            (403, Some("OperationOutcome")),
            "{scopes}"
        );
        assert_eq!(
            fhir_get(&app, access, "/v2/fhir/RelatedPerson").await.0,
            403,
            "{scopes}"
        );
        // Nor does it come back included with the claims that name it as payee.
        for include in ["ExplanationOfBenefit:payee", "ExplanationOfBenefit:*"] {
            let (status, bundle) = fhir_get(
                &app,
                access,
                &format!("/v2/fhir/ExplanationOfBenefit?patient=M00000&_include={include}"),
            )
            .await;
            assert_eq!(status, 200);
            let entries = bundle["entry"].as_array().unwrap();
            assert!(
                entries
                    .iter()
                    .any(|e| e["resource"]["payee"]["party"]["reference"]
                        == "RelatedPerson/RP00000-1"),
                "the payee claim is in the page"
            );
            for e in entries {
                let ty = e["resource"]["resourceType"].as_str().unwrap();
                assert!(
                    !matches!(ty, "RelatedPerson" | "Patient"),
                    "{scopes} {include}: {ty}"
                );
            }
        }
        // Shared, the same request sees them (the control for the refusals above).
        let t = tokens_sharing(&app, scopes, 0, true).await;
        let access = str_field(&t, "access_token");
        assert_eq!(
            fhir_get(&app, access, "/v2/fhir/RelatedPerson/RP00000-1")
                .await
                .0,
            200,
            "{scopes}"
        );
        let (_, bundle) = fhir_get(
            &app,
            access,
            "/v2/fhir/ExplanationOfBenefit?patient=M00000&_include=ExplanationOfBenefit:payee",
        )
        .await;
        assert!(
            bundle["entry"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["resource"]["id"] == "RP00000-1"),
            "{scopes}"
        );
    }
}

#[tokio::test]
async fn sign_in_failures_and_csrf() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let browser = browser();
    let page = authorize(&app, &browser, &launch).await;
    let wrong = sign_in(&app, &browser, &page.body, "BBUser00001", "PW00002!").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("do not match"));
    let missing = sign_in(&app, &browser, &page.body, "BBUser99999", "PW99999!").await;
    assert_eq!(
        missing.status, 401,
        "a login for a member not in the data set"
    );
    // Another browser (no CSRF cookie) cannot post this page's form.
    let other = sign_in(
        &app,
        &self::browser(),
        &page.body,
        "BBUser00001",
        "PW00001!",
    )
    .await;
    assert_eq!(other.status, 403);
    // A tampered sealed request is refused.
    let tampered = page.body.replace(
        &hidden(&page.body, "request"),
        "eyJ0YW1wZXJlZCI6dHJ1ZX0.AAAA",
    );
    let refused = sign_in(&app, &browser, &tampered, "BBUser00001", "PW00001!").await;
    assert_eq!(refused.status, 400);
    // Pages carry the anti-framing headers.
    let response = browser
        .get(app.url("/v2/o/authorize"))
        .query(&launch.params)
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn public_clients_multipart_bodies_and_introspection() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, PUBLIC, CARIN_SCOPES);
    let code = code_for(&app, &launch, 11, true)
        .await
        .param("code")
        .unwrap();
    // cms-bluebutton-sdk style: multipart/form-data, and a stale Bearer header that must be
    // ignored.
    let form = reqwest::multipart::Form::new()
        .text("grant_type", "authorization_code")
        .text("code", code)
        .text("redirect_uri", REDIRECT)
        .text("code_verifier", launch.pkce.verifier.clone())
        .text("client_id", PUBLIC);
    let response = reqwest::Client::new()
        .post(app.url("/v2/o/token/"))
        .bearer_auth("stale-token")
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let t: Value = response.json().await.unwrap();
    // A public app refreshes without naming itself (npm fhirclient).
    let (status, _, refreshed) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&t, "refresh_token")),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    // A confidential app cannot skip its secret.
    let c = tokens(&app, CARIN_SCOPES, 11).await;
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&c, "refresh_token")),
            ("client_id", CONFIDENTIAL.0),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", str_field(&c, "refresh_token")),
        ],
        Some((CONFIDENTIAL.0, "wrong-secret")),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );

    // Introspection: the same scopes as issued; inactive is exactly {"active":false}.
    let access = str_field(&refreshed, "access_token");
    let (status, _, active) = token_call(
        &app,
        "/v2/o/introspect",
        &[("token", access)],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(active["active"], true);
    assert_eq!(active["scope"], refreshed["scope"]);
    assert_eq!(active["client_id"], PUBLIC);
    assert_eq!(active["patient"], "M00011");
    for token in ["invalid_token_value", str_field(&t, "refresh_token")] {
        let (status, _, inactive) = token_call(
            &app,
            "/v2/o/introspect",
            &[("token", token)],
            Some(CONFIDENTIAL),
        )
        .await;
        assert_eq!(
            (status, inactive),
            (200, serde_json::json!({"active": false}))
        );
    }
    let (status, _, _) = token_call(&app, "/v2/o/introspect", &[("token", access)], None).await;
    assert_eq!(status, 401);
    // Unknown grant types and codes are 400s.
    let (status, _, body) = token_call(
        &app,
        "/v2/o/token",
        &[("grant_type", "not_a_grant_type")],
        Some(CONFIDENTIAL),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );
    let (status, body) = exchange(&app, "BAD_CODE", &launch.pkce.verifier).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn patient_read_opens_related_persons_and_nothing_else() {
    let app = TestApp::shared_secured();
    let t = tokens(&app, "patient/Patient.read", 1).await;
    let access = str_field(&t, "access_token");
    let (status, bundle) = fhir_get(&app, access, "/v2/fhir/RelatedPerson").await;
    assert_eq!((status, &bundle["total"]), (200, &Value::from(1)));
    for path in [
        "/v2/fhir/Organization",
        "/v2/fhir/Practitioner",
        "/v2/fhir/Coverage",
        "/v2/fhir/ExplanationOfBenefit",
    ] {
        assert_eq!(fhir_get(&app, access, path).await.0, 403, "{path}");
    }
}

#[tokio::test]
async fn userinfo_answers_openid_and_adds_names_with_profile() {
    let app = TestApp::shared_secured();
    let t = tokens(&app, "openid fhirUser patient/Patient.read", 14).await;
    let (status, info) =
        fhir_get(&app, str_field(&t, "access_token"), "/v2/connect/userinfo").await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], "M00014");
    assert_eq!(
        info["fhirUser"],
        format!("{}/Patient/M00014", app.url("/v2/fhir"))
    );
    assert!(info.get("name").is_none(), "no profile scope: {info}");
    // openid alone: sub, no fhirUser.
    let t = tokens(&app, "openid patient/Patient.read", 14).await;
    let (status, info) =
        fhir_get(&app, str_field(&t, "access_token"), "/v2/connect/userinfo").await;
    assert_eq!((status, &info["sub"]), (200, &Value::from("M00014")));
    assert!(info.get("fhirUser").is_none(), "{info}");
    // With profile, the names.
    let t = tokens(&app, "openid fhirUser profile", 14).await;
    let (_, info) = fhir_get(&app, str_field(&t, "access_token"), "/v2/connect/userinfo").await;
    assert!(
        info["family_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{info}"
    );
    assert!(
        info["given_name"].as_str().is_some_and(|n| !n.is_empty()),
        "{info}"
    );
    // No OpenID request at all: not a userinfo token.
    let t = tokens(&app, "patient/Patient.read", 14).await;
    let (status, body) =
        fhir_get(&app, str_field(&t, "access_token"), "/v2/connect/userinfo").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
}

#[tokio::test]
async fn userinfo_names_the_beneficiary() {
    let app = TestApp::shared_secured();
    let t = tokens(&app, "openid fhirUser profile patient/*.rs", 12).await;
    let (status, info) =
        fhir_get(&app, str_field(&t, "access_token"), "/v2/connect/userinfo").await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], "M00012");
    assert!(info["name"].as_str().is_some_and(|n| !n.is_empty()));
    assert_eq!(fhir_get(&app, "nope", "/v2/connect/userinfo").await.0, 401);
}

#[tokio::test]
async fn authorize_by_post_and_the_patient_picker_still_asks_for_the_password() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let browser = browser();
    let response = browser
        .post(app.url("/v2/o/authorize"))
        .form(&launch.params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(
        page.contains(r#"name="pick" value="BBUser00013""#),
        "the picker lists beneficiaries"
    );
    let post = |form: Vec<(&'static str, String)>| {
        let browser = browser.clone();
        let url = app.url("/v2/o/authorize/login");
        async move {
            let r = browser.post(url).form(&form).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // Picking fills in the login and asks for the password: no session, no consent page.
    let (status, filled) = post(vec![
        ("request", hidden(&page, "request")),
        ("csrf", hidden(&page, "csrf")),
        ("pick", "BBUser00013".to_string()),
    ])
    .await;
    assert_eq!(status, 200);
    assert!(
        filled.contains(r#"placeholder="BBUser00001" value="BBUser00013""#),
        "the username field is filled in: {filled}"
    );
    assert!(!filled.contains("/v2/o/authorize/consent"));
    // The old picker form (a patient id, no password) signs nobody in.
    let (status, refused) = post(vec![
        ("request", hidden(&page, "request")),
        ("csrf", hidden(&page, "csrf")),
        ("patient", "M00013".to_string()),
        ("username", "BBUser00013".to_string()),
    ])
    .await;
    assert_eq!(status, 401, "{refused}");
    let consent_page = sign_in(&app, &browser, &filled, "BBUser00013", "PW00013!").await;
    assert_eq!(consent_page.status, 200);
    let consent_page = consent_page.body;
    assert!(consent_page.contains("BBUser00013"));
    let done = consent(&app, &browser, &consent_page, "allow", true).await;
    let (status, t) = exchange(&app, &done.param("code").unwrap(), &launch.pkce.verifier).await;
    assert_eq!((status, t["patient"].as_str()), (200, Some("M00013")));
}

#[tokio::test]
async fn https_with_a_self_signed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let config = carin_sandbox::app::ServeConfig {
        load_seed: false,
        tls: Some(carin_sandbox::http::tls::TlsSource::SelfSigned),
        ..carin_sandbox::app::ServeConfig::new(dir.path())
    };
    let app = carin_sandbox::app::Application::build(config).unwrap();
    let addr = app.addrs()[0];
    let cert = std::fs::read(app.tls_certificate.clone().unwrap()).unwrap();
    tokio::spawn(app.run());
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&cert).unwrap())
        .build()
        .unwrap();
    let smart: Value = client
        .get(format!(
            "https://{addr}/v2/fhir/.well-known/smart-configuration"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        smart["token_endpoint"],
        format!("https://{addr}/v2/o/token"),
        "endpoints follow the scheme"
    );
    // Plain HTTP on the TLS port gets no answer.
    assert!(reqwest::get(format!("http://{addr}/health")).await.is_err());
}

/// `Type/id` of the first reference at `pick` among `eobs` whose type is `ty`.
fn first_reference(eobs: &[Value], ty: &str, pick: impl Fn(&Value) -> Vec<&Value>) -> String {
    eobs.iter()
        .flat_map(pick)
        .filter_map(|r| r["reference"].as_str())
        .find(|r| r.starts_with(&format!("{ty}/")))
        .unwrap_or_else(|| panic!("no {ty} reference"))
        .to_string()
}

#[tokio::test]
async fn the_carin_kit_scopes_read_everything_the_kit_reads() {
    let app = TestApp::shared_secured();
    let t = tokens(&app, CARIN_KIT_SCOPES, 1).await;
    // Granted as asked (the kit checks each scope).
    assert_eq!(
        ScopeList::of(str_field(&t, "scope")),
        ScopeList::of(CARIN_KIT_SCOPES)
    );
    assert_eq!(t["patient"], "M00001");
    let access = str_field(&t, "access_token");
    let get = |path: String| {
        let app = &app;
        async move {
            let (status, body) = fhir_get(app, access, &path).await;
            assert_eq!(status, 200, "{path}: {body}");
            body
        }
    };
    let patient = get("/v2/fhir/Patient/M00001".into()).await;
    assert_eq!(patient["id"], "M00001");
    let bundle = get("/v2/fhir/ExplanationOfBenefit?patient=M00001".into()).await;
    let eobs: Vec<Value> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"].clone())
        .collect();
    assert!(!eobs.is_empty());
    let payee = first_reference(&eobs, "RelatedPerson", |e| vec![&e["payee"]["party"]]);
    let coverage = first_reference(&eobs, "Coverage", |e| {
        e["insurance"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| &i["coverage"])
            .collect()
    });
    let organization = first_reference(&eobs, "Organization", |e| vec![&e["insurer"]]);
    let practitioner = first_reference(&eobs, "Practitioner", |e| {
        e["careTeam"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| &c["provider"])
            .collect()
    });
    for (reference, ty) in [
        (&payee, "RelatedPerson"),
        (&coverage, "Coverage"),
        (&organization, "Organization"),
        (&practitioner, "Practitioner"),
    ] {
        let resource = get(format!("/v2/fhir/{reference}")).await;
        assert_eq!(resource["resourceType"], ty);
    }
    let related = get(format!("/v2/fhir/{payee}")).await;
    assert_eq!(related["patient"]["reference"], "Patient/M00001");
    // The kit's RelatedPerson searches, limited to the patient's own.
    let id = payee.trim_start_matches("RelatedPerson/");
    let found = get(format!("/v2/fhir/RelatedPerson?_id={id}")).await;
    assert_eq!(found["total"], 1);
    // Still the patient's own only: another member's related person does not exist for it.
    assert_eq!(
        fhir_get(&app, access, "/v2/fhir/RelatedPerson/RP00000-1")
            .await
            .0,
        404
    );
    let all = get("/v2/fhir/RelatedPerson".into()).await;
    for e in all["entry"].as_array().unwrap() {
        assert_eq!(e["resource"]["patient"]["reference"], "Patient/M00001");
    }
}

/// A scope string as a set, for comparing grants regardless of order.
#[derive(Debug, PartialEq)]
struct ScopeList(std::collections::BTreeSet<String>);

impl ScopeList {
    fn of(scopes: &str) -> Self {
        Self(scopes.split_whitespace().map(str::to_string).collect())
    }
}

#[tokio::test]
async fn the_token_request_must_repeat_the_authorize_requests_redirect_uri() {
    let app = TestApp::shared_secured();
    let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    let code = code_for(&app, &launch, 14, true)
        .await
        .param("code")
        .unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("code_verifier", launch.pkce.verifier.as_str()),
    ];
    let (status, _, body) = token_call(&app, "/v2/o/token", &form, Some(CONFIDENTIAL)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(body["error_description"]
        .as_str()
        .unwrap()
        .contains("redirect_uri is required"));
    // A differing one (even another loopback port) is refused too: see
    // untrusted_redirects_and_audiences_never_get_a_code.
}

#[tokio::test]
async fn redirect_uris_compare_as_strings_except_the_loopback_port() {
    let app = TestApp::shared_secured();
    let browser = browser();
    for uri in [
        "HTTP://127.0.0.1:7777/callback",
        "http:127.0.0.1:7777/callback",
        "http:localhost:7777/callback",
        "http://2130706433:7777/callback",
        "http://127.1:7777/callback",
        "http://localhost.:7777/callback",
        "http://127.0.0.1:7777/x/../callback",
        "http://LOCALHOST:7777/callback",
    ] {
        let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).set("redirect_uri", uri);
        let page = authorize(&app, &browser, &launch).await;
        assert_eq!((page.status, page.location), (400, None), "{uri}");
        assert!(page.body.contains("not registered"), "{uri}: {}", page.body);
    }
    for uri in [
        "http://127.0.0.1:1/callback",
        "http://localhost:65535/callback",
        "http://[::1]:8080/callback",
        "http://127.0.0.1/callback",
    ] {
        let launch = Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).set("redirect_uri", uri);
        let page = authorize(&app, &browser, &launch).await;
        assert_eq!(page.status, 200, "{uri}: {}", page.body);
    }
}

#[tokio::test]
async fn prompt_and_max_age_decide_whether_to_ask_for_the_password() {
    let app = TestApp::shared_secured();
    let browser = browser();
    let launch = || Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES);
    // Not signed in: prompt=none answers at the redirect URI at once.
    let answer = authorize(&app, &browser, &launch().set("prompt", "none")).await;
    assert_eq!(answer.status, 303);
    assert_eq!(answer.param("error").as_deref(), Some("login_required"));
    assert_eq!(
        answer.param("state").as_deref(),
        Some("state-0123456789abcdef")
    );
    assert!(answer.param("code").is_none());
    // Signed in: consent is still needed, and prompt=none cannot show it.
    let page = authorize(&app, &browser, &launch()).await;
    let consent_page = sign_in(&app, &browser, &page.body, "BBUser00015", "PW00015!").await;
    assert!(consent_page.body.contains("/v2/o/authorize/consent"));
    let answer = authorize(&app, &browser, &launch().set("prompt", "none")).await;
    assert_eq!(answer.param("error").as_deref(), Some("consent_required"));
    assert!(answer.param("code").is_none());
    // The live session goes straight to consent, unless a fresh sign-in is asked for.
    let page = authorize(&app, &browser, &launch()).await;
    assert!(
        page.body.contains("/v2/o/authorize/consent"),
        "{}",
        page.body
    );
    for (key, value) in [("prompt", "login"), ("max_age", "0")] {
        let page = authorize(&app, &browser, &launch().set(key, value)).await;
        assert_eq!(page.status, 200);
        assert!(
            page.body.contains(r#"name="password""#) && !page.body.contains("decision"),
            "{key}={value} shows the sign-in page: {}",
            page.body
        );
        let fresh = sign_in(&app, &browser, &page.body, "BBUser00015", "PW00015!").await;
        let done = consent(&app, &browser, &fresh.body, "allow", true).await;
        assert!(done.param("code").is_some(), "{key}={value}");
    }
    let page = authorize(&app, &browser, &launch().set("max_age", "3600")).await;
    assert!(
        page.body.contains("/v2/o/authorize/consent"),
        "a recent sign-in will do"
    );
    let refused = authorize(&app, &browser, &launch().set("max_age", "soon")).await;
    assert_eq!(refused.param("error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn request_objects_are_refused_at_the_redirect_uri() {
    let app = TestApp::shared_secured();
    let browser = browser();
    for (param, error) in [
        ("request", "request_not_supported"),
        ("request_uri", "request_uri_not_supported"),
    ] {
        let launch =
            Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES).set(param, "eyJhbGciOiJub25lIn0.e30.");
        let refused = authorize(&app, &browser, &launch).await;
        assert_eq!(refused.status, 303, "{param}");
        assert_eq!(refused.param("error").as_deref(), Some(error));
        assert_eq!(
            refused.param("state").as_deref(),
            Some("state-0123456789abcdef")
        );
        // No trusted redirect URI: an error page instead.
        let launch = Launch::new(&app, "no-such-app", CARIN_SCOPES).set(param, "x");
        let page = authorize(&app, &browser, &launch).await;
        assert_eq!((page.status, page.location), (400, None));
    }
}

/// A server whose budgets run out after three failures, per address and per account.
async fn tight_budgets() -> TestApp {
    use carin_sandbox::auth::throttle::{Budget, ThrottleConfig};
    let three = Budget {
        attempts: 3,
        window_secs: 60,
    };
    TestApp::spawn_with_auth(carin_sandbox::auth::AuthConfig {
        throttle: ThrottleConfig {
            per_address: three,
            per_account: Budget {
                attempts: 100,
                window_secs: 60,
            },
            max_keys: 100,
        },
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn an_address_over_its_sign_in_budget_gets_429_with_retry_after() {
    let app = tight_budgets().await;
    let browser = browser();
    let page = authorize(
        &app,
        &browser,
        &Launch::new(&app, CONFIDENTIAL.0, CARIN_SCOPES),
    )
    .await;
    // Successes cost nothing.
    for _ in 0..5 {
        let ok = sign_in(&app, &browser, &page.body, "BBUser00001", "PW00001!").await;
        assert_eq!(ok.status, 200);
    }
    for n in 0..3 {
        let wrong = sign_in(
            &app,
            &browser,
            &page.body,
            &format!("BBUser0000{n}"),
            "guess",
        )
        .await;
        assert_eq!(wrong.status, 401);
    }
    let response = browser
        .post(app.url("/v2/o/authorize/login"))
        .form(&[
            ("request", hidden(&page.body, "request")),
            ("csrf", hidden(&page.body, "csrf")),
            ("username", "BBUser00001".to_string()),
            ("password", "PW00001!".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429, "even the right password waits");
    assert_eq!(response.headers()["retry-after"], "20");
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Try again in 20 seconds"));
    app.clock
        .as_ref()
        .unwrap()
        .advance(time::Duration::seconds(20));
    let ok = sign_in(&app, &browser, &page.body, "BBUser00001", "PW00001!").await;
    assert_eq!(ok.status, 200, "the budget refills with time");
}

#[tokio::test]
async fn client_secret_guessing_is_throttled() {
    let app = tight_budgets().await;
    let guess = |secret: &'static str, path: &'static str| {
        let app = &app;
        async move {
            token_call(
                app,
                path,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", "x"),
                    ("token", "x"),
                ],
                Some((CONFIDENTIAL.0, secret)),
            )
            .await
        }
    };
    for path in ["/v2/o/token", "/v2/o/introspect", "/v2/o/revoke_token"] {
        let (status, _, body) = guess("wrong-secret", path).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client")),
            "{path}"
        );
    }
    let (status, headers, body) = guess("wrong-secret", "/v2/o/token").await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(headers["retry-after"], "20");
    assert_eq!(
        guess(CONFIDENTIAL.1, "/v2/o/introspect").await.0,
        429,
        "no secret is checked while the budget is spent"
    );
    app.clock
        .as_ref()
        .unwrap()
        .advance(time::Duration::seconds(20));
    let (status, _, body) = guess(CONFIDENTIAL.1, "/v2/o/introspect").await;
    assert_eq!((status, body), (200, serde_json::json!({"active": false})));
}
