//! The shapes of what the server emits beside the C4BB resources: FHIR R4 AuditEvent (with the
//! `sev-1` invariant) and Provenance (R4 plus US Core Provenance's transmitter slice).

use serde_json::Value;

use super::json::{card_list, card_one, child, get_str, idx, list, prim, Prim, Report};

const AUDIT_ACTIONS: &[&str] = &["C", "R", "U", "D", "E"];
const AUDIT_OUTCOMES: &[&str] = &["0", "4", "8", "12"];
const NETWORK_TYPES: &[&str] = &["1", "2", "3", "4", "5"];
const ENTITY_ROLES: &[&str] = &["derivation", "revision", "quotation", "source", "removal"];
/// US Core Provenance's transmitter slice pattern (US Core 3.1.1 through 8.0.0).
pub const US_CORE_PARTICIPANT: &str =
    "http://hl7.org/fhir/us/core/CodeSystem/us-core-provenance-participant-type";

/// A required `code` element with a closed list of values.
fn code(r: &mut Report, obj: &Value, base: &str, key: &str, allowed: &[&str], required: bool) {
    card_one(r, obj, base, key, required);
    if let Some(v) = obj.get(key) {
        match v.as_str() {
            Some(c) if allowed.contains(&c) => {}
            _ => r.err(
                &child(base, key),
                "binding",
                format!("'{v}' is not one of {allowed:?} (required binding)"),
            ),
        }
    }
}

/// A Coding: an object with a code or a system.
fn coding(r: &mut Report, v: &Value, path: &str) {
    if !v.is_object() || (get_str(v, "code").is_none() && get_str(v, "system").is_none()) {
        r.err(path, "datatype", "a Coding needs a system or a code");
    }
}

/// A Reference: an object with a reference, an identifier or a display.
fn reference(r: &mut Report, v: &Value, path: &str) {
    let ok = v.is_object()
        && (get_str(v, "reference").is_some()
            || v.get("identifier").is_some()
            || get_str(v, "display").is_some());
    if !ok {
        r.err(
            path,
            "datatype",
            "a Reference needs a reference, an identifier or a display",
        );
    }
}

/// FHIR R4 AuditEvent.
pub fn audit_event(r: &mut Report, res: &Value, base: &str) {
    card_one(r, res, base, "type", true);
    if let Some(t) = res.get("type") {
        coding(r, t, &child(base, "type"));
    }
    for (i, s) in list(res, "subtype").iter().enumerate() {
        coding(r, s, &idx(base, "subtype", i));
    }
    code(r, res, base, "action", AUDIT_ACTIONS, false);
    code(r, res, base, "outcome", AUDIT_OUTCOMES, false);
    card_one(r, res, base, "recorded", true);
    prim(r, res, base, "recorded", Prim::Instant);
    card_list(r, res, base, "agent", 1, None);
    for (i, agent) in list(res, "agent").iter().enumerate() {
        let path = idx(base, "agent", i);
        card_one(r, agent, &path, "requestor", true);
        prim(r, agent, &path, "requestor", Prim::Bool);
        if let Some(who) = agent.get("who") {
            reference(r, who, &child(&path, "who"));
        }
        if let Some(network) = agent.get("network") {
            code(
                r,
                network,
                &child(&path, "network"),
                "type",
                NETWORK_TYPES,
                false,
            );
        }
    }
    card_one(r, res, base, "source", true);
    if let Some(source) = res.get("source") {
        let path = child(base, "source");
        card_one(r, source, &path, "observer", true);
        if let Some(observer) = source.get("observer") {
            reference(r, observer, &child(&path, "observer"));
        }
    }
    for (i, entity) in list(res, "entity").iter().enumerate() {
        let path = idx(base, "entity", i);
        if entity.get("name").is_some() && entity.get("query").is_some() {
            r.err(&path, "sev-1", "name and query cannot both be present");
        }
        if let Some(what) = entity.get("what") {
            reference(r, what, &child(&path, "what"));
        }
        for key in ["type", "role"] {
            if let Some(c) = entity.get(key) {
                coding(r, c, &child(&path, key));
            }
        }
        for (j, detail) in list(entity, "detail").iter().enumerate() {
            let dpath = idx(&path, "detail", j);
            card_one(r, detail, &dpath, "type", true);
            if detail.get("valueString").is_none() && detail.get("valueBase64Binary").is_none() {
                r.err(&dpath, "cardinality", "value[x] is required (1..1)");
            }
        }
    }
}

/// FHIR R4 Provenance, and US Core Provenance: a target's reference, `recorded`, an agent
/// whose `type` says what it did (a transmitter uses the US Core code system).
pub fn provenance(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "target", 1, None);
    for (i, target) in list(res, "target").iter().enumerate() {
        let path = idx(base, "target", i);
        if get_str(target, "reference").is_none() {
            r.err(
                &path,
                "us-core-provenance",
                "target.reference is Must Support and this server always has it",
            );
        }
    }
    card_one(r, res, base, "recorded", true);
    prim(r, res, base, "recorded", Prim::Instant);
    card_list(r, res, base, "agent", 1, None);
    for (i, agent) in list(res, "agent").iter().enumerate() {
        let path = idx(base, "agent", i);
        card_one(r, agent, &path, "who", true);
        if let Some(who) = agent.get("who") {
            reference(r, who, &child(&path, "who"));
        }
        let codings = agent
            .get("type")
            .map(|t| list(t, "coding"))
            .unwrap_or_default();
        for (j, c) in codings.iter().enumerate() {
            let cpath = format!("{path}.type.coding[{j}]");
            if get_str(c, "code") == Some("transmitter")
                && get_str(c, "system") != Some(US_CORE_PARTICIPANT)
            {
                r.err(
                    &cpath,
                    "pattern",
                    format!("a transmitter is {US_CORE_PARTICIPANT}#transmitter"),
                );
            }
        }
    }
    for (i, entity) in list(res, "entity").iter().enumerate() {
        let path = idx(base, "entity", i);
        code(r, entity, &path, "role", ENTITY_ROLES, true);
        card_one(r, entity, &path, "what", true);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::validate::{has_errors, validate_resource};

    #[test]
    fn an_audit_event_needs_its_parts_and_keeps_sev_1() {
        let mut event = json!({
            "resourceType": "AuditEvent",
            "id": "a1",
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
            "action": "R",
            "recorded": "2026-01-01T00:00:00Z",
            "outcome": "0",
            "agent": [{"who": {"reference": "Patient/M1"}, "requestor": true}],
            "source": {"observer": {"display": "x"}},
            "entity": [{"query": "eD0x"}],
        });
        assert!(
            !has_errors(&validate_resource(&event)),
            "{:?}",
            validate_resource(&event)
        );
        event["entity"][0]["name"] = json!("both");
        event["action"] = json!("X");
        event.as_object_mut().unwrap().remove("recorded");
        let rules: Vec<&str> = validate_resource(&event).iter().map(|i| i.rule).collect();
        assert!(rules.contains(&"sev-1"), "{rules:?}");
        assert!(rules.contains(&"binding"), "{rules:?}");
        assert!(rules.contains(&"cardinality"), "{rules:?}");
    }

    #[test]
    fn emitted_audit_events_and_provenances_pass() {
        use crate::audit::{AuditEntry, AuditRecord};
        use crate::fhir::provenance::{import_provenance, ImportProvenance};
        let p = ImportProvenance {
            targets: vec!["Patient/M1/_history/1".into()],
            files: vec!["CPCDS_Members.csv".into()],
            payer: None,
        };
        let v = import_provenance("imp-1-M1", &p, "2026-01-01T00:00:00Z");
        assert!(
            !has_errors(&validate_resource(&v)),
            "{:?}",
            validate_resource(&v)
        );
        for (event, interaction) in [("fhir", Some("search-type")), ("token", None)] {
            let entry = AuditEntry {
                record: AuditRecord {
                    at: 1,
                    event: event.into(),
                    outcome: "invalid_grant".into(),
                    client_id: Some("c".into()),
                    user: Some("BBUser00001".into()),
                    patient: Some("M1".into()),
                    scopes: Some("openid".into()),
                    detail: Some("why".into()),
                    interaction: interaction.map(str::to_string),
                    resource_type: Some("Coverage".into()),
                    query: interaction.map(|_| "a=b".to_string()),
                    touched: vec!["Coverage/c1".into()],
                    request_id: Some("r".into()),
                },
                count: 2,
                last_at: Some(5),
            };
            let e = crate::fhir::audit_event::audit_event(
                "00000000000000000001-0123456789abcdef",
                &entry,
            );
            assert!(
                !has_errors(&validate_resource(&e)),
                "{:?}\n{e}",
                validate_resource(&e)
            );
        }
    }
}
