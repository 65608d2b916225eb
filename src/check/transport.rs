//! How the check talks HTTP: one small trait, so the checks run against a real server over
//! blocking HTTP (`client::http::Http`) or against canned answers in unit tests.

use std::collections::BTreeMap;

use crate::client::error::transport;
use crate::client::http::Http;

/// One HTTP answer, body read as text.
#[derive(Debug, Clone, Default)]
pub struct Reply {
    pub status: u16,
    /// Header names in lower case (the last value of a repeated header).
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A GET with an optional bearer token; `Err` is a transport failure in words.
pub trait Transport {
    fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply, String>;
}

/// The real thing.
pub struct HttpTransport<'a> {
    pub http: &'a Http,
}

impl Transport for HttpTransport<'_> {
    fn get(&self, url: &str, bearer: Option<&str>) -> Result<Reply, String> {
        let mut request = self
            .http
            .plain()
            .get(url)
            .header("Accept", "application/fhir+json, application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().map_err(|e| transport(url, &e).to_string())?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let body = response
            .text()
            .map_err(|e| transport(url, &e).to_string())?;
        Ok(Reply {
            status,
            headers,
            body,
        })
    }
}
