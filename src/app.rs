//! The composition root shared by `main` and the tests.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};

use crate::clock::Clock;
use crate::index::SearchIndex;
use crate::store::Store;
use crate::web::AppState;

/// The folder inside the data directory that holds the search index.
pub const INDEX_DIR: &str = "index";

/// Opens the index beside the store and rebuilds it unless it is stamped with the store's
/// generation: a write the index missed (an import killed between the store's commit and the
/// index's, a build without stamps), a deleted index folder. (The seed, loaded after this on a
/// first start, is indexed as it is written.)
pub fn open_index(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<SearchIndex> {
    let index = SearchIndex::open(&data_dir.join(INDEX_DIR))?;
    index.catch_up(store, None)?;
    Ok(index)
}

/// The folder inside the data directory where the fill writes generated files it imports.
pub const FILL_SCRATCH_DIR: &str = "fill-scratch";

/// Runs the background fill on a thread of its own (nothing to do when it is complete).
fn start_fill(state: web::Data<AppState>) {
    let status = state.fill.status();
    if status.done >= status.target {
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("member-fill".into())
        .spawn(move || {
            let started = std::time::Instant::now();
            let clock = state.clock.clone();
            match state.fill.run(&state.store, &state.index, &|| clock.now()) {
                Ok(n) => tracing::info!(
                    "generated {n} members in {:.1} s; {} beneficiaries",
                    started.elapsed().as_secs_f64(),
                    state.fill.status().target
                ),
                Err(e) => tracing::error!("the member fill stopped: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the member fill: {e}");
    }
}

/// Starts the claims-arrive ticker when the mode is on: a tick every interval for as long as
/// the server's state lives (the thread holds it only while it ticks).
fn start_arrivals(state: &web::Data<AppState>) {
    let Some(interval) = state.arrivals.interval() else {
        return;
    };
    let weak = Arc::downgrade(&state.clone().into_inner());
    let spawned = std::thread::Builder::new()
        .name("claims-arrive".into())
        .spawn(move || loop {
            std::thread::sleep(interval);
            let Some(state) = weak.upgrade() else {
                break;
            };
            let now = state.clock.now();
            let started = std::time::Instant::now();
            match state
                .arrivals
                .run_once(&state.store, &state.index, &state.fill, now)
            {
                Ok(r) => tracing::info!(
                    "claims arrived (tick {}): {} new, {} adjusted, in {} ms",
                    r.tick,
                    r.arrived.len(),
                    r.adjusted.len(),
                    started.elapsed().as_millis()
                ),
                Err(e) => tracing::error!("claims-arrive tick failed: {e}"),
            }
        });
    if let Err(e) = spawned {
        tracing::error!("cannot start the claims-arrive ticker: {e}");
    }
}

/// Everything `serve` needs, whoever starts it.
pub struct ServeConfig {
    pub data_dir: PathBuf,
    pub listen: Vec<SocketAddr>,
    pub clock: Arc<dyn Clock>,
    /// Import the embedded seed into an empty store before listening.
    pub load_seed: bool,
    pub public_url: Option<String>,
    pub insecure_open_api: bool,
    /// Token, code and session lifetimes.
    pub auth: crate::auth::AuthConfig,
    /// Serve HTTPS instead of HTTP.
    pub tls: Option<crate::http::tls::TlsSource>,
    /// Timeouts and the connection cap.
    pub limits: crate::http::limits::ServerLimits,
    /// How long and how much of the audit trail is kept.
    pub audit: crate::audit::AuditPolicy,
    /// Record every FHIR read, vread and search in the audit trail (on unless measuring).
    pub audit_reads: bool,
    /// Bulk Data export: retention, per-client limit, file size.
    pub bulk: crate::bulk::BulkConfig,
    /// Generated members `M00000` … served on a seeded store (logins `BBUser00000` …): the
    /// seed's are loaded before listening, the rest by a background fill (see `fill`).
    pub beneficiaries: u64,
    /// `--claims-arrive`: a tick every this long (none: the mode is off) …
    pub claims_arrive: Option<std::time::Duration>,
    /// … for these generated members (`--arrive-for`), and whoever switches it on.
    pub arrive_for: Vec<u64>,
}

/// `serve`'s member count: the Blue Button tutorial's 30,000 (`BBUser00000` … `BBUser29999`).
pub const DEFAULT_BENEFICIARIES: u64 = 30_000;

/// `ServeConfig::new`'s member count: the bundled seed only, so tests start fast.
pub const TEST_BENEFICIARIES: u64 = 200;

impl ServeConfig {
    /// Defaults for everything but the data directory: 127.0.0.1 on a free port, the wall
    /// clock, the seed loaded, tokens required, plain HTTP.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 0))],
            clock: Arc::new(crate::clock::SystemClock),
            load_seed: true,
            public_url: None,
            insecure_open_api: false,
            auth: crate::auth::AuthConfig::default(),
            tls: None,
            limits: crate::http::limits::ServerLimits::default(),
            audit: crate::audit::AuditPolicy::default(),
            audit_reads: true,
            bulk: crate::bulk::BulkConfig::default(),
            beneficiaries: TEST_BENEFICIARIES,
            claims_arrive: None,
            arrive_for: Vec::new(),
        }
    }
}

/// Worker threads; the connection cap is shared out among them.
const WORKERS: usize = 2;

/// A bound, not yet running server (port 0 resolves here, for tests).
pub struct Application {
    server: Server,
    /// For [`Application::closing`]: the store, and the state whose fill must stop first.
    store: Store,
    state: std::sync::Weak<AppState>,
    addrs: Vec<SocketAddr>,
    pub seeded: Option<crate::cpcds::ImportReport>,
    /// The certificate served over HTTPS, when TLS is on.
    pub tls_certificate: Option<PathBuf>,
}

impl Application {
    pub fn build(config: ServeConfig) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&config.data_dir)?;
        let store = Store::open_with_cache(&config.data_dir, crate::store::SERVE_CACHE_BYTES)?;
        let started_at = config.clock.now();
        crate::audit::apply_policy(&store, &config.audit, started_at.unix_timestamp())?;
        // A first start's two slow parts run side by side: the seed's import (indexed as it is
        // written) on a thread of its own, and the RSA keys (id_tokens, the UDAP CA) here.
        let (data, keys) = std::thread::scope(|s| {
            let data = s.spawn(|| -> anyhow::Result<_> {
                let index = open_index(&store, &config.data_dir)?;
                let seeded = if config.load_seed {
                    crate::seed::load_if_empty(
                        &store,
                        &index,
                        &config.data_dir,
                        config.clock.now(),
                        &mut |_, _| {},
                    )?
                } else {
                    None
                };
                let fill = if config.load_seed {
                    crate::fill::Filler::for_store(
                        &store,
                        config.beneficiaries,
                        config.data_dir.join(FILL_SCRATCH_DIR),
                    )?
                } else {
                    crate::fill::Filler::disabled()
                };
                Ok((index, seeded, fill))
            });
            let keys = (|| -> anyhow::Result<_> {
                let now = started_at.unix_timestamp();
                let auth = crate::auth::AuthServer::open(&store, config.auth, now)?;
                let udap = crate::udap::Udap::open(&config.data_dir, started_at)?;
                Ok((auth, udap))
            })();
            let data = data
                .join()
                .unwrap_or_else(|_| Err(anyhow::anyhow!("loading the seed panicked")));
            (data, keys)
        });
        let (index, seeded, fill) = data?;
        let (auth, udap) = keys?;
        auth.set_udap_anchors(udap.anchors().to_vec());
        // The export worker: interrupted jobs run again, expired ones go.
        let bulk = web::Data::new(crate::bulk::Bulk::open(
            &store,
            &config.data_dir,
            config.clock.clone(),
            config.bulk,
            true,
        )?);
        let tls = match &config.tls {
            Some(source) => Some(crate::http::tls::server_config(source, &config.data_dir)?),
            None => None,
        };
        let state = web::Data::new(AppState {
            store,
            index,
            clock: config.clock,
            data_dir: config.data_dir,
            public_url: config.public_url,
            insecure_open_api: config.insecure_open_api,
            auth,
            udap,
            started_at,
            audit_reads: config.audit_reads,
            fill,
            arrivals: match config.claims_arrive {
                Some(interval) => crate::arrivals::Arrivals::new(interval, config.arrive_for),
                None => crate::arrivals::Arrivals::disabled(),
            },
            documents: crate::web::documents::Documents::default(),
        });
        start_fill(state.clone());
        start_arrivals(&state);
        let store = state.store.clone();
        let weak_state = Arc::downgrade(&state.clone().into_inner());
        let mut addrs = Vec::new();
        let limits = config.limits;
        let request_ids = Arc::new(crate::http::request_id::RequestIds::new());
        let mut server = HttpServer::new({
            move || {
                let request_ids = request_ids.clone();
                App::new()
                    .app_data(state.clone())
                    .app_data(bulk.clone())
                    // Trailing slashes are optional on every path.
                    .wrap(from_fn(crate::http::slashes::normalize))
                    .wrap(from_fn(crate::http::head::as_get))
                    .wrap(from_fn(move |req, next| {
                        crate::http::body_deadline::enforce(limits.body_timeout, req, next)
                    }))
                    // Outermost: the request id and the log line cover everything inside.
                    .wrap(from_fn(move |req, next| {
                        crate::http::observe::observe(request_ids.clone(), req, next)
                    }))
                    // First: every FHIR request, behind one string comparison.
                    .configure(crate::http::configure_fhir)
                    .configure(crate::http::configure)
                    // The portal's pages (home, docs, developer apps, connected apps, test client).
                    .configure(crate::portal::configure)
                    // Last: its empty scope answers 404 for every path not mounted before it.
                    .configure(crate::http::configure_api)
            }
        })
        .client_request_timeout(limits.header_timeout)
        .client_disconnect_timeout(limits.disconnect_timeout)
        .keep_alive(limits.keep_alive)
        .max_connections(
            limits.connections_per_worker(crate::http::limits::raise_descriptor_limit(), WORKERS),
        );
        for addr in &config.listen {
            let listener = match crate::http::limits::listen(addr, limits.backlog) {
                Ok(l) => l,
                // ::1 may be missing (no IPv6); serving on the other addresses is still useful.
                Err(e) if addr.is_ipv6() && config.listen.len() > 1 => {
                    tracing::warn!("not listening on {addr}: {e}");
                    continue;
                }
                Err(e) => return Err(anyhow::anyhow!("cannot listen on {addr}: {e}")),
            };
            addrs.push(listener.local_addr()?);
            server = match &tls {
                Some((tls, _)) => server.listen_rustls_0_23(listener, tls.clone())?,
                None => server.listen(listener)?,
            };
        }
        let server = server.workers(WORKERS).run();
        Ok(Self {
            server,
            store,
            state: weak_state,
            addrs,
            seeded,
            tls_certificate: tls.map(|(_, path)| path),
        })
    }

    /// Stops the server from outside (tests that restart it on the same data directory).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub fn addrs(&self) -> &[SocketAddr] {
        &self.addrs
    }

    /// What closes the store cleanly once [`Application::run`] has returned (`serve` uses it;
    /// tests that keep a store handle of their own do not).
    pub fn closing(&self) -> Closing {
        Closing {
            store: self.store.clone(),
            state: self.state.clone(),
        }
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Stops the background fill and closes the store after the server stopped.
pub struct Closing {
    store: Store,
    state: std::sync::Weak<AppState>,
}

impl Closing {
    /// Asks the fill to stop after its batch, then closes the store once every other handle
    /// is gone (the fill's and the export worker's threads finish on their own), waiting at
    /// most `patience`.
    pub fn finish(self, patience: std::time::Duration) {
        if let Some(state) = self.state.upgrade() {
            state.fill.stop();
        }
        drop(self.state);
        if !self.store.close_when_unshared(patience) {
            tracing::warn!(
                "the store was still in use after {} s; the next start checks it (slower)",
                patience.as_secs()
            );
        }
    }
}
