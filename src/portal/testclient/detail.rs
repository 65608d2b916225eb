//! One claim in full, for people: who, when, what it cost and who paid, line by line, with
//! the diagnoses and every adjudication amount.

use std::collections::HashMap;

use serde_json::Value;

use super::claims::{self, money, resolve};

pub struct Diagnosis {
    pub sequence: String,
    pub code: String,
    pub display: String,
    pub kind: String,
}

pub struct Line {
    pub sequence: String,
    pub date: String,
    pub service: String,
    pub code: String,
    pub quantity: String,
    pub billed: String,
    pub allowed: String,
    pub paid: String,
    pub owe: String,
    /// Every adjudication entry: (label, amount or code).
    pub adjudication: Vec<(String, String)>,
}

pub struct ClaimDetail {
    pub id: String,
    pub type_label: String,
    pub status: String,
    pub outcome: String,
    pub period: String,
    pub created: String,
    pub provider: String,
    pub insurer: String,
    pub payment: String,
    pub billed: String,
    pub paid: String,
    pub owe: String,
    pub totals: Vec<(String, String)>,
    pub care_team: Vec<(String, String)>,
    pub diagnoses: Vec<Diagnosis>,
    pub lines: Vec<Line>,
}

/// The first coding's display, else its code.
fn coding_text(concept: &Value) -> String {
    let c = &concept["coding"][0];
    concept["text"]
        .as_str()
        .or(c["display"].as_str())
        .or(c["code"].as_str())
        .unwrap_or("")
        .to_string()
}

/// Words for adjudication category codes the IG uses without a display.
fn category_label(category: &Value) -> String {
    let c = &category["coding"][0];
    if let Some(d) = c["display"].as_str() {
        return d.to_string();
    }
    match c["code"].as_str().unwrap_or("") {
        "allowedunits" => "Allowed units".into(),
        "benefitpaymentstatus" => "Network status".into(),
        "denialreason" => "Denial reason".into(),
        "adjustmentreason" => "Adjustment reason".into(),
        other => other.to_string(),
    }
}

fn adjudication(list: &Value) -> Vec<(String, String)> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            let value = if let Some(v) = a["amount"]["value"].as_f64() {
                money(Some(v))
            } else if let Some(v) = a["value"].as_f64() {
                v.to_string()
            } else {
                let reason = &a["reason"]["coding"][0];
                match reason["code"].as_str() {
                    Some("innetwork") => "In network".into(),
                    Some("outofnetwork") => "Out of network".into(),
                    Some("other") => "Other".into(),
                    _ => coding_text(&a["reason"]),
                }
            };
            (category_label(&a["category"]), value)
        })
        .collect()
}

fn period(p: &Value) -> String {
    match (p["start"].as_str(), p["end"].as_str()) {
        (Some(s), Some(e)) if s != e => format!("{s} to {e}"),
        (Some(s), _) => s.to_string(),
        (None, Some(e)) => e.to_string(),
        (None, None) => String::new(),
    }
}

/// The claim `id` of a Bundle (with its `_include`d resources), if it holds it.
pub fn detail(bundle: &Value, id: &str) -> Option<ClaimDetail> {
    let names: HashMap<String, String> = claims::names(bundle);
    let eob = claims::eobs(bundle).find(|e| e["id"] == id)?;
    let diagnoses = eob["diagnosis"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let concept = &d["diagnosisCodeableConcept"];
            Diagnosis {
                sequence: d["sequence"].to_string(),
                code: concept["coding"][0]["code"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                display: concept["coding"][0]["display"]
                    .as_str()
                    .or(concept["text"].as_str())
                    .unwrap_or("")
                    .to_string(),
                kind: d["type"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(coding_text)
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect();
    let lines = eob["item"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            let adj = &item["adjudication"];
            let product = &item["productOrService"]["coding"][0];
            Line {
                sequence: item["sequence"].to_string(),
                date: item["servicedDate"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| period(&item["servicedPeriod"])),
                service: product["display"]
                    .as_str()
                    .or(item["productOrService"]["text"].as_str())
                    .unwrap_or("")
                    .to_string(),
                code: product["code"].as_str().unwrap_or("").to_string(),
                quantity: item["quantity"]["value"]
                    .as_f64()
                    .map(|q| q.to_string())
                    .unwrap_or_default(),
                billed: money(claims::amount(adj, "submitted")),
                allowed: money(claims::amount(adj, "eligible")),
                paid: money(claims::amount(adj, "benefit")),
                owe: money(claims::amount(adj, "memberliability")),
                adjudication: adjudication(adj),
            }
        })
        .collect();
    let care_team = eob["careTeam"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| (coding_text(&c["role"]), resolve(&c["provider"], &names)))
        .collect();
    let payment = &eob["payment"];
    let payment = match (coding_text(&payment["type"]), payment["date"].as_str()) {
        (t, Some(d)) if !t.is_empty() => format!("{t} on {d}"),
        (t, _) => t,
    };
    Some(ClaimDetail {
        id: id.to_string(),
        type_label: claims::type_label(eob),
        status: eob["status"].as_str().unwrap_or("").to_string(),
        outcome: eob["outcome"].as_str().unwrap_or("").to_string(),
        period: period(&eob["billablePeriod"]),
        created: eob["created"].as_str().unwrap_or("").to_string(),
        provider: resolve(&eob["provider"], &names),
        insurer: resolve(&eob["insurer"], &names),
        payment,
        billed: money(claims::billed(eob)),
        paid: money(claims::paid(eob)),
        owe: money(claims::owe(eob)),
        totals: adjudication(&eob["total"]),
        care_team,
        diagnoses,
        lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_claim_is_spelled_out_line_by_line() {
        let bundle = json!({"entry": [{"resource": {
            "resourceType": "ExplanationOfBenefit", "id": "C1", "status": "active",
            "type": {"coding": [{"code": "professional"}]},
            "billablePeriod": {"start": "2021-01-08", "end": "2021-01-08"},
            "provider": {"reference": "Organization/O1"},
            "careTeam": [{"provider": {"reference": "Practitioner/P1"},
                          "role": {"coding": [{"code": "rendering", "display": "Rendering provider"}]}}],
            "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"code": "I10", "display": "Essential (primary) hypertension"}]},
                           "type": [{"coding": [{"code": "principal"}]}]}],
            "item": [{"sequence": 1, "servicedDate": "2021-01-08", "quantity": {"value": 1},
                      "productOrService": {"coding": [{"code": "99212", "display": "Office visit"}]},
                      "adjudication": [
                        {"category": {"coding": [{"code": "submitted"}]}, "amount": {"value": 88.67}},
                        {"category": {"coding": [{"code": "benefitpaymentstatus"}]}, "reason": {"coding": [{"code": "innetwork"}]}}
                      ]}]
        }}, {"resource": {"resourceType": "Practitioner", "id": "P1", "name": [{"family": "Okafor", "given": ["Anthony"], "prefix": ["Dr."]}]}}]});
        let d = detail(&bundle, "C1").unwrap();
        assert_eq!(d.period, "2021-01-08");
        assert_eq!(
            d.provider, "Organization/O1",
            "unresolved references stay visible"
        );
        assert_eq!(
            d.care_team,
            [(
                "Rendering provider".to_string(),
                "Dr. Anthony Okafor".to_string()
            )]
        );
        assert_eq!(d.diagnoses[0].code, "I10");
        assert_eq!(d.diagnoses[0].kind, "principal");
        let line = &d.lines[0];
        assert_eq!(
            (
                line.service.as_str(),
                line.billed.as_str(),
                line.paid.as_str()
            ),
            ("Office visit", "$88.67", "—")
        );
        assert_eq!(
            line.adjudication[1],
            ("Network status".to_string(), "In network".to_string())
        );
        assert!(detail(&bundle, "other").is_none());
    }
}
