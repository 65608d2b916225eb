//! JSON plumbing: the issue collector, element access, cardinality and primitive-format checks.

use serde_json::Value;

use super::{Issue, Severity};

/// Collects issues while a resource is walked.
#[derive(Debug, Default)]
pub struct Report {
    pub issues: Vec<Issue>,
}

impl Report {
    pub fn err(&mut self, path: &str, rule: &'static str, message: impl Into<String>) {
        self.push(Severity::Error, path, rule, message.into());
    }

    pub fn warn(&mut self, path: &str, rule: &'static str, message: impl Into<String>) {
        self.push(Severity::Warning, path, rule, message.into());
    }

    pub fn push(&mut self, severity: Severity, path: &str, rule: &'static str, message: String) {
        self.issues.push(Issue {
            severity,
            path: path.to_string(),
            rule,
            message,
        });
    }
}

/// `base.key`
pub fn child(base: &str, key: &str) -> String {
    format!("{base}.{key}")
}

/// `base.key[i]`
pub fn idx(base: &str, key: &str, i: usize) -> String {
    format!("{base}.{key}[{i}]")
}

/// The elements of a repeating element: the array, a lone (mis-shaped) value, or nothing.
pub fn list<'a>(obj: &'a Value, key: &str) -> &'a [Value] {
    match obj.get(key) {
        Some(Value::Array(a)) => a,
        Some(v) => std::slice::from_ref(v),
        None => &[],
    }
}

pub fn get_str<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

/// Number of values given for an element (array length, 1 for a single value, 0 if absent).
/// A primitive that carries only an extension (`"_family": {"extension": […]}`, e.g. a
/// data-absent-reason) is present in FHIR terms, so `_key` counts too.
pub fn count(obj: &Value, key: &str) -> usize {
    match obj.get(key).or_else(|| obj.get(format!("_{key}").as_str())) {
        Some(Value::Array(a)) => a.len(),
        Some(_) => 1,
        None => 0,
    }
}

/// Choice-type keys present on `obj` for `prefix` (e.g. `serviced` -> `servicedDate`).
pub fn choice_keys<'a>(obj: &'a Value, prefix: &str) -> Vec<(&'a str, &'a Value)> {
    let Some(map) = obj.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter(|(k, _)| {
            k.strip_prefix(prefix)
                .and_then(|rest| rest.chars().next())
                .is_some_and(|c| c.is_ascii_uppercase())
        })
        .map(|(k, v)| (k.as_str(), v))
        .collect()
}

fn card_msg(r: &mut Report, path: &str, n: usize, min: usize, max: Option<usize>, what: &str) {
    let max_s = max.map_or("*".to_string(), |m| m.to_string());
    if n < min || max.is_some_and(|m| n > m) {
        r.err(
            path,
            "cardinality",
            format!("{what} has {n} value(s); cardinality is {min}..{max_s}"),
        );
    }
}

/// Cardinality of a repeating (array) element; also flags a non-array value.
pub fn card_list(
    r: &mut Report,
    obj: &Value,
    base: &str,
    key: &str,
    min: usize,
    max: Option<usize>,
) {
    let path = child(base, key);
    if let Some(v) = obj.get(key) {
        if !v.is_array() {
            r.err(
                &path,
                "datatype",
                format!("'{key}' repeats and must be a JSON array"),
            );
        }
    }
    card_msg(r, &path, count(obj, key), min, max, key);
}

/// Cardinality of a non-repeating element (0..1 or 1..1); also flags an array value.
pub fn card_one(r: &mut Report, obj: &Value, base: &str, key: &str, required: bool) {
    let path = child(base, key);
    match obj.get(key) {
        Some(Value::Array(_)) => r.err(
            &path,
            "datatype",
            format!("'{key}' does not repeat and must not be an array"),
        ),
        Some(_) => {}
        None if required && obj.get(format!("_{key}").as_str()).is_none() => {
            r.err(&path, "cardinality", format!("'{key}' is required (1..1)"));
        }
        None => {}
    }
}

/// Cardinality of a slice or element counted by the caller.
pub fn card_count(
    r: &mut Report,
    path: &str,
    n: usize,
    min: usize,
    max: Option<usize>,
    what: &str,
) {
    card_msg(r, path, n, min, max, what);
}

/// A choice element `prefix[x]`: at most one type present, of an allowed type; `required` = 1..1.
/// Returns the key/value actually present.
pub fn card_choice<'a>(
    r: &mut Report,
    obj: &'a Value,
    base: &str,
    prefix: &str,
    required: bool,
    allowed: &[&str],
) -> Option<(&'a str, &'a Value)> {
    let keys = choice_keys(obj, prefix);
    let path = format!("{base}.{prefix}[x]");
    if keys.len() > 1 {
        r.err(
            &path,
            "cardinality",
            format!("only one of {prefix}[x] may be present"),
        );
    }
    if keys.is_empty() && required {
        r.err(
            &path,
            "cardinality",
            format!("{prefix}[x] is required (1..1)"),
        );
    }
    for (k, _) in &keys {
        let ty = &k[prefix.len()..];
        if !allowed.contains(&ty) {
            r.err(
                &child(base, k),
                "datatype",
                format!(
                    "{prefix}[x] must be one of {}; found {ty}",
                    allowed.join(", ")
                ),
            );
        }
    }
    keys.into_iter().next()
}

// --- primitive formats ---------------------------------------------------------------------------

pub use crate::fhir::datetime::{is_date, is_datetime, is_instant};

/// FHIR `id`.
pub use crate::fhir::id::is_valid_id as is_id;

/// Ordering key for a date/dateTime, used by `per-1`: `(first, last)` minute covered by the value
/// (UTC where a zone is given), so partial dates compare as ranges. Values without a time have no
/// zone; callers comparing them with zoned values must widen them by up to 14 hours.
pub fn time_range(s: &str) -> Option<(i64, i64)> {
    if !is_datetime(s) {
        return None;
    }
    let (d, t) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let p: Vec<i64> = d.split('-').filter_map(|x| x.parse().ok()).collect();
    let y = p[0];
    let day_index = |y: i64, m: i64, dd: i64| -> i64 {
        // days from civil (proleptic Gregorian)
        let y = if m <= 2 { y - 1 } else { y };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + dd - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe
    };
    const DAY: i64 = 1440;
    match (p.len(), t) {
        (1, _) => Some((day_index(y, 1, 1) * DAY, day_index(y + 1, 1, 1) * DAY - 1)),
        (2, _) => {
            let m = p[1];
            let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            Some((day_index(y, m, 1) * DAY, day_index(ny, nm, 1) * DAY - 1))
        }
        (3, None) => {
            let s0 = day_index(y, p[1], p[2]) * DAY;
            Some((s0, s0 + DAY - 1))
        }
        (3, Some(t)) => {
            let base = day_index(y, p[1], p[2]) * DAY;
            let h: i64 = t.get(0..2)?.parse().ok()?;
            let mi: i64 = t.get(3..5)?.parse().ok()?;
            let mut off = 0;
            if !t.ends_with('Z') {
                let z = &t[t.len() - 6..];
                let sign = if z.starts_with('-') { -1 } else { 1 };
                let zh: i64 = z.get(1..3)?.parse().ok()?;
                let zm: i64 = z.get(4..6)?.parse().ok()?;
                off = sign * (zh * 60 + zm);
            }
            let v = base + h * 60 + mi - off;
            Some((v, v))
        }
        _ => None,
    }
}

/// Which primitive format a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prim {
    Str,
    Bool,
    PositiveInt,
    Decimal,
    Date,
    DateTime,
    Instant,
    Id,
}

/// Check `obj.key` (if present) against a primitive type; arrays are checked element-wise.
pub fn prim(r: &mut Report, obj: &Value, base: &str, key: &str, ty: Prim) {
    let Some(v) = obj.get(key) else { return };
    match v {
        Value::Array(a) => {
            for (i, e) in a.iter().enumerate() {
                prim_value(r, e, &idx(base, key, i), ty);
            }
        }
        _ => prim_value(r, v, &child(base, key), ty),
    }
}

pub fn prim_value(r: &mut Report, v: &Value, path: &str, ty: Prim) {
    let ok = match ty {
        Prim::Str => v.is_string(),
        Prim::Bool => v.is_boolean(),
        Prim::PositiveInt => v
            .as_u64()
            .is_some_and(|n| (1..=i32::MAX as u64).contains(&n)),
        Prim::Decimal => v.is_number(),
        Prim::Date => v.as_str().is_some_and(is_date),
        Prim::DateTime => v.as_str().is_some_and(is_datetime),
        Prim::Instant => v.as_str().is_some_and(is_instant),
        Prim::Id => v.as_str().is_some_and(is_id),
    };
    if !ok && !v.is_null() {
        r.err(
            path,
            "datatype",
            format!("value {v} is not a valid FHIR {ty:?}"),
        );
    }
}

/// Required binding on a `code` primitive.
pub fn code_in(r: &mut Report, obj: &Value, base: &str, key: &str, allowed: &[&str]) {
    let Some(v) = obj.get(key) else { return };
    let path = child(base, key);
    match v.as_str() {
        Some(s) if allowed.contains(&s) => {}
        Some(s) => r.err(
            &path,
            "binding",
            format!(
                "code '{s}' is not in the required value set ({})",
                allowed.join(", ")
            ),
        ),
        None => r.err(
            &path,
            "datatype",
            format!("'{key}' must be a code (JSON string)"),
        ),
    }
}
