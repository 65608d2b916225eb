//! Reading search-parameter values out of a resource: element paths, token pairs, reference
//! normalization and date ranges. Shared by the evaluator, the index extraction and the
//! `_include` resolution so that "has a value" means the same thing everywhere.

use serde_json::Value;

use super::date::{element_range, DateRange};
use super::registry::SearchParamDef;

/// Every value at a dot-separated element path, flattening arrays at each step.
pub fn values_at<'a>(root: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut cur = vec![root];
    for seg in path.split('.') {
        let mut next = Vec::new();
        for v in cur {
            match v.get(seg) {
                Some(Value::Array(items)) => next.extend(items.iter().filter(|x| !x.is_null())),
                Some(Value::Null) | None => {}
                Some(x) => next.push(x),
            }
        }
        cur = next;
    }
    cur
}

/// A normalized reference: `Type/id` (type known) or a bare `id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RefTarget {
    pub resource_type: Option<String>,
    pub id: String,
}

impl RefTarget {
    /// `Type/id`, or the bare id when the type is unknown.
    pub fn key(&self) -> String {
        match &self.resource_type {
            Some(t) => format!("{t}/{}", self.id),
            None => self.id.clone(),
        }
    }
}

pub use crate::fhir::id::is_valid_id as is_fhir_id;

/// A resource type name: an ASCII capital followed by ASCII letters.
pub fn is_type_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_uppercase()) && b.all(|c| c.is_ascii_alphabetic())
}

/// Normalizes a reference string: `id`, `Type/id`, `Type/id/_history/n`, or an absolute
/// `http(s)://base/Type/id[/_history/n]` (base and version dropped). Contained (`#x`),
/// `urn:` and otherwise malformed references give `None`.
pub fn parse_reference(s: &str) -> Option<RefTarget> {
    let s = s.trim();
    let path = if let Some(rest) = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
    {
        let rest = rest.split(['?', '#']).next().unwrap_or_default();
        let (_host, path) = rest.split_once('/')?;
        let segs: Vec<&str> = path.split('/').filter(|x| !x.is_empty()).collect();
        return typed_tail(&segs);
    } else {
        s
    };
    if path.contains("://") || path.starts_with('#') || path.starts_with("urn:") {
        return None;
    }
    let segs: Vec<&str> = path.split('/').collect();
    match segs.as_slice() {
        [id] => is_fhir_id(id).then(|| RefTarget {
            resource_type: None,
            id: (*id).to_string(),
        }),
        [_, _] | [_, _, "_history", _] => typed_tail(&segs),
        _ => None,
    }
}

fn typed_tail(segs: &[&str]) -> Option<RefTarget> {
    let n = segs.len();
    let segs = if n >= 4 && segs[n - 2] == "_history" {
        &segs[..n - 2]
    } else {
        segs
    };
    let n = segs.len();
    if n < 2 || !is_type_name(segs[n - 2]) || !is_fhir_id(segs[n - 1]) {
        return None;
    }
    Some(RefTarget {
        resource_type: Some(segs[n - 2].to_string()),
        id: segs[n - 1].to_string(),
    })
}

/// The `reference` strings of a Reference-valued element list, as written.
pub fn reference_strings_at<'a>(root: &'a Value, path: &str) -> impl Iterator<Item = &'a str> {
    values_at(root, path)
        .into_iter()
        .filter_map(|v| v.get("reference").and_then(Value::as_str))
}

/// The normalized references of a Reference-valued element list.
pub fn references_at(root: &Value, path: &str) -> Vec<RefTarget> {
    reference_strings_at(root, path)
        .filter_map(parse_reference)
        .collect()
}

/// A `(system, code)` pair read from a Coding, an Identifier (`value`), a CodeableConcept
/// (every coding) or a primitive (`id`: no system). Empty strings count as absent.
pub type TokenPair = (Option<String>, Option<String>);

fn non_empty(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn push_pair(out: &mut Vec<TokenPair>, v: &Value, code_field: &str) {
    let system = non_empty(v.get("system"));
    let code = non_empty(v.get(code_field));
    if system.is_some() || code.is_some() {
        out.push((system, code));
    }
}

/// All token pairs of a token parameter in a resource.
pub fn token_pairs(resource: &Value, def: &SearchParamDef) -> Vec<TokenPair> {
    let mut out = Vec::new();
    for path in def.paths {
        for v in values_at(resource, path) {
            match v {
                Value::String(s) if !s.is_empty() => out.push((None, Some(s.clone()))),
                Value::Object(o) => {
                    if let Some(codings) = o.get("coding").and_then(Value::as_array) {
                        for c in codings {
                            push_pair(&mut out, c, "code");
                        }
                    } else if o.contains_key("value") {
                        push_pair(&mut out, v, "value");
                    } else {
                        push_pair(&mut out, v, "code");
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// All normalized references of a reference parameter in a resource.
pub fn reference_values(resource: &Value, def: &SearchParamDef) -> Vec<RefTarget> {
    def.paths
        .iter()
        .flat_map(|p| references_at(resource, p))
        .collect()
}

/// All date ranges of a date parameter in a resource.
pub fn date_values(resource: &Value, def: &SearchParamDef) -> Vec<DateRange> {
    def.paths
        .iter()
        .flat_map(|p| values_at(resource, p))
        .filter_map(element_range)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rt(t: Option<&str>, id: &str) -> Option<RefTarget> {
        Some(RefTarget {
            resource_type: t.map(str::to_string),
            id: id.to_string(),
        })
    }

    #[test]
    fn reference_normalization() {
        assert_eq!(parse_reference("123"), rt(None, "123"));
        assert_eq!(parse_reference("Patient/123"), rt(Some("Patient"), "123"));
        assert_eq!(
            parse_reference("Patient/123/_history/4"),
            rt(Some("Patient"), "123")
        );
        assert_eq!(
            parse_reference("https://ex.org/fhir/r4/Patient/123"),
            rt(Some("Patient"), "123")
        );
        assert_eq!(
            parse_reference("http://ex.org/Patient/123/_history/2"),
            rt(Some("Patient"), "123")
        );
        for bad in [
            "#contained",
            "urn:uuid:1234",
            "Patient/",
            "/123",
            "patient/123",
            "Patient/a b",
            "http://ex.org",
            "http://ex.org/123",
            "Patient/1/2",
            "",
        ] {
            assert_eq!(parse_reference(bad), None, "{bad}");
        }
    }

    #[test]
    fn paths_flatten_arrays() {
        let v = serde_json::json!({"item": [{"servicedDate": "2020-01-01"},
            {"servicedPeriod": {"start": "2020-02-01"}}, {"servicedDate": null}]});
        assert_eq!(values_at(&v, "item.servicedDate").len(), 1);
        assert_eq!(values_at(&v, "item.servicedPeriod.start").len(), 1);
        assert!(values_at(&v, "billablePeriod").is_empty());
    }
}
