//! How a person reads a resource: whose name it carries, when the care happened, what a claim
//! billed, what the plan paid and what the member owes. One home for these readings, shared by
//! the consent and userinfo paths, the connected-apps page, the test client's pages and the CLI
//! client's tables; each of those only formats what it gets here.

use serde_json::Value;

/// A person's first HumanName as one line: its `text`, else "prefix given family"; `None` when
/// the resource names nobody.
pub fn person_name(resource: &Value) -> Option<String> {
    let name = &resource["name"][0];
    if let Some(text) = name["text"].as_str().filter(|t| !t.trim().is_empty()) {
        return Some(text.to_string());
    }
    let mut parts: Vec<&str> = Vec::new();
    for key in ["prefix", "given"] {
        parts.extend(
            name[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str),
        );
    }
    parts.extend(name["family"].as_str());
    let joined = parts.join(" ");
    (!joined.trim().is_empty()).then_some(joined)
}

/// Whether a CodeableConcept has a coding with `code`.
fn has_code(concept: &Value, code: &str) -> bool {
    concept["coding"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["code"] == code)
}

/// The summed amount of the adjudication or total entries in `list` whose category is `code`;
/// `None` when no entry has that category and an amount.
pub fn amount(list: &Value, code: &str) -> Option<f64> {
    let mut found = None;
    for entry in list.as_array().into_iter().flatten() {
        if has_code(&entry["category"], code) {
            if let Some(v) = entry["amount"]["value"].as_f64() {
                *found.get_or_insert(0.0) += v;
            }
        }
    }
    found
}

/// What the provider billed (the `submitted` total).
pub fn billed(eob: &Value) -> Option<f64> {
    amount(&eob["total"], "submitted")
}

/// What the plan paid: the `benefit` total, else what it paid to the provider and the patient,
/// else the payment's amount.
pub fn paid(eob: &Value) -> Option<f64> {
    let total = &eob["total"];
    amount(total, "benefit")
        .or_else(|| {
            match (
                amount(total, "paidtoprovider"),
                amount(total, "paidtopatient"),
            ) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
            }
        })
        .or_else(|| eob["payment"]["amount"]["value"].as_f64())
}

/// What the member owes (the `memberliability` total).
pub fn owe(eob: &Value) -> Option<f64> {
    amount(&eob["total"], "memberliability")
}

/// When the care happened, as a date: the billable period's start, else the first line's date,
/// else the claim's creation date; "" when none is there.
pub fn service_date(eob: &Value) -> String {
    let item = &eob["item"][0];
    [
        &eob["billablePeriod"]["start"],
        &item["servicedDate"],
        &item["servicedPeriod"]["start"],
        &eob["created"],
    ]
    .into_iter()
    .find_map(Value::as_str)
    .map(|d| d.get(..10).unwrap_or(d).to_string())
    .unwrap_or_default()
}

/// The claim type's code (`professional`, `pharmacy`, …); "" when absent.
pub fn type_code(eob: &Value) -> &str {
    eob["type"]["coding"][0]["code"].as_str().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_name_is_its_text_else_prefix_given_family() {
        let text = json!({"name": [{"text": "Ann Lee", "given": ["X"], "family": "Y"}]});
        assert_eq!(person_name(&text).as_deref(), Some("Ann Lee"));
        let parts =
            json!({"name": [{"prefix": ["Dr."], "given": ["Anthony", "J"], "family": "Okafor"}]});
        assert_eq!(person_name(&parts).as_deref(), Some("Dr. Anthony J Okafor"));
        assert_eq!(person_name(&json!({"name": [{"text": " "}]})), None);
        assert_eq!(person_name(&json!({"id": "p"})), None);
    }

    #[test]
    fn paid_prefers_benefit_then_the_two_payees_then_the_payment() {
        let cat = |code: &str, v: f64| json!({"category": {"coding": [{"code": code}]}, "amount": {"value": v}});
        let benefit = json!({"total": [cat("benefit", 10.0), cat("paidtoprovider", 3.0)]});
        assert_eq!(paid(&benefit), Some(10.0));
        let payees = json!({"total": [cat("paidtoprovider", 40.0), cat("paidtopatient", 2.0)]});
        assert_eq!(paid(&payees), Some(42.0));
        let payment = json!({"payment": {"amount": {"value": 12.5}}});
        assert_eq!(paid(&payment), Some(12.5));
        assert_eq!(paid(&json!({})), None);
        let split = json!({"total": [cat("submitted", 5.0), cat("submitted", 1.5), cat("memberliability", 2.0)]});
        assert_eq!((billed(&split), owe(&split)), (Some(6.5), Some(2.0)));
    }

    #[test]
    fn the_service_date_falls_back_from_the_period_to_the_line_to_creation() {
        let period =
            json!({"billablePeriod": {"start": "2024-01-02T10:00:00Z"}, "created": "2024-03-01"});
        assert_eq!(service_date(&period), "2024-01-02");
        let line =
            json!({"item": [{"servicedPeriod": {"start": "2024-02-03"}}], "created": "2024-03-01"});
        assert_eq!(service_date(&line), "2024-02-03");
        assert_eq!(
            service_date(&json!({"created": "2024-03-01"})),
            "2024-03-01"
        );
        assert_eq!(service_date(&json!({})), "");
    }
}
