//! Members → C4BB Patient, coverages → C4BB Coverage.

use super::json::{absent_extension, coding_display, concept, concept_display, reference, Node};
use super::party::{address, split_name, us_state};
use super::Mapped;
use crate::cpcds::columns::{CoverageCol as C, MemberCol as M};
use crate::cpcds::error::IngestError;
use crate::cpcds::row::{fhir_date, same_on_every_row, Row};
use crate::fhir::codes::{self, ns, profile};
use crate::fhir::id::id_for;
use crate::jv;

pub fn patient(row: &Row<'_>) -> Result<Mapped, IngestError> {
    let member = row.required(M::MemberId)?;
    let id = id_for(member);
    let birth = row.required_date(M::BirthDate)?;
    let gender = gender(row.required(M::Gender)?)
        .ok_or_else(|| row.error(M::Gender, "gender must be M, F, O or U"))?;
    let death = row.date(M::DeathDate)?;
    let deceased = row.boolean(M::Deceased)?;

    let mut identifiers = vec![jv!({
        "type": concept_display(codes::V2_0203, "MB", "Member Number"),
        "system": ns::MEMBER,
        "value": member,
    })];
    if let Some(u) = row.opt(M::UniqueMemberId) {
        identifiers.push(jv!({
            "type": concept_display(codes::C4BB_IDENTIFIER_TYPE, "um", "Unique Member ID"),
            "system": ns::UNIQUE_MEMBER,
            "value": u,
        }));
    }

    let mut extensions = Vec::new();
    if let Some(r) = row.opt(M::Race) {
        extensions.push(race(r));
    }
    if let Some(e) = row.opt(M::Ethnicity) {
        extensions.push(ethnicity(e));
    }
    if let Some(s) = row.opt(M::BirthSex) {
        let code = match s.to_ascii_uppercase().as_str() {
            "M" | "MALE" => "M",
            "F" | "FEMALE" => "F",
            _ => "UNK",
        };
        extensions.push(jv!({"url": codes::US_CORE_BIRTHSEX, "valueCode": code}));
    }

    let name = match row.opt(M::Name) {
        Some(n) => split_name(n),
        // US Core (us-core-8) allows a name that only says why it is missing.
        None => jv!({"extension": absent_extension("unknown")}),
    };
    let mut telecom = Vec::new();
    if let Some(p) = row.opt(M::Phone) {
        telecom.push(jv!({"system": "phone", "value": p, "use": "home"}));
    }
    if let Some(e) = row.opt(M::Email) {
        telecom.push(jv!({"system": "email", "value": e}));
    }
    let mut addr = address(
        "home",
        row.opt(M::Street),
        row.opt(M::City),
        row.opt(M::County),
        row.opt(M::State).map(us_state),
        row.opt(M::Zip),
        row.opt(M::Country),
    );
    if let (Some(a), Some(since)) = (addr.as_mut(), row.date(M::AddressSince)?) {
        a.push("period", jv!({"start": fhir_date(since)}));
    }

    let deceased_pair: (&'static str, Node<'_>) = match (death, deceased) {
        (Some(d), _) => ("deceasedDateTime", fhir_date(d).into()),
        (None, Some(b)) => ("deceasedBoolean", b.into()),
        (None, None) => ("deceasedBoolean", false.into()),
    };
    let value = Node::Obj(vec![
        ("resourceType", "Patient".into()),
        ("id", id.as_str().into()),
        ("extension", extensions.into()),
        ("identifier", identifiers.into()),
        ("active", true.into()),
        ("name", jv!([name])),
        ("telecom", telecom.into()),
        ("gender", gender.into()),
        ("birthDate", fhir_date(birth).into()),
        deceased_pair,
        ("address", addr.map(|a| jv!([a])).into()),
        (
            "communication",
            row.opt(M::Language)
                .map(|l| jv!([jv!({"language": concept(codes::BCP47, l)})]))
                .into(),
        ),
    ]);
    Ok(Mapped::new("Patient", &id, profile::PATIENT, &value))
}

/// A Patient for a member that a claims-only file set mentions but never describes.
pub fn placeholder_patient(member: &str) -> Mapped {
    let id = id_for(member);
    let value = jv!({
        "resourceType": "Patient",
        "id": id.as_str(),
        "identifier": jv!([jv!({
            "type": concept_display(codes::V2_0203, "MB", "Member Number"),
            "system": ns::MEMBER,
            "value": member,
        })]),
        "active": true,
        "name": jv!([jv!({"extension": absent_extension("unknown")})]),
        "gender": "unknown",
    });
    Mapped::new("Patient", &id, profile::PATIENT, &value)
}

fn gender(s: &str) -> Option<&'static str> {
    match s.to_ascii_lowercase().as_str() {
        "m" | "male" => Some("male"),
        "f" | "female" => Some("female"),
        "o" | "other" => Some("other"),
        "u" | "unknown" => Some("unknown"),
        _ => None,
    }
}

/// OMB race category for a CDC code or a Synthea race word; the US Core extension needs `text`.
fn race(s: &str) -> Node<'static> {
    let (code, display) = match s.to_ascii_lowercase().as_str() {
        "white" | "2106-3" => ("2106-3", "White"),
        "black" | "2054-5" => ("2054-5", "Black or African American"),
        "asian" | "2028-9" => ("2028-9", "Asian"),
        "native" | "1002-5" => ("1002-5", "American Indian or Alaska Native"),
        "hawaiian" | "2076-8" => ("2076-8", "Native Hawaiian or Other Pacific Islander"),
        _ => ("2131-1", "Other Race"),
    };
    // 2131-1 is not an OMB category; it belongs in `detailed`.
    let slot = if code == "2131-1" {
        "detailed"
    } else {
        "ombCategory"
    };
    jv!({
        "url": codes::US_CORE_RACE,
        "extension": jv!([
            jv!({"url": slot, "valueCoding": coding_display(codes::OMB_RACE_ETHNICITY, code, display)}),
            jv!({"url": "text", "valueString": display}),
        ])
    })
}

fn ethnicity(s: &str) -> Node<'static> {
    let (code, display) = match s.to_ascii_lowercase().as_str() {
        "hispanic" | "2135-2" => ("2135-2", "Hispanic or Latino"),
        _ => ("2186-5", "Not Hispanic or Latino"),
    };
    jv!({
        "url": codes::US_CORE_ETHNICITY,
        "extension": jv!([
            jv!({"url": "ombCategory", "valueCoding": coding_display(codes::OMB_RACE_ETHNICITY, code, display)}),
            jv!({"url": "text", "valueString": display}),
        ])
    })
}

/// What a claim needs to know about a coverage.
#[derive(Debug, Clone)]
pub struct CoverageFacts {
    pub id: String,
    pub member_id: String,
    pub payer_id: String,
}

/// The key of a coverage known only by its member and payer: a D1 coverage (Synthea v1 writes
/// no coverage id, and its claims name the payer) and a claims-only set's placeholder.
pub fn member_payer_key(member: &str, payer: &str) -> String {
    format!("{member}|{payer}")
}

/// The member a coverage row is for, and the column that names it. D1 has no member id
/// column: its subscriber is the member.
pub fn coverage_member<'a>(row: &Row<'a>) -> Result<(&'a str, C), IngestError> {
    let column = if row.layout.has(C::MemberId) {
        C::MemberId
    } else {
        C::SubscriberId
    };
    Ok((row.required(column)?, column))
}

/// Columns every row of one D1 coverage must agree on (D1 writes them once per person).
const SAME_FOR_EVERY_ROW: &[C] = &[
    C::Type,
    C::GroupId,
    C::GroupName,
    C::Dependent,
    C::Relationship,
];

/// One Coverage from `row` and, in D1, the `more` rows of the same (member, payer) pair.
/// Synthea v1 writes a coverage row per care plan, each for the one coverage the member holds
/// with that payer, and its claims name only the payer: the rows become one Coverage whose
/// period runs from the earliest start to the latest end (open when any row is open), with a
/// plan class only when every row names the same plan (D1's `Plan` is often a care plan).
pub fn coverage(row: &Row<'_>, more: &[Row<'_>]) -> Result<(Mapped, CoverageFacts), IngestError> {
    let (member, _) = coverage_member(row)?;
    let payer = row.required(C::PayerId)?;
    let source_key = match row.opt(C::CoverageId) {
        Some(c) => c.to_string(),
        None => member_payer_key(member, payer),
    };
    let what = format!("coverage {source_key:?}");
    same_on_every_row(row, more, SAME_FOR_EVERY_ROW, &what)?;
    let id = id_for(&source_key);
    let subscriber = row.opt(C::SubscriberId).unwrap_or(member);
    let status = coverage_status(row)?;
    let (mut start, mut end) = (row.date(C::Start)?, row.date(C::End)?);
    let mut open = end.is_none();
    for r in more {
        if coverage_status(r)? != status {
            return Err(r.error(
                C::Status,
                format!(
                    "contradicts {:?} on line {} of the same {what}",
                    row.text(C::Status),
                    row.line
                ),
            ));
        }
        if let Some(s) = r.date(C::Start)? {
            start = Some(start.map_or(s, |t| t.min(s)));
        }
        match r.date(C::End)? {
            Some(e) => end = Some(end.map_or(e, |t| t.max(e))),
            None => open = true,
        }
    }
    let period = jv!({
        "start": start.map(fhir_date),
        "end": end.filter(|_| !open).map(fhir_date),
    });
    let relationship = row
        .opt(C::Relationship)
        .unwrap_or("self")
        .to_ascii_lowercase();
    let mut classes = Vec::new();
    if let Some(group) = row.opt(C::GroupId).or(row.opt(C::GroupName)) {
        classes.push(jv!({
            "type": concept_display(codes::COVERAGE_CLASS, "group", "Group"),
            "value": group,
            "name": row.opt(C::GroupName),
        }));
    }
    let one_plan = more.iter().all(|r| {
        r.text(C::PlanId) == row.text(C::PlanId) && r.text(C::PlanName) == row.text(C::PlanName)
    });
    if let Some(plan) = row
        .opt(C::PlanId)
        .or(row.opt(C::PlanName))
        .filter(|_| one_plan)
    {
        classes.push(jv!({
            "type": concept_display(codes::COVERAGE_CLASS, "plan", "Plan"),
            "value": plan,
            "name": row.opt(C::PlanName),
        }));
    }
    let coverage_type = row.opt(C::Type).map_or(Node::Null, |t| {
        let upper = t.to_ascii_uppercase();
        match upper.as_str() {
            "HMO" | "PPO" | "POS" | "HIP" | "MCPOL" | "DENTAL" => {
                jv!({"coding": jv!([super::json::coding(codes::V3_ACT_CODE, upper)]), "text": t})
            }
            _ => jv!({"text": t}),
        }
    });
    let payer_id = id_for(payer);
    let member_id = id_for(member);
    let value = jv!({
        "resourceType": "Coverage",
        "id": id.as_str(),
        "identifier": jv!([
            jv!({"system": ns::COVERAGE, "value": source_key.as_str()}),
            jv!({"type": concept_display(codes::V2_0203, "MB", "Member Number"), "system": ns::MEMBER, "value": subscriber}),
        ]),
        "status": status,
        "type": coverage_type,
        // Only a self coverage's subscriber is known to be a member we hold a Patient for.
        "subscriber": (subscriber == member).then(|| reference("Patient", &id_for(subscriber))),
        "subscriberId": subscriber,
        "beneficiary": reference("Patient", &member_id),
        "dependent": row.opt(C::Dependent),
        "relationship": concept(codes::SUBSCRIBER_RELATIONSHIP, relationship),
        "period": period,
        "payor": jv!([reference("Organization", &payer_id)]),
        "class": classes,
    });
    let facts = CoverageFacts {
        id: id.clone(),
        member_id,
        payer_id,
    };
    Ok((
        Mapped::new("Coverage", &id, profile::COVERAGE, &value),
        facts,
    ))
}

fn coverage_status(row: &Row<'_>) -> Result<&'static str, IngestError> {
    Ok(match row.text(C::Status).to_ascii_lowercase().as_str() {
        // Synthea's `inactive` is not a FHIR status: the coverage existed, its period says it ended.
        "" | "active" | "inactive" => "active",
        "cancelled" => "cancelled",
        "draft" => "draft",
        "entered-in-error" => "entered-in-error",
        other => {
            return Err(row.error(C::Status, format!("{other:?} is not a coverage status")));
        }
    })
}

/// A Coverage for a claims-only file set, where a claim names a payer but no coverage row exists.
pub fn placeholder_coverage(member: &str, payer: &str) -> (Mapped, CoverageFacts) {
    let id = id_for(&member_payer_key(member, payer));
    let member_id = id_for(member);
    let payer_id = id_for(payer);
    let value = jv!({
        "resourceType": "Coverage",
        "id": id.as_str(),
        "status": "active",
        "subscriberId": member,
        "beneficiary": reference("Patient", &member_id),
        "relationship": concept(codes::SUBSCRIBER_RELATIONSHIP, "self"),
        "payor": jv!([reference("Organization", &payer_id)]),
    });
    let facts = CoverageFacts {
        id: id.clone(),
        member_id,
        payer_id,
    };
    (
        Mapped::new("Coverage", &id, profile::COVERAGE, &value),
        facts,
    )
}
