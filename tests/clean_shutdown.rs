//! `serve` stopped by SIGTERM (as an operator or a service manager stops it) closes its store
//! cleanly, so the next start does not pay redb's repair, which walks every page of the file.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn answers(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return false;
    };
    let request = "GET /v2/fhir/metadata HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).is_ok() && &head[9..12] == b"200"
}

#[test]
fn a_sigterm_leaves_a_store_that_opens_without_repair() {
    let data = tempfile::tempdir().unwrap();
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_carin-sandbox"))
        .arg("serve")
        .arg("--data-dir")
        .arg(data.path())
        .arg("--listen")
        .arg(addr.to_string())
        // The seed, and a fill of 100 members still running when the signal comes: its thread
        // holds the store, and the process must wait for it rather than exit around it.
        .args(["--beneficiaries", "300"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let started = Instant::now();
    while !answers(addr) {
        assert!(child.try_wait().unwrap().is_none(), "serve exited early");
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "serve did not answer"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let stopped = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            stopped.elapsed() < Duration::from_secs(60),
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "serve exited with {exit}");

    let repaired = Arc::new(AtomicBool::new(false));
    let seen = repaired.clone();
    let db = redb::Database::builder()
        .set_repair_callback(move |_| seen.store(true, Ordering::Relaxed))
        .create(data.path().join(carin_sandbox::store::STORE_FILE))
        .unwrap();
    drop(db);
    assert!(
        !repaired.load(Ordering::Relaxed),
        "the store was not closed cleanly: opening it needed a repair"
    );
}
