//! `bench abuse`: the server under clients that never finish their request bodies.
//!
//! Loopback only, bounded in count and time, and it stops by itself: a server on 127.0.0.1
//! with an empty store, N slow clients attached (half announce a body and send one byte of it,
//! half trickle a chunked body a byte a second), `/ping` probed on fresh connections while
//! they are attached, then every slow client waits (bounded) to see whether the server cut it
//! off after its body timeout.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::api::{get_request, read_response, start_server_with};
use crate::app::ServeConfig;
use crate::http::limits::{raise_descriptor_limit, ServerLimits};

pub struct AbuseBench {
    pub slow_clients: usize,
    /// The server's body timeout, seconds.
    pub body_timeout: u64,
    /// `/ping` probes at most (fewer if the body timeout comes first).
    pub pings: usize,
}

/// Descriptors kept free for the server's own files and the probes.
const SPARE_DESCRIPTORS: u64 = 1024;
/// Wait for the server to cut a slow client off beyond its body and disconnect timeouts.
const GRACE: Duration = Duration::from_secs(10);
const PING_TIMEOUT: Duration = Duration::from_secs(5);
/// Probes sent this long after attaching are also reported apart.
const SETTLE: Duration = Duration::from_secs(1);
const SLOW_PATH: &str = "/v2/fhir/ExplanationOfBenefit/_search";

pub fn run(opts: &AbuseBench) -> anyhow::Result<i32> {
    // Every slow client costs two descriptors here: its own socket and the server's.
    let limit = raise_descriptor_limit();
    let affordable = usize::try_from(limit.saturating_sub(SPARE_DESCRIPTORS) / 2).unwrap_or(0);
    let slow_clients = opts.slow_clients.min(affordable);
    if slow_clients < opts.slow_clients {
        println!(
            "open-file limit {limit}: attaching {slow_clients} slow clients, not {}",
            opts.slow_clients
        );
    }
    let data_dir = tempfile::tempdir()?;
    let limits = ServerLimits {
        body_timeout: Duration::from_secs(opts.body_timeout),
        ..ServerLimits::default()
    };
    let addr = start_server_with(ServeConfig {
        load_seed: false,
        insecure_open_api: true,
        limits,
        ..ServeConfig::new(data_dir.path())
    })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()?;
    runtime.block_on(abuse(addr, slow_clients, opts.pings, limits))
}

async fn abuse(
    addr: SocketAddr,
    slow_clients: usize,
    pings: usize,
    limits: ServerLimits,
) -> anyhow::Result<i32> {
    let started = Instant::now();
    let patience = limits.body_timeout + limits.disconnect_timeout + GRACE;
    let mut slow = Vec::with_capacity(slow_clients);
    let mut not_attached = 0;
    for i in 0..slow_clients {
        match attach(addr, i % 2 == 0).await {
            Ok(stream) => slow.push(tokio::spawn(watch(stream, i % 2 == 1, patience))),
            Err(_) => not_attached += 1,
        }
    }
    let attached_in = started.elapsed();
    println!(
        "attached {} slow clients ({} could not connect) in {:.2} s: half send 1 byte of a \
         100,000-byte body, half trickle a chunked body; body timeout {} s",
        slow.len(),
        not_attached,
        attached_in.as_secs_f64(),
        limits.body_timeout.as_secs()
    );

    // Probe only while the slow clients are surely still attached.
    let probe_until = started
        + limits
            .body_timeout
            .saturating_sub(Duration::from_millis(500));
    let attached = Instant::now();
    // (sent after attaching, latency) of each answered probe.
    let mut probes: Vec<(Duration, Duration)> = Vec::new();
    let mut failures = 0;
    while probes.len() + failures < pings && Instant::now() < probe_until {
        let sent = Instant::now();
        match tokio::time::timeout(PING_TIMEOUT, ping(addr)).await {
            Ok(Ok(200)) => probes.push((sent - attached, sent.elapsed())),
            _ => failures += 1,
        }
    }
    println!(
        "/ping on a new connection each, while they were attached: {} probes, failures {failures}",
        probes.len() + failures
    );
    // The server is still accepting the burst of slow connections at first; new connections
    // queue behind it in the kernel's accept queue.
    let settled = format!("sent ≥ {} s after attaching", SETTLE.as_secs());
    for (what, from) in [("all", Duration::ZERO), (settled.as_str(), SETTLE)] {
        let mut latencies: Vec<Duration> = probes
            .iter()
            .filter(|(at, _)| *at >= from)
            .map(|(_, latency)| *latency)
            .collect();
        latencies.sort_unstable();
        println!(
            "  {:<34} {:>4} probes, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            what,
            latencies.len(),
            percentile_ms(&latencies, 0.50),
            percentile_ms(&latencies, 0.99),
            percentile_ms(&latencies, 1.0),
        );
    }

    let (mut answered_408, mut closed_silently, mut still_open) = (0, 0, 0);
    for task in slow {
        match task.await? {
            Fate::Answered(408) => answered_408 += 1,
            Fate::Answered(_) | Fate::Closed => closed_silently += 1,
            Fate::StillOpen => still_open += 1,
        }
    }
    println!(
        "slow clients cut off by the server: {} ({answered_408} answered 408, {closed_silently} \
         closed otherwise); still open {:.0} s after attaching: {still_open}",
        answered_408 + closed_silently,
        patience.as_secs_f64()
    );
    println!("total {:.1} s", started.elapsed().as_secs_f64());
    Ok(i32::from(still_open > 0 || failures > 0))
}

/// Connects and sends a body that will never be complete.
async fn attach(addr: SocketAddr, partial: bool) -> std::io::Result<TcpStream> {
    let mut stream = TcpStream::connect(addr).await?;
    let framing = if partial {
        "Content-Length: 100000\r\n\r\na"
    } else {
        "Transfer-Encoding: chunked\r\n\r\n1\r\na\r\n"
    };
    let head = format!(
        "POST {SLOW_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/x-www-form-urlencoded\r\n{framing}"
    );
    stream.write_all(head.as_bytes()).await?;
    Ok(stream)
}

enum Fate {
    /// The server answered (with this status) and closed the connection.
    Answered(u16),
    /// The server closed the connection without an answer.
    Closed,
    StillOpen,
}

/// Keeps the client slow (a byte a second when trickling) until the server closes the
/// connection or `patience` runs out.
async fn watch(stream: TcpStream, trickle: bool, patience: Duration) -> Fate {
    let (mut read, mut write) = stream.into_split();
    let writer = tokio::spawn(async move {
        while trickle && write.write_all(b"1\r\na\r\n").await.is_ok() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        // Dropping the write half would half-close the connection: hold it until aborted.
        std::future::pending::<()>().await;
    });
    let mut received = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(patience, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    writer.abort();
    match closed {
        Err(_) => Fate::StillOpen,
        Ok(()) => match std::str::from_utf8(received.get(9..12).unwrap_or_default()) {
            Ok(status) => status.parse().map_or(Fate::Closed, Fate::Answered),
            Err(_) => Fate::Closed,
        },
    }
}

async fn ping(addr: SocketAddr) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(&get_request("/ping", None)).await?;
    let mut buf = vec![0u8; 1024];
    read_response(&mut stream, &mut buf).await
}

fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[super::quantile_index(sorted.len(), p)].as_secs_f64() * 1000.0
}
