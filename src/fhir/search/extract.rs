//! What an index stores per resource, and how a query filter maps onto it.
//!
//! ## Stored values ([`extract`])
//! One field per registry parameter, named by the parameter code:
//! * **token** (`_id`, `type`, `identifier`): for every `(system, code)` value the terms
//!   `code`, `system|code` (or `|code` when there is no system) and `system|` (when there is a
//!   system). `|` and `\` inside a system or code are escaped with `\` (FHIR search escaping), so
//!   the four forms can never collide.
//! * **reference**: `Type/id` and the bare `id` for every resolvable reference.
//! * **date**: `(lo, hi)` per value, inclusive UTC milliseconds; `lo = i64::MIN` for a Period
//!   without start, `hi = i64::MAX` for a Period without end.
//!
//! ## Query mapping ([`candidate_terms`])
//! * token `code` → term `code`; `system|code` → `system|code`; `|code` → `|code`;
//!   `system|` → `system|` (escaped as above). The filter holds when the field has ANY of the
//!   terms of its comma values; `:not` negates (resources without the field included). Exact.
//! * reference `Type/id` → term `Type/id`; bare `id` → term `id`. Exact.
//! * `:missing=true|false` → field has no / some value. Exact.
//! * date: per comma value a [`DateBounds`]: a range condition on "some stored lo" and/or on
//!   "some stored hi" (each a range query on a multi-valued numeric field). With `[ps, pe)` the
//!   parameter range, the conditions are **exact** for
//!   `gt`: some hi ≥ pe · `lt`: some lo < ps · `sa`: some lo ≥ pe · `eb`: some hi < ps,
//!   and a **superset** (candidates, to be confirmed with [`super::eval::matches_at`]) for
//!   `eq`: some lo ∈ [ps, pe) and some hi ∈ [ps, pe) · `ge`: some hi ≥ ps ·
//!   `le`: some lo < pe · `ap`: some lo < we and some hi ≥ ws (`[ws, we)` = widened range) ·
//!   `ne`: the field has a value.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::eval::approx_range;
use super::query::{Condition, DateParam, DatePrefix, Filter, SortSpec, TokenValue};
use super::registry::{self, ParamType};
use super::values::{date_values, reference_values, token_pairs, TokenPair};

/// The normalized, indexable values of one resource.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extracted {
    pub resource_type: String,
    pub id: String,
    /// `meta.lastUpdated` (start of its precision range), UTC ms.
    pub last_updated_ms: Option<i64>,
    /// Token and reference terms per parameter code (only parameters with values).
    pub terms: BTreeMap<&'static str, Vec<String>>,
    /// Date values per parameter code as inclusive `(lo, hi)` (only parameters with values).
    pub dates: BTreeMap<&'static str, Vec<(i64, i64)>>,
    /// Sort key per sortable date parameter: the earliest `lo`.
    pub sort_dates: BTreeMap<&'static str, i64>,
}

/// Escapes `\` and `|` for token terms.
pub fn escape_term(s: &str) -> String {
    s.replace('\\', "\\\\").replace('|', "\\|")
}

/// The index terms of one `(system, code)` value.
pub fn pair_terms((system, code): &TokenPair) -> Vec<String> {
    let mut out = Vec::with_capacity(3);
    let system = system.as_deref().map(escape_term);
    if let Some(code) = code.as_deref().map(escape_term) {
        out.push(code.clone());
        out.push(format!("{}|{code}", system.as_deref().unwrap_or("")));
    }
    if let Some(s) = system {
        out.push(format!("{s}|"));
    }
    out
}

/// The index term a query token value looks up.
pub fn token_value_term(v: &TokenValue) -> String {
    match v {
        TokenValue::Code(c) => escape_term(c),
        TokenValue::SystemCode { system, code } => {
            format!("{}|{}", escape_term(system), escape_term(code))
        }
        TokenValue::NoSystemCode(c) => format!("|{}", escape_term(c)),
        TokenValue::System(s) => format!("{}|", escape_term(s)),
    }
}

/// Extracts every registry parameter of the resource's type. Unknown types give only
/// `resource_type` and `id`.
pub fn extract(resource: &Value) -> Extracted {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    let mut out = Extracted {
        resource_type: text(resource.get("resourceType")),
        id: text(resource.get("id")),
        ..Extracted::default()
    };
    let Some(def) = registry::resource(&out.resource_type) else {
        return out;
    };
    for p in def.params {
        match p.param_type {
            ParamType::Token => {
                let mut terms: Vec<String> = token_pairs(resource, p)
                    .iter()
                    .flat_map(pair_terms)
                    .collect();
                dedup(&mut terms);
                if !terms.is_empty() {
                    out.terms.insert(p.code, terms);
                }
            }
            ParamType::Reference => {
                let mut terms: Vec<String> = reference_values(resource, p)
                    .into_iter()
                    .flat_map(|r| {
                        let typed = r.resource_type.is_some().then(|| r.key());
                        typed.into_iter().chain(std::iter::once(r.id))
                    })
                    .collect();
                dedup(&mut terms);
                if !terms.is_empty() {
                    out.terms.insert(p.code, terms);
                }
            }
            ParamType::Date => {
                let ranges = date_values(resource, p);
                if ranges.is_empty() {
                    continue;
                }
                if p.code == "_lastUpdated" {
                    out.last_updated_ms = ranges.first().map(|r| r.start);
                }
                if p.sortable {
                    if let Some(min) = ranges.iter().map(|r| r.start).min() {
                        out.sort_dates.insert(p.code, min);
                    }
                }
                let mut pairs: Vec<(i64, i64)> =
                    ranges.iter().map(|r| (r.start, r.hi_inclusive())).collect();
                pairs.sort_unstable();
                pairs.dedup();
                out.dates.insert(p.code, pairs);
            }
        }
    }
    out
}

fn dedup(v: &mut Vec<String>) {
    v.sort_unstable();
    v.dedup();
}

/// Conditions on one date field for one prefixed value. Each present condition requires that
/// SOME stored `lo` (resp. `hi`) lies in the inclusive range; both absent = the field has a
/// value. `exact` tells whether the conditions decide the match (else: superset).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateBounds {
    pub lo: Option<(i64, i64)>,
    pub hi: Option<(i64, i64)>,
    pub exact: bool,
}

impl DateBounds {
    /// For one prefixed parameter value (`now_ms` only matters for `ap`).
    pub fn for_param(param: &DateParam, now_ms: i64) -> Self {
        let (ps, pe) = (param.range.start, param.range.end);
        let below = |x: i64| (i64::MIN, x.saturating_sub(1));
        let from = |x: i64| (x, i64::MAX);
        let (lo, hi, exact) = match param.prefix {
            DatePrefix::Gt => (None, Some(from(pe)), true),
            DatePrefix::Lt => (Some(below(ps)), None, true),
            DatePrefix::Sa => (Some(from(pe)), None, true),
            DatePrefix::Eb => (None, Some(below(ps)), true),
            DatePrefix::Eq => (Some((ps, pe - 1)), Some((ps, pe - 1)), false),
            DatePrefix::Ge => (None, Some(from(ps)), false),
            DatePrefix::Le => (Some(below(pe)), None, false),
            DatePrefix::Ne => (None, None, false),
            DatePrefix::Ap => {
                let w = approx_range(&param.range, now_ms);
                (Some(below(w.end)), Some(from(w.start)), false)
            }
        };
        DateBounds { lo, hi, exact }
    }

    /// Evaluates the conditions on stored `(lo, hi)` values.
    pub fn satisfied_by(&self, values: &[(i64, i64)]) -> bool {
        let inside = |x: i64, (a, b): (i64, i64)| a <= x && x <= b;
        !values.is_empty()
            && self
                .lo
                .is_none_or(|r| values.iter().any(|v| inside(v.0, r)))
            && self
                .hi
                .is_none_or(|r| values.iter().any(|v| inside(v.1, r)))
    }
}

/// How one filter maps onto the stored fields (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexQuery {
    /// The field holds ANY of `terms` (`negate`: holds none of them, or is absent).
    AnyTerm {
        field: &'static str,
        terms: Vec<String>,
        negate: bool,
    },
    /// The field is absent (`missing`) or present.
    Missing { field: &'static str, missing: bool },
    /// ANY of the bounds is satisfied.
    Dates {
        field: &'static str,
        bounds: Vec<DateBounds>,
    },
}

impl IndexQuery {
    /// True when the index answer is the exact answer (no confirmation needed).
    pub fn is_exact(&self) -> bool {
        match self {
            IndexQuery::Dates { bounds, .. } => bounds.iter().all(|b| b.exact),
            _ => true,
        }
    }
}

/// The index lookup for one filter.
pub fn candidate_terms(filter: &Filter, now_ms: i64) -> IndexQuery {
    let field = filter.param.code;
    match &filter.condition {
        Condition::Missing(missing) => IndexQuery::Missing {
            field,
            missing: *missing,
        },
        Condition::Token { values, negate } => IndexQuery::AnyTerm {
            field,
            terms: values.iter().map(token_value_term).collect(),
            negate: *negate,
        },
        Condition::Reference(refs) => IndexQuery::AnyTerm {
            field,
            terms: refs.iter().map(|r| r.key()).collect(),
            negate: false,
        },
        Condition::Date(params) => IndexQuery::Dates {
            field,
            bounds: params
                .iter()
                .map(|p| DateBounds::for_param(p, now_ms))
                .collect(),
        },
    }
}

impl Extracted {
    /// Evaluates an [`IndexQuery`] against these stored values, as an index would.
    pub fn satisfies(&self, q: &IndexQuery) -> bool {
        match q {
            IndexQuery::AnyTerm {
                field,
                terms,
                negate,
            } => {
                let stored = self.terms.get(field).map(Vec::as_slice).unwrap_or_default();
                stored.iter().any(|t| terms.contains(t)) != *negate
            }
            IndexQuery::Missing { field, missing } => {
                let has = self.terms.contains_key(field) || self.dates.contains_key(field);
                has != *missing
            }
            IndexQuery::Dates { field, bounds } => {
                let stored = self.dates.get(field).map(Vec::as_slice).unwrap_or_default();
                bounds.iter().any(|b| b.satisfied_by(stored))
            }
        }
    }
}

/// Orders two resources by `_sort`; values missing sort last in either direction; ties (and
/// an empty `_sort`) fall back to the id. Dates sort by their earliest start.
pub fn compare(a: &Extracted, b: &Extracted, sort: &[SortSpec]) -> Ordering {
    compare_by(
        sort,
        (&a.id, |_, s: &SortSpec| a.sort_dates.get(s.param).copied()),
        (&b.id, |_, s: &SortSpec| b.sort_dates.get(s.param).copied()),
    )
}

/// The `_sort` order over anything with an id and a date key per sort position: `_id` or the
/// key (missing last in either direction) per spec, then the id. Both [`compare`] and the
/// index's hit ordering use it, so the two orders cannot differ.
pub fn compare_by<'s>(
    sort: &'s [SortSpec],
    (a_id, a_key): (&str, impl Fn(usize, &'s SortSpec) -> Option<i64>),
    (b_id, b_key): (&str, impl Fn(usize, &'s SortSpec) -> Option<i64>),
) -> Ordering {
    for (i, s) in sort.iter().enumerate() {
        let ord = if s.param == "_id" {
            let o = a_id.cmp(b_id);
            if s.descending {
                o.reverse()
            } else {
                o
            }
        } else {
            compare_sort_key(a_key(i, s), b_key(i, s), s.descending)
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a_id.cmp(b_id)
}

/// One sort key: ascending or descending, resources without a value last either way.
fn compare_sort_key(a: Option<i64>, b: Option<i64>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) if descending => y.cmp(&x),
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}
