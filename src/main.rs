use clap::Parser;

// The ingest builds many small JSON values; mimalloc handles that churn far better than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[expect(
    clippy::print_stderr,
    reason = "the process's last word to the operator, after logging may be gone"
)]
fn main() {
    let cli = carin_sandbox::cli::Cli::parse();
    // `RUST_LOG` decides; without it the server logs a line per request and its own notices,
    // and the other commands (benchmarks included) only warnings.
    let default_filter = match cli.command {
        carin_sandbox::cli::Command::Serve { .. } => "warn,carin_sandbox=info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a person watching, not in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match carin_sandbox::cli::run(cli) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            // One line per cause, no backtrace: this is what an operator reads.
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            std::process::exit(2);
        }
    }
}
