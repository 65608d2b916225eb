//! Unit tests: Oral and Pharmacy EOB rules and invariants.

use serde_json::json;

use super::codes as c;
use super::test_fixtures::{
    assert_has, assert_only, assert_valid, assert_warning_only, cc, eob, remove, set,
};
use super::{validate_resource, Profile};

fn care_team(role_system: &str, role: &str, provider: &str) -> serde_json::Value {
    json!([{ "sequence": 1, "provider": { "reference": provider }, "role": cc(role_system, role) }])
}

#[test]
fn eob_pharm_care_team_rules() {
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "prescribing", "Practitioner/p1"),
    );
    assert_warning_only(&v, "EOB-pharm-careTeam-practitioner");
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "prescribing", "Organization/o1"),
    );
    assert!(validate_resource(&v).is_empty());
    set(
        &mut v,
        "/careTeam",
        care_team(c::C4BB_CARE_ROLE, "rendering", "Practitioner/p1"),
    );
    assert_has(&v, "EOB-pharm-careTeam-organization");
    // prescribing + rendering: a valid role coding keeps the binding satisfied
    let role = json!({ "coding": [
        { "system": c::C4BB_CARE_ROLE, "code": "prescribing" },
        { "system": c::C4BB_CARE_ROLE, "code": "rendering" }
    ] });
    set(&mut v, "/careTeam/0/role", role);
    set(
        &mut v,
        "/careTeam/0/provider",
        json!({ "reference": "Organization/o1" }),
    );
    assert!(validate_resource(&v).is_empty());
    set(
        &mut v,
        "/careTeam/0/provider",
        json!({ "reference": "Practitioner/p1" }),
    );
    assert_only(&v, "EOB-pharm-careTeam-organization");
}

#[test]
fn oral_header_adjudication() {
    let mut v = eob(Profile::EobOral);
    set(
        &mut v,
        "/adjudication/0/category",
        cc(c::AD, "billingnetworkstatus"),
    );
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobOral);
    remove(&mut v, "/adjudication/1");
    assert_only(&v, "cardinality");
}

#[test]
fn oral_body_site_invariants() {
    let abs = |system: &str| json!({ "sequence": 1, "category": cc(c::SIT, "additionalbodysite"), "code": cc(system, "30") });
    let mut v = eob(Profile::EobOral);
    set(&mut v, "/supportingInfo", json!([abs(c::ADA_TOOTH)]));
    assert_only(
        &v,
        "Oral-EOB-supportinginfo-additionalbodysite-requires-line-item",
    );
    set(&mut v, "/item/0/informationSequence", json!([1]));
    assert_only(
        &v,
        "Oral-line-item-with-linked-additionalbody-site-requires-bodysite",
    );
    set(&mut v, "/item/0/bodySite", cc(c::ADA_AREA, "10"));
    assert_valid(&v);
    // surface needs a tooth: here the linked additional body site gives it
    set(&mut v, "/item/0/subSite", json!([cc(c::SURFACE, "O")]));
    assert_valid(&v);
    set(&mut v, "/supportingInfo/0/code", cc(c::ADA_AREA, "01"));
    assert_only(&v, "Oral-EOB-surface-subsite-requires-tooth-number");
    set(&mut v, "/item/0/bodySite", cc(c::ADA_TOOTH, "30"));
    assert_valid(&v);
    set(&mut v, "/item/0/subSite", json!([cc(c::SURFACE, "X")]));
    assert_has(&v, "binding");
    let mut v = eob(Profile::EobOral);
    set(
        &mut v,
        "/supportingInfo",
        json!([abs("http://example.org/teeth")]),
    );
    set(&mut v, "/item/0/informationSequence", json!([1]));
    set(&mut v, "/item/0/bodySite", cc(c::ADA_TOOTH, "30"));
    assert_only(&v, "binding");
}

#[test]
fn oral_provider_and_supporting_info() {
    let mut v = eob(Profile::EobOral);
    set(
        &mut v,
        "/supportingInfo",
        json!([{ "sequence": 1, "category": cc(c::SIT, "prosthesis"), "valueBoolean": "yes" }]),
    );
    assert_only(&v, "datatype");
    set(&mut v, "/supportingInfo/0/valueBoolean", json!(true));
    assert_valid(&v);
    set(
        &mut v,
        "/supportingInfo/-",
        json!({ "sequence": 2, "category": cc(c::SIT, "servicefacility"), "valueReference": { "reference": "Location/l1" } }),
    );
    assert_only(&v, "reference-type");
}

#[test]
fn pharmacy_supporting_info_slices() {
    let mut v = eob(Profile::EobPharmacy);
    remove(&mut v, "/supportingInfo/1");
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/supportingInfo/-",
        json!({ "sequence": 5, "category": cc(c::SIT, "dayssupply"), "valueQuantity": { "value": 10 } }),
    );
    assert_only(&v, "cardinality");
    let mut v = eob(Profile::EobPharmacy);
    remove(&mut v, "/supportingInfo/0/valueQuantity");
    set(&mut v, "/supportingInfo/0/valueString", json!("30"));
    assert_only(&v, "datatype");
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/supportingInfo/1/code",
        cc("http://example.org/daw", "0"),
    );
    assert_only(&v, "binding");
    let mut v = eob(Profile::EobPharmacy);
    set(
        &mut v,
        "/item/0/adjudication/-",
        json!({ "category": cc(c::AD, "rejectreason"), "reason": cc(c::NCPDP_REJECT, "70") }),
    );
    assert_valid(&v);
    set(&mut v, "/item/0/adjudication/1/reason", cc(c::CARC, "70"));
    assert_only(&v, "binding");
}
