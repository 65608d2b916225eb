//! One claim (its contiguous rows) → one C4BB ExplanationOfBenefit.

mod lines;
mod money;
mod people;
mod support;

use serde_json::{json, Value};
use time::Date;

use super::json::{absent, concept, concept_display, object, opt_str, reference};
use super::Mapped;
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::crosswalk;
use crate::cpcds::directory::Directory;
use crate::cpcds::error::IngestError;
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes::{self, ns, profile};
use crate::fhir::id::id_for;
use crate::store::ResourceWriter;
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
pub struct ClaimContext<'d, 'w, 't> {
    pub dir: &'d mut Directory,
    pub writer: &'w ResourceWriter<'t>,
    pub stats: MapStats,
}

#[allow(clippy::too_many_lines)] // one readable pass over the EOB's elements, in FHIR order
pub fn map_claim(
    rows: &[Row<'_>],
    cx: &mut ClaimContext<'_, '_, '_>,
) -> Result<(Mapped, ClaimKind), IngestError> {
    let head = &rows[0];
    let claim_key = head.required(C::ClaimId)?;
    let id = id_for(claim_key);
    let member = head.required(C::PatientAccount)?;
    let patient_id = cx
        .dir
        .patient(member, cx.writer)?
        .map_err(|reason| head.error(C::PatientAccount, reason))?;
    let payer_key = head.required(C::PayerId)?;
    let focal = cx
        .dir
        .coverage(payer_key, member, cx.writer)?
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
                .coverage(p, member, cx.writer)?
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

    let mut identifiers = vec![json!({
        "type": concept_display(codes::C4BB_IDENTIFIER_TYPE, "uc", "Unique Claim ID"),
        "system": ns::CLAIM,
        "value": claim_key,
    })];
    if kind == ClaimKind::Pharmacy {
        for rx in rows.iter().filter_map(|r| r.opt(C::RxRef)) {
            let v = json!({"system": ns::RX_REFERENCE, "value": rx});
            if !identifiers.contains(&v) {
                identifiers.push(v);
            }
        }
    }

    let (claim_type, sub_type) = match kind {
        ClaimKind::Inpatient | ClaimKind::Outpatient => (
            concept_display(codes::CLAIM_TYPE, "institutional", "Institutional"),
            concept_display(
                codes::C4BB_INSTITUTIONAL_SUBTYPE,
                if kind == ClaimKind::Inpatient {
                    "inpatient"
                } else {
                    "outpatient"
                },
                if kind == ClaimKind::Inpatient {
                    "Inpatient"
                } else {
                    "Outpatient"
                },
            ),
        ),
        ClaimKind::Professional { vision: false } => (
            concept_display(codes::CLAIM_TYPE, "professional", "Professional"),
            Value::Null,
        ),
        ClaimKind::Professional { vision: true } => (
            concept_display(codes::CLAIM_TYPE, "vision", "Vision"),
            Value::Null,
        ),
        ClaimKind::Oral => (
            concept_display(codes::CLAIM_TYPE, "oral", "Oral"),
            Value::Null,
        ),
        ClaimKind::Pharmacy => (
            concept_display(codes::CLAIM_TYPE, "pharmacy", "Pharmacy"),
            Value::Null,
        ),
    };

    let mut related = Vec::new();
    for (column, system, code) in [
        (C::AdjustedFrom, codes::EX_RELATED_CLAIM, "prior"),
        (C::AdjustedTo, codes::C4BB_RELATED_CLAIM, "replacedby"),
    ] {
        if let Some(other) = head.opt(column) {
            related.push(json!({
                "relationship": concept(system, code),
                "reference": {
                    "type": concept(codes::C4BB_IDENTIFIER_TYPE, "uc"),
                    "system": ns::CLAIM,
                    "value": other,
                },
            }));
        }
    }

    let provider = people::provider(head, kind, cx.dir, cx.writer)?;
    let payee = people::payee(head, &patient_id, cx.dir, cx.writer)?;
    let care_team = people::care_team(head, kind, cx.dir, cx.writer)?;

    // --- supporting information -------------------------------------------------------
    let mut support = Support::default();
    if let Some(d) = head.date(C::ReceivedDate)? {
        support.add("clmrecvddate", vec![("timingDate", json!(fhir_date(d)))]);
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
                        object(vec![
                            ("start", json!(fhir_date(start))),
                            ("end", opt_str(end.map(fhir_date).as_deref())),
                        ]),
                    )],
                );
            }
            if let Some(tob) = type_of_bill(head) {
                support.code("typeofbill", codes::NUBC_TYPE_OF_BILL, &tob);
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
                    cx.writer,
                )?;
                support.add(
                    "servicefacility",
                    vec![("valueReference", reference("Organization", &org))],
                );
            }
        }
        ClaimKind::Pharmacy => {}
    }
    if !matches!(kind, ClaimKind::Pharmacy) {
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
            transport.push(support.add(
                "ambulancetransportreason",
                // supportingInfo.reason is a Coding, not a CodeableConcept.
                vec![("reason", super::json::coding(codes::AMBULANCE_REASON, r))],
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
            let mut members = vec![("valueQuantity", json!({"value": months, "unit": "months"}))];
            if let Some(d) = head.date(C::OrthoDate)? {
                members.insert(0, ("timingDate", json!(fhir_date(d))));
            }
            support.add("orthodontics", members);
        }
        if let Some(replacement) = head.boolean(C::ProsthesisReplacement)? {
            let mut members = vec![("valueBoolean", json!(replacement))];
            if let Some(d) = head.date(C::ProsthesisDate)? {
                members.insert(0, ("timingDate", json!(fhir_date(d))));
            }
            support.add("prosthesis", members);
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
            let lower = bg.to_ascii_lowercase();
            let code = match lower.as_str() {
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
    let line_statuses: Vec<&str> = item_rows
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
    if let Some(denial) = head.opt(C::PaymentDenial) {
        header_adjudication.push(money::reason_adjudication(
            "adjustmentreason",
            codes::CARC,
            denial,
        ));
    }
    if !amounts_at_lines {
        header_adjudication.extend(totals.iter().cloned());
        for a in &line_adjudications {
            for o in &a.others {
                if o["category"]["coding"][0]["code"] == "adjustmentreason"
                    && !header_adjudication.contains(o)
                {
                    header_adjudication.push(o.clone());
                }
            }
        }
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
            Vec::new() // the amounts are on the header, and an item adjudication needs an amount
        };
        items.push(item(
            r,
            kind,
            i + 1,
            information,
            adjudication,
            note.is_some(),
            billable_start,
            &mut cx.stats,
        )?);
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

    let payment_type = money::payment_type(head)?;
    let payment = object(vec![
        (
            "type",
            concept(codes::C4BB_PAYER_ADJUDICATION_STATUS, payment_type),
        ),
        (
            "date",
            opt_str(head.date(C::PaidDate)?.map(fhir_date).as_deref()),
        ),
    ]);
    let mut insurance = vec![json!({"focal": true, "coverage": reference("Coverage", &focal.id)})];
    if let Some(p) = &prior {
        insurance.push(json!({"focal": false, "coverage": reference("Coverage", &p.id)}));
    }

    let value = object(vec![
        ("resourceType", json!("ExplanationOfBenefit")),
        ("id", json!(id)),
        ("identifier", Value::Array(identifiers)),
        ("status", json!(status)),
        ("type", claim_type),
        ("subType", sub_type),
        ("use", json!("claim")),
        ("patient", reference("Patient", &patient_id)),
        (
            "billablePeriod",
            object(vec![
                ("start", json!(fhir_date(billable_start))),
                ("end", opt_str(billable_end.map(fhir_date).as_deref())),
            ]),
        ),
        ("created", json!(fhir_date(created))),
        ("insurer", reference("Organization", &focal.payer_id)),
        ("provider", provider),
        ("related", Value::Array(related)),
        ("payee", payee),
        ("outcome", json!("complete")),
        ("careTeam", Value::Array(care_team)),
        ("supportingInfo", Value::Array(support.into_values())),
        ("diagnosis", Value::Array(diagnoses)),
        ("procedure", Value::Array(procedures)),
        ("insurance", Value::Array(insurance)),
        ("item", Value::Array(items)),
        ("adjudication", Value::Array(header_adjudication)),
        ("total", Value::Array(totals)),
        ("payment", payment),
        (
            "processNote",
            note.map_or(
                Value::Null,
                |n| json!([{"number": 1, "type": "display", "text": n}]),
            ),
        ),
    ]);
    Ok((
        Mapped::new("ExplanationOfBenefit", id, kind.profile(), &value),
        kind,
    ))
}

#[allow(clippy::too_many_arguments)]
fn item(
    r: &Row<'_>,
    kind: ClaimKind,
    sequence: usize,
    information: Vec<u32>,
    adjudication: Vec<Value>,
    has_note: bool,
    claim_start: Date,
    stats: &mut MapStats,
) -> Result<Value, IngestError> {
    let from = r.date(C::LineFrom)?.unwrap_or(claim_start);
    let to = r.date(C::LineTo)?.filter(|t| *t > from);
    let date_only = matches!(kind, ClaimKind::Outpatient | ClaimKind::Pharmacy);
    let (serviced_key, serviced) = match to {
        Some(t) if !date_only => (
            "servicedPeriod",
            json!({"start": fhir_date(from), "end": fhir_date(t)}),
        ),
        _ => ("servicedDate", json!(fhir_date(from))),
    };
    let revenue = match (kind, r.opt(C::Revenue)) {
        (ClaimKind::Inpatient | ClaimKind::Outpatient, Some(code)) => {
            concept(codes::NUBC_REVENUE, code)
        }
        // Inpatient lines must carry a revenue code; Synthea rarely writes one.
        (ClaimKind::Inpatient, None) => absent("unknown"),
        _ => Value::Null,
    };
    let quantity = r
        .number(C::Units)?
        .or(r.number(C::QuantityDispensed)?)
        .map_or(Value::Null, |q| {
            object(vec![
                ("value", json!(q)),
                ("unit", opt_str(r.opt(C::QuantityQualifier))),
            ])
        });
    let (body_site, sub_site) = if kind == ClaimKind::Oral {
        lines::oral_sites(r)
    } else {
        (Value::Null, Value::Null)
    };
    let location = if matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral) {
        lines::location(r)
    } else {
        Value::Null
    };
    let detail = if kind == ClaimKind::Pharmacy {
        Value::Array(lines::compound_details(r)?)
    } else {
        Value::Null
    };
    Ok(object(vec![
        ("sequence", json!(sequence)),
        ("informationSequence", json!(information)),
        ("revenue", revenue),
        ("productOrService", lines::product(r, kind, stats)),
        ("modifier", Value::Array(lines::modifiers(r))),
        (serviced_key, serviced),
        ("locationCodeableConcept", location),
        ("quantity", quantity),
        ("bodySite", body_site),
        ("subSite", sub_site),
        (
            "noteNumber",
            if has_note { json!([1]) } else { Value::Null },
        ),
        ("adjudication", Value::Array(adjudication)),
        ("detail", detail),
    ]))
}

/// A claim that reported no lines at all (Synthea's diagnosis-only encounters) still needs one
/// item; it stands for the whole claim and says its product is not applicable.
fn claim_level_item(
    kind: ClaimKind,
    start: Date,
    totals: &[Value],
    line_statuses: &[&str],
    billing_network: Option<&str>,
    has_note: bool,
) -> Value {
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
    object(vec![
        ("sequence", json!(1)),
        (
            "revenue",
            if kind == ClaimKind::Inpatient {
                absent("unknown")
            } else {
                Value::Null
            },
        ),
        ("productOrService", product),
        ("servicedDate", json!(fhir_date(start))),
        (
            "locationCodeableConcept",
            if matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral) {
                absent("unknown")
            } else {
                Value::Null
            },
        ),
        (
            "noteNumber",
            if has_note { json!([1]) } else { Value::Null },
        ),
        ("adjudication", Value::Array(adjudication)),
    ])
}
