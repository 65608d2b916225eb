//! `clients add|list|remove`: manage registered apps from the command line.
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a command-line front end: the terminal is its output"
)]

use std::path::Path;

use clap::Subcommand;

use crate::auth::clients::NewClient;
use crate::auth::{AuthDb, ClientKind};
use crate::clock::{Clock, SystemClock};
use crate::store::Store;

#[derive(Subcommand, Debug)]
pub enum ClientsCommand {
    /// Register an app; prints its client id (and secret, once, for a confidential app).
    Add {
        /// The name beneficiaries see on the consent page.
        name: String,
        /// A redirect URI (repeat for several). Loopback http URIs match on any port.
        #[arg(long = "redirect-uri", required = true)]
        redirect_uris: Vec<String>,
        /// A public app (native or browser): PKCE, no secret.
        #[arg(long)]
        public: bool,
        /// The scopes the app may be granted (default: everything the sandbox grants).
        #[arg(long)]
        scope: Option<String>,
        /// Allow authorization without PKCE (legacy tools; custom-scheme redirects still need it).
        #[arg(long)]
        no_pkce: bool,
    },
    /// List registered apps.
    List,
    /// Remove an app by client id.
    Remove { client_id: String },
}

pub fn run(data_dir: &Path, command: ClientsCommand) -> anyhow::Result<i32> {
    std::fs::create_dir_all(data_dir)?;
    let store = Store::open(data_dir)?;
    let db = AuthDb::open(&store)?;
    let now = SystemClock.now().unix_timestamp();
    db.seed_test_clients(now)?;
    match command {
        ClientsCommand::Add {
            name,
            redirect_uris,
            public,
            scope,
            no_pkce,
        } => {
            let registered = db.register(
                NewClient {
                    name,
                    kind: if public {
                        ClientKind::Public
                    } else {
                        ClientKind::Confidential
                    },
                    redirect_uris,
                    scopes: scope,
                    pkce_required: !no_pkce,
                    owner: None,
                    grant_model: Default::default(),
                },
                now,
            )?;
            println!("client_id:     {}", registered.client.client_id);
            if let Some(secret) = registered.secret {
                println!("client_secret: {secret}   (shown once; only its hash is kept)");
            }
            println!("scopes:        {}", registered.client.scopes);
            Ok(0)
        }
        ClientsCommand::List => {
            for c in db.clients()? {
                let kind = match c.kind {
                    ClientKind::Public => "public",
                    ClientKind::Confidential => "confidential",
                };
                println!("{:<28} {:<12} {}", c.client_id, kind, c.name);
                for uri in &c.redirect_uris {
                    println!("{:<28} {:<12}   redirect {uri}", "", "");
                }
            }
            Ok(0)
        }
        ClientsCommand::Remove { client_id } => {
            if db.remove_client(&client_id)? {
                println!("removed {client_id}");
                Ok(0)
            } else {
                eprintln!("error: no app is registered as {client_id}");
                Ok(1)
            }
        }
    }
}
