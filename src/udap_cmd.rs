//! `carin-sandbox udap cert`: client certificates from the sandbox CA, for testing UDAP
//! registration (the CA is made on first use, as `serve` would).
#![expect(
    clippy::print_stdout,
    reason = "a command-line front end: the terminal is its output"
)]

use std::path::{Path, PathBuf};

use clap::Subcommand;
use time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::udap::ca::{self, Ca};

#[derive(Subcommand, Debug)]
pub enum UdapCommand {
    /// Mint a client certificate (SAN URI = the app's UDAP `iss`) and its RSA key, signed by
    /// the sandbox CA; writes `client.pem` (certificate then CA), `client-key.pem` and `ca.pem`.
    Cert {
        /// The SAN uniformResourceIdentifier: the `iss` of the app's software statements.
        #[arg(long)]
        san: String,
        /// The certificate's common name.
        #[arg(long, default_value = "carin-sandbox UDAP client")]
        name: String,
        /// Where to write the files.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Validity in days from now (negative: already expired, for refusal tests).
        #[arg(long, default_value_t = 365, allow_negative_numbers = true)]
        days: i64,
    },
    /// Print the sandbox CA certificate (the anchor apps use to check `signed_metadata`).
    Ca,
}

pub fn run(data_dir: &Path, command: UdapCommand) -> anyhow::Result<i32> {
    std::fs::create_dir_all(data_dir)?;
    let now = SystemClock.now();
    let ca = Ca::load_or_create(data_dir, now)?;
    match command {
        UdapCommand::Cert {
            san,
            name,
            out,
            days,
        } => {
            let (from, to) = if days > 0 {
                (now - Duration::hours(1), now + Duration::days(days))
            } else {
                (
                    now - Duration::days(30),
                    now + Duration::days(days) - Duration::hours(1),
                )
            };
            let issued = ca.issue(&san, &name, from, to)?;
            std::fs::create_dir_all(&out)?;
            let cert = out.join("client.pem");
            let key = out.join("client-key.pem");
            let ca_path = out.join("ca.pem");
            std::fs::write(&cert, format!("{}{}", issued.cert_pem, ca.cert_pem))?;
            ca::write_private(&key, &issued.key_pem)?;
            std::fs::write(&ca_path, &ca.cert_pem)?;
            println!(
                "certificate: {} (SAN URI {san}, then the CA)",
                cert.display()
            );
            println!("private key: {}", key.display());
            println!("CA:          {}", ca_path.display());
            Ok(0)
        }
        UdapCommand::Ca => {
            print!("{}", ca.cert_pem);
            Ok(0)
        }
    }
}
