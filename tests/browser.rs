#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! The portal and the test client in a real browser: headless Chromium driven through
//! chromedriver (WebDriver, the `fantoccini` crate), against the real server on a free port.
//!
//! It walks what a developer and a beneficiary do: sign up, sign out and in, register an app
//! and see its credentials; run the test client's one-click flow (sandbox sign-in as
//! BBUser00001, consent), read the claims table and chart, a claim's detail, the Patient and
//! Coverage; refresh the token; revoke the app on the connected apps page; and see the app's
//! next FHIR call refused with 401. Every page is saved as a PNG in
//! `target/browser-screenshots/` (regenerate with `cargo test --test browser`).
//!
//! Needs `chromium` and `chromedriver` on PATH (Debian: `apt-get install chromium
//! chromium-driver`); the test installs them itself when it runs as root (or with passwordless
//! sudo), as `.ci/run` does. Otherwise it fails and says how to install them.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use carin_sandbox::app::{Application, ServeConfig};
use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use serde_json::{json, Value};
use std::panic::AssertUnwindSafe;

const WIDTH: u32 = 1280;
const HEIGHT: u32 = 1600;
const PHONE: (u32, u32) = (390, 844);

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}

/// Installs Debian's chromium and chromium-driver once, the way the SDK test installs its
/// Python package: as root, or through passwordless sudo. Anything else is left to the person
/// (the panic in `require` says how).
fn install_browser() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if on_path("apt-get").is_none() {
            return;
        }
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0"));
        let apt = |args: &[&str]| {
            let mut cmd = if root {
                Command::new("apt-get")
            } else {
                let mut c = Command::new("sudo");
                c.args(["-n", "apt-get"]);
                c
            };
            cmd.args(args)
                .env("DEBIAN_FRONTEND", "noninteractive")
                .status()
                .is_ok_and(|s| s.success())
        };
        eprintln!("installing chromium and chromium-driver for the browser test …");
        let _ = apt(&["update"])
            && apt(&[
                "install",
                "-y",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ]);
    });
}

/// A program on PATH (installed on first need when the machine allows), or the test fails
/// with the install instructions.
fn require(program: &str) -> PathBuf {
    if on_path(program).is_none() {
        install_browser();
    }
    on_path(program).unwrap_or_else(|| {
        panic!(
            "`{program}` is not on PATH. The browser tests need headless Chromium and its \
             WebDriver: install them with `apt-get install -y chromium chromium-driver` \
             (Debian/Ubuntu; `.ci/run` does this), then run `cargo test --test browser` again."
        )
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// chromedriver on a port of its own, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start(binary: &Path) -> Driver {
        let port = free_port();
        let child = Command::new(binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The real server with the seed, on a thread of its own for the rest of the process.
fn start_server() -> (SocketAddr, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = ServeConfig {
        // Claims keep arriving for whoever switches it on (nobody until `claims_arrive`).
        claims_arrive: Some(Duration::from_secs(1)),
        ..ServeConfig::new(dir.path())
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config).expect("server starts");
            tx.send(app.addrs()[0]).unwrap();
            app.run().await.expect("server runs");
        });
    });
    (rx.recv().unwrap(), dir)
}

/// Saves full-page screenshots, numbered in the order taken.
struct Shots {
    dir: PathBuf,
    n: usize,
    size: (u32, u32),
}

impl Shots {
    fn new() -> Shots {
        // target/tmp → target/browser-screenshots
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .parent()
            .unwrap()
            .join("browser-screenshots");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Shots {
            dir,
            n: 0,
            size: (WIDTH, HEIGHT),
        }
    }

    /// The page as a phone shows it (390 px wide).
    async fn phone(&mut self, c: &Client, name: &str) {
        self.size = PHONE;
        c.set_window_size(PHONE.0, PHONE.1).await.unwrap();
        self.take(c, name).await;
        self.size = (WIDTH, HEIGHT);
        c.set_window_size(WIDTH, HEIGHT).await.unwrap();
    }

    /// The whole page (the window grows to the document's height for the picture).
    async fn take(&mut self, c: &Client, name: &str) {
        self.n += 1;
        // The document's height plus the window's own (the viewport is smaller than the window).
        let height = c
            .execute(
                "return Math.ceil(document.documentElement.scrollHeight \
                 + window.outerHeight - window.innerHeight)",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .map_or(self.size.1, |h| u32::try_from(h).unwrap_or(self.size.1));
        let tall = height.clamp(self.size.1, 8000);
        c.set_window_size(self.size.0, tall).await.unwrap();
        let png = c.screenshot().await.unwrap();
        c.set_window_size(self.size.0, self.size.1).await.unwrap();
        let path = self.dir.join(format!("{:02}-{name}.png", self.n));
        std::fs::write(&path, png).unwrap();
    }
}

/// The element, waiting for it; a missing one fails the test with the page it was not on.
async fn element(c: &Client, css: &str) -> fantoccini::elements::Element {
    match c
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(css))
        .await
    {
        Ok(e) => e,
        Err(e) => {
            let url = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            let source = c.source().await.unwrap_or_default();
            panic!("no {css} on {url}: {e}\n{source}");
        }
    }
}

/// The element's text. A page that is replaced between finding the element and reading it
/// (a redirect finishing) makes the read stale; then the element is looked up again.
async fn text(c: &Client, css: &str) -> String {
    for _ in 0..40 {
        match element(c, css).await.text().await {
            Ok(t) => return t,
            Err(fantoccini::error::CmdError::Standard(e))
                if e.error == fantoccini::error::ErrorStatus::StaleElementReference =>
            {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("reading {css}: {e}"),
        }
    }
    panic!("{css} kept going stale");
}

/// Clicks a link or submit button and waits until the browser has left the page, so the next
/// lookup cannot find an element of the old page (every click in this walk navigates).
async fn click(c: &Client, css: &str) {
    let old_page = c.find(Locator::Css("html")).await.unwrap();
    element(c, css).await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        // Any command on the old root fails once the document is gone.
        if old_page.tag_name().await.is_err() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "clicking {css} did not leave the page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn fill(c: &Client, css: &str, value: &str) {
    let field = c.find(Locator::Css(css)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(value).await.unwrap();
}

async fn path(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css)).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn portal_and_test_client_work_in_a_real_browser() {
    let chromium = require("chromium");
    let chromedriver = require("chromedriver");
    let started = Instant::now();
    let (addr, _data) = start_server();
    let base = format!("http://{addr}");
    let driver = Driver::start(&chromedriver);
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                format!("--window-size={WIDTH},{HEIGHT}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let c = ClientBuilder::rustls()
        .unwrap()
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a WebDriver session with headless Chromium");
    c.set_window_size(WIDTH, HEIGHT).await.unwrap();
    let mut shots = Shots::new();
    let outcome = AssertUnwindSafe(walk(&c, &base, &mut shots))
        .catch_unwind()
        .await;
    if outcome.is_err() {
        // What the browser showed when it went wrong.
        let _ = std::fs::write(
            shots.dir.join("failure.png"),
            c.screenshot().await.unwrap_or_default(),
        );
    }
    // Close the session (and Chromium with it) whatever happened.
    let _ = c.close().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    eprintln!(
        "browser walk done in {:.1} s; {} screenshots in {}",
        started.elapsed().as_secs_f64(),
        shots.n,
        shots.dir.display()
    );
}

/// The walk itself: every step a person takes, with a screenshot of each page.
async fn walk(c: &Client, base: &str, shots: &mut Shots) {
    // Home and docs.
    c.goto(&format!("{base}/")).await.unwrap();
    assert!(text(c, "h1").await.contains("CARIN Blue Button"));
    shots.take(c, "home").await;
    c.goto(&format!("{base}/docs")).await.unwrap();
    assert!(text(c, "#endpoints").await.contains("Endpoints"));
    assert!(c
        .source()
        .await
        .unwrap()
        .contains(&format!("{base}/v2/o/token")));
    shots.take(c, "docs").await;

    // A developer signs up.
    c.goto(&format!("{base}/account/signup")).await.unwrap();
    fill(c, "#email", "ada@example.com").await;
    fill(c, "#name", "Ada Lovelace").await;
    fill(c, "#organization", "Analytical Apps").await;
    fill(c, "#password", "analytical engine").await;
    fill(c, "#password_again", "analytical engine").await;
    shots.take(c, "signup").await;
    click(c, "form[action='/account/signup'] button[type=submit]").await;
    assert!(text(c, ".notice").await.contains("Welcome"));
    assert_eq!(path(c).await, "/apps?welcome=1");
    shots.take(c, "apps-welcome").await;

    // Signs out, and in again.
    click(c, "header form[action='/account/logout'] button").await;
    assert!(text(c, "header").await.contains("Developer sign in"));
    c.goto(&format!("{base}/account/login")).await.unwrap();
    fill(c, "#email", "ada@example.com").await;
    fill(c, "#password", "analytical engine").await;
    shots.take(c, "developer-login").await;
    click(c, "form[action='/account/login'] button[type=submit]").await;
    assert_eq!(text(c, "h1").await, "My apps");

    // Registers a confidential app and sees its credentials.
    click(c, "a[href='/apps/new']").await;
    fill(c, "#name", "Ada's Claims Viewer").await;
    fill(
        c,
        "#redirect_uris",
        "http://127.0.0.1:9/callback\ncom.example.ada:/oauth",
    )
    .await;
    shots.take(c, "register-app").await;
    click(c, "form[action='/apps/new'] button[type=submit]").await;
    let client_id = text(c, "#client-id").await;
    let secret = text(c, "#client-secret").await;
    assert!(client_id.starts_with("app-"), "{client_id}");
    assert_eq!(secret.len(), 43, "a 256-bit secret");
    assert!(text(c, "main").await.contains("not shown again"));
    shots.take(c, "app-registered").await;

    // Simulated failures: switched on with the form, shown as on, and off again.
    element(c, "#failure-fhir_503").await.click().await.unwrap();
    element(c, "#failure-slow_responses")
        .await
        .click()
        .await
        .unwrap();
    click(c, "form[action$='/failures'] button[type=submit]").await;
    let on = text(c, "#failures-on").await;
    assert!(
        on.contains("fhir_503") && on.contains("slow_responses"),
        "{on}"
    );
    shots.take(c, "app-failures-on").await;
    element(c, "#failure-fhir_503").await.click().await.unwrap();
    element(c, "#failure-slow_responses")
        .await
        .click()
        .await
        .unwrap();
    click(c, "form[action$='/failures'] button[type=submit]").await;
    assert!(text(c, "#failures-off").await.contains("normal behaviour"));

    // The conformance report: an authorization request without PKCE, aud or a long state
    // (and without redirect_uri, so the sandbox answers with its own error page) shows as
    // fails; the rest is not yet seen.
    c.goto(&format!(
        "{base}/v2/o/authorize?response_type=code&client_id={client_id}&scope=patient%2FPatient.read&state=abc"
    ))
    .await
    .unwrap();
    c.goto(&format!("{base}/apps/{client_id}")).await.unwrap();
    click(c, "#conformance-link").await;
    assert_eq!(text(c, "h1").await, "Client conformance report");
    assert_eq!(text(c, "#req-smart-pkce-s256 .status").await, "fail");
    assert_eq!(text(c, "#req-smart-aud .status").await, "fail");
    assert_eq!(
        text(c, "#req-carin-eob-patient .status").await,
        "not yet seen"
    );
    assert!(text(c, "#summary").await.contains("1 authorization"));
    shots.take(c, "app-conformance").await;
    c.goto(&format!("{base}/apps/{client_id}")).await.unwrap();
    c.goto(&format!("{base}/apps")).await.unwrap();
    assert!(text(c, "#apps").await.contains(&client_id));

    // The test client: one click, the sandbox sign-in, consent, back with tokens.
    c.goto(&format!("{base}/testclient")).await.unwrap();
    shots.take(c, "testclient-start").await;
    click(c, "#start").await;
    assert!(
        path(c).await.starts_with("/v2/o/authorize"),
        "{}",
        path(c).await
    );
    assert!(text(c, "main").await.contains("TestApp (confidential)"));
    fill(c, "#username", "BBUser00001").await;
    fill(c, "#password", "PW00001!").await;
    shots.take(c, "sandbox-login").await;
    click(c, "form[action='/v2/o/authorize/login'] button.primary").await;
    assert!(text(c, "h1").await.contains("TestApp (confidential)"));
    assert!(text(c, "ul.scopes").await.contains("Your claims"));
    shots.take(c, "consent").await;
    click(c, "button[name=decision][value=allow]").await;
    let token_response: Value = serde_json::from_str(&text(c, "#token-response").await).unwrap();
    assert_eq!(path(c).await, "/testclient?connected=1");
    assert_eq!(token_response["patient"], "M00001");
    let access_token = token_response["access_token"].as_str().unwrap().to_string();
    shots.take(c, "testclient-token").await;

    // Claims as a person reads them: the table and the chart.
    click(c, "#open-claims").await;
    let rows = count(c, "#claims tbody tr").await;
    assert_eq!(rows, 10, "a page of ten claims");
    let showing = text(c, "#showing").await;
    assert!(showing.contains("of 42"), "{showing}");
    assert!(text(c, "#claims thead").await.contains("You owe"));
    assert!(
        count(c, "svg#cost-chart rect.bar").await > 5,
        "the chart has bars"
    );
    assert_eq!(
        text(c, ".calls .status").await,
        "200 OK",
        "the FHIR search answered"
    );
    shots.take(c, "claims").await;

    // Filters are FHIR search parameters.
    c.find(Locator::Css("#type"))
        .await
        .unwrap()
        .select_by_value("pharmacy")
        .await
        .unwrap();
    click(c, "form.filters button[type=submit]").await;
    assert!(path(c).await.contains("type=pharmacy"));
    let types = c
        .find_all(Locator::Css("#claims tbody .tag"))
        .await
        .unwrap();
    assert!(!types.is_empty());
    for t in types {
        assert_eq!(t.text().await.unwrap(), "Pharmacy");
    }
    assert!(text(c, ".calls .request").await.contains("type=pharmacy"));
    shots.take(c, "claims-pharmacy").await;

    // Next page.
    c.goto(&format!("{base}/testclient/claims")).await.unwrap();
    click(c, "#page-next").await;
    assert!(text(c, "#showing").await.starts_with("Claims 11–20 of 42"));

    // A claim's detail: lines, diagnoses, adjudication.
    click(c, "#claims tbody tr:first-child a").await;
    assert!(count(c, "#lines tbody tr").await >= 1);
    assert!(text(c, "#totals").await.contains("$"));
    shots.take(c, "claim-detail").await;

    // Patient and Coverage.
    click(c, "a[href='/testclient/patient']").await;
    assert!(text(c, "#patient").await.contains("Born"));
    shots.take(c, "patient").await;
    click(c, "a[href='/testclient/coverage']").await;
    assert!(text(c, "#coverages").await.contains("Insurer"));
    shots.take(c, "coverage").await;

    // On a phone.
    c.goto(&format!("{base}/testclient/claims")).await.unwrap();
    assert_eq!(count(c, "#claims tbody tr").await, 10);
    shots.phone(c, "phone-claims").await;
    c.goto(&format!("{base}/")).await.unwrap();
    shots.phone(c, "phone-home").await;

    // Refreshing rotates the refresh token.
    c.goto(&format!("{base}/testclient")).await.unwrap();
    click(c, "#refresh").await;
    let rotation = text(c, "#rotation").await;
    assert!(rotation.contains("→"), "{rotation}");
    let refreshed: Value = serde_json::from_str(&text(c, "#token-response").await).unwrap();
    assert_ne!(refreshed["refresh_token"], token_response["refresh_token"]);
    let access_token_2 = refreshed["access_token"].as_str().unwrap().to_string();
    shots.take(c, "refreshed").await;

    // The beneficiary revokes the app on the connected apps page.
    c.goto(&format!("{base}/connected-apps")).await.unwrap();
    assert!(text(c, "main").await.contains("BBUser00001"));
    assert!(text(c, "#connected-apps")
        .await
        .contains("TestApp (confidential)"));
    shots.take(c, "connected-apps").await;
    shots.phone(c, "phone-connected-apps").await;
    click(
        c,
        "#connected-apps form:has(input[value='test-client-id']) button",
    )
    .await;
    assert!(text(c, "#revoked").await.contains("TestApp (confidential)"));
    assert!(!c
        .source()
        .await
        .unwrap()
        .contains("value=\"test-client-id\""));
    shots.take(c, "revoked").await;

    // The app's next FHIR call fails with 401: in the test client…
    c.goto(&format!("{base}/testclient/claims")).await.unwrap();
    let status = text(c, "#fhir-status").await;
    assert!(status.contains("401"), "{status}");
    assert!(text(c, "main").await.contains("invalid_token"));
    shots.take(c, "after-revoke-401").await;
    // …and for anyone holding its tokens.
    let http = reqwest::Client::new();
    for token in [&access_token, &access_token_2] {
        let answer = http
            .get(format!(
                "{base}/v2/fhir/ExplanationOfBenefit?patient=M00001"
            ))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 401);
    }
    claims_arrive(c, base, shots).await;
}

/// The beneficiary (still signed in) switches "claims keep arriving" on and watches a claim
/// arrive and the one before it be adjusted.
async fn claims_arrive(c: &Client, base: &str, shots: &mut Shots) {
    c.goto(&format!("{base}/connected-apps")).await.unwrap();
    click(c, "#claims-arrive-link a").await;
    assert_eq!(path(c).await, "/claims-arrive");
    assert!(text(c, "#arrivals-mode").await.contains("do not change"));
    shots.take(c, "claims-arrive-off").await;
    click(c, "#arrivals-switch button").await;
    assert!(text(c, "#arrivals-mode").await.contains("keep arriving"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !c.source().await.unwrap().contains("replacedby C00001-T") {
        assert!(Instant::now() < deadline, "no adjusted claim arrived");
        tokio::time::sleep(Duration::from_millis(500)).await;
        c.refresh().await.unwrap();
    }
    assert!(text(c, "#arrivals").await.contains("cancelled"));
    shots.take(c, "claims-arrive").await;
    shots.phone(c, "phone-claims-arrive").await;
    click(c, "#arrivals-switch button").await;
    assert!(text(c, "#arrivals-mode").await.contains("do not change"));
}
