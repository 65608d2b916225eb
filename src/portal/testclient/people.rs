//! The beneficiary's Patient and Coverage resources, in plain words.

use serde_json::Value;

use super::claims::{names, person_name, resolve};

pub struct PatientView {
    pub name: String,
    pub birth_date: String,
    pub gender: String,
    pub address: String,
    pub phone: String,
    pub identifiers: Vec<(String, String)>,
    pub race: String,
    pub ethnicity: String,
}

fn extension_text(patient: &Value, url_suffix: &str) -> String {
    patient["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with(url_suffix)))
        .and_then(|e| {
            e["extension"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|x| x["url"] == "text")
                .and_then(|x| x["valueString"].as_str())
        })
        .unwrap_or("")
        .to_string()
}

pub fn patient(p: &Value) -> PatientView {
    let address = &p["address"][0];
    let mut lines: Vec<String> = address["line"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let place: Vec<&str> = ["city", "state", "postalCode"]
        .iter()
        .filter_map(|k| address[*k].as_str())
        .collect();
    if !place.is_empty() {
        lines.push(place.join(" "));
    }
    let phone = p["telecom"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["system"] == "phone")
        .and_then(|t| t["value"].as_str())
        .unwrap_or("")
        .to_string();
    PatientView {
        name: person_name(p).unwrap_or_default(),
        birth_date: p["birthDate"].as_str().unwrap_or("").to_string(),
        gender: p["gender"].as_str().unwrap_or("").to_string(),
        address: lines.join(", "),
        phone,
        identifiers: p["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|i| {
                let kind = i["type"]["coding"][0]["display"]
                    .as_str()
                    .or(i["type"]["text"].as_str())
                    .or(i["system"].as_str())
                    .unwrap_or("Identifier");
                (
                    kind.to_string(),
                    i["value"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect(),
        race: extension_text(p, "us-core-race"),
        ethnicity: extension_text(p, "us-core-ethnicity"),
    }
}

pub struct CoverageView {
    pub id: String,
    pub plan: String,
    pub group: String,
    pub kind: String,
    pub status: String,
    pub period: String,
    pub payor: String,
    pub subscriber_id: String,
    pub relationship: String,
}

pub fn coverages(bundle: &Value) -> Vec<CoverageView> {
    let names = names(bundle);
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| &e["resource"])
        .filter(|r| r["resourceType"] == "Coverage")
        .map(|c| {
            let class = |code: &str| {
                c["class"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|k| k["type"]["coding"][0]["code"] == code)
                    .map(|k| {
                        let value = k["value"].as_str().unwrap_or("");
                        match k["name"].as_str() {
                            Some(name) => format!("{name} ({value})"),
                            None => value.to_string(),
                        }
                    })
                    .unwrap_or_default()
            };
            let period = match (c["period"]["start"].as_str(), c["period"]["end"].as_str()) {
                (Some(s), Some(e)) => format!("{s} to {e}"),
                (Some(s), None) => format!("since {s}"),
                (None, Some(e)) => format!("until {e}"),
                (None, None) => String::new(),
            };
            CoverageView {
                id: c["id"].as_str().unwrap_or("").to_string(),
                plan: class("plan"),
                group: class("group"),
                kind: c["type"]["text"]
                    .as_str()
                    .or(c["type"]["coding"][0]["display"].as_str())
                    .or(c["type"]["coding"][0]["code"].as_str())
                    .unwrap_or("")
                    .to_string(),
                status: c["status"].as_str().unwrap_or("").to_string(),
                period,
                payor: resolve(&c["payor"][0], &names),
                subscriber_id: c["subscriberId"].as_str().unwrap_or("").to_string(),
                relationship: c["relationship"]["coding"][0]["code"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            }
        })
        .collect()
}
