//! Checks for FHIR data types (CodeableConcept bindings and patterns, Reference targets,
//! Identifier, HumanName, ContactPoint, Address, Period, Money, Quantity) and the generic
//! `ele-1` / `dom-*` rules.

use serde_json::Value;

use super::codes::{self, ValueSet};
use super::json::{
    card_list, card_one, child, code_in, get_str, idx, list, prim, time_range, Prim, Report,
};

/// Binding strength of a CodeableConcept element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    Required,
    Extensible,
}

/// `(system, code)` of every coding in a CodeableConcept.
pub fn codings(cc: &Value) -> impl Iterator<Item = (&str, Option<&str>)> {
    list(cc, "coding")
        .iter()
        .map(|c| (get_str(c, "system").unwrap_or(""), get_str(c, "code")))
}

pub fn has_coding(cc: &Value, system: &str, code: &str) -> bool {
    codings(cc).any(|(s, c)| s == system && c == Some(code))
}

/// Any coding with one of these codes, whatever its system (how several IG invariants test roles).
pub fn has_code_any_system(cc: &Value, code_list: &[&str]) -> bool {
    codings(cc).any(|(_, c)| c.is_some_and(|c| code_list.contains(&c)))
}

pub fn has_system(cc: &Value, system: &str) -> bool {
    codings(cc).any(|(s, _)| s == system)
}

pub fn in_vs(cc: &Value, vs: &ValueSet) -> bool {
    codings(cc).any(|(s, c)| vs.contains(s, c))
}

/// Binding on a CodeableConcept value at `path`.
pub fn binding(r: &mut Report, cc: &Value, path: &str, vs: &ValueSet, strength: Strength) {
    if !cc.is_object() {
        r.err(path, "datatype", "expected a CodeableConcept (JSON object)");
        return;
    }
    if in_vs(cc, vs) {
        return;
    }
    let has_codings = !list(cc, "coding").is_empty();
    match strength {
        Strength::Required => r.err(
            path,
            "binding",
            format!("no coding from required value set {}", vs.describe()),
        ),
        Strength::Extensible if has_codings => r.warn(
            path,
            "binding",
            format!("no coding from extensible value set {}", vs.describe()),
        ),
        Strength::Extensible => {}
    }
}

/// Required binding on a Coding value at `path`.
pub fn binding_coding(r: &mut Report, coding: &Value, path: &str, vs: &ValueSet) {
    if !coding.is_object() {
        r.err(path, "datatype", "expected a Coding (JSON object)");
        return;
    }
    let system = get_str(coding, "system").unwrap_or("");
    if !vs.contains(system, get_str(coding, "code")) {
        r.err(
            path,
            "binding",
            format!("coding is not in required value set {}", vs.describe()),
        );
    }
}

/// Binding on `obj.key` (single CodeableConcept or array of them), when present.
pub fn binding_at(r: &mut Report, obj: &Value, base: &str, key: &str, vs: &ValueSet, s: Strength) {
    match obj.get(key) {
        Some(Value::Array(a)) => {
            for (i, cc) in a.iter().enumerate() {
                binding(r, cc, &idx(base, key, i), vs, s);
            }
        }
        Some(cc) => binding(r, cc, &child(base, key), vs, s),
        None => {}
    }
}

/// `patternCodeableConcept` with a single coding.
pub fn pattern_cc(r: &mut Report, cc: Option<&Value>, path: &str, system: &str, code: &str) {
    let ok = cc.is_some_and(|cc| has_coding(cc, system, code));
    if !ok {
        r.err(
            path,
            "pattern",
            format!("must contain the coding {system}#{code}"),
        );
    }
}

/// Relative literal reference `Type/id[/_history/v]` -> `(Type, id)`; `None` for absolute URLs,
/// contained (`#x`) references, logical references and anything else we do not type-check.
pub fn relative_ref(reference: &str) -> Option<(&str, &str)> {
    if reference.contains(':') || reference.starts_with('#') || reference.contains('?') {
        return None;
    }
    let parts: Vec<&str> = reference.split('/').collect();
    let (ty, id) = match parts.as_slice() {
        [ty, id] => (*ty, *id),
        [ty, id, "_history", _] => (*ty, *id),
        _ => return None,
    };
    let type_ok = ty.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && ty.chars().all(|c| c.is_ascii_alphabetic());
    type_ok.then_some((ty, id))
}

/// Resource type a Reference value points to, when it is a relative literal reference.
pub fn ref_type(reference_value: &Value) -> Option<&str> {
    get_str(reference_value, "reference")
        .and_then(relative_ref)
        .map(|(t, _)| t)
}

/// Check one Reference value's target type.
pub fn reference(r: &mut Report, v: &Value, path: &str, allowed: &[&str]) {
    if !v.is_object() {
        r.err(path, "datatype", "expected a Reference (JSON object)");
        return;
    }
    prim(r, v, path, "reference", Prim::Str);
    let Some(s) = get_str(v, "reference") else {
        return;
    };
    if let Some((ty, id)) = relative_ref(s) {
        if !allowed.contains(&ty) {
            r.err(
                &child(path, "reference"),
                "reference-type",
                format!(
                    "reference to {ty} is not allowed here (allowed: {})",
                    allowed.join(", ")
                ),
            );
        }
        if !super::json::is_id(id) {
            r.err(
                &child(path, "reference"),
                "datatype",
                format!("'{id}' is not a valid FHIR id"),
            );
        }
    }
}

/// Check `obj.key` Reference(s) when present.
pub fn reference_at(r: &mut Report, obj: &Value, base: &str, key: &str, allowed: &[&str]) {
    match obj.get(key) {
        Some(Value::Array(a)) => {
            for (i, v) in a.iter().enumerate() {
                reference(r, v, &idx(base, key, i), allowed);
            }
        }
        Some(v) => reference(r, v, &child(base, key), allowed),
        None => {}
    }
}

/// Period: start/end are dateTimes and `per-1` (start <= end).
pub fn period(r: &mut Report, p: &Value, path: &str) {
    prim(r, p, path, "start", Prim::DateTime);
    prim(r, p, path, "end", Prim::DateTime);
    if let (Some(s), Some(e)) = (get_str(p, "start"), get_str(p, "end")) {
        if let (Some((s0, _)), Some((_, e1))) = (time_range(s), time_range(e)) {
            // a bare date has no zone: against a zoned dateTime allow for any offset (±14h)
            let slack = if s.contains('T') == e.contains('T') {
                0
            } else {
                2 * 14 * 60
            };
            if s0 > e1 + slack {
                r.err(path, "per-1", format!("period start {s} is after end {e}"));
            }
        }
    }
}

pub fn period_at(r: &mut Report, obj: &Value, base: &str, key: &str) {
    if let Some(p) = obj.get(key) {
        period(r, p, &child(base, key));
    }
}

/// Money: value decimal, currency 3-letter code.
pub fn money(r: &mut Report, m: &Value, path: &str) {
    prim(r, m, path, "value", Prim::Decimal);
    if let Some(c) = m.get("currency") {
        let ok = c
            .as_str()
            .is_some_and(|s| s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase()));
        if !ok {
            r.err(
                &child(path, "currency"),
                "datatype",
                format!("{c} is not an ISO 4217 currency code"),
            );
        }
    }
}

pub fn money_at(r: &mut Report, obj: &Value, base: &str, key: &str) {
    if let Some(m) = obj.get(key) {
        money(r, m, &child(base, key));
    }
}

/// Quantity: value decimal, comparator code, strings for unit/system/code.
pub fn quantity(r: &mut Report, q: &Value, path: &str) {
    prim(r, q, path, "value", Prim::Decimal);
    code_in(r, q, path, "comparator", codes::QTY_COMPARATOR);
    for k in ["unit", "system", "code"] {
        prim(r, q, path, k, Prim::Str);
    }
}

pub fn quantity_at(r: &mut Report, obj: &Value, base: &str, key: &str) {
    if let Some(q) = obj.get(key) {
        quantity(r, q, &child(base, key));
    }
}

/// Identifier(s) at `obj.key`: use code, period; `system_value_required` for US Core Patient.
pub fn identifiers(r: &mut Report, obj: &Value, base: &str, system_value_required: bool) {
    for (i, id) in list(obj, "identifier").iter().enumerate() {
        let p = idx(base, "identifier", i);
        code_in(r, id, &p, "use", codes::IDENTIFIER_USE);
        prim(r, id, &p, "system", Prim::Str);
        prim(r, id, &p, "value", Prim::Str);
        card_one(r, id, &p, "system", system_value_required);
        card_one(r, id, &p, "value", system_value_required);
        period_at(r, id, &p, "period");
    }
}

/// HumanName(s) at `obj.key`.
pub fn names(r: &mut Report, obj: &Value, base: &str, key: &str) {
    for (i, n) in list(obj, key).iter().enumerate() {
        let p = idx(base, key, i);
        code_in(r, n, &p, "use", codes::NAME_USE);
        prim(r, n, &p, "family", Prim::Str);
        card_list(r, n, &p, "given", 0, None);
        prim(r, n, &p, "given", Prim::Str);
        period_at(r, n, &p, "period");
    }
}

/// ContactPoint(s) at `obj.key`; `system_value_required` for US Core Patient.
pub fn telecoms(r: &mut Report, obj: &Value, base: &str, key: &str, system_value_required: bool) {
    for (i, t) in list(obj, key).iter().enumerate() {
        let p = idx(base, key, i);
        code_in(r, t, &p, "system", codes::CONTACT_SYSTEM);
        code_in(r, t, &p, "use", codes::CONTACT_USE);
        prim(r, t, &p, "value", Prim::Str);
        prim(r, t, &p, "rank", Prim::PositiveInt);
        card_one(r, t, &p, "system", system_value_required);
        card_one(r, t, &p, "value", system_value_required);
        if t.get("value").is_some() && t.get("system").is_none() {
            r.err(&p, "cpt-2", "a system is required if a value is provided");
        }
        period_at(r, t, &p, "period");
    }
}

/// Address(es) at `obj.key`; `max_lines` for US Core Organization (4).
pub fn addresses(r: &mut Report, obj: &Value, base: &str, key: &str, max_lines: Option<usize>) {
    for (i, a) in list(obj, key).iter().enumerate() {
        let p = idx(base, key, i);
        code_in(r, a, &p, "use", codes::ADDRESS_USE);
        code_in(r, a, &p, "type", codes::ADDRESS_TYPE);
        card_list(r, a, &p, "line", 0, max_lines);
        for k in ["text", "city", "district", "state", "postalCode", "country"] {
            prim(r, a, &p, k, Prim::Str);
        }
        prim(r, a, &p, "line", Prim::Str);
        period_at(r, a, &p, "period");
    }
}

/// Generic `ele-1` (every element has a value or children): no empty objects, arrays or strings,
/// and no JSON `null` except as a placeholder in primitive arrays paired with a `_name` array.
pub fn ele1(r: &mut Report, v: &Value, path: &str) {
    match v {
        Value::Object(map) => {
            if map.is_empty() {
                r.err(path, "ele-1", "element has neither a value nor children");
            }
            for (k, c) in map {
                let nulls_ok = k.starts_with('_') || map.contains_key(&format!("_{k}"));
                match c {
                    Value::Array(a) => {
                        if a.is_empty() {
                            r.err(&child(path, k), "ele-1", "empty array");
                        }
                        let is_ext = k == "extension" || k == "modifierExtension";
                        for (i, e) in a.iter().enumerate() {
                            if e.is_null() && nulls_ok {
                                continue;
                            }
                            if is_ext {
                                extension(r, e, &idx(path, k, i));
                            }
                            ele1(r, e, &idx(path, k, i));
                        }
                    }
                    _ => ele1(r, c, &child(path, k)),
                }
            }
        }
        Value::String(s) if s.is_empty() => r.err(path, "ele-1", "empty string"),
        Value::Null => r.err(path, "ele-1", "null is not a FHIR value"),
        _ => {}
    }
}

/// Extension: `url` 1..1 and `ext-1` (either nested extensions or a value[x], not both).
fn extension(r: &mut Report, e: &Value, path: &str) {
    if !e.is_object() {
        r.err(path, "datatype", "an extension must be a JSON object");
        return;
    }
    card_one(r, e, path, "url", true);
    prim(r, e, path, "url", Prim::Str);
    let values = super::json::choice_keys(e, "value").len();
    let nested = e.get("extension").is_some();
    if values > 1 {
        r.err(path, "cardinality", "only one value[x] is allowed");
    }
    if nested == (values > 0) {
        r.err(
            path,
            "ext-1",
            "an extension must have either nested extensions or a value[x], not both",
        );
    }
}

/// Every `reference` string anywhere below `v`.
fn collect_references<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => {
            for (k, c) in map {
                match (k.as_str(), c) {
                    ("reference", Value::String(s)) => out.push(s),
                    _ => collect_references(c, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|c| collect_references(c, out)),
        _ => {}
    }
}

/// `dom-2..dom-6` on a DomainResource at `base`.
pub fn dom(r: &mut Report, res: &Value, base: &str, contained: bool) {
    let mut refs = Vec::new();
    collect_references(res, &mut refs);
    for (i, c) in list(res, "contained").iter().enumerate() {
        let p = idx(base, "contained", i);
        if c.get("contained").is_some() {
            r.err(
                &p,
                "dom-2",
                "a contained resource must not contain resources",
            );
        }
        let meta = c.get("meta");
        if meta.is_some_and(|m| m.get("versionId").is_some() || m.get("lastUpdated").is_some()) {
            r.err(
                &p,
                "dom-4",
                "a contained resource must not have meta.versionId or meta.lastUpdated",
            );
        }
        if meta.is_some_and(|m| m.get("security").is_some()) {
            r.err(
                &p,
                "dom-5",
                "a contained resource must not have a security label",
            );
        }
        let referenced = match get_str(c, "id") {
            Some(id) => refs.iter().any(|s| *s == format!("#{id}") || *s == "#"),
            None => false,
        };
        if !referenced {
            r.err(
                &p,
                "dom-3",
                "contained resource is not referenced from the containing resource",
            );
        }
    }
    let has_div = res.get("text").and_then(|t| t.get("div")).is_some();
    if !contained && !has_div {
        r.warn(base, "dom-6", "a resource should have narrative (text.div)");
    }
}
