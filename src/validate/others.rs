//! C4BB Patient, Coverage, Organization, Practitioner and RelatedPerson (2.0.0, with the inherited
//! US Core 3.1.1 constraints).

use serde_json::Value;

use super::codes as c;
use super::datatypes::{
    addresses, binding_at, has_code_any_system, has_coding, identifiers, names, period_at,
    reference_at, telecoms, Strength,
};
use super::json::{
    card_choice, card_count, card_list, card_one, child, code_in, get_str, idx, list, prim, Prim,
    Report,
};

/// Identifiers matching a `patternIdentifier` of `type` coding and (optional) `system`.
fn count_identifier_slice(res: &Value, ty: Option<(&str, &str)>, system: Option<&str>) -> usize {
    list(res, "identifier")
        .iter()
        .filter(|id| {
            let type_ok =
                ty.is_none_or(|(s, code)| id.get("type").is_some_and(|t| has_coding(t, s, code)));
            let sys_ok = system.is_none_or(|s| get_str(id, "system") == Some(s));
            type_ok && sys_ok
        })
        .count()
}

/// NPI slice (0..1) shared by Organization and Practitioner.
fn npi_slice(r: &mut Report, res: &Value, base: &str) {
    let n = count_identifier_slice(res, Some((c::V2_0203, "NPI")), Some(c::NPI_SYSTEM));
    card_count(
        r,
        &child(base, "identifier"),
        n,
        0,
        Some(1),
        "slice identifier:NPI",
    );
}

fn communication(r: &mut Report, res: &Value, base: &str) {
    for (i, comm) in list(res, "communication").iter().enumerate() {
        let cp = idx(base, "communication", i);
        card_one(r, comm, &cp, "language", true);
        prim(r, comm, &cp, "preferred", Prim::Bool);
    }
}

pub fn patient(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "identifier", 1, None);
    identifiers(r, res, base, true);
    let members = count_identifier_slice(res, Some((c::V2_0203, "MB")), None);
    card_count(
        r,
        &child(base, "identifier"),
        members,
        1,
        None,
        "slice identifier:memberid",
    );
    for (i, id) in list(res, "identifier").iter().enumerate() {
        binding_at(
            r,
            id,
            &idx(base, "identifier", i),
            "type",
            &c::PATIENT_ID_TYPE_VS,
            Strength::Extensible,
        );
    }
    prim(r, res, base, "active", Prim::Bool);
    card_list(r, res, base, "name", 1, None);
    names(r, res, base, "name");
    for (i, n) in list(res, "name").iter().enumerate() {
        let has_name = n.get("family").is_some() || n.get("given").is_some();
        let has_dar = list(n, "extension")
            .iter()
            .any(|e| get_str(e, "url") == Some(c::DAR_EXT));
        if has_name == has_dar {
            r.err(
                &idx(base, "name", i),
                "us-core-8",
                "a name needs family or given, or else a data-absent-reason extension (not both)",
            );
        }
    }
    card_list(r, res, base, "telecom", 0, None);
    telecoms(r, res, base, "telecom", true);
    card_one(r, res, base, "gender", true);
    code_in(r, res, base, "gender", c::GENDER);
    prim(r, res, base, "birthDate", Prim::Date);
    card_choice(r, res, base, "deceased", false, &["Boolean", "DateTime"]);
    prim(r, res, base, "deceasedBoolean", Prim::Bool);
    prim(r, res, base, "deceasedDateTime", Prim::DateTime);
    card_choice(
        r,
        res,
        base,
        "multipleBirth",
        false,
        &["Boolean", "Integer"],
    );
    card_list(r, res, base, "address", 0, None);
    addresses(r, res, base, "address", None);
    communication(r, res, base);
    for (i, ct) in list(res, "contact").iter().enumerate() {
        let cp = idx(base, "contact", i);
        if ["name", "telecom", "address", "organization"]
            .iter()
            .all(|k| ct.get(*k).is_none())
        {
            r.err(
                &cp,
                "pat-1",
                "a contact needs a name, telecom, address or organization",
            );
        }
        code_in(r, ct, &cp, "gender", c::GENDER);
        telecoms(r, ct, &cp, "telecom", false);
        reference_at(r, ct, &cp, "organization", &["Organization"]);
    }
    for (i, l) in list(res, "link").iter().enumerate() {
        let lp = idx(base, "link", i);
        card_one(r, l, &lp, "other", true);
        reference_at(r, l, &lp, "other", &["Patient", "RelatedPerson"]);
        card_one(r, l, &lp, "type", true);
        code_in(r, l, &lp, "type", c::LINK_TYPE);
    }
    reference_at(
        r,
        res,
        base,
        "generalPractitioner",
        &["Organization", "Practitioner", "PractitionerRole"],
    );
    reference_at(r, res, base, "managingOrganization", &["Organization"]);
    for (i, e) in list(res, "extension").iter().enumerate() {
        if get_str(e, "url") == Some(c::BIRTHSEX_EXT) {
            let ep = idx(base, "extension", i);
            card_one(r, e, &ep, "valueCode", true);
            code_in(r, e, &ep, "valueCode", c::BIRTHSEX);
        }
    }
}

pub fn coverage(r: &mut Report, res: &Value, base: &str) {
    identifiers(r, res, base, false);
    card_one(r, res, base, "status", true);
    code_in(r, res, base, "status", c::FM_STATUS);
    card_one(r, res, base, "subscriberId", true);
    prim(r, res, base, "subscriberId", Prim::Str);
    card_one(r, res, base, "beneficiary", true);
    reference_at(r, res, base, "beneficiary", &["Patient"]);
    card_one(r, res, base, "relationship", true);
    binding_at(
        r,
        res,
        base,
        "relationship",
        &c::SUBSCRIBER_REL_VS,
        Strength::Required,
    );
    card_list(r, res, base, "payor", 1, Some(1));
    reference_at(r, res, base, "payor", &["Organization"]);
    reference_at(
        r,
        res,
        base,
        "policyHolder",
        &["Patient", "RelatedPerson", "Organization"],
    );
    reference_at(r, res, base, "subscriber", &["Patient", "RelatedPerson"]);
    reference_at(r, res, base, "contract", &["Contract"]);
    period_at(r, res, base, "period");
    prim(r, res, base, "order", Prim::PositiveInt);
    prim(r, res, base, "subrogation", Prim::Bool);
    for k in ["dependent", "network"] {
        prim(r, res, base, k, Prim::Str);
    }
    card_list(r, res, base, "class", 0, None);
    let classes = list(res, "class");
    for (i, cl) in classes.iter().enumerate() {
        let cp = idx(base, "class", i);
        card_one(r, cl, &cp, "type", true);
        binding_at(
            r,
            cl,
            &cp,
            "type",
            &c::COVERAGE_CLASS_VS,
            Strength::Extensible,
        );
        card_one(r, cl, &cp, "value", true);
        prim(r, cl, &cp, "value", Prim::Str);
        prim(r, cl, &cp, "name", Prim::Str);
    }
    for code in ["group", "plan"] {
        let n = classes
            .iter()
            .filter(|cl| {
                cl.get("type")
                    .is_some_and(|t| has_coding(t, c::COVERAGE_CLASS, code))
            })
            .count();
        card_count(
            r,
            &child(base, "class"),
            n,
            0,
            Some(1),
            &format!("slice class:{code}"),
        );
    }
    for (i, cost) in list(res, "costToBeneficiary").iter().enumerate() {
        let cp = idx(base, "costToBeneficiary", i);
        card_choice(r, cost, &cp, "value", true, &["Quantity", "Money"]);
        for (j, ex) in list(cost, "exception").iter().enumerate() {
            card_one(r, ex, &idx(&cp, "exception", j), "type", true);
        }
    }
}

pub fn organization(r: &mut Report, res: &Value, base: &str, contained: bool) {
    card_list(r, res, base, "identifier", 0, None);
    identifiers(r, res, base, false);
    npi_slice(r, res, base);
    let clia = count_identifier_slice(res, None, Some(c::CLIA_SYSTEM));
    card_count(
        r,
        &child(base, "identifier"),
        clia,
        0,
        Some(1),
        "slice identifier:CLIA",
    );
    card_one(r, res, base, "active", true);
    prim(r, res, base, "active", Prim::Bool);
    card_one(r, res, base, "name", true);
    prim(r, res, base, "name", Prim::Str);
    prim(r, res, base, "alias", Prim::Str);
    if res.get("identifier").is_none() && res.get("name").is_none() {
        r.err(
            base,
            "org-1",
            "an organization needs an identifier or a name",
        );
    }
    card_list(r, res, base, "telecom", 0, None);
    telecoms(r, res, base, "telecom", false);
    card_list(r, res, base, "address", 0, None);
    addresses(r, res, base, "address", Some(4));
    for (key, rule) in [("telecom", "org-3"), ("address", "org-2")] {
        for (i, v) in list(res, key).iter().enumerate() {
            if get_str(v, "use") == Some("home") {
                r.err(
                    &idx(base, key, i),
                    rule,
                    format!("an organization's {key} must not have use 'home'"),
                );
            }
        }
    }
    reference_at(r, res, base, "partOf", &["Organization"]);
    let has_last_updated = res.get("meta").and_then(|m| m.get("lastUpdated")).is_some();
    if !contained && !has_last_updated {
        r.err(
            &child(base, "meta"),
            "uncontained-requires-lastUpdated",
            "meta.lastUpdated is required unless the Organization is contained",
        );
    }
}

pub fn practitioner(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "identifier", 1, None);
    identifiers(r, res, base, false);
    npi_slice(r, res, base);
    let npi_or_tax = list(res, "identifier").iter().any(|id| {
        id.get("type")
            .is_some_and(|t| has_code_any_system(t, &["NPI", "TAX"]))
    });
    if !npi_or_tax {
        r.err(
            &child(base, "identifier"),
            "Practitioner-identifier",
            "Practitioner.identifier must include an NPI or a Tax ID (identifier.type NPI or TAX)",
        );
    }
    prim(r, res, base, "active", Prim::Bool);
    card_list(r, res, base, "name", 1, None);
    names(r, res, base, "name");
    for (i, n) in list(res, "name").iter().enumerate() {
        card_one(r, n, &idx(base, "name", i), "family", true);
    }
    telecoms(r, res, base, "telecom", false);
    addresses(r, res, base, "address", None);
    code_in(r, res, base, "gender", c::GENDER);
    prim(r, res, base, "birthDate", Prim::Date);
    for (i, q) in list(res, "qualification").iter().enumerate() {
        let qp = idx(base, "qualification", i);
        card_one(r, q, &qp, "code", true);
        reference_at(r, q, &qp, "issuer", &["Organization"]);
    }
    communication_codes(r, res, base);
}

/// Practitioner.communication is a list of CodeableConcepts (no `language` child).
fn communication_codes(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "communication", 0, None);
}

pub fn related_person(r: &mut Report, res: &Value, base: &str) {
    identifiers(r, res, base, false);
    card_one(r, res, base, "active", true);
    prim(r, res, base, "active", Prim::Bool);
    card_one(r, res, base, "patient", true);
    reference_at(r, res, base, "patient", &["Patient"]);
    card_list(r, res, base, "relationship", 0, None);
    card_list(r, res, base, "name", 0, None);
    names(r, res, base, "name");
    telecoms(r, res, base, "telecom", false);
    addresses(r, res, base, "address", None);
    code_in(r, res, base, "gender", c::GENDER);
    prim(r, res, base, "birthDate", Prim::Date);
    period_at(r, res, base, "period");
    communication(r, res, base);
    if res.get("name").is_none() && res.get("relationship").is_none() {
        r.err(
            base,
            "relatedperson-name-or-relationship",
            "either a name or a relationship shall be provided",
        );
    }
}
