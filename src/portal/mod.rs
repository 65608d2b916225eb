//! The pages people use: the home page and docs, developer accounts and their apps, the
//! beneficiary's connected apps, and the built-in test client (`/testclient`).
//!
//! Server-rendered with askama, styled by `static/site.css`, no JavaScript: every flow works
//! with forms and links. Every form carries a CSRF token ([`crate::web::csrf::Csrf`], as on
//! the authorization pages), sessions live in sealed HttpOnly cookies, and every page gets the
//! security headers of [`crate::web::pages::html`]. Handlers get their guards as typed
//! arguments: [`Ctx`] (every page), [`sessions::SignedIn`] (the developer's pages),
//! `web::beneficiary::SignedInBeneficiary` (connected apps), the test client's `Tokens`.

pub mod accounts;
mod apps;
mod arrivals;
mod conformance;
mod connected;
mod developer;
mod docs;
mod hashing;
mod sessions;
pub mod testclient;

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::unix;
pub(crate) use crate::web::audit::audit;
use crate::web::csrf::Csrf;
pub(crate) use crate::web::flash::{open_flash, seal_flash};
pub(crate) use crate::web::forms::{see_other, Form};
use crate::web::pages::{render, PageError};
use crate::web::AppState;
use accounts::Developer;

/// Mounts the portal's routes (before the API's catch-all scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    docs::configure(cfg);
    developer::configure(cfg);
    apps::configure(cfg);
    conformance::configure(cfg);
    connected::configure(cfg);
    arrivals::configure(cfg);
    testclient::configure(cfg);
}

/// What every portal page knows about its request: the time, a CSRF token for its forms,
/// and the signed-in developer.
pub(crate) struct Ctx {
    pub now: i64,
    pub csrf: Csrf,
    pub developer: Option<Developer>,
}

/// Every page handler takes its `Ctx` as an argument.
impl FromRequest for Ctx {
    type Error = PageError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.app_data::<web::Data<AppState>>() {
            Some(state) => Ok(Ctx::new(state, req)),
            None => Err(PageError::internal(
                "the application state is not registered",
            )),
        })
    }
}

impl Ctx {
    fn new(state: &AppState, req: &HttpRequest) -> Ctx {
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
