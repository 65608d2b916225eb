//! Request ids: one per request, in the `X-Request-Id` response header, the request log line
//! and error OperationOutcomes, so an operator can find what a client saw.

use std::sync::atomic::{AtomicU64, Ordering};

pub const HEADER: &str = "x-request-id";

/// Makes ids `<random 64-bit prefix per server start>-<counter>`: unique across restarts
/// without a random draw per request.
pub struct RequestIds {
    prefix: u64,
    next: AtomicU64,
}

impl RequestIds {
    pub fn new() -> Self {
        Self {
            prefix: u64::from_be_bytes(crate::auth::keys::random_bytes::<8>()),
            next: AtomicU64::new(1),
        }
    }

    pub fn next_id(&self) -> String {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}-{n:x}", self.prefix)
    }

    /// The client's own id when it is well formed, else a new one.
    pub fn for_request(&self, incoming: Option<&str>) -> String {
        match incoming {
            Some(id) if well_formed(id) => id.to_string(),
            _ => self.next_id(),
        }
    }
}

impl Default for RequestIds {
    fn default() -> Self {
        Self::new()
    }
}

/// An id accepted from a client: 1–64 letters, digits, `-` and `.` (a valid FHIR id, and
/// nothing that could forge a log line or a header).
pub fn well_formed(id: &str) -> bool {
    crate::fhir::id::is_valid_id(id)
}

tokio::task_local! {
    /// The id of the request this task is serving; error responses read it.
    static CURRENT: String;
}

/// The id of the request being served on this task, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(Clone::clone).ok()
}

/// Runs `make` and then the future it returns with `id` as the current request id.
pub async fn scope<F: std::future::Future>(id: String, make: impl FnOnce() -> F) -> F::Output {
    let future = CURRENT.sync_scope(id.clone(), make);
    CURRENT.scope(id, future).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_within_and_across_starts() {
        let (a, b) = (RequestIds::new(), RequestIds::new());
        let first = a.next_id();
        assert_ne!(first, a.next_id());
        assert_ne!(first, b.next_id(), "a restart must not repeat ids");
        assert!(well_formed(&first), "{first}");
    }

    #[test]
    fn only_well_formed_client_ids_are_kept() {
        let ids = RequestIds::new();
        assert_eq!(ids.for_request(Some("abc-123.x")), "abc-123.x");
        for bad in ["", "a b", "a\nb", "x_y", &"a".repeat(65), "é"] {
            assert_ne!(ids.for_request(Some(bad)), bad, "{bad:?}");
        }
    }
}
