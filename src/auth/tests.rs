//! The authorization server's flows without HTTP: consent → code → tokens → refresh, and the
//! audit trail they leave.

use super::clients::{TEST_CLIENT_ID, TEST_CLIENT_SECRET};
use super::users::Beneficiary;
use super::*;
use crate::audit;

const ISSUER: &str = "http://127.0.0.1:8000/v2/fhir";
const TOKEN_ENDPOINT: &str = "http://127.0.0.1:8000/v2/o/token";

fn server() -> AuthServer {
    let store = Store::in_memory().unwrap();
    AuthServer::open(&store, AuthConfig::default(), 1_000).unwrap()
}

fn pending() -> PendingRequest {
    PendingRequest {
        client_id: TEST_CLIENT_ID.into(),
        client_name: "TestApp".into(),
        redirect_uri: "http://127.0.0.1/callback".into(),
        state: "s".into(),
        scopes: "openid fhirUser offline_access patient/*.rs".into(),
        code_challenge: None,
        nonce: None,
        ..PendingRequest::default()
    }
}

fn request(pairs: &[(&str, &str)]) -> TokenRequest {
    TokenRequest {
        params: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        basic: Some((TEST_CLIENT_ID.into(), TEST_CLIENT_SECRET.into())),
        client_address: None,
        token_endpoint: TOKEN_ENDPOINT.into(),
    }
}

fn code_of(location: &str) -> String {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

#[test]
fn consent_code_token_refresh_and_the_audit_trail() {
    let auth = server();
    let who = Beneficiary {
        username: "BBUser00001".into(),
        patient: "M00001".into(),
    };
    let code = code_of(&auth.approve(&pending(), &who, true, 1_000).unwrap());
    let body = auth
        .token(
            &request(&[("grant_type", "authorization_code"), ("code", &code)]),
            ISSUER,
            1_001,
        )
        .unwrap();
    let access = body["access_token"].as_str().unwrap();
    let seen = auth.access(access, 1_002).unwrap();
    assert_eq!(seen.patient, "M00001");
    assert!(auth.access(access, 1_001 + 3_600).is_err(), "expired");

    let refresh = body["refresh_token"].as_str().unwrap();
    let form = [("grant_type", "refresh_token"), ("refresh_token", refresh)];
    assert!(auth.token(&request(&form), ISSUER, 1_003).is_ok());
    let reuse = auth.token(&request(&form), ISSUER, 1_004).unwrap_err();
    assert_eq!(reuse.error, "invalid_grant");
    // The cache does not outlive the revocation the reuse caused.
    assert!(auth.access(access, 1_005).is_err());

    let events: Vec<(String, String)> = audit::recent(auth.store(), 10)
        .unwrap()
        .into_iter()
        .map(|r| (r.event, r.outcome))
        .collect();
    for expected in [
        ("consent", "success"),
        ("token", "success"),
        ("refresh", "success"),
        ("refresh", "invalid_grant"),
    ] {
        assert!(
            events.contains(&(expected.0.into(), expected.1.into())),
            "{expected:?} in {events:?}"
        );
    }
    let trail = serde_json::to_string(&audit::recent(auth.store(), 10).unwrap()).unwrap();
    assert!(
        !trail.contains(access) && !trail.contains(refresh),
        "no tokens in the audit trail"
    );
}

#[test]
fn withheld_demographics_leave_nothing_to_grant_when_only_patient_was_asked() {
    let auth = server();
    let who = Beneficiary {
        username: "BBUser00001".into(),
        patient: "M00001".into(),
    };
    let only_patient = PendingRequest {
        scopes: "patient/Patient.read profile".into(),
        ..pending()
    };
    let location = auth.approve(&only_patient, &who, false, 1_000).unwrap();
    assert!(location.contains("error=access_denied"), "{location}");
}

#[test]
fn prompt_and_max_age_ask_for_a_sign_in_that_recent() {
    let auth = server();
    let params = |extra: &[(&str, &str)]| -> Vec<(String, String)> {
        [
            ("response_type", "code"),
            ("client_id", TEST_CLIENT_ID),
            ("redirect_uri", "http://127.0.0.1:5000/callback"),
            ("state", "state-0123456789abcdef"),
            (
                "code_challenge",
                "7buII-AMaVRN8ZFauznbtdyxHbGp7JRSt5FKSnHW5FE",
            ),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    };
    let validate = |extra: &[(&str, &str)]| auth.validate_authorize(&params(extra), ISSUER, 1_000);
    let plain = validate(&[]).unwrap();
    assert!(plain.redirect_uri_sent && !plain.prompt_none);
    assert!(plain.accepts_session(0), "any live session will do");
    let login = validate(&[("prompt", "login")]).unwrap();
    assert!(!login.accepts_session(1_000));
    assert!(!login.sign_in_is_recent(999) && login.sign_in_is_recent(1_000));
    let zero = validate(&[("max_age", "0")]).unwrap();
    assert!(!zero.accepts_session(1_000));
    let minute = validate(&[("max_age", "60")]).unwrap();
    assert!(!minute.accepts_session(939) && minute.accepts_session(940));
    assert!(validate(&[("prompt", "none")]).unwrap().prompt_none);
    for bad in [
        [("prompt", "none login")],
        [("max_age", "-1")],
        [("request", "eyJ9.e30.")],
        [("request_uri", "https://app.example/r")],
    ] {
        let Err(AuthorizeError::Redirect(r)) = validate(&bad) else {
            panic!("{bad:?} is refused at the redirect URI");
        };
        assert_eq!(r.state.as_deref(), Some("state-0123456789abcdef"));
    }
}

#[test]
fn a_code_from_a_request_that_named_its_redirect_uri_needs_it_again() {
    let auth = server();
    let who = Beneficiary {
        username: "BBUser00001".into(),
        patient: "M00001".into(),
    };
    for (sent, with_uri, ok) in [
        (true, false, false),
        (true, true, true),
        (false, false, true),
    ] {
        let authorization = PendingRequest {
            redirect_uri_sent: sent,
            ..pending()
        };
        let code = code_of(&auth.approve(&authorization, &who, true, 1_000).unwrap());
        let mut pairs = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ];
        if with_uri {
            pairs.push(("redirect_uri", "http://127.0.0.1/callback"));
        }
        let answer = auth.token(&request(&pairs), ISSUER, 1_000);
        assert_eq!(
            answer.is_ok(),
            ok,
            "sent {sent}, repeated {with_uri}: {answer:?}"
        );
    }
}
