//! Amounts and adjudication statuses.

use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{concept, concept_display, money, Node};
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes;
use crate::jv;

/// A CPCDS amount column and the C4BB adjudication category it carries.
pub struct AmountColumn {
    pub column: C,
    pub system: &'static str,
    pub code: &'static str,
    pub display: &'static str,
}

const fn amount(
    column: C,
    system: &'static str,
    code: &'static str,
    display: &'static str,
) -> AmountColumn {
    AmountColumn {
        column,
        system,
        code,
        display,
    }
}

pub const HEADER_AMOUNTS: &[AmountColumn] = &[
    amount(
        C::TotSubmitted,
        codes::ADJUDICATION,
        "submitted",
        "Submitted Amount",
    ),
    amount(
        C::TotAllowed,
        codes::ADJUDICATION,
        "eligible",
        "Eligible Amount",
    ),
    amount(
        C::TotDeductible,
        codes::ADJUDICATION,
        "deductible",
        "Deductible",
    ),
    amount(C::TotCopay, codes::ADJUDICATION, "copay", "CoPay"),
    amount(
        C::TotCoinsurance,
        codes::C4BB_ADJUDICATION,
        "coinsurance",
        "Co-insurance",
    ),
    amount(
        C::TotNoncovered,
        codes::C4BB_ADJUDICATION,
        "noncovered",
        "Noncovered",
    ),
    amount(
        C::TotDiscount,
        codes::C4BB_ADJUDICATION,
        "discount",
        "Discount",
    ),
    amount(
        C::TotMemberLiability,
        codes::C4BB_ADJUDICATION,
        "memberliability",
        "Member liability",
    ),
    amount(
        C::TotPayment,
        codes::ADJUDICATION,
        "benefit",
        "Benefit Amount",
    ),
    amount(
        C::TotPaidToProvider,
        codes::C4BB_ADJUDICATION,
        "paidtoprovider",
        "Paid to provider",
    ),
    amount(
        C::TotPaidToPatient,
        codes::C4BB_ADJUDICATION,
        "paidtopatient",
        "Paid to patient",
    ),
    amount(
        C::TotPaidByPatient,
        codes::C4BB_ADJUDICATION,
        "paidbypatient",
        "Paid by patient",
    ),
    amount(
        C::TotPriorPayerPaid,
        codes::C4BB_ADJUDICATION,
        "priorpayerpaid",
        "Prior payer paid",
    ),
];

pub const LINE_AMOUNTS: &[AmountColumn] = &[
    amount(
        C::LineSubmitted,
        codes::ADJUDICATION,
        "submitted",
        "Submitted Amount",
    ),
    amount(
        C::LineAllowed,
        codes::ADJUDICATION,
        "eligible",
        "Eligible Amount",
    ),
    amount(
        C::LineDeductible,
        codes::ADJUDICATION,
        "deductible",
        "Deductible",
    ),
    amount(C::LineCopay, codes::ADJUDICATION, "copay", "CoPay"),
    amount(
        C::LineCoinsurance,
        codes::C4BB_ADJUDICATION,
        "coinsurance",
        "Co-insurance",
    ),
    amount(
        C::LineNoncovered,
        codes::C4BB_ADJUDICATION,
        "noncovered",
        "Noncovered",
    ),
    amount(
        C::LineDiscount,
        codes::C4BB_ADJUDICATION,
        "discount",
        "Discount",
    ),
    amount(
        C::LineMemberLiability,
        codes::C4BB_ADJUDICATION,
        "memberliability",
        "Member liability",
    ),
    amount(
        C::LinePayment,
        codes::ADJUDICATION,
        "benefit",
        "Benefit Amount",
    ),
    amount(
        C::LinePaidToProvider,
        codes::C4BB_ADJUDICATION,
        "paidtoprovider",
        "Paid to provider",
    ),
    amount(
        C::LinePaidToPatient,
        codes::C4BB_ADJUDICATION,
        "paidtopatient",
        "Paid to patient",
    ),
    amount(
        C::LinePaidByPatient,
        codes::C4BB_ADJUDICATION,
        "paidbypatient",
        "Paid by patient",
    ),
    amount(
        C::LineDrugCost,
        codes::C4BB_ADJUDICATION,
        "drugcost",
        "Drug cost",
    ),
    amount(
        C::LinePriorPayerPaid,
        codes::C4BB_ADJUDICATION,
        "priorpayerpaid",
        "Prior payer paid",
    ),
];

/// The amount-type adjudications of one row. `priorpayerpaid` is only reported when another
/// payer really paid first (Synthea fills that column with the covered cost on every claim).
pub fn amounts<'a>(
    row: &Row<'a>,
    table: &[AmountColumn],
    has_prior_payer: bool,
) -> Result<Vec<Node<'a>>, IngestError> {
    let mut out = Vec::new();
    // Synthea writes the person's lifetime covered cost into the deductible columns.
    let synthea = row.layout.dialect == crate::cpcds::columns::Dialect::Synthea;
    for a in table {
        if a.code == "priorpayerpaid" && !has_prior_payer || a.code == "deductible" && synthea {
            continue;
        }
        // Pharmacy-only drug cost sits on every Synthea row, empty on non-drug lines.
        if let Some(cents) = row.money(a.column)? {
            out.push(jv!({
                "category": concept_display(a.system, a.code, a.display),
                "amount": money(cents),
            }));
        }
    }
    Ok(out)
}

/// A discriminator adjudication (`billingnetworkstatus`, `benefitpaymentstatus`, …) with a reason.
pub fn status_adjudication<'a>(discriminator: &'static str, status: &'static str) -> Node<'a> {
    jv!({
        "category": concept(codes::C4BB_ADJUDICATION_DISCRIMINATOR, discriminator),
        "reason": concept(codes::C4BB_PAYER_ADJUDICATION_STATUS, status),
    })
}

pub fn reason_adjudication<'a>(
    discriminator: &'static str,
    system: &'static str,
    code: &'a str,
) -> Node<'a> {
    jv!({
        "category": concept(codes::C4BB_ADJUDICATION_DISCRIMINATOR, discriminator),
        "reason": concept(system, code),
    })
}

pub fn allowed_units<'a>(units: f64) -> Node<'a> {
    jv!({
        "category": concept(codes::C4BB_ADJUDICATION_DISCRIMINATOR, "allowedunits"),
        "value": units,
    })
}

/// `innetwork` / `outofnetwork` from a network status cell (`in`, `out`, or already C4BB).
pub fn network_status(s: &str) -> Option<&'static str> {
    match s.trim().to_ascii_lowercase().as_str() {
        "in" | "innetwork" | "in-network" | "y" => Some("innetwork"),
        "out" | "outofnetwork" | "out-of-network" | "n" => Some("outofnetwork"),
        _ => None,
    }
}

/// The benefit payment status of one line: the cell when it holds a C4BB code, otherwise derived
/// from the billing network status (Synthea writes random `ar001`/`ar002` there).
pub fn line_benefit_status(row: &Row<'_>) -> &'static str {
    match row.text(C::LineBenefitStatus).to_ascii_lowercase().as_str() {
        "innetwork" => "innetwork",
        "outofnetwork" => "outofnetwork",
        "other" => "other",
        _ => network_status(row.text(C::BillingNetwork)).unwrap_or("other"),
    }
}

/// Mixed line statuses make the claim's status `other` (IG financial rules).
pub fn combined_status(mut statuses: impl Iterator<Item = &'static str>) -> &'static str {
    let Some(first) = statuses.next() else {
        return "other";
    };
    if statuses.all(|s| s == first) {
        first
    } else {
        "other"
    }
}

pub fn payment_type(row: &Row<'_>) -> Result<&'static str, IngestError> {
    match row.text(C::PaymentStatus).to_ascii_lowercase().as_str() {
        "" | "paid" | "complete" | "completed" => Ok("paid"),
        "denied" => Ok("denied"),
        "partiallypaid" | "partial" | "partially paid" => Ok("partiallypaid"),
        other => Err(row.error(
            C::PaymentStatus,
            format!("{other:?} is not a payment status (paid, denied, partiallypaid)"),
        )),
    }
}

/// `EOB.payment`: its type (paid, denied, partially paid) and the date it was paid.
pub fn payment<'a>(head: &Row<'a>) -> Result<Node<'a>, IngestError> {
    Ok(jv!({
        "type": concept(codes::C4BB_PAYER_ADJUDICATION_STATUS, payment_type(head)?),
        "date": head.date(C::PaidDate)?.map(fhir_date),
    }))
}
