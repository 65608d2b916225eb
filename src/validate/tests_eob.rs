//! Unit tests: resource-level rules and the rules every C4BB EOB profile shares.

use serde_json::{json, Value};

use super::codes as c;
use super::test_fixtures::{
    assert_has, assert_only, assert_valid, assert_warning_only, cc, eob, remove, set, usd, valid,
};
use super::{profile_of, validate_resource, Profile, Severity};

const EOBS: [Profile; 5] = [
    Profile::EobInpatient,
    Profile::EobOutpatient,
    Profile::EobProfessional,
    Profile::EobOral,
    Profile::EobPharmacy,
];

#[test]
fn fixtures_are_clean_for_every_profile() {
    for p in Profile::all() {
        let v = valid(*p);
        assert_eq!(profile_of(&v), Some(*p));
        let issues = validate_resource(&v);
        assert!(issues.is_empty(), "{p}: {issues:?}");
    }
}

#[test]
fn unknown_profile() {
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/meta/profile",
        json!(["http://example.org/StructureDefinition/other"]),
    );
    assert_only(&v, "unknown-profile");
    set(
        &mut v,
        "/meta/profile",
        json!([format!("{}|2.0.0", super::profiles::ABSTRACT_EOB)]),
    );
    let issues = assert_only(&v, "unknown-profile");
    assert!(issues[0].message.contains("abstract"));
    remove(&mut v, "/meta");
    assert_only(&v, "unknown-profile");
}

#[test]
fn resource_type_rules() {
    let mut v = valid(Profile::Patient);
    set(
        &mut v,
        "/meta/profile",
        json!([format!("{}|2.0.0", Profile::Coverage.canonical())]),
    );
    assert_only(&v, "resource-type");
    assert_only(&json!({ "id": "x" }), "resource-type");
    assert_only(&json!([1, 2]), "resource-type");
}

#[test]
fn meta_profile_version_for_every_profile() {
    for p in Profile::all() {
        let mut v = valid(*p);
        set(&mut v, "/meta/profile", json!([p.canonical()]));
        let issues = assert_only(&v, p.version_rule());
        assert_eq!(
            issues[0].path,
            format!("{}.meta.profile", p.resource_type())
        );
        set(
            &mut v,
            "/meta/profile",
            json!([format!("{}|2.1.0", p.canonical())]),
        );
        assert_only(&v, p.version_rule());
        set(
            &mut v,
            "/meta/profile",
            json!([format!("{}|2.0.1", p.canonical())]),
        );
        assert_valid(&v);
    }
}

#[test]
fn meta_last_updated_and_id() {
    let mut v = eob(Profile::EobOral);
    set(&mut v, "/meta/lastUpdated", json!("2024-01-05"));
    assert_only(&v, "datatype");
    remove(&mut v, "/meta/lastUpdated");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobOral);
    set(&mut v, "/id", json!("bad id!"));
    assert_only(&v, "datatype");
    set(&mut v, "/id", json!("a".repeat(65)));
    assert_only(&v, "datatype");
}

#[test]
fn core_codes_status_use_outcome() {
    for (ptr, bad, rule) in [
        ("/status", json!("final"), "binding"),
        ("/outcome", json!("done"), "binding"),
        ("/use", json!("preauthorization"), "pattern"),
        ("/status", json!(1), "datatype"),
    ] {
        let mut v = eob(Profile::EobProfessional);
        set(&mut v, ptr, bad);
        assert_only(&v, rule);
    }
    for key in [
        "/status",
        "/use",
        "/outcome",
        "/type",
        "/patient",
        "/created",
        "/insurer",
        "/provider",
        "/billablePeriod",
        "/insurance",
        "/item",
        "/total",
        "/identifier",
    ] {
        let mut v = eob(Profile::EobProfessional);
        remove(&mut v, key);
        assert_has(&v, "cardinality");
    }
}

#[test]
fn dates_and_periods() {
    let mut v = eob(Profile::EobPharmacy);
    set(&mut v, "/created", json!("2024-13-01"));
    assert_only(&v, "datatype");
    set(&mut v, "/created", json!("2024-01-05T10:00:00"));
    assert_only(&v, "datatype");
    set(&mut v, "/created", json!("2024-01-05T10:00:00.123+05:30"));
    assert_valid(&v);
    let mut v = eob(Profile::EobPharmacy);
    remove(&mut v, "/billablePeriod/start");
    assert_only(&v, "cardinality");
    set(&mut v, "/billablePeriod/start", json!("2024-02-01"));
    assert_only(&v, "per-1");
}

#[test]
fn unique_claim_id_slice() {
    let mut v = eob(Profile::EobInpatient);
    set(&mut v, "/identifier/0/type", cc(c::V2_0203, "MR"));
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobInpatient);
    let dup = v["identifier"][0].clone();
    set(&mut v, "/identifier/-", dup);
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobInpatient);
    remove(&mut v, "/identifier/0/value");
    assert_only(&v, "cardinality");
}

#[test]
fn reference_types() {
    let cases = [
        ("/insurer", json!({ "reference": "Patient/x" })),
        ("/patient", json!({ "reference": "Organization/x" })),
        (
            "/insurance/0/coverage",
            json!({ "reference": "Organization/x" }),
        ),
        (
            "/payee",
            json!({ "type": cc(c::PAYEETYPE, "provider"), "party": { "reference": "Coverage/x" } }),
        ),
        (
            "/careTeam",
            json!([{ "sequence": 1, "provider": { "reference": "Patient/x" }, "role": cc(c::C4BB_CARE_ROLE, "purchasedservice") }]),
        ),
        ("/provider", json!({ "reference": "PractitionerRole/x" })),
    ];
    for (ptr, val) in cases {
        let mut v = eob(Profile::EobProfessional);
        set(&mut v, ptr, val);
        assert_only(&v, "reference-type");
    }
    // Absolute, contained-style and versioned references: absolute/contained are not type-checked.
    let mut v = eob(Profile::EobProfessional);
    set(
        &mut v,
        "/provider",
        json!({ "reference": "http://other.example.org/fhir/Patient/1" }),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/provider",
        json!({ "reference": "Practitioner/p1/_history/3" }),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/provider",
        json!({ "reference": "Patient/p1/_history/3" }),
    );
    assert_only(&v, "reference-type");
    set(
        &mut v,
        "/provider",
        json!({ "identifier": { "system": "http://hl7.org/fhir/sid/us-npi", "value": "1" } }),
    );
    assert_valid(&v);
}

#[test]
fn eob_insurance_focal() {
    let mut v = eob(Profile::EobOutpatient);
    set(
        &mut v,
        "/insurance/-",
        json!({ "focal": false, "coverage": { "reference": "Coverage/c2" } }),
    );
    assert_valid(&v);
    set(&mut v, "/insurance/1/focal", json!(true));
    let issues = assert_only(&v, "EOB-insurance-focal");
    assert_eq!(issues[0].path, "ExplanationOfBenefit.insurance");
    remove(&mut v, "/insurance/1/focal");
    assert_only(&v, "cardinality");
}

#[test]
fn eob_payee_other_type_requires_party() {
    let mut v = eob(Profile::EobOral);
    set(
        &mut v,
        "/payee",
        json!({ "type": cc(c::PAYEETYPE, "other") }),
    );
    assert_only(&v, "EOB-payee-other-type-requires-party");
    set(
        &mut v,
        "/payee/party",
        json!({ "reference": "RelatedPerson/rp1" }),
    );
    assert_valid(&v);
    set(&mut v, "/payee/type", cc(c::C4BB_PAYEE, "beneficiary"));
    remove(&mut v, "/payee/party");
    assert_valid(&v);
    set(&mut v, "/payee/type", cc("http://example.org/payee", "x"));
    assert_only(&v, "binding");
    set(
        &mut v,
        "/payee/party",
        json!({ "reference": "Patient/pat-1" }),
    );
    remove(&mut v, "/payee/type");
    assert_only(&v, "cardinality");
}

#[test]
fn required_bindings_on_enumerated_value_sets() {
    let cases = [
        (
            "/related",
            json!([{ "relationship": cc(c::RELATEDCLAIM, "associated"), "reference": { "value": "X" } }]),
        ),
        (
            "/payment",
            json!({ "type": cc(c::PAYER_STATUS, "innetwork") }),
        ),
        ("/priority", json!({ "text": "urgent" })),
    ];
    for (ptr, val) in cases {
        let mut v = eob(Profile::EobInpatient);
        set(&mut v, ptr, val);
        assert_only(&v, "binding");
    }
    let mut v = eob(Profile::EobInpatient);
    set(
        &mut v,
        "/related",
        json!([{ "relationship": cc(c::C4BB_RELATED, "replacedby") }]),
    );
    assert_only(&v, "cardinality");
    set(
        &mut v,
        "/related/0/reference",
        json!({ "value": "CLAIM-0" }),
    );
    set(
        &mut v,
        "/payment",
        json!({ "type": cc(c::PAYER_STATUS, "paid"), "date": "2024-02-01", "amount": usd(10.0) }),
    );
    assert_valid(&v);
}

#[test]
fn code_invalid_for_known_code_systems() {
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/supportingInfo/-",
        json!({ "sequence": 9, "category": cc(c::SIT, "bogus") }),
    );
    let issues = assert_only(&v, "code-invalid");
    assert!(issues
        .iter()
        .any(|i| i.severity == Severity::Warning && i.rule == "binding"));
}

#[test]
fn items_and_totals() {
    let mut v = eob(Profile::EobPharmacy);
    set(&mut v, "/item/0/sequence", json!(0));
    assert_only(&v, "datatype");
    let mut v = eob(Profile::EobPharmacy);
    remove(&mut v, "/item/0/productOrService");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/item/0/adjudication/0/amount/value",
        json!("20.00"),
    );
    assert_only(&v, "datatype");
    set(
        &mut v,
        "/item/0/adjudication/0/amount",
        json!({ "value": 20, "currency": "usd" }),
    );
    assert_only(&v, "datatype");
    // total without an adjudicationamounttype category
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/total/0/category",
        cc(c::PAYER_STATUS, "innetwork"),
    );
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobPharmacy);
    remove(&mut v, "/total/0/amount");
    assert_only(&v, "cardinality");
    // extensible binding on total.category: a warning only
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/total/-",
        json!({ "category": cc("http://example.org/cat", "x"), "amount": usd(1.0) }),
    );
    assert_warning_only(&v, "binding");
}

#[test]
fn product_or_service_bindings_per_profile() {
    let wrong = cc("http://example.org/codes", "X1");
    for p in EOBS {
        let mut v = eob(p);
        set(&mut v, "/item/0/productOrService", wrong.clone());
        assert_only(&v, "binding");
    }
    let na = cc(c::DAR, "not-applicable");
    for p in [Profile::EobInpatient, Profile::EobOral] {
        let mut v = eob(p);
        set(&mut v, "/item/0/productOrService", na.clone());
        assert_valid(&v);
    }
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/item/0/productOrService",
        cc(c::COMPOUND, "compound"),
    );
    set(
        &mut v,
        "/item/0/detail",
        json!([{ "sequence": 1, "productOrService": cc(c::CPT, "1") }]),
    );
    assert_only(&v, "binding");
    set(
        &mut v,
        "/item/0/detail/0/productOrService",
        cc(c::NDC, "00777310502"),
    );
    assert_valid(&v);
}

#[test]
fn serviced_and_location_choices() {
    let mut v = eob(Profile::EobPharmacy);
    remove(&mut v, "/item/0/servicedDate");
    set(
        &mut v,
        "/item/0/servicedPeriod",
        json!({ "start": "2024-01-01" }),
    );
    assert_only(&v, "datatype");
    remove(&mut v, "/item/0/servicedPeriod");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobProfessional);
    remove(&mut v, "/item/0/locationCodeableConcept");
    assert_only(&v, "cardinality");
    set(
        &mut v,
        "/item/0/locationAddress",
        json!({ "city": "Pittsburgh" }),
    );
    assert_only(&v, "datatype");
    let mut v = eob(Profile::EobOral);
    set(
        &mut v,
        "/item/0/locationCodeableConcept",
        cc("http://example.org/pos", "11"),
    );
    assert_only(&v, "binding");
    let mut v = eob(Profile::EobProfessional);
    remove(&mut v, "/item/0/servicedDate");
    set(
        &mut v,
        "/item/0/servicedPeriod",
        json!({ "start": "2024-01-01", "end": "2024-01-03" }),
    );
    assert_valid(&v);
}

#[test]
fn ele_1_everywhere() {
    for (ptr, val) in [
        ("/item/0/modifier", json!([])),
        ("/payment", json!({})),
        ("/item/0/adjudication/0/amount/currency", json!("")),
        ("/use", Value::Null),
    ] {
        let mut v = eob(Profile::EobPharmacy);
        set(&mut v, ptr, val);
        assert_has(&v, "ele-1");
    }
    let mut v = eob(Profile::EobPharmacy);
    set(&mut v, "/text/x", json!({ "y": [] }));
    let issues = assert_only(&v, "ele-1");
    assert_eq!(issues[0].path, "ExplanationOfBenefit.text.x.y");
}

#[test]
fn contained_resources() {
    let mut org = valid(Profile::Organization);
    remove(&mut org, "/meta/lastUpdated");
    remove(&mut org, "/text");
    set(&mut org, "/id", json!("prov"));
    let mut v = eob(Profile::EobProfessional);
    set(&mut v, "/contained", json!([org]));
    assert_only(&v, "dom-3");
    set(&mut v, "/provider", json!({ "reference": "#prov" }));
    assert_valid(&v);
    // a contained C4BB Organization is validated against its profile
    remove(&mut v, "/contained/0/name");
    let issues = assert_only(&v, "cardinality");
    assert_eq!(issues[0].path, "ExplanationOfBenefit.contained[0].name");
    let mut v2 = v.clone();
    set(&mut v2, "/contained/0/name", json!("Clinic"));
    set(
        &mut v2,
        "/contained/0/meta/lastUpdated",
        json!("2024-01-01T00:00:00Z"),
    );
    assert_only(&v2, "dom-4");
    set(
        &mut v2,
        "/contained/0/meta",
        json!({ "profile": [format!("{}|2.0.0", Profile::Organization.canonical())] }),
    );
    set(
        &mut v2,
        "/contained/0/contained",
        json!([{ "resourceType": "Location", "id": "l" }]),
    );
    assert_has(&v2, "dom-2");
    let mut v3 = v.clone();
    set(&mut v3, "/contained/0/name", json!("Clinic"));
    set(
        &mut v3,
        "/contained/0/meta/security",
        json!([{ "system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R" }]),
    );
    assert_only(&v3, "dom-5");
}

#[test]
fn narrative_is_a_warning() {
    let mut v = eob(Profile::EobOral);
    remove(&mut v, "/text");
    assert_warning_only(&v, "dom-6");
}
