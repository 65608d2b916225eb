//! `EOB.item`: one per claim line, or one standing for the whole claim when it reported none.

use time::Date;

use super::adjudication::ClaimMoney;
use super::lines::{self, LineAdjudication};
use super::supporting_info::SupportingInfo;
use super::{money, ClaimKind, MapStats};
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::crosswalk;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{absent, concept, concept_display, Node};
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes;
use crate::jv;

/// What every item of one claim shares.
#[derive(Debug, Clone, Copy)]
pub struct ClaimFacts {
    pub kind: ClaimKind,
    /// `billablePeriod.start`: the service date of a line that gives none.
    pub start: Date,
    /// Whether the claim has a process note, which every item then points at.
    pub has_note: bool,
}

/// One item per item row, numbered from 1, each with its own adjudication (`adjudications`
/// is in row order).
pub fn line_items<'a>(
    claim: ClaimFacts,
    item_rows: &[&Row<'a>],
    adjudications: Vec<LineAdjudication<'a>>,
    amounts_at_lines: bool,
    info: &mut SupportingInfo<'a>,
    stats: &mut MapStats,
) -> Result<Vec<Node<'a>>, IngestError> {
    let mut items = Vec::with_capacity(item_rows.len().max(1));
    for (i, (r, adj)) in item_rows.iter().zip(adjudications).enumerate() {
        let information = info.for_line(r, claim.kind);
        let line = Line {
            sequence: i + 1,
            information,
            adjudication: item_adjudication(r, claim.kind, adj, amounts_at_lines)?,
            has_note: claim.has_note,
            claim_start: claim.start,
        };
        items.push(item(r, claim.kind, line, stats)?);
    }
    Ok(items)
}

/// The line's amounts, then its reasons and statuses; nothing when the amounts are on the
/// header (institutional claims whose lines have none).
fn item_adjudication<'a>(
    r: &Row<'a>,
    kind: ClaimKind,
    adj: LineAdjudication<'a>,
    amounts_at_lines: bool,
) -> Result<Vec<Node<'a>>, IngestError> {
    if !amounts_at_lines {
        return Ok(Vec::new());
    }
    if adj.amounts.is_empty() && !kind.is_institutional() {
        return Err(r.error(
            C::LineSubmitted,
            "the line has no amounts: C4BB requires at least one",
        ));
    }
    let mut all = adj.amounts;
    all.extend(adj.others);
    Ok(all)
}

/// The item of a claim without lines. A pharmacy claim must name its drug, so it is refused.
pub fn claim_level<'a>(
    head: &Row<'a>,
    claim: ClaimFacts,
    money: &ClaimMoney<'a>,
    stats: &mut MapStats,
) -> Result<Node<'a>, IngestError> {
    if claim.kind == ClaimKind::Pharmacy {
        return Err(head.error(C::Ndc, "a pharmacy claim needs at least one drug line"));
    }
    stats.claims_without_lines += 1;
    Ok(claim_level_item(
        claim.kind,
        claim.start,
        &money.totals,
        &money.line_statuses,
        money.billing_network,
        claim.has_note,
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

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::cpcds::map::eob::sheet::{json, json_all, Sheet};
    use crate::cpcds::row::parse_iso_date;

    fn facts(kind: ClaimKind) -> ClaimFacts {
        ClaimFacts {
            kind,
            start: parse_iso_date("2022-06-01").unwrap(),
            has_note: true,
        }
    }

    fn line(amounts: Vec<Node<'_>>) -> LineAdjudication<'_> {
        LineAdjudication {
            amounts,
            others: vec![money::allowed_units(2.0)],
            adjustment_reason: None,
        }
    }

    fn categories(adjudication: Vec<Node<'_>>) -> Vec<String> {
        let all = json_all(adjudication);
        all.as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|a| {
                a["category"]["coding"][0]["code"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    #[test]
    fn a_line_takes_its_amounts_then_the_rest_or_nothing_when_they_are_on_the_header() {
        let sheet = Sheet::new(&[C::LineSubmitted], &[&[""], &["5"]]);
        let rows = sheet.rows();
        let r = &rows[0];
        let submitted = money::amounts(&rows[1], money::LINE_AMOUNTS, false).unwrap();
        let professional = ClaimKind::Professional { vision: false };
        let with_amount = item_adjudication(r, professional, line(submitted), true).unwrap();
        assert_eq!(categories(with_amount), ["submitted", "allowedunits"]);

        // Every non-institutional line needs an amount of its own.
        let err = item_adjudication(r, professional, line(Vec::new()), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("the line has no amounts"), "{err}");
        // An institutional line may lack one when its siblings have theirs.
        let inpatient = item_adjudication(r, ClaimKind::Inpatient, line(Vec::new()), true).unwrap();
        assert_eq!(categories(inpatient), ["allowedunits"]);
        // Amounts on the header: the line's adjudication stays empty.
        let header = item_adjudication(r, ClaimKind::Inpatient, line(Vec::new()), false).unwrap();
        assert!(header.is_empty());
    }

    #[test]
    fn line_items_are_numbered_and_dated_from_the_claim_when_the_line_is_not() {
        let sheet = Sheet::new(
            &[C::ProcCode, C::LineFrom, C::LineSubmitted],
            &[&["99213", "2022-06-03", "80"], &["99214", "", "120"]],
        );
        let rows = sheet.rows();
        let item_rows: Vec<&Row<'_>> = rows.iter().collect();
        let kind = ClaimKind::Professional { vision: false };
        let adjudications = item_rows
            .iter()
            .map(|r| lines::line_adjudication(r, kind, false))
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let mut info = SupportingInfo::default();
        let mut stats = MapStats::default();
        let items = json_all(
            line_items(
                facts(kind),
                &item_rows,
                adjudications,
                true,
                &mut info,
                &mut stats,
            )
            .unwrap(),
        );
        let pick = |i: usize, key: &str| items[i][key].clone();
        assert_eq!(pick(0, "sequence"), 1);
        assert_eq!(pick(1, "sequence"), 2);
        assert_eq!(pick(0, "servicedDate"), "2022-06-03");
        assert_eq!(pick(1, "servicedDate"), "2022-06-01");
        assert_eq!(pick(1, "noteNumber"), json!([1]));
        assert_eq!(
            pick(1, "adjudication")[0]["amount"],
            json!({"value": 120.0, "currency": "USD"})
        );
    }

    #[test]
    fn a_claim_without_lines_gets_one_item_for_the_whole_claim_unless_pharmacy() {
        let sheet = Sheet::one(&[(C::Ndc, "")]);
        let head = &sheet.rows()[0];
        let money = ClaimMoney {
            totals: vec![submitted_total()],
            amounts_at_lines: true,
            line_statuses: Vec::new(),
            billing_network: Some("innetwork"),
        };
        let mut stats = MapStats::default();
        let professional = ClaimKind::Professional { vision: false };
        let item = json(&claim_level(head, facts(professional), &money, &mut stats).unwrap());
        assert_eq!(stats.claims_without_lines, 1);
        assert_eq!(item["sequence"], 1);
        assert_eq!(item["servicedDate"], "2022-06-01");
        assert_eq!(item["productOrService"]["coding"][0]["system"], codes::CPT);
        let statuses: Vec<&Value> = item["adjudication"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["category"]["coding"][0]["code"])
            .collect();
        assert_eq!(statuses, ["submitted", "benefitpaymentstatus"]);

        // Institutional: the amounts are on the header, so the item has none.
        let item =
            json(&claim_level(head, facts(ClaimKind::Inpatient), &money, &mut stats).unwrap());
        assert_eq!(item.get("adjudication"), None);
        assert_eq!(
            item["productOrService"]["coding"][0]["code"],
            "not-applicable"
        );

        let err = claim_level(head, facts(ClaimKind::Pharmacy), &money, &mut stats)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs at least one drug line"), "{err}");
        assert_eq!(stats.claims_without_lines, 2);
    }

    fn submitted_total() -> Node<'static> {
        crate::jv!({
            "category": concept(codes::ADJUDICATION, "submitted"),
            "amount": crate::cpcds::map::json::money(1000),
        })
    }
}
