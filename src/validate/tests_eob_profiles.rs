//! Unit tests: profile-specific EOB rules and every EOB invariant.

use serde_json::json;

use super::codes as c;
use super::test_fixtures::{
    assert_has, assert_only, assert_valid, assert_warning_only, cc, eob, remove, set, usd,
};
use super::{validate_resource, Profile, Severity};

fn care_team(role_system: &str, role: &str, provider: &str) -> serde_json::Value {
    json!([{ "sequence": 1, "provider": { "reference": provider }, "role": cc(role_system, role) }])
}

fn si(seq: u64, code: &str) -> serde_json::Value {
    json!({ "sequence": seq, "category": cc(c::SIT, code) })
}

#[test]
fn institutional_type_and_subtype() {
    let mut v = eob(Profile::EobInpatient);
    set(&mut v, "/subType", cc(c::INST_SUBTYPE, "outpatient"));
    assert_only(&v, "pattern");
    remove(&mut v, "/subType");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobOutpatient);
    set(&mut v, "/type", cc(c::CLAIM_TYPE, "professional"));
    assert_only(&v, "pattern");
    let mut v = eob(Profile::EobProfessional);
    set(&mut v, "/type", cc(c::CLAIM_TYPE, "vision"));
    assert_valid(&v);
    set(&mut v, "/type", cc(c::CLAIM_TYPE, "oral"));
    assert_only(&v, "binding");
}

#[test]
fn inpatient_slices_and_codes() {
    let mut v = eob(Profile::EobInpatient);
    remove(&mut v, "/supportingInfo");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobInpatient);
    remove(&mut v, "/supportingInfo/0/timingPeriod");
    set(&mut v, "/supportingInfo/0/timingDate", json!("2024-01-01"));
    assert_only(&v, "datatype");
    let mut v = eob(Profile::EobInpatient);
    remove(&mut v, "/item/0/revenue");
    assert_only(&v, "cardinality");
    set(
        &mut v,
        "/item/0/revenue",
        cc("http://example.org/rev", "0450"),
    );
    assert_only(&v, "binding");
    let mut v = eob(Profile::EobInpatient);
    let mut tob = si(2, "typeofbill");
    tob["code"] = cc("http://example.org/tob", "111");
    set(&mut v, "/supportingInfo/-", tob);
    assert_only(&v, "binding");
    set(&mut v, "/supportingInfo/1/code", cc(c::NUBC_TOB, "0111"));
    assert_valid(&v);
    set(
        &mut v,
        "/supportingInfo/-",
        json!({ "sequence": 3, "category": cc(c::SIT, "typeofbill"), "code": cc(c::NUBC_TOB, "0112") }),
    );
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobInpatient);
    set(
        &mut v,
        "/supportingInfo/-",
        json!({ "sequence": 2, "category": cc(c::SIT, "drg"), "code": cc("http://example.org/drg", "1") }),
    );
    assert_warning_only(&v, "binding");
    set(
        &mut v,
        "/supportingInfo/1/category",
        cc(c::SIT, "medicalrecordnumber"),
    );
    remove(&mut v, "/supportingInfo/1/code");
    assert_only(&v, "cardinality");
}

#[test]
fn diagnosis_and_procedure() {
    let mut v = eob(Profile::EobOutpatient);
    set(
        &mut v,
        "/diagnosis/0/type",
        json!([cc(c::DIAGTYPE, "admitting")]),
    );
    assert_only(&v, "binding");
    let mut v = eob(Profile::EobInpatient);
    set(
        &mut v,
        "/diagnosis/0/type",
        json!([cc(c::DIAGTYPE, "admitting")]),
    );
    set(&mut v, "/diagnosis/0/onAdmission", cc(c::NUBC_POA, "Y"));
    assert_valid(&v);
    set(
        &mut v,
        "/diagnosis/0/onAdmission",
        cc("http://example.org/poa", "Y"),
    );
    assert_only(&v, "binding");
    let mut v = eob(Profile::EobProfessional);
    set(
        &mut v,
        "/diagnosis/0/diagnosisCodeableConcept",
        cc("http://snomed.info/sct", "1"),
    );
    assert_only(&v, "binding");
    set(
        &mut v,
        "/diagnosis/0/diagnosisCodeableConcept",
        cc(c::ICD9, "486"),
    );
    assert_valid(&v);
    remove(&mut v, "/diagnosis/0/type");
    assert_only(&v, "cardinality");
    remove(&mut v, "/diagnosis");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobInpatient);
    let icd = v["diagnosis"][0]["diagnosisCodeableConcept"].clone();
    remove(&mut v, "/diagnosis/0/diagnosisCodeableConcept");
    set(
        &mut v,
        "/diagnosis/0/diagnosisReference",
        json!({ "reference": "Condition/c1" }),
    );
    assert_only(&v, "datatype");
    set(
        &mut v,
        "/procedure",
        json!([{ "sequence": 1, "procedureCodeableConcept": cc(c::ICD10PCS, "0DTJ4ZZ") }]),
    );
    remove(&mut v, "/diagnosis/0/diagnosisReference");
    set(&mut v, "/diagnosis/0/diagnosisCodeableConcept", icd);
    assert_only(&v, "cardinality");
    set(
        &mut v,
        "/procedure/0/type",
        json!([cc(c::C4BB_PX_TYPE, "principal")]),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/procedure/0/procedureCodeableConcept",
        cc(c::ICD10CM, "J20.9"),
    );
    assert_only(&v, "binding");
}

#[test]
fn eob_institutional_item_or_header_adjudication() {
    let mut v = eob(Profile::EobOutpatient);
    let aat = v["adjudication"][1].clone();
    set(&mut v, "/item/0/adjudication", json!([aat]));
    let issues = assert_only(&v, "EOB-institutional-item-or-header-adjudication");
    assert!(issues[0].message.contains("both"));
    remove(&mut v, "/adjudication/1");
    assert_valid(&v);
    remove(&mut v, "/item/0/adjudication");
    assert_only(&v, "EOB-institutional-item-or-header-adjudication");
}

#[test]
fn adjudication_has_amount_type_slice() {
    let mut v = eob(Profile::EobInpatient);
    set(
        &mut v,
        "/item/0/adjudication",
        json!([{ "category": cc(c::AD, "allowedunits"), "value": 2 }]),
    );
    let issues = assert_only(&v, "adjudication-has-amount-type-slice");
    assert_eq!(issues[0].path, "ExplanationOfBenefit.item[0]");
    remove(&mut v, "/item/0/adjudication/0/value");
    assert_has(&v, "cardinality");
}

#[test]
fn header_benefit_payment_status() {
    let mut v = eob(Profile::EobInpatient);
    remove(&mut v, "/adjudication/0");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/adjudication/0/reason",
        cc(c::PAYER_STATUS, "paid"),
    );
    assert_only(&v, "binding");
    remove(&mut v, "/adjudication/0/reason");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/adjudication/-",
        json!({ "category": cc(c::AD, "benefitpaymentstatus"), "reason": cc(c::PAYER_STATUS, "other") }),
    );
    assert_only(&v, "cardinality");
}

#[test]
fn eob_inst_pointoforigin() {
    let admtype = |code: &str| json!({ "sequence": 5, "category": cc(c::SIT, "admtype"), "code": cc(c::NUBC_ADMTYPE, code) });
    let origin = |system: &str| json!({ "sequence": 6, "category": cc(c::SIT, "pointoforigin"), "code": cc(system, "5") });
    for (adm, poo, ok) in [
        ("4", c::NUBC_POO_NEWBORN, true),
        ("1", c::NUBC_POO, true),
        ("4", c::NUBC_POO, false),
        ("1", c::NUBC_POO_NEWBORN, false),
    ] {
        let mut v = eob(Profile::EobInpatient);
        set(&mut v, "/supportingInfo/-", admtype(adm));
        set(&mut v, "/supportingInfo/-", origin(poo));
        if ok {
            assert_valid(&v);
        } else {
            assert_only(&v, "EOB-inst-pointoforigin");
        }
    }
}

#[test]
fn eob_inst_care_team_invariants() {
    let mut v = eob(Profile::EobInpatient);
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "attending", "Practitioner/pr1"),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "attending", "Organization/o1"),
    );
    assert_only(&v, "EOB-inst-careTeam-practitioner");
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "rendering", "Organization/o1"),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "rendering", "Practitioner/pr1"),
    );
    assert_only(&v, "EOB-inst-careTeam-organization");
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "prescribing", "Practitioner/pr1"),
    );
    assert_only(&v, "binding");
    remove(&mut v, "/careTeam/0/role");
    assert_only(&v, "cardinality");
}

#[test]
fn eob_careteam_qualification() {
    let mut v = eob(Profile::EobOutpatient);
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "rendering", "Organization/o1"),
    );
    assert_only(&v, "EOB-careteam-qualification");
    set(
        &mut v,
        "/careTeam/0/qualification",
        cc(c::NUCC, "364SX0200X"),
    );
    assert_valid(&v);
    set(
        &mut v,
        "/careTeam/0/qualification",
        cc("http://example.org/q", "x"),
    );
    let issues = validate_resource(&v);
    let rules: Vec<_> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| i.rule)
        .collect();
    assert_eq!(rules, ["binding", "EOB-careteam-qualification"]);
}

#[test]
fn eob_prof_care_team_practitioner() {
    for p in [Profile::EobProfessional, Profile::EobOral] {
        let mut v = eob(p);
        set(
            &mut v,
            "/careTeam",
            care_team(c::CARETEAMROLE, "primary", "Organization/o1"),
        );
        assert_only(&v, "EOB-prof-careTeam-practitioner");
        set(
            &mut v,
            "/careTeam",
            care_team(c::CARETEAMROLE, "primary", "Practitioner/p1"),
        );
        assert_valid(&v);
        set(
            &mut v,
            "/careTeam",
            care_team(c::C4BB_CARE_ROLE, "purchasedservice", "Organization/o1"),
        );
        assert_valid(&v);
    }
}

#[test]
fn eob_prof_transportation_linked_to_line() {
    let mut v = eob(Profile::EobProfessional);
    set(
        &mut v,
        "/supportingInfo",
        json!([{ "sequence": 1, "category": cc(c::SIT, "pickuplocation"), "valueString": "Home" }]),
    );
    assert_only(
        &v,
        "EOB-prof-all-transportation-supportinginfo-linked-to-line",
    );
    set(&mut v, "/item/0/informationSequence", json!([1]));
    assert_valid(&v);
    set(&mut v, "/supportingInfo/0/timingDate", json!("2024-01-01"));
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobProfessional);
    let weight = json!({ "sequence": 1, "category": cc(c::SIT, "patientweight"), "valueQuantity": { "value": 160, "unit": "lb", "system": c::UCUM } });
    set(&mut v, "/supportingInfo", json!([weight]));
    set(&mut v, "/item/0/informationSequence", json!([1]));
    assert_only(&v, "pattern");
    let reason = json!({ "sequence": 1, "category": cc(c::SIT, "ambulancetransportreason"), "reason": { "system": "http://example.org/x", "code": "B" } });
    set(&mut v, "/supportingInfo", json!([reason]));
    assert_only(&v, "binding");
    set(
        &mut v,
        "/supportingInfo/0/reason/system",
        json!(c::X12_AMBULANCE),
    );
    assert_valid(&v);
}

#[test]
fn eob_vision_item_productorservice() {
    let mut v = eob(Profile::EobProfessional);
    set(
        &mut v,
        "/item/0/productOrService",
        cc(c::DAR, "not-applicable"),
    );
    let issues = assert_only(&v, "EOB-vision-item-productorservice");
    assert_eq!(
        issues[0].path,
        "ExplanationOfBenefit.item[0].productOrService"
    );
    set(&mut v, "/type", cc(c::CLAIM_TYPE, "vision"));
    assert_valid(&v);
}

#[test]
fn professional_and_oral_item_adjudication() {
    for p in [Profile::EobProfessional, Profile::EobOral] {
        let mut v = eob(p);
        remove(&mut v, "/item/0/adjudication/1");
        assert_only(&v, "cardinality");
        let mut v = eob(p);
        set(
            &mut v,
            "/item/0/adjudication/1",
            json!({ "category": cc(c::THO_ADJ, "copay"), "amount": usd(5.0) }),
        );
        assert_only(&v, "cardinality");
        let mut v = eob(p);
        remove(&mut v, "/item/0/adjudication/0/amount");
        assert_only(&v, "cardinality");
    }
    let mut v = eob(Profile::EobProfessional);
    set(
        &mut v,
        "/item/0/adjudication/-",
        json!({ "category": cc(c::AD, "adjustmentreason"), "reason": cc("http://example.org/carc", "45") }),
    );
    assert_only(&v, "binding");
    set(&mut v, "/item/0/adjudication/2/reason", cc(c::CARC, "45"));
    assert_valid(&v);
}
