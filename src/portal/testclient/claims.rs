//! Reading ExplanationOfBenefit resources the way a person reads a claims statement: the date,
//! the kind of care, the provider, what was billed, what the plan paid and what you owe.

use std::collections::HashMap;

use serde_json::Value;

pub use crate::fhir::display::{amount, billed, owe, paid, person_name, service_date, type_code};

/// The claim types of the CARIN IG (`type` search values) and how to say them.
pub const CLAIM_TYPES: &[(&str, &str)] = &[
    ("professional", "Professional"),
    ("institutional", "Institutional"),
    ("pharmacy", "Pharmacy"),
    ("oral", "Oral (dental)"),
    ("vision", "Vision"),
];

/// One line of the claims table.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRow {
    pub id: String,
    pub date: String,
    pub type_code: String,
    pub type_label: String,
    pub provider: String,
    pub billed: String,
    pub paid: String,
    pub owe: String,
}

/// Names of the resources a Bundle carries, by reference (`Organization/x` → its name).
pub fn names(bundle: &Value) -> HashMap<String, String> {
    let mut out = HashMap::new();
    for entry in bundle["entry"].as_array().into_iter().flatten() {
        let r = &entry["resource"];
        let (Some(ty), Some(id)) = (r["resourceType"].as_str(), r["id"].as_str()) else {
            continue;
        };
        let name = match ty {
            "Organization" => r["name"].as_str().map(str::to_string),
            "Practitioner" | "Patient" | "RelatedPerson" => person_name(r),
            _ => None,
        };
        if let Some(name) = name.filter(|n| !n.is_empty()) {
            out.insert(format!("{ty}/{id}"), name);
        }
    }
    out
}

/// The name behind a reference, else its display, else the reference itself.
pub fn resolve(reference: &Value, names: &HashMap<String, String>) -> String {
    let key = reference["reference"].as_str().unwrap_or("");
    let key = key.rsplit('/').take(2).collect::<Vec<_>>();
    let key = match key.as_slice() {
        [id, ty] => format!("{ty}/{id}"),
        _ => String::new(),
    };
    names
        .get(&key)
        .cloned()
        .or_else(|| reference["display"].as_str().map(str::to_string))
        .unwrap_or_else(|| if key.is_empty() { "—".into() } else { key })
}

/// The ExplanationOfBenefit entries of a Bundle.
pub fn eobs(bundle: &Value) -> impl Iterator<Item = &Value> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "ExplanationOfBenefit")
}

pub fn rows(bundle: &Value) -> Vec<ClaimRow> {
    let names = names(bundle);
    eobs(bundle)
        .map(|eob| ClaimRow {
            id: eob["id"].as_str().unwrap_or("").to_string(),
            date: service_date(eob),
            type_code: type_code(eob).into(),
            type_label: type_label(eob),
            provider: resolve(&eob["provider"], &names),
            billed: money(billed(eob)),
            paid: money(paid(eob)),
            owe: money(owe(eob)),
        })
        .collect()
}

/// "Institutional · Inpatient", "Pharmacy", …
pub fn type_label(eob: &Value) -> String {
    let code = type_code(eob).to_string();
    let mut label = CLAIM_TYPES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| l.to_string())
        .or_else(|| {
            eob["type"]["coding"][0]["display"]
                .as_str()
                .map(str::to_string)
        })
        .unwrap_or(code);
    let sub = &eob["subType"]["coding"][0];
    if let Some(sub) = sub["display"].as_str().or(sub["code"].as_str()) {
        label.push_str(" · ");
        label.push_str(sub);
    }
    label
}

/// `$1,234.56`; "—" when absent.
pub fn money(value: Option<f64>) -> String {
    let Some(v) = value else {
        return "—".into();
    };
    let cents = (v.abs() * 100.0).round() as u64;
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}${grouped}.{:02}", cents % 100)
}

/// Offsets of a searchset Bundle's paging links.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Paging {
    pub total: u64,
    pub first: Option<u64>,
    pub previous: Option<u64>,
    pub next: Option<u64>,
    pub last: Option<u64>,
}

pub fn paging(bundle: &Value) -> Paging {
    let mut out = Paging {
        total: bundle["total"].as_u64().unwrap_or(0),
        ..Paging::default()
    };
    for link in bundle["link"].as_array().into_iter().flatten() {
        let Some(url) = link["url"].as_str().and_then(|u| url::Url::parse(u).ok()) else {
            continue;
        };
        let offset = url
            .query_pairs()
            .find(|(k, _)| k == "_offset")
            .and_then(|(_, v)| v.parse().ok())
            .or(Some(0));
        match link["relation"].as_str() {
            Some("first") => out.first = offset,
            Some("previous" | "prev") => out.previous = offset,
            Some("next") => out.next = offset,
            Some("last") => out.last = offset,
            _ => {}
        }
    }
    out
}

/// The claims page's filters, checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Filters {
    pub claim_type: String,
    pub from: String,
    pub to: String,
}

impl Filters {
    /// Keeps only well-formed values; says what was dropped.
    pub fn checked(claim_type: &str, from: &str, to: &str) -> (Filters, Vec<String>) {
        let mut errors = Vec::new();
        let claim_type =
            if claim_type.is_empty() || CLAIM_TYPES.iter().any(|(c, _)| *c == claim_type) {
                claim_type.to_string()
            } else {
                errors.push(format!(
                    "\"{claim_type}\" is not a claim type; showing all types."
                ));
                String::new()
            };
        let mut date = |label: &str, value: &str| {
            if value.is_empty() || is_date(value) {
                value.to_string()
            } else {
                errors.push(format!("The {label} date must look like 2024-01-31."));
                String::new()
            }
        };
        let from = date("from", from.trim());
        let to = date("to", to.trim());
        (
            Filters {
                claim_type,
                from,
                to,
            },
            errors,
        )
    }

    /// The FHIR search parameters for these filters.
    pub fn search_params(&self) -> Vec<(&'static str, String)> {
        let mut params = Vec::new();
        if !self.claim_type.is_empty() {
            params.push(("type", self.claim_type.clone()));
        }
        if !self.from.is_empty() {
            params.push(("service-date", format!("ge{}", self.from)));
        }
        if !self.to.is_empty() {
            params.push(("service-date", format!("le{}", self.to)));
        }
        params
    }

    /// The test client's own query string for these filters (plus extra pairs).
    pub fn query(&self, extra: &[(&str, String)]) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.claim_type.is_empty() {
            pairs.push(("type", self.claim_type.clone()));
        }
        if !self.from.is_empty() {
            pairs.push(("from", self.from.clone()));
        }
        if !self.to.is_empty() {
            pairs.push(("to", self.to.clone()));
        }
        pairs.extend(extra.iter().cloned());
        serde_urlencoded::to_string(&pairs).unwrap_or_default()
    }
}

/// A full calendar date, `YYYY-MM-DD`.
fn is_date(s: &str) -> bool {
    s.len() == 10 && crate::fhir::datetime::is_date(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn eob() -> Value {
        json!({
            "resourceType": "ExplanationOfBenefit", "id": "C1",
            "type": {"coding": [{"code": "institutional"}]},
            "subType": {"coding": [{"code": "inpatient", "display": "Inpatient"}]},
            "billablePeriod": {"start": "2024-03-07", "end": "2024-03-09"},
            "provider": {"reference": "Organization/O1"},
            "total": [
                {"category": {"coding": [{"code": "submitted"}]}, "amount": {"value": 12345.6}},
                {"category": {"coding": [{"code": "benefit"}]}, "amount": {"value": 9000}},
                {"category": {"coding": [{"code": "memberliability"}]}, "amount": {"value": 250.5}}
            ]
        })
    }

    #[test]
    fn a_claim_reads_like_a_statement_line() {
        let bundle = json!({"resourceType": "Bundle", "total": 1, "entry": [
            {"resource": eob()},
            {"resource": {"resourceType": "Organization", "id": "O1", "name": "Kowalski Memorial Hospital"}}
        ]});
        let rows = rows(&bundle);
        assert_eq!(
            rows,
            [ClaimRow {
                id: "C1".into(),
                date: "2024-03-07".into(),
                type_code: "institutional".into(),
                type_label: "Institutional · Inpatient".into(),
                provider: "Kowalski Memorial Hospital".into(),
                billed: "$12,345.60".into(),
                paid: "$9,000.00".into(),
                owe: "$250.50".into(),
            }]
        );
    }

    #[test]
    fn money_and_paging() {
        assert_eq!(money(Some(0.0)), "$0.00");
        assert_eq!(money(Some(1_234_567.891)), "$1,234,567.89");
        assert_eq!(money(Some(-5.5)), "-$5.50");
        assert_eq!(money(None), "—");
        let bundle = json!({"total": 38, "link": [
            {"relation": "self", "url": "http://h/v2/fhir/ExplanationOfBenefit?_count=10"},
            {"relation": "first", "url": "http://h/v2/fhir/ExplanationOfBenefit?_count=10&_offset=0"},
            {"relation": "next", "url": "http://h/v2/fhir/ExplanationOfBenefit?_count=10&_offset=10"},
            {"relation": "last", "url": "http://h/v2/fhir/ExplanationOfBenefit?_count=10&_offset=30"}
        ]});
        assert_eq!(
            paging(&bundle),
            Paging {
                total: 38,
                first: Some(0),
                previous: None,
                next: Some(10),
                last: Some(30)
            }
        );
    }

    #[test]
    fn filters_become_fhir_search_parameters() {
        let (f, errors) = Filters::checked("pharmacy", "2024-01-01", "2024-12-31");
        assert!(errors.is_empty());
        assert_eq!(
            f.search_params(),
            [
                ("type", "pharmacy".to_string()),
                ("service-date", "ge2024-01-01".to_string()),
                ("service-date", "le2024-12-31".to_string())
            ]
        );
        let (f, errors) = Filters::checked("x-ray", "2024-13-01", "yesterday");
        assert_eq!(errors.len(), 3);
        assert_eq!(f, Filters::default());
    }
}
