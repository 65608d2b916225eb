//! The error-level invariants of the five concrete C4BB 2.0.0 EOB profiles, evaluated from the
//! resource alone. `resolve()` is approximated by the type in a relative reference `Type/id` (or
//! the `resourceType` of a contained resource for `#id`); unresolvable references are skipped.
//!
//! The careTeam invariants are enforced as their text states ("Careteam roles refer to a
//! practitioner"). Their 2.0.0 FHIRPath, `role.where(..).exists().provider.all(resolve() is X)`,
//! takes `.provider` of a Boolean and is therefore always true, so the HL7 validator never
//! reports them; two IG examples violate the stated rule (see `tests_examples.rs`).

use serde_json::Value;

use super::adjudication::is_amount_type;
use super::codes as c;
use super::datatypes::{has_code_any_system, has_coding, has_system, in_vs, ref_type};
use super::json::{child, get_str, idx, list, Report};
use super::{Profile, Severity};

pub fn eob(r: &mut Report, res: &Value, base: &str, p: Profile) {
    insurance_focal(r, res, base);
    payee_other_requires_party(r, res, base);
    match p {
        Profile::EobInpatient | Profile::EobOutpatient => {
            item_or_header_adjudication(r, res, base);
            item_adjudication_has_amount_type(r, res, base);
            point_of_origin(r, res, base);
            let practitioner_roles = ["attending", "primary", "referring", "supervising"];
            care_team_target(
                r,
                res,
                base,
                "EOB-inst-careTeam-practitioner",
                &practitioner_roles,
                "Practitioner",
                Severity::Error,
            );
            care_team_target(
                r,
                res,
                base,
                "EOB-inst-careTeam-organization",
                &["rendering"],
                "Organization",
                Severity::Error,
            );
            if p == Profile::EobOutpatient {
                care_team_qualification(r, res, base);
            }
        }
        Profile::EobProfessional | Profile::EobOral => {
            let roles = ["rendering", "primary", "referring", "supervising"];
            care_team_target(
                r,
                res,
                base,
                "EOB-prof-careTeam-practitioner",
                &roles,
                "Practitioner",
                Severity::Error,
            );
            if p == Profile::EobProfessional {
                transportation_linked(r, res, base);
                vision_product_or_service(r, res, base);
            } else {
                oral_body_site_invariants(r, res, base);
            }
        }
        _ => {
            // C4BB 2.0.0 bug: EOB-pharm-careTeam-practitioner ("Careteam roles refer to a
            // practitioner") tests `resolve() is Organization` for primary|prescribing. 2.2.0 fixed
            // it to Practitioner. Prescribers are practitioners, so we report the 2.0.0 rule only as
            // a Warning rather than rejecting correct data.
            care_team_target(
                r,
                res,
                base,
                "EOB-pharm-careTeam-practitioner",
                &["primary", "prescribing"],
                "Organization",
                Severity::Warning,
            );
            care_team_target(
                r,
                res,
                base,
                "EOB-pharm-careTeam-organization",
                &["rendering"],
                "Organization",
                Severity::Error,
            );
        }
    }
}

/// `EOB-insurance-focal`: at most one insurance with focal = true.
fn insurance_focal(r: &mut Report, res: &Value, base: &str) {
    let focal = list(res, "insurance")
        .iter()
        .filter(|i| i.get("focal") == Some(&Value::Bool(true)))
        .count();
    if focal >= 2 {
        r.err(
            &child(base, "insurance"),
            "EOB-insurance-focal",
            format!("{focal} insurance entries have focal = true; at most one may"),
        );
    }
}

/// `EOB-payee-other-type-requires-party`.
fn payee_other_requires_party(r: &mut Report, res: &Value, base: &str) {
    let Some(payee) = res.get("payee") else {
        return;
    };
    let other = payee
        .get("type")
        .is_some_and(|t| has_coding(t, c::PAYEETYPE, "other"));
    if other && payee.get("party").is_none() {
        r.err(
            &child(base, "payee"),
            "EOB-payee-other-type-requires-party",
            "payee.type is 'other' but payee.party is missing",
        );
    }
}

/// `EOB-institutional-item-or-header-adjudication`: amount-type adjudication at item XOR header level.
fn item_or_header_adjudication(r: &mut Report, res: &Value, base: &str) {
    let header = list(res, "adjudication").iter().any(is_amount_type);
    let item = list(res, "item")
        .iter()
        .any(|it| list(it, "adjudication").iter().any(is_amount_type));
    if header == item {
        let msg = if header {
            "adjudication amounts (adjudicationamounttype) are given at both header and item level"
        } else {
            "adjudication amounts (adjudicationamounttype) must be given at header or item level"
        };
        r.err(base, "EOB-institutional-item-or-header-adjudication", msg);
    }
}

/// `adjudication-has-amount-type-slice` (institutional items).
fn item_adjudication_has_amount_type(r: &mut Report, res: &Value, base: &str) {
    for (i, it) in list(res, "item").iter().enumerate() {
        let adjs = list(it, "adjudication");
        if !adjs.is_empty() && !adjs.iter().any(is_amount_type) {
            r.err(
                &idx(base, "item", i),
                "adjudication-has-amount-type-slice",
                "item.adjudication is present but has no adjudicationamounttype entry",
            );
        }
    }
}

/// `EOB-inst-pointoforigin`: newborn admission type (4) ⇔ point of origin from the newborn system.
fn point_of_origin(r: &mut Report, res: &Value, base: &str) {
    let infos = list(res, "supportingInfo");
    let any_code = |f: &dyn Fn(&str, Option<&str>) -> bool| {
        infos.iter().any(|s| {
            s.get("code")
                .is_some_and(|cc| super::datatypes::codings(cc).any(|(sys, code)| f(sys, code)))
        })
    };
    let newborn_admission = any_code(&|s, code| s == c::NUBC_ADMTYPE && code == Some("4"));
    let other_admission =
        any_code(&|s, code| s == c::NUBC_ADMTYPE && code.is_some_and(|x| x != "4"));
    let origin_nonnewborn =
        any_code(&|s, _| s == c::NUBC_POO || s == c::NUBC_POO_NONNEWBORN_LITERAL);
    let origin_newborn = any_code(&|s, _| s == c::NUBC_POO_NEWBORN);
    if newborn_admission && origin_nonnewborn {
        r.err(&child(base, "supportingInfo"), "EOB-inst-pointoforigin", "admission type is newborn (4) but point of origin is not from the PointOfOriginNewborn code system");
    }
    if other_admission && origin_newborn {
        r.err(&child(base, "supportingInfo"), "EOB-inst-pointoforigin", "point of origin is from the PointOfOriginNewborn code system but the admission type is not newborn (4)");
    }
}

/// Resource type behind a Reference: relative `Type/id`, or a contained resource `#id`.
fn resolve_type<'a>(res: &'a Value, reference: &'a Value) -> Option<&'a str> {
    if let Some(t) = ref_type(reference) {
        return Some(t);
    }
    let local = get_str(reference, "reference")?.strip_prefix('#')?;
    list(res, "contained")
        .iter()
        .find(|c| get_str(c, "id") == Some(local))
        .and_then(|c| get_str(c, "resourceType"))
}

/// careTeam entries whose role has one of `roles` must have a provider of type `target`.
fn care_team_target(
    r: &mut Report,
    res: &Value,
    base: &str,
    rule: &'static str,
    roles: &[&str],
    target: &str,
    severity: Severity,
) {
    for (i, ct) in list(res, "careTeam").iter().enumerate() {
        let has_role = ct
            .get("role")
            .is_some_and(|role| has_code_any_system(role, roles));
        if !has_role {
            continue;
        }
        let Some(found) = ct.get("provider").and_then(|p| resolve_type(res, p)) else {
            continue;
        };
        if found != target {
            let msg = format!(
                "careTeam with role {} must reference a {target}, not a {found}",
                roles.join("|")
            );
            r.push(
                severity,
                &child(&idx(base, "careTeam", i), "provider"),
                rule,
                msg,
            );
        }
    }
}

/// `EOB-careteam-qualification`: a rendering care team member's qualification is a NUCC taxonomy code.
fn care_team_qualification(r: &mut Report, res: &Value, base: &str) {
    for (i, ct) in list(res, "careTeam").iter().enumerate() {
        let rendering = ct
            .get("role")
            .is_some_and(|role| has_code_any_system(role, &["rendering"]));
        let nucc = ct
            .get("qualification")
            .is_some_and(|q| in_vs(q, &c::NUCC_VS));
        if rendering && !nucc {
            r.err(
                &idx(base, "careTeam", i),
                "EOB-careteam-qualification",
                "rendering care team member needs a qualification from the NUCC provider taxonomy",
            );
        }
    }
}

/// Union of every item.informationSequence.
fn information_sequences(res: &Value) -> Vec<u64> {
    list(res, "item")
        .iter()
        .flat_map(|it| {
            list(it, "informationSequence")
                .iter()
                .filter_map(Value::as_u64)
        })
        .collect()
}

/// `EOB-prof-all-transportation-supportinginfo-linked-to-line`.
fn transportation_linked(r: &mut Report, res: &Value, base: &str) {
    let linked = information_sequences(res);
    for (i, s) in list(res, "supportingInfo").iter().enumerate() {
        let transport = s
            .get("category")
            .is_some_and(|cc| in_vs(cc, &c::TRANSPORTATION_VS));
        let seq = s.get("sequence").and_then(Value::as_u64);
        if transport && !seq.is_some_and(|q| linked.contains(&q)) {
            r.err(
                &idx(base, "supportingInfo", i),
                "EOB-prof-all-transportation-supportinginfo-linked-to-line",
                "transportation supportingInfo must be referenced by an item.informationSequence",
            );
        }
    }
}

/// `EOB-vision-item-productorservice`: data-absent-reason#not-applicable only on vision claims.
fn vision_product_or_service(r: &mut Report, res: &Value, base: &str) {
    let vision = res
        .get("type")
        .is_some_and(|t| has_coding(t, c::CLAIM_TYPE, "vision"));
    if vision {
        return;
    }
    for (i, it) in list(res, "item").iter().enumerate() {
        let na = it
            .get("productOrService")
            .is_some_and(|ps| has_coding(ps, c::DAR, "not-applicable"));
        if na {
            r.err(&child(&idx(base, "item", i), "productOrService"), "EOB-vision-item-productorservice", "productOrService may be data-absent-reason#not-applicable only when type is vision");
        }
    }
}

/// The three Oral body-site invariants.
fn oral_body_site_invariants(r: &mut Report, res: &Value, base: &str) {
    let infos = list(res, "supportingInfo");
    let is_abs = |s: &Value| {
        s.get("category")
            .is_some_and(|cc| has_code_any_system(cc, &["additionalbodysite"]))
    };
    let seq = |s: &Value| s.get("sequence").and_then(Value::as_u64);
    let abs_seqs: Vec<u64> = infos.iter().filter(|s| is_abs(s)).filter_map(seq).collect();
    let tooth_seqs: Vec<u64> = infos
        .iter()
        .filter(|s| is_abs(s) && s.get("code").is_some_and(|cc| has_system(cc, c::ADA_TOOTH)))
        .filter_map(seq)
        .collect();
    let linked = information_sequences(res);
    for (i, s) in infos.iter().enumerate() {
        if is_abs(s) && !seq(s).is_some_and(|q| linked.contains(&q)) {
            r.err(&idx(base, "supportingInfo", i), "Oral-EOB-supportinginfo-additionalbodysite-requires-line-item", "additionalbodysite supportingInfo must be referenced by an item.informationSequence");
        }
    }
    for (i, it) in list(res, "item").iter().enumerate() {
        let ip = idx(base, "item", i);
        let info: Vec<u64> = list(it, "informationSequence")
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        let links_abs = info.iter().any(|q| abs_seqs.contains(q));
        if links_abs && it.get("bodySite").is_none() {
            r.err(
                &ip,
                "Oral-line-item-with-linked-additionalbody-site-requires-bodysite",
                "item references an additionalbodysite supportingInfo but has no bodySite",
            );
        }
        let tooth_in_body = it
            .get("bodySite")
            .is_some_and(|b| has_system(b, c::ADA_TOOTH));
        let tooth_linked = info.iter().any(|q| tooth_seqs.contains(q));
        if it.get("subSite").is_some() && !tooth_in_body && !tooth_linked {
            r.err(&ip, "Oral-EOB-surface-subsite-requires-tooth-number", "item.subSite (tooth surface) needs a tooth number in bodySite or a linked additionalbodysite supportingInfo");
        }
    }
}
