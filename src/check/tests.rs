//! The checks against canned answers (no server): a third-party-like FHIR server with no
//! SMART, no CARIN statement and no CARIN search parameters must come out as clear failures
//! and skips, never a panic; searches that ignore their parameters, unrelated includes and a
//! missing `instantiates` must each fail the check that looks at them.

use serde_json::{json, Value};

use super::report::{Check, Outcome, Report};
use super::transport::{Reply, Transport};
use super::{run, AuthOptions, Options};

const BASE: &str = "http://fhir.example/r4";

/// A server as a function of the URL (after the base) and the bearer token.
struct Fake<F: Fn(&str, Option<&str>) -> (u16, Value)>(F);

impl<F: Fn(&str, Option<&str>) -> (u16, Value)> Transport for Fake<F> {
    fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply, String> {
        let rest = url
            .strip_prefix(BASE)
            .ok_or_else(|| format!("cannot reach {url}"))?;
        let (status, body) = (self.0)(rest.trim_start_matches('/'), bearer);
        let mut reply = Reply {
            status,
            body: body.to_string(),
            ..Reply::default()
        };
        reply
            .headers
            .insert("content-type".into(), "application/fhir+json".into());
        Ok(reply)
    }
}

fn outcome(text: &str) -> Value {
    json!({"resourceType": "OperationOutcome",
           "issue": [{"severity": "error", "code": "not-supported", "diagnostics": text}]})
}

fn bundle(matches: &[&Value], included: &[&Value]) -> Value {
    let entry = |r: &&Value, mode: &str| json!({"resource": r, "search": {"mode": mode}});
    let mut entries: Vec<Value> = matches.iter().map(|r| entry(r, "match")).collect();
    entries.extend(included.iter().map(|r| entry(r, "include")));
    json!({"resourceType": "Bundle", "type": "searchset", "total": matches.len(), "entry": entries})
}

fn patient() -> Value {
    json!({"resourceType": "Patient", "id": "p1", "meta": {"versionId": "1", "lastUpdated": "2024-01-01T00:00:00Z"},
           "name": [{"family": "Doe"}]})
}

fn eob(id: &str, code: &str, start: &str) -> Value {
    json!({"resourceType": "ExplanationOfBenefit", "id": id,
           "meta": {"lastUpdated": "2024-01-02T00:00:00Z"},
           "status": "active", "outcome": "complete", "use": "claim",
           "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": code}]},
           "patient": {"reference": "Patient/p1"},
           "insurer": {"reference": "Organization/o1"},
           "provider": {"reference": "Organization/o1"},
           "billablePeriod": {"start": start}})
}

/// A generic R4 server: no SMART, a bare CapabilityStatement, and searches that ignore every
/// parameter but the type (some servers do that with parameters they do not know).
fn generic(path: &str, _bearer: Option<&str>) -> (u16, Value) {
    let (p, e1, e2) = (
        patient(),
        eob("e1", "institutional", "2020-01-01"),
        eob("e2", "pharmacy", "2021-05-01"),
    );
    let org = json!({"resourceType": "Organization", "id": "o1", "name": "Payer"});
    let stranger = json!({"resourceType": "Organization", "id": "o9", "name": "Unrelated"});
    match path.split_once('?').map_or(path, |(p, _)| p) {
        "metadata" => (
            200,
            json!({"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
                   "fhirVersion": "4.0.1", "format": ["json"],
                   "rest": [{"mode": "server", "resource": [
                       {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [{"name": "_id", "type": "token"}]},
                       {"type": "ExplanationOfBenefit", "interaction": [{"code": "read"}, {"code": "search-type"}],
                        "searchParam": [{"name": "_id", "type": "token"}, {"name": "patient", "type": "reference"}]}]}]}),
        ),
        "Patient" => (200, bundle(&[&p], &[])),
        "Patient/p1" => (200, p),
        "ExplanationOfBenefit" if path.contains("_include") => {
            (200, bundle(&[&e1], &[&org, &stranger]))
        }
        "ExplanationOfBenefit" => (200, bundle(&[&e1, &e2], &[])),
        "ExplanationOfBenefit/e1" => (200, e1),
        "Organization/o1" => (200, org),
        _ => (404, outcome(&format!("no {path}"))),
    }
}

fn check_of<'a>(report: &'a Report, id: &str) -> &'a Check {
    report
        .checks()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

fn run_fake<F: Fn(&str, Option<&str>) -> (u16, Value)>(
    fake: &Fake<F>,
    auth: AuthOptions,
) -> Report {
    let options = Options {
        base: BASE.into(),
        auth,
        patients: Vec::new(),
        page_size: 1,
    };
    let http = crate::client::http::Http::new().expect("http");
    run(
        fake,
        Some(&http),
        &options,
        1_767_225_600,
        "2026-01-01T00:00:00Z".into(),
    )
}

#[test]
fn a_generic_server_fails_clearly_and_skips_what_it_does_not_offer() {
    let report = run_fake(&Fake(generic), AuthOptions::None);
    assert!(!report.passed);
    assert_eq!(report.exit_code(), 1);
    // No SMART and no sign-in asked for: skipped, not failed.
    assert_eq!(check_of(&report, "smart.well-known").outcome, Outcome::Skip);
    assert_eq!(
        check_of(&report, "capability.fhir-version").outcome,
        Outcome::Pass
    );
    let inst = check_of(&report, "capability.instantiates");
    assert_eq!(inst.outcome, Outcome::Fail);
    let eob_cs = check_of(&report, "capability.resource.ExplanationOfBenefit");
    assert_eq!(eob_cs.outcome, Outcome::Fail);
    assert!(
        eob_cs
            .messages
            .iter()
            .any(|m| m.contains("service-date (SHALL)")),
        "{:?}",
        eob_cs.messages
    );
    assert_eq!(
        check_of(&report, "capability.resource.Coverage").outcome,
        Outcome::Fail
    );
    assert_eq!(
        check_of(&report, "capability.resource.Organization").outcome,
        Outcome::Warn
    );
    assert_eq!(report.patients, ["p1"]);
    // The search that ignores `type` returns a pharmacy claim for type=institutional.
    let ty = check_of(&report, "eob.search.type");
    assert_eq!(ty.outcome, Outcome::Fail);
    assert!(
        ty.messages.iter().any(|m| m.contains(
            "ExplanationOfBenefit/e2 was returned but does not match type=institutional"
        )),
        "{:?}",
        ty.messages
    );
    assert_eq!(
        ty.requests[0].url,
        format!("{BASE}/ExplanationOfBenefit?type=institutional")
    );
    // The date the kit sends: the day before billablePeriod.start, gt, with an offset.
    let sd = check_of(&report, "eob.search.service-date");
    assert_eq!(
        sd.requests[0].url,
        format!("{BASE}/ExplanationOfBenefit?service-date=gt2019-12-31T00%3A00%3A00%2B00%3A00")
    );
    // An include that adds an unrelated Organization, and misses the Patient.
    let inc = check_of(&report, "eob.include.patient");
    assert_eq!(inc.outcome, Outcome::Fail);
    assert!(inc
        .messages
        .iter()
        .any(|m| m.contains("Organization/o9 was included")));
    assert!(inc
        .messages
        .iter()
        .any(|m| m.contains("Patient/p1 is referenced but was not included")));
    // No careTeam on the first EOB: the kit cannot test that include.
    assert!(check_of(&report, "eob.include.care-team").messages[0]
        .contains("no reference at careTeam.provider"));
    assert_eq!(
        check_of(&report, "coverage.search._id").outcome,
        Outcome::Fail
    );
    // Paging with _count=1 on a server that ignores _count.
    assert_eq!(check_of(&report, "eob.paging@p1").outcome, Outcome::Warn);
    // Resources without a C4BB profile fail validation; must-support is incomplete.
    let v = check_of(&report, "validation.Patient");
    assert_eq!(v.outcome, Outcome::Fail);
    assert!(report
        .findings
        .iter()
        .any(|f| f.resource == "Patient/p1/_history/1"));
    assert_eq!(
        check_of(&report, "must-support.C4BB-Patient").outcome,
        Outcome::Fail
    );
    assert_eq!(
        check_of(&report, "must-support.C4BB-ExplanationOfBenefit-Oral").outcome,
        Outcome::Skip
    );
    // Bad input answered 404 everywhere: warnings only.
    assert_eq!(check_of(&report, "errors.bad-date").outcome, Outcome::Warn);
    // Every report renders.
    let text = super::output::summary(&report);
    assert!(text.contains("FAIL capability.instantiates"), "{text}");
    let page = super::output::html(&report).expect("renders");
    assert!(page.contains("does not match type=institutional"));
}

#[test]
fn a_refused_token_and_a_sign_in_without_discovery_fail() {
    let refuse = Fake(|path: &str, bearer: Option<&str>| match (path, bearer) {
        ("metadata", _) => generic(path, None),
        (_, Some(_)) => (401, outcome("invalid token")),
        _ => generic(path, None),
    });
    let report = run_fake(&refuse, AuthOptions::Bearer("t".into()));
    let ids = check_of(&report, "patient.ids");
    assert_eq!(ids.outcome, Outcome::Fail);
    assert!(
        ids.messages[0].contains("the token was refused"),
        "{:?}",
        ids.messages
    );

    let report = run_fake(
        &Fake(generic),
        AuthOptions::Login {
            client_id: "a".into(),
            client_secret: None,
            username: "u".into(),
            password: "p".into(),
            scope: None,
        },
    );
    // Sign-in needs discovery: its absence fails now.
    assert_eq!(check_of(&report, "smart.well-known").outcome, Outcome::Fail);
    let launch = check_of(&report, "auth.launch");
    assert_eq!(launch.outcome, Outcome::Fail);
    assert!(
        launch.messages[0].contains("no SMART discovery"),
        "{:?}",
        launch.messages
    );
}

#[test]
fn backend_services_with_an_unreadable_key_fail_the_auth_check() {
    let http = crate::client::http::Http::new().expect("http");
    let options = Options {
        base: BASE.into(),
        auth: AuthOptions::Backend {
            client_id: "svc".into(),
            private_key: "/nonexistent/key.pem".into(),
            kid: None,
            scope: "system/*.read".into(),
        },
        patients: Vec::new(),
        page_size: 1,
    };
    let report = run(&Fake(generic), Some(&http), &options, 0, String::new());
    let backend = check_of(&report, "auth.backend");
    assert_eq!(backend.outcome, Outcome::Fail);
    assert!(
        backend.messages[0].contains("--private-key /nonexistent/key.pem"),
        "{:?}",
        backend.messages
    );
    // The API checks still run, without a token.
    assert_eq!(report.patients, ["p1"]);
}

#[test]
fn the_token_never_leaves_the_servers_origin() {
    let seen = std::cell::RefCell::new(Vec::new());
    let fake = Fake(|path: &str, bearer: Option<&str>| {
        seen.borrow_mut()
            .push((path.to_string(), bearer.map(str::to_string)));
        generic(path, None)
    });
    let c = super::Checker {
        bearer: Some("secret".into()),
        ..super::Checker::new(&fake, BASE, 0)
    };
    let mut check = Check::new("x", "x", true);
    assert!(c
        .fetch(
            &mut check,
            "http://elsewhere.example/r4/Patient?page=2",
            true
        )
        .is_none());
    assert_eq!(check.outcome, Outcome::Fail);
    assert!(seen.borrow().is_empty(), "nothing was sent");
    assert!(c
        .fetch(&mut check, &format!("{BASE}/Patient"), true)
        .is_some());
    assert_eq!(seen.borrow()[0].1.as_deref(), Some("secret"));
}
