//! The claim's own facts: whom it is for and under which coverages, its dates, status,
//! identifiers, type, and the claims it replaces or is replaced by.

use time::Date;

use super::{ClaimContext, ClaimKind};
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{concept, concept_display, reference, Node};
use crate::cpcds::map::patient::CoverageFacts;
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes::{self, ns};
use crate::jv;

/// The member the claim is for and the coverages it was adjudicated under.
pub struct Subject {
    pub patient_id: String,
    /// The coverage the claim's payer column names.
    pub focal: CoverageFacts,
    /// The primary payer's coverage, when the claim's payer was not the first to pay.
    pub prior: Option<CoverageFacts>,
}

/// Resolves the member and the coverages. A coverage of another member is refused: the EOB
/// would otherwise show one beneficiary's claim under another's insurance.
pub fn subject(head: &Row<'_>, cx: &mut ClaimContext<'_, '_>) -> Result<Subject, IngestError> {
    let member = head.required(C::PatientAccount)?;
    let patient_id = cx
        .dir
        .patient(member, cx.snapshot)?
        .map_err(|reason| head.error(C::PatientAccount, reason))?;
    let payer_key = head.required(C::PayerId)?;
    let focal = cx
        .dir
        .coverage(payer_key, member, cx.snapshot)?
        .map_err(|reason| head.error(C::PayerId, reason))?;
    if focal.member_id != patient_id {
        return Err(head.error(
            C::PayerId,
            format!("coverage {payer_key:?} belongs to another member, not {member:?}"),
        ));
    }
    let prior = match head.opt(C::PrimaryPayer).filter(|p| *p != payer_key) {
        Some(p) => Some(
            cx.dir
                .coverage(p, member, cx.snapshot)?
                .map_err(|reason| head.error(C::PrimaryPayer, reason))?,
        ),
        None => None,
    };
    Ok(Subject {
        patient_id,
        focal,
        prior,
    })
}

impl Subject {
    /// `EOB.insurance`: the focal coverage, then the primary payer's.
    pub fn insurance<'a>(&self) -> Vec<Node<'a>> {
        let mut insurance =
            vec![jv!({"focal": true, "coverage": reference("Coverage", &self.focal.id)})];
        if let Some(p) = &self.prior {
            insurance.push(jv!({"focal": false, "coverage": reference("Coverage", &p.id)}));
        }
        insurance
    }
}

/// The claim's dates. Sources fill different columns, so each falls back to the next best.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimDates {
    /// `billablePeriod.start`: statement from, else service start, else the first row's line date.
    pub start: Date,
    pub end: Option<Date>,
    /// `created`: received, else paid, else the end of service, else its start.
    pub created: Date,
}

impl ClaimDates {
    pub fn of(head: &Row<'_>) -> Result<Self, IngestError> {
        let start = head
            .date(C::StatementFrom)?
            .or(head.date(C::ServiceStart)?)
            .or(head.date(C::LineFrom)?)
            .ok_or_else(|| head.error(C::ServiceStart, "the claim has no service start date"))?;
        let end = head
            .date(C::StatementThrough)?
            .or(head.date(C::ServiceEnd)?);
        let created = head
            .date(C::ReceivedDate)?
            .or(head.date(C::PaidDate)?)
            .or(end)
            .unwrap_or(start);
        Ok(Self {
            start,
            end,
            created,
        })
    }

    pub fn billable_period<'a>(&self) -> Node<'a> {
        jv!({"start": fhir_date(self.start), "end": self.end.map(fhir_date)})
    }
}

/// `EOB.status`; an empty cell means the claim is active.
pub fn status(head: &Row<'_>) -> Result<&'static str, IngestError> {
    match head.text(C::ProcessingStatus).to_ascii_lowercase().as_str() {
        "" | "active" => Ok("active"),
        "cancelled" => Ok("cancelled"),
        other => Err(head.error(
            C::ProcessingStatus,
            format!("{other:?} is not a claim status (active, cancelled)"),
        )),
    }
}

/// `EOB.identifier`: the unique claim id, and on a pharmacy claim each prescription (Rx service
/// reference number) once, in the order its lines name them.
pub fn identifiers<'a>(rows: &[Row<'a>], claim_key: &'a str, kind: ClaimKind) -> Vec<Node<'a>> {
    let mut identifiers = vec![jv!({
        "type": concept_display(codes::C4BB_IDENTIFIER_TYPE, "uc", "Unique Claim ID"),
        "system": ns::CLAIM,
        "value": claim_key,
    })];
    if kind == ClaimKind::Pharmacy {
        let mut seen: Vec<&str> = Vec::new();
        for rx in rows.iter().filter_map(|r| r.opt(C::RxRef)) {
            if !seen.contains(&rx) {
                seen.push(rx);
                identifiers.push(jv!({"system": ns::RX_REFERENCE, "value": rx}));
            }
        }
    }
    identifiers
}

/// `EOB.type` and `EOB.subType` (only institutional profiles have a subType).
pub fn type_and_sub_type(kind: ClaimKind) -> (Node<'static>, Node<'static>) {
    match kind {
        ClaimKind::Inpatient => (
            concept_display(codes::CLAIM_TYPE, "institutional", "Institutional"),
            concept_display(codes::C4BB_INSTITUTIONAL_SUBTYPE, "inpatient", "Inpatient"),
        ),
        ClaimKind::Outpatient => (
            concept_display(codes::CLAIM_TYPE, "institutional", "Institutional"),
            concept_display(
                codes::C4BB_INSTITUTIONAL_SUBTYPE,
                "outpatient",
                "Outpatient",
            ),
        ),
        ClaimKind::Professional { vision: false } => (
            concept_display(codes::CLAIM_TYPE, "professional", "Professional"),
            Node::Null,
        ),
        ClaimKind::Professional { vision: true } => (
            concept_display(codes::CLAIM_TYPE, "vision", "Vision"),
            Node::Null,
        ),
        ClaimKind::Oral => (
            concept_display(codes::CLAIM_TYPE, "oral", "Oral"),
            Node::Null,
        ),
        ClaimKind::Pharmacy => (
            concept_display(codes::CLAIM_TYPE, "pharmacy", "Pharmacy"),
            Node::Null,
        ),
    }
}

/// `EOB.related`: the claim this one adjusts (`prior`) and the one that replaced it
/// (`replacedby`), named by their unique claim ids; they may not be in the store.
pub fn related_claims<'a>(head: &Row<'a>) -> Vec<Node<'a>> {
    let mut related = Vec::new();
    for (column, system, code) in [
        (C::AdjustedFrom, codes::EX_RELATED_CLAIM, "prior"),
        (C::AdjustedTo, codes::C4BB_RELATED_CLAIM, "replacedby"),
    ] {
        if let Some(other) = head.opt(column) {
            related.push(jv!({
                "relationship": concept(system, code),
                "reference": jv!({
                    "type": concept(codes::C4BB_IDENTIFIER_TYPE, "uc"),
                    "system": ns::CLAIM,
                    "value": other,
                }),
            }));
        }
    }
    related
}
