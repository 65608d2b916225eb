//! `supportingInfo` entries, numbered as they are added.

use serde_json::{json, Map, Value};

use crate::cpcds::map::json::{absent, concept};
use crate::fhir::codes;

#[derive(Default)]
pub struct Support {
    entries: Vec<Value>,
}

impl Support {
    /// Adds an entry of category `code` with the given value members; returns its sequence.
    pub fn add(&mut self, code: &str, members: Vec<(&str, Value)>) -> u32 {
        let sequence = u32::try_from(self.entries.len() + 1).unwrap_or(u32::MAX);
        let mut m = Map::new();
        m.insert("sequence".into(), json!(sequence));
        m.insert(
            "category".into(),
            concept(codes::C4BB_SUPPORTING_INFO_TYPE, code),
        );
        for (k, v) in members {
            m.insert(k.into(), v);
        }
        self.entries.push(Value::Object(m));
        sequence
    }

    pub fn code(&mut self, category: &str, system: &str, code: &str) -> u32 {
        self.add(category, vec![("code", concept(system, code))])
    }

    pub fn string(&mut self, category: &str, value: &str) -> u32 {
        self.add(category, vec![("valueString", json!(value))])
    }

    /// A quantity entry; a missing value is recorded as absent rather than invented.
    /// `ucum`: the UCUM unit, which C4BB also fixes as the human-readable `unit`.
    pub fn quantity(&mut self, category: &str, value: Option<f64>, ucum: Option<&str>) -> u32 {
        let q = match (value, ucum) {
            (Some(v), Some(code)) => {
                json!({"value": v, "unit": code, "system": codes::UCUM, "code": code})
            }
            (Some(v), None) => json!({"value": v}),
            (None, _) => absent("unknown"),
        };
        self.add(category, vec![("valueQuantity", q)])
    }

    pub fn into_values(self) -> Vec<Value> {
        self.entries
    }
}
