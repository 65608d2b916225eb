//! `carin-sandbox bench …`: benchmarks that print figures. Timing goals live here, never in tests.
#![expect(
    clippy::print_stdout,
    reason = "a command-line front end: the terminal is its output"
)]

pub mod abuse;
pub mod api;
pub mod auth;
pub mod curve;
pub mod export;
pub mod ingest;
pub mod logins;
pub mod table;

pub use ingest::ingest;

/// Items (claims, EOBs, requests) per second; 0 when no time passed.
pub fn rate(n: u64, secs: f64) -> f64 {
    if secs > 0.0 {
        let n = n as f64;
        n / secs
    } else {
        0.0
    }
}

/// Peak resident set size of this process so far, in bytes (Linux `VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    proc_status_kb("VmHWM:").map(|kb| kb * 1024)
}

/// Resets the peak resident set size (`VmHWM`) to the current one (Linux: `clear_refs` 5), so
/// a later [`peak_rss_bytes`] measures one phase; does nothing where that is not available.
pub fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Current resident set size of this process, in bytes (Linux `VmRSS`).
pub fn rss_bytes() -> Option<u64> {
    proc_status_kb("VmRSS:").map(|kb| kb * 1024)
}

fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Where the `p` quantile (0 to 1) sits in a sorted, non-empty list of `len` values.
pub(crate) fn quantile_index(len: usize, p: f64) -> usize {
    let i = (len as f64 * p) as usize;
    i.min(len.saturating_sub(1))
}

pub fn mib(bytes: u64) -> f64 {
    let b = bytes as f64;
    b / (1024.0 * 1024.0)
}
