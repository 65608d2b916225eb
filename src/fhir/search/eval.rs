//! The reference evaluator: does a stored resource match a [`SearchQuery`]? FHIR R4
//! semantics, exactly; the index is property-tested against this.
//!
//! * Filters are ANDed, the comma values of one filter ORed.
//! * token: `code` matches any system, `system|code` both, `|code` only values without a
//!   system, `system|` any code of the system. Codes are compared case-sensitively. `:not`
//!   matches resources where no value matches (including resources without a value).
//! * reference: `Type/id` matches an element reference normalizing to the same type and id
//!   (relative, absolute or versioned); a bare id matches that id under any type.
//! * date: element and parameter are both ranges (see [`super::date`]); prefixes per
//!   <https://hl7.org/fhir/R4/search.html#prefix>, with `p = [ps, pe)` the parameter range and
//!   `r = [rs, re)` a resource range:
//!
//!   | prefix | matches when |
//!   |---|---|
//!   | eq | `ps <= rs && re <= pe` (r inside p) |
//!   | ne | not eq |
//!   | gt | `re > pe` (r reaches beyond p) |
//!   | lt | `rs < ps` (r starts before p) |
//!   | ge | gt or eq |
//!   | le | lt or eq |
//!   | sa | `rs >= pe` (r starts after p ends) |
//!   | eb | `re <= ps` (r ends before p starts) |
//!   | ap | r overlaps p widened on both sides by 10% of `|now - ps|` |
//!
//!   A multi-valued expression (e.g. `service-date` over `billablePeriod` and every
//!   `item.serviced[x]`) matches when ANY of its values matches — also for `ne`.

use serde_json::Value;

use super::date::DateRange;
use super::query::{Condition, DateParam, DatePrefix, Filter, SearchQuery, TokenValue};
use super::registry::ParamType;
use super::values::{date_values, reference_values, token_pairs, RefTarget, TokenPair};

/// True when `resource` is of the query's type and satisfies every filter; `now_ms` is the
/// current time in UTC milliseconds (for `ap`).
pub fn matches_at(query: &SearchQuery, resource: &Value, now_ms: i64) -> bool {
    resource.get("resourceType").and_then(Value::as_str) == Some(query.resource_type)
        && query
            .filters
            .iter()
            .all(|f| filter_matches(f, resource, now_ms))
}

/// One filter against one resource.
pub fn filter_matches(filter: &Filter, resource: &Value, now_ms: i64) -> bool {
    let def = filter.param;
    match &filter.condition {
        Condition::Missing(missing) => {
            let has = match def.param_type {
                ParamType::Token => !token_pairs(resource, def).is_empty(),
                ParamType::Reference => !reference_values(resource, def).is_empty(),
                ParamType::Date => !date_values(resource, def).is_empty(),
            };
            has != *missing
        }
        Condition::Token { values, negate } => {
            let pairs = token_pairs(resource, def);
            let hit = pairs
                .iter()
                .any(|p| values.iter().any(|v| token_matches(p, v)));
            hit != *negate
        }
        Condition::Reference(wanted) => {
            let refs = reference_values(resource, def);
            refs.iter()
                .any(|r| wanted.iter().any(|w| reference_matches(r, w)))
        }
        Condition::Date(params) => {
            let ranges = date_values(resource, def);
            ranges
                .iter()
                .any(|r| params.iter().any(|p| date_matches(r, p, now_ms)))
        }
    }
}

/// One `(system, code)` element value against one token value.
pub fn token_matches((system, code): &TokenPair, value: &TokenValue) -> bool {
    let code = code.as_deref();
    let system = system.as_deref();
    match value {
        TokenValue::Code(c) => code == Some(c.as_str()),
        TokenValue::SystemCode { system: s, code: c } => {
            system == Some(s.as_str()) && code == Some(c.as_str())
        }
        TokenValue::NoSystemCode(c) => system.is_none() && code == Some(c.as_str()),
        TokenValue::System(s) => system == Some(s.as_str()),
    }
}

/// One element reference against one query reference.
pub fn reference_matches(element: &RefTarget, wanted: &RefTarget) -> bool {
    element.id == wanted.id
        && match &wanted.resource_type {
            None => true,
            Some(t) => element.resource_type.as_deref() == Some(t.as_str()),
        }
}

/// The `ap` range: the parameter range widened on both sides by 10% of the distance between
/// its start and `now`.
pub fn approx_range(p: &DateRange, now_ms: i64) -> DateRange {
    let margin = ((i128::from(now_ms) - i128::from(p.start)).abs() / 10) as i64;
    DateRange {
        start: p.start.saturating_sub(margin),
        end: p.end.saturating_add(margin),
    }
}

/// One resource range against one prefixed parameter value.
pub fn date_matches(r: &DateRange, param: &DateParam, now_ms: i64) -> bool {
    let p = &param.range;
    let eq = r.within(p);
    match param.prefix {
        DatePrefix::Eq => eq,
        DatePrefix::Ne => !eq,
        DatePrefix::Gt => r.end > p.end,
        DatePrefix::Lt => r.start < p.start,
        DatePrefix::Ge => r.end > p.end || eq,
        DatePrefix::Le => r.start < p.start || eq,
        DatePrefix::Sa => r.start >= p.end,
        DatePrefix::Eb => r.end <= p.start,
        DatePrefix::Ap => r.overlaps(&approx_range(p, now_ms)),
    }
}
