//! The CapabilityStatement (`GET [base]/metadata`, no token): the kit's four tests (R4, JSON,
//! `instantiates` c4bb) and, per C4BB resource, what the IG's server statement requires: the
//! profiles, interactions, search parameters and `_include`s.
//!
//! The requirement table is this checker's own copy of the IG's CapabilityStatement (not the
//! sandbox's search registry: the check must not grade the sandbox against itself).

use serde_json::Value;

use super::report::{Check, Group};
use super::Checker;

pub const C4BB_CAPABILITY: &str = "http://hl7.org/fhir/us/carin-bb/CapabilityStatement/c4bb";
const SD: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/";

/// What the C4BB 2.0.0 server CapabilityStatement requires of one resource type.
pub struct Requirement {
    pub resource: &'static str,
    /// SHALL (true) or SHOULD (false) support the type.
    pub shall: bool,
    pub profiles: &'static [&'static str],
    /// Interactions that are SHALL.
    pub interactions: &'static [&'static str],
    /// Search parameters: (name, SHALL).
    pub params: &'static [(&'static str, bool)],
    pub includes: &'static [&'static str],
}

pub const REQUIREMENTS: [Requirement; 6] = [
    Requirement {
        resource: "Coverage",
        shall: true,
        profiles: &["C4BB-Coverage"],
        interactions: &["read", "search-type"],
        params: &[("_id", true), ("_lastUpdated", false)],
        includes: &["Coverage:payor"],
    },
    Requirement {
        resource: "ExplanationOfBenefit",
        shall: true,
        profiles: &[
            "C4BB-ExplanationOfBenefit",
            "C4BB-ExplanationOfBenefit-Inpatient-Institutional",
            "C4BB-ExplanationOfBenefit-Outpatient-Institutional",
            "C4BB-ExplanationOfBenefit-Oral",
            "C4BB-ExplanationOfBenefit-Pharmacy",
            "C4BB-ExplanationOfBenefit-Professional-NonClinician",
        ],
        interactions: &["read", "search-type"],
        params: &[
            ("_id", true),
            ("patient", true),
            ("_lastUpdated", true),
            ("type", true),
            ("identifier", true),
            ("service-date", true),
            ("service-start-date", true),
            ("billable-period-start", true),
        ],
        includes: &[
            "ExplanationOfBenefit:patient",
            "ExplanationOfBenefit:provider",
            "ExplanationOfBenefit:care-team",
            "ExplanationOfBenefit:coverage",
            "ExplanationOfBenefit:insurer",
            "ExplanationOfBenefit:payee",
            "ExplanationOfBenefit:*",
        ],
    },
    Requirement {
        resource: "Organization",
        shall: false,
        profiles: &["C4BB-Organization"],
        interactions: &["read"],
        params: &[("_id", true), ("_lastUpdated", false)],
        includes: &[],
    },
    Requirement {
        resource: "Patient",
        shall: true,
        profiles: &["C4BB-Patient"],
        interactions: &["read"],
        params: &[("_id", true), ("_lastUpdated", false)],
        includes: &[],
    },
    Requirement {
        resource: "Practitioner",
        shall: false,
        profiles: &["C4BB-Practitioner"],
        interactions: &["read"],
        params: &[("_id", true), ("_lastUpdated", false)],
        includes: &[],
    },
    Requirement {
        resource: "RelatedPerson",
        shall: false,
        profiles: &["C4BB-RelatedPerson"],
        interactions: &["read"],
        params: &[("_id", true), ("_lastUpdated", false)],
        includes: &[],
    },
];

/// Fetches and checks `/metadata`; the statement when there is one.
pub fn run(c: &mut Checker<'_>) -> (Group, Option<Value>) {
    let mut group = Group::new("capability", "CapabilityStatement");
    let mut read = Check::new(
        "capability.read",
        "GET metadata without a token answers a CapabilityStatement",
        true,
    );
    let url = c.url("metadata");
    let cs = c
        .fetch(&mut read, &url, false)
        .and_then(|reply| {
            if reply.status != 200 {
                read.fail(format!(
                    "answered {} (it must answer without a token)",
                    reply.status
                ));
                return None;
            }
            reply.json()
        })
        .filter(|v| {
            let ok = v["resourceType"] == "CapabilityStatement";
            if !ok {
                read.fail(format!(
                    "resourceType is {}, not CapabilityStatement",
                    v["resourceType"]
                ));
            }
            ok
        });
    if read.requests.last().is_some_and(|r| r.status == Some(200)) && cs.is_none() && !read.failed()
    {
        read.fail("the body is not JSON");
    }
    group.checks.push(read);
    let Some(cs) = cs else {
        return (group, None);
    };

    let mut version = Check::new("capability.fhir-version", "fhirVersion is R4 (4.0.x)", true);
    let v = cs["fhirVersion"].as_str().unwrap_or_default();
    if !v.starts_with("4.0.") {
        version.fail(format!("fhirVersion is {:?}", cs["fhirVersion"]));
    }
    group.checks.push(version);

    let mut format = Check::new("capability.json", "format includes JSON", true);
    let formats: Vec<&str> = strings(&cs["format"]);
    if !formats
        .iter()
        .any(|f| matches!(*f, "json" | "application/json" | "application/fhir+json"))
    {
        format.fail(format!("format is {formats:?}"));
    }
    group.checks.push(format);

    let mut inst = Check::new(
        "capability.instantiates",
        "instantiates the C4BB CapabilityStatement",
        true,
    );
    let claims = strings(&cs["instantiates"])
        .iter()
        .any(|u| *u == C4BB_CAPABILITY || u.starts_with(&format!("{C4BB_CAPABILITY}|")));
    if !claims {
        inst.fail(format!(
            "instantiates is {:?}, without {C4BB_CAPABILITY}",
            strings(&cs["instantiates"])
        ));
    }
    group.checks.push(inst);

    for req in &REQUIREMENTS {
        group.checks.push(resource_check(&cs, req));
    }
    (group, Some(cs))
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

fn resource_check(cs: &Value, req: &Requirement) -> Check {
    let mut check = Check::new(
        format!("capability.resource.{}", req.resource),
        format!(
            "{} ({}): C4BB profiles, interactions, search parameters and includes",
            req.resource,
            if req.shall { "SHALL" } else { "SHOULD" }
        ),
        req.shall,
    );
    let entry = cs["rest"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["mode"] == "server")
        .flat_map(|r| r["resource"].as_array().into_iter().flatten())
        .find(|r| r["type"] == req.resource);
    let Some(entry) = entry else {
        check.fail(format!("rest.resource has no {}", req.resource));
        return check;
    };
    let mut profiles: Vec<&str> = strings(&entry["supportedProfile"]);
    profiles.extend(entry["profile"].as_str());
    let missing: Vec<&str> = req
        .profiles
        .iter()
        .copied()
        .filter(|p| {
            !profiles.iter().any(|have| {
                have.strip_prefix(SD)
                    .is_some_and(|t| t.split('|').next() == Some(*p))
            })
        })
        .collect();
    if !missing.is_empty() {
        check.warn(format!("supportedProfile lacks {}", missing.join(", ")));
    }
    let interactions: Vec<&str> = entry["interaction"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|i| i["code"].as_str())
        .collect();
    for i in req.interactions {
        if !interactions.contains(i) {
            check.fail(format!("interaction {i} is not listed"));
        }
    }
    if !interactions.contains(&"vread") {
        check.warn("interaction vread (SHOULD) is not listed");
    }
    let params: Vec<&str> = entry["searchParam"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for (name, shall) in req.params {
        if !params.contains(name) {
            if *shall {
                check.fail(format!("search parameter {name} (SHALL) is not listed"));
            } else {
                check.warn(format!("search parameter {name} (SHOULD) is not listed"));
            }
        }
    }
    let includes = strings(&entry["searchInclude"]);
    for inc in req.includes {
        if !includes.contains(inc) {
            check.fail(format!("searchInclude {inc} is not listed"));
        }
    }
    check
}
