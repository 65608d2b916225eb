#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! `carin-sandbox check` against the real server over HTTP: green in full for the showcase
//! logins (standalone launch through the sign-in forms, and with `--bearer`), the binary's
//! JSON and HTML reports and exit code, and a deliberately broken target (the open API, which
//! hands out data without the token) that must fail.

#[path = "api/helpers.rs"]
#[expect(dead_code, reason = "this binary uses only the shared servers")]
mod helpers;

use std::process::Command;
use std::time::Duration;

use carin_sandbox::check::report::{Outcome, Report};
use carin_sandbox::check::transport::HttpTransport;
use carin_sandbox::check::{self, AuthOptions, Options};
use carin_sandbox::client::discovery::discover;
use carin_sandbox::client::form_driver::Decision;
use carin_sandbox::client::http::Http;
use carin_sandbox::client::login::{login, LoginOptions, SignIn, CARIN_SCOPES};
use carin_sandbox::client::loopback::DEFAULT_REDIRECT;
use carin_sandbox::client::oauth::ClientCredentials;
use carin_sandbox::clock::{Clock, SystemClock};
use serde_json::Value;

use helpers::TestApp;

const CLIENT: (&str, &str) = ("test-client-id", "test-client-secret");

fn base(app: &TestApp) -> String {
    app.url("/v2/fhir")
}

fn user(n: u32) -> (String, String) {
    (format!("BBUser{n:05}"), format!("PW{n:05}!"))
}

fn run_check(base: &str, auth: AuthOptions, patients: Vec<String>) -> Report {
    let http = Http::new().expect("http");
    let options = Options {
        base: base.to_string(),
        auth,
        patients,
        page_size: 5,
    };
    let now = SystemClock.now();
    check::run(
        &HttpTransport { http: &http },
        Some(&http),
        &options,
        now.unix_timestamp(),
        carin_sandbox::clock::fhir_instant(now),
    )
}

fn launch(n: u32) -> AuthOptions {
    let (username, password) = user(n);
    AuthOptions::Login {
        client_id: CLIENT.0.into(),
        client_secret: Some(CLIENT.1.into()),
        username,
        password,
        scope: None,
    }
}

/// Every check that did not pass, one per line.
fn not_passed(report: &Report) -> String {
    report
        .checks()
        .filter(|c| c.outcome != Outcome::Pass)
        .map(|c| format!("{:?} {}: {}", c.outcome, c.id, c.messages.join(" | ")))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Green in full: no failure, no warning, no skip, every profile examined and complete.
fn assert_green(report: &Report) {
    assert!(report.passed, "{}", not_passed(report));
    assert_eq!(
        report.summary.fail + report.summary.warn + report.summary.skip,
        0,
        "{}",
        not_passed(report)
    );
    assert_eq!(report.must_support.len(), 11);
    for m in &report.must_support {
        assert!(m.resources > 0, "{} not examined", m.profile);
        assert!(m.missing.is_empty(), "{}: {:?}", m.profile, m.missing);
    }
    assert!(
        !report.findings.iter().any(|f| f.severity == "error"),
        "validation errors: {:?}",
        report.findings.iter().find(|f| f.severity == "error")
    );
    // The kit's request shapes were all sent.
    let urls: Vec<&str> = report
        .checks()
        .flat_map(|c| &c.requests)
        .map(|r| r.url.as_str())
        .collect();
    for shape in [
        "/.well-known/smart-configuration",
        "/metadata",
        "ExplanationOfBenefit?service-date=gt",
        "ExplanationOfBenefit?billable-period-start=",
        "_include=ExplanationOfBenefit%3A*",
        "_include=ExplanationOfBenefit%3Apayee",
        "_include%3Aiterate=Coverage%3Apayor",
        "Coverage?_id=",
        "_include=Coverage%3Apayor",
        "/_history/",
        "RelatedPerson?_lastUpdated=",
        "&_count=5",
    ] {
        assert!(
            urls.iter().any(|u| u.contains(shape)),
            "no request like {shape}"
        );
    }
}

#[test]
fn each_showcase_login_passes_in_full_after_a_standalone_launch() {
    let app = TestApp::shared_secured();
    for n in [0, 1] {
        let report = run_check(&base(&app), launch(n), Vec::new());
        assert_eq!(report.auth, "standalone-launch");
        assert_eq!(report.patients.len(), 1, "the token's patient");
        assert_green(&report);
    }
}

/// Signs in as beneficiary `n` through the client (scripted forms): the access token and its
/// patient.
fn token_for(app: &TestApp, n: u32) -> (String, String) {
    let http = Http::new().expect("http");
    let (username, password) = user(n);
    let session = login(
        &http,
        &LoginOptions {
            endpoints: discover(&http, &base(app)).expect("discovery"),
            client: ClientCredentials {
                client_id: CLIENT.0.into(),
                client_secret: Some(CLIENT.1.into()),
            },
            scope: CARIN_SCOPES.into(),
            redirect_uri: DEFAULT_REDIRECT.into(),
            sign_in: SignIn::Script {
                username,
                password,
                decision: Decision::Allow,
            },
            timeout: Duration::from_secs(30),
        },
        &|| SystemClock.now().unix_timestamp(),
        &mut |_, _| panic!("scripted"),
    )
    .expect("login");
    let patient = session.tokens.patient.clone().expect("patient context");
    (session.tokens.access_token, patient)
}

#[test]
fn a_bearer_token_passes_in_full_with_and_without_patient() {
    let app = TestApp::shared_secured();
    let (token, patient) = token_for(&app, 1);
    // No --patient: the first Patient the token sees.
    let report = run_check(&base(&app), AuthOptions::Bearer(token.clone()), Vec::new());
    assert_eq!(report.patients, std::slice::from_ref(&patient));
    assert_green(&report);
    let report = run_check(&base(&app), AuthOptions::Bearer(token), vec![patient]);
    assert_green(&report);
}

#[test]
fn another_patients_id_fails_and_nothing_of_theirs_is_examined() {
    let app = TestApp::shared_secured();
    let (token, own) = token_for(&app, 1);
    let other = "M00000";
    assert_ne!(own, other);
    let report = run_check(&base(&app), AuthOptions::Bearer(token), vec![other.into()]);
    assert!(!report.passed);
    let failed: Vec<&str> = report.ids_with(Outcome::Fail);
    for id in [
        "patient.search._id@M00000",
        "patient.read@M00000",
        "eob.search.patient@M00000",
        "eob.first",
    ] {
        assert!(failed.contains(&id), "{id} did not fail: {failed:?}");
    }
    assert!(
        report.findings.iter().all(|f| !f.resource.contains(other)),
        "a resource of {other} was examined"
    );
    assert!(report.must_support.iter().all(|m| m.resources == 0));
}

#[test]
fn the_binary_writes_json_and_html_and_exits_zero_when_green() {
    let app = TestApp::shared_secured();
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("report.html");
    let (username, password) = user(0);
    let out = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
        .args(["check", "--base", &base(&app), "--json", "--html"])
        .arg(&html)
        .args(["--client-id", CLIENT.0, "--username", &username])
        .env("CARIN_CHECK_CLIENT_SECRET", CLIENT.1)
        .env("CARIN_CHECK_PASSWORD", &password)
        .output()
        .expect("run the binary");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("PASSED"), "{stderr}");
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(json["schema"], "carin-sandbox-check/1");
    assert_eq!(json["passed"], true);
    assert_eq!(json["summary"]["fail"], 0);
    assert!(json["groups"].as_array().expect("groups").len() >= 10);
    let page = std::fs::read_to_string(&html).expect("HTML written");
    assert!(page.contains("CARIN Blue Button 2.0.0 conformance check"));
    assert!(page.contains("Must-support coverage per profile"));
    assert!(
        page.contains("ExplanationOfBenefit?_id="),
        "request URLs listed"
    );
    assert!(!page.contains("<script"), "self-contained and script-free");
    assert!(
        !page.contains(CLIENT.1) && !page.contains(&password),
        "no secret in the report"
    );
    assert!(!stderr.contains(&password));
}

#[test]
fn an_open_api_fails_the_token_and_security_checks_and_the_binary_exits_one() {
    // The sandbox with --insecure-open-api answers without the token it is given.
    let app = TestApp::shared();
    let report = run_check(
        &base(&app),
        AuthOptions::Bearer("not-a-real-token".into()),
        vec!["M00001".into()],
    );
    assert!(!report.passed);
    let failed: Vec<&str> = report.ids_with(Outcome::Fail);
    // Its CapabilityStatement also drops the SMART security section while the well-known
    // document stays: the kit's discovery test fails on that too.
    assert_eq!(
        failed,
        ["smart.capability-security", "errors.no-token"],
        "{}",
        not_passed(&report)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
        .args(["check", "--base", &base(&app), "--patient", "M00001"])
        .env("CARIN_CHECK_BEARER", "not-a-real-token")
        .output()
        .expect("run the binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("FAIL errors.no-token"), "{stdout}");
    assert!(
        stdout.contains("FAILED: 2 required checks failed"),
        "{stdout}"
    );
}

#[test]
fn no_server_is_a_failed_report_not_a_panic() {
    let report = run_check("http://127.0.0.1:9/fhir", AuthOptions::None, Vec::new());
    assert!(!report.passed);
    let read = &report.groups[2].checks[0];
    assert_eq!(read.id, "capability.read");
    assert_eq!(read.outcome, Outcome::Fail);
    assert!(
        read.messages[0].contains("cannot reach"),
        "{:?}",
        read.messages
    );
}
