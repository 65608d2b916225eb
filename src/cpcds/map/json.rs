//! Small builders for the FHIR datatypes the mappers emit.

use serde_json::{json, Map, Value};

use crate::fhir::codes::DATA_ABSENT_REASON_EXT;

pub fn coding(system: &str, code: &str) -> Value {
    json!({"system": system, "code": code})
}

pub fn coding_display(system: &str, code: &str, display: &str) -> Value {
    if display.is_empty() {
        coding(system, code)
    } else {
        json!({"system": system, "code": code, "display": display})
    }
}

/// A CodeableConcept with one coding.
pub fn concept(system: &str, code: &str) -> Value {
    json!({"coding": [coding(system, code)]})
}

pub fn concept_display(system: &str, code: &str, display: &str) -> Value {
    json!({"coding": [coding_display(system, code, display)]})
}

/// A CodeableConcept from several codings plus optional text.
pub fn concept_of(codings: Vec<Value>, text: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("coding".into(), Value::Array(codings));
    if let Some(t) = text.filter(|t| !t.is_empty()) {
        m.insert("text".into(), Value::String(t.to_string()));
    }
    Value::Object(m)
}

pub fn reference(resource_type: &str, id: &str) -> Value {
    json!({"reference": format!("{resource_type}/{id}")})
}

/// An element that is required but whose value the source does not have.
pub fn absent(reason: &str) -> Value {
    json!({"extension": [{"url": DATA_ABSENT_REASON_EXT, "valueCode": reason}]})
}

/// Builds a JSON object from `(key, value)` pairs, skipping `Null`s, empty arrays and empty
/// strings, so no mapper can emit an empty element (FHIR ele-1).
pub fn object(pairs: Vec<(&str, Value)>) -> Value {
    let mut m = Map::new();
    for (k, v) in pairs {
        if !is_empty(&v) {
            m.insert(k.to_string(), v);
        }
    }
    Value::Object(m)
}

pub fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

pub fn opt_str(s: Option<&str>) -> Value {
    s.map_or(Value::Null, |s| Value::String(s.to_string()))
}
