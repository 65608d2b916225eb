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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::cpcds::map::eob::sheet::{json_all, Sheet};

    fn date(s: &str) -> Date {
        crate::cpcds::row::parse_iso_date(s).unwrap()
    }

    #[test]
    fn claim_dates_fall_back_to_the_next_best_column() {
        let full = Sheet::one(&[
            (C::StatementFrom, "2022-01-02"),
            (C::ServiceStart, "2022-01-01"),
            (C::StatementThrough, "2022-01-05"),
            (C::ReceivedDate, "2022-01-10"),
            (C::PaidDate, "2022-01-20"),
        ]);
        assert_eq!(
            ClaimDates::of(&full.rows()[0]).unwrap(),
            ClaimDates {
                start: date("2022-01-02"),
                end: Some(date("2022-01-05")),
                created: date("2022-01-10"),
            }
        );
        let sparse = Sheet::one(&[
            (C::ServiceStart, "2022-03-01"),
            (C::ServiceEnd, "2022-03-04"),
            (C::PaidDate, "2022-03-09"),
        ]);
        assert_eq!(
            ClaimDates::of(&sparse.rows()[0]).unwrap(),
            ClaimDates {
                start: date("2022-03-01"),
                end: Some(date("2022-03-04")),
                created: date("2022-03-09"),
            }
        );
        // Only a line date: it starts the claim, and with nothing else it is also `created`.
        let line_only = Sheet::one(&[(C::LineFrom, "2022-04-07")]);
        assert_eq!(
            ClaimDates::of(&line_only.rows()[0]).unwrap(),
            ClaimDates {
                start: date("2022-04-07"),
                end: None,
                created: date("2022-04-07"),
            }
        );
        let undated = Sheet::one(&[(C::ServiceStart, ""), (C::PaidDate, "2022-03-09")]);
        let err = ClaimDates::of(&undated.rows()[0]).unwrap_err().to_string();
        assert!(err.contains("no service start date"), "{err}");
    }

    #[test]
    fn status_is_active_unless_cancelled_and_refuses_other_words() {
        let status_of = |cell: &str| {
            let sheet = Sheet::one(&[(C::ProcessingStatus, cell)]);
            status(&sheet.rows()[0]).map_err(|e| e.to_string())
        };
        assert_eq!(status_of(""), Ok("active"));
        assert_eq!(status_of("Active"), Ok("active"));
        assert_eq!(status_of("CANCELLED"), Ok("cancelled"));
        let err = status_of("draft").unwrap_err();
        assert!(err.contains("\"draft\" is not a claim status"), "{err}");
    }

    #[test]
    fn pharmacy_identifiers_name_each_prescription_once() {
        let sheet = Sheet::new(
            &[C::ClaimId, C::RxRef],
            &[
                &["c-1", "rx-9"],
                &["c-1", "rx-2"],
                &["c-1", "rx-9"],
                &["c-1", ""],
            ],
        );
        let rows = sheet.rows();
        let values = |kind| {
            json_all(identifiers(&rows, "c-1", kind))
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["value"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(values(ClaimKind::Pharmacy), ["c-1", "rx-9", "rx-2"]);
        // Other profiles have no prescription identifiers.
        assert_eq!(values(ClaimKind::Professional { vision: false }), ["c-1"]);
    }

    #[test]
    fn related_claims_point_both_ways_by_claim_id() {
        let sheet = Sheet::one(&[(C::AdjustedFrom, "c-0"), (C::AdjustedTo, "c-2")]);
        let related = json_all(related_claims(&sheet.rows()[0]));
        assert_eq!(related[0]["relationship"]["coding"][0]["code"], "prior");
        assert_eq!(related[0]["reference"]["value"], "c-0");
        assert_eq!(
            related[1]["relationship"]["coding"][0]["code"],
            "replacedby"
        );
        assert_eq!(
            related[1]["reference"],
            json!({
                "type": {"coding": [{"system": codes::C4BB_IDENTIFIER_TYPE, "code": "uc"}]},
                "system": ns::CLAIM,
                "value": "c-2",
            })
        );
        let none = Sheet::one(&[(C::AdjustedFrom, "")]);
        assert!(related_claims(&none.rows()[0]).is_empty());
    }
}
