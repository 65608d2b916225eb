//! The tantivy schema of the search index, derived from the search-parameter registry, and the
//! mapping of one resource's [`Extracted`] values onto a tantivy document.
//!
//! | field | options | holds |
//! |---|---|---|
//! | `key` | STRING | `Type/id`: the delete term |
//! | `type` | STRING | the resource type |
//! | `id` | FAST (raw str) | the resource id, read back for results and `_sort=_id` |
//! | `present` | STRING | one term per parameter code with a value (`:missing`) |
//! | `t_<code>` | STRING | token / reference terms of the parameter (shared across types) |
//! | `d_<code>_lo`, `d_<code>_hi` | FAST i64, multi-valued | date values as inclusive `(lo, hi)` pairs |
//! | `s_<code>` | FAST i64 | sort key of a sortable date parameter (earliest `lo`) |
//!
//! The `i`-th `lo` and the `i`-th `hi` of a document form one pair: numeric fast-field values
//! keep their insertion order (through merges too), which lets the search confirm the
//! superset date prefixes exactly without reading the resource (tested in `tests.rs`).

use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::schema::{Field, Schema, FAST, STRING};
use tantivy::TantivyDocument;

use crate::fhir::search::registry::{self, ParamType};
use crate::fhir::search::Extracted;

/// The date fields of one date parameter.
#[derive(Debug, Clone)]
pub struct DateFields {
    pub lo: Field,
    pub hi: Field,
    pub lo_name: String,
    pub hi_name: String,
}

/// Every field of the schema, by role.
#[derive(Debug, Clone)]
pub struct Fields {
    pub schema: Schema,
    pub key: Field,
    pub ty: Field,
    pub id: Field,
    pub present: Field,
    terms: HashMap<&'static str, Field>,
    dates: HashMap<&'static str, DateFields>,
    sorts: HashMap<&'static str, (Field, String)>,
    /// Parameter code -> the resource types that have it.
    owners: HashMap<&'static str, Vec<&'static str>>,
}

impl Fields {
    /// The schema (built once per process: it depends only on the registry).
    pub fn get() -> &'static Fields {
        static FIELDS: OnceLock<Fields> = OnceLock::new();
        FIELDS.get_or_init(Fields::build)
    }

    fn build() -> Self {
        let mut b = Schema::builder();
        let key = b.add_text_field("key", STRING);
        let ty = b.add_text_field("type", STRING);
        let id = b.add_text_field("id", FAST);
        let present = b.add_text_field("present", STRING);
        let mut terms = HashMap::new();
        let mut dates = HashMap::new();
        let mut sorts = HashMap::new();
        let mut owners: HashMap<&'static str, Vec<&'static str>> = HashMap::new();
        for def in registry::RESOURCES {
            for p in def.params {
                owners.entry(p.code).or_default().push(def.resource_type);
                match p.param_type {
                    ParamType::Token | ParamType::Reference => {
                        if !terms.contains_key(p.code) {
                            let f = b.add_text_field(&format!("t_{}", p.code), STRING);
                            terms.insert(p.code, f);
                        }
                    }
                    ParamType::Date => {
                        if !dates.contains_key(p.code) {
                            let lo_name = format!("d_{}_lo", p.code);
                            let hi_name = format!("d_{}_hi", p.code);
                            let lo = b.add_i64_field(&lo_name, FAST);
                            let hi = b.add_i64_field(&hi_name, FAST);
                            dates.insert(
                                p.code,
                                DateFields {
                                    lo,
                                    hi,
                                    lo_name,
                                    hi_name,
                                },
                            );
                        }
                        if p.sortable && !sorts.contains_key(p.code) {
                            let s_name = format!("s_{}", p.code);
                            sorts.insert(p.code, (b.add_i64_field(&s_name, FAST), s_name));
                        }
                    }
                }
            }
        }
        Fields {
            schema: b.build(),
            key,
            ty,
            id,
            present,
            terms,
            dates,
            sorts,
            owners,
        }
    }

    /// True when only `resource_type` has parameter `code`, so that a document with a value
    /// for it is necessarily of that type.
    pub fn exclusive_to(&self, code: &str, resource_type: &str) -> bool {
        self.owners
            .get(code)
            .is_some_and(|o| o.iter().all(|t| *t == resource_type))
    }

    /// The term field of a token / reference parameter.
    pub fn term_field(&self, code: &str) -> Option<Field> {
        self.terms.get(code).copied()
    }

    pub fn date_fields(&self, code: &str) -> Option<&DateFields> {
        self.dates.get(code)
    }

    /// The fast-field column name of a sortable date parameter.
    pub fn sort_column(&self, code: &str) -> Option<&str> {
        self.sorts.get(code).map(|(_, n)| n.as_str())
    }

    /// The document of one resource (`resource_type`/`id` as keyed in the store).
    pub fn document(&self, resource_type: &str, id: &str, ex: &Extracted) -> TantivyDocument {
        let mut doc = TantivyDocument::new();
        doc.add_text(self.key, format!("{resource_type}/{id}"));
        doc.add_text(self.ty, resource_type);
        doc.add_text(self.id, id);
        for (code, values) in &ex.terms {
            if let Some(f) = self.term_field(code) {
                for v in values {
                    doc.add_text(f, v);
                }
                doc.add_text(self.present, code);
            }
        }
        for (code, pairs) in &ex.dates {
            if let Some(d) = self.date_fields(code) {
                for &(lo, hi) in pairs {
                    doc.add_i64(d.lo, lo);
                    doc.add_i64(d.hi, hi);
                }
                doc.add_text(self.present, code);
            }
        }
        for (code, v) in &ex.sort_dates {
            if let Some((f, _)) = self.sorts.get(code) {
                doc.add_i64(*f, *v);
            }
        }
        doc
    }
}
