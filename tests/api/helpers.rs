//! `TestApp::spawn`: the real server on 127.0.0.1:0 over a temporary data directory, and one
//! shared seeded server for the read-only API tests (started once per test binary).

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use carin_sandbox::app::{Application, ServeConfig};
use carin_sandbox::clock::FixedClock;
use time::macros::datetime;

pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's clock (None for the shared servers, whose clocks never move).
    pub clock: Option<Arc<FixedClock>>,
    pub client: reqwest::Client,
    /// Kept alive for the server's lifetime; dropped (deleted) with the TestApp.
    _data_dir: Option<tempfile::TempDir>,
    pub seeded: Option<carin_sandbox::cpcds::ImportReport>,
}

fn config(
    data_dir: &std::path::Path,
    load_seed: bool,
    open_api: bool,
    clock: Arc<FixedClock>,
) -> ServeConfig {
    ServeConfig {
        clock,
        load_seed,
        insecure_open_api: open_api,
        ..ServeConfig::new(data_dir)
    }
}

fn start_clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::new(datetime!(2026-01-02 03:04:05 UTC)))
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // The server closes idle keep-alive connections after 5 s. A test that spends longer
        // than that parsing a large response (debug build, busy machine) on its single-threaded
        // runtime would otherwise reuse a connection already closed and fail with
        // IncompleteMessage; connections idle for 2 s are not reused.
        .pool_idle_timeout(std::time::Duration::from_secs(2))
        .build()
        .expect("client")
}

impl TestApp {
    /// Starts a server of its own; `load_seed` imports the embedded seed on this first start.
    pub async fn spawn(load_seed: bool, open_api: bool) -> Self {
        Self::spawn_configured(|dir, clock| config(dir, load_seed, open_api, clock)).await
    }

    /// `spawn` with `adjust` applied to the configuration first (timeouts, limits).
    pub async fn spawn_with(
        load_seed: bool,
        open_api: bool,
        adjust: impl FnOnce(&mut ServeConfig),
    ) -> Self {
        Self::spawn_configured(|dir, clock| {
            let mut config = config(dir, load_seed, open_api, clock);
            adjust(&mut config);
            config
        })
        .await
    }

    /// Starts a seeded, secured server of its own with these lifetimes and budgets.
    pub async fn spawn_with_auth(auth: carin_sandbox::auth::AuthConfig) -> Self {
        Self::spawn_configured(|dir, clock| ServeConfig {
            auth,
            ..config(dir, true, false, clock)
        })
        .await
    }

    /// A secured server of its own (seeded or not), after `prepare` ran on its (empty) data directory:
    /// registering apps there is what `carin-sandbox clients add` does before `serve`.
    pub async fn spawn_prepared(load_seed: bool, prepare: impl FnOnce(&std::path::Path)) -> Self {
        Self::spawn_configured(|dir, clock| {
            prepare(dir);
            config(dir, load_seed, false, clock)
        })
        .await
    }

    /// The server's clock now, in unix seconds.
    pub fn now(&self) -> i64 {
        use carin_sandbox::clock::Clock;
        self.clock
            .as_ref()
            .expect("own server")
            .now()
            .unix_timestamp()
    }

    async fn spawn_configured(
        make: impl FnOnce(&std::path::Path, Arc<FixedClock>) -> ServeConfig,
    ) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let clock = start_clock();
        let app = Application::build(make(data_dir.path(), clock.clone())).expect("server starts");
        let addr = app.addrs()[0];
        let seeded = app.seeded.clone();
        tokio::spawn(app.run());
        Self {
            addr,
            clock: Some(clock),
            client: client(),
            _data_dir: Some(data_dir),
            seeded,
        }
    }

    /// The seeded, open-API server shared by read-only tests: it runs on a thread of its own
    /// for the whole test binary, so each test does not pay for loading the seed.
    pub fn shared() -> Self {
        static ADDR: OnceLock<SocketAddr> = OnceLock::new();
        Self::shared_at(&ADDR, true)
    }

    /// The seeded server with the SMART authorization server enforced, shared likewise (its
    /// clock never moves, so tokens never expire on it; expiry tests spawn their own).
    pub fn shared_secured() -> Self {
        static ADDR: OnceLock<SocketAddr> = OnceLock::new();
        Self::shared_at(&ADDR, false)
    }

    fn shared_at(cell: &'static OnceLock<SocketAddr>, open_api: bool) -> Self {
        let addr = *cell.get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                // The folder lives as long as the process.
                let dir = Box::leak(Box::new(tempfile::tempdir().expect("temp dir")));
                actix_web::rt::System::new().block_on(async move {
                    let app = Application::build(config(dir.path(), true, open_api, start_clock()))
                        .expect("server starts");
                    tx.send(app.addrs()[0]).expect("send addr");
                    app.run().await.expect("server runs");
                });
            });
            rx.recv().expect("shared server address")
        });
        Self {
            addr,
            clock: None,
            client: client(),
            _data_dir: None,
            seeded: None,
        }
    }

    /// A server the test started itself (and stops, restarts) on a data directory it keeps.
    pub fn running(addr: SocketAddr, clock: Arc<FixedClock>) -> Self {
        Self {
            addr,
            clock: Some(clock),
            client: client(),
            _data_dir: None,
            seeded: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GETs `path` and returns the JSON body (Null when it is not JSON).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.get(path).await.1
    }

    /// GETs `path`: status and parsed JSON body.
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (
            status,
            response.json().await.unwrap_or(serde_json::Value::Null),
        )
    }
}
