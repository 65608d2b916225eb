//! Unit tests: Patient, Coverage, Organization, Practitioner, RelatedPerson, and the helpers.

use serde_json::json;

use super::codes as c;
use super::datatypes::relative_ref;
use super::json::{is_date, is_datetime, is_id, is_instant, time_range};
use super::test_fixtures::{
    assert_has, assert_only, assert_valid, cc, coverage, organization, patient, practitioner,
    related_person, remove, set,
};
use super::{has_errors, profile_of, validate_as, validate_resource, Issue, Profile, Severity};

#[test]
fn patient_rules() {
    let mut v = patient();
    remove(&mut v, "/gender");
    assert_only(&v, "cardinality");
    set(&mut v, "/gender", json!("F"));
    assert_only(&v, "binding");
    let mut v = patient();
    remove(&mut v, "/name");
    assert_only(&v, "cardinality");
    let mut v = patient();
    set(&mut v, "/birthDate", json!("1981-02-29"));
    assert_only(&v, "datatype");
    let mut v = patient();
    remove(&mut v, "/identifier/0/system");
    assert_only(&v, "cardinality");
    let mut v = patient();
    set(&mut v, "/identifier/0/type", cc(c::C4BB_ID_TYPE, "um"));
    assert_only(&v, "cardinality");
    let mut v = patient();
    set(&mut v, "/deceasedBoolean", json!(false));
    set(&mut v, "/deceasedDateTime", json!("2020-01-01"));
    assert_only(&v, "cardinality");
    let mut v = patient();
    set(
        &mut v,
        "/meta/lastUpdated",
        json!("2024-01-05T10:00:00.1234567+00:00"),
    );
    assert_valid(&v);
    remove(&mut v, "/meta/lastUpdated");
    assert_only(&v, "cardinality");
}

#[test]
fn us_core_8_patient_name() {
    let mut v = patient();
    set(&mut v, "/name/0", json!({ "text": "Jane Doe" }));
    assert_only(&v, "us-core-8");
    let dar = json!([{ "url": c::DAR_EXT, "valueCode": "masked" }]);
    set(&mut v, "/name/0/extension", dar.clone());
    assert_valid(&v);
    set(
        &mut v,
        "/name/0",
        json!({ "family": "Doe", "extension": dar }),
    );
    assert_only(&v, "us-core-8");
}

#[test]
fn patient_telecom_contact_and_extensions() {
    // US Core Patient requires telecom.system, so check cpt-2 alone on an Organization
    let mut org = organization();
    set(&mut org, "/telecom", json!([{ "value": "555-1212" }]));
    assert_only(&org, "cpt-2");
    let mut v = patient();
    set(&mut v, "/telecom", json!([{ "value": "555-1212" }]));
    assert_has(&v, "cpt-2");
    assert_has(&v, "cardinality");
    set(&mut v, "/telecom/0/system", json!("phone"));
    set(&mut v, "/telecom/0/use", json!("cell"));
    assert_only(&v, "binding");
    let mut v = patient();
    set(
        &mut v,
        "/contact",
        json!([{ "relationship": [cc("http://terminology.hl7.org/CodeSystem/v2-0131", "N")] }]),
    );
    assert_only(&v, "pat-1");
    let mut v = patient();
    set(
        &mut v,
        "/extension",
        json!([{ "url": c::BIRTHSEX_EXT, "valueCode": "X" }]),
    );
    assert_only(&v, "binding");
    set(&mut v, "/extension/0/valueCode", json!("F"));
    assert_valid(&v);
    set(
        &mut v,
        "/extension/0/extension",
        json!([{ "url": "x", "valueString": "y" }]),
    );
    assert_only(&v, "ext-1");
    set(
        &mut v,
        "/extension/0",
        json!({ "url": "http://example.org/ext" }),
    );
    assert_only(&v, "ext-1");
    set(&mut v, "/extension/0", json!({ "valueString": "x" }));
    assert_only(&v, "cardinality");
    let mut v = patient();
    set(
        &mut v,
        "/identifier/0/type",
        json!({ "coding": [{ "system": c::V2_0203, "code": "MB" }, { "system": "http://example.org/t", "code": "x" }] }),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/identifier/-",
        json!({ "type": cc("http://example.org/t", "x"), "system": "urn:x", "value": "1" }),
    );
    let issues = validate_resource(&v);
    assert!(!has_errors(&issues));
    assert!(
        issues
            .iter()
            .any(|i| i.severity == Severity::Warning && i.rule == "binding"),
        "{issues:?}"
    );
}

#[test]
fn coverage_rules() {
    for key in [
        "/subscriberId",
        "/relationship",
        "/payor",
        "/beneficiary",
        "/status",
    ] {
        let mut v = coverage();
        remove(&mut v, key);
        assert_only(&v, "cardinality");
    }
    let mut v = coverage();
    set(&mut v, "/relationship", cc(c::SUBSCRIBER_REL, "friend"));
    assert_has(&v, "binding");
    assert_has(&v, "code-invalid");
    set(
        &mut v,
        "/relationship",
        cc("http://example.org/rel", "self"),
    );
    assert_only(&v, "binding");
    let mut v = coverage();
    set(
        &mut v,
        "/payor/-",
        json!({ "reference": "Organization/o2" }),
    );
    assert_only(&v, "cardinality");
    set(&mut v, "/payor", json!([{ "reference": "Patient/p1" }]));
    assert_only(&v, "reference-type");
    let mut v = coverage();
    set(
        &mut v,
        "/beneficiary",
        json!({ "reference": "RelatedPerson/r1" }),
    );
    assert_only(&v, "reference-type");
    let mut v = coverage();
    set(&mut v, "/status", json!("inactive"));
    assert_only(&v, "binding");
    let mut v = coverage();
    let group = v["class"][0].clone();
    set(&mut v, "/class/-", group);
    assert_only(&v, "cardinality");
    let mut v = coverage();
    set(
        &mut v,
        "/class/0/type",
        cc("http://example.org/class", "tier"),
    );
    let issues = validate_resource(&v);
    assert!(!has_errors(&issues), "{issues:?}");
    assert!(issues
        .iter()
        .any(|i| i.severity == Severity::Warning && i.rule == "binding"));
    let mut v = coverage();
    remove(&mut v, "/class/0/value");
    assert_only(&v, "cardinality");
    let mut v = coverage();
    set(
        &mut v,
        "/period",
        json!({ "start": "2024-01-01", "end": "2023-12-31" }),
    );
    assert_only(&v, "per-1");
}

#[test]
fn organization_rules() {
    let mut v = organization();
    remove(&mut v, "/active");
    assert_only(&v, "cardinality");
    set(&mut v, "/active", json!("true"));
    assert_only(&v, "datatype");
    let mut v = organization();
    remove(&mut v, "/name");
    assert_only(&v, "cardinality");
    remove(&mut v, "/identifier");
    assert_has(&v, "org-1");
    let mut v = organization();
    set(
        &mut v,
        "/address",
        json!([{ "use": "home", "city": "Pittsburgh" }]),
    );
    assert_only(&v, "org-2");
    set(
        &mut v,
        "/address",
        json!([{ "line": ["1", "2", "3", "4", "5"] }]),
    );
    assert_only(&v, "cardinality");
    let mut v = organization();
    set(
        &mut v,
        "/telecom",
        json!([{ "system": "phone", "value": "1", "use": "home" }]),
    );
    assert_only(&v, "org-3");
    let mut v = organization();
    remove(&mut v, "/meta/lastUpdated");
    assert_only(&v, "uncontained-requires-lastUpdated");
    let mut v = organization();
    let npi = v["identifier"][0].clone();
    set(&mut v, "/identifier/-", npi);
    assert_only(&v, "cardinality");
}

#[test]
fn practitioner_rules() {
    let mut v = practitioner();
    set(&mut v, "/identifier/0/type", cc(c::V2_0203, "MD"));
    assert_only(&v, "Practitioner-identifier");
    set(
        &mut v,
        "/identifier/0",
        json!({ "type": cc(c::V2_0203, "TAX"), "system": "urn:oid:2.16.840.1.113883.4.4", "value": "12-3456789" }),
    );
    assert_valid(&v);
    let mut v = practitioner();
    remove(&mut v, "/name/0/family");
    set(&mut v, "/name/0/given", json!(["Ann"]));
    assert_only(&v, "cardinality");
    remove(&mut v, "/name");
    assert_only(&v, "cardinality");
    let mut v = practitioner();
    remove(&mut v, "/meta/lastUpdated");
    assert_valid(&v);
    remove(&mut v, "/identifier");
    assert_has(&v, "Practitioner-identifier");
    assert_has(&v, "cardinality");
    let mut v = practitioner();
    set(
        &mut v,
        "/qualification",
        json!([{ "issuer": { "reference": "Organization/o1" } }]),
    );
    assert_only(&v, "cardinality");
}

#[test]
fn related_person_rules() {
    let mut v = related_person();
    remove(&mut v, "/name");
    assert_only(&v, "relatedperson-name-or-relationship");
    set(
        &mut v,
        "/relationship",
        json!([cc(
            "http://terminology.hl7.org/CodeSystem/v3-RoleCode",
            "MTH"
        )]),
    );
    assert_valid(&v);
    let mut v = related_person();
    remove(&mut v, "/active");
    assert_only(&v, "cardinality");
    let mut v = related_person();
    set(
        &mut v,
        "/patient",
        json!({ "reference": "Practitioner/p1" }),
    );
    assert_only(&v, "reference-type");
    let mut v = related_person();
    remove(&mut v, "/meta/lastUpdated");
    assert_only(&v, "cardinality");
    let mut v = related_person();
    set(&mut v, "/gender", json!("woman"));
    assert_only(&v, "binding");
}

#[test]
fn primitive_formats() {
    for ok in ["2024", "2024-02", "2024-02-29", "0001-01-01"] {
        assert!(is_date(ok), "{ok}");
    }
    for bad in [
        "24",
        "2024-2",
        "2023-02-29",
        "2024-13",
        "2024-01-32",
        "0000",
        "2024-01-01T00:00:00Z",
    ] {
        assert!(!is_date(bad), "{bad}");
    }
    for ok in [
        "2024",
        "2024-01-01T00:00:00Z",
        "2024-01-01T23:59:60.5-05:00",
        "2024-01-01T10:00:00+14:00",
    ] {
        assert!(is_datetime(ok), "{ok}");
    }
    for bad in [
        "2024-01-01T10:00Z",
        "2024-01-01T10:00:00",
        "2024-01-01T24:00:00Z",
        "2024-01T10:00:00Z",
        "2024-01-01T10:00:00+14:30",
    ] {
        assert!(!is_datetime(bad), "{bad}");
    }
    assert!(is_instant("2024-01-01T00:00:00.000Z"));
    assert!(!is_instant("2024-01-01"));
    assert!(is_id("A-1.b"));
    assert!(!is_id("a_b") && !is_id("") && !is_id(&"x".repeat(65)));
    let (s, _) = time_range("2024-01-02T01:00:00+14:00").expect("range");
    let (_, e) = time_range("2024-01-01T12:00:00Z").expect("range");
    assert!(
        s <= e,
        "same instant in different zones must not look reversed"
    );
}

#[test]
fn relative_references() {
    assert_eq!(relative_ref("Patient/123"), Some(("Patient", "123")));
    assert_eq!(
        relative_ref("Organization/o1/_history/2"),
        Some(("Organization", "o1"))
    );
    assert_eq!(relative_ref("http://x.org/fhir/Patient/1"), None);
    assert_eq!(relative_ref("#org"), None);
    assert_eq!(relative_ref("urn:uuid:1234"), None);
    assert_eq!(relative_ref("patient/1"), None);
}

#[test]
fn profile_api() {
    assert_eq!(Profile::all().len(), 10);
    assert_eq!(
        Profile::EobPharmacy.name(),
        "C4BB-ExplanationOfBenefit-Pharmacy"
    );
    assert_eq!(
        Profile::Coverage.canonical(),
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage"
    );
    for p in Profile::all() {
        assert_eq!(
            Profile::from_canonical(&format!("{}|2.0.0", p.canonical())),
            Some(*p)
        );
        assert!(p.canonical().ends_with(p.name()));
    }
    assert_eq!(Profile::from_canonical(super::profiles::ABSTRACT_EOB), None);
    let v = json!({ "resourceType": "Patient", "meta": { "profile": ["http://x", format!("{}|2.0.0", Profile::Patient.canonical())] } });
    assert_eq!(profile_of(&v), Some(Profile::Patient));
    assert_eq!(profile_of(&json!({ "resourceType": "Patient" })), None);
}

#[test]
fn validate_as_requires_the_claimed_profile() {
    let v = patient();
    assert!(!has_errors(&validate_as(&v, Profile::Patient)));
    let issues = validate_as(&v, Profile::RelatedPerson);
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].rule, "unknown-profile");
}

#[test]
fn issues_serialize() {
    let issue = Issue {
        severity: Severity::Warning,
        path: "Patient.name[0]".into(),
        rule: "us-core-8",
        message: "m".into(),
    };
    let text = serde_json::to_string(&issue).expect("serialize");
    assert_eq!(
        text,
        r#"{"severity":"Warning","path":"Patient.name[0]","rule":"us-core-8","message":"m"}"#
    );
    assert!(Severity::Error < Severity::Warning);
}
