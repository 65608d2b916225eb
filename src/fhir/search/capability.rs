//! The server's CapabilityStatement, generated from the registry.
//!
//! Shape follows the C4BB 2.0.0 CapabilityStatement (`instantiates` it), as an R4 `instance`
//! statement. Expectations (`capabilitystatement-expectation`, the extension the IG itself uses)
//! are copied from the IG where the IG states one; parameters we add carry none. Empty arrays
//! are invalid in FHIR JSON, so `searchRevInclude` (we support none) and an empty
//! `searchInclude` are omitted rather than written as `[]`.

use serde_json::{json, Map, Value};

use super::registry::{self, Expectation, C4BB_CAPABILITY, C4BB_IG, C4BB_VERSION};

const EXPECTATION_URL: &str =
    "http://hl7.org/fhir/StructureDefinition/capabilitystatement-expectation";

fn expectation(e: Expectation) -> Value {
    json!([{ "url": EXPECTATION_URL, "valueCode": e.as_str() }])
}

fn with_expectation(mut v: Value, e: Option<Expectation>) -> Value {
    if let (Some(e), Some(obj)) = (e, v.as_object_mut()) {
        let mut out = Map::new();
        out.insert("extension".into(), expectation(e));
        out.append(obj);
        return Value::Object(out);
    }
    v
}

/// The Bulk Data 2.0 server CapabilityStatement this one instantiates.
pub const BULK_DATA_CAPABILITY: &str =
    "http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data";

/// The canonical OperationDefinition of a Bulk Data 2.0 export level.
fn bulk_operation(definition: &str, documentation: &str) -> Value {
    json!([{
        "name": "export",
        "definition": format!("http://hl7.org/fhir/uv/bulkdata/OperationDefinition/{definition}"),
        "documentation": documentation,
    }])
}

const BULK_DOC: &str = "Bulk Data 2.0 async export (Prefer: respond-async) for backend-services \
     (system/) tokens: _outputFormat (NDJSON), _since, _type, _typeFilter; status at \
     [base]/bulkstatus/[job], files at [base]/bulkfiles/[job]/[file] with the same token.";

fn resource_entry(r: &registry::ResourceDef) -> Value {
    // Groups are computed from the Coverages: one version, nothing to vread.
    let computed = r.resource_type == "Group";
    let mut interactions = vec![with_expectation(
        json!({"code": "read"}),
        Some(Expectation::Shall),
    )];
    if !computed {
        interactions.push(with_expectation(
            json!({"code": "vread"}),
            Some(Expectation::Should),
        ));
    }
    interactions.push(with_expectation(
        json!({"code": "search-type"}),
        Some(r.search_expectation),
    ));
    if r.resource_type == "Provenance" {
        // Clients may assert provenance (`patient/Provenance.c`).
        interactions.push(with_expectation(
            json!({"code": "create", "documentation": "Needs patient/Provenance.c (or .write); every target must be a resource the token can see."}),
            Some(Expectation::May),
        ));
    }
    let params: Vec<Value> = r
        .params
        .iter()
        .map(|p| {
            with_expectation(
                json!({
                    "name": p.code,
                    "definition": p.definition,
                    "type": p.param_type.as_str(),
                    "documentation": p.documentation,
                }),
                p.expectation,
            )
        })
        .collect();
    let mut entry = Map::new();
    entry.insert("type".into(), json!(r.resource_type));
    entry.insert(
        "profile".into(),
        json!(format!(
            "http://hl7.org/fhir/StructureDefinition/{}",
            r.resource_type
        )),
    );
    // FHIR arrays are never empty: a type without a C4BB profile has no supportedProfile.
    if !r.profiles.is_empty() {
        entry.insert(
            "supportedProfile".into(),
            r.profiles
                .iter()
                .map(|p| json!(format!("{p}|{C4BB_VERSION}")))
                .collect(),
        );
    }
    if let Some(doc) = r.documentation {
        entry.insert("documentation".into(), json!(doc));
    }
    if !matches!(r.resource_type, "AuditEvent" | "Provenance" | "Group") {
        // Every import writes Provenance for what it stored (US Core asks for this).
        entry.insert("searchRevInclude".into(), json!(["Provenance:target"]));
    }
    entry.insert("interaction".into(), Value::Array(interactions));
    entry.insert(
        "versioning".into(),
        json!(if computed { "no-version" } else { "versioned" }),
    );
    entry.insert("readHistory".into(), json!(false));
    entry.insert("updateCreate".into(), json!(false));
    entry.insert("referencePolicy".into(), json!(["resolves"]));
    let includes = r.include_values();
    if !includes.is_empty() {
        entry.insert("searchInclude".into(), json!(includes));
    }
    entry.insert("searchParam".into(), Value::Array(params));
    match r.resource_type {
        "Patient" => {
            entry.insert(
                "operation".into(),
                bulk_operation("patient-export", BULK_DOC),
            );
        }
        "Group" => {
            entry.insert("operation".into(), bulk_operation("group-export", BULK_DOC));
        }
        _ => {}
    }
    with_expectation(Value::Object(entry), Some(r.expectation))
}

/// The CapabilityStatement served at `[base]/metadata`. `date` is a FHIR dateTime (e.g. the
/// build or start time); `security` is the `rest[0].security` element (SMART), when known.
pub fn capability_statement(
    base_url: &str,
    software_version: &str,
    date: &str,
    security: Option<Value>,
) -> Value {
    let mut rest = Map::new();
    rest.insert("mode".into(), json!("server"));
    rest.insert(
        "documentation".into(),
        json!(
            "CARIN Blue Button 2.0.0 payer sandbox. Searches are GET (or POST _search with a \
             form body); a comma inside a value is OR, a repeated parameter AND. Unknown \
             parameters are ignored with a warning unless 'Prefer: handling=strict'. \
             _count defaults to and may not exceed 1000; _sort, _summary=count, _total and \
             _include / _include:iterate are supported."
        ),
    );
    if let Some(sec) = security {
        rest.insert("security".into(), sec);
    }
    rest.insert(
        "resource".into(),
        registry::RESOURCES.iter().map(resource_entry).collect(),
    );
    rest.insert("operation".into(), bulk_operation("export", BULK_DOC));
    json!({
        "resourceType": "CapabilityStatement",
        "id": "carin-sandbox",
        "name": "CarinSandboxCapabilityStatement",
        "title": "CARIN Blue Button sandbox server",
        "status": "active",
        "experimental": true,
        "date": date,
        "publisher": "carin-sandbox",
        "description": "Offline CARIN Blue Button 2.0.0 payer sandbox (C4BB server actor).",
        "kind": "instance",
        "instantiates": [C4BB_CAPABILITY, BULK_DATA_CAPABILITY],
        "software": { "name": "carin-sandbox", "version": software_version },
        "implementation": {
            "description": "CARIN Blue Button 2.0.0 payer sandbox",
            "url": base_url,
        },
        "fhirVersion": "4.0.1",
        "format": ["json", "application/fhir+json", "application/json"],
        "implementationGuide": [C4BB_IG],
        "rest": [Value::Object(rest)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cs() -> Value {
        capability_statement(
            "http://localhost:8080/fhir",
            "0.1.0",
            "2026-01-01T00:00:00Z",
            Some(json!({"description": "SMART"})),
        )
    }

    fn strings(v: &Value) -> Vec<&str> {
        v.as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn top_level() {
        let cs = cs();
        assert_eq!(cs["resourceType"], "CapabilityStatement");
        assert_eq!(cs["status"], "active");
        assert_eq!(cs["kind"], "instance");
        assert_eq!(cs["fhirVersion"], "4.0.1");
        assert_eq!(
            strings(&cs["instantiates"]),
            [C4BB_CAPABILITY, BULK_DATA_CAPABILITY]
        );
        assert_eq!(
            cs["rest"][0]["operation"][0]["definition"],
            "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
        );
        assert!(strings(&cs["format"]).contains(&"application/fhir+json"));
        assert_eq!(cs["implementation"]["url"], "http://localhost:8080/fhir");
        assert_eq!(cs["software"]["version"], "0.1.0");
        assert_eq!(cs["rest"][0]["mode"], "server");
        assert_eq!(cs["rest"][0]["security"]["description"], "SMART");
        let none = capability_statement("x", "y", "2026", None);
        assert!(none["rest"][0].get("security").is_none());
    }

    #[test]
    fn resources_follow_registry() {
        let cs = cs();
        let resources = cs["rest"][0]["resource"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let types: Vec<&str> = resources
            .iter()
            .filter_map(|r| r["type"].as_str())
            .collect();
        assert_eq!(
            types,
            [
                "Coverage",
                "ExplanationOfBenefit",
                "Organization",
                "Patient",
                "Practitioner",
                "RelatedPerson",
                "Provenance",
                "AuditEvent",
                "Group"
            ]
        );
        for r in &resources {
            let def = registry::resource(r["type"].as_str().unwrap_or_default());
            let Some(def) = def else {
                panic!("unknown type")
            };
            let names: Vec<&str> = r["searchParam"]
                .as_array()
                .map(|a| a.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            let want: Vec<&str> = def.params.iter().map(|p| p.code).collect();
            assert_eq!(names, want);
            assert_eq!(strings(&r["referencePolicy"]), ["resolves"]);
            let group = r["type"] == "Group";
            assert_eq!(
                r["versioning"],
                if group { "no-version" } else { "versioned" }
            );
            if matches!(
                r["type"].as_str(),
                Some("AuditEvent" | "Provenance" | "Group")
            ) {
                assert!(r.get("searchRevInclude").is_none());
            } else {
                assert_eq!(strings(&r["searchRevInclude"]), ["Provenance:target"]);
            }
            let codes: Vec<&str> = r["interaction"]
                .as_array()
                .map(|a| a.iter().filter_map(|i| i["code"].as_str()).collect())
                .unwrap_or_default();
            if r["type"] == "Provenance" {
                assert_eq!(codes, ["read", "vread", "search-type", "create"]);
            } else if group {
                assert_eq!(codes, ["read", "search-type"]);
                assert_eq!(
                    r["operation"][0]["definition"],
                    "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export"
                );
            } else {
                assert_eq!(codes, ["read", "vread", "search-type"]);
            }
            for p in strings(&r["supportedProfile"]) {
                assert!(p.ends_with("|2.0.0"), "{p}");
            }
        }
        let eob = &resources[1];
        assert_eq!(strings(&eob["supportedProfile"]).len(), 6);
        assert_eq!(strings(&eob["searchInclude"]).len(), 7);
        assert!(strings(&eob["searchInclude"]).contains(&"ExplanationOfBenefit:*"));
        assert_eq!(strings(&resources[0]["searchInclude"]), ["Coverage:payor"]);
        assert!(resources[3].get("searchInclude").is_none());
        let sd = eob["searchParam"]
            .as_array()
            .and_then(|a| a.iter().find(|p| p["name"] == "service-date"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(sd["type"], "date");
        assert_eq!(sd["extension"][0]["valueCode"], "SHALL");
        assert_eq!(
            sd["definition"],
            "http://hl7.org/fhir/us/carin-bb/SearchParameter/explanationofbenefit-service-date"
        );
        assert_eq!(eob["extension"][0]["url"], EXPECTATION_URL);
    }
}
