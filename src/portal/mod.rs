//! The pages people use: the home page and docs, developer accounts and their apps, the
//! beneficiary's connected apps, and the built-in test client (`/testclient`).
//!
//! Server-rendered with askama, styled by `static/site.css`, no JavaScript: every flow works
//! with forms and links. Every form carries a CSRF token (the authorization pages' [`Csrf`]),
//! sessions live in sealed HttpOnly cookies, and every page gets the security headers of
//! [`crate::http::pages::html`].

pub mod accounts;
mod apps;
mod connected;
mod developer;
mod docs;
mod hashing;
mod sessions;
pub mod testclient;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

use crate::app::AppState;
use crate::auth::unix;
pub(crate) use crate::http::authorize::audit;
use crate::http::authorize::Csrf;
use crate::http::pages::{render, PageError};
use accounts::Developer;

/// Mounts the portal's routes (before the API's catch-all scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    docs::configure(cfg);
    developer::configure(cfg);
    apps::configure(cfg);
    connected::configure(cfg);
    testclient::configure(cfg);
}

/// What every portal page knows about its request: the time, a CSRF token for its forms,
/// and the signed-in developer.
pub(crate) struct Ctx {
    pub now: i64,
    pub csrf: Csrf,
    pub developer: Option<Developer>,
}

impl Ctx {
    pub fn new(state: &AppState, req: &HttpRequest) -> Ctx {
        let now = unix(state.clock.now());
        Ctx {
            now,
            csrf: Csrf::for_request(state, req, now),
            developer: sessions::developer(state, req, now),
        }
    }

    /// The header's navigation, with `section` marked as the current one.
    pub fn nav(&self, section: &'static str) -> Nav {
        Nav {
            developer: self.developer.as_ref().map(|d| d.email.clone()),
            csrf: self.csrf.token.clone(),
            section,
        }
    }

    /// A rendered page, with the CSRF cookie when the browser had none.
    pub fn page(
        &self,
        req: &HttpRequest,
        status: StatusCode,
        page: &impl Template,
    ) -> HttpResponse {
        let mut response = render(status, page);
        self.csrf.attach(req, &mut response);
        response
    }
}

/// The header's navigation.
pub(crate) struct Nav {
    /// The signed-in developer's email.
    pub developer: Option<String>,
    /// For the sign-out form.
    pub csrf: String,
    /// `home`, `docs`, `apps`, `testclient`, `connected` or `account`.
    pub section: &'static str,
}

impl Nav {
    /// `aria-current="page"` for the current section's link.
    pub fn current(&self, section: &str) -> &'static str {
        if self.section == section {
            "page"
        } else {
            "false"
        }
    }
}

/// A 303 to a page of this site (after a form post).
pub(crate) fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// The fields of a form body (repeated names kept, as for checkboxes).
pub(crate) struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &[u8]) -> Result<Form, PageError> {
        serde_urlencoded::from_bytes(body)
            .map(Form)
            .map_err(|e| PageError::bad_request(format!("the form is not well formed: {e}")))
    }

    /// The first value of a field, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a field.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// True when the form's CSRF token belongs to this browser's cookie.
    pub fn csrf_ok(&self, state: &AppState, req: &HttpRequest, now: i64) -> bool {
        Csrf::check(state, req, self.get("csrf"), now)
    }

    /// The form, when its CSRF token checks out; the standard refusal otherwise (forms that
    /// re-show themselves with a message use `parse` and `csrf_ok`).
    pub fn verified(
        body: &[u8],
        state: &AppState,
        req: &HttpRequest,
        now: i64,
    ) -> Result<Form, PageError> {
        let form = Form::parse(body)?;
        if form.csrf_ok(state, req, now) {
            Ok(form)
        } else {
            Err(csrf_refused())
        }
    }
}

/// The refusal for a form whose CSRF token does not check out.
fn csrf_refused() -> PageError {
    PageError::forbidden(
        "This form could not be verified: its security token is missing, expired (forms last \
         10 minutes) or from another browser. Cookies must be enabled. Go back, reload the page \
         and try again.",
    )
}

pub(crate) fn not_found(message: impl Into<String>) -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        title: "Not found",
        message: message.into(),
    }
}

/// A local path to return to after signing in: anything else becomes `fallback`.
pub(crate) fn local_path(next: &str, fallback: &str) -> String {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next.to_string()
    } else {
        fallback.to_string()
    }
}

/// How long a flash message (after a redirect) stays readable.
const FLASH_TTL: i64 = 120;

/// A one-line message for the page after a redirect, sealed so that nobody can put words in
/// the page through a link; URL-safe as it is.
pub(crate) fn seal_flash(state: &AppState, text: &str, now: i64) -> String {
    state
        .auth
        .keys
        .sealer
        .seal("flash", &serde_json::json!(text), now + FLASH_TTL)
}

/// The message of a sealed flash, if it is one and still fresh.
pub(crate) fn open_flash(state: &AppState, sealed: Option<&str>, now: i64) -> Option<String> {
    let v = state.auth.keys.sealer.open("flash", sealed?, now)?;
    v.as_str().map(str::to_string)
}

/// A date (UTC) from unix seconds, `YYYY-MM-DD`.
pub(crate) fn date_of(unix_secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .map(|t| t.date().to_string())
        .unwrap_or_default()
}

/// Date and time (UTC) from unix seconds, `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn time_of(unix_secs: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_secs)
        .map(|t| format!("{} {:02}:{:02} UTC", t.date(), t.hour(), t.minute()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/apps/x", "/apps"), "/apps/x");
        assert_eq!(local_path("//evil.example/x", "/apps"), "/apps");
        assert_eq!(local_path("https://evil.example", "/apps"), "/apps");
        assert_eq!(local_path("/\\evil.example", "/apps"), "/apps");
        assert_eq!(local_path("", "/apps"), "/apps");
    }
}
