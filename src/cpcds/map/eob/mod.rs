//! One claim (its contiguous rows) → one C4BB ExplanationOfBenefit.

mod adjudication;
mod header;
mod items;
mod lines;
mod money;
mod people;
#[cfg(test)]
mod sheet;
mod support;
mod supporting_info;

use super::json::reference;
use super::Mapped;
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::directory::Directory;
use crate::cpcds::error::IngestError;
use crate::cpcds::row::{fhir_date, same_on_every_row, Row};
use crate::fhir::codes::profile;
use crate::fhir::id::id_for;
use crate::jv;
use crate::store::ReadTx;

/// The five concrete C4BB EOB profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ClaimKind {
    Inpatient,
    Outpatient,
    Professional { vision: bool },
    Oral,
    Pharmacy,
}

impl ClaimKind {
    pub fn profile(self) -> &'static str {
        match self {
            ClaimKind::Inpatient => profile::EOB_INPATIENT,
            ClaimKind::Outpatient => profile::EOB_OUTPATIENT,
            ClaimKind::Professional { .. } => profile::EOB_PROFESSIONAL,
            ClaimKind::Oral => profile::EOB_ORAL,
            ClaimKind::Pharmacy => profile::EOB_PHARMACY,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClaimKind::Inpatient => "inpatient institutional",
            ClaimKind::Outpatient => "outpatient institutional",
            ClaimKind::Professional { .. } => "professional non-clinician",
            ClaimKind::Oral => "oral",
            ClaimKind::Pharmacy => "pharmacy",
        }
    }

    fn is_institutional(self) -> bool {
        matches!(self, ClaimKind::Inpatient | ClaimKind::Outpatient)
    }
}

/// What the mapper had to fill in or could not map, for the import summary.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct MapStats {
    pub reclassified_outpatient: u64,
    pub unmapped_diagnoses: u64,
    pub unmapped_procedures: u64,
    pub unmapped_drugs: u64,
    pub claims_without_diagnosis: u64,
    pub claims_without_lines: u64,
}

impl MapStats {
    pub fn add(&mut self, o: &MapStats) {
        self.reclassified_outpatient += o.reclassified_outpatient;
        self.unmapped_diagnoses += o.unmapped_diagnoses;
        self.unmapped_procedures += o.unmapped_procedures;
        self.unmapped_drugs += o.unmapped_drugs;
        self.claims_without_diagnosis += o.claims_without_diagnosis;
        self.claims_without_lines += o.claims_without_lines;
    }
}

/// Decides the profile. Synthea labels wellness, ambulatory and emergency encounters
/// `inpatient-facility`; those are outpatient when the type of bill is not an inpatient one or
/// the patient was admitted and discharged the same day.
pub fn classify(rows: &[Row<'_>], stats: &mut MapStats) -> Result<ClaimKind, IngestError> {
    let head = &rows[0];
    let declared = crate::cpcds::columns::normalize(head.text(C::ClaimType));
    let tob = type_of_bill(head);
    let kind = match declared.as_str() {
        "inpatient facility" | "inpatient" | "inpatient institutional" => ClaimKind::Inpatient,
        "outpatient facility" | "outpatient" | "outpatient institutional" => ClaimKind::Outpatient,
        "professional nonclinician" | "professional" | "professional non clinician" => {
            ClaimKind::Professional { vision: false }
        }
        "vision" => ClaimKind::Professional { vision: true },
        "oral" | "dental" => ClaimKind::Oral,
        "pharmacy" => ClaimKind::Pharmacy,
        _ => derive_kind(rows, tob.as_deref()),
    };
    if kind == ClaimKind::Inpatient {
        let inpatient_bill = tob.as_deref().is_none_or(is_inpatient_bill);
        let admitted = head.date(C::AdmissionDate)?.or(head.date(C::ServiceStart)?);
        let discharged = head.date(C::DischargeDate)?.or(head.date(C::ServiceEnd)?);
        let same_day = matches!((admitted, discharged), (Some(a), Some(d)) if a == d);
        if !inpatient_bill || same_day {
            stats.reclassified_outpatient += 1;
            return Ok(ClaimKind::Outpatient);
        }
    }
    Ok(kind)
}

fn derive_kind(rows: &[Row<'_>], tob: Option<&str>) -> ClaimKind {
    if rows.iter().any(|r| r.opt(C::Ndc).is_some()) {
        ClaimKind::Pharmacy
    } else if rows
        .iter()
        .any(|r| lines::procedure_code_kind(r) == Some(lines::CodeKind::Cdt))
    {
        ClaimKind::Oral
    } else if tob.is_some() || rows.iter().any(|r| r.opt(C::Revenue).is_some()) {
        if tob.is_none_or(is_inpatient_bill) {
            ClaimKind::Inpatient
        } else {
            ClaimKind::Outpatient
        }
    } else {
        ClaimKind::Professional { vision: false }
    }
}

/// NUBC type of bill as 4 characters (`0111`), from the three digit columns or one full value.
fn type_of_bill(head: &Row<'_>) -> Option<String> {
    let facility = head.text(C::BillFacility);
    let digits = if facility.len() >= 3 {
        facility.to_string()
    } else {
        format!(
            "{facility}{}{}",
            head.text(C::BillClassification),
            head.text(C::BillFrequency)
        )
    };
    match digits.len() {
        3 => Some(format!("0{digits}")),
        4 => Some(digits),
        _ => None,
    }
}

/// Inpatient bill types: facility 1–6 with classification 1 or 2 (`011x`, `012x`, `021x`, …).
fn is_inpatient_bill(tob: &str) -> bool {
    let b = tob.as_bytes();
    b.len() == 4 && (b'1'..=b'6').contains(&b[1]) && matches!(b[2], b'1' | b'2')
}

/// Everything `map_claim` needs besides the rows.
pub struct ClaimContext<'d, 'r> {
    pub dir: &'d mut Directory,
    /// The store as it was before this import (for keys the import's own files don't describe).
    pub snapshot: &'r ReadTx,
    pub stats: MapStats,
}

/// Maps one claim in steps, in the order of the EOB's elements. The order of the fallible steps
/// decides which of several bad cells a claim is refused for, and supportingInfo entries are
/// numbered as the steps add them: reordering the steps changes the output.
pub fn map_claim(
    rows: &[Row<'_>],
    cx: &mut ClaimContext<'_, '_>,
) -> Result<(Mapped, ClaimKind), IngestError> {
    let head = &rows[0];
    let claim_key = head.required(C::ClaimId)?;
    same_on_every_row(
        head,
        &rows[1..],
        C::CLAIM_LEVEL,
        &format!("claim {claim_key:?}"),
    )?;
    let id = id_for(claim_key);
    let subject = header::subject(head, cx)?;
    let kind = classify(rows, &mut cx.stats)?;
    let dates = header::ClaimDates::of(head)?;
    let status = header::status(head)?;
    let identifiers = header::identifiers(rows, claim_key, kind);
    let (claim_type, sub_type) = header::type_and_sub_type(kind);
    let related = header::related_claims(head);

    let provider = people::provider(head, kind, cx.dir, cx.snapshot)?;
    let payee = people::payee(head, &subject.patient_id, cx.dir, cx.snapshot)?;
    let care_team = people::care_team(head, kind, cx.dir, cx.snapshot)?;

    let item_rows: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| lines::is_item_row(r, kind))
        .collect();
    let mut info = supporting_info::supporting_info(head, &item_rows, kind, &dates, cx)?;

    let raw_diagnoses = lines::raw_diagnoses(rows);
    let diagnoses = lines::diagnoses(&raw_diagnoses, kind, &mut cx.stats);
    let procedures = lines::procedures(rows)?;

    let (claim_money, line_adjudications) =
        adjudication::claim_money(head, &item_rows, kind, subject.prior.is_some())?;
    let header_adjudication =
        adjudication::header_adjudication(head, kind, &claim_money, &line_adjudications)?;

    let note = head.opt(C::ProcessNote);
    let facts = items::ClaimFacts {
        kind,
        start: dates.start,
        has_note: note.is_some(),
    };
    let mut items = items::line_items(
        facts,
        &item_rows,
        line_adjudications,
        claim_money.amounts_at_lines,
        &mut info,
        &mut cx.stats,
    )?;
    if items.is_empty() {
        items.push(items::claim_level(
            head,
            facts,
            &claim_money,
            &mut cx.stats,
        )?);
    }
    let payment = money::payment(head)?;

    let value = jv!({
        "resourceType": "ExplanationOfBenefit",
        "id": id.as_str(),
        "identifier": identifiers,
        "status": status,
        "type": claim_type,
        "subType": sub_type,
        "use": "claim",
        "patient": reference("Patient", &subject.patient_id),
        "billablePeriod": dates.billable_period(),
        "created": fhir_date(dates.created),
        "insurer": reference("Organization", &subject.focal.payer_id),
        "provider": provider,
        "related": related,
        "payee": payee,
        "outcome": "complete",
        "careTeam": care_team,
        "supportingInfo": info.into_nodes(),
        "diagnosis": diagnoses,
        "procedure": procedures,
        "insurance": subject.insurance(),
        "item": items,
        "adjudication": header_adjudication,
        "total": claim_money.totals,
        "payment": payment,
        "processNote": note.map(|n| jv!([jv!({"number": 1u32, "type": "display", "text": n})])),
    });
    Ok((
        Mapped::new("ExplanationOfBenefit", &id, kind.profile(), &value),
        kind,
    ))
}
