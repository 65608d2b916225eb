//! The test client's back channel: it calls the token endpoint and the FHIR API over HTTP,
//! like any app, at the origin the browser used. Blocking (reqwest); run it in `web::block`.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::auth::clients::{TEST_CLIENT_ID, TEST_CLIENT_SECRET};

const USER_AGENT: &str = concat!("carin-sandbox-testclient/", env!("CARGO_PKG_VERSION"));

/// One HTTP exchange, as the page shows it.
#[derive(Debug, Clone)]
pub struct Reply {
    pub method: &'static str,
    pub url: String,
    pub status: u16,
    pub www_authenticate: Option<String>,
    /// The body as JSON (Null when it is not JSON).
    pub body: Value,
    pub millis: u128,
}

impl Reply {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

pub struct Backend {
    http: reqwest::blocking::Client,
}

impl Backend {
    /// A client for `origin`; over HTTPS it also trusts the sandbox's own self-signed
    /// certificate (from the data directory), when there is one.
    pub fn new(origin: &str, data_dir: &Path) -> Result<Backend, String> {
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if origin.starts_with("https://") {
            let (cert, _) = crate::web::self_signed_paths(data_dir);
            if let Ok(pem) = std::fs::read(&cert) {
                if let Ok(cert) = reqwest::Certificate::from_pem(&pem) {
                    builder = builder.add_root_certificate(cert);
                }
            }
        }
        let http = builder
            .build()
            .map_err(|e| format!("cannot set up HTTP: {e}"))?;
        Ok(Backend { http })
    }

    /// POSTs a form to the token endpoint as the seeded confidential test app (HTTP Basic).
    pub fn token(&self, url: &str, form: &[(&str, &str)]) -> Result<Reply, String> {
        let started = Instant::now();
        let response = self
            .http
            .post(url)
            .basic_auth(TEST_CLIENT_ID, Some(TEST_CLIENT_SECRET))
            .form(form)
            .send()
            .map_err(|e| format!("the token endpoint {url} did not answer: {e}"))?;
        Ok(reply("POST", url, response, started))
    }

    /// GETs a FHIR URL with the bearer token.
    pub fn get(&self, access_token: &str, url: &str) -> Result<Reply, String> {
        let started = Instant::now();
        let response = self
            .http
            .get(url)
            .bearer_auth(access_token)
            .header(reqwest::header::ACCEPT, "application/fhir+json")
            .send()
            .map_err(|e| format!("the FHIR server at {url} did not answer: {e}"))?;
        Ok(reply("GET", url, response, started))
    }
}

fn reply(
    method: &'static str,
    url: &str,
    response: reqwest::blocking::Response,
    started: Instant,
) -> Reply {
    let status = response.status().as_u16();
    let www_authenticate = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = response
        .bytes()
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    Reply {
        method,
        url: url.to_string(),
        status,
        www_authenticate,
        body,
        millis: started.elapsed().as_millis(),
    }
}
