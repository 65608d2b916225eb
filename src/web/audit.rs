//! The audit hook the pages use for what they decide themselves (sign-ins, refused requests).

use super::AppState;
use crate::audit::AuditRecord;
use crate::auth::unix;

/// Records a page's decision (sign-in, refusal) at the current time.
pub(crate) fn audit(
    state: &AppState,
    event: &str,
    outcome: &str,
    client_id: Option<String>,
    user: Option<String>,
    detail: Option<String>,
) {
    let record = AuditRecord {
        at: unix(state.clock.now()),
        event: event.into(),
        outcome: outcome.into(),
        client_id,
        user,
        detail,
        ..AuditRecord::default()
    };
    crate::audit::record(&state.store, record);
}
