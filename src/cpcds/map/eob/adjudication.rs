//! Where the claim's money goes: `EOB.total`, each line's adjudication, and the header's
//! `EOB.adjudication` (statuses, reasons, and the amounts when the lines do not carry them).

use super::lines::{self, LineAdjudication};
use super::{money, ClaimKind};
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::Node;
use crate::cpcds::row::Row;
use crate::fhir::codes;

/// The claim-level money facts the header and the items both need.
pub struct ClaimMoney<'a> {
    /// `EOB.total`.
    pub totals: Vec<Node<'a>>,
    /// Whether the amounts are on the items (else on the header's adjudication).
    pub amounts_at_lines: bool,
    /// Each line's benefit payment status, in line order.
    pub line_statuses: Vec<&'static str>,
    pub billing_network: Option<&'static str>,
}

/// The totals and each item row's adjudication (returned apart: each item takes its own).
pub fn claim_money<'a>(
    head: &Row<'a>,
    item_rows: &[&Row<'a>],
    kind: ClaimKind,
    has_prior_payer: bool,
) -> Result<(ClaimMoney<'a>, Vec<LineAdjudication<'a>>), IngestError> {
    let totals = money::amounts(head, money::HEADER_AMOUNTS, has_prior_payer)?;
    if totals.is_empty() {
        return Err(head.error(
            C::TotSubmitted,
            "the claim has no amounts: C4BB requires at least one total",
        ));
    }
    let mut line_adjudications = Vec::with_capacity(item_rows.len());
    for r in item_rows {
        line_adjudications.push(lines::line_adjudication(r, kind, has_prior_payer)?);
    }
    let money = ClaimMoney {
        totals,
        amounts_at_lines: amounts_at_lines(kind, &line_adjudications),
        line_statuses: item_rows
            .iter()
            .map(|r| money::line_benefit_status(r))
            .collect(),
        billing_network: money::network_status(head.text(C::BillingNetwork)),
    };
    Ok((money, line_adjudications))
}

/// Institutional claims carry amounts at line level when any line has one, else at header
/// level, never both; every other profile carries them on its lines.
fn amounts_at_lines(kind: ClaimKind, lines: &[LineAdjudication<'_>]) -> bool {
    !kind.is_institutional() || lines.iter().any(|a| !a.amounts.is_empty())
}

/// `EOB.adjudication`: benefit payment, billing and rendering network statuses, adjustment
/// reasons, and the totals when the lines do not carry amounts.
pub fn header_adjudication<'a>(
    head: &Row<'a>,
    kind: ClaimKind,
    money: &ClaimMoney<'a>,
    lines: &[LineAdjudication<'a>],
) -> Result<Vec<Node<'a>>, IngestError> {
    let mut header = Vec::new();
    if matches!(
        kind,
        ClaimKind::Inpatient | ClaimKind::Outpatient | ClaimKind::Pharmacy | ClaimKind::Oral
    ) {
        let status = if money.line_statuses.is_empty() {
            money.billing_network.unwrap_or("other")
        } else {
            money::combined_status(money.line_statuses.iter().copied())
        };
        header.push(money::status_adjudication("benefitpaymentstatus", status));
    }
    if let Some(n) = money.billing_network {
        header.push(money::status_adjudication("billingnetworkstatus", n));
    }
    if matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral) {
        // The performing provider renders the service; without a status of its own, the
        // billing provider's stands in.
        let rendering_network =
            money::network_status(head.text(C::PerformingNetwork)).or(money.billing_network);
        match rendering_network {
            Some(n) => header.push(money::status_adjudication("renderingnetworkstatus", n)),
            None if kind == ClaimKind::Oral => {
                return Err(head.error(
                    C::PerformingNetwork,
                    "an oral claim needs the rendering (performing) provider's network status",
                ))
            }
            None => {}
        }
    }
    for reason in header_reasons(head.opt(C::PaymentDenial), money.amounts_at_lines, lines) {
        header.push(money::reason_adjudication(
            "adjustmentreason",
            codes::CARC,
            reason,
        ));
    }
    if !money.amounts_at_lines {
        header.extend(money.totals.iter().cloned());
    }
    Ok(header)
}

/// The claim's denial reason, then — when the amounts are on the header — the lines' reasons,
/// each once: an item adjudication needs an amount, so the reasons move up with the amounts.
fn header_reasons<'a>(
    claim_denial: Option<&'a str>,
    amounts_at_lines: bool,
    lines: &[LineAdjudication<'a>],
) -> Vec<&'a str> {
    let mut reasons: Vec<&str> = claim_denial.into_iter().collect();
    if !amounts_at_lines {
        for reason in lines.iter().filter_map(|a| a.adjustment_reason) {
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpcds::map::eob::sheet::{json_all, Sheet};

    /// Each header adjudication as `category` or `category=reason`.
    fn summary(header: Vec<Node<'_>>) -> Vec<String> {
        let code = |v: &serde_json::Value| v["coding"][0]["code"].as_str().map(str::to_string);
        // An empty list serializes to nothing.
        json_all(header)
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|a| {
                let category = code(&a["category"]).unwrap();
                match code(&a["reason"]) {
                    Some(reason) => format!("{category}={reason}"),
                    None => category,
                }
            })
            .collect()
    }

    /// An outpatient claim of two revenue lines denied for 45 and 97; `first_line_amount`
    /// is the first line's submitted amount.
    fn outpatient(first_line_amount: &str) -> Sheet {
        let claim = ["250", "45", "in"];
        Sheet::new(
            &[
                C::TotSubmitted,
                C::PaymentDenial,
                C::BillingNetwork,
                C::Revenue,
                C::LineDenial,
                C::LineSubmitted,
            ],
            &[
                &[
                    claim[0],
                    claim[1],
                    claim[2],
                    "0450",
                    "45",
                    first_line_amount,
                ],
                &[claim[0], claim[1], claim[2], "0300", "97", ""],
            ],
        )
    }

    fn header_of(sheet: &Sheet, kind: ClaimKind) -> Result<(bool, Vec<String>), String> {
        let rows = sheet.rows();
        let item_rows: Vec<&Row<'_>> = rows.iter().collect();
        let (money, lines) =
            claim_money(&rows[0], &item_rows, kind, false).map_err(|e| e.to_string())?;
        let header =
            header_adjudication(&rows[0], kind, &money, &lines).map_err(|e| e.to_string())?;
        Ok((money.amounts_at_lines, summary(header)))
    }

    #[test]
    fn institutional_amounts_move_to_the_header_with_the_lines_reasons() {
        let (at_lines, header) = header_of(&outpatient(""), ClaimKind::Outpatient).unwrap();
        assert!(!at_lines);
        assert_eq!(
            header,
            [
                "benefitpaymentstatus=innetwork",
                "billingnetworkstatus=innetwork",
                "adjustmentreason=45",
                "adjustmentreason=97",
                "submitted",
            ]
        );
    }

    #[test]
    fn institutional_lines_with_amounts_keep_them_and_their_reasons() {
        let (at_lines, header) = header_of(&outpatient("100"), ClaimKind::Outpatient).unwrap();
        assert!(at_lines);
        assert_eq!(
            header,
            [
                "benefitpaymentstatus=innetwork",
                "billingnetworkstatus=innetwork",
                "adjustmentreason=45",
            ]
        );
    }

    #[test]
    fn rendering_network_falls_back_to_billing_and_an_oral_claim_needs_one() {
        let billing_only = Sheet::one(&[(C::TotSubmitted, "10"), (C::BillingNetwork, "out")]);
        let (_, header) =
            header_of(&billing_only, ClaimKind::Professional { vision: false }).unwrap();
        assert_eq!(
            header,
            [
                "billingnetworkstatus=outofnetwork",
                "renderingnetworkstatus=outofnetwork"
            ]
        );
        let performing = Sheet::one(&[
            (C::TotSubmitted, "10"),
            (C::BillingNetwork, "out"),
            (C::PerformingNetwork, "in"),
        ]);
        let (_, header) = header_of(&performing, ClaimKind::Professional { vision: true }).unwrap();
        assert_eq!(header[1], "renderingnetworkstatus=innetwork");

        let unknown = Sheet::one(&[(C::TotSubmitted, "10"), (C::PerformingNetwork, "")]);
        let (_, header) = header_of(&unknown, ClaimKind::Professional { vision: false }).unwrap();
        assert!(header.is_empty(), "{header:?}");
        let err = header_of(&unknown, ClaimKind::Oral).unwrap_err();
        assert!(
            err.contains("rendering (performing) provider's network status"),
            "{err}"
        );
    }

    #[test]
    fn a_claim_without_amounts_is_refused() {
        let sheet = Sheet::one(&[(C::TotSubmitted, ""), (C::BillingNetwork, "in")]);
        let err = header_of(&sheet, ClaimKind::Pharmacy).unwrap_err();
        assert!(err.contains("the claim has no amounts"), "{err}");
    }
}
