//! Form posts: the fields of a urlencoded body, the CSRF check every form passes, and the
//! 303 that follows a post (also as an extractor's refusal, [`SeeOther`]).

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse, ResponseError};

use super::csrf::Csrf;
use super::pages::PageError;
use super::AppState;

/// A 303 to a page of this site (after a form post).
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

/// An extractor's refusal that sends the browser elsewhere (to sign in, to start over).
#[derive(Debug, thiserror::Error)]
#[error("see {0}")]
pub struct SeeOther(pub String);

impl ResponseError for SeeOther {
    fn status_code(&self) -> StatusCode {
        StatusCode::SEE_OTHER
    }

    fn error_response(&self) -> HttpResponse {
        see_other(&self.0)
    }
}

/// The fields of a form body (repeated names kept, as for checkboxes).
pub struct Form(Vec<(String, String)>);

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
pub fn csrf_refused() -> PageError {
    PageError::forbidden(
        "This form could not be verified: its security token is missing, expired (forms last \
         10 minutes) or from another browser. Cookies must be enabled. Go back, reload the page \
         and try again.",
    )
}
