//! Claims that keep arriving (`serve --claims-arrive`), over HTTP: an app that synced once
//! asks `_lastUpdated=gt<then>` and sees the new claim and the adjusted one (version 2, the
//! first version still readable, `related` links both ways), while a member not in the mode
//! sees nothing new; a beneficiary switches the mode on and off for themselves in the portal.

use std::time::{Duration, Instant};

use carin_sandbox::clock::{fhir_instant, Clock};
use serde_json::Value;

use crate::flow::*;
use crate::helpers::TestApp;

const SCOPES: &str = "launch/patient openid patient/*.rs";
const EOB: &str = "/v2/fhir/ExplanationOfBenefit";

/// A seeded, secured server ticking every `interval` for `members`.
async fn server(interval: Duration, members: Vec<u64>) -> TestApp {
    TestApp::spawn_with(true, false, |c| {
        c.claims_arrive = Some(interval);
        c.arrive_for = members;
    })
    .await
}

fn entries(bundle: &Value) -> Vec<Value> {
    bundle["entry"]
        .as_array()
        .map(|e| e.iter().map(|x| x["resource"].clone()).collect())
        .unwrap_or_default()
}

fn related(eob: &Value) -> Vec<(String, String)> {
    eob["related"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            (
                r["relationship"]["coding"][0]["code"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["reference"]["value"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// In `found`: an EOB at version 2 replaced by another EOB that is also there.
fn adjusted_pair(found: &[Value]) -> Option<(Value, Value)> {
    found.iter().find_map(|adjusted| {
        if adjusted["meta"]["versionId"] != "2" {
            return None;
        }
        let (code, other) = related(adjusted).into_iter().next()?;
        (code == "replacedby").then_some(())?;
        let replacement = found.iter().find(|e| e["id"] == other.as_str())?;
        Some((adjusted.clone(), replacement.clone()))
    })
}

/// Searches `query` with `token` until `done` says yes (the ticker runs on its own thread).
async fn until(
    app: &TestApp,
    token: &str,
    query: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let (status, bundle) = fhir_get(app, token, query).await;
        assert_eq!(status, 200, "{bundle}");
        let found = entries(&bundle);
        if done(&found) {
            return found;
        }
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "{query}: still {found:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn an_app_syncing_with_last_updated_sees_new_and_adjusted_claims() {
    let app = server(Duration::from_millis(300), vec![1]).await;
    let clock = app.clock.clone().unwrap();
    let mine = tokens(&app, SCOPES, 1).await;
    let mine = mine["access_token"].as_str().unwrap().to_string();
    let theirs = tokens(&app, SCOPES, 2).await;
    let theirs = theirs["access_token"].as_str().unwrap().to_string();

    // The app syncs, and notes the server's time.
    let (status, first_sync) = fhir_get(&app, &mine, &format!("{EOB}?patient=M00001")).await;
    assert_eq!(status, 200);
    let before = first_sync["total"].as_u64().unwrap();
    let synced_at = fhir_instant(clock.now());
    clock.advance(time::Duration::minutes(5));

    // What changed since: a new claim, and an earlier one adjusted.
    let since = format!("{EOB}?patient=M00001&_lastUpdated=gt{synced_at}");
    let changed = until(&app, &mine, &since, |found| adjusted_pair(found).is_some()).await;
    assert!(changed
        .iter()
        .all(|e| e["meta"]["lastUpdated"].as_str().unwrap() > synced_at.as_str()));
    assert!(changed
        .iter()
        .all(|e| e["patient"]["reference"] == "Patient/M00001"));
    let (adjusted, replacement) = adjusted_pair(&changed).unwrap();
    let id = adjusted["id"].as_str().unwrap();
    assert_eq!(adjusted["status"], "cancelled");
    assert_eq!(replacement["meta"]["versionId"], "1");
    assert_eq!(replacement["status"], "active");
    assert_eq!(
        related(&replacement),
        [("prior".to_string(), id.to_string())]
    );
    assert!(
        changed
            .iter()
            .any(|e| e["meta"]["versionId"] == "1" && related(e).is_empty()),
        "a new claim, as first adjudicated: {changed:#?}"
    );

    // The first version is still there for vread, and the read is the current one.
    let (status, v1) = fhir_get(&app, &mine, &format!("{EOB}/{id}/_history/1")).await;
    assert_eq!(status, 200, "{v1}");
    assert_eq!(
        (v1["meta"]["versionId"].as_str(), v1["status"].as_str()),
        (Some("1"), Some("active"))
    );
    assert!(related(&v1).is_empty());
    let (status, current) = fhir_get(&app, &mine, &format!("{EOB}/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(current["meta"]["versionId"], "2");

    // More claims than at the first sync.
    let (_, now) = fhir_get(&app, &mine, &format!("{EOB}?patient=M00001&_summary=count")).await;
    assert!(now["total"].as_u64().unwrap() > before, "{now}");

    // A member not in the mode sees nothing new, and never another member's claims.
    let (status, other) =
        fhir_get(&app, &theirs, &format!("{EOB}?_lastUpdated=gt{synced_at}")).await;
    assert_eq!(status, 200);
    assert_eq!(other["total"], 0, "{other}");
    assert_eq!(fhir_get(&app, &theirs, &format!("{EOB}/{id}")).await.0, 404);
}

async fn page(app: &TestApp, b: &reqwest::Client) -> String {
    let r = b.get(app.url("/claims-arrive")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn sign_in_at_connected_apps(app: &TestApp, b: &reqwest::Client, user: u32) {
    let html = b
        .get(app.url("/connected-apps"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post(app.url("/connected-apps/login"))
        .form(&[
            ("csrf", hidden(&html, "csrf").as_str()),
            ("username", &format!("BBUser{user:05}")),
            ("password", &format!("PW{user:05}!")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

async fn switch(app: &TestApp, b: &reqwest::Client, csrf: &str, on: &str) -> u16 {
    b.post(app.url("/claims-arrive"))
        .form(&[("csrf", csrf), ("on", on)])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_beneficiary_switches_their_claims_arriving_in_the_portal() {
    let app = server(Duration::from_millis(300), vec![1]).await;
    let b = browser();
    // Signed out: to the sign-in page.
    let r = b.get(app.url("/claims-arrive")).send().await.unwrap();
    assert_eq!(r.status(), 303);

    sign_in_at_connected_apps(&app, &b, 1).await;
    let html = page(&app, &b).await;
    assert!(html.contains("--arrive-for</code> naming you"), "{html}");
    assert!(
        !html.contains(r#"name="on""#),
        "the flag's members have no switch: {html}"
    );

    sign_in_at_connected_apps(&app, &b, 3).await;
    let html = page(&app, &b).await;
    assert!(html.contains("Your claims do not change"), "{html}");
    let csrf = hidden(&html, "csrf");
    // A form without its CSRF token changes nothing.
    assert_eq!(switch(&app, &b, "forged", "1").await, 403);
    assert!(page(&app, &b).await.contains("Your claims do not change"));

    assert_eq!(switch(&app, &b, &csrf, "1").await, 303);
    // The page lists their arrivals as the ticks come: a claim, then its adjustment.
    let clock = app.clock.clone().unwrap();
    let started = Instant::now();
    let html = loop {
        clock.advance(time::Duration::seconds(20));
        let html = page(&app, &b).await;
        if html.contains("replacedby C00003-T") && html.contains("_lastUpdated=gt") {
            break html;
        }
        assert!(started.elapsed() < Duration::from_secs(90), "{html}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(html.contains("switched on"), "{html}");
    assert!(html.contains("_lastUpdated=gt"), "{html}");
    let mut ids: Vec<&str> = html
        .match_indices("<code>C00003-T")
        .map(|(at, _)| {
            let rest = &html[at + "<code>".len()..];
            &rest[..rest.find('<').unwrap()]
        })
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert!(
        ids.len() >= 3,
        "a claim, its replacement and the next claim: {ids:?}"
    );
    // The app sees the same claims, as the beneficiary's own.
    let token = tokens(&app, SCOPES, 3).await;
    let token = token["access_token"].as_str().unwrap().to_string();
    let (status, bundle) = fhir_get(&app, &token, &format!("{EOB}?_id={}", ids.join(","))).await;
    assert_eq!(status, 200);
    let found = entries(&bundle);
    assert_eq!(found.len(), ids.len(), "{bundle}");
    assert!(found
        .iter()
        .all(|e| e["patient"]["reference"] == "Patient/M00003"));

    // Off: nothing more arrives for them.
    assert_eq!(switch(&app, &b, &hidden(&html, "csrf"), "0").await, 303);
    assert!(page(&app, &b).await.contains("Your claims do not change"));
    let (_, count) = fhir_get(&app, &token, &format!("{EOB}?_summary=count")).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (_, later) = fhir_get(&app, &token, &format!("{EOB}?_summary=count")).await;
    assert_eq!(count["total"], later["total"]);
}

#[tokio::test]
async fn without_the_flag_nothing_arrives_and_the_page_says_how_to_start_it() {
    let app = TestApp::spawn(true, false).await;
    let b = browser();
    sign_in_at_connected_apps(&app, &b, 3).await;
    let html = page(&app, &b).await;
    assert!(html.contains(r#"id="arrivals-off""#), "{html}");
    assert!(!html.contains(r#"name="on""#), "no switch: {html}");
    let connected = b.get(app.url("/connected-apps")).send().await.unwrap();
    let csrf = hidden(&connected.text().await.unwrap(), "csrf");
    assert_eq!(switch(&app, &b, &csrf, "1").await, 303);
    let html = page(&app, &b).await;
    assert!(html.contains(r#"id="arrivals-off""#), "{html}");
    assert!(!html.contains("switched on"), "{html}");
}
