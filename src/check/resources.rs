//! The FHIR API checks, in the kit's order: Patient, ExplanationOfBenefit (searches, includes,
//! read, the EOB rules), Coverage, then the optional Organization, Practitioner and
//! RelatedPerson groups; then paging and bad input (warnings only), validation of everything
//! returned, and must-support coverage over what the kit would examine.
//!
//! Every search's results are checked against the search semantics of `fhir::search` (the
//! sandbox's own registry and evaluator): each returned resource must match, and the resource
//! the parameters were taken from must be returned when it matches and the answer has one page.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::must_support::{self, Coverage};
use super::report::{Check, Finding, Group};
use super::{Checker, Found};
use crate::fhir::datetime::{civil_from_days, days_from_civil};
use crate::fhir::search::eval::matches_at;
use crate::fhir::search::params::parse;
use crate::validate::{self, Severity};

/// What the kit examines for must-support: the patients, the first page of each patient's EOBs,
/// and the one Coverage, Organization, Practitioner and RelatedPerson it fetches by `_id`.
#[derive(Debug, Default, Clone)]
pub struct KitView {
    pub patients: Vec<Value>,
    pub eobs: Vec<Value>,
    pub coverage: Option<Value>,
    pub organization: Option<Value>,
    pub practitioner: Option<Value>,
    pub related_person: Option<Value>,
}

impl KitView {
    pub fn all(&self) -> Vec<&Value> {
        let mut out: Vec<&Value> = self.patients.iter().chain(&self.eobs).collect();
        out.extend(
            [
                &self.coverage,
                &self.organization,
                &self.practitioner,
                &self.related_person,
            ]
            .into_iter()
            .flatten(),
        );
        out
    }
}

/// The API groups' result.
pub struct ApiOutcome {
    pub patients: Vec<String>,
    pub groups: Vec<Group>,
    pub kit_view: KitView,
}

/// `Type/id` of a reference (relative or absolute, versioned or not); None for contained
/// (`#…`) or odd references.
pub fn type_and_id(reference: &str) -> Option<(String, String)> {
    if reference.starts_with('#') {
        return None;
    }
    let path = reference.split("/_history/").next()?;
    let mut parts = path.rsplit('/');
    let id = parts.next()?;
    let ty = parts.next()?;
    (!id.is_empty() && ty.starts_with(|c: char| c.is_ascii_uppercase()))
        .then(|| (ty.to_string(), id.to_string()))
}

/// The references the kit saves from a page of EOBs, in its order: per EOB insurer, provider,
/// payee.party, careTeam.provider, insurance.coverage.
pub fn kit_references(eobs: &[&Value]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for eob in eobs {
        for path in [
            "insurer",
            "provider",
            "payee.party",
            "careTeam.provider",
            "insurance.coverage",
        ] {
            out.extend(references_at(eob, path));
        }
    }
    out
}

/// The references at a dotted path (`careTeam.provider`), as `(Type, id)`.
pub fn references_at(resource: &Value, path: &str) -> Vec<(String, String)> {
    let mut current = vec![resource];
    for name in path.split('.') {
        current = current
            .into_iter()
            .flat_map(|v| match &v[name] {
                Value::Array(a) => a.iter().collect::<Vec<_>>(),
                Value::Null => Vec::new(),
                x => vec![x],
            })
            .collect();
    }
    current
        .into_iter()
        .filter_map(|r| r["reference"].as_str())
        .filter_map(type_and_id)
        .collect()
}

fn str_of(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string)
}

fn label(r: &Value) -> String {
    format!(
        "{}/{}",
        r["resourceType"].as_str().unwrap_or("?"),
        r["id"].as_str().unwrap_or("?")
    )
}

/// The day before a FHIR date or dateTime, as the kit sends it: `gt2019-12-31T00:00:00+00:00`.
pub fn day_before(start: &str) -> Option<String> {
    let date = start.get(..10)?;
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) - 1);
    Some(format!("{y:04}-{m:02}-{d:02}T00:00:00+00:00"))
}

/// A search whose results are checked against the parameters: each returned resource of the
/// type must match, and `expected` must be among them when it matches and there is one page.
fn searched(
    c: &mut Checker<'_>,
    check: &mut Check,
    ty: &str,
    params: &[(&str, String)],
    expected: Option<&Value>,
) -> Option<Found> {
    let found = c.search(check, ty, params)?;
    let pairs: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    let query = match parse(ty, &pairs, false) {
        Ok(q) => q,
        Err(e) => {
            check.note(format!("results not evaluated locally: {e}"));
            return Some(found);
        }
    };
    let shown: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for m in &found.matches {
        if m["resourceType"] != ty {
            check.fail(format!("a {} came back as a match", label(m)));
        } else if !matches_at(&query, m, c.now_ms()) {
            check.fail(format!(
                "{} was returned but does not match {}",
                label(m),
                shown.join("&")
            ));
        }
    }
    if let Some(e) = expected {
        let present = found.matches.iter().any(|m| m["id"] == e["id"]);
        if matches_at(&query, e, c.now_ms()) && !present && found.next.is_none() {
            check.fail(format!(
                "{} matches {} but was not returned",
                label(e),
                shown.join("&")
            ));
        }
    }
    Some(found)
}

/// `{type}?_lastUpdated=<its meta.lastUpdated, verbatim>`: the resource must come back.
fn last_updated(c: &mut Checker<'_>, id: String, resource: &Value, required: bool) -> Check {
    let ty = resource["resourceType"].as_str().unwrap_or("?");
    let mut check = Check::new(
        id,
        format!("{ty}?_lastUpdated=<its meta.lastUpdated>"),
        required,
    );
    match str_of(&resource["meta"]["lastUpdated"]) {
        Some(at) => {
            searched(c, &mut check, ty, &[("_lastUpdated", at)], Some(resource));
        }
        None => check.skip(format!("{} has no meta.lastUpdated", label(resource))),
    }
    check
}

/// `GET [base]/{type}/{id}/_history/{vid}` of a resource that carries `meta.versionId`.
fn vread(c: &mut Checker<'_>, check: &mut Check, resource: &Value) {
    let (Some(ty), Some(id)) = (resource["resourceType"].as_str(), resource["id"].as_str()) else {
        return;
    };
    let Some(vid) = resource["meta"]["versionId"].as_str() else {
        check.skip(format!("{ty}/{id} has no meta.versionId"));
        return;
    };
    let url = c.url(&format!("{ty}/{id}/_history/{vid}"));
    if let Some(v) = c.get_json(check, &url) {
        if v["id"] != id || v["meta"]["versionId"] != vid {
            check.fail(format!(
                "GET {url} answered {} version {}",
                label(&v),
                v["meta"]["versionId"]
            ));
        } else {
            c.keep(&v);
        }
    }
}

/// Runs the API groups for the patients given, or the token's, or the first one listed.
pub fn run(
    c: &mut Checker<'_>,
    given: &[String],
    token_patient: Option<String>,
    page_size: u32,
) -> ApiOutcome {
    let mut view = KitView::default();
    let mut patient_group = Group::new("patient", "Patient");
    let patients = choose_patients(c, &mut patient_group, given, token_patient);
    for pid in &patients {
        patient_checks(c, &mut patient_group, pid, &mut view);
    }
    let mut eob_group = Group::new("eob", "ExplanationOfBenefit");
    eob_checks(c, &mut eob_group, &patients, &mut view, page_size);
    let eobs: Vec<&Value> = view.eobs.iter().collect();
    let references = kit_references(&eobs);
    let mut coverage_group = Group::new("coverage", "Coverage");
    let payors = coverage_checks(c, &mut coverage_group, &references, &patients, &mut view);
    let mut groups = vec![patient_group, eob_group, coverage_group];
    let mut org_refs = references.clone();
    org_refs.extend(payors);
    for (ty, title, refs) in [
        ("Organization", "Organization (optional)", &org_refs),
        ("Practitioner", "Practitioner (optional)", &references),
        ("RelatedPerson", "RelatedPerson (optional)", &references),
    ] {
        let (group, resource) = referenced_group(c, ty, title, refs);
        match ty {
            "Organization" => view.organization = resource,
            "Practitioner" => view.practitioner = resource,
            _ => view.related_person = resource,
        }
        groups.push(group);
    }
    groups.push(error_checks(c, patients.first(), view.eobs.first()));
    ApiOutcome {
        patients,
        groups,
        kit_view: view,
    }
}

fn choose_patients(
    c: &mut Checker<'_>,
    group: &mut Group,
    given: &[String],
    token_patient: Option<String>,
) -> Vec<String> {
    let mut check = Check::new("patient.ids", "the patients to check", true);
    let patients = if !given.is_empty() {
        check.note(format!("given: {}", given.join(", ")));
        given.to_vec()
    } else if let Some(p) = token_patient {
        check.note(format!("the token's patient context: {p}"));
        vec![p]
    } else {
        let found = c.search(&mut check, "Patient", &[("_count", "1".into())]);
        match found
            .as_ref()
            .and_then(|f| f.matches.first())
            .and_then(|p| str_of(&p["id"]))
        {
            Some(id) => {
                check.note(format!("the first Patient the server lists: {id}"));
                vec![id]
            }
            None => {
                if !check.failed() {
                    check.fail("the server lists no Patient; pass --patient ID");
                }
                Vec::new()
            }
        }
    };
    group.checks.push(check);
    patients
}

fn patient_checks(c: &mut Checker<'_>, group: &mut Group, pid: &str, view: &mut KitView) {
    let mut by_id = Check::new(
        format!("patient.search._id@{pid}"),
        format!("Patient?_id={pid} returns the patient"),
        true,
    );
    let found = searched(c, &mut by_id, "Patient", &[("_id", pid.to_string())], None);
    let patient = found.and_then(|f| f.matches.into_iter().find(|p| p["id"] == pid));
    if patient.is_none() && !by_id.failed() {
        by_id.fail(format!("Patient/{pid} was not returned"));
    }
    group.checks.push(by_id);

    let mut read = Check::new(
        format!("patient.read@{pid}"),
        format!("read Patient/{pid}"),
        true,
    );
    let read_patient = c.read(&mut read, "Patient", pid);
    group.checks.push(read);
    let Some(patient) = patient.or(read_patient) else {
        return;
    };

    group.checks.push(last_updated(
        c,
        format!("patient.search._lastUpdated@{pid}"),
        &patient,
        true,
    ));

    let mut identifier = Check::new(
        format!("patient.search.identifier@{pid}"),
        "Patient?identifier=<system>|<value> (not a CARIN requirement)",
        false,
    );
    let first_identifier = patient["identifier"]
        .as_array()
        .and_then(|a| a.iter().find(|i| i["value"].is_string()));
    match first_identifier {
        Some(i) => {
            let value = match i["system"].as_str() {
                Some(s) => format!("{s}|{}", i["value"].as_str().unwrap_or_default()),
                None => i["value"].as_str().unwrap_or_default().to_string(),
            };
            searched(
                c,
                &mut identifier,
                "Patient",
                &[("identifier", value)],
                Some(&patient),
            );
        }
        None => identifier.skip("the patient has no identifier"),
    }
    group.checks.push(identifier);

    let mut history = Check::new(
        format!("patient.vread@{pid}"),
        "vread Patient/{id}/_history/{versionId} (SHOULD)",
        false,
    );
    vread(c, &mut history, &patient);
    group.checks.push(history);
    view.patients.push(patient);
}

/// The first EOB's search values, each with the kit's parameter shape.
fn eob_searches(first: &Value) -> Vec<(&'static str, &'static str, Option<String>)> {
    let start = str_of(&first["billablePeriod"]["start"]);
    vec![
        (
            "_id",
            "ExplanationOfBenefit?_id=<first EOB id>",
            str_of(&first["id"]),
        ),
        (
            "_lastUpdated",
            "ExplanationOfBenefit?_lastUpdated=<its meta.lastUpdated>",
            str_of(&first["meta"]["lastUpdated"]),
        ),
        (
            "type",
            "ExplanationOfBenefit?type=<its type code, without system>",
            str_of(&first["type"]["coding"][0]["code"]),
        ),
        (
            "identifier",
            "ExplanationOfBenefit?identifier=<its first identifier value, without system>",
            str_of(&first["identifier"][0]["value"]),
        ),
        (
            "service-date",
            "ExplanationOfBenefit?service-date=gt<the day before billablePeriod.start>",
            start
                .as_deref()
                .and_then(day_before)
                .map(|d| format!("gt{d}")),
        ),
        (
            "service-start-date",
            "ExplanationOfBenefit?service-start-date=<billablePeriod.start>",
            start.clone(),
        ),
        (
            "billable-period-start",
            "ExplanationOfBenefit?billable-period-start=<billablePeriod.start>",
            start,
        ),
    ]
}

/// The includes the IG requires, with the EOB paths their targets are referenced through.
const INCLUDES: [(&str, &[&str]); 7] = [
    ("patient", &["patient"]),
    ("provider", &["provider"]),
    ("care-team", &["careTeam.provider"]),
    ("coverage", &["insurance.coverage"]),
    ("insurer", &["insurer"]),
    ("payee", &["payee.party"]),
    (
        "*",
        &[
            "patient",
            "provider",
            "careTeam.provider",
            "insurance.coverage",
            "insurer",
            "payee.party",
        ],
    ),
];

fn eob_checks(
    c: &mut Checker<'_>,
    group: &mut Group,
    patients: &[String],
    view: &mut KitView,
    page_size: u32,
) {
    for pid in patients {
        let mut check = Check::new(
            format!("eob.search.patient@{pid}"),
            format!("ExplanationOfBenefit?patient={pid} returns the patient's EOBs"),
            true,
        );
        let mut typed = None;
        if let Some(found) = searched(
            c,
            &mut check,
            "ExplanationOfBenefit",
            &[("patient", pid.clone())],
            None,
        ) {
            if found.matches.is_empty() {
                check.fail(format!("no ExplanationOfBenefit for patient {pid}"));
            }
            for eob in &found.matches {
                let own = references_at(eob, "patient")
                    .iter()
                    .any(|(t, id)| t == "Patient" && id == pid);
                if !own {
                    check.fail(format!("{} belongs to another patient", label(eob)));
                }
            }
            if found.next.is_some() {
                check.warn(
                    "the answer has more pages: the kit examines only the first page, so EOBs \
                     on later pages do not count for its must-support and profile checks",
                );
            }
            check.note(format!("{} EOBs on the first page", found.matches.len()));
            typed = Some(typed_reference(c, pid, &found));
            for eob in found.matches {
                if !view.eobs.iter().any(|e| e["id"] == eob["id"]) {
                    view.eobs.push(eob);
                }
            }
        }
        group.checks.push(check);
        group.checks.extend(typed);
    }
    let Some(first) = view.eobs.first().cloned() else {
        let mut check = Check::new("eob.first", "an ExplanationOfBenefit to test with", true);
        check.fail(
            "no ExplanationOfBenefit was returned for any patient; the EOB checks cannot run",
        );
        group.checks.push(check);
        return;
    };
    let first_id = str_of(&first["id"]).unwrap_or_default();

    for (param, title, value) in eob_searches(&first) {
        let mut check = Check::new(format!("eob.search.{param}"), title, true);
        match value {
            Some(v) => {
                searched(
                    c,
                    &mut check,
                    "ExplanationOfBenefit",
                    &[(param, v)],
                    Some(&first),
                );
            }
            None => check.skip(format!(
                "the first EOB ({first_id}) has no value for {param}"
            )),
        }
        group.checks.push(check);
    }
    group
        .checks
        .push(date_prefixes(c, &first, patients.first()));

    for (name, paths) in INCLUDES {
        group.checks.push(include_check(c, &first, name, paths));
    }
    group.checks.push(iterate_check(c, &first));

    let mut read = Check::new(
        "eob.read",
        format!("read ExplanationOfBenefit/{first_id}"),
        true,
    );
    c.read(&mut read, "ExplanationOfBenefit", &first_id);
    group.checks.push(read);
    let mut history = Check::new(
        "eob.vread",
        "vread ExplanationOfBenefit/{id}/_history/{versionId} (SHOULD)",
        false,
    );
    vread(c, &mut history, &first);
    group.checks.push(history);

    eob_rules(c, group, view);
    if let Some(pid) = patients.first() {
        group.checks.push(paging(c, pid, page_size));
    }
}

/// `patient=Patient/{id}` finds what `patient={id}` found (FHIR reference search, both forms).
fn typed_reference(c: &mut Checker<'_>, pid: &str, bare: &Found) -> Check {
    let mut check = Check::new(
        format!("eob.search.patient-reference@{pid}"),
        format!("ExplanationOfBenefit?patient=Patient/{pid} finds the same EOBs"),
        false,
    );
    let params = [("patient", format!("Patient/{pid}"))];
    if let Some(typed) = searched(c, &mut check, "ExplanationOfBenefit", &params, None) {
        let ids = |f: &Found| -> BTreeSet<String> {
            f.matches.iter().filter_map(|r| str_of(&r["id"])).collect()
        };
        if ids(&typed) != ids(bare) {
            check.fail(format!(
                "{} EOBs, against {} for patient={pid}",
                typed.matches.len(),
                bare.matches.len()
            ));
        }
    }
    check
}

/// `service-date` with each FHIR date prefix (plus the patient, to keep answers small).
fn date_prefixes(c: &mut Checker<'_>, first: &Value, patient: Option<&String>) -> Check {
    let mut check = Check::new(
        "eob.search.service-date-prefixes",
        "ExplanationOfBenefit?patient=…&service-date=<prefix><date> for eq ne gt ge lt le sa eb, and with type",
        true,
    );
    let (Some(start), Some(pid)) = (str_of(&first["billablePeriod"]["start"]), patient) else {
        check.skip("the first EOB has no billablePeriod.start, or there is no patient");
        return check;
    };
    let day = start.get(..10).unwrap_or(&start).to_string();
    for prefix in ["eq", "ne", "gt", "ge", "lt", "le", "sa", "eb"] {
        searched(
            c,
            &mut check,
            "ExplanationOfBenefit",
            &[
                ("patient", pid.clone()),
                ("service-date", format!("{prefix}{day}")),
            ],
            Some(first),
        );
    }
    if let Some(code) = str_of(&first["type"]["coding"][0]["code"]) {
        searched(
            c,
            &mut check,
            "ExplanationOfBenefit",
            &[
                ("patient", pid.clone()),
                ("type", code),
                ("service-date", format!("ge{day}")),
                ("service-date", format!("le{day}")),
            ],
            Some(first),
        );
    }
    check
}

fn include_check(c: &mut Checker<'_>, first: &Value, name: &str, paths: &[&str]) -> Check {
    let include = format!("ExplanationOfBenefit:{name}");
    let mut check = Check::new(
        format!("eob.include.{name}"),
        format!("ExplanationOfBenefit?_id=<first EOB>&_include={include}"),
        true,
    );
    let referenced: BTreeSet<(String, String)> =
        paths.iter().flat_map(|p| references_at(first, p)).collect();
    if referenced.is_empty() {
        check.fail(format!(
            "the first EOB ({}) has no reference at {} (the kit needs one to test the include)",
            label(first),
            paths.join(", ")
        ));
        return check;
    }
    let params = [
        ("_id", str_of(&first["id"]).unwrap_or_default()),
        ("_include", include),
    ];
    let Some(found) = searched(c, &mut check, "ExplanationOfBenefit", &params, Some(first)) else {
        return check;
    };
    let included: BTreeSet<(String, String)> = found
        .included
        .iter()
        .filter_map(|r| Some((str_of(&r["resourceType"])?, str_of(&r["id"])?)))
        .collect();
    for (ty, id) in &included {
        if !referenced.contains(&(ty.clone(), id.clone())) {
            check.fail(format!(
                "{ty}/{id} was included but the EOB does not reference it through {}",
                paths.join(", ")
            ));
        }
    }
    for (ty, id) in &referenced {
        if !included.contains(&(ty.clone(), id.clone())) {
            check.fail(format!("{ty}/{id} is referenced but was not included"));
        }
    }
    check
}

fn iterate_check(c: &mut Checker<'_>, first: &Value) -> Check {
    let mut check = Check::new(
        "eob.include.iterate-payor",
        "ExplanationOfBenefit?_id=…&_include=ExplanationOfBenefit:coverage&_include:iterate=Coverage:payor",
        false,
    );
    let params = [
        ("_id", str_of(&first["id"]).unwrap_or_default()),
        ("_include", "ExplanationOfBenefit:coverage".to_string()),
        ("_include:iterate", "Coverage:payor".to_string()),
    ];
    let Some(found) = searched(c, &mut check, "ExplanationOfBenefit", &params, Some(first)) else {
        return check;
    };
    let has = |ty: &str, id: &str| {
        found
            .included
            .iter()
            .any(|r| r["resourceType"] == ty && r["id"] == id)
    };
    for (ty, id) in references_at(first, "insurance.coverage") {
        if !has(&ty, &id) {
            check.fail(format!("{ty}/{id} was not included"));
            continue;
        }
        let coverage = found
            .included
            .iter()
            .find(|r| r["resourceType"] == ty.as_str() && r["id"] == id.as_str());
        for (pty, pid) in coverage
            .map(|cov| references_at(cov, "payor"))
            .unwrap_or_default()
        {
            if !has(&pty, &pid) {
                check.fail(format!(
                    "the payor {pty}/{pid} of {ty}/{id} was not included"
                ));
            }
        }
    }
    check
}

const DATA_ABSENT: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";

/// The kit's EOB rules: no data-absent type, outcome complete, insurer consistent with the
/// focal Coverage's payor.
fn eob_rules(c: &mut Checker<'_>, group: &mut Group, view: &KitView) {
    let mut dar = Check::new(
        "eob.type-not-data-absent",
        "ExplanationOfBenefit.type never uses the data-absent-reason code system",
        true,
    );
    let mut outcome = Check::new(
        "eob.outcome-complete",
        "every EOB has outcome complete",
        true,
    );
    let mut insurer = Check::new(
        "eob.insurer-coverage",
        "insurer is the focal Coverage's first payor (and not a non-focal one's)",
        true,
    );
    let mut coverages: BTreeMap<String, Option<Value>> = BTreeMap::new();
    for eob in &view.eobs {
        let systems = eob["type"]["coding"].as_array().into_iter().flatten();
        if systems.into_iter().any(|cd| cd["system"] == DATA_ABSENT) {
            dar.fail(format!("{} has a data-absent-reason type", label(eob)));
        }
        if eob["outcome"] != "complete" {
            outcome.fail(format!("{} has outcome {}", label(eob), eob["outcome"]));
        }
        let insurer_id = references_at(eob, "insurer").into_iter().next();
        for entry in eob["insurance"].as_array().into_iter().flatten() {
            let Some((ty, id)) = entry["coverage"]["reference"]
                .as_str()
                .and_then(type_and_id)
            else {
                insurer.fail(format!(
                    "{}: an insurance.coverage has no reference",
                    label(eob)
                ));
                continue;
            };
            let coverage = coverages
                .entry(id.clone())
                .or_insert_with(|| c.read(&mut insurer, &ty, &id))
                .clone();
            let Some(coverage) = coverage else { continue };
            let payor = references_at(&coverage, "payor").into_iter().next();
            let same = payor.is_some() && payor == insurer_id;
            match entry["focal"].as_bool() {
                Some(true) if !same => insurer.fail(format!(
                    "{}: insurer {:?} is not the focal {ty}/{id}'s payor {:?}",
                    label(eob),
                    insurer_id,
                    payor
                )),
                Some(false) if same => insurer.fail(format!(
                    "{}: insurer is the payor of the non-focal {ty}/{id}",
                    label(eob)
                )),
                _ => {}
            }
        }
    }
    group.checks.extend([dar, outcome, insurer]);
}

/// Follows `next` links with a small `_count`: no duplicates, the same set as one big page.
fn paging(c: &mut Checker<'_>, pid: &str, page_size: u32) -> Check {
    let mut check = Check::new(
        format!("eob.paging@{pid}"),
        format!(
            "ExplanationOfBenefit?patient={pid}&_count={page_size}: next links give every EOB once"
        ),
        false,
    );
    let mut url = Some(c.search_url(
        "ExplanationOfBenefit",
        &[
            ("patient", pid.to_string()),
            ("_count", page_size.to_string()),
        ],
    ));
    let mut ids: Vec<String> = Vec::new();
    let mut visited = BTreeSet::new();
    while let Some(u) = url.take() {
        if !visited.insert(u.clone()) || visited.len() > 1000 {
            check.fail("the next links go round in a circle (or past 1000 pages)");
            break;
        }
        let Some(found) = c.search_page(&mut check, &u) else {
            break;
        };
        if found.matches.len() > page_size as usize {
            check.fail(format!(
                "a page has {} matches, above _count={page_size}",
                found.matches.len()
            ));
        }
        ids.extend(found.matches.iter().filter_map(|r| str_of(&r["id"])));
        url = found.next;
    }
    let distinct: BTreeSet<&String> = ids.iter().collect();
    if distinct.len() != ids.len() {
        check.fail(format!(
            "{} EOBs came back more than once across the pages",
            ids.len() - distinct.len()
        ));
    }
    let mut all = Check::new("", "", false);
    if let Some(one) = c.search(
        &mut all,
        "ExplanationOfBenefit",
        &[("patient", pid.to_string())],
    ) {
        check.requests.extend(all.requests);
        if one.next.is_none() {
            let expected: BTreeSet<String> = one
                .matches
                .iter()
                .filter_map(|r| str_of(&r["id"]))
                .collect();
            let got: BTreeSet<String> = ids.iter().cloned().collect();
            if expected != got {
                check.fail(format!(
                    "the pages hold {} EOBs, one page held {}",
                    got.len(),
                    expected.len()
                ));
            }
        }
    }
    check.note(format!("{} pages, {} EOBs", visited.len(), ids.len()));
    check
}

/// Coverage: `_id`, `_lastUpdated`, `_include=Coverage:payor`, read, vread, and by patient.
/// Returns the payor references (the kit adds them to the Organization candidates).
fn coverage_checks(
    c: &mut Checker<'_>,
    group: &mut Group,
    references: &[(String, String)],
    patients: &[String],
    view: &mut KitView,
) -> Vec<(String, String)> {
    let Some((_, id)) = references.iter().find(|(t, _)| t == "Coverage") else {
        let mut check = Check::new(
            "coverage.search._id",
            "Coverage?_id=<first referenced>",
            true,
        );
        check.fail("no EOB references a Coverage");
        group.checks.push(check);
        return Vec::new();
    };
    let mut by_id = Check::new(
        "coverage.search._id",
        format!("Coverage?_id={id} (the first Coverage the EOBs reference)"),
        true,
    );
    let coverage = searched(c, &mut by_id, "Coverage", &[("_id", id.clone())], None)
        .and_then(|f| f.matches.into_iter().find(|r| r["id"] == id.as_str()));
    if coverage.is_none() && !by_id.failed() {
        by_id.fail(format!("Coverage/{id} was not returned"));
    }
    group.checks.push(by_id);
    let mut read = Check::new("coverage.read", format!("read Coverage/{id}"), true);
    let read_coverage = c.read(&mut read, "Coverage", id);
    group.checks.push(read);
    let Some(coverage) = coverage.or(read_coverage) else {
        return Vec::new();
    };
    let payors = references_at(&coverage, "payor");

    group.checks.push(last_updated(
        c,
        "coverage.search._lastUpdated".into(),
        &coverage,
        true,
    ));

    let mut include = Check::new(
        "coverage.include.payor",
        format!("Coverage?_id={id}&_include=Coverage:payor"),
        true,
    );
    let params = [
        ("_id", id.clone()),
        ("_include", "Coverage:payor".to_string()),
    ];
    if let Some(found) = searched(c, &mut include, "Coverage", &params, Some(&coverage)) {
        for r in &found.included {
            let key = (
                str_of(&r["resourceType"]).unwrap_or_default(),
                str_of(&r["id"]).unwrap_or_default(),
            );
            if !payors.contains(&key) {
                include.fail(format!("{} was included but is not the payor", label(r)));
            }
        }
        for (ty, pid) in &payors {
            if !found
                .included
                .iter()
                .any(|r| r["resourceType"] == ty.as_str() && r["id"] == pid.as_str())
            {
                include.fail(format!("the payor {ty}/{pid} was not included"));
            }
        }
    }
    group.checks.push(include);

    let mut history = Check::new(
        "coverage.vread",
        "vread Coverage/{id}/_history/{versionId} (SHOULD)",
        false,
    );
    vread(c, &mut history, &coverage);
    group.checks.push(history);

    if let Some(pid) = patients.first() {
        let mut by_patient = Check::new(
            format!("coverage.search.patient@{pid}"),
            format!("Coverage?patient={pid} (not a CARIN requirement)"),
            false,
        );
        searched(
            c,
            &mut by_patient,
            "Coverage",
            &[("patient", pid.clone())],
            None,
        );
        group.checks.push(by_patient);
    }
    view.coverage = Some(coverage);
    payors
}

/// The optional groups: `_id` and `_lastUpdated` searches, read and vread of the first
/// resource of the type the EOBs reference.
fn referenced_group(
    c: &mut Checker<'_>,
    ty: &'static str,
    title: &'static str,
    references: &[(String, String)],
) -> (Group, Option<Value>) {
    let key = ty.to_ascii_lowercase();
    let mut group = Group::new(
        match ty {
            "Organization" => "organization",
            "Practitioner" => "practitioner",
            _ => "related-person",
        },
        title,
    );
    let Some((_, id)) = references.iter().find(|(t, _)| t == ty) else {
        let mut check = Check::new(
            format!("{key}.search._id"),
            format!("{ty}?_id=<first referenced>"),
            false,
        );
        check.skip(format!("no EOB references a {ty}"));
        group.checks.push(check);
        return (group, None);
    };
    let mut by_id = Check::new(
        format!("{key}.search._id"),
        format!("{ty}?_id={id} (the first {ty} the EOBs reference)"),
        false,
    );
    let found = searched(c, &mut by_id, ty, &[("_id", id.clone())], None)
        .and_then(|f| f.matches.into_iter().find(|r| r["id"] == id.as_str()));
    if found.is_none() && !by_id.failed() {
        by_id.fail(format!("{ty}/{id} was not returned"));
    }
    group.checks.push(by_id);
    let mut read = Check::new(format!("{key}.read"), format!("read {ty}/{id}"), false);
    let read_one = c.read(&mut read, ty, id);
    group.checks.push(read);
    let Some(resource) = found.or(read_one) else {
        return (group, None);
    };
    group.checks.push(last_updated(
        c,
        format!("{key}.search._lastUpdated"),
        &resource,
        false,
    ));
    let mut history = Check::new(
        format!("{key}.vread"),
        format!("vread {ty}/{{id}}/_history/{{versionId}}"),
        false,
    );
    vread(c, &mut history, &resource);
    group.checks.push(history);
    (group, Some(resource))
}

/// Bad input and authorization: warnings, except that a server that hands out data without the
/// token it asked for fails.
fn error_checks(c: &mut Checker<'_>, patient: Option<&String>, first: Option<&Value>) -> Group {
    let mut group = Group::new("errors", "Errors and bad input");
    let expect_error = |c: &mut Checker<'_>, check: &mut Check, url: &str, statuses: &[u16]| {
        if let Some(reply) = c.fetch(check, url, true) {
            if !statuses.contains(&reply.status) {
                check.fail(format!("answered {}, expected {statuses:?}", reply.status));
            } else if reply.status != 200
                && reply
                    .json()
                    .is_none_or(|v| v["resourceType"] != "OperationOutcome")
            {
                check.fail(format!(
                    "the {} answer is not an OperationOutcome",
                    reply.status
                ));
            }
        }
    };
    let mut bad_date = Check::new(
        "errors.bad-date",
        "service-date=not-a-date answers 400 with an OperationOutcome",
        false,
    );
    let url = c.search_url(
        "ExplanationOfBenefit",
        &[("service-date", "not-a-date".into())],
    );
    expect_error(c, &mut bad_date, &url, &[400]);
    group.checks.push(bad_date);

    let mut unknown_id = Check::new(
        "errors.unknown-id",
        "reading an id that does not exist answers 404 with an OperationOutcome",
        false,
    );
    let url = c.url("ExplanationOfBenefit/carin-check-no-such-id");
    expect_error(c, &mut unknown_id, &url, &[404, 410]);
    group.checks.push(unknown_id);

    let mut unknown_param = Check::new(
        "errors.unknown-param",
        "an unknown search parameter is ignored (200) or refused with an OperationOutcome (400)",
        false,
    );
    let mut params = vec![("carin-check-unknown", "1".to_string())];
    if let Some(p) = patient {
        params.insert(0, ("patient", p.clone()));
    }
    let url = c.search_url("ExplanationOfBenefit", &params);
    expect_error(c, &mut unknown_param, &url, &[200, 400]);
    group.checks.push(unknown_param);

    let mut no_token = Check::new(
        "errors.no-token",
        "without the token, a resource read is refused (401, 403 or 404)",
        c.bearer.is_some(),
    );
    match (c.bearer.is_some(), first.and_then(|e| str_of(&e["id"]))) {
        (false, _) => no_token.skip("no token was used: nothing to take away"),
        (true, None) => no_token.skip("no EOB to read"),
        (true, Some(id)) => {
            let url = c.url(&format!("ExplanationOfBenefit/{id}"));
            if let Some(reply) = c.fetch(&mut no_token, &url, false) {
                if !matches!(reply.status, 401 | 403 | 404) {
                    no_token.fail(format!(
                        "answered {} without a token: the IG says a server SHALL reject unauthorized requests",
                        reply.status
                    ));
                }
            }
        }
    }
    group.checks.push(no_token);
    group
}

/// Validates every resource seen with the C4BB checker: one check per resource type.
pub fn validate_all(c: &Checker<'_>) -> (Group, Vec<Finding>) {
    let mut group = Group::new("validation", "C4BB 2.0.0 profile validation");
    let mut findings = Vec::new();
    let mut per_type: BTreeMap<String, (usize, Vec<String>)> = BTreeMap::new();
    for (key, resource) in &c.seen {
        let ty = resource["resourceType"].as_str().unwrap_or("?").to_string();
        let profile = validate::profile_of(resource).map(|p| p.canonical().to_string());
        let issues = validate::validate_resource(resource);
        let entry = per_type.entry(ty).or_default();
        entry.0 += 1;
        if validate::has_errors(&issues) {
            entry.1.push(key.clone());
        }
        for i in issues {
            findings.push(Finding {
                resource: key.clone(),
                profile: profile.clone(),
                severity: match i.severity {
                    Severity::Error => "error",
                    Severity::Warning => "warning",
                },
                path: i.path,
                rule: i.rule,
                message: i.message,
            });
        }
    }
    for (ty, (count, bad)) in per_type {
        let mut check = Check::new(
            format!("validation.{ty}"),
            format!("every {ty} returned conforms to its C4BB 2.0.0 profile"),
            true,
        );
        check.note(format!("{count} validated"));
        if !bad.is_empty() {
            let errors = findings
                .iter()
                .filter(|f| f.severity == "error" && f.resource.starts_with(&format!("{ty}/")));
            let first: Vec<String> = errors
                .take(5)
                .map(|f| format!("{}: {} {}", f.resource, f.path, f.message))
                .collect();
            check.fail(format!(
                "{} of {count} have errors; first: {}",
                bad.len(),
                first.join(" | ")
            ));
        }
        group.checks.push(check);
    }
    if group.checks.is_empty() {
        let mut check = Check::new("validation.none", "resources to validate", true);
        check.fail("no resource was returned");
        group.checks.push(check);
    }
    (group, findings)
}

/// Must-support coverage per kit profile over what the kit examines.
pub fn must_support_group(view: &KitView) -> (Group, Vec<Coverage>) {
    let mut group = Group::new(
        "must-support",
        "Must-support coverage (as the CARIN kit evaluates it)",
    );
    let resources = view.all();
    let coverage = match must_support::evaluate(&resources) {
        Ok(c) => c,
        Err(e) => {
            let mut check = Check::new("must-support.table", "the kit's must-support table", true);
            check.fail(e);
            group.checks.push(check);
            return (group, Vec::new());
        }
    };
    for cov in &coverage {
        let name = cov.profile.rsplit('/').next().unwrap_or(&cov.profile);
        let required = ["C4BB-Patient", "C4BB-Coverage"].contains(&name)
            || name.starts_with("C4BB-ExplanationOfBenefit");
        let mut check = Check::new(
            format!("must-support.{name}"),
            format!("every must-support element of {name} appears"),
            required,
        );
        if cov.resources == 0 {
            if name.starts_with("C4BB-ExplanationOfBenefit-") {
                check.skip("no EOB of this profile among the patients' EOBs (pass --patient for one that has it)");
            } else {
                check.fail("no resource of this profile was examined");
            }
        } else if !cov.missing.is_empty() {
            check.fail(format!(
                "{} of {} missing over {} resources: {}",
                cov.missing.len(),
                cov.paths,
                cov.resources,
                cov.missing.join(", ")
            ));
        } else {
            check.note(format!(
                "{} paths over {} resources",
                cov.paths, cov.resources
            ));
        }
        group.checks.push(check);
    }
    (group, coverage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_resolve_relative_absolute_and_versioned() {
        assert_eq!(
            type_and_id("http://h/fhir/Organization/o1/_history/2"),
            Some(("Organization".into(), "o1".into()))
        );
        assert_eq!(type_and_id("#c1"), None);
        let eob = json!({"careTeam": [{"provider": {"reference": "Practitioner/p1"}},
                                      {"provider": {"reference": "Organization/o2"}}]});
        assert_eq!(references_at(&eob, "careTeam.provider").len(), 2);
    }

    #[test]
    fn the_kit_date_is_the_day_before_at_midnight_utc() {
        assert_eq!(
            day_before("2020-01-01").as_deref(),
            Some("2019-12-31T00:00:00+00:00")
        );
        assert_eq!(
            day_before("2024-03-01T10:00:00Z").as_deref(),
            Some("2024-02-29T00:00:00+00:00")
        );
        assert_eq!(day_before("2024"), None);
    }
}
