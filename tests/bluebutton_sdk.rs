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

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use carin_sandbox::app::{Application, ServeConfig};

const SDK: &str = "cms-bluebutton-sdk==1.1.0";
const SDK_VERSION: &str = "1.1.0";
/// Access-token lifetime for this server, in seconds: the script sleeps past it.
const ACCESS_TOKEN_TTL: i64 = 4;
const INSTALL_TIMEOUT: Duration = Duration::from_secs(15 * 60);
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(5 * 60);

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// Output of a finished child process.
struct Finished {
    success: bool,
    status: String,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

/// Runs `command` to completion, killing it after `timeout` (a test failure).
fn run(mut command: Command, timeout: Duration) -> Finished {
    let description = format!("{command:?}");
    let started = Instant::now();
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {description}: {e}"));
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{description} did not finish within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                stdout.join().unwrap(),
                stderr.join().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Finished {
        success: status.success(),
        status: status.to_string(),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        elapsed: started.elapsed(),
    }
}

/// Whether `python` imports the SDK at the pinned version.
fn sdk_installed(python: &Path) -> bool {
    if !python.exists() {
        return false;
    }
    let mut check = Command::new(python);
    check.args([
        "-c",
        "from cms_bluebutton.version import __version__; import requests, requests_toolbelt; \
         print(__version__)",
    ]);
    let done = run(check, Duration::from_secs(120));
    done.success && done.stdout.trim() == SDK_VERSION
}

/// `target/sdk-venv` with the SDK installed: reused when it already works, otherwise
/// (re)created. A failure here fails the test; it is never skipped.
fn ensure_venv() -> PathBuf {
    let venv = manifest_dir().join("target").join("sdk-venv");
    let python = venv_python(&venv);
    if sdk_installed(&python) {
        eprintln!("reusing {}", venv.display());
        return python;
    }
    let interpreter = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_owned());
    eprintln!("creating {} with {interpreter}", venv.display());
    std::fs::create_dir_all(venv.parent().unwrap()).expect("create target/");
    let mut create = Command::new(&interpreter);
    create.args(["-m", "venv", "--clear"]).arg(&venv);
    let done = run(create, Duration::from_secs(300));
    assert!(
        done.success,
        "`{interpreter} -m venv --clear {}` failed ({}): the Blue Button SDK test needs Python 3 \
         with the venv module\nstdout:\n{}\nstderr:\n{}",
        venv.display(),
        done.status,
        done.stdout,
        done.stderr
    );
    let mut install = Command::new(&python);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
        ])
        .arg(SDK);
    let done = run(install, INSTALL_TIMEOUT);
    assert!(
        done.success,
        "`pip install {SDK}` into {} failed ({}): the test needs PyPI to install the official \
         Blue Button SDK\nstdout:\n{}\nstderr:\n{}",
        venv.display(),
        done.status,
        done.stdout,
        done.stderr
    );
    assert!(
        sdk_installed(&python),
        "{SDK} was installed into {} but `import cms_bluebutton` does not report version \
         {SDK_VERSION}",
        venv.display()
    );
    python
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
