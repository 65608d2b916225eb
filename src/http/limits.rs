//! How long a client may take and how many may be connected at once: the server's defences
//! against clients that hold connections open (slow headers, slow bodies, idle keep-alives)
//! until the process runs out of file descriptors.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// The serve flags that bound connections; `ServeConfig` carries one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerLimits {
    /// The request line and headers must arrive within this (actix `client_request_timeout`).
    pub header_timeout: Duration,
    /// The whole request body must arrive within this, counted from the end of the headers.
    pub body_timeout: Duration,
    /// An idle keep-alive connection is closed after this.
    pub keep_alive: Duration,
    /// A closing connection gets this long to take the rest of the response before it is
    /// dropped (actix `client_disconnect_timeout`).
    pub disconnect_timeout: Duration,
    /// Connections served at once, all workers together; capped below the descriptor limit.
    pub max_connections: usize,
    /// Connections the kernel queues while the server is at `max_connections`.
    pub backlog: u32,
}

impl Default for ServerLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(5),
            disconnect_timeout: Duration::from_secs(2),
            max_connections: 20_000,
            backlog: 1024,
        }
    }
}

impl ServerLimits {
    /// Connections per worker: the configured total, but never more than the descriptors left
    /// after a reserve for the store, the index, logs and outgoing calls — at the descriptor
    /// limit, `accept` fails and even `/ping` stops answering.
    pub fn connections_per_worker(&self, descriptor_limit: u64, workers: usize) -> usize {
        let reserve = (descriptor_limit / 8).max(256);
        let available =
            usize::try_from(descriptor_limit.saturating_sub(reserve)).unwrap_or(usize::MAX);
        (self.max_connections.min(available) / workers.max(1)).max(1)
    }
}

/// Raises this process's soft limit on open files to the hard limit (allowed without
/// privileges) and returns the limit now in force.
pub fn raise_descriptor_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let soft = limit.current.unwrap_or(u64::MAX);
    let hard = limit.maximum.unwrap_or(u64::MAX);
    if soft >= hard {
        return soft;
    }
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    match setrlimit(Resource::Nofile, raised) {
        Ok(()) => hard,
        Err(e) => {
            tracing::warn!("could not raise the open-file limit from {soft} to {hard}: {e}");
            soft
        }
    }
}

/// A listening socket with the given backlog (`std::net::TcpListener::bind` always asks for
/// 128), with `SO_REUSEADDR` as std sets it, and `TCP_NODELAY`, which the accepted
/// connections inherit: a searchset is sent in parts, and Nagle's algorithm held the last
/// short segment of a response back until the client's delayed ACK (~40 ms per search).
pub fn listen(addr: &SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.set_reuse_address(true)?;
    socket.set_tcp_nodelay(true)?;
    socket.bind(&(*addr).into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_connections_send_without_nagle_delay() {
        let listener = listen(&"127.0.0.1:0".parse().unwrap(), 16).unwrap();
        let _client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        // Inherited from the listener: actix-web accepts the connections itself.
        assert!(accepted.nodelay().unwrap());
    }

    #[test]
    fn the_connection_cap_stays_below_the_descriptor_limit() {
        let limits = ServerLimits::default();
        // 1024 descriptors (a common default): 768 connections, 384 per worker.
        assert_eq!(limits.connections_per_worker(1024, 2), 384);
        // Plenty of descriptors: the configured total decides.
        assert_eq!(limits.connections_per_worker(1 << 20, 2), 10_000);
        // A tiny limit still leaves each worker one connection.
        assert_eq!(limits.connections_per_worker(100, 2), 1);
    }

    #[test]
    fn the_soft_descriptor_limit_is_raised_to_the_hard_one() {
        use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
        let before = getrlimit(Resource::Nofile);
        // Lower the soft limit first (always allowed), so there is something to raise.
        if let Some(hard) = before.maximum {
            let lowered = Rlimit {
                current: Some((hard / 2).max(512).min(hard)),
                maximum: Some(hard),
            };
            setrlimit(Resource::Nofile, lowered).unwrap();
        }
        let raised = raise_descriptor_limit();
        let now = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        assert_eq!(now.current.unwrap_or(u64::MAX), raised);
        assert_eq!(now.current, now.maximum);
    }
}
