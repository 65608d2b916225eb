//! Drives the SMART standalone launch the way a browser and an app do: the authorization
//! request, the sign-in and consent forms (with their cookies), the redirect, the token call.

use aws_lc_rs::digest::{digest, SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use serde_json::Value;

use crate::helpers::TestApp;

pub const CONFIDENTIAL: (&str, &str) = ("test-client-id", "test-client-secret");
pub const PUBLIC: &str = "test-public-client-id";
pub const REDIRECT: &str = "http://127.0.0.1:7777/callback";

pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    pub fn new() -> Self {
        let verifier = carin_sandbox::auth::keys::random_token() + "-verifier";
        let challenge = B64.encode(digest(&SHA256, verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// The authorization request's parameters; `Launch::new` is a well-formed one.
pub struct Launch {
    pub params: Vec<(String, String)>,
    pub pkce: Pkce,
}

impl Launch {
    pub fn new(app: &TestApp, client_id: &str, scope: &str) -> Self {
        let pkce = Pkce::new();
        let params = [
            ("response_type", "code".to_string()),
            ("client_id", client_id.to_string()),
            ("redirect_uri", REDIRECT.to_string()),
            ("scope", scope.to_string()),
            ("state", "state-0123456789abcdef".to_string()),
            ("aud", app.url("/v2/fhir")),
            ("code_challenge", pkce.challenge.clone()),
            ("code_challenge_method", "S256".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        Self { params, pkce }
    }

    pub fn set(mut self, key: &str, value: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self.params.push((key.to_string(), value.to_string()));
        self
    }

    pub fn without(mut self, key: &str) -> Self {
        self.params.retain(|(k, _)| k != key);
        self
    }
}

/// A browser: a cookie jar, no automatic redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden input in a page.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} field in:\n{html}"))
        + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    html[start..end].to_string()
}

/// What the browser ended with.
pub struct Landing {
    pub status: u16,
    /// The Location header, when the server redirected.
    pub location: Option<String>,
    pub body: String,
}

impl Landing {
    /// A query parameter of the redirect.
    pub fn param(&self, key: &str) -> Option<String> {
        let location = self.location.as_deref()?;
        let url = url::Url::parse(location).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    }
}

pub async fn landing(response: reqwest::Response) -> Landing {
    Landing {
        status: response.status().as_u16(),
        location: response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_string()),
        body: response.text().await.unwrap(),
    }
}

/// GET the authorization endpoint.
pub async fn authorize(app: &TestApp, browser: &reqwest::Client, launch: &Launch) -> Landing {
    let response = browser
        .get(app.url("/v2/o/authorize"))
        .query(&launch.params)
        .send()
        .await
        .unwrap();
    landing(response).await
}

/// Signs in on the page the authorization request showed.
pub async fn sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    user: &str,
    password: &str,
) -> Landing {
    let form = [
        ("request", hidden(page, "request")),
        ("csrf", hidden(page, "csrf")),
        ("username", user.to_string()),
        ("password", password.to_string()),
    ];
    let response = browser
        .post(app.url("/v2/o/authorize/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    landing(response).await
}

/// Answers the consent page.
pub async fn consent(
    app: &TestApp,
    browser: &reqwest::Client,
    page: &str,
    decision: &str,
    share_demographics: bool,
) -> Landing {
    let mut form = vec![
        ("request", hidden(page, "request")),
        ("csrf", hidden(page, "csrf")),
        ("decision", decision.to_string()),
    ];
    if share_demographics {
        form.push(("share_demographics", "true".to_string()));
    }
    let response = browser
        .post(app.url("/v2/o/authorize/consent"))
        .form(&form)
        .send()
        .await
        .unwrap();
    landing(response).await
}

/// The whole browser part as BBUser{n}: the authorization code's redirect.
pub async fn code_for(app: &TestApp, launch: &Launch, user: u32, share: bool) -> Landing {
    let browser = browser();
    let page = authorize(app, &browser, launch).await;
    assert_eq!(page.status, 200, "authorize: {}", page.body);
    let consent_page = sign_in(
        app,
        &browser,
        &page.body,
        &format!("BBUser{user:05}"),
        &format!("PW{user:05}!"),
    )
    .await;
    assert_eq!(consent_page.status, 200, "sign-in: {}", consent_page.body);
    let done = consent(app, &browser, &consent_page.body, "allow", share).await;
    assert_eq!(done.status, 303, "consent: {}", done.body);
    done
}

/// POSTs a form to the token endpoint with optional Basic credentials.
pub async fn token_call(
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut request = client.post(app.url(path)).form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

/// The code exchanged by the confidential test app.
pub async fn exchange(app: &TestApp, code: &str, verifier: &str) -> (u16, Value) {
    let (status, _, body) = token_call(
        app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", verifier),
        ],
        Some(CONFIDENTIAL),
    )
    .await;
    (status, body)
}

/// A full launch for BBUser{user} with the confidential app: the token response.
pub async fn tokens(app: &TestApp, scope: &str, user: u32) -> Value {
    tokens_sharing(app, scope, user, true).await
}

/// `tokens`, with the consent page's "share my demographics" ticked or not.
pub async fn tokens_sharing(app: &TestApp, scope: &str, user: u32, share: bool) -> Value {
    let launch = Launch::new(app, CONFIDENTIAL.0, scope);
    let done = code_for(app, &launch, user, share).await;
    let (status, body) = exchange(app, &done.param("code").unwrap(), &launch.pkce.verifier).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// GET with a bearer token: status and JSON body.
pub async fn fhir_get(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}
