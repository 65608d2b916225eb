//! Typed extractors: a FHIR handler that takes a [`Viewer`] cannot run without the caller's
//! access having been checked (meilisearch's `GuardedData` idea).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};

use crate::api::{internal, Viewer};
use crate::auth::BearerError;
use crate::fhir::error::FhirError;
use crate::web::AppState;

/// The bearer token's access (or the open API), else 401 with `WWW-Authenticate` and an
/// OperationOutcome (`http::error`).
impl FromRequest for Viewer {
    type Error = FhirError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(viewer_of(req))
    }
}

fn viewer_of(req: &HttpRequest) -> Result<Viewer, FhirError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| internal("the application state is not registered"))?;
    if state.insecure_open_api {
        return Ok(Viewer::Open);
    }
    let token = super::oauth::bearer_token(req).ok_or_else(|| {
        FhirError::Unauthorized(
            "this request needs an access token (Authorization: Bearer …) from the SMART \
             authorization server; see /.well-known/smart-configuration"
                .into(),
        )
    })?;
    let now = state.clock.now().unix_timestamp();
    match state.auth.access(token, now) {
        Ok(access) => Ok(Viewer::Token(access)),
        Err(BearerError::Invalid(why)) => Err(FhirError::Unauthorized(why.to_string())),
        Err(BearerError::Store(e)) => Err(internal(e)),
    }
}
