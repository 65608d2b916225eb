//! Blue Button's grant models over HTTP: one-time access (one hour, no refresh token) and
//! thirteen-month access (refresh until the grant ends), `access_grant_expiration` in token
//! responses, the connected-apps page, and the sandbox's ways to end a grant now.

use serde_json::Value;

use crate::flow::*;
use crate::helpers::TestApp;

const SCOPES: &str = "launch/patient openid fhirUser offline_access patient/*.rs";

/// Signs up a developer on `app`'s portal and registers a confidential app with `grant_model`
/// (None: the form's default): the developer's browser, the client id and secret.
pub async fn register_app(
    app: &TestApp,
    email: &str,
    grant_model: Option<&str>,
) -> (reqwest::Client, String, String) {
    let b = browser();
    let page = b.get(app.url("/account/signup")).send().await.unwrap();
    let html = page.text().await.unwrap();
    let password = "correct horse battery";
    let r = b
        .post(app.url("/account/signup"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("email", email),
            ("name", "Test Developer"),
            ("organization", ""),
            ("password", password),
            ("password_again", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "sign-up");
    let html = b
        .get(app.url("/apps/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = hidden(&html, "csrf");
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("name", "Grant model app"),
        ("kind", "confidential"),
        ("redirect_uris", "http://127.0.0.1/callback"),
        ("scope", "openid"),
        ("scope", "fhirUser"),
        ("scope", "launch/patient"),
        ("scope", "offline_access"),
        ("scope", "patient/*.rs"),
    ];
    if let Some(model) = grant_model {
        form.push(("grant_model", model));
    }
    let r = b
        .post(app.url("/apps/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let html = r.text().await.unwrap();
    let text_of = |id: &str| {
        let at = html.find(&format!(r#"id="{id}""#)).unwrap();
        let start = html[at..].find('>').unwrap() + at + 1;
        let end = html[start..].find('<').unwrap() + start;
        html[start..end].to_string()
    };
    let expected = if grant_model == Some("one_time") {
        "One-time access"
    } else {
        "Thirteen-month access"
    };
    assert!(text_of("grant-model").starts_with(expected), "{html}");
    (b, text_of("client-id"), text_of("client-secret"))
}

/// The authorization code flow for `client` as BBUser{user}: the browser (signed in as the
/// beneficiary, so it can open /connected-apps) and the token response.
pub async fn launch_as(
    app: &TestApp,
    client: (&str, &str),
    launch: Launch,
    user: u32,
) -> (reqwest::Client, Value) {
    let b = browser();
    let page = authorize(app, &b, &launch).await;
    assert_eq!(page.status, 200, "authorize: {}", page.body);
    let consent_page = sign_in(
        app,
        &b,
        &page.body,
        &format!("BBUser{user:05}"),
        &format!("PW{user:05}!"),
    )
    .await;
    assert_eq!(consent_page.status, 200, "{}", consent_page.body);
    let done = consent(app, &b, &consent_page.body, "allow", true).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = done.param("code").unwrap();
    let (status, _, body) = token_call(
        app,
        "/v2/o/token",
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &launch.pkce.verifier),
        ],
        Some(client),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (b, body)
}

async fn refresh(app: &TestApp, client: (&str, &str), token: &Value) -> (u16, Value) {
    let refresh = token["refresh_token"].as_str().unwrap();
    let (status, _, body) = token_call(
        app,
        "/v2/o/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some(client),
    )
    .await;
    (status, body)
}

async fn connected_apps(app: &TestApp, b: &reqwest::Client) -> String {
    let r = b.get(app.url("/connected-apps")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

#[tokio::test]
async fn one_time_access_lasts_an_hour_and_never_refreshes() {
    let app = TestApp::spawn(true, false).await;
    let clock = app.clock.clone().unwrap();
    let (_, id, secret) = register_app(&app, "one-time@example.com", Some("one_time")).await;
    let client = (id.as_str(), secret.as_str());
    let (b, t) = launch_as(&app, client, Launch::new(&app, &id, SCOPES), 1).await;
    // The server's clock starts at 2026-01-02T03:04:05Z.
    assert_eq!(t["access_grant_expiration"], "2026-01-02T04:04:05Z", "{t}");
    assert_eq!(t["expires_in"], 3600);
    assert_eq!(
        t["scope"], "launch/patient openid fhirUser patient/*.rs",
        "offline_access is not granted: {t}"
    );
    assert!(
        t.get("refresh_token").is_none(),
        "one-time: no refresh token: {t}"
    );
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 200);

    let html = connected_apps(&app, &b).await;
    assert!(
        html.contains("One-time access: one hour, no refresh token"),
        "{html}"
    );
    assert!(html.contains("2026-01-02 04:04 UTC"), "{html}");

    clock.advance(time::Duration::seconds(3599));
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 200);
    clock.advance(time::Duration::seconds(1));
    let (status, outcome) = fhir_get(&app, access, "/v2/fhir/Coverage").await;
    assert_eq!(status, 401, "{outcome}");
    // The beneficiary's browser session has ended too (30 minutes): sign in again.
    let html = connected_apps(&app, &b).await;
    let r = b
        .post(app.url("/connected-apps/login"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("username", "BBUser00001"),
            ("password", "PW00001!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let html = connected_apps(&app, &b).await;
    assert!(html.contains("Signed in as"), "{html}");
    assert!(
        html.contains("id=\"no-apps\""),
        "an ended grant is not listed: {html}"
    );
}

#[tokio::test]
async fn thirteen_month_access_refreshes_until_the_grant_ends() {
    let app = TestApp::spawn(true, false).await;
    let clock = app.clock.clone().unwrap();
    // The registration form's default is Blue Button's: thirteen months (396 days here).
    let (_, id, secret) = register_app(&app, "thirteen@example.com", None).await;
    let client = (id.as_str(), secret.as_str());
    let (b, t) = launch_as(&app, client, Launch::new(&app, &id, SCOPES), 1).await;
    assert_eq!(t["access_grant_expiration"], "2027-02-02T03:04:05Z", "{t}");
    let html = connected_apps(&app, &b).await;
    assert!(html.contains("Thirteen-month access"), "{html}");
    assert!(html.contains("2027-02-02"), "{html}");

    // Refreshing works, and keeps the grant's end.
    let (status, fresh) = refresh(&app, client, &t).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(
        fresh["access_grant_expiration"],
        t["access_grant_expiration"]
    );

    // The day the grant ends, a refresh is refused as expired (RFC 6749 invalid_grant).
    clock.advance(time::Duration::days(396));
    let (status, body) = refresh(&app, client, &fresh).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("has expired"),
        "{body}"
    );

    // An access token never outlives its grant: ten minutes before the end, expires_in is 600.
    let (_, t) = launch_as(&app, client, Launch::new(&app, &id, SCOPES), 2).await;
    clock.advance(time::Duration::days(396) - time::Duration::minutes(10));
    let (status, fresh) = refresh(&app, client, &t).await;
    assert_eq!(status, 200, "{fresh}");
    assert_eq!(fresh["expires_in"], 600, "{fresh}");
}

#[tokio::test]
async fn an_app_switched_to_one_time_may_not_refresh() {
    let app = TestApp::spawn(true, false).await;
    let (dev, id, secret) = register_app(&app, "switch@example.com", Some("thirteen_month")).await;
    let client = (id.as_str(), secret.as_str());
    let (_, t) = launch_as(&app, client, Launch::new(&app, &id, SCOPES), 1).await;
    assert!(t["refresh_token"].is_string(), "{t}");
    let edit = app.url(&format!("/apps/{id}/edit"));
    let html = dev.get(&edit).send().await.unwrap().text().await.unwrap();
    assert!(html.contains(r#"value="thirteen_month" checked"#), "{html}");
    let r = dev
        .post(&edit)
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("name", "Grant model app"),
            ("redirect_uris", "http://127.0.0.1/callback"),
            ("scope", "openid"),
            ("scope", "offline_access"),
            ("scope", "patient/*.rs"),
            ("grant_model", "one_time"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    // Blue Button: APPLICATION_ONE_TIME_REFRESH_NOT_ALLOWED, 403 invalid_client.
    let (status, body) = refresh(&app, client, &t).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("invalid_client")),
        "{body}"
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("one-time"),
        "{body}"
    );
}

#[tokio::test]
async fn the_sandbox_ends_a_grant_now_by_endpoint_and_on_the_connected_apps_page() {
    let app = TestApp::spawn(true, false).await;
    let (_, t) = launch_as(
        &app,
        CONFIDENTIAL,
        Launch::new(&app, CONFIDENTIAL.0, SCOPES),
        1,
    )
    .await;
    let patient = t["patient"].as_str().unwrap().to_string();
    let access = t["access_token"].as_str().unwrap();
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 200);

    // Blue Button's sandbox helper: client credentials required, only the caller's grants end.
    let path = format!("/v2/o/expire_authenticated_user/{patient}");
    let (status, _, body) = token_call(&app, &path, &[], Some(("test-client-id", "wrong"))).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let (status, _, body) = token_call(&app, &path, &[("client_id", PUBLIC)], None).await;
    assert_eq!(
        (status, body["expired_grants"].as_u64()),
        (200, Some(0)),
        "{body}"
    );
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 200);
    let (status, _, body) = token_call(&app, &path, &[], Some(CONFIDENTIAL)).await;
    assert_eq!(
        (status, body["expired_grants"].as_u64()),
        (200, Some(1)),
        "{body}"
    );
    let (status, outcome) = fhir_get(&app, access, "/v2/fhir/Coverage").await;
    assert_eq!(status, 401, "{outcome}");
    let (status, body) = refresh(&app, CONFIDENTIAL, &t).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("has expired"),
        "{body}"
    );

    // The connected-apps page's button does the same for the signed-in beneficiary.
    let (b, t) = launch_as(
        &app,
        CONFIDENTIAL,
        Launch::new(&app, CONFIDENTIAL.0, SCOPES),
        1,
    )
    .await;
    let access = t["access_token"].as_str().unwrap();
    let html = connected_apps(&app, &b).await;
    assert!(html.contains("End access now"), "{html}");
    let r = b
        .post(app.url("/connected-apps/expire"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("client_id", CONFIDENTIAL.0),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let flash = r.headers()["location"].to_str().unwrap().to_string();
    assert!(flash.starts_with("/connected-apps?expired="), "{flash}");
    assert_eq!(fhir_get(&app, access, "/v2/fhir/Coverage").await.0, 401);
    let (status, body) = refresh(&app, CONFIDENTIAL, &t).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    let html = b
        .get(app.url(&flash))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("has ended now"), "{html}");
    assert!(html.contains("id=\"no-apps\""), "{html}");
}
