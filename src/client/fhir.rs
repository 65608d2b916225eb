//! Authorized FHIR calls for a logged-in server: refresh once when the access token has
//! expired or a call answers 401 (keeping the rotated refresh token), and searches that
//! follow `next` links.

use std::sync::Arc;

use serde_json::Value;

use super::error::{one_line, transport, ClientError};
use super::http::Http;
use super::oauth::{self, snippet, ClientCredentials};
use super::token_store::{Session, TokenStore};
use crate::clock::Clock;

/// Pages followed at most by one search (a guard against a server whose links loop).
pub const MAX_PAGES: usize = 10_000;

/// A logged-in server.
pub struct FhirClient<'a> {
    http: &'a Http,
    store: &'a TokenStore,
    session: Session,
    clock: Arc<dyn Clock>,
}

/// What a search brought back.
#[derive(Debug, Default, Clone)]
pub struct SearchResult {
    /// Entries with search mode `match` (or none), in server order across pages.
    pub matches: Vec<Value>,
    /// Entries with search mode `include`.
    pub included: Vec<Value>,
    /// The first page's `total`, when the server sent one.
    pub total: Option<u64>,
    /// Pages fetched.
    pub pages: usize,
    /// The `next` link not followed (without `--all-pages`).
    pub next: Option<String>,
}

impl<'a> FhirClient<'a> {
    /// The session stored for `fhir_base`.
    pub fn open(
        http: &'a Http,
        store: &'a TokenStore,
        fhir_base: &str,
        clock: Arc<dyn Clock>,
    ) -> Result<FhirClient<'a>, ClientError> {
        let session = store
            .get(fhir_base)?
            .ok_or_else(|| ClientError::NotLoggedIn(fhir_base.to_string()))?;
        Ok(FhirClient {
            http,
            store,
            session,
            clock,
        })
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn base(&self) -> &str {
        &self.session.endpoints.fhir_base
    }

    fn now(&self) -> i64 {
        self.clock.now().unix_timestamp()
    }

    /// Trades the refresh token for new tokens and saves them at once (the old refresh token
    /// is dead from this moment on, whatever happens next).
    pub fn refresh(&mut self) -> Result<(), ClientError> {
        if self.session.tokens.refresh_token.is_none() {
            return Err(ClientError::NoRefreshToken {
                server: self.base().to_string(),
            });
        }
        let client = ClientCredentials {
            client_id: self.session.client_id.clone(),
            client_secret: self.session.client_secret.clone(),
        };
        let tokens = oauth::refresh(
            self.http,
            &self.session.endpoints.token_endpoint,
            &client,
            &self.session.tokens,
            self.now(),
        )?;
        self.session.tokens = tokens;
        self.store.put(&self.session)
    }

    /// GETs `url` (which must be on the FHIR server's origin) with the access token.
    pub fn get_json(&mut self, url: &str) -> Result<Value, ClientError> {
        self.check_origin(url)?;
        let mut refreshed = false;
        if self.session.tokens.expired(self.now()) && self.session.tokens.refresh_token.is_some() {
            self.refresh()?;
            refreshed = true;
        }
        loop {
            let response = self
                .http
                .plain()
                .get(url)
                .bearer_auth(&self.session.tokens.access_token)
                .header("Accept", "application/fhir+json, application/json")
                .send()
                .map_err(|e| transport(url, &e))?;
            let status = response.status().as_u16();
            let text = response.text().map_err(|e| transport(url, &e))?;
            if status == 401 && !refreshed {
                self.refresh()?;
                refreshed = true;
                continue;
            }
            if !(200..300).contains(&status) {
                let mut detail = fhir_error_text(&text);
                if status == 401 {
                    detail = format!(
                        "{detail} (even after a refresh; run `carin-sandbox client login` again)"
                    );
                }
                return Err(ClientError::Http {
                    method: "GET",
                    url: url.to_string(),
                    status,
                    detail,
                });
            }
            return serde_json::from_str(&text).map_err(|e| ClientError::BadResponse {
                url: url.to_string(),
                expected: "JSON",
                reason: one_line(&e.to_string()),
            });
        }
    }

    /// The bearer token goes only to the server it was issued for.
    fn check_origin(&self, url: &str) -> Result<(), ClientError> {
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        match (origin(url), origin(self.base())) {
            (Some(a), Some(b)) if a == b => Ok(()),
            _ => Err(ClientError::BadResponse {
                url: url.to_string(),
                expected: "a link on the FHIR server's own origin",
                reason: format!("it is not under {}", self.base()),
            }),
        }
    }

    /// `GET {base}/{type}?params`, following `next` links when `all_pages`.
    pub fn search(
        &mut self,
        resource_type: &str,
        params: &[(String, String)],
        all_pages: bool,
    ) -> Result<SearchResult, ClientError> {
        let mut url = url::Url::parse(&format!("{}/{resource_type}", self.base()))
            .map_err(|e| ClientError::BadUrl(e.to_string()))?;
        if !params.is_empty() {
            url.query_pairs_mut().extend_pairs(params);
        }
        let mut next = Some(url.to_string());
        let mut seen = std::collections::HashSet::new();
        let mut out = SearchResult::default();
        while let Some(page_url) = next.take() {
            if !seen.insert(page_url.clone()) || out.pages >= MAX_PAGES {
                return Err(ClientError::BadResponse {
                    url: page_url,
                    expected: "a new page",
                    reason: "the next links go round in a circle".into(),
                });
            }
            let bundle = self.get_json(&page_url)?;
            if bundle.get("resourceType").and_then(Value::as_str) != Some("Bundle") {
                return Err(ClientError::BadResponse {
                    url: page_url,
                    expected: "a searchset Bundle",
                    reason: format!(
                        "got {}",
                        bundle
                            .get("resourceType")
                            .and_then(Value::as_str)
                            .unwrap_or("something else")
                    ),
                });
            }
            if out.pages == 0 {
                out.total = bundle.get("total").and_then(Value::as_u64);
            }
            out.pages += 1;
            for entry in bundle
                .get("entry")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(resource) = entry.get("resource") else {
                    continue;
                };
                match entry.pointer("/search/mode").and_then(Value::as_str) {
                    Some("include") => out.included.push(resource.clone()),
                    Some("outcome") => {}
                    _ => out.matches.push(resource.clone()),
                }
            }
            let link = next_link(&bundle, &page_url);
            if all_pages {
                next = link;
            } else {
                out.next = link;
            }
        }
        Ok(out)
    }
}

/// The Bundle's `next` link, resolved against the page's URL.
pub fn next_link(bundle: &Value, page_url: &str) -> Option<String> {
    let href = bundle
        .get("link")?
        .as_array()?
        .iter()
        .find(|l| l.get("relation").and_then(Value::as_str) == Some("next"))?
        .get("url")?
        .as_str()?;
    url::Url::parse(page_url)
        .ok()?
        .join(href)
        .ok()
        .map(|u| u.to_string())
}

/// What an error body says: OperationOutcome diagnostics, an OAuth error, or the first words.
pub fn fhir_error_text(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body) {
        if v.get("resourceType").and_then(Value::as_str) == Some("OperationOutcome") {
            let texts: Vec<String> = v
                .get("issue")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|i| {
                    i.get("diagnostics")
                        .or_else(|| i.pointer("/details/text"))
                        .and_then(Value::as_str)
                        .map(one_line)
                })
                .collect();
            if !texts.is_empty() {
                return texts.join("; ");
            }
        }
    }
    let text = oauth::oauth_error_text(body);
    if text.is_empty() {
        snippet(body)
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn next_links_resolve_against_the_page() {
        let b = json!({"link": [{"relation": "self", "url": "x"},
                                {"relation": "next", "url": "/v2/fhir/EOB?_offset=10"}]});
        assert_eq!(
            next_link(&b, "http://h:1/v2/fhir/EOB").as_deref(),
            Some("http://h:1/v2/fhir/EOB?_offset=10")
        );
        assert_eq!(next_link(&json!({"link": []}), "http://h/"), None);
    }

    #[test]
    fn error_bodies_become_one_line() {
        let oo = json!({"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "invalid", "diagnostics": "unknown\nparameter"}]});
        assert_eq!(fhir_error_text(&oo.to_string()), "unknown parameter");
        assert_eq!(
            fhir_error_text(r#"{"detail":"Authentication credentials were not provided."}"#),
            "Authentication credentials were not provided."
        );
    }
}
