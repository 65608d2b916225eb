//! `supportingInfo` entries, numbered as they are added.

use crate::cpcds::map::json::{absent, concept, Node};
use crate::fhir::codes;
use crate::jv;

#[derive(Default)]
pub struct Support<'a> {
    entries: Vec<Node<'a>>,
}

impl<'a> Support<'a> {
    /// Adds an entry of category `code` with the given value members; returns its sequence.
    pub fn add(&mut self, code: &'static str, members: Vec<(&'static str, Node<'a>)>) -> u32 {
        let sequence = u32::try_from(self.entries.len() + 1).unwrap_or(u32::MAX);
        let mut entry = jv!({
            "sequence": sequence,
            "category": concept(codes::C4BB_SUPPORTING_INFO_TYPE, code),
        });
        for (k, v) in members {
            entry.push(k, v);
        }
        self.entries.push(entry);
        sequence
    }

    pub fn code(
        &mut self,
        category: &'static str,
        system: &'static str,
        code: impl Into<Node<'a>>,
    ) -> u32 {
        self.add(category, vec![("code", concept(system, code))])
    }

    pub fn string(&mut self, category: &'static str, value: &'a str) -> u32 {
        self.add(category, vec![("valueString", value.into())])
    }

    /// A quantity entry; a missing value is recorded as absent rather than invented.
    /// `ucum`: the UCUM unit, which C4BB also fixes as the human-readable `unit`.
    pub fn quantity(
        &mut self,
        category: &'static str,
        value: Option<f64>,
        ucum: Option<&'static str>,
    ) -> u32 {
        let q = match (value, ucum) {
            (Some(v), Some(code)) => {
                jv!({"value": v, "unit": code, "system": codes::UCUM, "code": code})
            }
            (Some(v), None) => jv!({"value": v}),
            (None, _) => absent("unknown"),
        };
        self.add(category, vec![("valueQuantity", q)])
    }

    pub fn into_nodes(self) -> Vec<Node<'a>> {
        self.entries
    }
}
