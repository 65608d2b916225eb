//! The loopback redirect listener of a native app (RFC 8252 §7.3): an ephemeral port on
//! 127.0.0.1 that waits for the one redirect carrying `code` (or `error`) and `state`.

use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::error::ClientError;
use super::responder::{escape_html, page, read_request, respond, Request};

/// What came back on the redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

impl Callback {
    fn from_request(r: &Request) -> Option<Callback> {
        let get = |k: &str| r.param(k).map(str::to_string);
        let cb = Callback {
            code: get("code"),
            state: get("state"),
            error: get("error"),
            error_description: get("error_description"),
        };
        (cb.code.is_some() || cb.error.is_some()).then_some(cb)
    }

    /// `access_denied: the user said no` (or just the code).
    pub fn error_text(&self) -> Option<String> {
        let e = self.error.as_deref()?;
        Some(
            match self.error_description.as_deref().filter(|d| !d.is_empty()) {
                Some(d) => format!("{e}: {d}"),
                None => e.to_string(),
            },
        )
    }
}

/// A bound listener and the redirect URI that reaches it.
pub struct Loopback {
    listener: TcpListener,
    redirect_uri: String,
    path: String,
}

/// The redirect URI used when none is given: any port is fine for loopback IPs.
pub const DEFAULT_REDIRECT: &str = "http://127.0.0.1:0/callback";

impl Loopback {
    /// Binds the host and port of `redirect` (`http://127.0.0.1:0/callback` picks a free port;
    /// `localhost` binds 127.0.0.1). Only loopback http URIs are accepted.
    pub fn bind(redirect: &str) -> Result<Loopback, ClientError> {
        let url = url::Url::parse(redirect)
            .map_err(|e| ClientError::Usage(format!("redirect URI {redirect}: {e}")))?;
        let addr = loopback_addr(&url)?;
        let listener = TcpListener::bind(addr)
            .map_err(|e| ClientError::Listener(format!("cannot listen on {addr}: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| ClientError::Listener(e.to_string()))?
            .port();
        let mut uri = url.clone();
        // A loopback http URL always takes a port.
        let _ = uri.set_port(Some(port));
        Ok(Loopback {
            listener,
            redirect_uri: uri.to_string(),
            path: url.path().to_string(),
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// The bound socket, for a server that answers more than one redirect.
    pub fn into_listener(self) -> TcpListener {
        self.listener
    }

    /// Waits (on a thread of its own) for the redirect, answering other requests with 404
    /// until it comes or `timeout` passes. The browser gets a page saying how it went.
    /// Dropping the returned [`Waiting`] stops the listener.
    pub fn spawn_wait(self, timeout: Duration) -> Waiting {
        let (tx, rx) = mpsc::channel();
        let cancel = Arc::new(AtomicBool::new(false));
        let stop = cancel.clone();
        std::thread::spawn(move || {
            let _ = tx.send(self.wait(timeout, &stop));
        });
        Waiting { rx, cancel }
    }

    fn wait(self, timeout: Duration, cancel: &AtomicBool) -> Result<Callback, ClientError> {
        let deadline = Instant::now() + timeout;
        self.listener
            .set_nonblocking(true)
            .map_err(|e| ClientError::Listener(e.to_string()))?;
        loop {
            let (mut stream, _) = match self.listener.accept() {
                Ok(conn) => conn,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if cancel.load(Ordering::Relaxed) {
                        return Err(ClientError::Listener("stopped".into()));
                    }
                    if Instant::now() >= deadline {
                        return Err(ClientError::CallbackTimeout {
                            uri: self.redirect_uri,
                            seconds: timeout.as_secs(),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                }
                Err(e) => return Err(ClientError::Listener(e.to_string())),
            };
            let _ = stream.set_nonblocking(false);
            let Ok(request) = read_request(&mut stream) else {
                respond(
                    &mut stream,
                    400,
                    "text/plain; charset=utf-8",
                    "bad request\n",
                );
                continue;
            };
            if request.path != self.path {
                respond(&mut stream, 404, "text/plain; charset=utf-8", "not found\n");
                continue;
            }
            if request.method != "GET" {
                respond(&mut stream, 405, "text/plain; charset=utf-8", "GET only\n");
                continue;
            }
            let Some(callback) = Callback::from_request(&request) else {
                respond(
                    &mut stream,
                    400,
                    "text/html; charset=utf-8",
                    &page("Missing code", "<p class=\"error\">This address expects an authorization response (code or error).</p>"),
                );
                continue;
            };
            let body = match callback.error_text() {
                None => page(
                    "Signed in",
                    "<h1>Signed in</h1><p>carin-sandbox has the authorization code. You can close this window and return to the terminal.</p>",
                ),
                Some(e) => page(
                    "Authorization failed",
                    &format!(
                        "<h1>Authorization failed</h1><p class=\"error\">{}</p><p>Return to the terminal.</p>",
                        escape_html(&e)
                    ),
                ),
            };
            respond(&mut stream, 200, "text/html; charset=utf-8", &body);
            return Ok(callback);
        }
    }
}

/// A listener at work; dropping it stops the listener.
pub struct Waiting {
    rx: mpsc::Receiver<Result<Callback, ClientError>>,
    cancel: Arc<AtomicBool>,
}

impl Waiting {
    /// Blocks until the redirect comes, the time is up, or the listener fails.
    pub fn recv(&self) -> Result<Callback, ClientError> {
        self.rx
            .recv()
            .map_err(|_| ClientError::Listener("the listener stopped".into()))?
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// 127.0.0.1, ::1 or localhost (→ 127.0.0.1), with the URL's port (0 = any free port).
fn loopback_addr(url: &url::Url) -> Result<SocketAddr, ClientError> {
    if url.scheme() != "http" {
        return Err(ClientError::Usage(format!(
            "redirect URI {url} must be a loopback http:// URI (RFC 8252 §7.3)"
        )));
    }
    let port = url.port().unwrap_or(0);
    let ip: std::net::IpAddr = match url.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => ip.into(),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => ip.into(),
        Some(url::Host::Domain("localhost")) => std::net::Ipv4Addr::LOCALHOST.into(),
        _ => {
            return Err(ClientError::Usage(format!(
                "redirect URI {url} must point at 127.0.0.1, [::1] or localhost"
            )))
        }
    };
    Ok(SocketAddr::new(ip, port))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    fn get(uri: &str, path_and_query: &str) -> String {
        let addr = url::Url::parse(uri).expect("uri");
        let mut s = std::net::TcpStream::connect((
            addr.host_str().expect("host"),
            addr.port().expect("port"),
        ))
        .expect("connect");
        write!(s, "GET {path_and_query} HTTP/1.1\r\nHost: x\r\n\r\n").expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).expect("read");
        out
    }

    #[test]
    fn listener_ignores_other_paths_and_returns_the_redirect() {
        let lb = Loopback::bind(DEFAULT_REDIRECT).expect("bind");
        let uri = lb.redirect_uri().to_string();
        assert!(
            uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"),
            "{uri}"
        );
        assert!(!uri.contains(":0/"));
        let rx = lb.spawn_wait(Duration::from_secs(10));
        assert!(get(&uri, "/favicon.ico").starts_with("HTTP/1.1 404"));
        let page = get(&uri, "/callback?code=abc&state=xyz");
        assert!(page.starts_with("HTTP/1.1 200"), "{page}");
        let cb = rx.recv().expect("callback");
        assert_eq!(cb.code.as_deref(), Some("abc"));
        assert_eq!(cb.state.as_deref(), Some("xyz"));
    }

    #[test]
    fn listener_times_out_and_refuses_non_loopback_uris() {
        let lb = Loopback::bind("http://localhost:0/cb").expect("bind");
        let err = lb
            .spawn_wait(Duration::from_millis(100))
            .recv()
            .expect_err("timeout");
        assert!(matches!(err, ClientError::CallbackTimeout { .. }));
        assert!(Loopback::bind("http://example.com/cb").is_err());
        assert!(Loopback::bind("https://127.0.0.1/cb").is_err());
    }
}
