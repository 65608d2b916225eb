use time::OffsetDateTime;

use super::facts::{Event, Observation};
use super::score::{score, Outcome, Report};

const CARIN_SCOPES: &str = "launch/patient openid fhirUser offline_access patient/ExplanationOfBenefit.read patient/Coverage.read patient/Patient.read";

fn authorize(
    at_ms: i64,
    pkce: Option<&str>,
    state_len: usize,
    aud: Option<&str>,
    scope: &str,
) -> Observation {
    Observation {
        at_ms,
        method: "GET".into(),
        target: "/v2/o/authorize?client_id=app".into(),
        status: 200,
        event: Event::Authorize {
            response_type: Some("code".into()),
            pkce_method: pkce.map(str::to_string),
            state_len,
            aud: aud.map(str::to_string),
            aud_ok: aud == Some("http://h/v2/fhir"),
            scope: Some(scope.into()),
            error: None,
        },
    }
}

fn token(
    at_ms: i64,
    grant: &str,
    verifier: bool,
    issued: &str,
    error: Option<&str>,
) -> Observation {
    Observation {
        at_ms,
        method: "POST".into(),
        target: "/v2/o/token".into(),
        status: if error.is_some() { 400 } else { 200 },
        event: Event::Token {
            grant_type: grant.into(),
            client_auth: "client_secret_basic".into(),
            code_verifier: verifier,
            presented: Some("r1".into()),
            issued: (error.is_none()).then(|| issued.to_string()),
            expires_in: Some(3600),
            error: error.map(str::to_string),
        },
    }
}

fn fhir(at_ms: i64, target: &str, status: u16, token: &str) -> Observation {
    let path = target.split('?').next().unwrap_or("");
    let parts: Vec<&str> = path.trim_start_matches("/v2/fhir/").split('/').collect();
    Observation {
        at_ms,
        method: "GET".into(),
        target: target.into(),
        status,
        event: Event::Fhir {
            interaction: if parts.len() == 1 {
                "search-type"
            } else {
                "read"
            }
            .into(),
            resource_type: parts[0].into(),
            token: token.into(),
            patient: "M1".into(),
            retry_after: matches!(status, 429 | 503).then_some(2),
        },
    }
}

fn report(observations: &[Observation]) -> Report {
    score("app", observations, OffsetDateTime::UNIX_EPOCH)
}

fn result(r: &Report, id: &str) -> Outcome {
    r.finding(id)
        .unwrap_or_else(|| panic!("no requirement {id}"))
        .result
}

#[test]
fn nothing_seen_is_not_yet_seen_everywhere() {
    let r = report(&[]);
    assert_eq!(r.summary.pass + r.summary.fail, 0);
    assert!(r.summary.not_seen >= 20, "{}", r.summary.not_seen);
    assert!(r.requirements.iter().all(|f| f.evidence.is_none()));
}

#[test]
fn a_complete_app_passes_with_evidence() {
    let obs = vec![
        authorize(
            1_000,
            Some("S256"),
            43,
            Some("http://h/v2/fhir"),
            CARIN_SCOPES,
        ),
        token(2_000, "authorization_code", true, "a1", None),
        fhir(3_000, "/v2/fhir/Patient?_id=M1", 200, "a1"),
        fhir(
            3_100,
            "/v2/fhir/Coverage?beneficiary=Patient%2FM1",
            200,
            "a1",
        ),
        fhir(
            3_200,
            "/v2/fhir/ExplanationOfBenefit?patient=M1&_count=2",
            200,
            "a1",
        ),
        fhir(
            3_300,
            "/v2/fhir/ExplanationOfBenefit?patient=M1&_count=2&_offset=2",
            200,
            "a1",
        ),
        fhir(3_400, "/v2/fhir/ExplanationOfBenefit?_id=e1", 200, "a1"),
        fhir(
            3_500,
            "/v2/fhir/ExplanationOfBenefit?_lastUpdated=gt2024-01-01",
            200,
            "a1",
        ),
        fhir(
            3_600,
            "/v2/fhir/ExplanationOfBenefit?type=pharmacy",
            200,
            "a1",
        ),
        fhir(
            3_700,
            "/v2/fhir/ExplanationOfBenefit?identifier=C1",
            200,
            "a1",
        ),
        fhir(
            3_800,
            "/v2/fhir/ExplanationOfBenefit?service-date=ge2024-01-01",
            200,
            "a1",
        ),
        fhir(
            3_900,
            "/v2/fhir/ExplanationOfBenefit?_id=e1&_include=ExplanationOfBenefit%3A*",
            200,
            "a1",
        ),
        token(4_000, "refresh_token", false, "a2", None),
        fhir(5_000, "/v2/fhir/Patient/M1", 200, "a2"),
    ];
    let r = report(&obs);
    for f in &r.requirements {
        if [
            "http-401",
            "http-429",
            "http-503",
            "no-endless-retry",
            "smart-revocation",
        ]
        .contains(&f.id)
        {
            assert_eq!(f.result, Outcome::NotSeen, "{f:?}");
        } else {
            assert_eq!(f.result, Outcome::Pass, "{f:?}");
            assert!(f.evidence.is_some(), "{f:?}");
        }
    }
    let include = r.finding("carin-eob-include-all").unwrap();
    let evidence = include.evidence.as_ref().unwrap();
    assert_eq!(evidence.status, 200);
    assert!(evidence.target.contains("_include"), "{evidence:?}");
    assert_eq!(evidence.at, "1970-01-01T00:00:03.900+00:00");
}

#[test]
fn an_incomplete_authorization_request_fails_with_what_is_missing() {
    let r = report(&[authorize(1, None, 4, None, "patient/Patient.read")]);
    assert_eq!(result(&r, "smart-pkce-s256"), Outcome::Fail);
    assert_eq!(result(&r, "smart-state"), Outcome::Fail);
    assert_eq!(result(&r, "smart-aud"), Outcome::Fail);
    assert_eq!(result(&r, "carin-scopes"), Outcome::Fail);
    let detail = &r.finding("carin-scopes").unwrap().detail;
    assert!(
        detail.contains("launch/patient") && detail.contains("ExplanationOfBenefit"),
        "{detail}"
    );
    let r = report(&[authorize(
        1,
        Some("plain"),
        40,
        Some("http://other/fhir"),
        CARIN_SCOPES,
    )]);
    assert_eq!(result(&r, "smart-pkce-s256"), Outcome::Fail);
    assert_eq!(result(&r, "smart-aud"), Outcome::Fail);
    assert_eq!(result(&r, "smart-state"), Outcome::Pass);
}

#[test]
fn the_latest_authorization_request_decides() {
    let r = report(&[
        authorize(1, None, 0, None, ""),
        authorize(2, Some("S256"), 43, Some("http://h/v2/fhir"), CARIN_SCOPES),
    ]);
    assert_eq!(result(&r, "smart-pkce-s256"), Outcome::Pass);
    assert_eq!(result(&r, "smart-state"), Outcome::Pass);
}

#[test]
fn a_code_exchange_without_verifier_and_another_patient_fail() {
    let r = report(&[
        token(1, "authorization_code", false, "a1", None),
        fhir(2, "/v2/fhir/ExplanationOfBenefit?patient=M2", 200, "a1"),
    ]);
    assert_eq!(result(&r, "smart-token-exchange"), Outcome::Fail);
    assert_eq!(result(&r, "carin-patient-context"), Outcome::Fail);
    let r = report(&[fhir(2, "/v2/fhir/Patient/M2", 404, "a1")]);
    assert_eq!(result(&r, "carin-patient-context"), Outcome::Fail);
}

#[test]
fn a_401_retried_with_the_same_token_fails_and_a_new_token_passes() {
    let bad = report(&[
        fhir(1, "/v2/fhir/Patient/M1", 401, "a1"),
        fhir(2, "/v2/fhir/Patient/M1", 401, "a1"),
    ]);
    assert_eq!(result(&bad, "http-401"), Outcome::Fail);
    let good = report(&[
        token(0, "authorization_code", true, "a1", None),
        fhir(1, "/v2/fhir/Patient/M1", 401, "a1"),
        token(2, "refresh_token", false, "a2", None),
        fhir(3, "/v2/fhir/Patient/M1", 200, "a2"),
    ]);
    assert_eq!(result(&good, "http-401"), Outcome::Pass);
    assert_eq!(result(&good, "smart-refresh"), Outcome::Pass);
}

#[test]
fn an_expired_token_without_refresh_fails() {
    let r = report(&[
        token(0, "authorization_code", true, "a1", None),
        fhir(3_601_000, "/v2/fhir/Patient/M1", 401, "a1"),
    ]);
    assert_eq!(result(&r, "smart-refresh"), Outcome::Fail);
}

#[test]
fn retry_after_must_be_waited_for() {
    let hasty = report(&[
        fhir(1_000, "/v2/fhir/Patient/M1", 429, "a1"),
        fhir(1_500, "/v2/fhir/Patient/M1", 200, "a1"),
    ]);
    assert_eq!(result(&hasty, "http-429"), Outcome::Fail);
    let patient = report(&[
        fhir(1_000, "/v2/fhir/Patient/M1", 503, "a1"),
        fhir(3_100, "/v2/fhir/Patient/M1", 200, "a1"),
    ]);
    assert_eq!(result(&patient, "http-503"), Outcome::Pass);
    assert_eq!(result(&patient, "http-429"), Outcome::NotSeen);
}

#[test]
fn endless_retries_fail() {
    let mut obs: Vec<Observation> = (0..5)
        .map(|i| fhir(i, "/v2/fhir/Practitioner?_id=p", 403, "a1"))
        .collect();
    assert_eq!(result(&report(&obs), "no-endless-retry"), Outcome::Fail);
    obs.truncate(2);
    assert_eq!(result(&report(&obs), "no-endless-retry"), Outcome::Pass);
    let refreshes: Vec<Observation> = (0..5)
        .map(|i| token(i, "refresh_token", false, "x", Some("invalid_grant")))
        .collect();
    assert_eq!(
        result(&report(&refreshes), "no-endless-retry"),
        Outcome::Fail
    );
}

#[test]
fn a_new_authorization_after_invalid_grant_handles_revocation() {
    let r = report(&[
        token(1, "refresh_token", false, "x", Some("invalid_grant")),
        authorize(2, Some("S256"), 43, Some("http://h/v2/fhir"), CARIN_SCOPES),
    ]);
    assert_eq!(result(&r, "smart-revocation"), Outcome::Pass);
}

#[test]
fn the_report_serializes_with_snake_case_results() {
    let json = serde_json::to_value(report(&[])).unwrap();
    assert_eq!(json["client_id"], "app");
    assert_eq!(json["requirements"][0]["result"], "not_seen");
    assert_eq!(json["requirements"][0]["id"], "smart-pkce-s256");
}

#[test]
fn the_text_form_lists_every_requirement_with_its_evidence() {
    let r = report(&[authorize(1_000, None, 0, None, "")]);
    let text = super::text(&r);
    assert!(text.starts_with("app: 0 pass, "), "{text}");
    for f in &r.requirements {
        assert!(text.contains(f.id), "{}", f.id);
    }
    assert!(text.contains("fail         smart-pkce-s256"), "{text}");
    assert!(
        text.contains("1970-01-01T00:00:01.000+00:00 GET /v2/o/authorize?client_id=app → 200"),
        "{text}"
    );
}
