//! When to send a request again: 429 (honouring `Retry-After`), 408 and the transient 5xx, and
//! transport failures, with bounded exponential backoff and jitter. Pure decisions; the caller
//! sleeps.

use std::time::Duration;

use time::OffsetDateTime;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: never retry).
    pub max_retries: u32,
    /// The first backoff; doubled on every retry.
    pub base: Duration,
    /// No computed backoff is longer.
    pub cap: Duration,
    /// No `Retry-After` is honoured beyond this (longer ones are cut to it).
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 6,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Send it again after this long.
    Retry(Duration),
    /// Final: report the answer (or the transport error) as it is.
    GiveUp,
}

/// Statuses worth another try: the server may answer differently later.
pub fn retryable(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// What to do after attempt number `attempt` (0 = the first) answered `status` (`None`: no
/// answer, a transport failure). `jitter` is a random number in `[0, 1)`.
pub fn decide(
    policy: &RetryPolicy,
    attempt: u32,
    status: Option<u16>,
    retry_after: Option<Duration>,
    jitter: f64,
) -> Decision {
    if attempt >= policy.max_retries || status.is_some_and(|s| !retryable(s)) {
        return Decision::GiveUp;
    }
    if let (Some(wait), Some(429 | 503)) = (retry_after, status) {
        return Decision::Retry(wait.min(policy.max_retry_after));
    }
    let exp = policy
        .base
        .saturating_mul(1u32.checked_shl(attempt).unwrap_or(u32::MAX))
        .min(policy.cap);
    // "Equal jitter": half the backoff fixed, half random, so parallel pushers spread out.
    let half = exp / 2;
    Decision::Retry(half + half.mul_f64(jitter.clamp(0.0, 1.0)))
}

/// A `Retry-After` value: delay-seconds or an HTTP-date (RFC 9110 §10.2.3), read at `now`.
pub fn parse_retry_after(value: &str, now: OffsetDateTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(value, &format)
        .ok()?
        .assume_utc();
    let secs = (at - now).whole_seconds();
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

/// A random number in `[0, 1)` for [`decide`].
pub fn jitter() -> f64 {
    let mut b = [0u8; 4];
    if aws_lc_rs::rand::fill(&mut b).is_err() {
        return 0.5;
    }
    f64::from(u32::from_be_bytes(b)) / (f64::from(u32::MAX) + 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RetryPolicy = RetryPolicy {
        max_retries: 4,
        base: Duration::from_millis(100),
        cap: Duration::from_millis(500),
        max_retry_after: Duration::from_secs(10),
    };

    #[test]
    fn success_and_client_errors_are_final() {
        for s in [200, 201, 400, 401, 403, 404, 409, 412, 422, 501] {
            assert_eq!(decide(&P, 0, Some(s), None, 0.5), Decision::GiveUp, "{s}");
        }
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped_and_bounded() {
        let at = |attempt, jitter| decide(&P, attempt, Some(503), None, jitter);
        assert_eq!(at(0, 0.0), Decision::Retry(Duration::from_millis(50)));
        assert_eq!(at(0, 1.0), Decision::Retry(Duration::from_millis(100)));
        assert_eq!(at(1, 0.0), Decision::Retry(Duration::from_millis(100)));
        assert_eq!(at(2, 0.5), Decision::Retry(Duration::from_millis(300)));
        // 100 * 2^3 = 800, capped at 500.
        assert_eq!(at(3, 1.0), Decision::Retry(Duration::from_millis(500)));
        assert_eq!(at(4, 0.0), Decision::GiveUp);
        // Transport failures are retried the same way.
        assert_eq!(
            decide(&P, 1, None, None, 0.0),
            Decision::Retry(Duration::from_millis(100))
        );
        // A huge attempt number neither overflows nor retries.
        assert_eq!(decide(&P, 99, Some(429), None, 0.0), Decision::GiveUp);
        let wide = RetryPolicy {
            max_retries: 100,
            ..P
        };
        assert_eq!(
            decide(&wide, 40, Some(500), None, 1.0),
            Decision::Retry(Duration::from_millis(500))
        );
    }

    #[test]
    fn retry_after_is_honoured_on_429_and_503_within_bounds() {
        let two = Some(Duration::from_secs(2));
        assert_eq!(
            decide(&P, 0, Some(429), two, 0.0),
            Decision::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            decide(&P, 0, Some(503), Some(Duration::from_secs(3600)), 0.0),
            Decision::Retry(Duration::from_secs(10))
        );
        // Not on a 500 (the header means nothing there): plain backoff.
        assert_eq!(
            decide(&P, 0, Some(500), two, 0.0),
            Decision::Retry(Duration::from_millis(50))
        );
    }

    #[test]
    fn retry_after_parses_seconds_and_http_dates() {
        let now = time::macros::datetime!(2026-12-06 04:00:00 UTC);
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Dec 2026 04:00:30 GMT", now),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Dec 2026 03:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-3", now), None);
    }

    #[test]
    fn jitter_is_in_range() {
        for _ in 0..100 {
            let j = jitter();
            assert!((0.0..1.0).contains(&j));
        }
    }
}
