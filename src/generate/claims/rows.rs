//! How a claim becomes CSV rows: one row per line, the header columns repeated on each.

use std::io;

use super::model::{Claim, Net, Product};
use crate::generate::columns::{Row, C};

fn net_cols(row: &mut Row, npi_col: C, net_col: C, npi: Option<u64>, net: Net) {
    row.npi(npi_col, npi);
    row.opt(net_col, npi.map(|_| net.text()));
}

/// Writes the rows of one claim.
pub(crate) fn write_claim<W: io::Write>(
    row: &mut Row,
    c: &Claim,
    member_id: &str,
    w: &mut csv::Writer<W>,
) -> csv::Result<()> {
    row.clear_all();
    row.date(C::ServiceStart, c.start);
    row.date(C::ServiceEnd, c.end);
    row.date(C::PaidDate, c.paid_date);
    row.date(C::ReceivedDate, c.received);
    if c.admission {
        row.date(C::AdmissionDate, c.start);
        row.date(C::DischargeDate, c.end);
    }
    row.set(C::PatientAccount, member_id);
    row.opt(C::MedicalRecord, c.mrn.as_deref());
    row.set(C::ClaimId, &c.id);
    row.opt(C::AdjustedFrom, c.adjusted_from.as_deref());
    row.opt(C::AdjustedTo, c.adjusted_to.as_deref());
    row.opt(C::Drg, c.drg);
    row.opt(C::PointOfOrigin, c.origin);
    row.opt(C::AdmissionType, c.admission_type);
    if let Some((a, b, f)) = c.tob {
        row.set(C::BillFacility, a);
        row.set(C::BillClassification, b);
        row.set(C::BillFrequency, f);
        row.date(C::StatementFrom, c.start);
        row.date(C::StatementThrough, c.end);
    }
    row.set(C::ProcessingStatus, c.status);
    row.set(C::ClaimType, c.kind.claim_type());
    row.opt(C::DischargeStatus, c.discharge);
    row.opt(C::ClaimDenialCode, c.denial);
    row.opt(C::PrimaryPayer, c.primary_payer.as_deref());
    row.set(C::PayeeType, c.payee_type);
    row.set(C::Payee, &c.payee);
    row.set(C::PaymentStatus, c.payment_status);
    row.set(C::Payer, &c.payer);
    if let Some(rx) = &c.rx {
        row.num(C::DaysSupply, rx.days);
        row.set(C::RxReference, &rx.reference);
        row.set(C::Daw, rx.daw);
        row.num(C::RefillNumber, rx.refill);
        row.num(C::RefillsAuthorized, rx.authorized);
        row.set(C::RxOrigin, rx.origin);
        row.set(C::BrandGeneric, rx.brand_generic);
        row.set(C::PharmacyServiceType, rx.service_type);
        row.set(C::PatientResidence, rx.residence);
    }
    net_cols(row, C::BillingNpi, C::BillingNet, c.billing, c.net);
    net_cols(row, C::AttendingNpi, C::AttendingNet, c.attending, c.net);
    net_cols(row, C::SiteNpi, C::SiteNet, c.site, c.net);
    net_cols(row, C::ReferringNpi, C::ReferringNet, c.referring, c.net);
    net_cols(
        row,
        C::PerformingNpi,
        C::PerformingNet,
        c.performing,
        c.performing_net,
    );
    net_cols(
        row,
        C::PrescribingNpi,
        C::PrescribingNet,
        c.prescribing,
        c.net,
    );
    row.npi(C::PcpNpi, c.pcp);
    row.npi(C::SupervisingNpi, c.supervising);
    row.npi(C::OperatingNpi, c.operating);
    row.npi(C::OtherOperatingNpi, c.other_operating);
    row.npi(C::PurchasedServiceNpi, c.purchased);
    row.opt(C::ProcessNote, c.note.as_deref());

    let t = &c.total;
    row.money(C::TotalSubmitted, t.submitted);
    row.money(C::TotalAllowed, t.allowed);
    row.money(C::PaidByPatient, t.by_patient);
    row.money(C::PaidToProvider, t.to_provider);
    row.money(C::MemberReimbursement, t.reimbursement);
    row.money(C::PaymentAmount, t.paid);
    row.money(C::Disallowed, t.noncovered);
    row.money(C::Deductible, t.deductible);
    row.money(C::Coinsurance, t.coinsurance);
    row.money(C::Copay, t.copay);
    row.money(C::MemberLiability, t.liability);
    if c.primary_payer.is_some() {
        row.money(C::PrimaryPayerPaid, t.prior_paid);
    }
    row.money(C::Discount, t.discount);

    if let Some(tr) = &c.transport {
        row.num(C::PatientWeight, tr.weight);
        row.set(C::TransportReason, tr.reason);
        row.num(C::TransportDistance, tr.miles);
        row.opt(C::RoundTripPurpose, tr.round_trip);
        row.opt(C::StretcherPurpose, tr.stretcher);
        row.set(C::PickupLocation, &tr.pickup);
        row.set(C::DropoffLocation, &tr.dropoff);
    }
    if let Some((months, date)) = c.ortho {
        row.num(C::OrthoMonthsRemaining, months);
        row.date(C::OrthoApplianceDate, date);
    }
    if let Some((replacement, prior)) = c.prosthesis {
        row.set(
            C::ProsthesisReplacement,
            if replacement { "true" } else { "false" },
        );
        row.opt_date(C::PriorProsthesisDate, prior);
    }
    row.opt(C::MissingTeeth, c.missing);

    for (i, l) in c.lines.iter().enumerate() {
        row.clear_lines();
        row.date(C::LineFrom, l.from);
        row.num(C::LineNumber, i + 1);
        row.opt_date(C::LineTo, l.to);
        row.opt(C::TypeOfService, l.tos);
        row.opt(C::PlaceOfService, l.pos);
        row.opt(C::Revenue, l.revenue);
        if l.units > 0 {
            row.num(C::Units, l.units);
        }
        row.set(
            C::LineBenefitStatus,
            if c.net == c.performing_net || c.performing.is_none() {
                c.net.text()
            } else {
                "other"
            },
        );
        if !c.header_only {
            if let Some(u) = l.allowed_units {
                row.num(C::AllowedUnits, u);
            }
            row.opt(C::LineDenialCode, l.denied.or(l.adjust));
            let m = &l.money;
            row.money(C::LineDisallowed, m.noncovered);
            row.money(C::LineMemberReimbursement, m.reimbursement);
            row.money(C::LinePaidByPatient, m.by_patient);
            if let Some(dc) = l.drug_cost {
                row.money(C::DrugCost, dc);
            }
            row.money(C::LinePayment, m.paid);
            row.money(C::LinePaidToProvider, m.to_provider);
            row.money(C::LineDeductible, m.deductible);
            if c.primary_payer.is_some() {
                row.money(C::LinePrimaryPayerPaid, m.prior_paid);
            }
            row.money(C::LineCoinsurance, m.coinsurance);
            row.money(C::LineSubmitted, m.submitted);
            row.money(C::LineAllowed, m.allowed);
            row.money(C::LineMemberLiability, m.liability);
            row.money(C::LineCopay, m.copay);
            row.money(C::LineDiscount, m.discount);
        }
        match l.product {
            Product::None => {}
            Product::Svc(s) => {
                row.set(C::ProcedureCode, s.code);
                row.set(C::ProcedureDescription, s.display);
                row.set(C::ProcedureCodeType, s.code_type());
            }
            Product::Cdt(d) => {
                row.set(C::ProcedureCode, d.code);
                row.set(C::ProcedureDescription, d.display);
                row.set(C::ProcedureCodeType, "CDT");
            }
            Product::Drug(d) => {
                row.set(C::Ndc, d.ndc);
                if let Some((q, unit)) = l.qty {
                    row.num(C::QuantityDispensed, q);
                    row.set(C::QuantityQualifier, unit);
                }
            }
        }
        row.opt(C::CompoundCode, l.compound_code);
        if let Some(cp) = l.compound {
            let mut ndcs = String::new();
            let mut qtys = String::new();
            for (k, (d, q)) in cp.ingredients.iter().enumerate() {
                if k > 0 {
                    ndcs.push(';');
                    qtys.push(';');
                }
                ndcs.push_str(d.ndc);
                qtys.push_str(&q.to_string());
            }
            row.set(C::CompoundNdcs, &ndcs);
            row.set(C::CompoundQuantities, &qtys);
        }
        if let Some((code, kind, date)) = l.pcs {
            row.set(C::ProcedureCode, code.0);
            row.set(C::ProcedureDescription, code.1);
            row.set(C::ProcedureCodeType, "ICD-10-PCS");
            row.set(C::ProcedureType, kind);
            row.date(C::ProcedureDate, date);
        }
        for (k, col) in [C::Modifier1, C::Modifier2, C::Modifier3, C::Modifier4]
            .into_iter()
            .enumerate()
        {
            if !l.modifiers[k].is_empty() {
                row.set(col, l.modifiers[k]);
            }
        }
        if let Some(d) = &l.dx {
            row.set(C::DiagnosisCode, d.code.0);
            row.set(C::DiagnosisDescription, d.code.1);
            row.opt(C::PresentOnAdmission, d.poa);
            row.set(C::DiagnosisCodeType, "ICD-10-CM");
            row.set(C::DiagnosisType, d.kind);
            if d.is_e {
                row.set(C::IsECode, "true");
            }
        }
        row.opt(C::ToothNumber, l.tooth);
        row.opt(C::OralCavityArea, l.area);
        row.opt(C::ToothSurface, l.surface.as_deref());
        row.opt(C::AdditionalBodySite, l.additional_site);
        w.write_record(row.cells())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::model::{Claim, Kind, Net};
    use super::super::plan::{Force, Plan};
    use super::super::testkit::*;
    use crate::generate::codes::{STAY_HIP_FRACTURE, VISIT_CHEST_PAIN_ED};
    use crate::generate::columns::{C, CLAIM_HEADER, LINE_COLUMNS};

    fn claim(plan: Plan, kind: Kind) -> Claim {
        build(67, 2, plan, Force::rich())
            .into_iter()
            .find(|c| c.kind == kind)
            .expect("a claim of the kind")
    }

    const LINE_AMOUNTS: [C; 6] = [
        C::LineSubmitted,
        C::LineAllowed,
        C::LinePayment,
        C::LineMemberLiability,
        C::LineDiscount,
        C::AllowedUnits,
    ];

    #[test]
    fn one_row_per_line_with_the_header_on_every_row() {
        let c = claim(Plan::Stay(STAY_HIP_FRACTURE), Kind::Inpatient);
        let rows = rows(&c);
        assert!(rows.len() > 3);
        assert_eq!(rows.len(), c.lines.len());
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(r.len(), CLAIM_HEADER.len());
            assert_eq!(cell(r, C::LineNumber), (i + 1).to_string());
            for k in 0..CLAIM_HEADER.len() {
                if !LINE_COLUMNS.iter().any(|l| *l as usize == k) {
                    assert_eq!(r[k], rows[0][k], "{}", CLAIM_HEADER[k]);
                }
            }
        }
        assert_eq!(cell(&rows[0], C::ClaimId), c.id);
        assert_eq!(cell(&rows[0], C::PatientAccount), "M00042");
    }

    #[test]
    fn a_header_only_claim_writes_no_line_amounts() {
        let mut c = claim(Plan::Outpatient(VISIT_CHEST_PAIN_ED), Kind::Outpatient);
        c.header_only = false;
        assert_filled(&c, &rows(&c), &LINE_AMOUNTS);
        c.header_only = true;
        for r in rows(&c) {
            for col in LINE_AMOUNTS {
                assert_eq!(cell(&r, col), "", "{col:?}");
            }
            assert_eq!(cell(&r, C::TotalSubmitted), money(c.total.submitted));
            assert!(!cell(&r, C::Revenue).is_empty());
        }
    }

    #[test]
    fn prior_payer_amounts_only_with_a_prior_payer() {
        let mut c = claim(Plan::Office, Kind::Professional);
        c.primary_payer = None;
        for r in rows(&c) {
            assert_eq!(cell(&r, C::PrimaryPayer), "");
            assert_eq!(cell(&r, C::PrimaryPayerPaid), "");
            assert_eq!(cell(&r, C::LinePrimaryPayerPaid), "");
        }
        c.primary_payer = Some("CV00002-1".to_string());
        let rows = rows(&c);
        assert_filled(
            &c,
            &rows,
            &[
                C::PrimaryPayer,
                C::PrimaryPayerPaid,
                C::LinePrimaryPayerPaid,
            ],
        );
    }

    #[test]
    fn a_performer_in_another_network_makes_the_line_status_other() {
        let mut c = claim(Plan::Office, Kind::Professional);
        c.net = Net::In;
        c.performing_net = Net::In;
        assert_eq!(cell(&rows(&c)[0], C::LineBenefitStatus), "innetwork");
        c.performing_net = Net::Out;
        let r = &rows(&c)[0];
        assert_eq!(cell(r, C::LineBenefitStatus), "other");
        assert_eq!(cell(r, C::PerformingNet), "outofnetwork");
        assert_eq!(cell(r, C::BillingNet), "innetwork");
        c.performing = None;
        let r = &rows(&c)[0];
        assert_eq!(cell(r, C::LineBenefitStatus), "innetwork");
        assert_eq!(
            cell(r, C::PerformingNet),
            "",
            "no network without a performer"
        );
    }

    #[test]
    fn the_line_reason_is_the_denial_else_the_adjustment() {
        let mut c = claim(Plan::Office, Kind::Professional);
        c.lines[0].denied = None;
        c.lines[0].adjust = Some("45");
        assert_eq!(cell(&rows(&c)[0], C::LineDenialCode), "45");
        c.lines[0].denied = Some("96");
        assert_eq!(cell(&rows(&c)[0], C::LineDenialCode), "96");
    }

    #[test]
    fn inpatient_procedures_are_written_as_icd_10_pcs() {
        let c = claim(Plan::Stay(STAY_HIP_FRACTURE), Kind::Inpatient);
        let rows = rows(&c);
        let mut procedures = 0;
        for (l, r) in c.lines.iter().zip(&rows) {
            if let Some((code, kind, _)) = l.pcs {
                assert_eq!(cell(r, C::ProcedureCode), code.0);
                assert_eq!(cell(r, C::ProcedureCodeType), "ICD-10-PCS");
                assert_eq!(cell(r, C::ProcedureType), kind);
                procedures += 1;
            }
        }
        assert!(procedures > 0);
    }
}
