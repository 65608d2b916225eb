//! `TestApp::spawn`: the real server on 127.0.0.1:0 over a temporary data directory.

use std::net::SocketAddr;
use std::sync::Arc;

use carin_sandbox::app::{Application, ServeConfig};
use carin_sandbox::clock::FixedClock;
use time::macros::datetime;

pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    /// Kept alive for the server's lifetime; dropped (deleted) with the TestApp.
    _data_dir: tempfile::TempDir,
    pub seeded: Option<carin_sandbox::cpcds::ImportReport>,
}

impl TestApp {
    /// Starts a server; `load_seed` imports the embedded seed on this first start.
    pub async fn spawn(load_seed: bool) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let clock = Arc::new(FixedClock::new(datetime!(2026-01-02 03:04:05 UTC)));
        let app = Application::build(ServeConfig {
            data_dir: data_dir.path().to_path_buf(),
            listen: vec!["127.0.0.1:0".parse().expect("addr")],
            clock,
            load_seed,
        })
        .expect("server starts");
        let addr = app.addrs()[0];
        let seeded = app.seeded.clone();
        tokio::spawn(app.run());
        Self {
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            _data_dir: data_dir,
            seeded,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// GETs `path` and parses the JSON body (panics on transport or JSON errors).
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.client.get(self.url(path)).send().await.expect("request");
        response.json().await.expect("JSON body")
    }
}
