//! Typed extractors: a FHIR handler that takes a [`Viewer`] cannot run without the caller's
//! access having been checked (meilisearch's `GuardedData` idea).

use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::{Either, LocalBoxFuture};

use crate::api::{internal, Viewer};
use crate::auth::failures::{self, FhirFailure};
use crate::auth::{Access, BearerError};
use crate::fhir::error::FhirError;
use crate::web::AppState;

/// The bearer token's access (or the open API), else 401 with `WWW-Authenticate` and an
/// OperationOutcome (`http::error`). A token whose app or grant has simulated failures gets
/// them here (`auth::failures`); without any, the answer is ready at once.
impl FromRequest for Viewer {
    type Error = FhirError;
    type Future = Either<
        Ready<Result<Self, Self::Error>>,
        LocalBoxFuture<'static, Result<Self, Self::Error>>,
    >;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        match viewer_of(req) {
            Ok((viewer, Some(failure))) => Either::Right(simulate(req, viewer, failure)),
            Ok((viewer, None)) => Either::Left(ready(Ok(viewer))),
            Err(e) => Either::Left(ready(Err(e))),
        }
    }
}

/// The viewer, and the simulated failure to apply before the request is answered.
fn viewer_of(req: &HttpRequest) -> Result<(Viewer, Option<FhirFailure>), FhirError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| internal("the application state is not registered"))?;
    if state.insecure_open_api {
        return Ok((Viewer::Open, None));
    }
    let token = super::oauth::bearer_token(req).ok_or_else(|| {
        FhirError::Unauthorized(
            "this request needs an access token (Authorization: Bearer …) from the SMART \
             authorization server; see /.well-known/smart-configuration"
                .into(),
        )
    })?;
    let now = state.clock.now().unix_timestamp();
    let access = match state.auth.access(token, now) {
        Ok(access) => access,
        Err(BearerError::Invalid(why)) => return Err(FhirError::Unauthorized(why.to_string())),
        Err(BearerError::Store(e)) => return Err(internal(e)),
    };
    if access.failures.is_empty() {
        return Ok((Viewer::Token(access), None));
    }
    let paging = req
        .query_string()
        .split('&')
        .any(|p| p.starts_with("_offset="));
    match failures::fhir_failure(access.failures, access.issued_at, now, paging) {
        FhirFailure::None => Ok((Viewer::Token(access), None)),
        FhirFailure::Unauthorized(why) => Err(FhirError::Unauthorized(why.to_string())),
        FhirFailure::TooManyRequests => Err(FhirError::TooManyRequests {
            message: "too many requests; try again after Retry-After (simulated failure fhir_429)"
                .into(),
            retry_after: failures::RETRY_AFTER_SECS,
        }),
        FhirFailure::Unavailable => Err(FhirError::Unavailable {
            message: "the FHIR server is unavailable; try again after Retry-After (simulated failure fhir_503)"
                .into(),
            retry_after: failures::RETRY_AFTER_SECS,
        }),
        FhirFailure::Gone => Err(FhirError::Gone(
            "this paging link has expired; run the search again from its first page (simulated failure next_link_expires)"
                .into(),
        )),
        other => Ok((Viewer::Token(access), Some(other))),
    }
}

/// The failures that still answer the request: late, or after revoking the grant.
fn simulate(
    req: &HttpRequest,
    viewer: Viewer,
    failure: FhirFailure,
) -> LocalBoxFuture<'static, Result<Viewer, FhirError>> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    Box::pin(async move {
        match (&failure, &viewer, state) {
            (FhirFailure::Slow, _, _) => {
                actix_web::rt::time::sleep(std::time::Duration::from_millis(
                    failures::SLOW_RESPONSE_MILLIS,
                ))
                .await;
            }
            (FhirFailure::AnswerThenRevoke, Viewer::Token(access), Some(state)) => {
                revoke_mid_session(state, access.clone()).await?;
            }
            _ => {}
        }
        Ok(viewer)
    })
}

/// `grant_revoked`: this request is answered, and the grant is revoked for real (its tokens
/// die, the connected-apps page no longer lists it, a refresh gets invalid_grant).
async fn revoke_mid_session(
    state: web::Data<AppState>,
    access: std::sync::Arc<Access>,
) -> Result<(), FhirError> {
    let now = state.clock.now().unix_timestamp();
    web::block(move || {
        state.auth.db.write(|tx| {
            tx.revoke_grant(&access.grant_id, now)?;
            tx.audit(&crate::audit::AuditRecord {
                at: now,
                event: "revoke".into(),
                outcome: "success".into(),
                client_id: Some(access.client_id.clone()),
                patient: Some(access.patient.clone()),
                detail: Some("simulated failure grant_revoked".into()),
                ..Default::default()
            })
        })
    })
    .await
    .map_err(internal)?
    .map_err(internal)
}
