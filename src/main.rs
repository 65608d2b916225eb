use clap::Parser;

// The ingest builds many small JSON values; mimalloc handles that churn far better than glibc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = carin_sandbox::cli::Cli::parse();
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
