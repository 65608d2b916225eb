//! ExplanationOfBenefit: R4 core basics, the base C4BB-ExplanationOfBenefit constraints and the
//! header-level differences of the five concrete profiles.

use serde_json::Value;

use super::codes as c;
use super::datatypes::{
    binding_at, has_coding, identifiers, money_at, pattern_cc, period, period_at, reference_at,
    Strength,
};
use super::json::{card_count, card_list, card_one, child, code_in, idx, list, prim, Prim, Report};
use super::{adjudication, eob_items, invariants, slices, Profile};

/// Every check for an EOB claiming profile `p` (`p.is_eob()`).
pub fn check(r: &mut Report, res: &Value, base: &str, p: Profile) {
    identifier(r, res, base);
    codes_and_type(r, res, base, p);
    parties(r, res, base, p);
    related_and_payee(r, res, base);
    insurance(r, res, base);
    eob_items::care_team(r, res, base, p);
    slices::supporting_info(r, res, base, p);
    eob_items::diagnosis(r, res, base, p);
    eob_items::procedure(r, res, base, p);
    eob_items::items(r, res, base, p);
    eob_items::add_items(r, res, base);
    let (_, header_table) = adjudication::adjudication_tables(p);
    adjudication::adjudications(r, res, base, header_table);
    adjudication::totals(r, res, base, p);
    payment_notes_balance(r, res, base);
    invariants::eob(r, res, base, p);
}

/// identifier 1..*, slice uniqueclaimid 1..1 (type = C4BBIdentifierType#uc, value 1..1).
fn identifier(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "identifier", 1, None);
    identifiers(r, res, base, false);
    let ids = list(res, "identifier");
    let mut n = 0;
    for (i, id) in ids.iter().enumerate() {
        if id
            .get("type")
            .is_some_and(|t| has_coding(t, c::C4BB_ID_TYPE, "uc"))
        {
            n += 1;
            card_one(r, id, &idx(base, "identifier", i), "value", true);
        }
    }
    card_count(
        r,
        &child(base, "identifier"),
        n,
        1,
        Some(1),
        "slice identifier:uniqueclaimid",
    );
}

/// status, type (+ subType), use, outcome, priority.
fn codes_and_type(r: &mut Report, res: &Value, base: &str, p: Profile) {
    card_one(r, res, base, "status", true);
    code_in(r, res, base, "status", c::EOB_STATUS);
    card_one(r, res, base, "outcome", true);
    code_in(r, res, base, "outcome", c::OUTCOME);

    card_one(r, res, base, "use", true);
    code_in(r, res, base, "use", c::CLAIM_USE);
    if let Some(u) = res.get("use") {
        if u.as_str() != Some("claim") {
            r.err(
                &child(base, "use"),
                "pattern",
                format!("use must be 'claim' (found {u})"),
            );
        }
    }

    card_one(r, res, base, "type", true);
    let type_vs = if p == Profile::EobProfessional {
        &c::PROF_CLAIM_TYPE_VS
    } else {
        &c::CLAIM_TYPE_VS
    };
    binding_at(r, res, base, "type", type_vs, Strength::Required);
    let fixed_type = match p {
        Profile::EobInpatient | Profile::EobOutpatient => Some("institutional"),
        Profile::EobOral => Some("oral"),
        Profile::EobPharmacy => Some("pharmacy"),
        _ => None,
    };
    if let (Some(code), Some(t)) = (fixed_type, res.get("type")) {
        pattern_cc(r, Some(t), &child(base, "type"), c::CLAIM_TYPE, code);
    }

    let subtype = match p {
        Profile::EobInpatient => Some("inpatient"),
        Profile::EobOutpatient => Some("outpatient"),
        _ => None,
    };
    if let Some(code) = subtype {
        card_one(r, res, base, "subType", true);
        binding_at(
            r,
            res,
            base,
            "subType",
            &c::INST_SUBTYPE_VS,
            Strength::Required,
        );
        if let Some(st) = res.get("subType") {
            pattern_cc(r, Some(st), &child(base, "subType"), c::INST_SUBTYPE, code);
        }
    } else {
        card_one(r, res, base, "subType", false);
    }
    binding_at(
        r,
        res,
        base,
        "priority",
        &c::PROCESS_PRIORITY_VS,
        Strength::Required,
    );
    prim(r, res, base, "precedence", Prim::PositiveInt);
}

/// patient, billablePeriod, created, insurer, provider.
fn parties(r: &mut Report, res: &Value, base: &str, p: Profile) {
    card_one(r, res, base, "patient", true);
    reference_at(r, res, base, "patient", &["Patient"]);

    card_one(r, res, base, "billablePeriod", true);
    if let Some(bp) = res.get("billablePeriod") {
        let bpp = child(base, "billablePeriod");
        card_one(r, bp, &bpp, "start", true);
        period(r, bp, &bpp);
    }

    card_one(r, res, base, "created", true);
    prim(r, res, base, "created", Prim::DateTime);

    card_one(r, res, base, "insurer", true);
    reference_at(r, res, base, "insurer", &["Organization"]);

    card_one(r, res, base, "provider", true);
    let providers: &[&str] = match p {
        Profile::EobInpatient | Profile::EobOutpatient => &["Organization"],
        Profile::EobOral => &["Practitioner"],
        _ => &["Organization", "Practitioner"],
    };
    reference_at(r, res, base, "provider", providers);
    reference_at(
        r,
        res,
        base,
        "enterer",
        &["Practitioner", "PractitionerRole"],
    );
    reference_at(r, res, base, "facility", &["Location"]);
    reference_at(r, res, base, "referral", &["ServiceRequest"]);
    reference_at(r, res, base, "claim", &["Claim"]);
    reference_at(r, res, base, "claimResponse", &["ClaimResponse"]);
}

/// related (relationship/reference 1..1) and payee (type 1..1, party targets).
fn related_and_payee(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "related", 0, None);
    for (i, rel) in list(res, "related").iter().enumerate() {
        let rp = idx(base, "related", i);
        card_one(r, rel, &rp, "relationship", true);
        binding_at(
            r,
            rel,
            &rp,
            "relationship",
            &c::RELATED_CLAIM_VS,
            Strength::Required,
        );
        card_one(r, rel, &rp, "reference", true);
        reference_at(r, rel, &rp, "claim", &["Claim"]);
    }
    card_one(r, res, base, "payee", false);
    if let Some(payee) = res.get("payee") {
        let pp = child(base, "payee");
        card_one(r, payee, &pp, "type", true);
        binding_at(r, payee, &pp, "type", &c::PAYEE_TYPE_VS, Strength::Required);
        card_one(r, payee, &pp, "party", false);
        reference_at(
            r,
            payee,
            &pp,
            "party",
            &["Organization", "Patient", "Practitioner", "RelatedPerson"],
        );
    }
}

/// insurance 1..* with focal 1..1 and coverage 1..1 → Coverage.
fn insurance(r: &mut Report, res: &Value, base: &str) {
    card_list(r, res, base, "insurance", 1, None);
    for (i, ins) in list(res, "insurance").iter().enumerate() {
        let ip = idx(base, "insurance", i);
        card_one(r, ins, &ip, "focal", true);
        prim(r, ins, &ip, "focal", Prim::Bool);
        card_one(r, ins, &ip, "coverage", true);
        reference_at(r, ins, &ip, "coverage", &["Coverage"]);
        prim(r, ins, &ip, "preAuthRef", Prim::Str);
    }
    if let Some(acc) = res.get("accident") {
        prim(r, acc, &child(base, "accident"), "date", Prim::Date);
    }
}

/// payment, processNote, benefitBalance, benefitPeriod.
fn payment_notes_balance(r: &mut Report, res: &Value, base: &str) {
    card_one(r, res, base, "payment", false);
    if let Some(pay) = res.get("payment") {
        let pp = child(base, "payment");
        binding_at(
            r,
            pay,
            &pp,
            "type",
            &c::PAYMENT_STATUS_VS,
            Strength::Required,
        );
        prim(r, pay, &pp, "date", Prim::Date);
        money_at(r, pay, &pp, "adjustment");
        money_at(r, pay, &pp, "amount");
    }
    for (i, n) in list(res, "processNote").iter().enumerate() {
        let np = idx(base, "processNote", i);
        prim(r, n, &np, "number", Prim::PositiveInt);
        code_in(r, n, &np, "type", c::NOTE_TYPE);
        prim(r, n, &np, "text", Prim::Str);
    }
    for (i, b) in list(res, "benefitBalance").iter().enumerate() {
        let bp = idx(base, "benefitBalance", i);
        card_one(r, b, &bp, "category", true);
        for (j, f) in list(b, "financial").iter().enumerate() {
            card_one(r, f, &idx(&bp, "financial", j), "type", true);
        }
    }
    period_at(r, res, base, "benefitPeriod");
}
