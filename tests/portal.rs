#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! The portal over HTTP, without a browser: developer accounts (argon2 hashes, lockout,
//! cookies), CSRF refusals, each developer's apps kept to themselves, the redirect URI rules,
//! the connected apps page revoking tokens, and the test client's flow with plain forms and
//! links (no JavaScript anywhere).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use carin_sandbox::app::{Application, ServeConfig};
use carin_sandbox::auth::throttle::{Budget, ThrottleConfig};
use carin_sandbox::auth::AuthConfig;
use carin_sandbox::clock::FixedClock;
use reqwest::header::{
    CONTENT_SECURITY_POLICY, COOKIE, LOCATION, SET_COOKIE, X_CONTENT_TYPE_OPTIONS,
};
use reqwest::{Client, Response};
use serde_json::Value;
use time::macros::datetime;

/// The seeded server most tests share (each test uses its own browsers and beneficiaries).
fn shared() -> &'static (SocketAddr, PathBuf) {
    static SERVER: OnceLock<(SocketAddr, PathBuf)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let dir = Box::leak(Box::new(tempfile::tempdir().unwrap()));
            actix_web::rt::System::new().block_on(async move {
                let app = Application::build(ServeConfig::new(dir.path())).unwrap();
                tx.send((app.addrs()[0], dir.path().to_path_buf())).unwrap();
                app.run().await.unwrap();
            });
        });
        rx.recv().unwrap()
    })
}

fn base() -> String {
    format!("http://{}", shared().0)
}

/// A browser: a cookie jar, redirects handed back.
fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden input.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in:\n{html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].replace("&amp;", "&")
}

/// A page and its CSRF token.
async fn page(b: &Client, url: &str) -> (String, String) {
    let response = b.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    let html = response.text().await.unwrap();
    let csrf = hidden(&html, "csrf");
    (html, csrf)
}

async fn post(b: &Client, url: &str, form: &[(&str, &str)]) -> Response {
    b.post(url).form(form).send().await.unwrap()
}

fn location(r: &Response) -> String {
    r.headers()
        .get(LOCATION)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn sign_up(base: &str, b: &Client, email: &str, password: &str) -> Response {
    let (_, csrf) = page(b, &format!("{base}/account/signup")).await;
    post(
        b,
        &format!("{base}/account/signup"),
        &[
            ("csrf", &csrf),
            ("email", email),
            ("name", "Test Developer"),
            ("organization", ""),
            ("password", password),
            ("password_again", password),
        ],
    )
    .await
}

/// Signs up a developer and returns their browser.
async fn developer(email: &str) -> Client {
    let b = browser();
    let r = sign_up(&base(), &b, email, "correct horse battery").await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    b
}

/// Registers an app; the page's status and HTML.
async fn register(b: &Client, name: &str, kind: &str, redirect_uris: &str) -> (u16, String) {
    let base = base();
    let (_, csrf) = page(b, &format!("{base}/apps/new")).await;
    let r = post(
        b,
        &format!("{base}/apps/new"),
        &[
            ("csrf", &csrf),
            ("name", name),
            ("kind", kind),
            ("redirect_uris", redirect_uris),
            ("scope", "openid"),
            ("scope", "offline_access"),
            ("scope", "patient/*.rs"),
        ],
    )
    .await;
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The text of the element with `id` (a `<code>` or similar without nested tags).
fn by_id(html: &str, id: &str) -> String {
    let marker = format!(r#"id="{id}""#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in:\n{html}"));
    let start = html[at..].find('>').unwrap() + at + 1;
    let end = html[start..].find('<').unwrap() + start;
    html[start..end].to_string()
}

#[tokio::test]
async fn signing_up_stores_an_argon2id_hash_and_a_safe_session_cookie() {
    let base = base();
    let b = browser();
    let password = "an unguessable sentence 42";
    let r = sign_up(&base, &b, "Grace@Example.org", password).await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/apps?welcome=1");
    let cookie = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("carin_dev="))
        .expect("a developer session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP here: {cookie}");
    let html = b
        .get(format!("{base}/apps?welcome=1"))
        .send()
        .await
        .unwrap();
    assert!(html.text().await.unwrap().contains("grace@example.org"));

    // The store holds an argon2id PHC string, never the password.
    let store = std::fs::read(shared().1.join("carin.redb")).unwrap();
    let holds = |needle: &str| store.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(holds("\"email\":\"grace@example.org\""));
    assert!(holds("$argon2id$v=19$m=19456,t=2,p=1$"));
    assert!(!holds(password));

    // The same email again (in any case), a weak password, a bad email.
    let again = sign_up(&base, &browser(), "grace@example.ORG", password).await;
    assert_eq!(again.status(), 409);
    let weak = sign_up(&base, &browser(), "weak@example.org", "short").await;
    assert_eq!(weak.status(), 400);
    assert!(weak.text().await.unwrap().contains("at least 8 characters"));
    let common = sign_up(&base, &browser(), "weak@example.org", "password123").await;
    assert_eq!(common.status(), 400);
    let bad = sign_up(&base, &browser(), "not-an-email", password).await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("valid email"));
}

#[tokio::test]
async fn five_failed_sign_ins_lock_an_account_for_fifteen_minutes() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(FixedClock::new(datetime!(2026-01-02 03:04:05 UTC)));
    let app = Application::build(ServeConfig {
        clock: clock.clone(),
        load_seed: false,
        ..ServeConfig::new(dir.path())
    })
    .unwrap();
    let base = format!("http://{}", app.addrs()[0]);
    tokio::spawn(app.run());
    let password = "correct horse battery";
    assert_eq!(
        sign_up(&base, &browser(), "lin@example.com", password)
            .await
            .status(),
        303
    );
    let b = browser();
    let attempt = |password: &'static str| {
        let (b, base) = (b.clone(), base.clone());
        async move {
            let (_, csrf) = page(&b, &format!("{base}/account/login")).await;
            let r = post(
                &b,
                &format!("{base}/account/login"),
                &[
                    ("csrf", csrf.as_str()),
                    ("email", "lin@example.com"),
                    ("password", password),
                    ("next", "/apps"),
                ],
            )
            .await;
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    for _ in 0..4 {
        let (status, html) = attempt("wrong password").await;
        assert_eq!(status, 401);
        assert!(
            html.contains("After 5 failed attempts"),
            "the rule is stated"
        );
    }
    let (status, html) = attempt("wrong password").await;
    assert_eq!(status, 429, "the fifth failure locks");
    assert!(html.contains("locked"), "{html}");
    assert!(html.contains("2026-01-02 03:19 UTC"), "until when: {html}");
    assert_eq!(
        attempt(password).await.0,
        429,
        "even the right password waits"
    );
    clock.advance(time::Duration::minutes(14));
    assert_eq!(attempt(password).await.0, 429);
    clock.advance(time::Duration::minutes(1));
    assert_eq!(attempt(password).await.0, 303, "unlocked after 15 minutes");
    let apps = b.get(format!("{base}/apps")).send().await.unwrap();
    assert_eq!(apps.status(), 200);
}

#[tokio::test]
async fn forms_without_this_browsers_csrf_token_are_refused() {
    let base = base();
    // No token at all.
    let r = post(
        &browser(),
        &format!("{base}/account/signup"),
        &[
            ("email", "csrf@example.com"),
            ("name", "C"),
            ("password", "correct horse battery"),
            ("password_again", "correct horse battery"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    // A token made for another browser's cookie.
    let (_, foreign) = page(&browser(), &format!("{base}/account/signup")).await;
    let b = browser();
    let _ = page(&b, &format!("{base}/account/signup")).await;
    let r = post(
        &b,
        &format!("{base}/account/signup"),
        &[
            ("csrf", foreign.as_str()),
            ("email", "csrf@example.com"),
            ("name", "C"),
            ("password", "correct horse battery"),
            ("password_again", "correct horse battery"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("expired or could not be verified"));

    // Signed in, the app forms and sign-out need it too.
    let dev = developer("csrf-dev@example.com").await;
    let r = post(
        &dev,
        &format!("{base}/apps/new"),
        &[
            ("csrf", "forged"),
            ("name", "Forged"),
            ("kind", "public"),
            ("redirect_uris", "http://127.0.0.1/cb"),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post(&dev, &format!("{base}/account/logout"), &[]).await;
    assert_eq!(r.status(), 403);
    let r = post(
        &dev,
        &format!("{base}/connected-apps/revoke"),
        &[("client_id", "test-client-id")],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post(&dev, &format!("{base}/testclient/start"), &[]).await;
    assert_eq!(r.status(), 403);
    // The developer is still signed in (the forged sign-out did nothing).
    let apps = dev.get(format!("{base}/apps")).send().await.unwrap();
    assert_eq!(apps.status(), 200);
}

#[tokio::test]
async fn a_developer_sees_and_changes_only_their_own_apps() {
    let base = base();
    let ada = developer("ada-apps@example.com").await;
    let bob = developer("bob-apps@example.com").await;
    let (status, html) =
        register(&ada, "Ada's app", "confidential", "https://ada.example/cb").await;
    assert_eq!(status, 201);
    let client_id = by_id(&html, "client-id");
    assert_eq!(by_id(&html, "client-secret").len(), 43);

    let list = bob.get(format!("{base}/apps")).send().await.unwrap();
    assert!(!list.text().await.unwrap().contains(&client_id));
    let show = bob
        .get(format!("{base}/apps/{client_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(show.status(), 404);
    let edit_form = bob
        .get(format!("{base}/apps/{client_id}/edit"))
        .send()
        .await
        .unwrap();
    assert_eq!(edit_form.status(), 404);
    let (_, csrf) = page(&bob, &format!("{base}/apps/new")).await;
    for action in ["edit", "secret", "delete"] {
        let r = post(
            &bob,
            &format!("{base}/apps/{client_id}/{action}"),
            &[
                ("csrf", csrf.as_str()),
                ("name", "Stolen"),
                ("redirect_uris", "https://evil.example/cb"),
                ("scope", "openid"),
                ("confirm", "yes"),
            ],
        )
        .await;
        assert_eq!(r.status(), 404, "{action}");
    }
    // The seeded apps belong to nobody: no developer edits them here.
    let seeded = ada
        .get(format!("{base}/apps/test-client-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(seeded.status(), 404);

    // Ada still can: edit, rotate the secret (the old one stops working), delete.
    let (html, csrf) = page(&ada, &format!("{base}/apps/{client_id}/edit")).await;
    assert!(html.contains("https://ada.example/cb"));
    let r = post(
        &ada,
        &format!("{base}/apps/{client_id}/edit"),
        &[
            ("csrf", csrf.as_str()),
            ("name", "Ada's renamed app"),
            (
                "redirect_uris",
                "https://ada.example/cb\nhttp://localhost/cb",
            ),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/apps/{client_id}?saved=1"));
    let (html, csrf) = page(&ada, &format!("{base}/apps/{client_id}?saved=1")).await;
    assert!(html.contains("Ada&#39;s renamed app") || html.contains("Ada's renamed app"));
    assert!(html.contains("http://localhost/cb"));
    assert!(
        !html.contains("id=\"client-secret\""),
        "the secret is not shown again"
    );
    let r = post(
        &ada,
        &format!("{base}/apps/{client_id}/secret"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.status(), 200);
    let rotated = by_id(&r.text().await.unwrap(), "client-secret");
    assert_eq!(rotated.len(), 43);
    let r = post(
        &ada,
        &format!("{base}/apps/{client_id}/delete"),
        &[("csrf", csrf.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let gone = ada
        .get(format!("{base}/apps/{client_id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn registration_follows_the_authorization_servers_redirect_rules() {
    let base = base();
    let dev = developer("rules@example.com").await;
    for (uri, why) in [
        ("https://app.example/cb#frag", "fragment"),
        ("javascript:alert(1)", "javascript"),
        ("/relative/cb", "absolute URL"),
        ("data:text/html,hi", "data"),
    ] {
        let (status, html) = register(&dev, "Rules app", "public", uri).await;
        assert_eq!(status, 400, "{uri}");
        assert!(html.contains("Redirect URI refused"), "{uri}: {html}");
        assert!(html.contains(why), "{uri} names the reason: {html}");
    }
    let (status, html) = register(&dev, "", "public", "http://127.0.0.1/cb").await;
    assert_eq!(status, 400);
    assert!(html.contains("1 to 100 printable characters"));

    // Loopback (any port) and a native app's custom scheme are fine; a public app has no secret.
    let (status, html) = register(
        &dev,
        "Native app",
        "public",
        "http://127.0.0.1/callback\ncom.example.native:/oauth",
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(!html.contains("id=\"client-secret\""));
    assert!(html.contains("loopback: matches on any port"));
    assert!(html.contains("native app scheme: PKCE required"));
    let client_id = by_id(&html, "client-id");
    let (again, _) = register(&dev, "native APP", "public", "http://127.0.0.1/cb").await;
    assert_eq!(again, 400, "names are unique per developer");

    // And the authorization server agrees: its sign-in page opens for another loopback port.
    let authorize = browser()
        .get(format!("{base}/v2/o/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", "http://127.0.0.1:53123/callback"),
            ("state", "state-0123456789abcdef"),
            (
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), 200);
    assert!(authorize.text().await.unwrap().contains("Native app"));
}

#[tokio::test]
async fn every_page_sends_the_security_headers() {
    let base = base();
    for path in [
        "/",
        "/docs",
        "/account/signup",
        "/account/login",
        "/testclient",
        "/connected-apps",
    ] {
        let r = browser().get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        let csp = r.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        assert_eq!(r.headers()[X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        let html = r.text().await.unwrap();
        assert!(!html.contains("<script"), "{path}: no script needed");
        assert!(!html.contains("style=\""), "{path}: no inline styles (CSP)");
    }
    let docs = browser().get(format!("{base}/docs")).send().await.unwrap();
    let docs = docs.text().await.unwrap();
    assert!(docs.contains(&format!(
        "curl -u test-client-id:test-client-secret {base}/v2/o/token"
    )));
    assert!(docs.contains(&format!("{base}/v2/fhir/metadata")));
    assert!(docs.contains("BBUser00001"));
    let apps = browser().get(format!("{base}/apps")).send().await.unwrap();
    assert_eq!(
        apps.status(),
        303,
        "signed-out developers are sent to sign in"
    );
    assert_eq!(location(&apps), "/account/login?next=%2Fapps");
}

/// Every guarded page takes its guard as an argument: a browser without the session or
/// tokens a page needs is sent where it can get them, before anything else happens.
#[tokio::test]
async fn guarded_pages_send_a_signed_out_browser_where_it_can_sign_in() {
    let base = base();
    let b = browser();
    let developer_pages = [
        ("GET", "/apps", "%2Fapps"),
        ("GET", "/apps/new", "%2Fapps%2Fnew"),
        ("POST", "/apps/new", "%2Fapps%2Fnew"),
        (
            "GET",
            "/apps/test-client-id?x=1",
            "%2Fapps%2Ftest-client-id%3Fx%3D1",
        ),
        (
            "GET",
            "/apps/test-client-id/edit",
            "%2Fapps%2Ftest-client-id%2Fedit",
        ),
        (
            "POST",
            "/apps/test-client-id/edit",
            "%2Fapps%2Ftest-client-id%2Fedit",
        ),
        (
            "POST",
            "/apps/test-client-id/secret",
            "%2Fapps%2Ftest-client-id%2Fsecret",
        ),
        (
            "POST",
            "/apps/test-client-id/delete",
            "%2Fapps%2Ftest-client-id%2Fdelete",
        ),
    ];
    for (method, path, next) in developer_pages {
        let url = format!("{base}{path}");
        let r = match method {
            "GET" => b.get(&url).send().await.unwrap(),
            _ => post(&b, &url, &[]).await,
        };
        assert_eq!(r.status(), 303, "{method} {path}");
        assert_eq!(
            location(&r),
            format!("/account/login?next={next}"),
            "{method} {path}"
        );
    }
    for path in [
        "/testclient/patient",
        "/testclient/coverage",
        "/testclient/claims",
        "/testclient/claims/some-claim",
    ] {
        let r = b.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 303, "{path}");
        assert_eq!(location(&r), "/testclient", "{path}");
    }
    // Connected apps shows its own sign-in form to a browser without a beneficiary session.
    let (html, _) = page(&b, &format!("{base}/connected-apps")).await;
    assert!(html.contains(r#"name="password""#), "{html}");
}

const VERIFIER: &str = "a-long-enough-pkce-verifier-for-the-portal-tests-0123456789";

/// Starts an authorization for `client_id` in browser `b` and signs in as BBUser{user}: the
/// consent page.
async fn consent_page_for(b: &Client, client_id: &str, redirect_uri: &str, user: u32) -> String {
    let base = base();
    let challenge = {
        use base64::Engine;
        let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, VERIFIER.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(hash)
    };
    let authorize = b
        .get(format!("{base}/v2/o/authorize"))
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid fhirUser offline_access patient/*.rs"),
            ("state", "state-0123456789abcdef"),
            ("code_challenge", challenge.as_str()),
            ("code_challenge_method", "S256"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(authorize.status(), 200);
    let html = authorize.text().await.unwrap();
    let consent = post(
        b,
        &format!("{base}/v2/o/authorize/login"),
        &[
            ("request", &hidden(&html, "request")),
            ("csrf", &hidden(&html, "csrf")),
            ("username", &format!("BBUser{user:05}")),
            ("password", &format!("PW{user:05}!")),
        ],
    )
    .await;
    assert_eq!(consent.status(), 200);
    consent.text().await.unwrap()
}

/// Runs the authorization code flow for `client` as BBUser{user} in a browser, returning the
/// browser (signed in as that beneficiary) and the token response.
async fn tokens_for(
    client: (&str, Option<&str>),
    redirect_uri: &str,
    user: u32,
) -> (Client, Value) {
    let base = base();
    let b = browser();
    let html = consent_page_for(&b, client.0, redirect_uri, user).await;
    let done = post(
        &b,
        &format!("{base}/v2/o/authorize/consent"),
        &[
            ("request", &hidden(&html, "request")),
            ("csrf", &hidden(&html, "csrf")),
            ("decision", "allow"),
            ("share_demographics", "true"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    let url = url::Url::parse(&location(&done)).unwrap();
    let code = url.query_pairs().find(|(k, _)| k == "code").unwrap().1;
    let mut form = vec![
        ("grant_type", "authorization_code".to_string()),
        ("code", code.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("code_verifier", VERIFIER.to_string()),
        ("client_id", client.0.to_string()),
    ];
    if let Some(secret) = client.1 {
        form.push(("client_secret", secret.to_string()));
    }
    let token = Client::new()
        .post(format!("{base}/v2/o/token"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
    (b, token.json().await.unwrap())
}

async fn eob_status(token: &str) -> u16 {
    Client::new()
        .get(format!("{}/v2/fhir/ExplanationOfBenefit", base()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn revoking_on_the_connected_apps_page_kills_the_apps_tokens_at_once() {
    let base = base();
    let (b, tokens) = tokens_for(
        ("test-client-id", Some("test-client-secret")),
        "http://127.0.0.1:7777/callback",
        2,
    )
    .await;
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(eob_status(access).await, 200);

    // The same browser is signed in as BBUser00002 after the sign-in page.
    let (html, csrf) = page(&b, &format!("{base}/connected-apps")).await;
    assert!(html.contains("BBUser00002"));
    assert!(html.contains("TestApp (confidential)"));
    assert!(html.contains("Your claims") || html.contains("All of your claims"));
    // Its access history, from the audit trail: the EOB request above.
    assert!(html.contains("What it read lately"), "{html}");
    assert!(html.contains("ExplanationOfBenefit"), "{html}");
    let r = post(
        &b,
        &format!("{base}/connected-apps/revoke"),
        &[("csrf", csrf.as_str()), ("client_id", "test-client-id")],
    )
    .await;
    assert_eq!(r.status(), 303);
    let flash = location(&r);
    assert!(flash.starts_with("/connected-apps?revoked="), "{flash}");
    assert_eq!(
        eob_status(access).await,
        401,
        "the access token dies at once"
    );
    let refreshed = Client::new()
        .post(format!("{base}/v2/o/token"))
        .basic_auth("test-client-id", Some("test-client-secret"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 400, "and so does the refresh token");
    let (html, _) = page(&b, &format!("{base}{flash}")).await;
    assert!(html.contains("id=\"no-apps\""), "{html}");
    assert!(html.contains("Access revoked for <strong>TestApp (confidential)</strong>"));
    let (html, _) = page(&b, &format!("{base}/connected-apps?revoked=Call+0800+SCAM")).await;
    assert!(
        !html.contains("SCAM"),
        "a link cannot put words in the page"
    );

    // Signing in on the page itself works too (another browser), and a wrong password is a 401.
    let other = browser();
    let (_, csrf) = page(&other, &format!("{base}/connected-apps")).await;
    let wrong = post(
        &other,
        &format!("{base}/connected-apps/login"),
        &[
            ("csrf", csrf.as_str()),
            ("username", "BBUser00002"),
            ("password", "nope"),
        ],
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let right = beneficiary_login(&other, &base, "BBUser00002", "PW00002!").await;
    assert_eq!(right.status(), 303);
    let (html, _) = page(&other, &format!("{base}/connected-apps")).await;
    assert!(html.contains("Signed in as <strong>BBUser00002</strong>"));
}

#[tokio::test]
async fn deleting_an_app_revokes_every_authorization_it_held() {
    let base = base();
    let dev = developer("delete@example.com").await;
    let (status, html) = register(&dev, "Short-lived", "confidential", "http://127.0.0.1/cb").await;
    assert_eq!(status, 201);
    let client_id = by_id(&html, "client-id");
    let secret = by_id(&html, "client-secret");
    let (_, tokens) = tokens_for((&client_id, Some(&secret)), "http://127.0.0.1:9/cb", 3).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(eob_status(access).await, 200);
    let (html, csrf) = page(&dev, &format!("{base}/apps/{client_id}")).await;
    assert!(
        html.contains("Connected beneficiaries</dt><dd>1</dd>"),
        "{html}"
    );
    let unconfirmed = post(
        &dev,
        &format!("{base}/apps/{client_id}/delete"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(unconfirmed.status(), 400, "the box must be ticked");
    let r = post(
        &dev,
        &format!("{base}/apps/{client_id}/delete"),
        &[("csrf", csrf.as_str()), ("confirm", "yes")],
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(eob_status(access).await, 401);
}

#[tokio::test]
async fn the_test_client_runs_with_plain_forms_and_links() {
    let base = base();
    let b = browser();
    let (html, csrf) = page(&b, &format!("{base}/testclient")).await;
    assert!(html.contains("Get a sample authorization token"));
    let start = post(
        &b,
        &format!("{base}/testclient/start"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(start.status(), 303);
    let authorize = location(&start);
    assert!(
        authorize.starts_with(&format!("{base}/v2/o/authorize?")),
        "{authorize}"
    );
    let callback = format!("{base}/testclient/callback");
    assert!(
        url::Url::parse(&authorize)
            .unwrap()
            .query_pairs()
            .any(|(k, v)| k == "redirect_uri" && v == callback.as_str()),
        "{authorize}"
    );
    let login = b.get(&authorize).send().await.unwrap();
    assert_eq!(login.status(), 200);
    let html = login.text().await.unwrap();
    // The picker is a plain form too: it fills in the username, the password is still typed.
    let filled = post(
        &b,
        &format!("{base}/v2/o/authorize/login"),
        &[
            ("request", &hidden(&html, "request")),
            ("csrf", &hidden(&html, "csrf")),
            ("pick", "BBUser00004"),
        ],
    )
    .await;
    assert_eq!(filled.status(), 200);
    let html = filled.text().await.unwrap();
    assert!(html.contains(r#"value="BBUser00004""#));
    let consent = post(
        &b,
        &format!("{base}/v2/o/authorize/login"),
        &[
            ("request", &hidden(&html, "request")),
            ("csrf", &hidden(&html, "csrf")),
            ("username", "BBUser00004"),
            ("password", "PW00004!"),
        ],
    )
    .await;
    assert_eq!(consent.status(), 200);
    let html = consent.text().await.unwrap();
    // Withhold demographics: the Patient page then explains the 403.
    let done = post(
        &b,
        &format!("{base}/v2/o/authorize/consent"),
        &[
            ("request", &hidden(&html, "request")),
            ("csrf", &hidden(&html, "csrf")),
            ("decision", "allow"),
        ],
    )
    .await;
    assert_eq!(done.status(), 303);
    assert!(location(&done).starts_with(&callback));
    let back = b.get(location(&done)).send().await.unwrap();
    assert_eq!(back.status(), 303, "{}", back.text().await.unwrap());
    assert_eq!(location(&back), "/testclient?connected=1");
    let (html, _) = page(&b, &format!("{base}/testclient?connected=1")).await;
    assert!(html.contains("BBUser00004"));
    assert!(html.contains("id=\"token-response\""));

    let claims = b
        .get(format!(
            "{base}/testclient/claims?type=professional&from=2020-01-01"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(claims.status(), 200);
    let html = claims.text().await.unwrap();
    assert!(html.contains("id=\"claims\""), "{html}");
    assert!(html.contains("<svg id=\"cost-chart\""));
    assert!(html.contains("type=professional&#38;service-date=ge2020-01-01"));
    let patient = b
        .get(format!("{base}/testclient/patient"))
        .send()
        .await
        .unwrap();
    let html = patient.text().await.unwrap();
    assert!(html.contains("403"), "demographics withheld: {html}");
    let coverage = b
        .get(format!("{base}/testclient/coverage"))
        .send()
        .await
        .unwrap();
    assert!(coverage.text().await.unwrap().contains("id=\"coverages\""));
    let forged = b
        .get(format!("{base}/testclient/callback?code=x&state=forged"))
        .send()
        .await
        .unwrap();
    assert!(forged
        .text()
        .await
        .unwrap()
        .contains("No authorization is in progress"));
}

/// A server of its own (no seed) with these per-address and per-account budgets.
fn own_server(per_address: u32, per_account: u32) -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let budget = |attempts| Budget {
        attempts,
        window_secs: 60,
    };
    let app = Application::build(ServeConfig {
        load_seed: false,
        // Time stands still: Retry-After is exact.
        clock: Arc::new(FixedClock::new(datetime!(2026-01-02 03:04:05 UTC))),
        auth: AuthConfig {
            throttle: ThrottleConfig {
                per_address: budget(per_address),
                per_account: budget(per_account),
                max_keys: 1_000,
            },
            ..AuthConfig::default()
        },
        ..ServeConfig::new(dir.path())
    })
    .unwrap();
    let base = format!("http://{}", app.addrs()[0]);
    tokio::spawn(app.run());
    (base, dir)
}

/// Signs in on the connected apps page (with a fresh CSRF token).
async fn beneficiary_login(b: &Client, base: &str, user: &str, password: &str) -> Response {
    let (_, csrf) = page(b, &format!("{base}/connected-apps")).await;
    post(
        b,
        &format!("{base}/connected-apps/login"),
        &[
            ("csrf", csrf.as_str()),
            ("username", user),
            ("password", password),
        ],
    )
    .await
}

/// Posts the developer sign-in form: status, Retry-After and page.
async fn developer_login(
    b: &Client,
    base: &str,
    csrf: &str,
    email: &str,
    password: &str,
) -> (u16, String, String) {
    let r = post(
        b,
        &format!("{base}/account/login"),
        &[
            ("csrf", csrf),
            ("email", email),
            ("password", password),
            ("next", "/apps"),
        ],
    )
    .await;
    let retry_after = r
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status().as_u16(), retry_after, r.text().await.unwrap())
}

#[tokio::test]
async fn a_parallel_burst_of_wrong_passwords_leaves_the_account_locked() {
    // Budgets out of the way: the lockout alone must hold.
    let (base, _dir) = own_server(1_000, 1_000);
    let password = "correct horse battery";
    assert_eq!(
        sign_up(&base, &browser(), "burst@example.com", password)
            .await
            .status(),
        303
    );
    let b = browser();
    let (_, csrf) = page(&b, &format!("{base}/account/login")).await;
    let guesses = (0..40).map(|i| {
        let (b, base, csrf) = (b.clone(), base.clone(), csrf.clone());
        async move {
            let guess = format!("wrong guess {i}");
            developer_login(&b, &base, &csrf, "burst@example.com", &guess)
                .await
                .0
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(
        checked < 5,
        "no more than five guesses are checked before the lock holds: {statuses:?}"
    );
    let (status, retry_after, html) =
        developer_login(&b, &base, &csrf, "burst@example.com", password).await;
    assert_eq!(status, 429, "{html}");
    assert!(html.contains("locked"), "{html}");
    assert_eq!(retry_after, "900");
}

#[tokio::test]
async fn an_address_over_its_budget_waits_for_developer_and_beneficiary_sign_ins() {
    let (base, _dir) = own_server(3, 1_000);
    let b = browser();
    let (_, csrf) = page(&b, &format!("{base}/account/login")).await;
    for n in 0..3 {
        let (status, _, _) =
            developer_login(&b, &base, &csrf, &format!("nobody{n}@example.com"), "guess").await;
        assert_eq!(status, 401);
    }
    let (status, retry_after, html) =
        developer_login(&b, &base, &csrf, "nobody9@example.com", "guess").await;
    assert_eq!((status, retry_after.as_str()), (429, "20"), "{html}");
    assert!(html.contains("Try again in 20 seconds"), "{html}");
    // The address's budget covers the beneficiary sign-in page too.
    let r = beneficiary_login(&b, &base, "BBUser00001", "PW00001!").await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "20");
}

#[tokio::test]
async fn signing_out_ends_the_session_for_every_copy_of_the_cookie() {
    let base = base();
    let b = browser();
    let r = beneficiary_login(&b, &base, "BBUser00020", "PW00020!").await;
    assert_eq!(r.status(), 303);
    let copy = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("carin_session="))
        .and_then(|c| c.split(';').next().map(str::to_string))
        .expect("a session cookie");
    let with_copy = || async {
        Client::new()
            .get(format!("{base}/connected-apps"))
            .header(COOKIE, &copy)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    assert!(with_copy()
        .await
        .contains("Signed in as <strong>BBUser00020</strong>"));
    let (_, csrf) = page(&b, &format!("{base}/connected-apps")).await;
    let out = post(
        &b,
        &format!("{base}/connected-apps/logout"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(out.status(), 303);
    let html = with_copy().await;
    assert!(
        !html.contains("Signed in as"),
        "the copied cookie is dead: {html}"
    );
    assert!(html.contains(r#"action="/connected-apps/login""#));
}

#[tokio::test]
async fn the_consent_page_names_the_app_and_marks_portal_apps_unverified() {
    let dev = developer("impostor@example.com").await;
    let (status, html) = register(
        &dev,
        "TestApp (confidential)",
        "public",
        "http://127.0.0.1/cb",
    )
    .await;
    assert_eq!(status, 201, "{html}");
    let client_id = by_id(&html, "client-id");
    let html = consent_page_for(&browser(), &client_id, "http://127.0.0.1:9/cb", 21).await;
    assert!(html.contains("TestApp (confidential)"));
    assert_eq!(by_id(&html, "unverified"), "unverified");
    assert_eq!(by_id(&html, "client-id"), client_id);
    assert!(by_id(&html, "registered-by").contains("impostor@example.com"));
    assert_eq!(by_id(&html, "redirect-host"), "127.0.0.1:9");

    let seeded = consent_page_for(
        &browser(),
        "test-client-id",
        "http://127.0.0.1:9/callback",
        21,
    )
    .await;
    assert!(!seeded.contains(r#"id="unverified""#), "{seeded}");
    assert_eq!(by_id(&seeded, "client-id"), "test-client-id");
    assert!(by_id(&seeded, "registered-by").contains("seeded test app"));
}

/// Registers an app with these extra form fields; the page's status and HTML.
async fn register_with(b: &Client, name: &str, extra: &[(&str, &str)]) -> (u16, String) {
    let base = base();
    let (_, csrf) = page(b, &format!("{base}/apps/new")).await;
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("name", name),
        ("kind", "confidential"),
        ("redirect_uris", "http://127.0.0.1/callback"),
        ("scope", "openid"),
        ("scope", "patient/*.rs"),
    ];
    form.extend_from_slice(extra);
    let r = post(b, &format!("{base}/apps/new"), &form).await;
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_developer_registers_an_app_with_public_keys() {
    use carin_sandbox::auth::jws::SigningKey;
    let base = base();
    let dev = developer("keys@example.com").await;
    let key = SigningKey::generate_ec().unwrap();
    let kid = key.thumbprint();
    let jwks = serde_json::json!({"keys": [key.public_jwk(&kid)]}).to_string();

    // A JWKS with a private member, and system/ scopes, are refused.
    let mut private = key.public_jwk(&kid);
    private["d"] = "secret".into();
    let private = serde_json::json!({"keys": [private]}).to_string();
    let (status, html) = register_with(&dev, "Leaky", &[("jwks", &private)]).await;
    assert_eq!(status, 400);
    assert!(html.contains("private key"), "{html}");
    let (status, html) = register_with(&dev, "Greedy", &[("extra_scopes", "system/*.read")]).await;
    assert_eq!(status, 400);
    assert!(html.contains("only to apps the sandbox"), "{html}");

    let (status, html) = register_with(&dev, "Keyed app", &[("jwks", &jwks)]).await;
    assert_eq!(status, 201, "{html}");
    assert!(
        !html.contains("id=\"client-secret\""),
        "no secret for an app with keys"
    );
    assert!(html.contains("private_key_jwt"), "{html}");
    let client_id = by_id(&html, "client-id");

    // The token endpoint authenticates it by its key: an unknown code is then invalid_grant,
    // while an assertion signed by another key is invalid_client.
    let now = carin_sandbox::clock::Clock::now(&carin_sandbox::clock::SystemClock).unix_timestamp();
    let token_url = format!("{base}/v2/o/token");
    let call = |assertion: String| {
        let token_url = token_url.clone();
        async move {
            reqwest::Client::new()
                .post(token_url)
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", "no-such-code"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &assertion),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let good = key
        .client_assertion(&kid, &client_id, &token_url, now, 120)
        .unwrap();
    let r = call(good).await;
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    let stranger = SigningKey::generate_ec().unwrap();
    let bad = stranger
        .client_assertion(&kid, &client_id, &token_url, now, 120)
        .unwrap();
    let r = call(bad).await;
    assert_eq!(r.status(), 401);
}
