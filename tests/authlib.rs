#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! A client library nobody here wrote — Python's Authlib (`authlib` 1.6.5 from PyPI) — drives
//! SMART Backend Services with `private_key_jwt` (RS384 and ES384 keys made by the test) against
//! the real server, then reads every patient's data with the system token. The flow is
//! `tests/sdk/authlib_private_key_jwt.py`.
//!
//! Authlib is installed into `target/authlib-venv` (created with `python3 -m venv` on the first
//! run, which needs PyPI, and reused afterwards). Set `PYTHON` to choose the interpreter.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use carin_sandbox::app::{Application, ServeConfig};
use carin_sandbox::auth::clients::NewClient;
use carin_sandbox::auth::jws::SigningKey;
use carin_sandbox::auth::records::ClientJwks;
use carin_sandbox::auth::{AuthDb, ClientKind};
use carin_sandbox::store::Store;

#[path = "sdk/python.rs"]
mod python;
use python::{run, Venv};

const PACKAGES: &[&str] = &["authlib==1.6.5", "requests==2.32.5"];
const AUTHLIB_VERSION: &str = "1.6.5";

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/authlib-venv` with Authlib at its pinned version.
fn ensure_venv() -> PathBuf {
    Venv {
        dir: "authlib-venv",
        packages: PACKAGES,
        check: "import authlib, requests, cryptography; print(authlib.__version__)",
        version: AUTHLIB_VERSION,
        needed_by: "the Authlib test",
    }
    .ensure()
}

/// The real server (system clock: Authlib signs with the real time), seeded, with one backend
/// app per key registered before it starts. Returns its address and the client ids.
fn start_server(jwks: Vec<serde_json::Value>) -> (SocketAddr, Vec<String>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        let ids: Vec<String> = {
            let store = Store::open(dir.path()).unwrap();
            let db = AuthDb::open(&store).unwrap();
            jwks.into_iter()
                .map(|jwks| {
                    db.register(
                        NewClient {
                            name: "Authlib backend".into(),
                            kind: ClientKind::Confidential,
                            redirect_uris: vec![],
                            scopes: Some("system/*.read".into()),
                            pkce_required: true,
                            owner: None,
                            grant_model: Default::default(),
                            jwks: Some(ClientJwks::Jwks(jwks)),
                        },
                        0,
                    )
                    .unwrap()
                    .client
                    .client_id
                })
                .collect()
        };
        let config = ServeConfig::new(dir.path());
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config).expect("server starts");
            tx.send((app.addrs()[0], ids)).expect("send addr");
            app.run().await.expect("server runs");
        });
    });
    rx.recv_timeout(Duration::from_secs(600))
        .expect("the server did not start (see the panic above)")
}

#[test]
fn authlib_runs_backend_services_with_private_key_jwt() {
    let python = ensure_venv();
    let keys = [
        SigningKey::generate_rsa().unwrap(),
        SigningKey::generate_ec().unwrap(),
    ];
    let jwks = keys
        .iter()
        .map(|k| serde_json::json!({"keys": [k.public_jwk(&k.thumbprint())]}))
        .collect();
    let (addr, ids) = start_server(jwks);
    let origin = format!("http://{addr}");
    let dir = tempfile::tempdir().unwrap();
    for (key, client_id) in keys.iter().zip(&ids) {
        let pem = dir.path().join(format!("{}.pem", key.alg()));
        std::fs::write(&pem, key.to_pem().unwrap()).unwrap();
        let mut command = Command::new(&python);
        command
            .arg(manifest_dir().join("tests/sdk/authlib_private_key_jwt.py"))
            .arg(&origin)
            .arg(client_id)
            .arg(&pem)
            .arg(key.thumbprint())
            .arg(key.alg())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        let done = run(command, Duration::from_secs(300));
        let (ok, out, err) = (done.success, done.stdout, done.stderr);
        eprintln!(
            "authlib ({}, {:.1} s):\n{out}{err}",
            key.alg(),
            done.elapsed.as_secs_f64()
        );
        assert!(ok, "the Authlib flow failed ({}):\n{err}", key.alg());
        let summary: serde_json::Value =
            serde_json::from_str(out.lines().last().unwrap_or_default()).unwrap();
        assert_eq!(summary["ok"], true, "{summary}");
        assert_eq!(summary["long_lived_refused"], true, "{summary}");
        assert_eq!(summary["scope"], "system/*.read", "{summary}");
        assert_eq!(summary["refresh_token"], false, "{summary}");
        assert_eq!(summary["patients_total"], 200, "every patient: {summary}");
        assert!(summary["eobs_of_last"].as_u64().unwrap() > 0, "{summary}");
    }
}
