//! What can go wrong in the client, each as one line a person can act on.
//!
//! No variant carries a `source`: the CLI prints the message and every cause on a line of its
//! own, and these messages already say everything (the transport error is rendered into them).

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("{url} offers no SMART discovery ({reason}); is it a SMART-on-FHIR base URL?")]
    NoDiscovery { url: String, reason: String },
    #[error("{0}")]
    BadUrl(String),
    #[error("the authorization server refused the request: {0}")]
    AuthorizeRefused(String),
    #[error("authorization was denied ({0}); nothing was saved")]
    Denied(String),
    #[error("sign-in failed for {username}: {reason}")]
    SignIn { username: String, reason: String },
    #[error("the sign-in pages did not look as expected: {0}")]
    FormDriver(String),
    #[error(
        "the redirect came back with state {got:?}, not the one sent; ignoring it (possible CSRF)"
    )]
    StateMismatch { got: String },
    #[error("no answer at the redirect URI {uri} within {seconds} s")]
    CallbackTimeout { uri: String, seconds: u64 },
    #[error("the token endpoint refused {what}: {reason}")]
    TokenRefused { what: &'static str, reason: String },
    #[error("the refresh token was refused ({reason}); run `carin-sandbox client login` again")]
    RefreshFailed { reason: String },
    #[error("the access token for {server} was rejected and there is no refresh token; run `carin-sandbox client login` again")]
    NoRefreshToken { server: String },
    #[error("not logged in to {0}; run `carin-sandbox client login` first")]
    NotLoggedIn(String),
    #[error("{0}")]
    ChooseServer(String),
    #[error("{method} {url} answered {status}: {detail}")]
    Http {
        method: &'static str,
        url: String,
        status: u16,
        detail: String,
    },
    #[error("{url} did not answer with {expected}: {reason}")]
    BadResponse {
        url: String,
        expected: &'static str,
        reason: String,
    },
    #[error("token file {path}: {reason}")]
    TokenFile { path: String, reason: String },
    #[error("{0}")]
    Usage(String),
    #[error("local listener: {0}")]
    Listener(String),
}

/// A reqwest failure as `cannot reach URL: connection refused` (the innermost cause, in words).
pub fn transport(url: &str, e: &reqwest::Error) -> ClientError {
    ClientError::Unreachable {
        url: url.to_string(),
        reason: transport_reason(e),
    }
}

fn transport_reason(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".into();
    }
    // The innermost io::Error says what happened; reqwest's own message only names the URL.
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let mut last_io: Option<&std::io::Error> = None;
    let mut innermost = e.to_string();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            last_io = Some(io);
        }
        innermost = s.to_string();
        source = s.source();
    }
    if let Some(io) = last_io {
        use std::io::ErrorKind as K;
        let words = match io.kind() {
            K::ConnectionRefused => Some("connection refused"),
            K::ConnectionReset => Some("connection reset"),
            K::ConnectionAborted => Some("connection aborted"),
            K::TimedOut => Some("timed out"),
            K::AddrNotAvailable => Some("address not available"),
            K::UnexpectedEof => Some("the server closed the connection"),
            _ => None,
        };
        if let Some(w) = words {
            return w.into();
        }
    }
    if e.is_connect() && innermost.contains("dns error") {
        return format!("cannot resolve the host ({})", one_line(&innermost));
    }
    one_line(&innermost)
}

/// Squeezes a message onto one line.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
