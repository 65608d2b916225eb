#![expect(
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! `carin-sandbox push` into other FHIR servers, through the binary.
//!
//! * Not ignored: a scripted loopback HTTP server written here (a test double for the error
//!   paths only): 429 with `Retry-After`, 503, an entry the server refuses, the report, the
//!   ledger resending only what failed, and the fallback to one `PUT` each when Bundles are
//!   refused.
//! * `#[ignore]`d, run by `.ci/run` with `HFS_BIN` set: a real third-party server, Helios FHIR
//!   Server (`helios-hfs`, SQLite), started on a free port with a temp directory
//!   ([`Helios::start`], also the place to run `check` against it): the seed pushed, read back
//!   and compared, pushed again (nothing changes), and a push stopped half-way then resumed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"));
    c.env_remove("CARIN_DATA_DIR")
        .env_remove("CARIN_PUSH_TOKEN");
    c
}

/// Runs the binary; (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = bin().args(args).output().expect("run carin-sandbox");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `push … --json`: the report.
fn push(data_dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "push",
        "--json",
        "--data-dir",
        data_dir.to_str().expect("utf-8"),
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = run(&args);
    let report = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("push printed no JSON report ({e}): {stdout}\n{stderr}"));
    (code, report)
}

/// A small deterministic CPCDS set.
fn cpcds(dir: &Path, beneficiaries: u32) -> PathBuf {
    let out = dir.join("cpcds");
    let (code, stdout, stderr) = run(&[
        "generate",
        "--beneficiaries",
        &beneficiaries.to_string(),
        "--seed",
        "7",
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    out
}

// ---------------------------------------------------------------------------------------
// The scripted loopback server.

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    authorization: Option<String>,
    body: Vec<u8>,
}

struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn reply(status: u16, body: &Value) -> Reply {
    Reply {
        status,
        headers: Vec::new(),
        body: serde_json::to_vec(body).expect("json"),
    }
}

type Script = dyn Fn(&Seen, usize) -> Reply + Send + Sync;

struct Scripted {
    base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// Answers every request with `script(request, number of earlier requests)`.
    fn start(script: Box<Script>) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let log = Arc::clone(&seen);
        let script: Arc<Script> = Arc::from(script);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let log = Arc::clone(&log);
                let script = Arc::clone(&script);
                std::thread::spawn(move || serve_connection(stream, &log, &*script));
            }
        });
        Scripted {
            base: format!("http://{addr}/fhir"),
            seen,
        }
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }
}

fn serve_connection(stream: TcpStream, log: &Mutex<Vec<Seen>>, script: &Script) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let mut length = 0usize;
        let mut authorization = None;
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if k.eq_ignore_ascii_case("authorization") {
                    authorization = Some(v.trim().to_string());
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let seen = Seen {
            method,
            path,
            authorization,
            body,
        };
        let n = {
            let mut log = log.lock().expect("lock");
            log.push(seen.clone());
            log.len() - 1
        };
        let r = script(&seen, n);
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n",
            r.status,
            r.body.len()
        );
        for (k, v) in &r.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        if writer.write_all(head.as_bytes()).is_err() || writer.write_all(&r.body).is_err() {
            return;
        }
    }
}

fn capabilities(interactions: &[&str]) -> Value {
    json!({"resourceType": "CapabilityStatement", "status": "active", "kind": "instance",
           "fhirVersion": "4.0.1", "format": ["json"],
           "rest": [{"mode": "server",
                     "interaction": interactions.iter().map(|c| json!({"code": c})).collect::<Vec<_>>()}]})
}

/// A batch-response for a request Bundle: 201 for each entry, except ids in `refuse` (422).
fn batch_response(request: &[u8], refuse: &[&str]) -> Value {
    let bundle: Value = serde_json::from_slice(request).expect("request bundle");
    let entries: Vec<Value> = bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| {
            let url = e["request"]["url"].as_str().unwrap_or_default();
            if refuse.contains(&url) {
                json!({"response": {"status": "422 Unprocessable Entity", "outcome": {
                    "resourceType": "OperationOutcome",
                    "issue": [{"severity": "error", "code": "invariant",
                               "diagnostics": format!("{url}: scripted refusal")}]}}})
            } else {
                json!({"response": {"status": "201 Created"}})
            }
        })
        .collect();
    json!({"resourceType": "Bundle", "type": "batch-response", "entry": entries})
}

fn bundle_urls(body: &[u8]) -> Vec<String> {
    let bundle: Value = serde_json::from_slice(body).expect("bundle");
    bundle["entry"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["request"]["url"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn push_retries_429_and_503_reports_refusals_and_resends_only_what_failed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cpcds = cpcds(dir.path(), 3);
    let refused = "Patient/".to_string();
    // The first Patient the push sends is refused; remember it from the first Patient Bundle.
    let first_patient: Arc<Mutex<Option<String>>> = Arc::default();
    let fp = Arc::clone(&first_patient);
    let posts = Arc::new(Mutex::new(0usize));
    let server = Scripted::start(Box::new(move |req, _| {
        if req.method == "GET" {
            return reply(200, &capabilities(&["transaction", "batch"]));
        }
        let n = {
            let mut p = posts.lock().expect("lock");
            *p += 1;
            *p
        };
        match n {
            1 => Reply {
                status: 429,
                headers: vec![("Retry-After", "1".into())],
                body: serde_json::to_vec(&json!({"resourceType": "OperationOutcome", "issue": [
                    {"severity": "error", "code": "throttled", "diagnostics": "slow down"}]}))
                .expect("json"),
            },
            2 => reply(503, &json!({})),
            _ => {
                // The first Patient sent is refused, once.
                let urls = bundle_urls(&req.body);
                let mut fp = fp.lock().expect("lock");
                let refuse: Vec<&str> = match urls.iter().find(|u| u.starts_with(&refused)) {
                    Some(first) if fp.is_none() => {
                        *fp = Some(first.clone());
                        vec![first.as_str()]
                    }
                    _ => Vec::new(),
                };
                reply(200, &batch_response(&req.body, &refuse))
            }
        }
    }));
    let data = dir.path().join("data");
    let started = Instant::now();
    let (code, report) = push(
        &data,
        &[
            "--to",
            &server.base,
            "--cpcds",
            cpcds.to_str().expect("utf-8"),
            "--batch-size",
            "5",
        ],
    );
    // The 429's Retry-After (1 s) was honoured.
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(
        code, 1,
        "a refused resource makes the exit code 1: {report:#}"
    );
    assert_eq!(report["mode"], "batch");
    assert_eq!(report["retries"], 2, "{report:#}");
    assert_eq!(report["failed"], 1);
    let sent = report["sent"].as_u64().expect("sent");
    assert!(sent > 20, "{report:#}");
    assert_eq!(report["created"].as_u64(), Some(sent - 1));
    assert_eq!(report["unchanged"], 0);
    let refused_url = first_patient
        .lock()
        .expect("lock")
        .clone()
        .expect("a Patient");
    let failure = &report["failures"][0];
    assert_eq!(failure["resource"], refused_url.as_str());
    assert_eq!(failure["status"], 422);
    assert_eq!(
        failure["diagnostics"],
        format!("error: {refused_url}: scripted refusal")
    );
    // Types went in order, never mixed within a Bundle, at most 5 per Bundle.
    let order = carin_sandbox::push::ORDER;
    let mut last = 0;
    let seen = server.seen();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].path, "/fhir/metadata");
    for s in seen.iter().skip(1) {
        assert_eq!((s.method.as_str(), s.path.as_str()), ("POST", "/fhir"));
        let urls = bundle_urls(&s.body);
        assert!(!urls.is_empty() && urls.len() <= 5);
        let ty = urls[0].split('/').next().expect("type");
        assert!(urls.iter().all(|u| u.starts_with(&format!("{ty}/"))));
        let at = order.iter().position(|o| *o == ty).expect("known type");
        assert!(at >= last, "{ty} after {}", order[last]);
        last = at;
    }
    let by_type = report["by_type"].as_array().expect("by_type");
    assert_eq!(by_type.len(), 7);
    for ty in [
        "Organization",
        "Patient",
        "Coverage",
        "ExplanationOfBenefit",
        "Provenance",
    ] {
        let t = by_type.iter().find(|t| t["resource_type"] == ty).expect(ty);
        assert!(t["sent"].as_u64() > Some(0), "{ty}: {report:#}");
    }

    // Again: only the refused resource is sent (now accepted); everything else unchanged.
    let before = server.seen().len();
    let (code, again) = push(
        &data,
        &[
            "--to",
            &server.base,
            "--cpcds",
            cpcds.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(again["sent"], 1, "{again:#}");
    assert_eq!(again["created"], 1);
    assert_eq!(again["unchanged"].as_u64(), Some(sent - 1));
    let resent = &server.seen()[before + 1..];
    assert_eq!(resent.len(), 1);
    assert_eq!(bundle_urls(&resent[0].body), vec![refused_url]);
}

#[test]
fn push_falls_back_to_put_when_bundles_are_refused_and_gives_up_after_bounded_retries() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cpcds = cpcds(dir.path(), 1);
    let server = Scripted::start(Box::new(|req, _| match req.method.as_str() {
        // No CapabilityStatement: auto tries a batch Bundle first.
        "GET" => reply(404, &json!({})),
        "POST" => reply(
            405,
            &json!({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "not-supported", "diagnostics": "no Bundles here"}]}),
        ),
        _ if req.path.starts_with("/fhir/Coverage/") => reply(500, &json!({})),
        _ => reply(201, &json!({})),
    }));
    let data = dir.path().join("data");
    let (code, report) = push(
        &data,
        &[
            "--to",
            &server.base,
            "--cpcds",
            cpcds.to_str().expect("utf-8"),
            "--max-retries",
            "1",
            "--with-definitions",
        ],
    );
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["mode"], "put");
    // Definitions first: the CARIN SearchParameters, then the profiles, then the data.
    let puts: Vec<String> = server
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .map(|s| s.path.clone())
        .collect();
    let at = |p: &str| {
        puts.iter()
            .position(|x| x == p)
            .unwrap_or_else(|| panic!("no PUT {p}"))
    };
    let first_data = puts
        .iter()
        .position(|p| p.starts_with("/fhir/Organization/"))
        .expect("Organizations");
    assert!(
        at("/fhir/SearchParameter/explanationofbenefit-service-date")
            < at("/fhir/StructureDefinition/C4BB-ExplanationOfBenefit")
    );
    assert!(
        at("/fhir/StructureDefinition/C4BB-ExplanationOfBenefit")
            < at("/fhir/StructureDefinition/C4BB-ExplanationOfBenefit-Oral")
    );
    assert!(at("/fhir/StructureDefinition/C4BB-RelatedPerson") < first_data);
    assert!(
        puts.iter()
            .any(|p| p == "/fhir/SearchParameter/Coverage-beneficiary"),
        "R4's own parameters are sent too"
    );
    assert_eq!(
        report["definitions"]["profiles"].as_array().map(Vec::len),
        Some(11)
    );
    assert!(report["fallback"]
        .as_str()
        .is_some_and(|f| f.contains("405") && f.contains("no Bundles here")));
    let seen = server.seen();
    assert_eq!(
        seen.iter().filter(|s| s.method == "POST").count(),
        1,
        "one refused Bundle, then PUTs only"
    );
    let coverages = report["by_type"]
        .as_array()
        .expect("by_type")
        .iter()
        .find(|t| t["resource_type"] == "Coverage")
        .expect("Coverage")
        .clone();
    assert!(coverages["failed"].as_u64() > Some(0));
    assert_eq!(report["failed"], coverages["failed"]);
    // Each Coverage was tried twice (one retry), then reported with the server's status.
    let coverage_puts = seen
        .iter()
        .filter(|s| s.method == "PUT" && s.path.starts_with("/fhir/Coverage/"))
        .count() as u64;
    assert_eq!(
        Some(coverage_puts),
        coverages["failed"].as_u64().map(|n| n * 2)
    );
    assert!(report["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .all(|f| f["status"] == 500));
    for s in seen.iter().filter(|s| s.method == "PUT") {
        let body: Value = serde_json::from_slice(&s.body).expect("resource");
        assert_eq!(
            s.path,
            format!(
                "/fhir/{}/{}",
                body["resourceType"].as_str().expect("type"),
                body["id"].as_str().expect("id")
            )
        );
    }
}

#[test]
fn push_refuses_bad_targets_with_a_clear_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let base = format!("http://127.0.0.1:{port}/fhir");
    let (code, stdout, stderr) = run(&[
        "push",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--to",
        &base,
        "--max-retries",
        "0",
    ]);
    assert_ne!(code, 0);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("cannot reach") && stderr.contains("connection refused"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let (code, _, stderr) = run(&[
        "push",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--to",
        &base,
        "--batch-size",
        "0",
    ]);
    assert_eq!(code, 2, "{stderr}");
}

#[test]
fn a_killed_push_resumes_after_its_last_confirmed_batch() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cpcds = cpcds(dir.path(), 2);
    let cpcds = cpcds.to_str().expect("utf-8");
    let data = dir.path().join("data");
    // While armed, the third Bundle never gets an answer: the push is killed waiting for it.
    let posts = Arc::new(Mutex::new(0usize));
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (p, a) = (Arc::clone(&posts), Arc::clone(&armed));
    let server = Scripted::start(Box::new(move |req, _| {
        if req.method == "GET" {
            return reply(200, &capabilities(&["batch"]));
        }
        let n = {
            let mut n = p.lock().expect("lock");
            *n += 1;
            *n
        };
        if n >= 3 && a.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_secs(3600));
        }
        reply(200, &batch_response(&req.body, &[]))
    }));
    let args = [
        "push",
        "--json",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--to",
        &server.base,
        "--cpcds",
        cpcds,
        "--batch-size",
        "10",
    ];
    let mut child = bin()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("push");
    let deadline = Instant::now() + Duration::from_secs(60);
    while *posts.lock().expect("lock") < 3 {
        assert!(
            Instant::now() < deadline,
            "the push never reached its third Bundle"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child.kill().expect("kill");
    child.wait().expect("wait");

    // Again: the two confirmed Bundles (20 resources) are not sent again, the rest is.
    armed.store(false, std::sync::atomic::Ordering::SeqCst);
    let (code, resumed) = push(&data, &args[4..]);
    assert_eq!(code, 0, "{resumed:#}");
    assert_eq!(resumed["unchanged"], 20, "{resumed:#}");
    assert!(resumed["sent"].as_u64() > Some(20), "{resumed:#}");
    assert_eq!(resumed["failed"], 0);
    // By request: GET, POST ×3 (the third unanswered), then GET and the resumed POSTs.
    let seen = server.seen();
    let second_get = seen
        .iter()
        .rposition(|s| s.method == "GET")
        .expect("second GET");
    let urls = |from: usize, to: usize| -> Vec<String> {
        seen[from..to]
            .iter()
            .filter(|s| s.method == "POST")
            .flat_map(|s| bundle_urls(&s.body))
            .collect()
    };
    let confirmed = urls(1, 3);
    let unanswered = urls(3, 4);
    let resumed_urls = urls(second_get, seen.len());
    assert_eq!((confirmed.len(), unanswered.len()), (20, 10));
    assert!(
        confirmed.iter().all(|u| !resumed_urls.contains(u)),
        "confirmed, sent again"
    );
    assert!(
        unanswered.iter().all(|u| resumed_urls.contains(u)),
        "unconfirmed, not resent"
    );
}

#[test]
fn push_authenticates_with_a_bearer_token_or_backend_services() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cpcds = cpcds(dir.path(), 1);
    let cpcds = cpcds.to_str().expect("utf-8");
    let tokens = Arc::new(Mutex::new(0usize));
    let issued = Arc::clone(&tokens);
    let server = Scripted::start(Box::new(move |req, _| {
        if req.path == "/token" {
            let form = String::from_utf8_lossy(&req.body).into_owned();
            assert!(form.contains("grant_type=client_credentials"), "{form}");
            assert!(form.contains("client_assertion="), "{form}");
            let mut n = issued.lock().expect("lock");
            *n += 1;
            return reply(
                200,
                &json!({"access_token": format!("T{n}"), "token_type": "Bearer",
                                      "expires_in": 300, "scope": "system/*.write"}),
            );
        }
        let bearer = req.authorization.as_deref().unwrap_or_default();
        // The first backend token is "expired": the push must fetch another, once.
        if bearer == "Bearer T1" || bearer.is_empty() {
            return reply(
                401,
                &json!({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "login", "diagnostics": "token expired"}]}),
            );
        }
        if req.method == "GET" {
            return reply(200, &capabilities(&["batch"]));
        }
        reply(200, &batch_response(&req.body, &[]))
    }));
    // Without credentials: a clear refusal, not a panic.
    let (code, stdout, stderr) = run(&[
        "push",
        "--data-dir",
        dir.path().join("d0").to_str().expect("utf-8"),
        "--to",
        &server.base,
        "--cpcds",
        cpcds,
    ]);
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(
        stderr.contains("refused the credentials") && stderr.contains("token expired"),
        "{stderr}"
    );

    // A bearer token from the environment.
    let out = bin()
        .args([
            "push",
            "--json",
            "--data-dir",
            dir.path().join("d1").to_str().expect("utf-8"),
            "--to",
            &server.base,
            "--cpcds",
            cpcds,
        ])
        .env("CARIN_PUSH_TOKEN", "static-token")
        .output()
        .expect("push");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(server
        .seen()
        .iter()
        .any(|s| s.authorization.as_deref() == Some("Bearer static-token")));
    // The token is never printed.
    assert!(!String::from_utf8_lossy(&out.stdout).contains("static-token"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("static-token"));

    // Backend services: a client assertion signed with the private key buys T1; the 401
    // makes the push fetch T2, which it uses from then on.
    let keys = dir.path().join("keys");
    let (code, stdout, stderr) =
        run(&["clients", "keygen", "--out", keys.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let before = server.seen().len();
    let token_url = server.base.replace("/fhir", "/token");
    let (code, report) = push(
        &dir.path().join("d2"),
        &[
            "--to",
            &server.base,
            "--cpcds",
            cpcds,
            "--client-id",
            "pusher",
            "--private-key",
            keys.join("private-key.pem").to_str().expect("utf-8"),
            "--token-url",
            &token_url,
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["failed"], 0);
    assert_eq!(*tokens.lock().expect("lock"), 2);
    let fhir: Vec<Seen> = server.seen()[before..]
        .iter()
        .filter(|s| s.path.starts_with("/fhir"))
        .cloned()
        .collect();
    assert_eq!(fhir[0].authorization.as_deref(), Some("Bearer T1"));
    assert!(fhir[1..]
        .iter()
        .all(|s| s.authorization.as_deref() == Some("Bearer T2")));
}

// ---------------------------------------------------------------------------------------
// Helios FHIR Server, the real third-party server (`.ci/run` sets HFS_BIN).

/// A Helios FHIR Server on a free loopback port with its own temporary database; killed on
/// drop. `check` can be pointed at [`Helios::base`] too.
pub struct Helios {
    child: Child,
    pub base: String,
    dir: tempfile::TempDir,
}

impl Helios {
    pub fn start() -> Helios {
        let bin = std::env::var("HFS_BIN").unwrap_or_else(|_| {
            panic!(
                "HFS_BIN is not set: these tests need the Helios FHIR Server binary \
                 (cargo install helios-hfs --no-default-features --features R4,sqlite); \
                 .ci/run installs it and sets HFS_BIN"
            )
        });
        let dir = tempfile::tempdir().expect("temp dir");
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").expect("bind");
            l.local_addr().expect("addr").port()
        };
        let base = format!("http://127.0.0.1:{port}");
        let log = std::fs::File::create(dir.path().join("hfs.log")).expect("log file");
        let child = Command::new(&bin)
            .current_dir(dir.path())
            .env("HFS_SERVER_HOST", "127.0.0.1")
            .env("HFS_SERVER_PORT", port.to_string())
            .env("HFS_BASE_URL", &base)
            .env("DATABASE_URL", dir.path().join("fhir.db"))
            .env("HFS_DATA_DIR", dir.path().join("hfs-data"))
            .env("HFS_UI_ENABLED", "false")
            .env("HFS_LOG_LEVEL", "warn")
            .env("HFS_REQUEST_TIMEOUT", "300")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start HFS_BIN={bin}: {e}"));
        let mut helios = Helios { child, base, dir };
        helios.wait_ready();
        helios
    }

    fn wait_ready(&mut self) {
        let http = reqwest::blocking::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("Helios exited at start ({status}): {}", self.log());
            }
            let ok = http
                .get(format!("{}/metadata", self.base))
                .send()
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "Helios did not answer /metadata within 60 s: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("hfs.log")).unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let r = reqwest::blocking::Client::new()
            .get(format!("{}/{path}", self.base))
            .header("Accept", "application/fhir+json")
            .send()
            .expect("GET Helios");
        let status = r.status().as_u16();
        (status, r.json().unwrap_or_default())
    }

    /// `[type]?_summary=count`'s total.
    pub fn count(&self, resource_type: &str) -> u64 {
        let (status, bundle) = self.get(&format!("{resource_type}?_summary=count"));
        assert_eq!(status, 200, "{bundle}");
        bundle["total"]
            .as_u64()
            .unwrap_or_else(|| panic!("no total: {bundle}"))
    }
}

impl Drop for Helios {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A data directory holding the bundled seed (imported with the binary).
fn seeded_data_dir(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("seed");
    let (code, stdout, stderr) = run(&[
        "import",
        seed.to_str().expect("utf-8"),
        "--data-dir",
        data.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    data
}

/// The stored resources of one type, by id (through `export`).
fn exported(data: &Path, dir: &Path) -> std::collections::BTreeMap<String, Vec<Value>> {
    let out = dir.join("export");
    let (code, stdout, stderr) = run(&[
        "export",
        "--data-dir",
        data.to_str().expect("utf-8"),
        "--out",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let mut all = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir(&out).expect("export dir") {
        let path = entry.expect("entry").path();
        let ty = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("name")
            .to_string();
        let text = std::fs::read_to_string(&path).expect("ndjson");
        let resources = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json line"))
            .collect();
        all.insert(ty, resources);
    }
    all
}

/// A resource without `meta` (each server keeps its own versionId and lastUpdated).
fn without_meta(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    v
}

/// A fresh Helios, and a data directory holding the seed with its resources by type.
struct Seeded {
    helios: Helios,
    _dir: tempfile::TempDir,
    data: PathBuf,
    stored: std::collections::BTreeMap<String, Vec<Value>>,
    total: u64,
}

impl Seeded {
    fn new() -> Seeded {
        let helios = Helios::start();
        let dir = tempfile::tempdir().expect("temp dir");
        let data = seeded_data_dir(dir.path());
        let stored = exported(&data, dir.path());
        let total = stored.values().map(|v| v.len() as u64).sum();
        Seeded {
            helios,
            _dir: dir,
            data,
            stored,
            total,
        }
    }
}

/// Searches Helios for `resource_type?param=<reference>` with the reference the first stored
/// resource of that type has in `field`, and asserts the total is what the store holds for it;
/// the reference.
fn same_total_by_reference(
    helios: &Helios,
    stored: &std::collections::BTreeMap<String, Vec<Value>>,
    resource_type: &str,
    field: &str,
    param: &str,
) -> String {
    let resources = &stored[resource_type];
    let reference = resources[0][field]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("{resource_type}.{field} has no reference"))
        .to_string();
    let expected = resources
        .iter()
        .filter(|r| r[field]["reference"] == reference.as_str())
        .count() as u64;
    let (status, bundle) = helios.get(&format!(
        "{resource_type}?{param}={reference}&_summary=count"
    ));
    assert_eq!(status, 200, "{bundle}");
    assert_eq!(bundle["total"].as_u64(), Some(expected), "{bundle}");
    reference
}

#[test]
#[ignore = "needs the Helios FHIR Server (HFS_BIN); run by .ci/run"]
fn helios_takes_the_seed_reads_it_back_and_a_second_push_changes_nothing() {
    let Seeded {
        helios,
        _dir,
        data,
        stored,
        total,
    } = Seeded::new();

    let (code, report) = push(&data, &["--to", &helios.base, "--with-definitions"]);
    eprintln!(
        "push into Helios: {} resources in {:.2} s = {:.0} resources/s ({} batches, mode {}, {} retries)",
        report["sent"], report["seconds"].as_f64().unwrap_or(0.0), report["rate"].as_f64().unwrap_or(0.0),
        report["batches"], report["mode"], report["retries"]
    );
    assert_eq!(code, 0, "{report:#}\n{}", helios.log());
    assert_eq!(report["failed"], 0);
    let definitions = ["search_parameters", "profiles"]
        .iter()
        .map(|k| {
            report["definitions"][k]
                .as_array()
                .expect("definitions")
                .len() as u64
        })
        .sum::<u64>();
    assert_eq!(report["sent"].as_u64(), Some(total + definitions));
    assert_eq!(
        report["created"].as_u64(),
        Some(total + definitions),
        "{report:#}"
    );

    // Read back: every type's count, and a sample of each compared field by field.
    for (ty, resources) in &stored {
        assert_eq!(helios.count(ty), resources.len() as u64, "{ty}");
        for r in resources.iter().step_by(resources.len().div_ceil(5).max(1)) {
            let id = r["id"].as_str().expect("id");
            let (status, back) = helios.get(&format!("{ty}/{id}"));
            assert_eq!(status, 200, "{ty}/{id}: {back}");
            assert_eq!(without_meta(back), without_meta(r.clone()), "{ty}/{id}");
        }
    }
    // The generated CARIN SearchParameters are there.
    let (status, sp) = helios.get("SearchParameter/explanationofbenefit-service-date");
    assert_eq!(status, 200, "{sp}");
    assert_eq!(sp["code"], "service-date");
    // A CARIN search through Helios: EOBs by patient.
    let patient = same_total_by_reference(
        &helios,
        &stored,
        "ExplanationOfBenefit",
        "patient",
        "patient",
    );
    // An R4 parameter Helios 0.2.7 does not index by itself, sent by --with-definitions.
    same_total_by_reference(&helios, &stored, "Coverage", "beneficiary", "beneficiary");

    // The built-in conformance check against the third-party server, its reports kept: Helios
    // has no SMART authorization server and no CARIN CapabilityStatement, so required checks
    // fail and the report says which; what it serves is the data pushed, so every resource it
    // returns must still pass the C4BB checker.
    let reports = Path::new(env!("CARGO_TARGET_TMPDIR")).join("helios-check");
    std::fs::create_dir_all(&reports).expect("report dir");
    let html = reports.join("report.html");
    let patient_id = patient.trim_start_matches("Patient/");
    let fhir_base = format!("{}/", helios.base);
    let (code, stdout, stderr) = run(&[
        "check",
        "--base",
        &fhir_base,
        "--patient",
        patient_id,
        "--json",
        "--html",
        html.to_str().expect("utf-8"),
    ]);
    std::fs::write(reports.join("report.json"), &stdout).expect("write report");
    let check: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("check printed no JSON report ({e}): {stdout}\n{stderr}"));
    eprintln!(
        "check against Helios (exit {code}), reports in {}:\n{stderr}",
        reports.display()
    );
    assert_eq!(code, i32::from(check["passed"] != true), "{stderr}");
    assert!(std::fs::metadata(&html).expect("html report").len() > 1000);
    assert!(
        check["summary"]["pass"].as_u64().unwrap_or(0) > 0,
        "{check:#}"
    );
    assert!(check["validated"].as_u64().unwrap_or(0) > 0, "{check:#}");
    let errors: Vec<&Value> = check["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["severity"] == "error")
        .collect();
    assert!(
        errors.is_empty(),
        "resources read back from Helios fail C4BB: {errors:#?}"
    );
    assert_eq!(check["patients"][0], patient_id, "{check:#}");

    // Second push: nothing sent, everything unchanged.
    let (code, again) = push(&data, &["--to", &helios.base, "--with-definitions"]);
    assert_eq!(code, 0, "{again:#}");
    assert_eq!(again["sent"], 0, "{again:#}");
    assert_eq!(again["unchanged"].as_u64(), Some(total + definitions));
    assert_eq!(helios.count("Patient"), stored["Patient"].len() as u64);
}

#[test]
#[ignore = "needs the Helios FHIR Server (HFS_BIN); run by .ci/run"]
fn helios_push_stopped_half_way_resumes_without_duplicates() {
    let Seeded {
        helios,
        _dir,
        data,
        stored,
        total,
    } = Seeded::new();

    let (code, first) = push(
        &data,
        &[
            "--to",
            &helios.base,
            "--batch-size",
            "100",
            "--stop-after",
            "5",
        ],
    );
    assert_eq!(code, 0, "{first:#}");
    assert_eq!(first["interrupted"], true);
    assert_eq!(first["batches"], 5);
    // Five Bundles of at most 100 (a Bundle never mixes types, so some are smaller).
    let first_sent = first["sent"].as_u64().expect("sent");
    assert!((300..=500).contains(&first_sent), "{first:#}");
    assert_eq!(first["failed"], 0);

    let (code, rest) = push(&data, &["--to", &helios.base, "--batch-size", "100"]);
    assert_eq!(code, 0, "{rest:#}");
    assert_eq!(rest["interrupted"], false);
    assert_eq!(rest["unchanged"].as_u64(), Some(first_sent), "{rest:#}");
    assert_eq!(rest["sent"].as_u64(), Some(total - first_sent));
    assert_eq!(rest["failed"], 0);
    for (ty, resources) in &stored {
        assert_eq!(
            helios.count(ty),
            resources.len() as u64,
            "{ty}: nothing duplicated"
        );
    }
}
