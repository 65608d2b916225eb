//! The glue between the command line and the pieces: which server, logout, status lines.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::discovery::{normalize_base, Preset};
use super::error::ClientError;
use super::http::Http;
use super::oauth::{revoke, ClientCredentials};
use super::token_store::{Session, TokenStore};

/// The FHIR base a command works on: the preset's, the one given, or the only one logged in.
pub fn resolve_base(
    fhir_base: Option<&str>,
    preset: Option<Preset>,
    store: &TokenStore,
) -> Result<String, ClientError> {
    if let Some(p) = preset {
        return Ok(p.endpoints().fhir_base);
    }
    if let Some(b) = fhir_base {
        return normalize_base(b);
    }
    let file = store.load()?;
    let mut bases: Vec<&String> = file.servers.keys().collect();
    match bases.len() {
        0 => Err(ClientError::Usage(
            "no server given and none logged in; pass --fhir-base URL (or --preset) and run `carin-sandbox client login` first".into(),
        )),
        1 => Ok(bases.remove(0).clone()),
        _ => Err(ClientError::ChooseServer(format!(
            "logged in to several servers ({}); pass --fhir-base to choose one",
            bases.iter().map(|b| b.as_str()).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// What `logout` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutReport {
    /// Tokens the server confirmed revoked.
    pub revoked: usize,
    /// Why revocation did not happen (the local tokens are deleted anyway).
    pub warning: Option<String>,
}

/// Revokes the refresh token (which ends the grant) and the access token, then deletes the
/// server's entry from the token file, even when the server could not be reached.
pub fn logout(
    http: &Http,
    store: &TokenStore,
    fhir_base: &str,
) -> Result<LogoutReport, ClientError> {
    let session = store
        .get(fhir_base)?
        .ok_or_else(|| ClientError::NotLoggedIn(fhir_base.to_string()))?;
    let mut report = LogoutReport {
        revoked: 0,
        warning: None,
    };
    match &session.endpoints.revocation_endpoint {
        None => {
            report.warning = Some(format!(
                "{fhir_base} has no revocation endpoint; the grant stays valid on the server"
            ));
        }
        Some(endpoint) => {
            let client = ClientCredentials {
                client_id: session.client_id.clone(),
                client_secret: session.client_secret.clone(),
            };
            let tokens = session
                .tokens
                .refresh_token
                .iter()
                .map(|t| (t.as_str(), "refresh_token"))
                .chain([(session.tokens.access_token.as_str(), "access_token")]);
            for (token, hint) in tokens {
                match revoke(http, endpoint, &client, token, hint) {
                    Ok(()) => report.revoked += 1,
                    Err(e) => {
                        report.warning = Some(format!("revocation failed: {e}"));
                        break;
                    }
                }
            }
        }
    }
    store.remove(fhir_base)?;
    Ok(report)
}

/// `2026-01-02T03:04:05Z`.
pub fn instant(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

/// `in 59 min`, `expired 3 s ago`.
pub fn relative(at: i64, now: i64) -> String {
    let d = at - now;
    let words = |s: i64| match s {
        s if s < 120 => format!("{s} s"),
        s if s < 2 * 3600 => format!("{} min", s / 60),
        s if s < 2 * 86_400 => format!("{} h", s / 3600),
        s => format!("{} days", s / 86_400),
    };
    if d > 0 {
        format!("in {}", words(d))
    } else {
        format!("expired {} ago", words(-d))
    }
}

/// The lines `client status` prints for one server (never a token).
pub fn status_lines(session: &Session, path: &str, now: i64) -> Vec<String> {
    let t = &session.tokens;
    let kind = if session.client_secret.is_some() {
        "confidential"
    } else {
        "public"
    };
    let mut lines = vec![
        format!("server:        {}", session.endpoints.fhir_base),
        format!("client:        {} ({kind})", session.client_id),
        format!(
            "patient:       {}",
            t.patient.as_deref().unwrap_or("(none)")
        ),
        format!("scopes:        {}", t.scope),
    ];
    lines.push(match t.expires_at {
        Some(at) => format!(
            "access token:  expires {} ({})",
            instant(at),
            relative(at, now)
        ),
        None => "access token:  no expiry given".into(),
    });
    lines.push(format!(
        "refresh token: {}",
        if t.refresh_token.is_some() {
            "yes"
        } else {
            "no (log in again when the access token expires)"
        }
    ));
    if let Some(g) = &t.access_grant_expiration {
        lines.push(format!("grant ends:    {g}"));
    }
    lines.push(format!(
        "logged in:     {} ({} refresh{} since)",
        instant(t.obtained_at),
        t.refreshes,
        if t.refreshes == 1 { "" } else { "es" }
    ));
    lines.push(format!("token file:    {path}"));
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_well() {
        assert_eq!(instant(0), "1970-01-01T00:00:00Z");
        assert_eq!(relative(100, 40), "in 60 s");
        assert_eq!(relative(40, 100), "expired 60 s ago");
        assert_eq!(relative(3600, 0), "in 60 min");
        assert_eq!(relative(86_400 * 3, 0), "in 3 days");
    }

    #[test]
    fn the_only_server_is_chosen_and_several_need_a_choice() {
        let dir = tempfile::tempdir().expect("dir");
        let store = TokenStore::new(dir.path().join("t.json"));
        assert!(resolve_base(None, None, &store).is_err());
        assert_eq!(
            resolve_base(Some("http://h/v2/fhir/"), None, &store).expect("given"),
            "http://h/v2/fhir"
        );
        assert_eq!(
            resolve_base(
                Some("http://ignored"),
                Some(Preset::BluebuttonSandbox),
                &store
            )
            .expect("preset"),
            "https://sandbox.bluebutton.cms.gov/v2/fhir"
        );
    }
}
