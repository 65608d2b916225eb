//! Every FHIR interaction goes into the audit trail: who (the token's app and patient), what
//! (read, vread or search, the type, the query as sent), what it returned or included, and how
//! it ended. The record is queued for the store's background writer, so the request does not
//! wait for a commit.

use time::OffsetDateTime;

use super::Viewer;
use crate::audit::AuditRecord;
use crate::fhir::error::FhirError;
use crate::store::Store;

/// The `event` of a FHIR interaction's audit record.
pub const FHIR_EVENT: &str = "fhir";

/// One FHIR interaction, as the audit trail records it.
pub struct Interaction<'a> {
    /// The `restful-interaction` code: `read`, `vread`, `search-type`, `create`.
    pub interaction: &'static str,
    pub resource_type: &'a str,
    /// The parameters as sent (kept for searches only).
    pub params: &'a [(String, String)],
    /// The request id, so an event can be matched with the request log.
    pub request_id: Option<String>,
}

/// Queues the audit record of `interaction`: success with what it `touched` (`Type/id` of
/// each resource returned or included), or the refusal's issue code.
pub fn record_interaction(
    store: &Store,
    viewer: &Viewer,
    interaction: Interaction<'_>,
    result: Result<Vec<String>, &FhirError>,
    now: OffsetDateTime,
) {
    crate::audit::record(store, interaction_record(viewer, interaction, result, now));
}

/// The record `record_interaction` queues.
pub fn interaction_record(
    viewer: &Viewer,
    interaction: Interaction<'_>,
    result: Result<Vec<String>, &FhirError>,
    now: OffsetDateTime,
) -> AuditRecord {
    let (client_id, patient) = match viewer {
        Viewer::Open => (None, None),
        Viewer::Token(access) => (Some(access.client_id.clone()), Some(access.patient.clone())),
    };
    let query = interaction.interaction.starts_with("search").then(|| {
        // A token never belongs in the trail, even when a client puts one in the query.
        let kept: Vec<&(String, String)> = interaction
            .params
            .iter()
            .filter(|(k, _)| k != "access_token")
            .collect();
        serde_urlencoded::to_string(kept).unwrap_or_default()
    });
    let (outcome, touched, detail) = match result {
        Ok(touched) => ("success".to_string(), touched, None),
        Err(e) => (e.code().1.to_string(), Vec::new(), Some(e.to_string())),
    };
    AuditRecord {
        at: now.unix_timestamp(),
        event: FHIR_EVENT.into(),
        outcome,
        client_id,
        patient,
        detail,
        interaction: Some(interaction.interaction.into()),
        resource_type: Some(interaction.resource_type.into()),
        query,
        touched,
        request_id: interaction.request_id,
        ..AuditRecord::default()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::auth::{Access, ScopeSet};

    fn viewer() -> Viewer {
        Viewer::Token(Arc::new(Access {
            client_id: "app-a".into(),
            patient: "M1".into(),
            scopes: ScopeSet::parse("patient/*.read"),
            grant_id: "g".into(),
            issued_at: 0,
            failures: Default::default(),
            system: false,
        }))
    }

    #[test]
    fn a_search_keeps_its_query_without_a_token_and_what_it_returned() {
        let params = vec![
            ("type".to_string(), "pharmacy".to_string()),
            ("access_token".to_string(), "SECRET".to_string()),
        ];
        let record = interaction_record(
            &viewer(),
            Interaction {
                interaction: "search-type",
                resource_type: "ExplanationOfBenefit",
                params: &params,
                request_id: Some("r1".into()),
            },
            Ok(vec!["ExplanationOfBenefit/e1".into(), "Patient/M1".into()]),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(record.query.as_deref(), Some("type=pharmacy"));
        assert!(!serde_json::to_string(&record).unwrap().contains("SECRET"));
        assert_eq!(record.touched.len(), 2);
        assert_eq!(record.client_id.as_deref(), Some("app-a"));
        assert_eq!(record.patient.as_deref(), Some("M1"));
        assert_eq!(record.outcome, "success");
    }

    #[test]
    fn a_refusal_keeps_its_issue_code_and_touches_nothing() {
        let record = interaction_record(
            &viewer(),
            Interaction {
                interaction: "read",
                resource_type: "Patient",
                params: &[],
                request_id: None,
            },
            Err(&FhirError::NotFound {
                resource_type: "Patient".into(),
                id: "M2".into(),
            }),
            OffsetDateTime::UNIX_EPOCH,
        );
        assert_eq!(record.outcome, "not-found");
        assert!(record.touched.is_empty());
        assert_eq!(record.query, None);
    }
}
