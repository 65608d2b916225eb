//! One claim (its contiguous rows) → one C4BB ExplanationOfBenefit.

mod lines;
mod money;
mod people;
mod support;

use time::Date;

use super::json::{absent, coding, concept, concept_display, reference, Node};
use super::Mapped;
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::crosswalk;
use crate::cpcds::directory::Directory;
use crate::cpcds::error::IngestError;
use crate::cpcds::row::{fhir_date, same_on_every_row, Row};
use crate::fhir::codes::{self, ns, profile};
use crate::fhir::id::id_for;
use crate::jv;
use crate::store::ReadTx;
use support::Support;

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

#[allow(clippy::too_many_lines)] // one readable pass over the EOB's elements, in FHIR order
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
    let kind = classify(rows, &mut cx.stats)?;

    let billable_start = head
        .date(C::StatementFrom)?
        .or(head.date(C::ServiceStart)?)
        .or(head.date(C::LineFrom)?)
        .ok_or_else(|| head.error(C::ServiceStart, "the claim has no service start date"))?;
    let billable_end = head
        .date(C::StatementThrough)?
        .or(head.date(C::ServiceEnd)?);
    let created = head
        .date(C::ReceivedDate)?
        .or(head.date(C::PaidDate)?)
        .or(billable_end)
        .unwrap_or(billable_start);

    let status = match head.text(C::ProcessingStatus).to_ascii_lowercase().as_str() {
        "" | "active" => "active",
        "cancelled" => "cancelled",
        other => {
            return Err(head.error(
                C::ProcessingStatus,
                format!("{other:?} is not a claim status (active, cancelled)"),
            ))
        }
    };

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

    let (claim_type, sub_type) = match kind {
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
    };

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

    let provider = people::provider(head, kind, cx.dir, cx.snapshot)?;
    let payee = people::payee(head, &patient_id, cx.dir, cx.snapshot)?;
    let care_team = people::care_team(head, kind, cx.dir, cx.snapshot)?;

    // --- supporting information -------------------------------------------------------
    let mut support = Support::default();
    if let Some(d) = head.date(C::ReceivedDate)? {
        support.add("clmrecvddate", vec![("timingDate", fhir_date(d).into())]);
    }
    let mut transport = Vec::new();
    match kind {
        ClaimKind::Inpatient | ClaimKind::Outpatient => {
            if kind == ClaimKind::Inpatient {
                let start = head.date(C::AdmissionDate)?.unwrap_or(billable_start);
                let end = head.date(C::DischargeDate)?.or(billable_end);
                support.add(
                    "admissionperiod",
                    vec![(
                        "timingPeriod",
                        jv!({"start": fhir_date(start), "end": end.map(fhir_date)}),
                    )],
                );
            }
            if let Some(tob) = type_of_bill(head) {
                support.code("typeofbill", codes::NUBC_TYPE_OF_BILL, tob);
            }
            if let Some(s) = head.opt(C::SourceAdmission) {
                support.code(
                    "pointoforigin",
                    codes::NUBC_POINT_OF_ORIGIN,
                    crosswalk::point_of_origin(s),
                );
            }
            if let Some(s) = head.opt(C::AdmissionType) {
                support.code(
                    "admtype",
                    codes::NUBC_ADMIT_TYPE,
                    crosswalk::admission_type(s),
                );
            }
            if let Some(s) = head.opt(C::DischargeStatus) {
                support.code(
                    "discharge-status",
                    codes::NUBC_DISCHARGE_STATUS,
                    crosswalk::discharge_status(s),
                );
            }
            if kind == ClaimKind::Inpatient {
                if let Some(drg) = head.opt(C::Drg) {
                    support.code("drg", codes::MS_DRG, drg);
                }
            }
        }
        ClaimKind::Professional { .. } | ClaimKind::Oral => {
            if let Some(site) = head.opt(C::SiteNpi) {
                let org = cx.dir.provider_as(
                    site,
                    super::party::ProviderKind::Organization,
                    cx.snapshot,
                )?;
                support.add(
                    "servicefacility",
                    vec![("valueReference", reference("Organization", &org))],
                );
            }
        }
        ClaimKind::Pharmacy => {}
    }
    if kind != ClaimKind::Pharmacy {
        if let Some(mrn) = head.opt(C::Mrn) {
            support.string("medicalrecordnumber", mrn);
        }
        if let Some(account) = head.opt(C::PatientAccount) {
            support.string("patientaccountnumber", account);
        }
    }
    if matches!(kind, ClaimKind::Professional { .. }) {
        if let Some(w) = head.number(C::PatientWeight)? {
            transport.push(support.quantity("patientweight", Some(w), Some("[lb_av]")));
        }
        if let Some(r) = head.opt(C::AmbulanceReason) {
            // supportingInfo.reason is a Coding, not a CodeableConcept.
            transport.push(support.add(
                "ambulancetransportreason",
                vec![("reason", coding(codes::AMBULANCE_REASON, r))],
            ));
        }
        if let Some(d) = head.number(C::TransportDistance)? {
            transport.push(support.quantity("transportationdistance", Some(d), Some("[mi_i]")));
        }
        for (column, category) in [
            (C::RoundTripPurpose, "roudtrippurpose"),
            (C::StretcherPurpose, "stretcherpurpose"),
            (C::PickupLocation, "pickuplocation"),
            (C::DropoffLocation, "dropofflocation"),
        ] {
            if let Some(v) = head.opt(column) {
                transport.push(support.string(category, v));
            }
        }
    }
    if kind == ClaimKind::Oral {
        if let Some(months) = head.number(C::OrthoMonths)? {
            support.add(
                "orthodontics",
                vec![
                    ("timingDate", head.date(C::OrthoDate)?.map(fhir_date).into()),
                    ("valueQuantity", jv!({"value": months, "unit": "months"})),
                ],
            );
        }
        if let Some(replacement) = head.boolean(C::ProsthesisReplacement)? {
            support.add(
                "prosthesis",
                vec![
                    (
                        "timingDate",
                        head.date(C::ProsthesisDate)?.map(fhir_date).into(),
                    ),
                    ("valueBoolean", replacement.into()),
                ],
            );
        }
        for tooth in head
            .text(C::MissingTeeth)
            .split(';')
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            support.code("missingtoothnumber", codes::ADA_TOOTH, tooth);
        }
    }
    let item_rows: Vec<&Row<'_>> = rows
        .iter()
        .filter(|r| lines::is_item_row(r, kind))
        .collect();
    if kind == ClaimKind::Pharmacy {
        let med = item_rows.first().copied().unwrap_or(head);
        support.quantity("dayssupply", med.number(C::DaysSupply)?, None);
        match med.opt(C::Daw) {
            Some(daw) => support.code("dawcode", codes::NCPDP_DAW, daw),
            None => support.add("dawcode", vec![("code", absent("unknown"))]),
        };
        support.quantity("refillnum", med.number(C::RefillNumber)?, None);
        support.quantity("refillsauthorized", med.number(C::RefillsAuthorized)?, None);
        if let Some(bg) = med.opt(C::BrandGeneric) {
            let code = match bg.to_ascii_lowercase().as_str() {
                "b" | "brand" => "1",
                "g" | "generic" => "2",
                _ => bg,
            };
            support.code("brandgenericindicator", codes::NCPDP_BRAND_GENERIC, code);
        }
        if let Some(origin) = med.opt(C::RxOrigin) {
            support.code("rxorigincode", codes::NCPDP_RX_ORIGIN, origin);
        }
        if let Some(compound) = lines::compound_code(med) {
            support.code("compoundcode", codes::NCPDP_COMPOUND, compound);
        }
    }

    // --- diagnoses and procedures --------------------------------------------------------
    let mut raw_dx = Vec::new();
    for r in rows {
        lines::diagnoses_of(r, &r.layout.extra_diagnoses, &mut raw_dx);
    }
    let diagnoses = lines::diagnoses(&raw_dx, kind, &mut cx.stats);
    let mut procedures = Vec::new();
    let mut principal_taken = false;
    for r in rows {
        if lines::procedure_code_kind(r) == Some(lines::CodeKind::Icd10Pcs) {
            let p = lines::procedure(r, procedures.len() + 1, &mut principal_taken)?;
            procedures.push(p);
        }
    }

    // --- money -----------------------------------------------------------------------------
    let has_prior_payer = prior.is_some();
    let totals = money::amounts(head, money::HEADER_AMOUNTS, has_prior_payer)?;
    if totals.is_empty() {
        return Err(head.error(
            C::TotSubmitted,
            "the claim has no amounts: C4BB requires at least one total",
        ));
    }
    let mut line_adjudications = Vec::with_capacity(item_rows.len());
    for r in &item_rows {
        line_adjudications.push(lines::line_adjudication(r, kind, has_prior_payer)?);
    }
    // Institutional: amounts at line level when any line has one, else at header level, never both.
    let amounts_at_lines =
        !kind.is_institutional() || line_adjudications.iter().any(|a| !a.amounts.is_empty());
    let line_statuses: Vec<&'static str> = item_rows
        .iter()
        .map(|r| money::line_benefit_status(r))
        .collect();
    let billing_network = money::network_status(head.text(C::BillingNetwork));
    let rendering_network =
        money::network_status(head.text(C::PerformingNetwork)).or(billing_network);

    let mut header_adjudication = Vec::new();
    if matches!(
        kind,
        ClaimKind::Inpatient | ClaimKind::Outpatient | ClaimKind::Pharmacy | ClaimKind::Oral
    ) {
        let status = if line_statuses.is_empty() {
            billing_network.unwrap_or("other")
        } else {
            money::combined_status(line_statuses.iter().copied())
        };
        header_adjudication.push(money::status_adjudication("benefitpaymentstatus", status));
    }
    if let Some(n) = billing_network {
        header_adjudication.push(money::status_adjudication("billingnetworkstatus", n));
    }
    if matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral) {
        match rendering_network {
            Some(n) => {
                header_adjudication.push(money::status_adjudication("renderingnetworkstatus", n))
            }
            None if kind == ClaimKind::Oral => {
                return Err(head.error(
                    C::PerformingNetwork,
                    "an oral claim needs the rendering (performing) provider's network status",
                ))
            }
            None => {}
        }
    }
    let mut header_reasons: Vec<&str> = head.opt(C::PaymentDenial).into_iter().collect();
    if !amounts_at_lines {
        // The amounts are on the header, and an item adjudication needs an amount: the lines'
        // adjustment reasons move up with them.
        for reason in line_adjudications
            .iter()
            .filter_map(|a| a.adjustment_reason)
        {
            if !header_reasons.contains(&reason) {
                header_reasons.push(reason);
            }
        }
    }
    for reason in header_reasons {
        header_adjudication.push(money::reason_adjudication(
            "adjustmentreason",
            codes::CARC,
            reason,
        ));
    }
    if !amounts_at_lines {
        header_adjudication.extend(totals.iter().cloned());
    }

    // --- items -------------------------------------------------------------------------------
    let note = head.opt(C::ProcessNote);
    let mut items = Vec::with_capacity(item_rows.len().max(1));
    for (i, (r, adj)) in item_rows.iter().zip(line_adjudications).enumerate() {
        let mut information = transport.clone();
        if kind == ClaimKind::Oral {
            if let Some(site) = r.opt(C::AdditionalBodySite) {
                let system = if site.len() == 2 && site.bytes().all(|b| b.is_ascii_digit()) {
                    codes::ADA_AREA
                } else {
                    codes::ADA_TOOTH
                };
                information.push(support.code("additionalbodysite", system, site));
            }
        }
        let adjudication = if amounts_at_lines {
            if adj.amounts.is_empty() && !kind.is_institutional() {
                return Err(r.error(
                    C::LineSubmitted,
                    "the line has no amounts: C4BB requires at least one",
                ));
            }
            let mut all = adj.amounts;
            all.extend(adj.others);
            all
        } else {
            Vec::new()
        };
        let line = Line {
            sequence: i + 1,
            information,
            adjudication,
            has_note: note.is_some(),
            claim_start: billable_start,
        };
        items.push(item(r, kind, line, &mut cx.stats)?);
    }
    if items.is_empty() {
        if kind == ClaimKind::Pharmacy {
            return Err(head.error(C::Ndc, "a pharmacy claim needs at least one drug line"));
        }
        cx.stats.claims_without_lines += 1;
        items.push(claim_level_item(
            kind,
            billable_start,
            &totals,
            &line_statuses,
            billing_network,
            note.is_some(),
        ));
    }

    let payment = jv!({
        "type": concept(codes::C4BB_PAYER_ADJUDICATION_STATUS, money::payment_type(head)?),
        "date": head.date(C::PaidDate)?.map(fhir_date),
    });
    let mut insurance = vec![jv!({"focal": true, "coverage": reference("Coverage", &focal.id)})];
    if let Some(p) = &prior {
        insurance.push(jv!({"focal": false, "coverage": reference("Coverage", &p.id)}));
    }

    let value = jv!({
        "resourceType": "ExplanationOfBenefit",
        "id": id.as_str(),
        "identifier": identifiers,
        "status": status,
        "type": claim_type,
        "subType": sub_type,
        "use": "claim",
        "patient": reference("Patient", &patient_id),
        "billablePeriod": jv!({"start": fhir_date(billable_start), "end": billable_end.map(fhir_date)}),
        "created": fhir_date(created),
        "insurer": reference("Organization", &focal.payer_id),
        "provider": provider,
        "related": related,
        "payee": payee,
        "outcome": "complete",
        "careTeam": care_team,
        "supportingInfo": support.into_nodes(),
        "diagnosis": diagnoses,
        "procedure": procedures,
        "insurance": insurance,
        "item": items,
        "adjudication": header_adjudication,
        "total": totals,
        "payment": payment,
        "processNote": note.map(|n| jv!([jv!({"number": 1u32, "type": "display", "text": n})])),
    });
    Ok((
        Mapped::new("ExplanationOfBenefit", &id, kind.profile(), &value),
        kind,
    ))
}

/// What one item needs besides its row.
struct Line<'a> {
    sequence: usize,
    information: Vec<u32>,
    adjudication: Vec<Node<'a>>,
    has_note: bool,
    claim_start: Date,
}

fn item<'a>(
    r: &Row<'a>,
    kind: ClaimKind,
    line: Line<'a>,
    stats: &mut MapStats,
) -> Result<Node<'a>, IngestError> {
    let from = r.date(C::LineFrom)?.unwrap_or(line.claim_start);
    let to = r.date(C::LineTo)?.filter(|t| *t > from);
    let date_only = matches!(kind, ClaimKind::Outpatient | ClaimKind::Pharmacy);
    let (serviced_key, serviced): (&'static str, Node<'a>) = match to {
        Some(t) if !date_only => (
            "servicedPeriod",
            jv!({"start": fhir_date(from), "end": fhir_date(t)}),
        ),
        _ => ("servicedDate", fhir_date(from).into()),
    };
    let revenue = match (kind, r.opt(C::Revenue)) {
        (ClaimKind::Inpatient | ClaimKind::Outpatient, Some(code)) => {
            concept(codes::NUBC_REVENUE, code)
        }
        // Inpatient lines must carry a revenue code; Synthea rarely writes one.
        (ClaimKind::Inpatient, None) => absent("unknown"),
        _ => Node::Null,
    };
    let quantity = r
        .number(C::Units)?
        .or(r.number(C::QuantityDispensed)?)
        .map(|q| jv!({"value": q, "unit": r.opt(C::QuantityQualifier)}));
    let (body_site, sub_site) = if kind == ClaimKind::Oral {
        lines::oral_sites(r)
    } else {
        (Node::Null, Node::Null)
    };
    let location = if matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral) {
        lines::location(r)
    } else {
        Node::Null
    };
    let detail = if kind == ClaimKind::Pharmacy {
        Node::Arr(lines::compound_details(r)?)
    } else {
        Node::Null
    };
    Ok(Node::Obj(vec![
        ("sequence", line.sequence.into()),
        (
            "informationSequence",
            line.information
                .into_iter()
                .map(Node::from)
                .collect::<Vec<_>>()
                .into(),
        ),
        ("revenue", revenue),
        ("productOrService", lines::product(r, kind, stats)),
        ("modifier", lines::modifiers(r).into()),
        (serviced_key, serviced),
        ("locationCodeableConcept", location),
        ("quantity", quantity.into()),
        ("bodySite", body_site),
        ("subSite", sub_site),
        ("noteNumber", line.has_note.then(|| jv!([1u32])).into()),
        ("adjudication", line.adjudication.into()),
        ("detail", detail),
    ]))
}

/// A claim that reported no lines at all (Synthea's diagnosis-only encounters) still needs one
/// item; it stands for the whole claim and says its product is not applicable.
fn claim_level_item<'a>(
    kind: ClaimKind,
    start: Date,
    totals: &[Node<'a>],
    line_statuses: &[&'static str],
    billing_network: Option<&'static str>,
    has_note: bool,
) -> Node<'a> {
    let not_applicable = || {
        concept_display(
            codes::DATA_ABSENT_REASON,
            "not-applicable",
            "Not Applicable",
        )
    };
    let (product, adjudication) = match kind {
        ClaimKind::Inpatient | ClaimKind::Outpatient => (not_applicable(), Vec::new()),
        _ => {
            let status = billing_network
                .unwrap_or_else(|| money::combined_status(line_statuses.iter().copied()));
            let mut adj = totals.to_vec();
            adj.push(money::status_adjudication("benefitpaymentstatus", status));
            let product = if kind == ClaimKind::Oral {
                not_applicable()
            } else {
                let (_, code, display) = crosswalk::professional_fallback(false);
                concept_display(codes::CPT, code, display)
            };
            (product, adj)
        }
    };
    let location =
        matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral).then(|| absent("unknown"));
    jv!({
        "sequence": 1u32,
        "revenue": (kind == ClaimKind::Inpatient).then(|| absent("unknown")),
        "productOrService": product,
        "servicedDate": fhir_date(start),
        "locationCodeableConcept": location,
        "noteNumber": has_note.then(|| jv!([1u32])),
        "adjudication": adjudication,
    })
}
