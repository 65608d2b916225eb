//! The composition root shared by `main` and the tests.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::clock::Clock;
use crate::store::Store;

pub struct AppState {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub data_dir: PathBuf,
}

/// Everything `serve` needs, whoever starts it.
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub listen: Vec<SocketAddr>,
    pub clock: Arc<dyn Clock>,
    /// Import the embedded seed into an empty store before listening.
    pub load_seed: bool,
}

/// A bound, not yet running server (port 0 resolves here, for tests).
pub struct Application {
    server: Server,
    addrs: Vec<SocketAddr>,
    pub seeded: Option<crate::cpcds::ImportReport>,
}

impl Application {
    pub fn build(config: ServeConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Store::open(&config.data_dir)?;
        let seeded = if config.load_seed {
            crate::seed::load_if_empty(
                &store,
                &config.data_dir,
                config.clock.now(),
                &mut |_, _| {},
            )?
        } else {
            None
        };
        let state = web::Data::new(AppState {
            store,
            clock: config.clock,
            data_dir: config.data_dir,
        });
        let mut addrs = Vec::new();
        let mut server = HttpServer::new({
            let state = state.clone();
            move || {
                App::new()
                    .app_data(state.clone())
                    .configure(crate::http::configure)
            }
        });
        for addr in &config.listen {
            let listener = match TcpListener::bind(addr) {
                Ok(l) => l,
                // ::1 may be missing (no IPv6); serving on the other addresses is still useful.
                Err(e) if addr.is_ipv6() && config.listen.len() > 1 => {
                    tracing::warn!("not listening on {addr}: {e}");
                    continue;
                }
                Err(e) => return Err(anyhow::anyhow!("cannot listen on {addr}: {e}")),
            };
            addrs.push(listener.local_addr()?);
            server = server.listen(listener)?;
        }
        let server = server.workers(2).run();
        Ok(Self {
            server,
            addrs,
            seeded,
        })
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}
