//! `bench auth`: what the authorization server costs. Token endpoint code exchanges per
//! second (each a store commit and an RS256 signature), and EOB reads with bearer validation
//! against the same reads on an `--insecure-open-api` server over a copy of the same store.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use super::api::{get_request, load, prepare_store, start_server_with, ApiBench, Repeat};
use crate::app::ServeConfig;
use crate::auth::assertion::JWT_BEARER;
use crate::auth::clients::NewClient;
use crate::auth::clients::{TEST_CLIENT_ID, TEST_CLIENT_SECRET};
use crate::auth::jws::SigningKey;
use crate::auth::pkce::s256_challenge;
use crate::auth::records::ClientJwks;
use crate::auth::users::{username_of_patient, Beneficiary};
use crate::auth::{AuthConfig, AuthServer, ClientKind, PendingRequest, TokenRequest};
use crate::clock::{Clock, SystemClock};
use crate::store::Store;

const REDIRECT: &str = "http://127.0.0.1/callback";
const VERIFIER: &str = "bench-verifier-0123456789-0123456789-0123456789";
const PATIENTS: usize = 200;
const OPEN: &str = "EOB read, --insecure-open-api";
const BEARER: &str = "EOB read, bearer token checked";

pub fn run(opts: &ApiBench, codes: usize) -> anyhow::Result<i32> {
    let open_dir = opts
        .work_dir
        .join(format!("api-data-{}", opts.beneficiaries));
    prepare_store(opts, &open_dir)?;
    let secured_dir = opts
        .work_dir
        .join(format!("auth-data-{}", opts.beneficiaries));
    let _ = std::fs::remove_dir_all(&secured_dir);
    copy_dir(&open_dir, &secured_dir)?;

    let started = Instant::now();
    let Minted {
        reads,
        codes: code_list,
        asymmetric,
    } = mint(&secured_dir, codes)?;
    println!(
        "minted {} access tokens and {} authorization codes in {:.1} s",
        PATIENTS.min(reads.len()),
        code_list.len(),
        started.elapsed().as_secs_f64()
    );

    let open = start_server_with(ServeConfig {
        load_seed: false,
        insecure_open_api: true,
        ..ServeConfig::new(&open_dir)
    })?;
    let secured = start_server_with(ServeConfig {
        load_seed: false,
        ..ServeConfig::new(&secured_dir)
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    let seconds = Duration::from_secs(opts.seconds);
    let basic = STANDARD.encode(format!("{TEST_CLIENT_ID}:{TEST_CLIENT_SECRET}"));
    let ping = vec![get_request("/ping", None)];
    let token_posts: Vec<Vec<u8>> = code_list
        .iter()
        .map(|code| {
            let body = serde_urlencoded::to_string([
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
            ])
            .unwrap_or_default();
            format!(
                "POST /v2/o/token HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {basic}\r\n\
                 Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes()
        })
        .collect();
    // Each assertion is signed ahead (fresh jti, 5 minutes): the server's cost is verifying it.
    let token_endpoint = "http://127.0.0.1/v2/o/token";
    let form_post = |pairs: &[(&str, &str)]| {
        let body = serde_urlencoded::to_string(pairs).unwrap_or_default();
        format!(
            "POST /v2/o/token HTTP/1.1\r\nHost: 127.0.0.1\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes()
    };
    let now = SystemClock.now().unix_timestamp();
    let assertion = || {
        asymmetric
            .key
            .client_assertion(
                &asymmetric.kid,
                &asymmetric.client_id,
                token_endpoint,
                now,
                300,
            )
            .unwrap_or_default()
    };
    let jwt_code_posts: Vec<Vec<u8>> = asymmetric
        .codes
        .iter()
        .map(|code| {
            form_post(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT),
                ("code_verifier", VERIFIER),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion()),
            ])
        })
        .collect();
    let credentials_posts: Vec<Vec<u8>> = (0..codes)
        .map(|_| {
            form_post(&[
                ("grant_type", "client_credentials"),
                ("scope", "system/*.read"),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &assertion()),
            ])
        })
        .collect();
    let open_reads: Vec<Vec<u8>> = reads
        .iter()
        .map(|(path, _)| get_request(path, None))
        .collect();
    let bearer_reads: Vec<Vec<u8>> = reads
        .iter()
        .map(|(path, t)| get_request(path, Some(t)))
        .collect();
    // The two read scenarios alternate, twice each, so drift in the machine's speed during
    // the run falls on both alike.
    let scenarios: Vec<(&str, std::net::SocketAddr, &[Vec<u8>], Repeat)> = vec![
        ("GET /ping (ceiling)", secured, &ping, Repeat::Cycle),
        (OPEN, open, &open_reads, Repeat::Cycle),
        (BEARER, secured, &bearer_reads, Repeat::Cycle),
        (OPEN, open, &open_reads, Repeat::Cycle),
        (BEARER, secured, &bearer_reads, Repeat::Cycle),
        (
            "token endpoint: code exchange",
            secured,
            &token_posts,
            Repeat::Once,
        ),
        (
            "token: code + private_key_jwt",
            secured,
            &jwt_code_posts,
            Repeat::Once,
        ),
        (
            "token: client_credentials (ES384)",
            secured,
            &credentials_posts,
            Repeat::Once,
        ),
    ];
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>9}",
        "scenario", "req/s", "p50 ms", "p99 ms", "errors"
    );
    let mut totals: HashMap<&str, f64> = HashMap::new();
    for (name, addr, requests, repeat) in scenarios {
        let requests = Arc::new(requests.to_vec());
        let r = runtime.block_on(load(addr, requests, opts.connections, seconds, repeat))?;
        println!(
            "{name:<34} {:>10.0} {:>10.3} {:>10.3} {:>9}",
            r.rate, r.p50_ms, r.p99_ms, r.errors
        );
        *totals.entry(name).or_default() += r.rate;
    }
    let (open_rate, bearer_rate) = (totals[OPEN], totals[BEARER]);
    if open_rate > 0.0 {
        println!(
            "bearer validation costs {:.1}% of EOB read throughput (both runs summed; goal: within 10%)",
            (1.0 - bearer_rate / open_rate) * 100.0
        );
    }
    Ok(0)
}

/// Minted credentials: (EOB read path, that EOB's patient's access token), and codes.
struct Minted {
    reads: Vec<(String, String)>,
    codes: Vec<String>,
    asymmetric: Asymmetric,
}

/// An app registered with an ES384 key (private_key_jwt, backend services) and codes for it.
struct Asymmetric {
    key: SigningKey,
    kid: String,
    client_id: String,
    codes: Vec<String>,
}

/// Access tokens for a sample of patients (with one EOB path each) and single-use codes, made
/// through the authorization server's own API before the server opens the store.
fn mint(data_dir: &Path, codes: usize) -> anyhow::Result<Minted> {
    let store = Store::open(data_dir)?;
    let now = SystemClock.now().unix_timestamp();
    let config = AuthConfig {
        code_ttl: 3600,
        ..AuthConfig::default()
    };
    let auth = AuthServer::open(&store, config, now)?;
    let challenge = s256_challenge(VERIFIER);
    let pending = PendingRequest {
        client_id: TEST_CLIENT_ID.into(),
        client_name: "bench".into(),
        redirect_uri: REDIRECT.into(),
        state: "bench".into(),
        scopes: "launch/patient openid offline_access patient/*.rs".into(),
        code_challenge: Some(challenge),
        nonce: None,
        ..PendingRequest::default()
    };
    let key = SigningKey::generate_ec().map_err(anyhow::Error::msg)?;
    let kid = key.thumbprint();
    let registered = auth.db.register(
        NewClient {
            name: "bench asymmetric".into(),
            kind: ClientKind::Confidential,
            redirect_uris: vec![REDIRECT.into()],
            scopes: Some("launch/patient openid offline_access patient/*.rs system/*.read".into()),
            pkce_required: true,
            owner: None,
            grant_model: Default::default(),
            jwks: Some(ClientJwks::Jwks(
                serde_json::json!({"keys": [key.public_jwk(&kid)]}),
            )),
        },
        now,
    )?;
    let asymmetric_pending = PendingRequest {
        client_id: registered.client.client_id.clone(),
        ..pending.clone()
    };
    let code_for_app = |pending: &PendingRequest, patient: &str| -> anyhow::Result<String> {
        let who = Beneficiary {
            username: username_of_patient(patient),
            patient: patient.to_string(),
        };
        let location = auth.approve(pending, &who, true, now)?;
        url::Url::parse(&location)?
            .query_pairs()
            .find(|(k, _)| k == "code")
            .map(|(_, v)| v.into_owned())
            .ok_or_else(|| anyhow::anyhow!("no code in {location}"))
    };
    let code_for = |patient: &str| code_for_app(&pending, patient);

    // EOBs of the first PATIENTS patients met, round-robin so reads spread over patients.
    let mut by_patient: HashMap<String, Vec<String>> = HashMap::new();
    let read = store.read()?;
    read.for_each("ExplanationOfBenefit", |id, json| {
        let v: serde_json::Value = serde_json::from_slice(json).unwrap_or_default();
        if let Some(p) = v["patient"]["reference"]
            .as_str()
            .and_then(|r| r.strip_prefix("Patient/"))
        {
            if by_patient.len() < PATIENTS || by_patient.contains_key(p) {
                by_patient
                    .entry(p.to_string())
                    .or_default()
                    .push(id.to_string());
            }
        }
        Ok(())
    })?;
    drop(read);
    let mut reads = Vec::new();
    for (patient, eobs) in &by_patient {
        let request = TokenRequest {
            params: [
                ("grant_type", "authorization_code".to_string()),
                ("code", code_for(patient)?),
                ("redirect_uri", REDIRECT.to_string()),
                ("code_verifier", VERIFIER.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
            basic: Some((TEST_CLIENT_ID.into(), TEST_CLIENT_SECRET.into())),
            client_address: None,
            token_endpoint: "http://127.0.0.1/v2/o/token".into(),
        };
        let body = auth
            .token(&request, "http://127.0.0.1/v2/fhir", now)
            .map_err(|e| anyhow::anyhow!("minting a token: {e}"))?;
        let token = body["access_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        for eob in eobs {
            reads.push((
                format!("/v2/fhir/ExplanationOfBenefit/{eob}"),
                token.clone(),
            ));
        }
    }
    let patients: Vec<&String> = by_patient.keys().collect();
    let mut code_list = Vec::with_capacity(codes);
    for i in 0..codes {
        code_list.push(code_for(patients[i % patients.len()])?);
    }
    let mut key_codes = Vec::with_capacity(codes);
    for i in 0..codes {
        key_codes.push(code_for_app(
            &asymmetric_pending,
            patients[i % patients.len()],
        )?);
    }
    Ok(Minted {
        reads,
        codes: code_list,
        asymmetric: Asymmetric {
            key,
            kid,
            client_id: registered.client.client_id,
            codes: key_codes,
        },
    })
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
