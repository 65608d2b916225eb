//! The FHIR face's one error type, rendered as an OperationOutcome by `http::error`.

use serde_json::{json, Value};

use crate::fhir::search::SearchError;

#[derive(Debug, thiserror::Error)]
pub enum FhirError {
    #[error("{0} is not a resource type this server supports")]
    UnsupportedType(String),
    #[error("{resource_type}/{id} is not known")]
    NotFound { resource_type: String, id: String },
    #[error("{resource_type}/{id} has no version {version}")]
    VersionNotFound {
        resource_type: String,
        id: String,
        version: String,
    },
    #[error("{}", .0.message)]
    Search(SearchError),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// The cause is in the server log, under the request's id (see `api::internal`).
    #[error("the server could not complete the request")]
    Internal,
    #[error("{method} is not supported here; this URL answers {allow}")]
    MethodNotAllowed { method: String, allow: &'static str },
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    /// 429 with `Retry-After` (seconds).
    #[error("{message}")]
    TooManyRequests { message: String, retry_after: u32 },
    /// 503 with `Retry-After` (seconds).
    #[error("{message}")]
    Unavailable { message: String, retry_after: u32 },
    /// 410: what the URL named is no longer there (an expired paging link).
    #[error("{0}")]
    Gone(String),
    /// A request body that is not a resource at all (not JSON, wrong type).
    #[error("{0}")]
    Invalid(String),
    /// A resource that breaks its rules (validation, a target the caller cannot see).
    #[error("{0}")]
    Unprocessable(String),
    /// 400: a request the operation cannot take as sent (a bulk export's parameters, headers).
    #[error("{0}")]
    BadRequest(String),
    /// 500 with a cause the client may read: a bulk export that failed (not a server fault
    /// hidden behind a request id, as [`FhirError::Internal`] is).
    #[error("{0}")]
    ExportFailed(String),
}

/// OperationOutcome issue codes (http://hl7.org/fhir/issue-type) used here.
impl FhirError {
    /// HTTP status and issue type, from one table.
    pub fn code(&self) -> (u16, &'static str) {
        match self {
            FhirError::UnsupportedType(_) => (404, "not-supported"),
            FhirError::NotFound { .. } | FhirError::VersionNotFound { .. } => (404, "not-found"),
            FhirError::Search(_) => (400, "invalid"),
            FhirError::NotAcceptable(_) => (406, "not-supported"),
            FhirError::Unauthorized(_) => (401, "login"),
            FhirError::Forbidden(_) => (403, "forbidden"),
            FhirError::Internal => (500, "exception"),
            FhirError::MethodNotAllowed { .. } => (405, "not-supported"),
            FhirError::BodyTimeout => (408, "timeout"),
            FhirError::TooManyRequests { .. } => (429, "throttled"),
            FhirError::Unavailable { .. } => (503, "transient"),
            FhirError::Gone(_) => (410, "not-found"),
            FhirError::Invalid(_) => (400, "structure"),
            FhirError::Unprocessable(_) => (422, "processing"),
            FhirError::BadRequest(_) => (400, "invalid"),
            FhirError::ExportFailed(_) => (500, "exception"),
        }
    }

    pub fn outcome(&self) -> Value {
        let (_, code) = self.code();
        let mut issue = json!({"severity": "error", "code": code, "diagnostics": self.to_string()});
        if let FhirError::Search(e) = self {
            issue["details"] = json!({"text": e.code.to_string()});
            issue["expression"] = json!([e.param]);
        }
        json!({"resourceType": "OperationOutcome", "issue": [issue]})
    }

    /// The OperationOutcome for one request: its id is the request id (the `X-Request-Id`
    /// response header), which an internal error also names as the reference to quote.
    pub fn outcome_for_request(&self, request_id: Option<&str>) -> Value {
        let mut outcome = self.outcome();
        if let Some(id) = request_id {
            outcome["id"] = json!(id);
            if let FhirError::Internal = self {
                outcome["issue"][0]["diagnostics"] = json!(format!(
                    "the server could not complete the request (request id {id})"
                ));
            }
        }
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_names_its_request_and_a_500_quotes_it_instead_of_a_counter() {
        let internal = FhirError::Internal.outcome_for_request(Some("ab12-7"));
        assert_eq!(internal["id"], "ab12-7");
        let diagnostics = internal["issue"][0]["diagnostics"].as_str().unwrap();
        assert!(
            diagnostics.ends_with("(request id ab12-7)"),
            "{diagnostics}"
        );
        let not_found = FhirError::UnsupportedType("X".into()).outcome_for_request(Some("ab12-8"));
        assert_eq!(not_found["id"], "ab12-8");
        assert_eq!(not_found["issue"][0]["code"], "not-supported");
    }
}
