//! A fast, pruned JSON parse for indexing and `_include`: only the elements the search parameters of the
//! resource type read (their registry `paths`, plus `resourceType` and `id`) are built as a
//! [`Value`]; everything else is skipped without allocating. The pruned value has the same
//! structure along those paths, so [`crate::fhir::search::extract`] gives exactly the same
//! answer as on the full resource (tested on every generated resource), at a fraction of the
//! cost (an ExplanationOfBenefit is ~10 kB of JSON, most of it adjudication detail).

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::fhir::search::registry;

/// The element paths to keep, as a trie. A node without children keeps its whole value.
#[derive(Debug, Default)]
pub struct PathTree {
    /// A handful per node: a linear scan beats hashing every key of the resource.
    children: Vec<(&'static str, PathTree)>,
    keep_all: bool,
}

impl PathTree {
    /// A tree that keeps everything.
    pub const ALL: PathTree = PathTree {
        children: Vec::new(),
        keep_all: true,
    };

    /// The subtree under member `key`, if it is kept.
    pub fn child(&self, key: &str) -> Option<&PathTree> {
        self.children
            .iter()
            .find(|(s, _)| *s == key)
            .map(|(_, t)| t)
    }

    /// Whether the whole value at this node is kept.
    pub fn keeps_all(&self) -> bool {
        self.keep_all
    }

    /// `value` with only what this tree keeps, as [`parse`] would have built it.
    pub fn keep(&self, value: Value) -> Value {
        if self.keep_all {
            return value;
        }
        match value {
            Value::Object(members) => Value::Object(
                members
                    .into_iter()
                    .filter_map(|(k, v)| self.child(&k).map(|t| (k, t.keep(v))))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.into_iter().map(|v| self.keep(v)).collect()),
            other => other,
        }
    }

    fn insert(&mut self, path: &'static str) {
        let mut node = self;
        for seg in path.split('.') {
            if node.keep_all {
                return;
            }
            let i = match node.children.iter().position(|(s, _)| *s == seg) {
                Some(i) => i,
                None => {
                    node.children.push((seg, PathTree::default()));
                    node.children.len() - 1
                }
            };
            node = &mut node.children[i].1;
        }
        node.keep_all = true;
        node.children.clear();
    }

    /// The tree of one resource type (`None` for a type the registry does not know).
    pub fn for_type(resource_type: &str) -> Option<&'static PathTree> {
        static TREES: OnceLock<HashMap<&'static str, PathTree>> = OnceLock::new();
        TREES.get_or_init(|| trees(true)).get(resource_type)
    }

    /// The paths `_include` follows from `resource_type` (and `resourceType`, `id`): less to
    /// build than [`PathTree::for_type`], which also keeps what every search parameter reads.
    pub fn for_includes(resource_type: &str) -> Option<&'static PathTree> {
        static TREES: OnceLock<HashMap<&'static str, PathTree>> = OnceLock::new();
        TREES.get_or_init(|| trees(false)).get(resource_type)
    }
}

/// A tree per type: the include paths, and with `params` the search parameters' paths.
fn trees(params: bool) -> HashMap<&'static str, PathTree> {
    registry::RESOURCES
        .iter()
        .map(|def| {
            let mut t = PathTree::default();
            t.insert("resourceType");
            t.insert("id");
            if params {
                for p in def.params {
                    for path in p.paths {
                        t.insert(path);
                    }
                }
            }
            for i in def.includes {
                for p in i.paths {
                    t.insert(p.path);
                }
            }
            (def.resource_type, t)
        })
        .collect()
}

/// `json` keeping only what `_include` follows from it ([`PathTree::for_includes`]).
pub fn parse_includes(resource_type: &str, json: &[u8]) -> serde_json::Result<Value> {
    parse_with(PathTree::for_includes(resource_type), json)
}

/// The references a stored resource holds on its type's `_include` paths, as
/// `(path, reference as written)` pairs: each path in the registry's order, its references in
/// document order (what [`crate::fhir::search::values::references_at`] reads of the path,
/// before it normalizes them).
/// Empty for JSON that does not parse (a stored resource always does).
pub fn include_links(resource_type: &str, json: &[u8]) -> Vec<(&'static str, Box<str>)> {
    let (Some(def), Ok(pruned)) = (
        registry::resource(resource_type),
        parse_includes(resource_type, json),
    ) else {
        return Vec::new();
    };
    let mut paths: Vec<&'static str> = Vec::new();
    for p in def.includes.iter().flat_map(|i| i.paths) {
        if !paths.contains(&p.path) {
            paths.push(p.path);
        }
    }
    paths
        .into_iter()
        .flat_map(|path| {
            crate::fhir::search::values::reference_strings_at(&pruned, path)
                .map(move |r| (path, r.into()))
        })
        .collect()
}

pub fn parse(resource_type: &str, json: &[u8]) -> serde_json::Result<Value> {
    parse_with(PathTree::for_type(resource_type), json)
}

fn parse_with(tree: Option<&PathTree>, json: &[u8]) -> serde_json::Result<Value> {
    match tree {
        Some(tree) => {
            let mut de = serde_json::Deserializer::from_slice(json);
            let v = tree.deserialize(&mut de)?;
            de.end()?;
            Ok(v)
        }
        None => serde_json::from_slice(json),
    }
}

impl<'de> DeserializeSeed<'de> for &PathTree {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        if self.keep_all {
            serde::Deserialize::deserialize(d)
        } else {
            d.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for &PathTree {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(Key(key)) = map.next_key::<Key<'de>>()? {
            match self.children.iter().find(|(s, _)| *s == key.as_ref()) {
                Some((_, child)) => {
                    let v = map.next_value_seed(child)?;
                    out.insert(key.into_owned(), v);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Value::Object(out))
    }

    /// Arrays are flattened at every path step, so each item gets the same subtree.
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }

            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}
