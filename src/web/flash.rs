//! One-line messages for the page after a redirect.

use super::AppState;

/// How long a flash message (after a redirect) stays readable.
const FLASH_TTL: i64 = 120;

/// A one-line message for the page after a redirect, sealed so that nobody can put words in
/// the page through a link; URL-safe as it is.
pub fn seal_flash(state: &AppState, text: &str, now: i64) -> String {
    state
        .auth
        .keys
        .sealer
        .seal("flash", &serde_json::json!(text), now + FLASH_TTL)
}

/// The message of a sealed flash, if it is one and still fresh.
pub fn open_flash(state: &AppState, sealed: Option<&str>, now: i64) -> Option<String> {
    let v = state.auth.keys.sealer.open("flash", sealed?, now)?;
    v.as_str().map(str::to_string)
}
