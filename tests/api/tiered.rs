//! UDAP Tiered OAuth end to end: a SECOND sandbox instance plays the identity provider. Both
//! share one CA (written into both data directories before they start), so each trusts the
//! other's certificates: the data holder verifies the IdP's signed metadata and the IdP checks
//! the data holder's registration and client assertion. The IdP is reached as `localhost` and
//! the data holder as `127.0.0.1`, so the browser keeps their cookies apart (cookies ignore
//! ports, and both servers use the same cookie names).

use carin_sandbox::auth::users;
use carin_sandbox::udap::ca::Ca;
use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::flow::*;
use crate::helpers::TestApp;

const NOW: OffsetDateTime = datetime!(2026-01-02 03:04:05 UTC);
const SCOPES: &str = "launch/patient openid fhirUser patient/*.rs udap";

/// The data holder and the IdP, sharing one CA.
async fn pair() -> (TestApp, TestApp) {
    let mut files = None;
    let holder = TestApp::spawn_prepared(true, |dir| {
        Ca::load_or_create(dir, NOW).unwrap();
        let udap = dir.join("udap");
        files = Some((
            std::fs::read(udap.join("ca.pem")).unwrap(),
            std::fs::read(udap.join("ca-key.pem")).unwrap(),
        ));
    })
    .await;
    let (cert, key) = files.unwrap();
    let idp = TestApp::spawn_prepared(true, |dir| {
        let udap = dir.join("udap");
        std::fs::create_dir_all(udap.join("anchors")).unwrap();
        std::fs::write(udap.join("ca.pem"), &cert).unwrap();
        std::fs::write(udap.join("ca-key.pem"), &key).unwrap();
    })
    .await;
    (holder, idp)
}

/// The IdP's FHIR base under the name `localhost`.
fn idp_base(idp: &TestApp) -> String {
    format!("http://localhost:{}/v2/fhir", idp.addr.port())
}

async fn get(browser: &reqwest::Client, url: &str) -> Landing {
    landing(browser.get(url).send().await.unwrap()).await
}

async fn post(browser: &reqwest::Client, url: &str, form: &[(&str, String)]) -> Landing {
    landing(browser.post(url).form(form).send().await.unwrap()).await
}

/// The first hop: the data holder's authorization endpoint, with `idp`.
async fn start(holder: &TestApp, browser: &reqwest::Client, launch: &Launch) -> Landing {
    authorize(holder, browser, launch).await
}

/// At the IdP: sign in as BBUser{user} and answer its consent page with `decision`; the
/// redirect back to the data holder.
async fn at_the_idp(
    browser: &reqwest::Client,
    idp_authorize: &str,
    user: u32,
    decision: &str,
) -> Landing {
    let login = get(browser, idp_authorize).await;
    assert_eq!(login.status, 200, "IdP login page: {}", login.body);
    let origin = {
        let u = url::Url::parse(idp_authorize).unwrap();
        format!("http://{}:{}", u.host_str().unwrap(), u.port().unwrap())
    };
    let consent = post(
        browser,
        &format!("{origin}/v2/o/authorize/login"),
        &[
            ("request", hidden(&login.body, "request")),
            ("csrf", hidden(&login.body, "csrf")),
            ("username", format!("BBUser{user:05}")),
            ("password", format!("PW{user:05}!")),
        ],
    )
    .await;
    assert_eq!(consent.status, 200, "IdP sign-in: {}", consent.body);
    let back = post(
        browser,
        &format!("{origin}/v2/o/authorize/consent"),
        &[
            ("request", hidden(&consent.body, "request")),
            ("csrf", hidden(&consent.body, "csrf")),
            ("decision", decision.into()),
            ("share_demographics", "true".into()),
        ],
    )
    .await;
    assert_eq!(back.status, 303, "IdP consent: {}", back.body);
    back
}

#[tokio::test]
async fn tiered_oauth_with_a_second_sandbox_as_the_idp() {
    let (holder, idp) = pair().await;
    let base = idp_base(&idp);

    // The IdP's metadata offers Tiered OAuth and the udap scope.
    let meta = idp
        .client
        .get(format!("{base}/.well-known/udap"))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(meta["udap_profiles_supported"]
        .as_array()
        .unwrap()
        .contains(&"udap_to".into()));
    assert!(meta["scopes_supported"]
        .as_array()
        .unwrap()
        .contains(&"udap".into()));

    let mut client_ids = Vec::new();
    for user in [7, 8] {
        let browser = browser();
        let launch = Launch::new(&holder, CONFIDENTIAL.0, SCOPES).set("idp", &base);
        let hop = start(&holder, &browser, &launch).await;
        assert_eq!(hop.status, 303, "{}", hop.body);
        let to_idp = hop.location.clone().unwrap();
        assert!(
            to_idp.starts_with(&format!(
                "http://localhost:{}/v2/o/authorize?",
                idp.addr.port()
            )),
            "{to_idp}"
        );
        assert_eq!(hop.param("scope").as_deref(), Some("openid udap fhirUser"));
        assert_eq!(hop.param("code_challenge_method").as_deref(), Some("S256"));
        assert!(hop.param("nonce").is_some());
        assert_ne!(
            hop.param("state").as_deref(),
            Some("state-0123456789abcdef")
        );
        assert_eq!(
            hop.param("redirect_uri").unwrap(),
            holder.url("/v2/o/authorize/idp")
        );
        client_ids.push(hop.param("client_id").unwrap());

        let back = at_the_idp(&browser, &to_idp, user, "allow").await;
        let callback = back.location.clone().unwrap();
        assert!(
            callback.starts_with(&holder.url("/v2/o/authorize/idp?")),
            "{callback}"
        );
        // Back at the data holder: signed in as the IdP's user, asked for consent.
        let consent_page = get(&browser, &callback).await;
        assert_eq!(consent_page.status, 200, "{}", consent_page.body);
        let login = format!("BBUser{user:05}");
        assert!(consent_page.body.contains(&login), "{}", consent_page.body);
        let done = consent(&holder, &browser, &consent_page.body, "allow", true).await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(
            done.param("state").as_deref(),
            Some("state-0123456789abcdef")
        );
        let (status, tokens) =
            exchange(&holder, &done.param("code").unwrap(), &launch.pkce.verifier).await;
        assert_eq!(status, 200, "{tokens}");
        assert_eq!(tokens["patient"], users::patient_for(user).as_str());
        let (status, patient) = fhir_get(
            &holder,
            tokens["access_token"].as_str().unwrap(),
            &format!("/v2/fhir/Patient/{}", users::patient_for(user)),
        )
        .await;
        assert_eq!(status, 200, "{patient}");

        // The state, replayed from another browser, is refused (bound to the first one).
        let stranger = get(&reqwest::Client::new(), &callback).await;
        assert_eq!(stranger.status, 400, "{}", stranger.body);
    }
    // One registration at the IdP, reused.
    assert_eq!(client_ids[0], client_ids[1]);

    // A tampered state is refused with a page (no app to redirect to).
    let browser = browser();
    let tampered = get(
        &browser,
        &holder.url("/v2/o/authorize/idp?code=x&state=forged.state"),
    )
    .await;
    assert_eq!(tampered.status, 400, "{}", tampered.body);

    // Without the udap scope, idp means nothing: the sandbox's own sign-in page.
    let launch =
        Launch::new(&holder, CONFIDENTIAL.0, "openid fhirUser patient/*.rs").set("idp", &base);
    let own = start(&holder, &browser, &launch).await;
    assert_eq!(own.status, 200, "{:?}", own.location);
    assert!(own.body.contains("name=\"password\""));

    // The IdP's user refusing at the IdP is access_denied for the app.
    let launch = Launch::new(&holder, CONFIDENTIAL.0, SCOPES).set("idp", &base);
    let hop = start(&holder, &browser, &launch).await;
    let denied = at_the_idp(&browser, &hop.location.unwrap(), 9, "deny").await;
    let back = get(&browser, &denied.location.unwrap()).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.param("error").as_deref(), Some("access_denied"));
    assert_eq!(
        back.param("state").as_deref(),
        Some("state-0123456789abcdef")
    );
}

#[tokio::test]
async fn an_untrusted_idp_or_one_without_udap_is_invalid_idp() {
    // Each instance has a CA of its own: neither trusts the other.
    let holder = TestApp::spawn_prepared(true, |_| {}).await;
    let stranger = TestApp::spawn_prepared(false, |_| {}).await;
    for (idp, why) in [
        (idp_base(&stranger), "not trusted"),
        // A server without UDAP metadata.
        (
            format!("http://localhost:{}/nowhere", stranger.addr.port()),
            "no UDAP metadata",
        ),
        ("not a url".to_string(), "not a URL"),
    ] {
        let launch = Launch::new(&holder, CONFIDENTIAL.0, SCOPES).set("idp", &idp);
        let hop = start(&holder, &browser(), &launch).await;
        assert_eq!(hop.status, 303, "{}", hop.body);
        assert!(
            hop.location.as_deref().unwrap().starts_with(REDIRECT),
            "{:?}",
            hop.location
        );
        assert_eq!(hop.param("error").as_deref(), Some("invalid_idp"));
        assert_eq!(
            hop.param("state").as_deref(),
            Some("state-0123456789abcdef")
        );
        let d = hop.param("error_description").unwrap();
        assert!(d.contains(why), "{idp}: {d}");
    }
}

/// A scripted identity provider on a loopback port: UDAP metadata signed by a certificate of
/// `ca`, its OpenID configuration and JWKS, a registration endpoint, and a token endpoint that
/// answers with whatever id_token the test put in `id_token`.
struct FakeIdp {
    base: String,
    key: carin_sandbox::auth::jws::SigningKey,
    id_token: std::sync::Arc<std::sync::Mutex<String>>,
    /// How many times the sandbox registered.
    registrations: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn fake_idp(ca: &Ca) -> FakeIdp {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use carin_sandbox::auth::jws::SigningKey;
    use serde_json::json;
    use std::io::{Read, Write};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let base = format!("{origin}/fhir");
    let cert = ca
        .issue(
            &base,
            "fake IdP",
            NOW - time::Duration::days(1),
            NOW + time::Duration::days(30),
        )
        .unwrap();
    let signer = SigningKey::from_pkcs8_der(&cert.key_der).unwrap();
    let now = NOW.unix_timestamp();
    let signed = signer
        .sign(
            &json!({"alg": "RS256", "x5c": [STANDARD.encode(&cert.cert_der), STANDARD.encode(&ca.cert_der)]}),
            &json!({
                "iss": base, "sub": base, "iat": now, "exp": now + 3600, "jti": "m1",
                "authorization_endpoint": format!("{origin}/authorize"),
                "token_endpoint": format!("{origin}/token"),
                "registration_endpoint": format!("{origin}/register"),
            }),
        )
        .unwrap();
    let key = SigningKey::generate_rsa().unwrap();
    let id_token = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let registrations = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let routes = {
        let (base, jwks, id_token, registered) = (
            base.clone(),
            json!({"keys": [key.public_jwk("idp-key")]}),
            id_token.clone(),
            registrations.clone(),
        );
        move |path: &str| -> (u16, serde_json::Value) {
            match path {
                "/fhir/.well-known/udap" => (
                    200,
                    json!({"scopes_supported": ["openid", "udap"], "signed_metadata": signed}),
                ),
                "/fhir/.well-known/openid-configuration" => (
                    200,
                    json!({"issuer": base, "jwks_uri": format!("{base}/jwks")}),
                ),
                "/fhir/jwks" => (200, jwks.clone()),
                "/register" => {
                    registered.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    (201, json!({"client_id": "fake-client"}))
                }
                // An IdP that forgot the registration.
                "/token" if *id_token.lock().unwrap() == "invalid_client" => {
                    (401, json!({"error": "invalid_client"}))
                }
                "/token" => (
                    200,
                    json!({"access_token": "a", "token_type": "Bearer",
                           "id_token": *id_token.lock().unwrap()}),
                ),
                _ => (404, json!({})),
            }
        }
    };
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            // Read the whole request (headers and body) before answering.
            let mut request = Vec::new();
            let mut buf = [0u8; 8192];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                request.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&request);
                if let Some(end) = text.find("\r\n\r\n") {
                    let length = text[..end]
                        .lines()
                        .find_map(|l| {
                            l.to_ascii_lowercase()
                                .strip_prefix("content-length:")
                                .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                        })
                        .unwrap_or(0);
                    if request.len() >= end + 4 + length {
                        break;
                    }
                }
            }
            let text = String::from_utf8_lossy(&request);
            let path = text.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body) = routes(&path);
            let body = body.to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    FakeIdp {
        base,
        key,
        id_token,
        registrations,
    }
}

#[tokio::test]
async fn an_id_token_with_the_wrong_aud_or_nonce_is_refused() {
    use serde_json::json;
    let mut ca = None;
    let holder = TestApp::spawn_prepared(true, |dir| {
        ca = Some(Ca::load_or_create(dir, NOW).unwrap());
    })
    .await;
    let idp = fake_idp(&ca.unwrap());
    let now = NOW.unix_timestamp();
    for (patch, why) in [
        (json!({"aud": "someone-else"}), Some(("invalid_idp", "aud"))),
        (
            json!({"nonce": "not-the-one-sent"}),
            Some(("invalid_idp", "nonce")),
        ),
        (
            json!({"iss": "http://127.0.0.1:1/fhir"}),
            Some(("invalid_idp", "iss")),
        ),
        (json!({"exp": now - 3600}), Some(("invalid_idp", "expired"))),
        // The IdP lost the registration: refused, and the sandbox registers again next time.
        (
            json!("invalid_client"),
            Some(("invalid_idp", "invalid_client")),
        ),
        // A valid id_token for someone who is not a beneficiary here.
        (
            json!({"sub": "nobody", "fhirUser": format!("{}/Patient/X99999", idp.base)}),
            Some(("access_denied", "not a beneficiary")),
        ),
        // The control: the same id_token unaltered signs BBUser00007 in.
        (json!({}), None),
    ] {
        let browser = browser();
        let launch = Launch::new(&holder, CONFIDENTIAL.0, SCOPES).set("idp", &idp.base);
        let hop = start(&holder, &browser, &launch).await;
        assert_eq!(hop.status, 303, "{}", hop.body);
        assert_eq!(hop.param("client_id").as_deref(), Some("fake-client"));
        let mut claims = json!({
            "iss": idp.base, "sub": "M00007", "aud": "fake-client", "iat": now,
            "exp": now + 300, "nonce": hop.param("nonce").unwrap(),
            "fhirUser": format!("{}/Patient/M00007", idp.base),
        });
        *idp.id_token.lock().unwrap() = match patch.as_object() {
            Some(fields) => {
                for (k, v) in fields {
                    claims[k] = v.clone();
                }
                idp.key
                    .sign(&json!({"alg": idp.key.alg(), "kid": "idp-key"}), &claims)
                    .unwrap()
            }
            None => patch.as_str().unwrap().to_string(),
        };
        let callback = url::Url::parse_with_params(
            &holder.url("/v2/o/authorize/idp"),
            &[
                ("code", "idp-code"),
                ("state", &hop.param("state").unwrap()),
            ],
        )
        .unwrap();
        let back = get(&browser, callback.as_str()).await;
        match why {
            Some((code, why)) => {
                assert_eq!(back.status, 303, "{patch}: {}", back.body);
                assert_eq!(back.param("error").as_deref(), Some(code), "{patch}");
                assert_eq!(
                    back.param("state").as_deref(),
                    Some("state-0123456789abcdef")
                );
                let d = back.param("error_description").unwrap();
                assert!(d.contains(why), "{patch}: {d}");
            }
            None => {
                assert_eq!(back.status, 200, "{}", back.body);
                assert!(back.body.contains("BBUser00007"));
            }
        }
    }
    // Registered the first time, then from the cache, and once more after invalid_client.
    assert_eq!(
        idp.registrations.load(std::sync::atomic::Ordering::SeqCst),
        2
    );
}
