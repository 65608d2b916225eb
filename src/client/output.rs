//! Search results for people (aligned tables) and for programs (JSON, NDJSON).

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::fhir::SearchResult;
use crate::fhir::display;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// An aligned table of the main fields.
    #[default]
    Table,
    /// One searchset Bundle holding every page's entries.
    Json,
    /// One resource per line (matches, then included resources).
    Ndjson,
}

/// Renders `result` of a search on `resource_type`.
pub fn render(resource_type: &str, result: &SearchResult, format: Format) -> String {
    match format {
        Format::Json => {
            let mut entries: Vec<Value> = result
                .matches
                .iter()
                .map(|r| json!({"resource": r, "search": {"mode": "match"}}))
                .collect();
            entries.extend(
                result
                    .included
                    .iter()
                    .map(|r| json!({"resource": r, "search": {"mode": "include"}})),
            );
            let mut bundle = json!({"resourceType": "Bundle", "type": "searchset"});
            if let Some(t) = result.total {
                bundle["total"] = json!(t);
            }
            bundle["entry"] = Value::Array(entries);
            if let Some(next) = &result.next {
                bundle["link"] = json!([{"relation": "next", "url": next}]);
            }
            let mut s = serde_json::to_string_pretty(&bundle).unwrap_or_default();
            s.push('\n');
            s
        }
        Format::Ndjson => {
            let mut s = String::new();
            for r in result.matches.iter().chain(&result.included) {
                s.push_str(&r.to_string());
                s.push('\n');
            }
            s
        }
        Format::Table => table(resource_type, result),
    }
}

fn table(resource_type: &str, result: &SearchResult) -> String {
    let (headers, rows): (&[&str], Vec<Vec<String>>) = match resource_type {
        "ExplanationOfBenefit" => (
            &[
                "ID",
                "TYPE",
                "SERVICE",
                "STATUS",
                "PROVIDER",
                "SUBMITTED",
                "PAID",
            ],
            result.matches.iter().map(eob_row).collect(),
        ),
        "Patient" => (
            &["ID", "NAME", "BORN", "GENDER", "ADDRESS"],
            result.matches.iter().map(patient_row).collect(),
        ),
        "Coverage" => (
            &["ID", "STATUS", "TYPE", "PAYOR", "PERIOD"],
            result.matches.iter().map(coverage_row).collect(),
        ),
        _ => (
            &["TYPE", "ID"],
            result
                .matches
                .iter()
                .map(|r| vec![text(r, "/resourceType"), text(r, "/id")])
                .collect(),
        ),
    };
    let mut out = align(headers, &rows);
    let shown = result.matches.len();
    let _ = match result.total {
        Some(t) => write!(out, "{shown} of {t} {resource_type}"),
        None => write!(out, "{shown} {resource_type}"),
    };
    let _ = write!(
        out,
        " ({} page{})",
        result.pages,
        if result.pages == 1 { "" } else { "s" }
    );
    if !result.included.is_empty() {
        let mut kinds = std::collections::BTreeMap::<String, usize>::new();
        for r in &result.included {
            *kinds.entry(text(r, "/resourceType")).or_default() += 1;
        }
        let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(out, "; included {}", list.join(", "));
    }
    out.push('\n');
    if result.next.is_some() {
        out.push_str("more results on the server: add --all-pages to fetch them\n");
    }
    out
}

/// Columns padded to their widest cell (by characters); the last column is not padded.
fn align(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i + 1 == widths.len() {
                s.push_str(cell);
            } else {
                let pad = w.saturating_sub(cell.chars().count());
                s.push_str(cell);
                s.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(&mut headers.iter().copied());
    for row in rows {
        line(&mut row.iter().map(String::as_str));
    }
    out
}

fn text(v: &Value, pointer: &str) -> String {
    match v.pointer(pointer) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The first non-empty of several pointers.
fn first(v: &Value, pointers: &[&str]) -> String {
    pointers
        .iter()
        .map(|p| text(v, p))
        .find(|s| !s.is_empty())
        .unwrap_or_default()
}

fn reference_or_display(v: &Value, at: &str) -> String {
    first(v, &[&format!("{at}/display"), &format!("{at}/reference")])
}

fn period(v: &Value, at: &str) -> String {
    let start = text(v, &format!("{at}/start"));
    let end = text(v, &format!("{at}/end"));
    match (start.is_empty(), end.is_empty()) {
        (true, true) => String::new(),
        (false, true) => format!("{start}…"),
        (true, false) => format!("…{end}"),
        (false, false) if start == end => start,
        (false, false) => format!("{start}..{end}"),
    }
}

fn eob_row(eob: &Value) -> Vec<String> {
    let service = {
        let p = period(eob, "/billablePeriod");
        if p.is_empty() {
            first(
                eob,
                &["/item/0/servicedDate", "/item/0/servicedPeriod/start"],
            )
        } else {
            p
        }
    };
    let amount = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    vec![
        text(eob, "/id"),
        first(eob, &["/type/coding/0/code", "/type/text"]),
        service,
        text(eob, "/status"),
        reference_or_display(eob, "/provider"),
        amount(display::billed(eob)),
        amount(display::paid(eob)),
    ]
}

fn patient_row(p: &Value) -> Vec<String> {
    let name = display::person_name(p).unwrap_or_default();
    let address = [
        "/address/0/city",
        "/address/0/state",
        "/address/0/postalCode",
    ]
    .iter()
    .map(|ptr| text(p, ptr))
    .filter(|s| !s.is_empty())
    .collect::<Vec<_>>()
    .join(", ");
    vec![
        text(p, "/id"),
        name,
        text(p, "/birthDate"),
        text(p, "/gender"),
        address,
    ]
}

fn coverage_row(c: &Value) -> Vec<String> {
    vec![
        text(c, "/id"),
        text(c, "/status"),
        first(
            c,
            &[
                "/type/text",
                "/type/coding/0/display",
                "/type/coding/0/code",
            ],
        ),
        reference_or_display(c, "/payor/0"),
        period(c, "/period"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(matches: Vec<Value>) -> SearchResult {
        SearchResult {
            total: Some(matches.len() as u64),
            matches,
            pages: 1,
            ..SearchResult::default()
        }
    }

    #[test]
    fn eob_table_has_one_aligned_row_per_claim() {
        let r = result(vec![
            json!({"resourceType": "ExplanationOfBenefit", "id": "e1", "status": "active",
                   "type": {"coding": [{"code": "pharmacy"}]},
                   "billablePeriod": {"start": "2024-01-02", "end": "2024-01-02"},
                   "provider": {"reference": "Organization/o1"},
                   "payment": {"amount": {"value": 12.5, "currency": "USD"}}}),
            json!({"resourceType": "ExplanationOfBenefit", "id": "e22", "status": "active",
                   "type": {"coding": [{"code": "professional"}]},
                   "billablePeriod": {"start": "2024-02-01", "end": "2024-02-03"},
                   "total": [{"category": {"coding": [{"code": "paidtoprovider"}]},
                              "amount": {"value": 40}},
                             {"category": {"coding": [{"code": "submitted"}]},
                              "amount": {"value": 55.5}},
                             {"category": {"coding": [{"code": "paidtopatient"}]},
                              "amount": {"value": 2}}]}),
        ]);
        let t = render("ExplanationOfBenefit", &r, Format::Table);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("ID   TYPE"), "{t}");
        assert!(
            lines[1].contains("pharmacy")
                && lines[1].contains("2024-01-02")
                && lines[1].ends_with("12.50"),
            "{t}"
        );
        assert!(
            lines[2].contains("2024-02-01..2024-02-03") && lines[2].ends_with("55.50      42.00"),
            "{t}"
        );
        assert_eq!(lines[3], "2 of 2 ExplanationOfBenefit (1 page)");
    }

    #[test]
    fn ndjson_and_json_carry_every_resource() {
        let mut r = result(vec![json!({"resourceType": "Patient", "id": "p"})]);
        r.included
            .push(json!({"resourceType": "Organization", "id": "o"}));
        let nd = render("Patient", &r, Format::Ndjson);
        assert_eq!(nd.lines().count(), 2);
        let b: Value = serde_json::from_str(&render("Patient", &r, Format::Json)).expect("json");
        assert_eq!(b["entry"][1]["search"]["mode"], "include");
        assert_eq!(b["total"], 1);
        let t = render("Patient", &r, Format::Table);
        assert!(t.contains("included 1 Organization"), "{t}");
    }
}
