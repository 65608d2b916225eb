//! An audit trail entry as a FHIR R4 AuditEvent, in the shape of IHE's Basic Audit Log
//! Patterns (BALP): FHIR interactions are `rest` events with the restful-interaction as
//! subtype (read and vread are action R, searches E, creates C); authorization events are
//! DICOM User Authentication (110114) or, for revocations, Security Alert (113). The app is
//! an agent named by its client id, the beneficiary a user agent (`Patient/…`); the patient,
//! the query (base64 of the parameters as sent) and every resource returned or included are
//! entities. Nothing here is secret: the trail never holds a token.

use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::audit::AuditEntry;

/// The id of the app's agent identifier (client ids of this server).
pub const CLIENT_ID_SYSTEM: &str = "urn:carin-sandbox:client-id";
/// The beneficiary's login name (`agent.altId`'s meaning).
const AUTH_EVENT_SYSTEM: &str = "urn:carin-sandbox:auth-event";
const AUDIT_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const DICOM: &str = "http://dicom.nema.org/resources/ontology/DCM";
const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const EXTRA_SECURITY_ROLE: &str = "http://terminology.hl7.org/CodeSystem/extra-security-role-type";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";
const PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const BALP_ENTITY_TYPE: &str = "https://profiles.ihe.net/ITI/BALP/CodeSystem/BasicAuditEntityType";
/// What `source.observer` names: this server.
pub const OBSERVER: &str = "CARIN Blue Button sandbox";

/// The AuditEvent for the trail entry stored under `key` (its id).
pub fn audit_event(key: &str, entry: &AuditEntry) -> Value {
    let r = &entry.record;
    let recorded = instant(r.at);
    let last = instant(entry.last_at.unwrap_or(r.at).max(r.at));
    let fhir = r.interaction.is_some();
    let mut event = Map::new();
    event.insert("resourceType".into(), json!("AuditEvent"));
    event.insert("id".into(), json!(key));
    event.insert(
        "meta".into(),
        json!({"versionId": entry.count.to_string(), "lastUpdated": last}),
    );
    let (type_coding, subtype, action) = classify(r);
    event.insert("type".into(), type_coding);
    event.insert("subtype".into(), json!([subtype]));
    event.insert("action".into(), json!(action));
    if entry.count > 1 {
        event.insert("period".into(), json!({"start": recorded, "end": last}));
    }
    event.insert("recorded".into(), json!(recorded));
    event.insert("outcome".into(), json!(outcome_code(&r.outcome)));
    if r.outcome != "success" {
        let mut desc = r.outcome.clone();
        if let Some(detail) = &r.detail {
            desc = format!("{desc}: {detail}");
        }
        if entry.count > 1 {
            desc = format!("{desc} ({} times)", entry.count);
        }
        event.insert("outcomeDesc".into(), json!(desc));
    }
    event.insert("agent".into(), Value::Array(agents(r)));
    event.insert(
        "source".into(),
        json!({
            "site": "carin-sandbox",
            "observer": {"display": OBSERVER},
            "type": [{
                "system": SOURCE_TYPE,
                "code": if fhir { "4" } else { "6" },
                "display": if fhir { "Application Server" } else { "Security Server" },
            }],
        }),
    );
    let entities = entities(r);
    if !entities.is_empty() {
        event.insert("entity".into(), Value::Array(entities));
    }
    Value::Object(event)
}

/// `type`, `subtype` and `action` of an entry.
fn classify(r: &crate::audit::AuditRecord) -> (Value, Value, &'static str) {
    if let Some(interaction) = &r.interaction {
        let action = match interaction.as_str() {
            "read" | "vread" => "R",
            "create" => "C",
            _ => "E",
        };
        return (
            json!({"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "Restful Operation"}),
            json!({"system": RESTFUL_INTERACTION, "code": interaction}),
            action,
        );
    }
    let (code, display) = match r.event.as_str() {
        "revoke" | "revoke-app" | "grant-revoked" => ("110113", "Security Alert"),
        "import" => ("110107", "Import"),
        "export" => ("110106", "Export"),
        _ => ("110114", "User Authentication"),
    };
    (
        json!({"system": DICOM, "code": code, "display": display}),
        json!({"system": AUTH_EVENT_SYSTEM, "code": r.event}),
        "E",
    )
}

/// `0` success, `8` serious failure (the server's own), `4` minor failure (a refusal).
fn outcome_code(outcome: &str) -> &'static str {
    match outcome {
        "success" => "0",
        "exception" | "server_error" | "temporarily_unavailable" => "8",
        _ => "4",
    }
}

/// The DICOM roles of the app and of this server in a FHIR interaction (BALP): data read flows
/// from the server (source) to the app (destination); a query or a create flows from the app
/// to the server. `None` for the other events.
fn roles(r: &crate::audit::AuditRecord) -> Option<(Value, Value)> {
    let source = json!({"system": DICOM, "code": "110153", "display": "Source Role ID"});
    let destination = json!({"system": DICOM, "code": "110152", "display": "Destination Role ID"});
    match r.interaction.as_deref()? {
        "read" | "vread" => Some((destination, source)),
        _ => Some((source, destination)),
    }
}

fn agents(r: &crate::audit::AuditRecord) -> Vec<Value> {
    let mut agents = Vec::new();
    let roles = roles(r);
    if let Some(client_id) = &r.client_id {
        // BALP's OAuth client (110150 Application, named by client id), with its role in the
        // data flow when this is a FHIR interaction.
        let mut coding = vec![json!({"system": DICOM, "code": "110150", "display": "Application"})];
        if let Some((app, _)) = &roles {
            coding.push(app.clone());
        }
        agents.push(json!({
            "type": {"coding": coding},
            "who": {"identifier": {"system": CLIENT_ID_SYSTEM, "value": client_id}},
            "altId": client_id,
            "requestor": true,
        }));
    }
    if r.patient.is_some() || r.user.is_some() {
        let mut user = Map::new();
        user.insert(
            "type".into(),
            json!({"coding": [{"system": PARTICIPATION, "code": "IRCP", "display": "information recipient"}]}),
        );
        if let Some(patient) = &r.patient {
            user.insert(
                "who".into(),
                json!({"reference": format!("Patient/{patient}")}),
            );
        }
        if let Some(login) = &r.user {
            user.insert("altId".into(), json!(login));
        }
        user.insert("requestor".into(), json!(true));
        agents.push(Value::Object(user));
    }
    if agents.is_empty() {
        // The operator's commands, or someone unidentified (an unknown client, a failed
        // sign-in without a name).
        let name = if matches!(r.event.as_str(), "import" | "export") {
            "operator (carin-sandbox command line)"
        } else {
            "unidentified requester"
        };
        agents.push(json!({"name": name, "requestor": true}));
    }
    // This server: its role in the data flow, or, for authorization events, the OAuth
    // authorization server (BALP's IUA shapes).
    let server = match &roles {
        Some((_, server)) => server.clone(),
        None if !matches!(r.event.as_str(), "import" | "export") => json!({
            "system": EXTRA_SECURITY_ROLE,
            "code": "authserver",
            "display": "authorization server",
        }),
        _ => json!({"system": DICOM, "code": "110153", "display": "Source Role ID"}),
    };
    agents.push(json!({
        "type": {"coding": [server]},
        "who": {"display": OBSERVER},
        "requestor": false,
    }));
    agents
}

fn entities(r: &crate::audit::AuditRecord) -> Vec<Value> {
    let mut out = Vec::new();
    if let Some(patient) = &r.patient {
        out.push(json!({
            "what": {"reference": format!("Patient/{patient}")},
            "type": {"system": ENTITY_TYPE, "code": "1", "display": "Person"},
            "role": {"system": OBJECT_ROLE, "code": "1", "display": "Patient"},
        }));
    }
    if let Some(query) = &r.query {
        let ty = r.resource_type.as_deref().unwrap_or_default();
        let description = if query.is_empty() {
            ty.to_string()
        } else {
            format!("{ty}?{query}")
        };
        out.push(json!({
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "24", "display": "Query"},
            "description": description,
            "query": base64::engine::general_purpose::STANDARD.encode(query.as_bytes()),
        }));
    }
    for touched in &r.touched {
        let ty = touched.split('/').next().unwrap_or_default();
        // BALP's data entity: a system object in the role of a domain resource, named by
        // `what` (its resource type is the reference's first part).
        out.push(json!({
            "what": {"reference": touched, "type": ty},
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "4", "display": "Domain Resource"},
        }));
    }
    if r.interaction.is_none() && (r.scopes.is_some() || r.detail.is_some()) {
        // An authorization event: what was asked for, as details of a security object.
        let mut detail = Vec::new();
        if let Some(scopes) = &r.scopes {
            detail.push(json!({"type": "scope", "valueString": scopes}));
        }
        if let Some(text) = &r.detail {
            detail.push(json!({"type": "detail", "valueString": text}));
        }
        out.push(json!({
            "type": {"system": ENTITY_TYPE, "code": "2", "display": "System Object"},
            "role": {"system": OBJECT_ROLE, "code": "13", "display": "Security Resource"},
            "name": r.event,
            "detail": detail,
        }));
    }
    if let Some(request_id) = &r.request_id {
        out.push(json!({
            "what": {"identifier": {"value": request_id}},
            "type": {"system": BALP_ENTITY_TYPE, "code": "XrequestId"},
        }));
    }
    out
}

fn instant(at: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(at)
        .map(crate::clock::fhir_instant)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AuditEntry, AuditRecord};

    fn entry(record: AuditRecord) -> AuditEntry {
        AuditEntry {
            record,
            count: 1,
            last_at: None,
        }
    }

    #[test]
    fn a_search_is_a_rest_query_with_its_patient_query_and_results() {
        let event = audit_event(
            "00000000001700000000-0123456789abcdef",
            &entry(AuditRecord {
                at: 1_700_000_000,
                event: "fhir".into(),
                outcome: "success".into(),
                client_id: Some("app-a".into()),
                patient: Some("M1".into()),
                interaction: Some("search-type".into()),
                resource_type: Some("ExplanationOfBenefit".into()),
                query: Some("type=pharmacy".into()),
                touched: vec!["ExplanationOfBenefit/e1".into(), "Patient/M1".into()],
                ..AuditRecord::default()
            }),
        );
        assert_eq!(event["type"]["code"], "rest");
        assert_eq!(event["subtype"][0]["code"], "search-type");
        assert_eq!(event["action"], "E");
        assert_eq!(event["outcome"], "0");
        assert_eq!(event["recorded"], "2023-11-14T22:13:20.000+00:00");
        assert_eq!(event["agent"][0]["who"]["identifier"]["value"], "app-a");
        assert_eq!(event["agent"][1]["who"]["reference"], "Patient/M1");
        let entities = event["entity"].as_array().unwrap();
        assert_eq!(entities[0]["what"]["reference"], "Patient/M1");
        assert_eq!(entities[1]["query"], "dHlwZT1waGFybWFjeQ==");
        assert!(entities[1].get("name").is_none(), "sev-1: name or query");
        assert_eq!(entities[2]["what"]["reference"], "ExplanationOfBenefit/e1");
        assert_eq!(entities[2]["type"]["code"], "2", "BALP: a system object");
        assert_eq!(entities.len(), 4);
        // BALP Query: the app is the source of the query, this server its destination.
        let app_roles = &event["agent"][0]["type"]["coding"];
        assert_eq!(app_roles[0]["code"], "110150");
        assert_eq!(app_roles[1]["code"], "110153");
        assert_eq!(event["agent"][2]["type"]["coding"][0]["code"], "110152");
        assert_eq!(event["agent"][2]["requestor"], false);
    }

    #[test]
    fn a_read_flows_from_this_server_to_the_app() {
        let event = audit_event(
            "k",
            &entry(AuditRecord {
                at: 1,
                event: "fhir".into(),
                outcome: "success".into(),
                client_id: Some("app-a".into()),
                patient: Some("M1".into()),
                interaction: Some("read".into()),
                touched: vec!["Patient/M1".into()],
                ..AuditRecord::default()
            }),
        );
        assert_eq!(event["action"], "R");
        assert_eq!(event["agent"][0]["type"]["coding"][1]["code"], "110152");
        assert_eq!(event["agent"][2]["type"]["coding"][0]["code"], "110153");
    }

    #[test]
    fn a_folded_refusal_says_how_often_and_when() {
        let mut e = entry(AuditRecord {
            at: 100,
            event: "token".into(),
            outcome: "invalid_client".into(),
            client_id: Some("app-a".into()),
            ..AuditRecord::default()
        });
        e.count = 3;
        e.last_at = Some(160);
        let event = audit_event("k", &e);
        assert_eq!(event["type"]["code"], "110114");
        // The authorization server observed it.
        assert_eq!(event["agent"][1]["type"]["coding"][0]["code"], "authserver");
        assert_eq!(event["subtype"][0]["code"], "token");
        assert_eq!(event["outcome"], "4");
        assert_eq!(event["period"]["end"], "1970-01-01T00:02:40.000+00:00");
        assert!(event["outcomeDesc"].as_str().unwrap().contains("(3 times)"));
    }
}
