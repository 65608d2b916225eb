//! The FHIR face's errors as OperationOutcomes with the right status.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};

use super::FHIR_JSON;
use crate::fhir::error::FhirError;

impl ResponseError for FhirError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.code().0).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(FHIR_JSON);
        match self {
            FhirError::Unauthorized(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, r#"Bearer error="invalid_token""#));
            }
            FhirError::MethodNotAllowed { allow, .. } => {
                response.insert_header((header::ALLOW, *allow));
            }
            FhirError::TooManyRequests { retry_after, .. }
            | FhirError::Unavailable { retry_after, .. } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            _ => {}
        }
        let id = super::request_id::current();
        response.body(self.outcome_for_request(id.as_deref()).to_string())
    }
}
