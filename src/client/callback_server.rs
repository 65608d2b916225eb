//! `client callback-server`: the callback handler Blue Button's tutorial has developers write,
//! as a feature. A local page starts the flow; the redirect page trades the code and shows the
//! token response with ready-made `curl` commands for Patient, Coverage and ExplanationOfBenefit.

use std::collections::VecDeque;
use std::net::TcpListener;

use serde_json::json;

use super::discovery::Endpoints;
use super::error::ClientError;
use super::http::Http;
use super::login::{authorize_request, finish, AuthorizeRequest};
use super::loopback::Callback;
use super::oauth::ClientCredentials;
use super::responder::{escape_html, page, read_request, respond, Request};
use super::token_store::{Session, TokenStore};

/// Requests started but not finished, kept for a few reloads of the home page.
const MAX_PENDING: usize = 32;

pub struct CallbackServer {
    listener: TcpListener,
    home: String,
    redirect_uri: String,
    redirect_path: String,
    endpoints: Endpoints,
    client: ClientCredentials,
    scope: String,
    store: Option<TokenStore>,
    pending: VecDeque<AuthorizeRequest>,
}

impl CallbackServer {
    /// Binds the redirect URI's loopback address (`http://127.0.0.1:0/callback` picks a port).
    pub fn bind(
        endpoints: Endpoints,
        client: ClientCredentials,
        scope: String,
        redirect: &str,
        store: Option<TokenStore>,
    ) -> Result<CallbackServer, ClientError> {
        // Reuse the loopback rules (loopback http only), then take the socket over.
        let url = url::Url::parse(redirect)
            .map_err(|e| ClientError::Usage(format!("redirect URI {redirect}: {e}")))?;
        let probe = super::loopback::Loopback::bind(redirect)?;
        let redirect_uri = probe.redirect_uri().to_string();
        let listener = probe.into_listener();
        let bound =
            url::Url::parse(&redirect_uri).map_err(|e| ClientError::Listener(e.to_string()))?;
        let home = format!(
            "http://{}:{}/",
            bound.host_str().unwrap_or("127.0.0.1"),
            bound.port().unwrap_or(80)
        );
        Ok(CallbackServer {
            listener,
            home,
            redirect_uri,
            redirect_path: url.path().to_string(),
            endpoints,
            client,
            scope,
            store,
            pending: VecDeque::new(),
        })
    }

    /// The page to open in a browser.
    pub fn home_url(&self) -> &str {
        &self.home
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Answers requests until the process ends, or, with `once`, until one redirect has been
    /// handled (then returns its session, or the error the page showed).
    pub fn serve(
        &mut self,
        http: &Http,
        now: &dyn Fn() -> i64,
        once: bool,
    ) -> Result<Option<Session>, ClientError> {
        loop {
            let (mut stream, _) = self
                .listener
                .accept()
                .map_err(|e| ClientError::Listener(e.to_string()))?;
            let Ok(request) = read_request(&mut stream) else {
                respond(
                    &mut stream,
                    400,
                    "text/plain; charset=utf-8",
                    "bad request\n",
                );
                continue;
            };
            if request.method != "GET" {
                respond(&mut stream, 405, "text/plain; charset=utf-8", "GET only\n");
                continue;
            }
            if request.path == "/" {
                let body = self.home_page();
                respond(&mut stream, 200, "text/html; charset=utf-8", &body);
                continue;
            }
            if request.path != self.redirect_path {
                respond(&mut stream, 404, "text/plain; charset=utf-8", "not found\n");
                continue;
            }
            let outcome = self.complete(http, &request, now());
            let body = match &outcome {
                Ok(session) => self.token_page(session),
                Err(e) => page(
                    "Authorization failed",
                    &format!(
                        "<h1>Authorization failed</h1><p class=\"error\">{}</p><p><a href=\"/\">Start again</a></p>",
                        escape_html(&e.to_string())
                    ),
                ),
            };
            respond(&mut stream, 200, "text/html; charset=utf-8", &body);
            if once {
                return outcome.map(Some);
            }
        }
    }

    fn home_page(&mut self) -> String {
        let request = match authorize_request(
            &self.endpoints,
            &self.client.client_id,
            &self.redirect_uri,
            &self.scope,
        ) {
            Ok(r) => r,
            Err(e) => {
                return page(
                    "Error",
                    &format!("<p class=\"error\">{}</p>", escape_html(&e.to_string())),
                )
            }
        };
        let link = request.url.clone();
        if self.pending.len() >= MAX_PENDING {
            self.pending.pop_front();
        }
        self.pending.push_back(request);
        page(
            "carin-sandbox callback server",
            &format!(
                "<h1>Get a sample access token</h1>\
                 <p>Server: <code>{base}</code><br>App: <code>{client}</code> ({kind})<br>\
                 Scopes: <code>{scope}</code><br>Redirect URI: <code>{redirect}</code></p>\
                 <p><a id=\"authorize\" href=\"{link}\">Sign in and authorize</a></p>\
                 <p>The redirect comes back here; this page then trades the code for tokens \
                 (PKCE S256) and shows ready-made <code>curl</code> commands.</p>",
                base = escape_html(&self.endpoints.fhir_base),
                client = escape_html(&self.client.client_id),
                kind = if self.client.client_secret.is_some() {
                    "confidential"
                } else {
                    "public"
                },
                scope = escape_html(&self.scope),
                redirect = escape_html(&self.redirect_uri),
                link = escape_html(&link),
            ),
        )
    }

    fn complete(
        &mut self,
        http: &Http,
        request: &Request,
        now: i64,
    ) -> Result<Session, ClientError> {
        let callback = Callback {
            code: request.param("code").map(str::to_string),
            state: request.param("state").map(str::to_string),
            error: request.param("error").map(str::to_string),
            error_description: request.param("error_description").map(str::to_string),
        };
        let state = callback.state.clone().unwrap_or_default();
        let Some(at) = self.pending.iter().position(|r| r.state == state) else {
            return Err(ClientError::StateMismatch { got: state });
        };
        let Some(pending) = self.pending.remove(at) else {
            return Err(ClientError::StateMismatch { got: state });
        };
        let session = finish(
            http,
            &self.endpoints,
            &self.client,
            &pending,
            &callback,
            now,
        )?;
        if let Some(store) = &self.store {
            store.put(&session)?;
        }
        Ok(session)
    }

    fn token_page(&self, session: &Session) -> String {
        let t = &session.tokens;
        let expires_in = t.expires_at.map(|at| at - t.obtained_at);
        let response = json!({
            "access_token": t.access_token,
            "token_type": "Bearer",
            "expires_in": expires_in,
            "scope": t.scope,
            "refresh_token": t.refresh_token,
            "patient": t.patient,
            "id_token": t.id_token,
            "access_grant_expiration": t.access_grant_expiration,
        });
        let commands = curl_commands(session);
        let saved = match &self.store {
            Some(s) => format!(
                "<p>Saved for <code>carin-sandbox client</code> in <code>{}</code>.</p>",
                escape_html(&s.path().display().to_string())
            ),
            None => String::new(),
        };
        page(
            "Access token",
            &format!(
                "<h1>Access token</h1><p>The token response (keep it secret):</p>\
                 <pre id=\"token\">{}</pre><h2>Try it</h2><pre id=\"curl\">{}</pre>{saved}\
                 <p><a href=\"/\">Start again</a></p>",
                escape_html(&serde_json::to_string_pretty(&response).unwrap_or_default()),
                escape_html(&commands.join("\n\n")),
            ),
        )
    }
}

/// Single-quotes a word for a POSIX shell.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `curl` commands for the patient's Patient, Coverage and EOBs, and for a refresh.
pub fn curl_commands(session: &Session) -> Vec<String> {
    let base = &session.endpoints.fhir_base;
    let auth = shell_quote(&format!(
        "Authorization: Bearer {}",
        session.tokens.access_token
    ));
    let patient = session.tokens.patient.as_deref();
    let urls = match patient {
        Some(p) => vec![
            format!("{base}/Patient/{p}"),
            format!("{base}/Coverage?beneficiary=Patient/{p}"),
            format!("{base}/ExplanationOfBenefit?patient={p}"),
        ],
        None => vec![
            format!("{base}/Patient"),
            format!("{base}/Coverage"),
            format!("{base}/ExplanationOfBenefit"),
        ],
    };
    let mut out: Vec<String> = urls
        .iter()
        .map(|u| format!("curl -H {auth} {}", shell_quote(u)))
        .collect();
    if let Some(rt) = &session.tokens.refresh_token {
        let who = match &session.client_secret {
            Some(_) => format!(
                "-u {}",
                shell_quote(&format!("{}:YOUR_CLIENT_SECRET", session.client_id))
            ),
            None => format!(
                "-d {}",
                shell_quote(&format!("client_id={}", session.client_id))
            ),
        };
        out.push(format!(
            "curl -X POST {} {who} -d grant_type=refresh_token -d {}",
            shell_quote(&session.endpoints.token_endpoint),
            shell_quote(&format!("refresh_token={rt}"))
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting_survives_single_quotes() {
        assert_eq!(shell_quote("a'b"), r"'a'\''b'");
    }
}
