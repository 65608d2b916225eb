//! The C4BB 2.0.0 profile checker behind `carin-sandbox validate`.
//!
//! [`validate_resource`] checks one resource against the CARIN Blue Button 2.0.0 profile named in
//! its `meta.profile` (which must carry a `|2.0.x` version). It covers what can be decided from the
//! resource alone, without the full FHIR R4 specification or terminology servers:
//!
//! * core R4 basics: `resourceType`, `id` format, required R4 elements, primitive formats (date,
//!   dateTime, instant, positiveInt, decimal, boolean), required bindings on `code` elements, the
//!   generic `ele-1` and `dom-2`..`dom-6` rules;
//! * every profile cardinality (elements and slices), fixed/pattern values, required bindings
//!   (full code check for value sets the IG enumerates; system-URL check for licensed external
//!   code systems), extensible bindings (warnings), reference target types;
//! * the IG invariants that do not need other resources (`resolve()` is approximated from the
//!   relative reference `Type/id`).
//!
//! Rule ids in [`Issue::rule`] are invariant keys (e.g. `EOB-insurance-focal`) or generic names:
//! `cardinality`, `datatype`, `binding`, `pattern`, `reference-type`, `code-invalid`,
//! `resource-type`, `unknown-profile`.
//!
//! Nothing here reads files: all code tables are compiled in (see `codes.rs`).

mod adjudication;
mod audit;
mod codes;
mod datatypes;
mod eob;
mod eob_items;
mod invariants;
mod json;
mod others;
mod profiles;
mod slices;
mod valuesets;

#[cfg(test)]
mod test_fixtures;
#[cfg(test)]
mod tests_eob;
#[cfg(test)]
mod tests_eob_oral_rx;
#[cfg(test)]
mod tests_eob_profiles;
#[cfg(test)]
mod tests_examples;
#[cfg(test)]
mod tests_others;

use serde_json::Value;

pub use profiles::Profile;

use json::{card_list, card_one, child, get_str, idx, list, prim, Prim, Report};

/// How bad an [`Issue`] is: errors make the resource non-conformant, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Severity {
    Error,
    Warning,
}

/// One finding of the checker.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Issue {
    pub severity: Severity,
    /// FHIRPath-like location, e.g. `ExplanationOfBenefit.item[0].adjudication[2].category`.
    pub path: String,
    /// Stable rule id: an invariant key like `EOB-insurance-focal`, or `cardinality`, `binding`,
    /// `pattern`, `datatype`, `reference-type`, `code-invalid`, `resource-type`, `unknown-profile`,
    /// `…-meta-profile-version`, `ele-1`, `dom-3`, …
    pub rule: &'static str,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:?} [{}] {}: {}",
            self.severity, self.rule, self.path, self.message
        )
    }
}

/// True when any issue is an error.
pub fn has_errors(issues: &[Issue]) -> bool {
    issues.iter().any(|i| i.severity == Severity::Error)
}

/// Concrete C4BB profiles named in `meta.profile` (versioned or not), in order, deduplicated.
pub fn claimed_profiles(resource: &Value) -> Vec<Profile> {
    let mut out = Vec::new();
    let profiles = resource
        .get("meta")
        .map(|m| list(m, "profile"))
        .unwrap_or(&[]);
    for p in profiles.iter().filter_map(Value::as_str) {
        if let Some(p) = Profile::from_canonical(p) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// Which C4BB profile a resource claims (the first concrete one in `meta.profile`).
pub fn profile_of(resource: &Value) -> Option<Profile> {
    claimed_profiles(resource).into_iter().next()
}

/// Validate one resource against the C4BB 2.0.0 profile named in its meta.profile (must carry `|2.0.x`).
///
/// A resource claiming several C4BB profiles is checked against each. Contained resources that
/// claim a C4BB profile are validated too (their issue paths start with `….contained[i]`).
pub fn validate_resource(resource: &Value) -> Vec<Issue> {
    let mut r = Report::default();
    let Some(rt) = resource.get("resourceType").and_then(Value::as_str) else {
        let msg = if resource.is_object() {
            "resourceType is missing"
        } else {
            "a resource must be a JSON object"
        };
        r.err("Resource", "resource-type", msg);
        return r.issues;
    };
    json_wide_checks(&mut r, resource, rt);
    validate_at(&mut r, resource, rt, false);
    r.issues
}

/// Same as [`validate_resource`], for a resource that must conform to `profile` specifically
/// (an error `unknown-profile` is added when `meta.profile` does not claim it).
pub fn validate_as(resource: &Value, profile: Profile) -> Vec<Issue> {
    let mut issues = validate_resource(resource);
    if !claimed_profiles(resource).contains(&profile) {
        let base = resource
            .get("resourceType")
            .and_then(Value::as_str)
            .unwrap_or("Resource");
        issues.push(Issue {
            severity: Severity::Error,
            path: format!("{base}.meta.profile"),
            rule: "unknown-profile",
            message: format!("resource does not claim {}", profile.name()),
        });
    }
    issues
}

/// Checks that look at every node of the JSON tree once (contained resources included).
fn json_wide_checks(r: &mut Report, resource: &Value, base: &str) {
    datatypes::ele1(r, resource, base);
    unknown_codes(r, resource, base);
}

/// A coding whose system is one of the fully known code systems must use one of its codes.
fn unknown_codes(r: &mut Report, v: &Value, path: &str) {
    let Value::Object(map) = v else { return };
    if let (Some(sys), Some(code)) = (get_str(v, "system"), get_str(v, "code")) {
        if let Some((_, known)) = codes::COMPLETE_SYSTEMS.iter().find(|(s, _)| *s == sys) {
            if !known.contains(&code) {
                r.err(
                    path,
                    "code-invalid",
                    format!("'{code}' is not a code of {sys}"),
                );
            }
        }
    }
    for (k, c) in map {
        match c {
            Value::Array(a) => {
                for (i, e) in a.iter().enumerate() {
                    unknown_codes(r, e, &idx(path, k, i));
                }
            }
            _ => unknown_codes(r, c, &child(path, k)),
        }
    }
}

/// Validate a (possibly contained) resource found at `base`.
fn validate_at(r: &mut Report, res: &Value, base: &str, contained: bool) {
    let rt = get_str(res, "resourceType").unwrap_or_default();
    match res.get("id") {
        Some(_) => prim(r, res, base, "id", Prim::Id),
        None if contained => r.err(
            &child(base, "id"),
            "cardinality",
            "a contained resource needs an id",
        ),
        None => {}
    }
    // What the server itself records: checked against FHIR R4 (and US Core Provenance).
    if matches!(rt, "AuditEvent" | "Provenance") {
        if rt == "AuditEvent" {
            audit::audit_event(r, res, base);
        } else {
            audit::provenance(r, res, base);
        }
        datatypes::dom(r, res, base, contained);
        return;
    }
    let profiles = claimed_profiles(res);
    if profiles.is_empty() && !contained {
        let claims_abstract = res
            .get("meta")
            .map(|m| list(m, "profile"))
            .unwrap_or(&[])
            .iter()
            .filter_map(Value::as_str)
            .any(|p| p.split('|').next() == Some(profiles::ABSTRACT_EOB));
        let msg = if claims_abstract {
            "C4BB-ExplanationOfBenefit is abstract: claim one of the five concrete EOB profiles"
                .to_string()
        } else {
            format!("meta.profile names no C4BB 2.0.0 profile for {rt}")
        };
        r.err(&format!("{base}.meta.profile"), "unknown-profile", msg);
    }
    for p in profiles {
        if p.resource_type() != rt {
            r.err(
                &child(base, "resourceType"),
                "resource-type",
                format!("{} constrains {}, not {rt}", p.name(), p.resource_type()),
            );
            continue;
        }
        meta(r, res, base, p, contained);
        match p {
            Profile::Patient => others::patient(r, res, base),
            Profile::Coverage => others::coverage(r, res, base),
            Profile::Organization => others::organization(r, res, base, contained),
            Profile::Practitioner => others::practitioner(r, res, base),
            Profile::RelatedPerson => others::related_person(r, res, base),
            _ => eob::check(r, res, base, p),
        }
    }
    if rt.is_empty() {
        r.err(
            &child(base, "resourceType"),
            "resource-type",
            "resourceType is missing",
        );
    }
    datatypes::dom(r, res, base, contained);
    if !contained {
        for (i, c) in list(res, "contained").iter().enumerate() {
            validate_at(r, c, &idx(base, "contained", i), true);
        }
    }
}

/// `meta` cardinalities and the `…-meta-profile-version` invariant.
fn meta(r: &mut Report, res: &Value, base: &str, p: Profile, contained: bool) {
    card_one(r, res, base, "meta", true);
    let Some(meta) = res.get("meta") else { return };
    let mbase = child(base, "meta");
    card_list(r, meta, &mbase, "profile", 1, None);
    prim(r, meta, &mbase, "profile", Prim::Str);
    prim(r, meta, &mbase, "versionId", Prim::Id);
    prim(r, meta, &mbase, "lastUpdated", Prim::Instant);
    // Organization: `uncontained-requires-lastUpdated`; Practitioner: optional; the rest: 1..1.
    let needs_last_updated =
        !matches!(p, Profile::Organization | Profile::Practitioner) && !contained;
    card_one(r, meta, &mbase, "lastUpdated", needs_last_updated);
    let prefix = format!("{}|2.0.", p.canonical());
    let versioned = list(meta, "profile")
        .iter()
        .filter_map(Value::as_str)
        .any(|s| s.starts_with(&prefix));
    if !versioned {
        r.err(
            &child(&mbase, "profile"),
            p.version_rule(),
            format!("meta.profile must contain {}|2.0.x", p.canonical()),
        );
    }
}
