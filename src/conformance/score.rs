//! The requirements an app is scored against, and the scoring: each one pass, fail or not yet
//! seen, with the request that showed it.
//!
//! Sources: the CARIN IG 2.0.0 (Security and Privacy: SMART standalone launch, the CARIN
//! scopes), SMART App Launch 2.0 (PKCE S256, `state`, `aud`, token exchange, refresh), the
//! searches the CARIN test kit runs (the client suite plays this server's part and expects an
//! app to exercise the same searches), and HTTP (RFC 6585 / RFC 9110 `Retry-After`). What a
//! request showed is judged by the app's latest request of that kind, so a fixed app passes
//! on its next try; the sequences (after a 401, 429, 503, 403 or `invalid_grant`) by every one
//! the rings still hold.

use std::collections::HashMap;

use serde::Serialize;
use time::OffsetDateTime;

use super::facts::{Event, Kind, Observation};
use crate::auth::scopes::{Scope, ScopeSet};

/// The EOB search parameters the CARIN test kit exercises (besides `patient`).
pub const EOB_SEARCH_PARAMS: [&str; 5] =
    ["_id", "_lastUpdated", "type", "identifier", "service-date"];

/// Identical refused requests tolerated before an app counts as retrying endlessly.
pub const MAX_REPEATS: usize = 3;

/// Slack (ms) on `Retry-After`: the server times arrivals, the app timed the answer.
const RETRY_SLACK_MS: i64 = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Pass,
    Fail,
    NotSeen,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::NotSeen => "not yet seen",
        }
    }
}

/// The request that showed a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    /// FHIR instant (UTC, milliseconds).
    pub at: String,
    pub method: String,
    pub target: String,
    pub status: u16,
}

impl Evidence {
    fn of(o: &Observation) -> Evidence {
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(o.at_ms) * 1_000_000)
            .map(crate::clock::fhir_instant)
            .unwrap_or_default();
        Evidence {
            at,
            method: o.method.clone(),
            target: o.target.clone(),
            status: o.status,
        }
    }
}

/// One requirement and how the app fares against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: &'static str,
    pub source: &'static str,
    /// `SHALL`, `SHOULD` or `MAY`.
    pub level: &'static str,
    pub text: &'static str,
    pub result: Outcome,
    /// What was seen, in a sentence.
    pub detail: String,
    pub evidence: Option<Evidence>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub not_seen: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Observed {
    pub authorize: usize,
    pub token: usize,
    pub fhir: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub client_id: String,
    pub generated_at: String,
    pub summary: Counts,
    pub observed: Observed,
    pub requirements: Vec<Finding>,
}

impl Report {
    pub fn finding(&self, id: &str) -> Option<&Finding> {
        self.requirements.iter().find(|f| f.id == id)
    }
}

const CARIN: &str = "CARIN IG 2.0.0";
const SMART: &str = "SMART App Launch 2.0";
const SUITE: &str = "CARIN test kit";
const HTTP: &str = "HTTP (RFC 6585, RFC 9110)";

struct Requirement {
    id: &'static str,
    source: &'static str,
    level: &'static str,
    text: &'static str,
    check: fn(&Facts<'_>) -> Judged,
}

/// What a check decided, before the requirement's words are attached.
struct Judged(Outcome, String, Option<Evidence>);

fn pass(detail: impl Into<String>, o: &Observation) -> Judged {
    Judged(Outcome::Pass, detail.into(), Some(Evidence::of(o)))
}

fn fail(detail: impl Into<String>, o: &Observation) -> Judged {
    Judged(Outcome::Fail, detail.into(), Some(Evidence::of(o)))
}

fn not_seen(detail: impl Into<String>) -> Judged {
    Judged(Outcome::NotSeen, detail.into(), None)
}

/// Every requirement, in the order the report lists them.
const REQUIREMENTS: &[Requirement] = &[
    Requirement {
        id: "smart-pkce-s256",
        source: SMART,
        level: "SHALL",
        text: "Sends a PKCE code_challenge with code_challenge_method=S256 on the authorization request",
        check: pkce,
    },
    Requirement {
        id: "smart-state",
        source: SMART,
        level: "SHALL",
        text: "Sends an unguessable state (at least 122 bits: 22 or more characters)",
        check: state,
    },
    Requirement {
        id: "smart-aud",
        source: SMART,
        level: "SHALL",
        text: "Sends aud equal to the FHIR base URL",
        check: aud,
    },
    Requirement {
        id: "carin-scopes",
        source: CARIN,
        level: "SHALL",
        text: "Asks for the CARIN scopes: launch/patient and read access to ExplanationOfBenefit, Coverage and Patient",
        check: carin_scopes,
    },
    Requirement {
        id: "smart-openid-fhiruser",
        source: CARIN,
        level: "SHOULD",
        text: "Asks for openid and fhirUser (CARIN servers offer sso-openid-connect)",
        check: openid,
    },
    Requirement {
        id: "smart-offline-access",
        source: SMART,
        level: "SHOULD",
        text: "Asks for offline_access, so it can refresh instead of sending the beneficiary back",
        check: offline,
    },
    Requirement {
        id: "smart-token-exchange",
        source: SMART,
        level: "SHALL",
        text: "Exchanges the code at the token endpoint with its PKCE code_verifier",
        check: exchange,
    },
    Requirement {
        id: "smart-client-auth",
        source: SMART,
        level: "SHALL",
        text: "Authenticates as SMART asks: HTTP Basic (confidential symmetric), private_key_jwt (asymmetric) or client_id alone (public)",
        check: client_auth,
    },
    Requirement {
        id: "carin-patient-context",
        source: SUITE,
        level: "SHALL",
        text: "Uses the token response's patient: its reads and searches name that patient and no other",
        check: patient_context,
    },
    Requirement {
        id: "carin-read-patient",
        source: SUITE,
        level: "SHALL",
        text: "Reads the beneficiary's Patient (read, or a search by _id)",
        check: read_patient,
    },
    Requirement {
        id: "carin-search-coverage",
        source: SUITE,
        level: "SHALL",
        text: "Searches Coverage by patient or beneficiary",
        check: search_coverage,
    },
    Requirement {
        id: "carin-eob-patient",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit by patient",
        check: eob_patient,
    },
    Requirement {
        id: "carin-eob-_id",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit by _id",
        check: eob_id,
    },
    Requirement {
        id: "carin-eob-_lastUpdated",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit by _lastUpdated (incremental sync)",
        check: eob_last_updated,
    },
    Requirement {
        id: "carin-eob-type",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit by type",
        check: eob_type,
    },
    Requirement {
        id: "carin-eob-identifier",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit by identifier",
        check: eob_identifier,
    },
    Requirement {
        id: "carin-eob-service-date",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit by service-date",
        check: eob_service_date,
    },
    Requirement {
        id: "carin-eob-include-all",
        source: SUITE,
        level: "SHALL",
        text: "Searches ExplanationOfBenefit with _include=ExplanationOfBenefit:*",
        check: eob_include,
    },
    Requirement {
        id: "fhir-paging",
        source: SUITE,
        level: "SHOULD",
        text: "Follows a search Bundle's next link to read every page",
        check: paging,
    },
    Requirement {
        id: "smart-refresh",
        source: SMART,
        level: "SHOULD",
        text: "Renews access with its refresh token (before the access token expires, or after a 401) rather than calling with an expired token",
        check: refresh,
    },
    Requirement {
        id: "http-401",
        source: SMART,
        level: "SHALL",
        text: "After a 401, gets a new access token before calling the API again",
        check: after_401,
    },
    Requirement {
        id: "http-429",
        source: HTTP,
        level: "SHOULD",
        text: "After a 429, waits Retry-After before the next request",
        check: after_429,
    },
    Requirement {
        id: "http-503",
        source: HTTP,
        level: "SHOULD",
        text: "After a 503, waits Retry-After before the next request",
        check: after_503,
    },
    Requirement {
        id: "no-endless-retry",
        source: HTTP,
        level: "SHALL",
        text: "Does not repeat a request refused with 403, or a refresh refused with invalid_grant, more than 3 times",
        check: no_endless_retry,
    },
    Requirement {
        id: "smart-revocation",
        source: SMART,
        level: "MAY",
        text: "Revokes its tokens when the beneficiary disconnects (RFC 7009), or asks for a new authorization once its grant is revoked",
        check: revocation,
    },
];

/// The app's observations, split the ways the checks need them.
struct Facts<'a> {
    authorize: Vec<&'a Observation>,
    token: Vec<&'a Observation>,
    fhir: Vec<FhirRequest<'a>>,
}

/// A FHIR request with its parameters parsed from the target.
struct FhirRequest<'a> {
    o: &'a Observation,
    interaction: &'a str,
    resource_type: &'a str,
    token: &'a str,
    patient: &'a str,
    retry_after: Option<u32>,
    params: Vec<(String, String)>,
}

impl FhirRequest<'_> {
    /// Values of parameter `name` (modifiers such as `:exact` ignored).
    fn values<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s str> + 's {
        self.params
            .iter()
            .filter(move |(k, _)| k.split(':').next() == Some(name))
            .map(|(_, v)| v.as_str())
    }

    fn has(&self, name: &str) -> bool {
        self.values(name).next().is_some()
    }

    fn ok(&self) -> bool {
        self.o.status == 200
    }

    fn is_search(&self, resource_type: &str) -> bool {
        self.interaction == "search-type" && self.resource_type == resource_type
    }

    /// The patient ids this request names (search parameters, or a Patient read).
    fn named_patients(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let names: &[&str] = match self.resource_type {
            "Patient" if self.interaction == "search-type" => &["_id"],
            "Patient" => {
                if let Some(id) = self
                    .o
                    .target
                    .split('?')
                    .next()
                    .and_then(|p| p.split('/').skip_while(|s| *s != "Patient").nth(1))
                {
                    out.push(id.to_string());
                }
                &[]
            }
            "Coverage" => &["patient", "beneficiary"],
            "ExplanationOfBenefit" | "RelatedPerson" => &["patient"],
            _ => &[],
        };
        for name in names {
            for v in self.values(name) {
                for one in v.split(',') {
                    // `Patient/X`, or an absolute URL ending in it.
                    out.push(one.rsplit('/').next().unwrap_or(one).to_string());
                }
            }
        }
        out
    }
}

impl<'a> Facts<'a> {
    fn of(observations: &'a [Observation]) -> Facts<'a> {
        let mut facts = Facts {
            authorize: Vec::new(),
            token: Vec::new(),
            fhir: Vec::new(),
        };
        for o in observations {
            match &o.event {
                Event::Authorize { .. } => facts.authorize.push(o),
                Event::Token { .. } | Event::Revoke { .. } => facts.token.push(o),
                Event::Fhir {
                    interaction,
                    resource_type,
                    token,
                    patient,
                    retry_after,
                } => {
                    let query = o.target.split_once('?').map(|(_, q)| q).unwrap_or("");
                    facts.fhir.push(FhirRequest {
                        o,
                        interaction,
                        resource_type,
                        token,
                        patient,
                        retry_after: *retry_after,
                        params: url::form_urlencoded::parse(query.as_bytes())
                            .into_owned()
                            .collect(),
                    });
                }
            }
        }
        facts
    }

    /// The latest authorization request (refused ones show the app's behaviour too).
    fn last_authorize(&self) -> Option<&'a Observation> {
        self.authorize.last().copied()
    }

    fn last_scope(&self) -> Option<(&'a Observation, ScopeSet, &'a str)> {
        let o = self.last_authorize()?;
        let Event::Authorize { scope, .. } = &o.event else {
            return None;
        };
        let raw = scope.as_deref().unwrap_or("");
        Some((o, ScopeSet::parse(raw), raw))
    }

    /// Token-endpoint calls of one grant type, oldest first.
    fn grants(&self, grant: &str) -> Vec<TokenCall<'a>> {
        self.token
            .iter()
            .filter_map(|o| match &o.event {
                Event::Token {
                    grant_type,
                    client_auth,
                    code_verifier,
                    presented,
                    error,
                    ..
                } if grant_type == grant => Some(TokenCall {
                    o,
                    client_auth,
                    code_verifier: *code_verifier,
                    presented: presented.as_deref(),
                    error: error.as_deref(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The FHIR request that followed the one at `index`, if any.
    fn next_fhir_after(&self, index: usize) -> Option<&FhirRequest<'a>> {
        self.fhir.get(index + 1)
    }
}

struct TokenCall<'a> {
    o: &'a Observation,
    client_auth: &'a str,
    code_verifier: bool,
    presented: Option<&'a str>,
    error: Option<&'a str>,
}

fn no_authorize() -> Judged {
    not_seen("no authorization request yet")
}

fn pkce(f: &Facts<'_>) -> Judged {
    let Some(o) = f.last_authorize() else {
        return no_authorize();
    };
    match &o.event {
        Event::Authorize {
            pkce_method: Some(m),
            ..
        } if m == "S256" => pass("code_challenge_method=S256", o),
        Event::Authorize {
            pkce_method: Some(m),
            ..
        } => fail(
            format!("code_challenge_method={m}: only S256 is allowed"),
            o,
        ),
        _ => fail("no code_challenge was sent", o),
    }
}

fn state(f: &Facts<'_>) -> Judged {
    let Some(o) = f.last_authorize() else {
        return no_authorize();
    };
    match &o.event {
        Event::Authorize { state_len: 0, .. } => fail("no state was sent", o),
        Event::Authorize { state_len, .. } if *state_len < 22 => fail(
            format!("state has {state_len} characters: too few to be unguessable"),
            o,
        ),
        Event::Authorize { state_len, .. } => pass(format!("state of {state_len} characters"), o),
        _ => no_authorize(),
    }
}

fn aud(f: &Facts<'_>) -> Judged {
    let Some(o) = f.last_authorize() else {
        return no_authorize();
    };
    match &o.event {
        Event::Authorize { aud: None, .. } => fail("no aud was sent", o),
        Event::Authorize {
            aud: Some(a),
            aud_ok: false,
            ..
        } => fail(format!("aud={a} is not this server's FHIR base"), o),
        Event::Authorize { aud: Some(a), .. } => pass(format!("aud={a}"), o),
        _ => no_authorize(),
    }
}

fn carin_scopes(f: &Facts<'_>) -> Judged {
    let Some((o, scopes, raw)) = f.last_scope() else {
        return no_authorize();
    };
    let mut missing = Vec::new();
    if !scopes.contains(&Scope::LaunchPatient) {
        missing.push("launch/patient".to_string());
    }
    for t in ["ExplanationOfBenefit", "Coverage", "Patient"] {
        if !scopes.perms_for(t).read {
            missing.push(format!("patient/{t}.read"));
        }
    }
    if missing.is_empty() {
        pass(format!("scope={raw}"), o)
    } else {
        fail(format!("missing {} (scope={raw})", missing.join(", ")), o)
    }
}

fn openid(f: &Facts<'_>) -> Judged {
    let Some((o, scopes, _)) = f.last_scope() else {
        return no_authorize();
    };
    let missing: Vec<&str> = [(Scope::OpenId, "openid"), (Scope::FhirUser, "fhirUser")]
        .into_iter()
        .filter(|(s, _)| !scopes.contains(s))
        .map(|(_, n)| n)
        .collect();
    if missing.is_empty() {
        pass("openid fhirUser asked for", o)
    } else {
        fail(format!("not asked for: {}", missing.join(", ")), o)
    }
}

fn offline(f: &Facts<'_>) -> Judged {
    let Some((o, scopes, _)) = f.last_scope() else {
        return no_authorize();
    };
    if scopes.contains(&Scope::OfflineAccess) {
        pass("offline_access asked for", o)
    } else {
        fail("offline_access not asked for: no refresh token", o)
    }
}

fn exchange(f: &Facts<'_>) -> Judged {
    let calls = f.grants("authorization_code");
    let Some(last) = calls.last() else {
        return not_seen("no code exchange yet");
    };
    match (last.code_verifier, last.error) {
        (false, _) => fail("the code was exchanged without a code_verifier", last.o),
        (true, Some(e)) => fail(format!("the exchange was refused: {e}"), last.o),
        (true, None) => pass("code and code_verifier exchanged", last.o),
    }
}

fn client_auth(f: &Facts<'_>) -> Judged {
    let calls: Vec<TokenCall<'_>> = f
        .grants("authorization_code")
        .into_iter()
        .chain(f.grants("refresh_token"))
        .collect();
    let Some(last) = calls.iter().max_by_key(|c| c.o.at_ms) else {
        return not_seen("no token request yet");
    };
    match last.client_auth {
        "client_secret_post" => fail(
            "the secret was sent in the form body (client_secret_post): SMART's confidential symmetric apps use HTTP Basic",
            last.o,
        ),
        method => pass(method.to_string(), last.o),
    }
}

fn patient_context(f: &Facts<'_>) -> Judged {
    let mut matched = None;
    for r in &f.fhir {
        for named in r.named_patients() {
            if named != r.patient {
                return fail(
                    format!(
                        "named patient {named}; the token's patient is {}",
                        r.patient
                    ),
                    r.o,
                );
            }
            matched = Some(r);
        }
    }
    match matched {
        Some(r) => pass(format!("named the token's patient {}", r.patient), r.o),
        None => not_seen("no request has named a patient yet"),
    }
}

/// The latest successful request that `pred` accepts.
fn latest(f: &Facts<'_>, what: &str, pred: impl Fn(&FhirRequest<'_>) -> bool) -> Judged {
    match f.fhir.iter().rev().find(|r| r.ok() && pred(r)) {
        Some(r) => pass(format!("{what}: 200"), r.o),
        None => not_seen(format!("no successful {what} yet")),
    }
}

fn read_patient(f: &Facts<'_>) -> Judged {
    latest(f, "Patient read", |r| {
        r.resource_type == "Patient"
            && (r.interaction == "read" || (r.interaction == "search-type" && r.has("_id")))
    })
}

fn search_coverage(f: &Facts<'_>) -> Judged {
    latest(f, "Coverage search by patient", |r| {
        r.is_search("Coverage") && (r.has("patient") || r.has("beneficiary"))
    })
}

fn eob_param(f: &Facts<'_>, name: &str) -> Judged {
    latest(f, &format!("ExplanationOfBenefit search by {name}"), |r| {
        r.is_search("ExplanationOfBenefit") && r.has(name)
    })
}

fn eob_patient(f: &Facts<'_>) -> Judged {
    eob_param(f, "patient")
}

fn eob_id(f: &Facts<'_>) -> Judged {
    eob_param(f, EOB_SEARCH_PARAMS[0])
}

fn eob_last_updated(f: &Facts<'_>) -> Judged {
    eob_param(f, EOB_SEARCH_PARAMS[1])
}

fn eob_type(f: &Facts<'_>) -> Judged {
    eob_param(f, EOB_SEARCH_PARAMS[2])
}

fn eob_identifier(f: &Facts<'_>) -> Judged {
    eob_param(f, EOB_SEARCH_PARAMS[3])
}

fn eob_service_date(f: &Facts<'_>) -> Judged {
    eob_param(f, EOB_SEARCH_PARAMS[4])
}

fn eob_include(f: &Facts<'_>) -> Judged {
    latest(
        f,
        "ExplanationOfBenefit search with _include=ExplanationOfBenefit:*",
        |r| {
            r.is_search("ExplanationOfBenefit")
                && r.values("_include").any(|v| v == "ExplanationOfBenefit:*")
        },
    )
}

fn paging(f: &Facts<'_>) -> Judged {
    // The server's paging links carry `_offset`; an app has no other way to know one.
    latest(f, "next page", |r| {
        r.interaction == "search-type" && r.has("_offset")
    })
}

fn refresh(f: &Facts<'_>) -> Judged {
    // When each access token the app was given expires (ms).
    let mut expiry: HashMap<&str, i64> = HashMap::new();
    let mut refreshes = Vec::new();
    for o in &f.token {
        if let Event::Token {
            grant_type,
            issued: Some(tag),
            expires_in: Some(secs),
            error: None,
            ..
        } = &o.event
        {
            expiry.insert(tag, o.at_ms + secs * 1000);
            if grant_type == "refresh_token" {
                refreshes.push(*o);
            }
        }
    }
    // A call with an expired token that no refresh followed.
    for r in &f.fhir {
        let expired = expiry.get(r.token).is_some_and(|end| r.o.at_ms > *end);
        if expired && !refreshes.iter().any(|o| o.at_ms > r.o.at_ms) {
            return fail(
                "called the API with an expired access token and did not refresh",
                r.o,
            );
        }
    }
    match refreshes.last() {
        Some(o) => pass(format!("{} refresh(es)", refreshes.len()), o),
        None => not_seen("no refresh yet"),
    }
}

fn after_401(f: &Facts<'_>) -> Judged {
    let mut handled = None;
    for (i, r) in f.fhir.iter().enumerate() {
        if r.o.status != 401 {
            continue;
        }
        let Some(next) = f.next_fhir_after(i) else {
            continue;
        };
        if next.token == r.token {
            return fail(
                "called again with the access token that was refused",
                next.o,
            );
        }
        handled = Some(next);
    }
    match handled {
        Some(n) => pass("the next call carried a new access token", n.o),
        None => not_seen("no 401 followed by another call yet"),
    }
}

fn after_status(f: &Facts<'_>, status: u16) -> Judged {
    let mut waited = None;
    for (i, r) in f.fhir.iter().enumerate() {
        if r.o.status != status {
            continue;
        }
        let Some(next) = f.next_fhir_after(i) else {
            continue;
        };
        let wait_ms = next.o.at_ms - r.o.at_ms;
        let asked_ms = i64::from(r.retry_after.unwrap_or(0)) * 1000;
        if wait_ms + RETRY_SLACK_MS < asked_ms {
            return fail(
                format!(
                    "called again after {wait_ms} ms; Retry-After asked for {} s",
                    asked_ms / 1000
                ),
                next.o,
            );
        }
        waited = Some((next, wait_ms));
    }
    match waited {
        Some((n, ms)) => pass(format!("waited {ms} ms before calling again"), n.o),
        None => not_seen(format!("no {status} followed by another call yet")),
    }
}

fn after_429(f: &Facts<'_>) -> Judged {
    after_status(f, 429)
}

fn after_503(f: &Facts<'_>) -> Judged {
    after_status(f, 503)
}

fn no_endless_retry(f: &Facts<'_>) -> Judged {
    let mut refused = None;
    for (i, r) in f.fhir.iter().enumerate() {
        if r.o.status != 403 {
            continue;
        }
        let repeats: Vec<&FhirRequest<'_>> = f.fhir[i + 1..]
            .iter()
            .filter(|n| n.o.target == r.o.target && n.o.status == 403)
            .collect();
        if let Some(n) = repeats.get(MAX_REPEATS - 1) {
            return fail(
                format!(
                    "repeated a request refused with 403 {} times",
                    repeats.len()
                ),
                n.o,
            );
        }
        refused = Some(r.o);
    }
    let refreshes = f.grants("refresh_token");
    for (i, c) in refreshes.iter().enumerate() {
        if c.error != Some("invalid_grant") {
            continue;
        }
        let repeats: Vec<&TokenCall<'_>> = refreshes[i + 1..]
            .iter()
            .filter(|n| n.presented.is_some() && n.presented == c.presented)
            .collect();
        if let Some(n) = repeats.get(MAX_REPEATS - 1) {
            return fail(
                format!(
                    "presented a refresh token refused with invalid_grant {} more times",
                    repeats.len()
                ),
                n.o,
            );
        }
        refused = Some(c.o);
    }
    match refused {
        Some(o) => pass("a refusal was not repeated endlessly", o),
        None => not_seen("no 403 or invalid_grant yet"),
    }
}

fn revocation(f: &Facts<'_>) -> Judged {
    let revoked = f
        .token
        .iter()
        .rev()
        .find(|o| matches!(&o.event, Event::Revoke { error: None }));
    if let Some(o) = revoked {
        return pass("revoked its token", o);
    }
    let refused = f
        .grants("refresh_token")
        .into_iter()
        .find(|c| c.error == Some("invalid_grant"));
    if let Some(c) = refused {
        if let Some(o) = f.authorize.iter().find(|a| a.at_ms > c.o.at_ms) {
            return pass("asked for a new authorization after invalid_grant", o);
        }
    }
    not_seen("no revocation yet")
}

/// Scores `observations` (one app's, from `facts::load`) against every requirement.
pub fn score(client_id: &str, observations: &[Observation], now: OffsetDateTime) -> Report {
    let facts = Facts::of(observations);
    let requirements: Vec<Finding> = REQUIREMENTS
        .iter()
        .map(|r| {
            let Judged(result, detail, evidence) = (r.check)(&facts);
            Finding {
                id: r.id,
                source: r.source,
                level: r.level,
                text: r.text,
                result,
                detail,
                evidence,
            }
        })
        .collect();
    let count = |o: Outcome| requirements.iter().filter(|f| f.result == o).count();
    let kinds = |k: Kind| observations.iter().filter(|o| o.event.kind() == k).count();
    Report {
        client_id: client_id.to_string(),
        generated_at: crate::clock::fhir_instant(now),
        summary: Counts {
            pass: count(Outcome::Pass),
            fail: count(Outcome::Fail),
            not_seen: count(Outcome::NotSeen),
        },
        observed: Observed {
            authorize: kinds(Kind::Authorize),
            token: kinds(Kind::Token),
            fhir: kinds(Kind::Fhir),
        },
        requirements,
    }
}
