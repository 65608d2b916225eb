#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! `carin-sandbox client` against the real server on 127.0.0.1:0: scripted public and
//! confidential logins, filtered and paged EOB searches compared with direct FHIR searches,
//! transparent refresh (server clock and client clock), logout, the callback server, and the
//! one-line errors of the binary.
//!
//! Two servers are started per test binary: a shared one on the wall clock, and one on a
//! `FixedClock` that the refresh test moves forward. Each test signs in as its own synthetic
//! beneficiary so that tests do not revoke one another's grants.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use carin_sandbox::app::{Application, ServeConfig};
use carin_sandbox::client::callback_server::CallbackServer;
use carin_sandbox::client::discovery::discover;
use carin_sandbox::client::fhir::FhirClient;
use carin_sandbox::client::form_driver::{sign_in_and_consent, Decision};
use carin_sandbox::client::http::Http;
use carin_sandbox::client::login::{login, LoginOptions, SignIn, CARIN_SCOPES};
use carin_sandbox::client::loopback::DEFAULT_REDIRECT;
use carin_sandbox::client::oauth::ClientCredentials;
use carin_sandbox::client::queries::{eob_params, EobFilters};
use carin_sandbox::client::token_store::{Session, TokenStore};
use carin_sandbox::client::ClientError;
use carin_sandbox::clock::{Clock, FixedClock, SystemClock};
use serde_json::Value;

const CONFIDENTIAL: (&str, &str) = ("test-client-id", "test-client-secret");
const PUBLIC: &str = "test-public-client-id";

struct Server {
    addr: SocketAddr,
}

impl Server {
    fn base(&self) -> String {
        format!("http://{}/v2/fhir", self.addr)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Starts a seeded server on a thread of its own; it lives as long as the test binary.
fn start(clock: Arc<dyn Clock>) -> Server {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        actix_web::rt::System::new().block_on(async move {
            let mut config = ServeConfig::new(dir.path());
            config.clock = clock;
            let app = Application::build(config).expect("server starts");
            tx.send(app.addrs()[0]).expect("send addr");
            app.run().await.expect("server runs");
        });
    });
    Server {
        addr: rx.recv().expect("server address"),
    }
}

/// The shared server on the wall clock.
fn shared() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| start(Arc::new(SystemClock)))
}

/// The server whose clock the refresh test moves.
fn clocked() -> &'static (Server, Arc<FixedClock>) {
    static SERVER: OnceLock<(Server, Arc<FixedClock>)> = OnceLock::new();
    SERVER.get_or_init(|| {
        let clock = Arc::new(FixedClock::new(SystemClock.now()));
        (start(clock.clone()), clock)
    })
}

fn user(n: u32) -> (String, String) {
    (format!("BBUser{n:05}"), format!("PW{n:05}!"))
}

fn credentials(confidential: bool) -> ClientCredentials {
    if confidential {
        ClientCredentials {
            client_id: CONFIDENTIAL.0.into(),
            client_secret: Some(CONFIDENTIAL.1.into()),
        }
    } else {
        ClientCredentials {
            client_id: PUBLIC.into(),
            client_secret: None,
        }
    }
}

fn options(http: &Http, server: &Server, n: u32, confidential: bool) -> LoginOptions {
    let (username, password) = user(n);
    LoginOptions {
        endpoints: discover(http, &server.base()).expect("discovery"),
        client: credentials(confidential),
        scope: CARIN_SCOPES.into(),
        redirect_uri: DEFAULT_REDIRECT.into(),
        sign_in: SignIn::Script {
            username,
            password,
            decision: Decision::Allow,
        },
        timeout: Duration::from_secs(30),
    }
}

fn now() -> i64 {
    SystemClock.now().unix_timestamp()
}

/// Signs in as beneficiary `n` through the forms and saves the session in `store`.
fn login_as(server: &Server, store: &TokenStore, n: u32, confidential: bool) -> Session {
    let http = Http::new().expect("http");
    let session = login(
        &http,
        &options(&http, server, n, confidential),
        &now,
        &mut |_, _| panic!("the scripted login must not ask for a browser"),
    )
    .expect("login");
    store.put(&session).expect("save");
    session
}

fn temp_store() -> (tempfile::TempDir, TokenStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = TokenStore::new(dir.path().join("carin").join("tokens.json"));
    (dir, store)
}

/// A direct FHIR search with the bearer token: every matching id across all pages.
fn direct_ids(server: &Server, token: &str, query: &str) -> Vec<String> {
    let http = reqwest::blocking::Client::new();
    let mut url = Some(server.url(&format!("/v2/fhir/ExplanationOfBenefit?{query}")));
    let mut ids = Vec::new();
    while let Some(u) = url.take() {
        let response = http.get(&u).bearer_auth(token).send().expect("search");
        assert_eq!(response.status().as_u16(), 200, "{u}");
        let bundle: Value = response.json().expect("bundle");
        for e in bundle["entry"].as_array().into_iter().flatten() {
            if e["search"]["mode"] != "include" {
                ids.push(e["resource"]["id"].as_str().expect("id").to_string());
            }
        }
        url = bundle["link"]
            .as_array()
            .and_then(|l| l.iter().find(|l| l["relation"] == "next"))
            .and_then(|l| l["url"].as_str())
            .map(str::to_string);
    }
    ids
}

fn ids(resources: &[Value]) -> Vec<String> {
    resources
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_string())
        .collect()
}

/// POSTs a refresh token to the token endpoint: (status, body).
fn try_refresh(server: &Server, client: &ClientCredentials, refresh_token: &str) -> (u16, Value) {
    let mut form = vec![
        ("grant_type", "refresh_token".to_string()),
        ("refresh_token", refresh_token.to_string()),
    ];
    let mut request = reqwest::blocking::Client::new().post(server.url("/v2/o/token"));
    match &client.client_secret {
        Some(s) => request = request.basic_auth(&client.client_id, Some(s)),
        None => form.push(("client_id", client.client_id.clone())),
    }
    let response = request.form(&form).send().expect("token request");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

/// Runs the built binary with a token file of its own; (exit code, stdout, stderr).
fn run_bin(token_file: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
        .args(args)
        .env("CARIN_CLIENT_TOKENS", token_file)
        .env_remove("CARIN_FHIR_BASE")
        .env_remove("CARIN_CLIENT_ID")
        .env_remove("CARIN_CLIENT_SECRET")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("run the binary");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A failed command: non-zero exit, exactly one `error: …` line, no panic; the line.
fn one_line_error(code: i32, stderr: &str) -> String {
    assert_ne!(code, 0, "expected a failure; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "expected one line: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    lines[0].to_string()
}

#[test]
fn public_client_login_saves_a_private_token_file() {
    let server = shared();
    let (_dir, store) = temp_store();
    let session = login_as(server, &store, 11, false);
    assert_eq!(session.client_id, PUBLIC);
    assert!(session.client_secret.is_none());
    assert_eq!(session.tokens.patient.as_deref(), Some("M00011"));
    let scopes: Vec<&str> = session.tokens.scope.split(' ').collect();
    for s in [
        "offline_access",
        "openid",
        "fhirUser",
        "patient/ExplanationOfBenefit.read",
    ] {
        assert!(scopes.contains(&s), "{s} missing from {scopes:?}");
    }
    assert!(session.tokens.refresh_token.is_some());
    assert!(session.tokens.id_token.is_some());
    assert!(session.tokens.expires_at.expect("expiry") > now());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(store.path())
            .expect("file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let dir = std::fs::metadata(store.path().parent().expect("dir")).expect("dir");
        assert_eq!(dir.permissions().mode() & 0o777, 0o700);
    }
    let saved = store.get(&server.base()).expect("load").expect("saved");
    assert_eq!(saved.tokens, session.tokens);

    // status shows patient, scopes and expiry, never a token.
    let (code, out, err) = run_bin(store.path(), &["client", "status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("patient:       M00011"), "{out}");
    assert!(out.contains("offline_access"), "{out}");
    assert!(
        out.contains("access token:  expires 20") && out.contains(" min)"),
        "{out}"
    );
    assert!(
        !out.contains(&session.tokens.access_token),
        "status printed the token"
    );
    assert!(!out.contains(session.tokens.refresh_token.as_deref().expect("rt")));
}

#[test]
fn confidential_client_login_reads_the_patient_and_coverage() {
    let server = shared();
    let (_dir, store) = temp_store();
    let session = login_as(server, &store, 12, true);
    assert_eq!(session.client_id, CONFIDENTIAL.0);
    assert_eq!(session.tokens.patient.as_deref(), Some("M00012"));

    let http = Http::new().expect("http");
    let mut fhir =
        FhirClient::open(&http, &store, &server.base(), Arc::new(SystemClock)).expect("open");
    let patients = fhir
        .search("Patient", &[("_id".into(), "M00012".into())], false)
        .expect("patient");
    assert_eq!(ids(&patients.matches), ["M00012"]);

    let (code, out, err) = run_bin(
        store.path(),
        &["client", "coverage", "--fhir-base", &server.base()],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("ID "), "{out}");
    assert!(out.contains("Coverage (1 page)"), "{out}");
    let (code, out, err) = run_bin(store.path(), &["client", "patient", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let bundle: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(bundle["entry"][0]["resource"]["id"], "M00012");
    assert_eq!(fhir.session().tokens.refreshes, 0);
}

#[test]
fn filtered_eobs_equal_a_direct_fhir_search() {
    let server = shared();
    let (_dir, store) = temp_store();
    let session = login_as(server, &store, 13, false);
    let token = session.tokens.access_token.clone();
    let http = Http::new().expect("http");
    let mut fhir =
        FhirClient::open(&http, &store, &server.base(), Arc::new(SystemClock)).expect("open");

    let everything = direct_ids(server, &token, "patient=M00013");
    assert!(
        everything.len() > 5,
        "too few EOBs for M00013: {}",
        everything.len()
    );

    let cases: Vec<(EobFilters, &str)> = vec![
        (
            EobFilters {
                types: vec!["pharmacy".into()],
                ..EobFilters::default()
            },
            "patient=M00013&type=pharmacy",
        ),
        (
            EobFilters {
                since: Some("2023-01-01".into()),
                service_date: vec!["lt2025-01-01".into()],
                ..EobFilters::default()
            },
            "patient=M00013&service-date=ge2023-01-01&service-date=lt2025-01-01",
        ),
        (
            EobFilters {
                types: vec!["professional,pharmacy".into()],
                last_updated: vec!["gt2000-01-01".into()],
                count: Some(3),
                ..EobFilters::default()
            },
            "patient=M00013&type=professional,pharmacy&_lastUpdated=gt2000-01-01",
        ),
        (
            EobFilters {
                last_updated: vec!["lt2000-01-01".into()],
                ..EobFilters::default()
            },
            "patient=M00013&_lastUpdated=lt2000-01-01",
        ),
    ];
    let mut narrowed = 0;
    for (filters, query) in cases {
        let params =
            eob_params(&filters, session.endpoints.flavor, Some("M00013")).expect("params");
        let got = fhir
            .search("ExplanationOfBenefit", &params, true)
            .expect("search");
        let want = direct_ids(server, &token, query);
        assert_eq!(ids(&got.matches), want, "{query}");
        assert!(got.included.is_empty());
        if !want.is_empty() && want.len() < everything.len() {
            narrowed += 1;
        }
    }
    // The filters did filter: three cases return a proper, non-empty subset.
    assert!(narrowed >= 3, "only {narrowed} filters narrowed the result");

    let with_includes = fhir
        .search(
            "ExplanationOfBenefit",
            &eob_params(
                &EobFilters {
                    include: true,
                    ..EobFilters::default()
                },
                session.endpoints.flavor,
                Some("M00013"),
            )
            .expect("params"),
            true,
        )
        .expect("include search");
    assert_eq!(ids(&with_includes.matches), everything);
    let kinds: BTreeSet<&str> = with_includes
        .included
        .iter()
        .filter_map(|r| r["resourceType"].as_str())
        .collect();
    assert!(
        kinds.contains("Patient") && kinds.contains("Organization"),
        "{kinds:?}"
    );
}

#[test]
fn eob_search_follows_next_links_across_pages() {
    let server = shared();
    let (_dir, store) = temp_store();
    let session = login_as(server, &store, 14, false);
    let http = Http::new().expect("http");
    let mut fhir =
        FhirClient::open(&http, &store, &server.base(), Arc::new(SystemClock)).expect("open");
    let all = direct_ids(
        server,
        &session.tokens.access_token,
        "patient=M00014&_count=1000",
    );
    assert!(all.len() >= 7, "M00014 has {} EOBs", all.len());

    let params = vec![
        ("patient".to_string(), "M00014".to_string()),
        ("_count".to_string(), "3".to_string()),
    ];
    let first = fhir
        .search("ExplanationOfBenefit", &params, false)
        .expect("page 1");
    assert_eq!(first.pages, 1);
    assert_eq!(first.matches.len(), 3);
    assert!(first.next.is_some());
    assert_eq!(first.total, Some(all.len() as u64));

    let paged = fhir
        .search("ExplanationOfBenefit", &params, true)
        .expect("all pages");
    assert_eq!(paged.pages, all.len().div_ceil(3));
    assert!(paged.pages >= 3);
    assert!(paged.next.is_none());
    assert_eq!(ids(&paged.matches), all);

    // The binary: a table with one row per EOB and the page count.
    let (code, out, err) = run_bin(
        store.path(),
        &["client", "eob", "--count", "3", "--all-pages"],
    );
    assert_eq!(code, 0, "{err}");
    let rows = out.lines().filter(|l| l.starts_with("C000")).count();
    assert_eq!(rows, all.len(), "{out}");
    assert!(
        out.contains(&format!(
            "{0} of {0} ExplanationOfBenefit ({1} pages)",
            all.len(),
            paged.pages
        )),
        "{out}"
    );
    let (code, out, _) = run_bin(
        store.path(),
        &["client", "eob", "--count", "3", "--format", "ndjson"],
    );
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 3);
}

#[test]
fn expired_access_token_is_refreshed_once_and_the_old_refresh_token_dies() {
    let (server, clock) = clocked();
    let (_dir, store) = temp_store();
    let before = login_as(server, &store, 15, false);
    let old_refresh = before.tokens.refresh_token.clone().expect("refresh token");
    let http = Http::new().expect("http");
    let mut fhir =
        FhirClient::open(&http, &store, &server.base(), Arc::new(SystemClock)).expect("open");
    let params = vec![("patient".to_string(), "M00015".to_string())];
    let fresh = fhir
        .search("ExplanationOfBenefit", &params, true)
        .expect("search");
    assert_eq!(fhir.session().tokens.refreshes, 0);

    // Two hours pass on the server: the access token (one hour) has expired there.
    clock.advance(time::Duration::hours(2));
    let response = reqwest::blocking::Client::new()
        .get(server.url("/v2/fhir/Patient/M00015"))
        .bearer_auth(&before.tokens.access_token)
        .send()
        .expect("request");
    assert_eq!(
        response.status().as_u16(),
        401,
        "the old access token still works"
    );

    let again = fhir
        .search("ExplanationOfBenefit", &params, true)
        .expect("search after expiry");
    assert_eq!(ids(&again.matches), ids(&fresh.matches));
    let after = store.get(&server.base()).expect("load").expect("session");
    assert_eq!(after.tokens.refreshes, 1, "exactly one refresh");
    assert_ne!(after.tokens.access_token, before.tokens.access_token);
    let new_refresh = after
        .tokens
        .refresh_token
        .clone()
        .expect("rotated refresh token");
    assert_ne!(
        new_refresh, old_refresh,
        "the refresh token was not rotated"
    );
    assert_eq!(after.tokens.patient.as_deref(), Some("M00015"));

    // A further call uses the new access token without refreshing.
    fhir.search("Coverage", &[], false).expect("coverage");
    assert_eq!(fhir.session().tokens.refreshes, 1);

    let (status, body) = try_refresh(server, &credentials(false), &old_refresh);
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_grant", "{body}");
}

#[test]
fn client_side_expiry_refreshes_before_calling() {
    let server = shared();
    let (_dir, store) = temp_store();
    let before = login_as(server, &store, 16, true);
    let old_refresh = before.tokens.refresh_token.expect("refresh token");
    let http = Http::new().expect("http");
    // The client's clock says the access token expired an hour ago.
    let late = Arc::new(FixedClock::new(
        SystemClock.now() + time::Duration::hours(2),
    ));
    let mut fhir = FhirClient::open(&http, &store, &server.base(), late).expect("open");
    let result = fhir
        .search("Patient", &[("_id".into(), "M00016".into())], false)
        .expect("search");
    assert_eq!(ids(&result.matches), ["M00016"]);
    let after = store.get(&server.base()).expect("load").expect("session");
    assert_eq!(after.tokens.refreshes, 1);
    assert_ne!(
        after.tokens.refresh_token.as_deref(),
        Some(old_refresh.as_str())
    );
    let (status, body) = try_refresh(server, &credentials(true), &old_refresh);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
}

#[test]
fn logout_revokes_the_grant_and_deletes_the_tokens() {
    let server = shared();
    let (_dir, store) = temp_store();
    let session = login_as(server, &store, 17, false);
    let (code, out, err) = run_bin(
        store.path(),
        &["client", "logout", "--fhir-base", &server.base()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("2 tokens revoked"), "{out}");
    assert!(store.get(&server.base()).expect("load").is_none());
    let (status, body) = try_refresh(
        server,
        &credentials(false),
        session.tokens.refresh_token.as_deref().expect("rt"),
    );
    assert_eq!(status, 400, "{body}");
    let response = reqwest::blocking::Client::new()
        .get(server.url("/v2/fhir/Patient/M00017"))
        .bearer_auth(&session.tokens.access_token)
        .send()
        .expect("request");
    assert_eq!(response.status().as_u16(), 401);

    let (code, _, err) = run_bin(
        store.path(),
        &["client", "eob", "--fhir-base", &server.base()],
    );
    let line = one_line_error(code, &err);
    assert!(
        line.contains("not logged in") && line.contains("client login"),
        "{line}"
    );
}

#[test]
fn callback_server_completes_the_flow_and_shows_curl_commands() {
    let server = shared();
    let (_dir, store) = temp_store();
    let http = Http::new().expect("http");
    let endpoints = discover(&http, &server.base()).expect("discovery");
    let mut cs = CallbackServer::bind(
        endpoints,
        credentials(true),
        CARIN_SCOPES.into(),
        DEFAULT_REDIRECT,
        Some(store.clone()),
    )
    .expect("bind");
    let home = cs.home_url().to_string();
    let serving = std::thread::spawn(move || {
        let http = Http::new().expect("http");
        cs.serve(&http, &now, true)
    });

    let browser = reqwest::blocking::Client::new();
    let page = browser
        .get(&home)
        .send()
        .expect("home")
        .text()
        .expect("html");
    let href = page
        .split("id=\"authorize\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("authorize link");
    let authorize = carin_sandbox::client::form_driver::decode_entities(href);
    assert!(
        authorize.starts_with(&server.url("/v2/o/authorize")),
        "{authorize}"
    );
    let (username, password) = user(18);
    let location =
        sign_in_and_consent(&authorize, &username, &password, Decision::Allow).expect("consent");
    assert!(location.starts_with(&home), "{location}");
    let page = browser
        .get(&location)
        .send()
        .expect("callback")
        .text()
        .expect("html");
    let session = serving
        .join()
        .expect("thread")
        .expect("flow")
        .expect("session");

    let token = &session.tokens.access_token;
    assert!(page.contains(token), "the page shows the token");
    for path in [
        "/Patient/M00018",
        "/Coverage?beneficiary=Patient/M00018",
        "/ExplanationOfBenefit?patient=M00018",
    ] {
        let cmd = format!(
            "curl -H &#39;Authorization: Bearer {token}&#39; &#39;{}{path}&#39;",
            server.base()
        );
        assert!(page.contains(&cmd), "missing {cmd} in {page}");
        let response = browser
            .get(format!("{}{path}", server.base()))
            .bearer_auth(token)
            .send()
            .expect("curl equivalent");
        assert_eq!(response.status().as_u16(), 200, "{path}");
    }
    assert!(page.contains("grant_type=refresh_token"));
    assert!(
        !page.contains(CONFIDENTIAL.1),
        "the page printed the client secret"
    );
    assert_eq!(
        store
            .get(&server.base())
            .expect("load")
            .expect("saved")
            .tokens,
        session.tokens
    );
}

#[test]
fn unreachable_server_is_a_one_line_error() {
    let (_dir, store) = temp_store();
    let (code, _, err) = run_bin(
        store.path(),
        &[
            "client",
            "login",
            "--fhir-base",
            "http://127.0.0.1:1/v2/fhir",
            "--username",
            "BBUser00001",
            "--password",
            "PW00001!",
        ],
    );
    let line = one_line_error(code, &err);
    assert_eq!(
        line,
        "error: cannot reach http://127.0.0.1:1/v2/fhir: connection refused"
    );
}

#[test]
fn server_without_smart_discovery_is_a_one_line_error() {
    // A web server that answers 404 to everything.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 2048];
            let _ = std::io::Read::read(&mut s, &mut buf);
            let _ = std::io::Write::write_all(
                &mut s,
                b"HTTP/1.1 404 Not Found\r\nContent-Type: text/html\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
            );
        }
    });
    let (_dir, store) = temp_store();
    let base = format!("http://{addr}/fhir");
    let (code, _, err) = run_bin(
        store.path(),
        &["client", "login", "--fhir-base", &base, "--no-browser"],
    );
    let line = one_line_error(code, &err);
    assert!(
        line.contains(&format!("{base} offers no SMART discovery")),
        "{line}"
    );
    assert!(line.contains("answered 404"), "{line}");

    // The sandbox itself, at a path that is not a FHIR base.
    let wrong = server_url_without_fhir();
    let (code, _, err) = run_bin(
        store.path(),
        &["client", "login", "--fhir-base", &wrong, "--no-browser"],
    );
    let line = one_line_error(code, &err);
    assert!(line.contains("offers no SMART discovery"), "{line}");
}

fn server_url_without_fhir() -> String {
    shared().url("/no/such/base")
}

#[test]
fn denied_consent_is_a_one_line_error_and_saves_nothing() {
    let server = shared();
    let (_dir, store) = temp_store();
    let (username, password) = user(19);
    let (code, out, err) = run_bin(
        store.path(),
        &[
            "client",
            "login",
            "--fhir-base",
            &server.base(),
            "--username",
            &username,
            "--password",
            &password,
            "--consent",
            "deny",
        ],
    );
    let line = one_line_error(code, &err);
    assert!(
        line.starts_with("error: authorization was denied (access_denied"),
        "{line}"
    );
    assert!(out.is_empty(), "{out}");
    assert!(store.get(&server.base()).expect("load").is_none());

    let (code, _, err) = run_bin(
        store.path(),
        &[
            "client",
            "login",
            "--fhir-base",
            &server.base(),
            "--username",
            &username,
            "--password",
            "wrong",
        ],
    );
    let line = one_line_error(code, &err);
    assert!(
        line.starts_with(&format!("error: sign-in failed for {username}")),
        "{line}"
    );
}

#[test]
fn revoked_grant_is_a_one_line_error_asking_for_login() {
    let server = shared();
    let (_dir, store) = temp_store();
    let session = login_as(server, &store, 20, false);
    // The beneficiary (or the app elsewhere) revokes the grant behind the client's back.
    let response = reqwest::blocking::Client::new()
        .post(server.url("/v2/o/revoke_token"))
        .form(&[
            ("token", session.tokens.refresh_token.expect("rt")),
            ("client_id", PUBLIC.to_string()),
        ])
        .send()
        .expect("revoke");
    assert_eq!(response.status().as_u16(), 200);

    let (code, out, err) = run_bin(
        store.path(),
        &["client", "eob", "--fhir-base", &server.base()],
    );
    let line = one_line_error(code, &err);
    assert!(line.contains("refresh token was refused"), "{line}");
    assert!(line.contains("invalid_grant"), "{line}");
    assert!(
        line.ends_with("run `carin-sandbox client login` again"),
        "{line}"
    );
    assert!(out.is_empty(), "{out}");

    // The library says the same, as a typed error.
    let http = Http::new().expect("http");
    let mut fhir =
        FhirClient::open(&http, &store, &server.base(), Arc::new(SystemClock)).expect("open");
    let err = fhir.search("Patient", &[], false).expect_err("revoked");
    assert!(matches!(err, ClientError::RefreshFailed { .. }), "{err:?}");
}

#[test]
fn bad_options_are_one_line_errors() {
    let server = shared();
    let (_dir, store) = temp_store();
    login_as(server, &store, 21, false);
    let (code, _, err) = run_bin(store.path(), &["client", "eob", "--since", "last week"]);
    let line = one_line_error(code, &err);
    assert!(
        line.contains("--since last week: expected a date"),
        "{line}"
    );
    let (code, _, err) = run_bin(
        store.path(),
        &["client", "login", "--preset", "bluebutton-sandbox"],
    );
    let line = one_line_error(code, &err);
    assert!(line.contains("--client-id and --client-secret"), "{line}");
    let (code, _, err) = run_bin(
        store.path(),
        &["client", "login", "--fhir-base", "not a url"],
    );
    let line = one_line_error(code, &err);
    assert!(line.contains("not a URL"), "{line}");
}

#[test]
fn browser_login_takes_the_redirect_on_the_loopback_listener() {
    let server = shared();
    let http = Http::new().expect("http");
    let mut opts = options(&http, server, 22, false);
    opts.sign_in = SignIn::Browser { open: false };
    let mut shown = Vec::new();
    let mut browser = None;
    let session = login(&http, &opts, &now, &mut |url, opened| {
        assert!(!opened, "no browser may be opened in tests");
        shown.push(url.to_string());
        // A person signs in with the printed URL; the browser then follows the redirect.
        let url = url.to_string();
        browser = Some(std::thread::spawn(move || {
            let (username, password) = user(22);
            let location =
                sign_in_and_consent(&url, &username, &password, Decision::Allow).expect("consent");
            let page = reqwest::blocking::get(&location)
                .expect("redirect")
                .text()
                .expect("page");
            (location, page)
        }));
    })
    .expect("login");
    let (location, page) = browser.expect("browser started").join().expect("browser");
    assert_eq!(shown.len(), 1);
    let redirect = url::Url::parse(&location).expect("location");
    assert_eq!(redirect.host_str(), Some("127.0.0.1"));
    assert_ne!(redirect.port(), Some(0));
    assert_eq!(redirect.path(), "/callback");
    assert!(page.contains("You can close this window"), "{page}");
    assert_eq!(session.tokens.patient.as_deref(), Some("M00022"));
}

/// `client backend`: Backend Services with a key made here, against a server where the app
/// was registered (with the public JWKS) before it started.
#[test]
fn backend_services_with_a_private_key() {
    use carin_sandbox::auth::clients::NewClient;
    use carin_sandbox::auth::jws::SigningKey;
    use carin_sandbox::auth::records::ClientJwks;
    use carin_sandbox::auth::{AuthDb, ClientKind};
    use carin_sandbox::client::backend::{self, Backend};

    let key = SigningKey::generate_rsa().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let pem = keys.path().join("private-key.pem");
    std::fs::write(&pem, key.to_pem().unwrap()).unwrap();
    let jwks = serde_json::json!({"keys": [key.public_jwk(&key.thumbprint())]});
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        let client_id = {
            let store = carin_sandbox::store::Store::open(dir.path()).unwrap();
            let db = AuthDb::open(&store).unwrap();
            db.register(
                NewClient {
                    name: "backend".into(),
                    kind: ClientKind::Confidential,
                    redirect_uris: vec![],
                    scopes: Some("system/*.read".into()),
                    pkce_required: true,
                    owner: None,
                    grant_model: Default::default(),
                    jwks: Some(ClientJwks::Jwks(jwks)),
                },
                0,
            )
            .unwrap()
            .client
            .client_id
        };
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(ServeConfig::new(dir.path())).expect("server starts");
            tx.send((app.addrs()[0], client_id)).expect("send addr");
            app.run().await.expect("server runs");
        });
    });
    let (addr, client_id) = rx.recv().expect("server address");
    let server = Server { addr };
    let http = Http::new().unwrap();
    let base = server.base();
    let run = |client_id: &str| {
        backend::run(
            &http,
            &Backend {
                fhir_base: &base,
                client_id,
                private_key: &pem,
                kid: None,
                scope: "system/*.read",
                query: "Patient?_count=3",
            },
            now(),
        )
    };
    let lines = run(&client_id).expect("backend flow");
    assert!(lines[0].contains("scope \"system/*.read\""), "{lines:?}");
    assert!(lines[0].contains("refresh token: no"), "{lines:?}");
    assert!(lines[1].ends_with("total 200"), "{lines:?}");
    assert_eq!(lines.len(), 5, "{lines:?}");
    let refused = run("test-client-id").unwrap_err().to_string();
    assert!(refused.contains("invalid_client"), "{refused}");
}

/// The value of the element `id="{id}"` in a page.
fn text_of(html: &str, id: &str) -> String {
    let at = html.find(&format!(r#"id="{id}""#)).expect(id);
    let start = html[at..].find('>').expect(">") + at + 1;
    let end = html[start..].find('<').expect("<") + start;
    html[start..end].to_string()
}

fn hidden_field(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect(name) + marker.len();
    let end = html[start..].find('"').expect("quote") + start;
    html[start..end].to_string()
}

/// A developer signs up on the portal and registers a confidential app asking for the CARIN
/// scopes: the developer's browser, the client id and the secret.
fn register_portal_app(
    server: &Server,
    email: &str,
) -> (reqwest::blocking::Client, ClientCredentials) {
    let dev = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("browser");
    let html = dev
        .get(server.url("/account/signup"))
        .send()
        .and_then(|r| r.text())
        .expect("sign-up page");
    let password = "correct horse battery";
    let r = dev
        .post(server.url("/account/signup"))
        .form(&[
            ("csrf", hidden_field(&html, "csrf").as_str()),
            ("email", email),
            ("name", "Conformance"),
            ("organization", ""),
            ("password", password),
            ("password_again", password),
        ])
        .send()
        .expect("sign up");
    assert_eq!(r.status().as_u16(), 303);
    let html = dev
        .get(server.url("/apps/new"))
        .send()
        .and_then(|r| r.text())
        .expect("form");
    let r = dev
        .post(server.url("/apps/new"))
        .form(&[
            ("csrf", hidden_field(&html, "csrf").as_str()),
            ("name", "Conformance app"),
            ("kind", "confidential"),
            ("redirect_uris", DEFAULT_REDIRECT),
            ("extra_scopes", CARIN_SCOPES),
        ])
        .send()
        .expect("register");
    assert_eq!(r.status().as_u16(), 201);
    let html = r.text().expect("app page");
    let client = ClientCredentials {
        client_id: text_of(&html, "client-id"),
        client_secret: Some(text_of(&html, "client-secret")),
    };
    (dev, client)
}

#[test]
fn the_client_passes_the_conformance_report() {
    let server = shared();
    let (dev, client) = register_portal_app(server, "conformance-client@example.com");
    let (_dir, store) = temp_store();
    let http = Http::new().expect("http");
    let mut opts = options(&http, server, 23, true);
    opts.client = client.clone();
    let session = login(&http, &opts, &now, &mut |_, _| {
        panic!("the scripted login must not ask for a browser")
    })
    .expect("login");
    store.put(&session).expect("save");
    let patient = session.tokens.patient.expect("patient");
    let mut fhir =
        FhirClient::open(&http, &store, &server.base(), Arc::new(SystemClock)).expect("open");
    let p = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    fhir.search("Patient", &p(&[("_id", &patient)]), false)
        .expect("patient");
    let beneficiary = format!("Patient/{patient}");
    fhir.search("Coverage", &p(&[("beneficiary", &beneficiary)]), false)
        .expect("coverage");
    let all = fhir
        .search(
            "ExplanationOfBenefit",
            &p(&[("patient", &patient), ("_count", "2")]),
            true,
        )
        .expect("every page");
    assert!(all.pages >= 2, "{} pages", all.pages);
    let eob = &all.matches[0];
    let eob_id = eob["id"].as_str().expect("id");
    let identifier = eob["identifier"][0]["value"].as_str().expect("identifier");
    let eob_type = eob["type"]["coding"][0]["code"].as_str().expect("type");
    for query in [
        vec![("_id", eob_id)],
        vec![("_lastUpdated", "gt2000-01-01")],
        vec![("type", eob_type)],
        vec![("identifier", identifier)],
        vec![("service-date", "ge2000-01-01")],
        vec![("_id", eob_id), ("_include", "ExplanationOfBenefit:*")],
    ] {
        let found = fhir
            .search("ExplanationOfBenefit", &p(&query), false)
            .expect("search");
        assert!(!found.matches.is_empty(), "{query:?}");
    }
    fhir.refresh().expect("refresh");
    fhir.search("Patient", &p(&[("_id", &patient)]), false)
        .expect("after the refresh");
    carin_sandbox::client::commands::logout(&http, &store, &server.base()).expect("logout");

    let report: Value = dev
        .get(server.url(&format!(
            "/apps/{}/conformance?format=json",
            client.client_id
        )))
        .send()
        .and_then(|r| r.json())
        .expect("report");
    let not_seen = ["http-401", "http-429", "http-503", "no-endless-retry"];
    for f in report["requirements"].as_array().expect("requirements") {
        let id = f["id"].as_str().expect("id");
        let want = if not_seen.contains(&id) {
            "not_seen"
        } else {
            "pass"
        };
        assert_eq!(f["result"], want, "{f:#}");
        if want == "pass" {
            assert!(f["evidence"]["at"].is_string(), "{f:#}");
        }
    }
    let paging = report["requirements"]
        .as_array()
        .and_then(|r| r.iter().find(|f| f["id"] == "fhir-paging"))
        .expect("paging");
    assert!(
        paging["evidence"]["target"]
            .as_str()
            .is_some_and(|t| t.contains("_offset=")),
        "{paging:#}"
    );
    assert_eq!(report["summary"]["fail"], 0, "{report:#}");
}

#[test]
fn clients_report_prints_a_seeded_apps_report_for_the_operator() {
    let (dir, store) = temp_store();
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8 path");
    let (code, out, err) = run_bin(
        store.path(),
        &["clients", "--data-dir", data, "report", CONFIDENTIAL.0],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("test-client-id: 0 pass, 0 fail, "), "{out}");
    assert!(out.contains("not yet seen smart-pkce-s256"), "{out}");
    let (code, out, err) = run_bin(
        store.path(),
        &[
            "clients",
            "--data-dir",
            data,
            "report",
            CONFIDENTIAL.0,
            "--json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(report["client_id"], CONFIDENTIAL.0);
    assert_eq!(report["summary"]["pass"], 0);
    let (code, _, err) = run_bin(
        store.path(),
        &["clients", "--data-dir", data, "report", "no-such-app"],
    );
    assert_eq!(code, 1);
    assert!(err.contains("no app is registered as no-such-app"), "{err}");
}
