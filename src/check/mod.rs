//! `carin-sandbox check`: the CARIN for Blue Button 2.0.0 server conformance check, offline.
//!
//! Plain Rust over blocking HTTP ([`transport::Transport`]; the real one is the client
//! module's `Http`). It sends the request shapes the Inferno CARIN test kit (`c4bb_v200`)
//! sends and checks what it checks, in its groups:
//!
//! * [`smart`]: SMART discovery (skipped when the server has none and no sign-in was asked for);
//! * [`auth`]: the token — given (`--bearer`), from a standalone launch (code + PKCE, signing in
//!   through the sandbox's forms with the client's form driver), or from backend services;
//! * [`capability`]: `/metadata` — R4, JSON, `instantiates` c4bb, each resource's parameters;
//! * [`resources`]: per patient, Patient / ExplanationOfBenefit / Coverage searches and reads, every
//!   include, the referenced Organization / Practitioner / RelatedPerson, vread, paging, and
//!   bad input; every returned resource is validated with [`crate::validate`] and the kit's
//!   must-support lists are evaluated over what the kit would examine ([`must_support`]).
//!
//! [`report::Report`] is the result; [`output`] prints it, as text, JSON or an HTML page.

pub mod auth;
pub mod capability;
pub mod cli;
pub mod must_support;
pub mod output;
pub mod report;
pub mod resources;
pub mod smart;
pub mod transport;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde_json::Value;

use crate::client::fhir::{fhir_error_text, next_link};
use crate::client::http::Http;
use report::{Check, Counts, Report, SCHEMA};
use transport::{Reply, Transport};

/// How the check gets its token.
#[derive(Debug, Clone, Default)]
pub enum AuthOptions {
    /// No token (an open server, or only the public parts are checked).
    #[default]
    None,
    Bearer(String),
    /// A standalone launch: code flow with PKCE, signing in through the server's forms.
    Login {
        client_id: String,
        client_secret: Option<String>,
        username: String,
        password: String,
        scope: Option<String>,
    },
    /// SMART Backend Services: a `private_key_jwt` client assertion buys a system token.
    Backend {
        client_id: String,
        private_key: std::path::PathBuf,
        kid: Option<String>,
        scope: String,
    },
}

impl AuthOptions {
    pub fn name(&self) -> &'static str {
        match self {
            AuthOptions::None => "none",
            AuthOptions::Bearer(_) => "bearer",
            AuthOptions::Login { .. } => "standalone-launch",
            AuthOptions::Backend { .. } => "backend-services",
        }
    }
}

/// What to check.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The FHIR base URL (no trailing slash needed).
    pub base: String,
    pub auth: AuthOptions,
    /// Patient ids; else the token's patient, else the first Patient the server lists.
    pub patients: Vec<String>,
    /// `_count` for the paging check.
    pub page_size: u32,
}

/// The state of one run: where requests go, the token, and every resource seen.
pub struct Checker<'a> {
    transport: &'a dyn Transport,
    base: String,
    bearer: Option<String>,
    /// The current time in UTC milliseconds (for `ap` in search evaluation).
    now_ms: i64,
    /// Every resource returned, by `Type/id/version`, for validation.
    seen: BTreeMap<String, Value>,
}

/// One searchset page (or pages) read.
#[derive(Debug, Default, Clone)]
pub struct Found {
    pub matches: Vec<Value>,
    pub included: Vec<Value>,
    pub next: Option<String>,
}

impl<'a> Checker<'a> {
    pub fn new(transport: &'a dyn Transport, base: &str, now_ms: i64) -> Checker<'a> {
        Checker {
            transport,
            base: base.trim().trim_end_matches('/').to_string(),
            bearer: None,
            now_ms,
            seen: BTreeMap::new(),
        }
    }

    pub fn url(&self, relative: &str) -> String {
        format!("{}/{}", self.base, relative.trim_start_matches('/'))
    }

    /// GETs `url`, recording the request on `check`; a transport failure fails the check.
    /// The token goes only to the server's own origin (a `next` link elsewhere is refused).
    pub fn fetch(&self, check: &mut Check, url: &str, with_token: bool) -> Option<Reply> {
        let token = if with_token {
            self.bearer.as_deref()
        } else {
            None
        };
        let origin = |u: &str| url::Url::parse(u).ok().map(|u| u.origin());
        if token.is_some() && origin(url) != origin(&self.base) {
            check.request("GET", url, None);
            check.fail(format!(
                "{url} is not on the server's origin: the token is not sent there"
            ));
            return None;
        }
        match self.transport.get(url, token) {
            Ok(reply) => {
                check.request("GET", url, Some(reply.status));
                Some(reply)
            }
            Err(e) => {
                check.request("GET", url, None);
                check.fail(e);
                None
            }
        }
    }

    /// GETs a FHIR URL with the token and expects 200 with JSON; fails the check otherwise.
    pub fn get_json(&mut self, check: &mut Check, url: &str) -> Option<Value> {
        let reply = self.fetch(check, url, true)?;
        if reply.status != 200 {
            let mut why = format!(
                "GET {url} answered {}: {}",
                reply.status,
                fhir_error_text(&reply.body)
            );
            if reply.status == 401 {
                why.push_str(if self.bearer.is_some() {
                    " (the token was refused)"
                } else {
                    " (the server wants a token: pass --bearer or sign-in options)"
                });
            }
            check.fail(why);
            return None;
        }
        match serde_json::from_str::<Value>(&reply.body) {
            Ok(v) => Some(v),
            Err(e) => {
                check.fail(format!("GET {url}: the body is not JSON ({e})"));
                None
            }
        }
    }

    /// `GET [base]/{type}?{params}` expecting a searchset Bundle (first page only).
    pub fn search(
        &mut self,
        check: &mut Check,
        resource_type: &str,
        params: &[(&str, String)],
    ) -> Option<Found> {
        let url = self.search_url(resource_type, params);
        self.search_page(check, &url)
    }

    pub fn search_url(&self, resource_type: &str, params: &[(&str, String)]) -> String {
        let mut url = self.url(resource_type);
        for (i, (k, v)) in params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.extend(url::form_urlencoded::byte_serialize(k.as_bytes()));
            url.push('=');
            url.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
        }
        url
    }

    /// One page of a search, by its URL.
    pub fn search_page(&mut self, check: &mut Check, url: &str) -> Option<Found> {
        let bundle = self.get_json(check, url)?;
        if bundle["resourceType"] != "Bundle" {
            check.fail(format!(
                "GET {url} answered a {}, not a Bundle",
                bundle["resourceType"]
            ));
            return None;
        }
        if bundle["type"] != "searchset" {
            check.warn(format!(
                "the Bundle's type is {}, not searchset",
                bundle["type"]
            ));
        }
        let mut found = Found {
            next: next_link(&bundle, url),
            ..Found::default()
        };
        for entry in bundle["entry"].as_array().into_iter().flatten() {
            let Some(resource) = entry.get("resource") else {
                continue;
            };
            match entry["search"]["mode"].as_str() {
                Some("include") => found.included.push(resource.clone()),
                Some("outcome") => {}
                _ => found.matches.push(resource.clone()),
            }
        }
        for r in found.matches.iter().chain(&found.included) {
            self.keep(r);
        }
        Some(found)
    }

    /// `GET [base]/{type}/{id}`: the resource, which must echo the id.
    pub fn read(&mut self, check: &mut Check, resource_type: &str, id: &str) -> Option<Value> {
        let url = self.url(&format!("{resource_type}/{id}"));
        let resource = self.get_json(check, &url)?;
        if resource["resourceType"] != resource_type || resource["id"] != id {
            check.fail(format!(
                "GET {url} answered {}/{}, not {resource_type}/{id}",
                resource["resourceType"].as_str().unwrap_or("?"),
                resource["id"].as_str().unwrap_or("?")
            ));
            return None;
        }
        self.keep(&resource);
        Some(resource)
    }

    /// Remembers a returned resource for validation.
    pub fn keep(&mut self, resource: &Value) {
        let key = resource_key(resource);
        self.seen.entry(key).or_insert_with(|| resource.clone());
    }

    pub fn now_ms(&self) -> i64 {
        self.now_ms
    }
}

/// `Type/id/_history/v` (or `Type/id`) of a resource.
pub fn resource_key(r: &Value) -> String {
    let ty = r["resourceType"].as_str().unwrap_or("?");
    let id = r["id"].as_str().unwrap_or("?");
    match r["meta"]["versionId"].as_str() {
        Some(v) => format!("{ty}/{id}/_history/{v}"),
        None => format!("{ty}/{id}"),
    }
}

/// Runs every check. `http` is needed only to sign in (standalone launch, backend services);
/// `now` is the current time (unix seconds), `started_at` its RFC 3339 form for the report.
pub fn run(
    transport: &dyn Transport,
    http: Option<&Http>,
    options: &Options,
    now: i64,
    started_at: String,
) -> Report {
    let mut c = Checker::new(transport, &options.base, now.saturating_mul(1000));
    let mut report = Report {
        schema: SCHEMA,
        base: c.base.clone(),
        started_at,
        auth: options.auth.name(),
        patients: Vec::new(),
        summary: Counts::default(),
        passed: false,
        groups: Vec::new(),
        validated: 0,
        findings: Vec::new(),
        must_support: Vec::new(),
    };
    let (capability_group, cs) = capability::run(&mut c);
    let needs_discovery = matches!(
        options.auth,
        AuthOptions::Login { .. } | AuthOptions::Backend { .. }
    );
    let (smart_group, well_known) = smart::run(&mut c, cs.as_ref(), needs_discovery);
    report.groups.push(smart_group);
    let (auth_group, token) = auth::run(&c, http, &options.auth, well_known.as_ref(), now);
    report.groups.push(auth_group);
    report.groups.push(capability_group);
    c.bearer = token.as_ref().map(|t| t.access_token.clone());
    let token_patient = token.and_then(|t| t.patient);
    let outcome = resources::run(
        &mut c,
        &options.patients,
        token_patient,
        options.page_size.max(1),
    );
    report.patients = outcome.patients;
    report.groups.extend(outcome.groups);
    let (validation_group, findings) = resources::validate_all(&c);
    report.validated = c.seen.len();
    report.findings = findings;
    report.groups.push(validation_group);
    let (ms_group, coverage) = resources::must_support_group(&outcome.kit_view);
    report.must_support = coverage;
    report.groups.push(ms_group);
    report.finish();
    report
}
