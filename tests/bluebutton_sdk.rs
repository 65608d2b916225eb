#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! The official Blue Button Python SDK (`cms-bluebutton-sdk` 1.1.0 from PyPI) against the real
//! server: sign-in and consent, the SDK's code exchange, Patient / Coverage / every
//! ExplanationOfBenefit page through the SDK, and the SDK's automatic refresh once the
//! (4-second) access token has expired. The flow itself is `tests/sdk/bluebutton_sdk_flow.py`.
//!
//! The SDK is installed into a virtual environment under `target/sdk-venv`, created with
//! `python3 -m venv` on the first run (it needs PyPI) and reused afterwards. Set `PYTHON` to
//! choose the interpreter that creates it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use carin_sandbox::app::{Application, ServeConfig};

#[path = "sdk/python.rs"]
mod python;
use python::{run, Venv};

const SDK: &str = "cms-bluebutton-sdk==1.1.0";
const SDK_VERSION: &str = "1.1.0";
/// Access-token lifetime for this server, in seconds: the script sleeps past it.
const ACCESS_TOKEN_TTL: i64 = 4;
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/sdk-venv` with the SDK at its pinned version.
fn ensure_venv() -> PathBuf {
    Venv {
        dir: "sdk-venv",
        packages: &[SDK],
        check: "from cms_bluebutton.version import __version__; import requests, \
                requests_toolbelt; print(__version__)",
        version: SDK_VERSION,
        needed_by: "the Blue Button SDK test",
    }
    .ensure()
}

/// The real server, seeded, with short-lived access tokens, on a thread of its own for the
/// rest of the process (its temporary data directory lives as long).
fn start_server() -> SocketAddr {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
        let mut config = ServeConfig::new(dir.path());
        config.auth.access_token_ttl = ACCESS_TOKEN_TTL;
        actix_web::rt::System::new().block_on(async move {
            let app = Application::build(config).expect("server starts");
            tx.send(app.addrs()[0]).expect("send addr");
            app.run().await.expect("server runs");
        });
    });
    rx.recv_timeout(Duration::from_secs(600))
        .expect("the server did not start (see the panic above)")
}

#[test]
fn official_python_sdk_signs_in_pages_and_refreshes() {
    let python = ensure_venv();
    let addr = start_server();
    let origin = format!("http://{addr}");
    let script = manifest_dir()
        .join("tests")
        .join("sdk")
        .join("bluebutton_sdk_flow.py");

    let mut command = Command::new(&python);
    command
        .arg(&script)
        .arg(&origin)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        // The server is on loopback: never send these requests through a proxy.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost");
    let done = run(command, SCRIPT_TIMEOUT);
    println!(
        "bluebutton_sdk_flow.py against {origin} ({:.1} s, {}):\n{}",
        done.elapsed.as_secs_f64(),
        done.status,
        done.stdout.trim_end()
    );
    if !done.stderr.trim().is_empty() {
        println!("stderr:\n{}", done.stderr.trim_end());
    }
    assert!(
        done.success,
        "the Blue Button SDK flow failed ({}):\n{}",
        done.status,
        done.stderr.trim_end()
    );
    let summary: serde_json::Value =
        serde_json::from_str(done.stdout.lines().last().unwrap_or_default()).unwrap_or_else(|e| {
            panic!(
                "the script's last line is not its JSON summary ({e}):\n{}",
                done.stdout
            )
        });
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["refreshed"], true, "{summary}");
    assert!(summary["pages"].as_u64().unwrap() > 1, "{summary}");
    assert_eq!(summary["eobs"], summary["eob_total"], "{summary}");
}
