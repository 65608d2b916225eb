//! Time is injected everywhere so expiry and `lastUpdated` are testable.

use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;

pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    // The one reader of the time of day (clippy.toml bans it everywhere else).
    #[expect(
        clippy::disallowed_methods,
        reason = "SystemClock is the wall clock every other module gets injected"
    )]
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to (tests).
#[derive(Debug)]
pub struct FixedClock {
    unix_millis: AtomicI64,
}

impl FixedClock {
    pub fn new(at: OffsetDateTime) -> Self {
        Self {
            unix_millis: AtomicI64::new(millis(at)),
        }
    }

    pub fn advance(&self, by: time::Duration) {
        let ms = i64::try_from(by.whole_milliseconds()).unwrap_or(i64::MAX);
        self.unix_millis.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        let ms = self.unix_millis.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

/// CPU seconds this process has used so far (user + system; Linux `/proc/self/stat`, 100
/// ticks/s; 0 elsewhere): benchmarks report the CPU a request costs beside its rate.
pub fn process_cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after = stat.rsplit(')').next().unwrap_or_default();
    let ticks = |i: usize| -> f64 {
        after
            .split_whitespace()
            .nth(i)
            .and_then(|x| x.parse().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// A FHIR `instant`: `2026-11-23T19:27:00.123+00:00` (UTC, millisecond precision).
pub fn fhir_instant(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+00:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn fixed_clock_moves_only_when_advanced() {
        let clock = FixedClock::new(datetime!(2024-01-02 03:04:05.678 UTC));
        assert_eq!(fhir_instant(clock.now()), "2024-01-02T03:04:05.678+00:00");
        clock.advance(time::Duration::seconds(61));
        assert_eq!(fhir_instant(clock.now()), "2024-01-02T03:05:06.678+00:00");
    }
}
