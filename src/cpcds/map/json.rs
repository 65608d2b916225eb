//! A small write-once JSON tree for the mappers. Keys are static, strings borrow from the CSV
//! row where they can, and empty members (null, "", [], {}) are dropped while serializing, so
//! no mapper can emit an empty element (FHIR ele-1). Building an EOB this way costs a fraction
//! of `serde_json::Value` (no key allocation, no hashing, no deep copies).

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::cpcds::row::Cents;
use crate::fhir::codes::DATA_ABSENT_REASON_EXT;
use crate::fhir::search::prune::PathTree;
/// Shared with the searchset Bundles; re-exported so the mappers keep one `json` import.
pub use crate::json::write_str;

#[derive(Debug, Clone, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Num(f64),
    /// Money: cents printed as a decimal with two places (`12.30`).
    Cents(Cents),
    Str(Cow<'a, str>),
    Arr(Vec<Node<'a>>),
    Obj(Vec<(&'static str, Node<'a>)>),
}

/// `jv!({"key": expr, …})` and `jv!([expr, …])`: every value goes through `Node::from`, so
/// `&str`, `String`, numbers, `Option<_>`, `Vec<Node>` and nested `jv!(…)` all work.
#[macro_export]
macro_rules! jv {
    ({ $($k:literal : $v:expr),* $(,)? }) => {
        $crate::cpcds::map::json::Node::Obj(vec![ $( ($k, ::core::convert::Into::into($v)) ),* ])
    };
    ([ $($v:expr),* $(,)? ]) => {
        $crate::cpcds::map::json::Node::Arr(vec![ $( ::core::convert::Into::into($v) ),* ])
    };
}
pub use jv;

impl<'a> From<&'a str> for Node<'a> {
    fn from(s: &'a str) -> Self {
        Node::Str(Cow::Borrowed(s))
    }
}
impl<'a> From<&'a String> for Node<'a> {
    fn from(s: &'a String) -> Self {
        Node::Str(Cow::Borrowed(s))
    }
}
impl From<String> for Node<'_> {
    fn from(s: String) -> Self {
        Node::Str(Cow::Owned(s))
    }
}
impl From<bool> for Node<'_> {
    fn from(b: bool) -> Self {
        Node::Bool(b)
    }
}
impl From<f64> for Node<'_> {
    fn from(v: f64) -> Self {
        Node::Num(v)
    }
}
macro_rules! from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Node<'_> {
            fn from(v: $t) -> Self {
                Node::Int(i64::try_from(v).unwrap_or(i64::MAX))
            }
        }
    )*};
}
from_int!(i32, i64, u32, u64, usize);
impl<'a> From<Vec<Node<'a>>> for Node<'a> {
    fn from(v: Vec<Node<'a>>) -> Self {
        Node::Arr(v)
    }
}
impl<'a, T: Into<Node<'a>>> From<Option<T>> for Node<'a> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Node::Null, Into::into)
    }
}

impl<'a> Node<'a> {
    /// Serializes into `out`; returns false (and writes nothing) for an empty value.
    pub fn write(&self, out: &mut Vec<u8>) -> bool {
        match self {
            Node::Null => false,
            Node::Bool(b) => {
                out.extend_from_slice(if *b { b"true" } else { b"false" });
                true
            }
            Node::Int(i) => {
                write_int(out, *i);
                true
            }
            Node::Num(f) => {
                if !f.is_finite() {
                    return false;
                }
                out.extend_from_slice(format_number(*f).as_bytes());
                true
            }
            Node::Cents(c) => {
                if *c < 0 {
                    out.push(b'-');
                }
                let abs = c.unsigned_abs();
                write_int(out, i64::try_from(abs / 100).unwrap_or(i64::MAX));
                let frac = u8::try_from(abs % 100).unwrap_or(0);
                out.extend_from_slice(&[b'.', b'0' + frac / 10, b'0' + frac % 10]);
                true
            }
            Node::Str(s) => {
                if s.is_empty() {
                    return false;
                }
                write_str(out, s);
                true
            }
            Node::Arr(items) => {
                let start = out.len();
                out.push(b'[');
                let mut any = false;
                for item in items {
                    let mark = out.len();
                    if any {
                        out.push(b',');
                    }
                    if item.write(out) {
                        any = true;
                    } else {
                        out.truncate(mark);
                    }
                }
                if any {
                    out.push(b']');
                } else {
                    out.truncate(start);
                }
                any
            }
            Node::Obj(members) => {
                let start = out.len();
                out.push(b'{');
                let mut any = false;
                for (key, value) in members {
                    let mark = out.len();
                    if any {
                        out.push(b',');
                    }
                    // Keys are static FHIR element names: nothing in them needs escaping.
                    out.push(b'"');
                    out.extend_from_slice(key.as_bytes());
                    out.extend_from_slice(b"\":");
                    if value.write(out) {
                        any = true;
                    } else {
                        out.truncate(mark);
                    }
                }
                if any {
                    out.push(b'}');
                } else {
                    out.truncate(start);
                }
                any
            }
        }
    }

    /// Whether [`Node::write`] writes anything for this value.
    fn is_written(&self) -> bool {
        match self {
            Node::Null => false,
            Node::Bool(_) | Node::Int(_) | Node::Cents(_) => true,
            Node::Num(f) => f.is_finite(),
            Node::Str(s) => !s.is_empty(),
            Node::Arr(items) => items.iter().any(Node::is_written),
            Node::Obj(members) => members.iter().any(|(_, v)| v.is_written()),
        }
    }

    /// The value `serde_json` would read back from [`Node::to_bytes`] (`None` when nothing is
    /// written), built without writing or parsing.
    pub fn to_value(&self) -> Option<Value> {
        match self {
            Node::Null => None,
            Node::Bool(b) => Some(Value::Bool(*b)),
            Node::Int(i) => Some(Value::from(*i)),
            // Rare in mapped data; reading the text back is the exact answer for every edge
            // (integral values print without a decimal point and read back as integers).
            Node::Num(f) => f
                .is_finite()
                .then(|| serde_json::from_str(&format_number(*f)).ok())
                .flatten(),
            // `12.30` reads back as the nearest f64 to 1230/100, which is what the division
            // rounds to (both operands are exact).
            Node::Cents(c) => Some(Value::from(*c as f64 / 100.0)),
            Node::Str(s) => (!s.is_empty()).then(|| Value::String(s.to_string())),
            Node::Arr(items) => {
                let items: Vec<Value> = items.iter().filter_map(Node::to_value).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            Node::Obj(members) => {
                let map: Map<String, Value> = members
                    .iter()
                    .filter_map(|(k, v)| v.to_value().map(|v| ((*k).to_string(), v)))
                    .collect();
                (!map.is_empty()).then_some(Value::Object(map))
            }
        }
    }

    /// What the search index reads of this value: exactly what
    /// [`crate::fhir::search::prune::parse`] builds from [`Node::to_bytes`] with `tree`, without
    /// writing or parsing (`None` when nothing is written).
    pub fn pruned(&self, tree: &PathTree) -> Option<Value> {
        if tree.keeps_all() {
            return self.to_value();
        }
        match self {
            Node::Obj(members) => {
                if !self.is_written() {
                    return None;
                }
                let mut out = Map::new();
                for (key, value) in members {
                    if let Some(v) = tree.child(key).and_then(|t| value.pruned(t)) {
                        out.insert((*key).to_string(), v);
                    }
                }
                Some(Value::Object(out))
            }
            // Arrays are flattened at every path step: each item gets the same subtree.
            Node::Arr(items) => {
                let items: Vec<Value> = items.iter().filter_map(|i| i.pruned(tree)).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            scalar => scalar.to_value(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(4096);
        self.write(&mut out);
        out
    }

    /// Appends a member to an object (no-op on other nodes).
    pub fn push(&mut self, key: &'static str, value: impl Into<Node<'a>>) {
        if let Node::Obj(members) = self {
            members.push((key, value.into()));
        }
    }
}

fn write_int(out: &mut Vec<u8>, i: i64) {
    if (0..10).contains(&i) {
        out.push(b'0' + u8::try_from(i).unwrap_or(0));
    } else {
        out.extend_from_slice(i.to_string().as_bytes());
    }
}

/// Shortest decimal that reads back as the same f64, without exponent for ordinary values.
fn format_number(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return (f as i64).to_string();
    }
    f.to_string()
}

pub fn coding<'a>(system: &'static str, code: impl Into<Node<'a>>) -> Node<'a> {
    jv!({"system": system, "code": code})
}

pub fn coding_display<'a>(
    system: &'static str,
    code: impl Into<Node<'a>>,
    display: impl Into<Node<'a>>,
) -> Node<'a> {
    jv!({"system": system, "code": code, "display": display})
}

/// A CodeableConcept with one coding.
pub fn concept<'a>(system: &'static str, code: impl Into<Node<'a>>) -> Node<'a> {
    jv!({"coding": jv!([coding(system, code)])})
}

pub fn concept_display<'a>(
    system: &'static str,
    code: impl Into<Node<'a>>,
    display: impl Into<Node<'a>>,
) -> Node<'a> {
    jv!({"coding": jv!([coding_display(system, code, display)])})
}

/// A CodeableConcept from several codings plus optional text.
pub fn concept_of<'a>(codings: Vec<Node<'a>>, text: Option<&'a str>) -> Node<'a> {
    jv!({"coding": codings, "text": text})
}

pub fn reference<'a>(resource_type: &str, id: &str) -> Node<'a> {
    jv!({"reference": format!("{resource_type}/{id}")})
}

/// An element that is required but whose value the source does not have.
pub fn absent<'a>(reason: &'static str) -> Node<'a> {
    jv!({"extension": absent_extension(reason)})
}

pub fn absent_extension<'a>(reason: &'static str) -> Node<'a> {
    jv!([jv!({"url": DATA_ABSENT_REASON_EXT, "valueCode": reason})])
}

/// Money in US dollars.
pub fn money<'a>(cents: Cents) -> Node<'a> {
    jv!({"value": Node::Cents(cents), "currency": "USD"})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `pruned` and `to_value` agree with parsing what `write` wrote, empty members, numbers
    /// and kept objects without kept members included.
    #[test]
    fn pruned_is_what_the_index_would_parse() {
        use crate::fhir::search::prune;
        let n = jv!({
            "resourceType": "ExplanationOfBenefit",
            "id": "e-1",
            "status": "active",
            "identifier": jv!([
                jv!({"system": "s", "value": "", "type": jv!({"text": Node::Null})}),
                jv!({"value": "v", "period": jv!({"start": Node::Null})}),
                Node::Null,
            ]),
            // Kept element whose only members the tree does not keep: `{}` after the parse.
            "patient": jv!({"display": "someone", "reference": Node::Null}),
            "provider": jv!({"reference": "Practitioner/p"}),
            "total": jv!([jv!({"amount": money(1230)}), jv!({"amount": money(-5)})]),
            "item": jv!([jv!({"sequence": 1u32, "quantity": jv!({"value": 2.5f64})}), jv!({"servicedDate": "2024-01-02", "net": jv!({"value": 40.0f64})})]),
            "careTeam": jv!([]),
            "billablePeriod": jv!({"start": "2024-01-01", "end": ""}),
        });
        for ty in [
            "ExplanationOfBenefit",
            "Patient",
            "Coverage",
            "Organization",
        ] {
            let tree = prune::PathTree::for_type(ty).unwrap();
            let parsed = prune::parse(ty, &n.to_bytes()).unwrap();
            assert_eq!(n.pruned(tree), Some(parsed), "{ty}");
        }
        let full: Value = serde_json::from_slice(&n.to_bytes()).unwrap();
        assert_eq!(n.to_value(), Some(full));
        assert_eq!(
            jv!({"x": jv!([Node::Null])}).pruned(&prune::PathTree::ALL),
            None
        );
        assert_eq!(Node::Num(f64::NAN).to_value(), None);
        assert_eq!(
            Node::Num(1e20).to_value(),
            serde_json::from_str("1e20").ok()
        );
    }

    #[test]
    fn empty_members_vanish_recursively() {
        let n = jv!({
            "a": "x",
            "b": Node::Null,
            "c": "",
            "d": jv!([]),
            "e": jv!({"f": Node::Null, "g": jv!([Node::Null])}),
            "h": jv!([1u32, Node::Null, 2u32]),
        });
        assert_eq!(
            String::from_utf8(n.to_bytes()).unwrap(),
            r#"{"a":"x","h":[1,2]}"#
        );
        assert!(jv!({"x": Node::Null}).to_bytes().is_empty());
    }

    #[test]
    fn strings_numbers_and_money_serialize_as_json() {
        let n = jv!({"s": "q\"b\\n\n\u{1}é", "i": -3i64, "f": 2.5f64, "w": 40.0f64, "m": Node::Cents(-1205), "z": Node::Cents(7), "t": true});
        let text = String::from_utf8(n.to_bytes()).unwrap();
        assert_eq!(
            text,
            r#"{"s":"q\"b\\n\n\u0001é","i":-3,"f":2.5,"w":40,"m":-12.05,"z":0.07,"t":true}"#
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["s"], "q\"b\\n\n\u{1}é");
    }
}
