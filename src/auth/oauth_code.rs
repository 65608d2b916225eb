//! The error codes of OAuth 2.0 (RFC 6749 §4.1.2.1, §5.2), RFC 6750 bearer errors and OpenID
//! Connect's `prompt=none` answers: one enum, so a misspelt code cannot compile and every
//! comparison is on the value, not the string.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    InvalidScope,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    InvalidToken,
    InsufficientScope,
    LoginRequired,
    ConsentRequired,
    RequestNotSupported,
    RequestUriNotSupported,
    /// UDAP Tiered OAuth: the `idp` named is not trusted or cannot be used.
    InvalidIdp,
}

impl OAuthCode {
    const ALL: [OAuthCode; 17] = [
        Self::InvalidRequest,
        Self::InvalidClient,
        Self::InvalidGrant,
        Self::InvalidScope,
        Self::UnauthorizedClient,
        Self::UnsupportedGrantType,
        Self::UnsupportedResponseType,
        Self::AccessDenied,
        Self::ServerError,
        Self::TemporarilyUnavailable,
        Self::InvalidToken,
        Self::InsufficientScope,
        Self::LoginRequired,
        Self::ConsentRequired,
        Self::RequestNotSupported,
        Self::RequestUriNotSupported,
        Self::InvalidIdp,
    ];

    /// The code as it travels (`error=` in a redirect, `"error"` in JSON).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::InvalidScope => "invalid_scope",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::TemporarilyUnavailable => "temporarily_unavailable",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
            Self::LoginRequired => "login_required",
            Self::ConsentRequired => "consent_required",
            Self::RequestNotSupported => "request_not_supported",
            Self::RequestUriNotSupported => "request_uri_not_supported",
            Self::InvalidIdp => "invalid_idp",
        }
    }

    /// The code a server sent, if it is one of ours (a client reads other servers' too).
    pub fn parse(s: &str) -> Option<OAuthCode> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for OAuthCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for OAuthCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<str> for OAuthCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_and_as_str_agree_for_every_code() {
        for code in OAuthCode::ALL {
            let json = serde_json::to_value(code).expect("serializes");
            assert_eq!(json, serde_json::Value::from(code.as_str()));
            assert_eq!(OAuthCode::parse(code.as_str()), Some(code));
            let back: OAuthCode = serde_json::from_value(json).expect("deserializes");
            assert_eq!(back, code);
        }
        assert_eq!(OAuthCode::parse("invalid-grant"), None);
    }
}
