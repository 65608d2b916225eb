//! ExplanationOfBenefit repeating components: careTeam, diagnosis, procedure, item (+ detail,
//! subDetail) and addItem, per profile.

use serde_json::Value;

use super::codes::{self as c, ValueSet};
use super::datatypes::{
    binding, binding_at, money_at, period, quantity_at, reference_at, Strength,
};
use super::json::{card_choice, card_list, card_one, child, idx, list, prim, Prim, Report};
use super::{adjudication, Profile};

/// careTeam: sequence/provider/role, role and qualification bindings.
pub fn care_team(r: &mut Report, res: &Value, base: &str, p: Profile) {
    card_list(r, res, base, "careTeam", 0, None);
    let role_vs: &ValueSet = match p {
        Profile::EobInpatient | Profile::EobOutpatient => &c::INST_CARE_ROLE_VS,
        Profile::EobPharmacy => &c::PHARM_CARE_ROLE_VS,
        _ => &c::PROF_CARE_ROLE_VS,
    };
    let qualification_bound = matches!(
        p,
        Profile::EobOutpatient | Profile::EobProfessional | Profile::EobOral
    );
    for (i, ct) in list(res, "careTeam").iter().enumerate() {
        let cp = idx(base, "careTeam", i);
        card_one(r, ct, &cp, "sequence", true);
        prim(r, ct, &cp, "sequence", Prim::PositiveInt);
        card_one(r, ct, &cp, "provider", true);
        reference_at(r, ct, &cp, "provider", &["Organization", "Practitioner"]);
        prim(r, ct, &cp, "responsible", Prim::Bool);
        card_one(r, ct, &cp, "role", true);
        binding_at(r, ct, &cp, "role", role_vs, Strength::Required);
        card_one(r, ct, &cp, "qualification", false);
        if qualification_bound {
            binding_at(r, ct, &cp, "qualification", &c::NUCC_VS, Strength::Required);
        }
    }
}

/// diagnosis: sequence, diagnosis[x], type and onAdmission per profile.
pub fn diagnosis(r: &mut Report, res: &Value, base: &str, p: Profile) {
    let min = match p {
        Profile::EobOral | Profile::EobPharmacy => 0,
        _ => 1,
    };
    card_list(r, res, base, "diagnosis", min, None);
    let type_vs: Option<&ValueSet> = match p {
        Profile::EobInpatient => Some(&c::INPATIENT_DX_TYPE_VS),
        Profile::EobOutpatient => Some(&c::OUTPATIENT_DX_TYPE_VS),
        Profile::EobProfessional | Profile::EobOral => Some(&c::PROF_DX_TYPE_VS),
        _ => None,
    };
    for (i, d) in list(res, "diagnosis").iter().enumerate() {
        let dp = idx(base, "diagnosis", i);
        card_one(r, d, &dp, "sequence", true);
        prim(r, d, &dp, "sequence", Prim::PositiveInt);
        let allowed: &[&str] = if type_vs.is_some() {
            &["CodeableConcept"]
        } else {
            &["CodeableConcept", "Reference"]
        };
        card_choice(r, d, &dp, "diagnosis", true, allowed);
        if let Some(ref_v) = d.get("diagnosisReference") {
            super::datatypes::reference(
                r,
                ref_v,
                &child(&dp, "diagnosisReference"),
                &["Condition"],
            );
        }
        match type_vs {
            Some(vs) => {
                binding_at(
                    r,
                    d,
                    &dp,
                    "diagnosisCodeableConcept",
                    &c::ICD_DX_VS,
                    Strength::Required,
                );
                card_list(r, d, &dp, "type", 1, Some(1));
                binding_at(r, d, &dp, "type", vs, Strength::Required);
            }
            None => card_list(r, d, &dp, "type", 0, None),
        }
        card_one(r, d, &dp, "onAdmission", false);
        if p == Profile::EobInpatient {
            binding_at(r, d, &dp, "onAdmission", &c::POA_VS, Strength::Required);
        }
    }
}

/// procedure: sequence, procedure[x]; inpatient adds type 1..1 and ICD-PCS codes.
pub fn procedure(r: &mut Report, res: &Value, base: &str, p: Profile) {
    card_list(r, res, base, "procedure", 0, None);
    let inpatient = p == Profile::EobInpatient;
    for (i, pr) in list(res, "procedure").iter().enumerate() {
        let pp = idx(base, "procedure", i);
        card_one(r, pr, &pp, "sequence", true);
        prim(r, pr, &pp, "sequence", Prim::PositiveInt);
        prim(r, pr, &pp, "date", Prim::DateTime);
        let allowed: &[&str] = if inpatient {
            &["CodeableConcept"]
        } else {
            &["CodeableConcept", "Reference"]
        };
        card_choice(r, pr, &pp, "procedure", true, allowed);
        if let Some(ref_v) = pr.get("procedureReference") {
            super::datatypes::reference(
                r,
                ref_v,
                &child(&pp, "procedureReference"),
                &["Procedure"],
            );
        }
        if inpatient {
            card_list(r, pr, &pp, "type", 1, Some(1));
            binding_at(
                r,
                pr,
                &pp,
                "type",
                &c::PROCEDURE_TYPE_VS,
                Strength::Required,
            );
            binding_at(
                r,
                pr,
                &pp,
                "procedureCodeableConcept",
                &c::ICD_PCS_VS,
                Strength::Required,
            );
        }
    }
}

fn product_vs(p: Profile) -> &'static ValueSet {
    match p {
        Profile::EobInpatient | Profile::EobOutpatient => &c::INST_PROC_VS,
        Profile::EobProfessional => &c::PROF_PROC_VS,
        Profile::EobOral => &c::CDT_VS,
        _ => &c::NDC_OR_COMPOUND_VS,
    }
}

/// item 1..* and everything below it.
pub fn items(r: &mut Report, res: &Value, base: &str, p: Profile) {
    card_list(r, res, base, "item", 1, None);
    let (item_table, _) = adjudication::adjudication_tables(p);
    for (i, it) in list(res, "item").iter().enumerate() {
        let ip = idx(base, "item", i);
        card_one(r, it, &ip, "sequence", true);
        prim(r, it, &ip, "sequence", Prim::PositiveInt);
        for k in [
            "careTeamSequence",
            "diagnosisSequence",
            "procedureSequence",
            "informationSequence",
            "noteNumber",
        ] {
            card_list(r, it, &ip, k, 0, None);
            prim(r, it, &ip, k, Prim::PositiveInt);
        }
        card_one(r, it, &ip, "productOrService", true);
        if let Some(ps) = it.get("productOrService") {
            binding(
                r,
                ps,
                &child(&ip, "productOrService"),
                product_vs(p),
                Strength::Required,
            );
        }
        card_one(r, it, &ip, "revenue", p == Profile::EobInpatient);
        if p.is_institutional() {
            binding_at(r, it, &ip, "revenue", &c::REVENUE_VS, Strength::Required);
        }
        card_list(r, it, &ip, "modifier", 0, None);
        if p != Profile::EobPharmacy {
            binding_at(r, it, &ip, "modifier", &c::MODIFIER_VS, Strength::Required);
        }
        serviced_and_location(r, it, &ip, p);
        quantity_at(r, it, &ip, "quantity");
        money_at(r, it, &ip, "unitPrice");
        money_at(r, it, &ip, "net");
        prim(r, it, &ip, "factor", Prim::Decimal);
        card_one(r, it, &ip, "bodySite", false);
        card_list(r, it, &ip, "subSite", 0, None);
        if p == Profile::EobOral {
            binding_at(
                r,
                it,
                &ip,
                "bodySite",
                &c::ORAL_BODY_SITE_VS,
                Strength::Required,
            );
            binding_at(r, it, &ip, "subSite", &c::SURFACE_VS, Strength::Required);
        }
        reference_at(r, it, &ip, "encounter", &["Encounter"]);
        adjudication::adjudications(r, it, &ip, item_table);
        details(r, it, &ip, p);
    }
}

fn serviced_and_location(r: &mut Report, it: &Value, ip: &str, p: Profile) {
    let (required, types): (bool, &[&str]) = match p {
        Profile::EobOutpatient | Profile::EobPharmacy => (true, &["Date"]),
        Profile::EobProfessional | Profile::EobOral => (true, &["Date", "Period"]),
        _ => (false, &["Date", "Period"]),
    };
    card_choice(r, it, ip, "serviced", required, types);
    prim(r, it, ip, "servicedDate", Prim::Date);
    if let Some(sp) = it.get("servicedPeriod") {
        period(r, sp, &child(ip, "servicedPeriod"));
    }
    let prof_or_oral = matches!(p, Profile::EobProfessional | Profile::EobOral);
    if prof_or_oral {
        card_choice(r, it, ip, "location", true, &["CodeableConcept"]);
        binding_at(
            r,
            it,
            ip,
            "locationCodeableConcept",
            &c::POS_VS,
            Strength::Required,
        );
    } else {
        card_choice(
            r,
            it,
            ip,
            "location",
            false,
            &["CodeableConcept", "Address", "Reference"],
        );
    }
    reference_at(r, it, ip, "locationReference", &["Location"]);
}

/// item.detail and item.detail.subDetail.
fn details(r: &mut Report, it: &Value, ip: &str, p: Profile) {
    card_list(r, it, ip, "detail", 0, None);
    for (j, d) in list(it, "detail").iter().enumerate() {
        let dp = idx(ip, "detail", j);
        card_one(r, d, &dp, "sequence", true);
        prim(r, d, &dp, "sequence", Prim::PositiveInt);
        card_one(r, d, &dp, "productOrService", true);
        if p == Profile::EobPharmacy {
            binding_at(
                r,
                d,
                &dp,
                "productOrService",
                &c::NDC_VS,
                Strength::Required,
            );
        }
        quantity_at(r, d, &dp, "quantity");
        money_at(r, d, &dp, "net");
        sub_adjudications(r, d, &dp);
        for (k, s) in list(d, "subDetail").iter().enumerate() {
            let sp = idx(&dp, "subDetail", k);
            card_one(r, s, &sp, "sequence", true);
            prim(r, s, &sp, "sequence", Prim::PositiveInt);
            card_one(r, s, &sp, "productOrService", true);
            quantity_at(r, s, &sp, "quantity");
            money_at(r, s, &sp, "net");
            sub_adjudications(r, s, &sp);
        }
    }
}

/// Adjudications below item level: only the element rules (no slicing is defined there).
fn sub_adjudications(r: &mut Report, container: &Value, cp: &str) {
    for (i, a) in list(container, "adjudication").iter().enumerate() {
        adjudication::adjudication_element(r, a, &idx(cp, "adjudication", i));
    }
}

/// addItem: productOrService 1..1 at every level.
pub fn add_items(r: &mut Report, res: &Value, base: &str) {
    for (i, a) in list(res, "addItem").iter().enumerate() {
        let ap = idx(base, "addItem", i);
        card_one(r, a, &ap, "productOrService", true);
        sub_adjudications(r, a, &ap);
        for (j, d) in list(a, "detail").iter().enumerate() {
            let dp = idx(&ap, "detail", j);
            card_one(r, d, &dp, "productOrService", true);
            sub_adjudications(r, d, &dp);
            for (k, s) in list(d, "subDetail").iter().enumerate() {
                let sp = idx(&dp, "subDetail", k);
                card_one(r, s, &sp, "productOrService", true);
                sub_adjudications(r, s, &sp);
            }
        }
    }
}
