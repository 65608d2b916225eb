//! `bench logins`: parallel bursts of developer sign-ins with unknown emails (each one costs
//! an argon2id check) against a server in this process on 127.0.0.1, then the status mix and
//! the process's peak RSS. Bounded in count and time; it stops by itself.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use reqwest::header::{COOKIE, SET_COOKIE};

use super::api::start_server_with;
use super::{mib, peak_rss_bytes};
use crate::app::ServeConfig;
use crate::auth::throttle::{Budget, ThrottleConfig};
use crate::auth::AuthConfig;

pub struct LoginBench {
    /// Parallel clients, each on its own connection (at most 512).
    pub clients: usize,
    /// Sign-ins per client (at most 100).
    pub per_client: usize,
    /// The whole burst stops after this many seconds (at most 120).
    pub seconds: u64,
    /// Lift the per-address and per-account budgets, to load the argon2 gate alone.
    pub unthrottled: bool,
}

pub fn run(opts: &LoginBench) -> anyhow::Result<i32> {
    let clients = opts.clients.clamp(1, 512);
    let per_client = opts.per_client.clamp(1, 100);
    let seconds = opts.seconds.clamp(1, 120);
    let dir = tempfile::tempdir()?;
    let mut auth = AuthConfig::default();
    if opts.unthrottled {
        let unlimited = Budget {
            attempts: u32::MAX,
            window_secs: 1,
        };
        auth.throttle = ThrottleConfig {
            per_address: unlimited,
            per_account: unlimited,
            ..ThrottleConfig::default()
        };
    }
    let addr = start_server_with(ServeConfig {
        load_seed: false,
        auth,
        ..ServeConfig::new(dir.path())
    })?;
    let base = format!("http://{addr}");
    let peak_before = peak_rss_bytes().unwrap_or(0);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let started = Instant::now();
    let (statuses, errors) = runtime.block_on(burst(&base, clients, per_client, seconds))?;
    let failed: usize = errors.values().sum();
    let elapsed = started.elapsed().as_secs_f64();
    let peak_after = peak_rss_bytes().unwrap_or(0);

    let sent: usize = statuses.values().sum::<usize>() + failed;
    println!(
        "{sent} sign-ins with unknown emails from {clients} parallel clients in {elapsed:.1} s \
         (throttles {})",
        if opts.unthrottled {
            "lifted"
        } else {
            "at their defaults"
        }
    );
    for (status, n) in &statuses {
        let meaning = match status {
            401 => "refused: wrong email or password (an argon2 check ran)",
            429 => "throttled: budget of the address or email spent (no argon2)",
            503 => "busy: every argon2 slot and waiting place taken (no argon2)",
            408 => "the server did not get the whole request within its 5 s read timeout",
            _ => "",
        };
        println!("  {status}: {n:>6}  {meaning}");
    }
    for (error, n) in &errors {
        println!("  no answer: {n:>6}  {error}");
    }
    println!(
        "peak RSS of this process (server and load generator): {:.0} MiB before the burst, \
         {:.0} MiB after",
        mib(peak_before),
        mib(peak_after)
    );
    Ok(0)
}

/// Every client posts `per_client` sign-ins back to back until the deadline; the count of
/// each status, and of each kind of request that got no answer.
async fn burst(
    base: &str,
    clients: usize,
    per_client: usize,
    seconds: u64,
) -> anyhow::Result<(BTreeMap<u16, usize>, BTreeMap<String, usize>)> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    // One CSRF cookie and its form token serve every client.
    let page = reqwest::Client::new()
        .get(format!("{base}/account/login"))
        .send()
        .await?;
    let cookie = page
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("carin_csrf="))
        .and_then(|c| c.split(';').next())
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("the sign-in page set no CSRF cookie"))?;
    let html = page.text().await?;
    let csrf = hidden_value(&html, "csrf")
        .ok_or_else(|| anyhow::anyhow!("the sign-in page has no CSRF token"))?;

    let mut tasks = Vec::with_capacity(clients);
    for c in 0..clients {
        let (url, cookie, csrf) = (
            format!("{base}/account/login"),
            cookie.clone(),
            csrf.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let http = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?;
            let mut seen: Vec<Result<u16, String>> = Vec::with_capacity(per_client);
            for i in 0..per_client {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                let email = format!("nobody-{c}-{i}@unknown.example");
                let request = http
                    .post(&url)
                    .header(COOKIE, &cookie)
                    .form(&[
                        ("csrf", csrf.as_str()),
                        ("email", email.as_str()),
                        ("password", "not the password"),
                    ])
                    .send();
                let status = match tokio::time::timeout(left, request).await {
                    Ok(Ok(response)) => Ok(response.status().as_u16()),
                    Ok(Err(e)) => Err(error_kind(&e)),
                    Err(_) => Err("stopped at the deadline".to_string()),
                };
                seen.push(status);
            }
            anyhow::Ok(seen)
        }));
    }
    let mut statuses = BTreeMap::new();
    let mut errors = BTreeMap::new();
    for task in tasks {
        for status in task.await?? {
            match status {
                Ok(s) => *statuses.entry(s).or_insert(0) += 1,
                Err(e) => *errors.entry(e).or_insert(0) += 1,
            }
        }
    }
    Ok((statuses, errors))
}

/// The innermost cause of a failed request, in a few words.
fn error_kind(e: &reqwest::Error) -> String {
    let mut source: &dyn std::error::Error = e;
    while let Some(inner) = source.source() {
        source = inner;
    }
    source.to_string()
}

/// The value of a hidden input in a page.
fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&amp;", "&"))
}
