//! The shapes of what the server emits beside the C4BB resources: FHIR R4 AuditEvent (with the
//! `sev-1` invariant) and Provenance (R4 plus US Core Provenance's transmitter slice).

use serde_json::Value;

use super::json::{card_list, card_one, child, get_str, idx, list, prim, Prim, Report};

const AUDIT_ACTIONS: &[&str] = &["C", "R", "U", "D", "E"];
const AUDIT_OUTCOMES: &[&str] = &["0", "4", "8", "12"];
const NETWORK_TYPES: &[&str] = &["1", "2", "3", "4", "5"];
const ENTITY_ROLES: &[&str] = &["derivation", "revision", "quotation", "source", "removal"];
/// The code systems of an AuditEvent's codes this checker knows (its own copies, as in
/// `codes.rs`: an independent reading of the spec), with the codes each allows.
const AUDIT_EVENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-event-type";
const RESTFUL_INTERACTION: &str = "http://hl7.org/fhir/restful-interaction";
const RESTFUL_INTERACTIONS: &[&str] = &[
    "read",
    "vread",
    "update",
    "patch",
    "delete",
    "history",
    "history-instance",
    "history-type",
    "history-system",
    "create",
    "search",
    "search-type",
    "search-system",
    "capabilities",
    "transaction",
    "batch",
    "operation",
];
const OBJECT_ROLE: &str = "http://terminology.hl7.org/CodeSystem/object-role";
const ENTITY_TYPE: &str = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
const SOURCE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/security-source-type";

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

/// A Coding of `system` must carry one of `codes` (numbers `1..=n` when `codes` is empty).
fn known_code(r: &mut Report, v: &Value, path: &str, system: &str, codes: &[&str], n: u32) {
    if get_str(v, "system") != Some(system) {
        return;
    }
    let code = get_str(v, "code").unwrap_or_default();
    let known = if codes.is_empty() {
        code.parse::<u32>().is_ok_and(|c| (1..=n).contains(&c))
    } else {
        codes.contains(&code)
    };
    if !known {
        r.err(
            &child(path, "code"),
            "binding",
            format!("'{code}' is not a code of {system}"),
        );
    }
}

/// A CodeableConcept: an object whose `coding`s are Codings.
fn codeable_concept(r: &mut Report, v: &Value, path: &str) {
    if !v.is_object() {
        r.err(path, "datatype", "a CodeableConcept is an object");
        return;
    }
    for (i, c) in list(v, "coding").iter().enumerate() {
        coding(r, c, &idx(path, "coding", i));
    }
}

/// The action BALP gives each RESTful interaction: reads R, creates C, searches E.
fn balp_action(interaction: &str) -> Option<&'static str> {
    match interaction {
        "read" | "vread" => Some("R"),
        "create" => Some("C"),
        "search" | "search-type" | "search-system" => Some("E"),
        _ => None,
    }
}

/// FHIR R4 AuditEvent.
pub fn audit_event(r: &mut Report, res: &Value, base: &str) {
    card_one(r, res, base, "type", true);
    if let Some(t) = res.get("type") {
        let path = child(base, "type");
        coding(r, t, &path);
        known_code(r, t, &path, AUDIT_EVENT_TYPE, &["rest"], 0);
    }
    for (i, s) in list(res, "subtype").iter().enumerate() {
        let path = idx(base, "subtype", i);
        coding(r, s, &path);
        known_code(r, s, &path, RESTFUL_INTERACTION, RESTFUL_INTERACTIONS, 0);
        let want = (get_str(s, "system") == Some(RESTFUL_INTERACTION))
            .then(|| get_str(s, "code").and_then(balp_action))
            .flatten();
        if let (Some(want), Some(action)) = (want, get_str(res, "action")) {
            if want != action {
                r.err(
                    &child(base, "action"),
                    "balp",
                    format!(
                        "a {} is action {want}, not {action}",
                        get_str(s, "code").unwrap_or_default()
                    ),
                );
            }
        }
    }
    code(r, res, base, "action", AUDIT_ACTIONS, false);
    code(r, res, base, "outcome", AUDIT_OUTCOMES, false);
    card_one(r, res, base, "recorded", true);
    prim(r, res, base, "recorded", Prim::Instant);
    card_list(r, res, base, "agent", 1, None);
    for (i, agent) in list(res, "agent").iter().enumerate() {
        let path = idx(base, "agent", i);
        card_one(r, agent, &path, "requestor", true);
        if let Some(t) = agent.get("type") {
            codeable_concept(r, t, &child(&path, "type"));
        }
        for (j, role) in list(agent, "role").iter().enumerate() {
            codeable_concept(r, role, &idx(&path, "role", j));
        }
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
        for (i, t) in list(source, "type").iter().enumerate() {
            let tpath = idx(&path, "type", i);
            coding(r, t, &tpath);
            known_code(r, t, &tpath, SOURCE_TYPE, &[], 9);
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
        if let Some(t) = entity.get("type") {
            known_code(r, t, &child(&path, "type"), ENTITY_TYPE, &[], 4);
        }
        if let Some(role) = entity.get("role") {
            known_code(r, role, &child(&path, "role"), OBJECT_ROLE, &[], 24);
        }
        if let Some(query) = entity.get("query") {
            use base64::Engine as _;
            let decodes = query
                .as_str()
                .is_some_and(|q| base64::engine::general_purpose::STANDARD.decode(q).is_ok());
            if !decodes {
                r.err(&child(&path, "query"), "datatype", "query is base64Binary");
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
    fn an_audit_event_uses_known_codes_and_balp_actions() {
        let good = json!({
            "resourceType": "AuditEvent",
            "id": "a2",
            "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-event-type", "code": "rest"},
            "subtype": [{"system": "http://hl7.org/fhir/restful-interaction", "code": "search-type"}],
            "action": "E",
            "recorded": "2026-01-01T00:00:00Z",
            "agent": [{"type": {"coding": [{"system": "http://dicom.nema.org/resources/ontology/DCM", "code": "110150"}]}, "who": {"identifier": {"value": "app"}}, "requestor": true}],
            "source": {"observer": {"display": "x"}, "type": [{"system": "http://terminology.hl7.org/CodeSystem/security-source-type", "code": "4"}]},
            "entity": [{"query": "eD0x", "type": {"system": "http://terminology.hl7.org/CodeSystem/audit-entity-type", "code": "2"}, "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "24"}}],
        });
        assert!(
            !has_errors(&validate_resource(&good)),
            "{:?}",
            validate_resource(&good)
        );
        let broken = |edit: &dyn Fn(&mut serde_json::Value), rule: &str| {
            let mut e = good.clone();
            edit(&mut e);
            let rules: Vec<&str> = validate_resource(&e).iter().map(|i| i.rule).collect();
            assert!(rules.contains(&rule), "{rule}: {rules:?}\n{e}");
        };
        broken(&|e| e["type"]["code"] = json!("resty"), "binding");
        broken(&|e| e["subtype"][0]["code"] = json!("peek"), "binding");
        broken(&|e| e["action"] = json!("R"), "balp");
        broken(&|e| e["entity"][0]["role"]["code"] = json!("25"), "binding");
        broken(&|e| e["entity"][0]["type"]["code"] = json!("9"), "binding");
        broken(&|e| e["source"]["type"][0]["code"] = json!("10"), "binding");
        broken(
            &|e| e["entity"][0]["query"] = json!("not base64!"),
            "datatype",
        );
        broken(&|e| e["agent"][0]["type"] = json!("110150"), "datatype");
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
        let kinds = [
            ("fhir", Some("search-type")),
            ("fhir", Some("read")),
            ("fhir", Some("vread")),
            ("fhir", Some("create")),
            ("login", None),
            ("consent", None),
            ("token", None),
            ("refresh", None),
            ("revoke", None),
            ("import", None),
            ("export", None),
        ];
        for (event, interaction) in kinds {
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
