//! The third-party FHIR server: what it supports (its CapabilityStatement), and sending a
//! batch of resources as a transaction or batch Bundle, or as one `PUT` each, with retries and
//! a bearer token (fixed, or a backend-services token fetched again on a 401).

use serde_json::Value;

use super::retry::{self, Decision, RetryPolicy};
use super::PushError;
use crate::auth::jws::SigningKey;
use crate::client::backend::{self, SystemTokenRequest};
use crate::client::http::Http;
use crate::clock::Clock;

/// How resources travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// A batch Bundle if the target's CapabilityStatement offers it (per-entry results),
    /// else a transaction Bundle, else one `PUT` each; falls back to `PUT` on a 4xx to the
    /// first Bundle.
    Auto,
    /// Transaction Bundles (all or nothing per Bundle).
    Transaction,
    /// Batch Bundles (each entry succeeds or fails on its own).
    Batch,
    /// One `PUT [base]/[type]/[id]` per resource.
    Put,
}

/// How the target is authorized.
pub enum Auth {
    None,
    /// A bearer token the operator already has.
    Bearer(String),
    /// SMART Backend Services: `client_credentials` with a `private_key_jwt` assertion.
    Backend(BackendAuth),
}

pub struct BackendAuth {
    pub client_id: String,
    pub key: SigningKey,
    pub kid: String,
    pub token_url: String,
    pub scope: String,
}

/// One resource's fate on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Failed { status: u16, diagnostics: String },
}

/// What a Bundle got.
pub enum BundleAnswer {
    Outcomes(Vec<Outcome>),
    /// The target refused the Bundle as a whole (it may not take Bundles at all).
    Refused {
        status: u16,
        diagnostics: String,
    },
}

/// One resource to send.
pub struct Outgoing<'a> {
    pub resource_type: &'a str,
    pub id: &'a str,
    pub body: &'a [u8],
}

/// An HTTP answer after retries.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

pub struct Target<'a> {
    http: &'a Http,
    base: String,
    auth: Auth,
    token: Option<String>,
    policy: RetryPolicy,
    clock: &'a dyn Clock,
    /// Requests sent again after a 429/5xx/transport failure.
    pub retries: u64,
}

const FHIR_JSON: &str = "application/fhir+json";

impl<'a> Target<'a> {
    pub fn new(
        http: &'a Http,
        base: &str,
        auth: Auth,
        policy: RetryPolicy,
        clock: &'a dyn Clock,
    ) -> Result<Self, PushError> {
        let token = match &auth {
            Auth::None => None,
            Auth::Bearer(t) => Some(t.clone()),
            Auth::Backend(_) => None,
        };
        let mut target = Target {
            http,
            base: super::ledger::normalize_base(base).to_string(),
            auth,
            token,
            policy,
            clock,
            retries: 0,
        };
        target.fetch_token()?;
        Ok(target)
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    fn fetch_token(&mut self) -> Result<bool, PushError> {
        let Auth::Backend(b) = &self.auth else {
            return Ok(false);
        };
        let now = self.clock.now().unix_timestamp();
        let response = backend::system_token(
            self.http,
            &SystemTokenRequest {
                token_url: &b.token_url,
                client_id: &b.client_id,
                key: &b.key,
                kid: &b.kid,
                scope: &b.scope,
            },
            now,
        )?;
        let token = response["access_token"]
            .as_str()
            .ok_or_else(|| PushError::Auth("the token response has no access_token".into()))?;
        self.token = Some(token.to_string());
        Ok(true)
    }

    /// The transport `Auto` resolves to, from `[base]/metadata` (`rest.interaction`).
    pub fn resolve_mode(&mut self, mode: Mode) -> Result<Mode, PushError> {
        if mode != Mode::Auto {
            return Ok(mode);
        }
        let answer = self.send(&reqwest::Method::GET, "metadata", None)?;
        if answer.status != 200 {
            tracing::warn!(
                status = answer.status,
                "no CapabilityStatement; trying batch Bundles"
            );
            return Ok(Mode::Batch);
        }
        let cs: Value = serde_json::from_slice(&answer.body).unwrap_or_default();
        Ok(mode_from_capabilities(&cs))
    }

    /// Sends `items` as one Bundle (`mode` is `Batch` or `Transaction`): one outcome per item,
    /// in order, or the whole Bundle's refusal (a 4xx other than 401/408/429).
    pub fn send_bundle(
        &mut self,
        mode: Mode,
        items: &[Outgoing<'_>],
    ) -> Result<BundleAnswer, PushError> {
        let kind = if mode == Mode::Transaction {
            "transaction"
        } else {
            "batch"
        };
        let body = bundle(kind, items);
        let answer = self.send(&reqwest::Method::POST, "", Some(&body))?;
        let status = answer.status;
        let diagnostics = || diagnostics(&answer.body, status);
        Ok(match status {
            200..=299 => BundleAnswer::Outcomes(bundle_outcomes(&answer.body, items.len())),
            400..=499 if status != 429 && status != 408 => BundleAnswer::Refused {
                status,
                diagnostics: diagnostics(),
            },
            _ => {
                let diagnostics = diagnostics();
                BundleAnswer::Outcomes(
                    items
                        .iter()
                        .map(|_| Outcome::Failed {
                            status,
                            diagnostics: diagnostics.clone(),
                        })
                        .collect(),
                )
            }
        })
    }

    /// `PUT [base]/[type]/[id]`.
    pub fn put(&mut self, item: &Outgoing<'_>) -> Result<Outcome, PushError> {
        let path = format!("{}/{}", item.resource_type, item.id);
        let answer = self.send(&reqwest::Method::PUT, &path, Some(item.body))?;
        Ok(match answer.status {
            201 => Outcome::Created,
            200..=299 => Outcome::Updated,
            status => Outcome::Failed {
                status,
                diagnostics: diagnostics(&answer.body, status),
            },
        })
    }

    /// One request with retries; a 401 fetches a new backend-services token once.
    fn send(
        &mut self,
        method: &reqwest::Method,
        path: &str,
        body: Option<&[u8]>,
    ) -> Result<Answer, PushError> {
        let url = if path.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{path}", self.base)
        };
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            let mut request = self
                .http
                .plain()
                .request(method.clone(), &url)
                .header(reqwest::header::ACCEPT, FHIR_JSON);
            if let Some(b) = body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, FHIR_JSON)
                    .header("Prefer", "return=minimal")
                    .body(b.to_vec());
            }
            if let Some(t) = &self.token {
                request = request.bearer_auth(t);
            }
            let (status, retry_after, answer) = match request.send() {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| retry::parse_retry_after(v, self.clock.now()));
                    let bytes = response.bytes().map(|b| b.to_vec());
                    match bytes {
                        Ok(body) => (Some(status), retry_after, Ok(Answer { status, body })),
                        Err(e) => (None, None, Err(e)),
                    }
                }
                Err(e) => (None, None, Err(e)),
            };
            if status == Some(401) && !refreshed && self.fetch_token()? {
                refreshed = true;
                continue;
            }
            match retry::decide(&self.policy, attempt, status, retry_after, retry::jitter()) {
                Decision::Retry(wait) => {
                    tracing::info!(%url, ?status, ?wait, attempt, "retrying");
                    self.retries += 1;
                    attempt += 1;
                    std::thread::sleep(wait);
                }
                Decision::GiveUp => {
                    return match answer {
                        Ok(a) if a.status == 401 => Err(PushError::Auth(format!(
                            "{method} {url} answered 401: {}",
                            diagnostics(&a.body, 401)
                        ))),
                        Ok(a) => Ok(a),
                        Err(e) => Err(PushError::Client(crate::client::error::transport(&url, &e))),
                    };
                }
            }
        }
    }
}

/// The Bundle transport a CapabilityStatement offers: batch (per-entry results), else
/// transaction, else `PUT`.
pub fn mode_from_capabilities(cs: &Value) -> Mode {
    let offers = |code: &str| {
        cs["rest"].as_array().into_iter().flatten().any(|rest| {
            rest["interaction"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|i| i["code"] == code)
        })
    };
    if offers("batch") {
        Mode::Batch
    } else if offers("transaction") {
        Mode::Transaction
    } else {
        Mode::Put
    }
}

/// A batch or transaction Bundle of `PUT`s around the resources' bytes (not re-serialized).
pub fn bundle(kind: &str, items: &[Outgoing<'_>]) -> Vec<u8> {
    let size: usize = items.iter().map(|i| i.body.len() + 128).sum();
    let mut out = Vec::with_capacity(size + 64);
    out.extend_from_slice(b"{\"resourceType\":\"Bundle\",\"type\":");
    crate::json::write_str(&mut out, kind);
    out.extend_from_slice(b",\"entry\":[");
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let url = format!("{}/{}", item.resource_type, item.id);
        out.extend_from_slice(b"{\"fullUrl\":");
        crate::json::write_str(&mut out, &format!("urn:carin-sandbox:{url}"));
        out.extend_from_slice(b",\"resource\":");
        out.extend_from_slice(item.body);
        out.extend_from_slice(b",\"request\":{\"method\":\"PUT\",\"url\":");
        crate::json::write_str(&mut out, &url);
        out.extend_from_slice(b"}}");
    }
    out.extend_from_slice(b"]}");
    out
}

/// The outcomes of a batch/transaction-response Bundle, one per sent entry, in order.
pub fn bundle_outcomes(body: &[u8], sent: usize) -> Vec<Outcome> {
    let parsed: Value = serde_json::from_slice(body).unwrap_or_default();
    let entries = parsed["entry"].as_array().cloned().unwrap_or_default();
    (0..sent)
        .map(|i| {
            let Some(entry) = entries.get(i) else {
                return Outcome::Failed {
                    status: 0,
                    diagnostics: format!(
                        "the response Bundle has {} entries for {sent} sent",
                        entries.len()
                    ),
                };
            };
            let response = &entry["response"];
            let status = response["status"]
                .as_str()
                .and_then(|s| s.split_whitespace().next())
                .and_then(|s| s.parse::<u16>().ok())
                .unwrap_or(0);
            match status {
                201 => Outcome::Created,
                200..=299 => Outcome::Updated,
                _ => Outcome::Failed {
                    status,
                    diagnostics: outcome_text(&response["outcome"])
                        .unwrap_or_else(|| format!("entry status {:?}", response["status"])),
                },
            }
        })
        .collect()
}

/// What an OperationOutcome says (its issues' diagnostics or details), else the body's start.
pub fn diagnostics(body: &[u8], status: u16) -> String {
    let parsed: Value = serde_json::from_slice(body).unwrap_or_default();
    outcome_text(&parsed).unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text = crate::client::error::one_line(&text);
        if text.is_empty() {
            format!("HTTP {status}")
        } else {
            text.chars().take(300).collect()
        }
    })
}

fn outcome_text(oo: &Value) -> Option<String> {
    if oo["resourceType"] != "OperationOutcome" {
        return None;
    }
    let texts: Vec<String> = oo["issue"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| {
            let text = i["diagnostics"]
                .as_str()
                .or_else(|| i["details"]["text"].as_str())?;
            Some(format!(
                "{}: {text}",
                i["severity"].as_str().unwrap_or("error")
            ))
        })
        .collect();
    (!texts.is_empty()).then(|| texts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn capabilities_pick_batch_then_transaction_then_put() {
        let cs = |codes: &[&str]| {
            json!({"resourceType": "CapabilityStatement", "rest": [{"mode": "server",
                "interaction": codes.iter().map(|c| json!({"code": c})).collect::<Vec<_>>()}]})
        };
        assert_eq!(
            mode_from_capabilities(&cs(&["transaction", "batch"])),
            Mode::Batch
        );
        assert_eq!(
            mode_from_capabilities(&cs(&["transaction"])),
            Mode::Transaction
        );
        assert_eq!(mode_from_capabilities(&cs(&["search-system"])), Mode::Put);
        assert_eq!(mode_from_capabilities(&json!({})), Mode::Put);
    }

    #[test]
    fn bundles_wrap_the_bytes_and_parse_as_json() {
        let items = [
            Outgoing {
                resource_type: "Patient",
                id: "p1",
                body: br#"{"resourceType":"Patient","id":"p1"}"#,
            },
            Outgoing {
                resource_type: "Patient",
                id: "p2",
                body: br#"{"resourceType":"Patient","id":"p2"}"#,
            },
        ];
        let b: Value = serde_json::from_slice(&bundle("batch", &items)).unwrap();
        assert_eq!(b["type"], "batch");
        assert_eq!(b["entry"][1]["resource"]["id"], "p2");
        assert_eq!(
            b["entry"][1]["request"],
            json!({"method": "PUT", "url": "Patient/p2"})
        );
        assert_eq!(b["entry"][0]["fullUrl"], "urn:carin-sandbox:Patient/p1");
        let empty: Value = serde_json::from_slice(&bundle("transaction", &[])).unwrap();
        assert_eq!(empty["entry"], json!([]));
    }

    #[test]
    fn response_bundles_give_one_outcome_per_entry() {
        let body = json!({"resourceType": "Bundle", "type": "batch-response", "entry": [
            {"response": {"status": "201 Created"}},
            {"response": {"status": "200"}},
            {"response": {"status": "422 Unprocessable Entity", "outcome": {
                "resourceType": "OperationOutcome",
                "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad date"}]}}},
        ]});
        let out = bundle_outcomes(&serde_json::to_vec(&body).unwrap(), 4);
        assert_eq!(out[0], Outcome::Created);
        assert_eq!(out[1], Outcome::Updated);
        assert_eq!(
            out[2],
            Outcome::Failed {
                status: 422,
                diagnostics: "error: bad date".into()
            }
        );
        assert!(
            matches!(&out[3], Outcome::Failed { status: 0, diagnostics } if diagnostics.contains("3 entries for 4"))
        );
        assert_eq!(bundle_outcomes(b"not json", 1).len(), 1);
    }

    #[test]
    fn diagnostics_read_operation_outcomes_or_the_body() {
        let oo = json!({"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "details": {"text": "unknown type"}},
            {"severity": "warning", "diagnostics": "x"}]});
        assert_eq!(
            diagnostics(&serde_json::to_vec(&oo).unwrap(), 400),
            "error: unknown type; warning: x"
        );
        assert_eq!(diagnostics(b"  Bad\n gateway ", 502), "Bad gateway");
        assert_eq!(diagnostics(b"", 503), "HTTP 503");
    }
}
