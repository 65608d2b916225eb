//! Clients that send a request body slowly (or never finish it) must not hold the server:
//! `/ping` answers while they are attached, and their connections close after the body
//! timeout. Waits are bounded by `GIVE_UP` so a regression fails instead of hanging; nothing
//! asserts how long anything took.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::TcpStream;

use crate::helpers::TestApp;

const GIVE_UP: Duration = Duration::from_secs(60);
const SEARCH: &str = "/v2/fhir/ExplanationOfBenefit/_search";

/// A POST announcing a 100,000-byte form body and sending one byte of it.
async fn partial_body(app: &TestApp, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\na"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// A POST with a chunked body that gains a byte every 100 ms for as long as the server reads.
async fn trickled_body(app: &TestApp, path: &str) -> tokio::net::tcp::OwnedReadHalf {
    let stream = TcpStream::connect(app.addr).await.unwrap();
    let (read, mut write) = stream.into_split();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    write.write_all(head.as_bytes()).await.unwrap();
    tokio::spawn(trickle(write));
    read
}

async fn trickle(mut write: OwnedWriteHalf) {
    while write.write_all(b"1\r\na\r\n").await.is_ok() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Reads until the server closes the connection; returns what it sent (a reset after the
/// response counts as closed: the server dropped a socket the client was still writing to).
async fn until_closed(mut read: impl AsyncReadExt + Unpin, what: &str) -> String {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(GIVE_UP, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        closed.is_ok(),
        "{what}: the server kept the connection open"
    );
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn ping_answers_while_hundreds_of_slow_clients_hold_bodies_open() {
    // A body timeout far beyond the test, so the slow clients are surely still attached.
    let app = TestApp::spawn_with(false, true, |config| {
        config.limits.body_timeout = Duration::from_secs(600);
    })
    .await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        slow.push(partial_body(&app, SEARCH).await);
    }
    for _ in 0..20 {
        // A new connection each time, as a monitoring probe would make.
        let response = reqwest::get(app.url("/ping")).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.text().await.unwrap(), "ok");
    }
    let mut buf = [0u8; 1];
    for stream in &slow {
        match stream.try_read(&mut buf) {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("a slow client was not attached any more: {other:?}"),
        }
    }
}

#[tokio::test]
async fn slow_bodies_are_cut_off_after_the_body_timeout() {
    let app = TestApp::spawn_with(false, true, |config| {
        config.limits.body_timeout = Duration::from_secs(1);
        config.limits.disconnect_timeout = Duration::from_secs(1);
    })
    .await;
    let (search, token, trickled_search, trickled_unread) = tokio::join!(
        async { until_closed(partial_body(&app, SEARCH).await, "partial FHIR body").await },
        async {
            until_closed(
                partial_body(&app, "/v2/o/token").await,
                "partial token body",
            )
            .await
        },
        async { until_closed(trickled_body(&app, SEARCH).await, "trickled FHIR body").await },
        // A URL that never reads its body (405): actix would drain a chunked body for as long
        // as it keeps coming.
        async {
            until_closed(
                trickled_body(&app, "/v2/fhir/ExplanationOfBenefit/x").await,
                "trickled unread body",
            )
            .await
        },
    );
    for (what, response) in [
        ("partial FHIR body", &search),
        ("trickled FHIR body", &trickled_search),
    ] {
        assert!(response.starts_with("HTTP/1.1 408"), "{what}: {response}");
        assert!(
            response.contains("\"code\":\"timeout\""),
            "{what}: an OperationOutcome: {response}"
        );
    }
    assert!(token.starts_with("HTTP/1.1 408"), "{token}");
    assert!(
        trickled_unread.starts_with("HTTP/1.1 405"),
        "{trickled_unread}"
    );
    // The server is still fine.
    assert_eq!(reqwest::get(app.url("/ping")).await.unwrap().status(), 200);
}
