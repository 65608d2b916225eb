//! Simulated failures: what an app's developer switches on (portal) or a seeded app asks for
//! (`sim_failure=` on the authorization request, carried in the grant) to see how the app
//! copes when the token endpoint or the FHIR API misbehaves. Each one is real on the wire.
//!
//! The FHIR API learns an app's failures with its cached bearer check ([`super::Access`]), so
//! a request without any pays one `is_empty` test; switching one on or off is a write to the
//! auth tables, which retires every cached check at once.

use serde::{Deserialize, Serialize};

/// How long a token of an app with [`Failure::AccessTokenExpiresEarly`] works, whatever its
/// `expires_in` says.
pub const EARLY_EXPIRY_SECS: i64 = 30;
/// The delay of [`Failure::SlowResponses`] (bounded: the request is then answered normally).
pub const SLOW_RESPONSE_MILLIS: u64 = 2_000;
/// `Retry-After` of the simulated 429 and 503.
pub const RETRY_AFTER_SECS: u32 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Failure {
    /// The token endpoint answers 401 `invalid_client` to the app.
    TokenInvalidClient,
    /// Access tokens stop working [`EARLY_EXPIRY_SECS`] after issue (401 on the FHIR API).
    AccessTokenExpiresEarly,
    /// Refresh requests get 400 `invalid_grant`; the refresh token is not used up.
    RefreshRejected,
    /// The first FHIR request of a grant is answered, then the grant is revoked for real.
    GrantRevoked,
    /// Every FHIR request answers 401 `invalid_token`.
    #[serde(rename = "fhir_401")]
    Fhir401,
    /// Every FHIR request answers 429 with `Retry-After`.
    #[serde(rename = "fhir_429")]
    Fhir429,
    /// Every FHIR request answers 503 with `Retry-After`.
    #[serde(rename = "fhir_503")]
    Fhir503,
    /// Every FHIR request is answered after [`SLOW_RESPONSE_MILLIS`].
    SlowResponses,
    /// Following a search Bundle's `next` (or any paging) link answers 410 Gone.
    NextLinkExpires,
}

impl Failure {
    pub const ALL: [Failure; 9] = [
        Failure::TokenInvalidClient,
        Failure::AccessTokenExpiresEarly,
        Failure::RefreshRejected,
        Failure::GrantRevoked,
        Failure::Fhir401,
        Failure::Fhir429,
        Failure::Fhir503,
        Failure::SlowResponses,
        Failure::NextLinkExpires,
    ];

    /// The name used in `sim_failure=`, forms and records.
    pub fn name(self) -> &'static str {
        match self {
            Failure::TokenInvalidClient => "token_invalid_client",
            Failure::AccessTokenExpiresEarly => "access_token_expires_early",
            Failure::RefreshRejected => "refresh_rejected",
            Failure::GrantRevoked => "grant_revoked",
            Failure::Fhir401 => "fhir_401",
            Failure::Fhir429 => "fhir_429",
            Failure::Fhir503 => "fhir_503",
            Failure::SlowResponses => "slow_responses",
            Failure::NextLinkExpires => "next_link_expires",
        }
    }

    pub fn parse(name: &str) -> Option<Failure> {
        Failure::ALL.into_iter().find(|f| f.name() == name)
    }

    /// What the app will see, in a sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Failure::TokenInvalidClient => {
                "Token endpoint: every code exchange and refresh answers 401 invalid_client."
            }
            Failure::AccessTokenExpiresEarly => {
                "Access tokens stop working 30 seconds after issue (401 invalid_token), whatever expires_in says."
            }
            Failure::RefreshRejected => {
                "Refresh requests answer 400 invalid_grant (the refresh token is not used up)."
            }
            Failure::GrantRevoked => {
                "The first FHIR request is answered, then the beneficiary's authorization is revoked: 401 and invalid_grant afterwards."
            }
            Failure::Fhir401 => "Every FHIR request answers 401 invalid_token.",
            Failure::Fhir429 => "Every FHIR request answers 429 Too Many Requests with Retry-After: 2.",
            Failure::Fhir503 => "Every FHIR request answers 503 Service Unavailable with Retry-After: 2.",
            Failure::SlowResponses => "Every FHIR request is answered 2 seconds late.",
            Failure::NextLinkExpires => {
                "Following a search Bundle's next (or other paging) link answers 410 Gone."
            }
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of failures, as cheap to copy and test as a number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Failures(u16);

impl Failures {
    pub fn of<'a>(list: impl IntoIterator<Item = &'a Failure>) -> Failures {
        Failures(list.into_iter().fold(0, |bits, f| bits | f.bit()))
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, f: Failure) -> bool {
        self.0 & f.bit() != 0
    }

    pub fn union(self, other: Failures) -> Failures {
        Failures(self.0 | other.0)
    }

    pub fn list(self) -> Vec<Failure> {
        Failure::ALL
            .into_iter()
            .filter(|f| self.contains(*f))
            .collect()
    }
}

/// A `sim_failure` value: names separated by commas or spaces.
pub fn parse_list(text: &str) -> Result<Vec<Failure>, String> {
    let mut out: Vec<Failure> = Vec::new();
    for name in text.split([',', ' ']).filter(|s| !s.is_empty()) {
        let f = Failure::parse(name).ok_or_else(|| {
            let known: Vec<&str> = Failure::ALL.iter().map(|f| f.name()).collect();
            format!(
                "sim_failure {name} is not a simulated failure (known: {})",
                known.join(", ")
            )
        })?;
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out.sort();
    Ok(out)
}

/// What the FHIR API does with one request of a token whose app or grant has failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FhirFailure {
    /// Answer normally.
    None,
    Unauthorized(&'static str),
    TooManyRequests,
    Unavailable,
    Gone,
    /// Answer this request, then revoke the grant.
    AnswerThenRevoke,
    /// Answer after the delay.
    Slow,
}

/// The decision for one FHIR request (the first failure that applies, in a fixed order).
/// `paging`: the request follows a paging link (it carries `_offset`).
pub fn fhir_failure(failures: Failures, issued_at: i64, now: i64, paging: bool) -> FhirFailure {
    if failures.is_empty() {
        return FhirFailure::None;
    }
    if failures.contains(Failure::Fhir401) {
        return FhirFailure::Unauthorized(
            "the access token is not valid (simulated failure fhir_401)",
        );
    }
    if failures.contains(Failure::AccessTokenExpiresEarly) && now >= issued_at + EARLY_EXPIRY_SECS {
        return FhirFailure::Unauthorized(
            "the access token has expired (simulated failure access_token_expires_early)",
        );
    }
    if failures.contains(Failure::Fhir429) {
        return FhirFailure::TooManyRequests;
    }
    if failures.contains(Failure::Fhir503) {
        return FhirFailure::Unavailable;
    }
    if paging && failures.contains(Failure::NextLinkExpires) {
        return FhirFailure::Gone;
    }
    if failures.contains(Failure::GrantRevoked) {
        return FhirFailure::AnswerThenRevoke;
    }
    if failures.contains(Failure::SlowResponses) {
        return FhirFailure::Slow;
    }
    FhirFailure::None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_lists_are_checked() {
        for f in Failure::ALL {
            assert_eq!(Failure::parse(f.name()), Some(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.name()));
        }
        assert_eq!(
            parse_list("fhir_503,fhir_429 fhir_503").unwrap(),
            [Failure::Fhir429, Failure::Fhir503]
        );
        assert!(parse_list("fhir_418").unwrap_err().contains("known:"));
        assert!(parse_list("").unwrap().is_empty());
    }

    #[test]
    fn the_fhir_decision_follows_the_set() {
        let none = Failures::default();
        assert_eq!(fhir_failure(none, 0, 1_000, true), FhirFailure::None);
        let early = Failures::of(&[Failure::AccessTokenExpiresEarly]);
        assert_eq!(fhir_failure(early, 100, 129, false), FhirFailure::None);
        assert!(matches!(
            fhir_failure(early, 100, 130, false),
            FhirFailure::Unauthorized(_)
        ));
        let paging = Failures::of(&[Failure::NextLinkExpires]);
        assert_eq!(fhir_failure(paging, 0, 0, false), FhirFailure::None);
        assert_eq!(fhir_failure(paging, 0, 0, true), FhirFailure::Gone);
        let both = Failures::of(&[Failure::Fhir503]).union(Failures::of(&[Failure::Fhir429]));
        assert_eq!(
            fhir_failure(both, 0, 0, false),
            FhirFailure::TooManyRequests
        );
        assert_eq!(both.list(), [Failure::Fhir429, Failure::Fhir503]);
    }
}
