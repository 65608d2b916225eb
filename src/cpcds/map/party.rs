//! Organizations (payers and providers), practitioners and related persons.

use serde_json::{json, Value};

use super::json::{absent, concept, concept_display, object, opt_str};
use super::Mapped;
use crate::cpcds::columns::{OrgCol as O, PractitionerCol as P, RelatedPersonCol as R};
use crate::cpcds::error::IngestError;
use crate::cpcds::row::Row;
use crate::fhir::codes::{self, ns, profile};
use crate::fhir::id::id_for;

/// What a claim needs to know about a provider NPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    Practitioner,
    Organization,
}

pub fn organization(row: &Row<'_>) -> Result<(Mapped, bool), IngestError> {
    let source_id = row.required(O::Id)?;
    let id = id_for(source_id);
    let name = row.required(O::Name)?;
    let is_payer = row.text(O::Type).eq_ignore_ascii_case("payer");
    let mut identifiers = Vec::new();
    if is_payer {
        identifiers.push(payer_identifier(source_id));
        if let Some(npi) = row.opt(O::Npi) {
            identifiers.push(npi_identifier(npi));
        }
    } else {
        identifiers.push(npi_identifier(source_id));
    }
    if let Some(tax) = row.opt(O::TaxId) {
        identifiers.push(tax_identifier(tax));
    }
    if let Some(naic) = row.opt(O::Naic) {
        identifiers.push(json!({
            "type": concept_display(codes::C4BB_IDENTIFIER_TYPE, "naiccode", "NAIC Code"),
            "system": codes::NAIC,
            "value": naic,
        }));
    }
    let org_type = if is_payer {
        concept_display(codes::ORGANIZATION_TYPE, "pay", "Payer")
    } else {
        concept_display(codes::ORGANIZATION_TYPE, "prov", "Healthcare Provider")
    };
    // org-2: an organization's address is never a home address.
    let addr = address(
        "work",
        row.opt(O::Address),
        row.opt(O::City),
        None,
        row.opt(O::State).map(us_state),
        row.opt(O::Zip),
        Some("US"),
    );
    let value = object(vec![
        ("resourceType", json!("Organization")),
        ("id", json!(id)),
        ("identifier", Value::Array(identifiers)),
        ("active", json!(true)),
        ("type", json!([org_type])),
        ("name", json!(name)),
        (
            "telecom",
            row.opt(O::Phone).map_or(
                Value::Null,
                |p| json!([{"system": "phone", "value": p, "use": "work"}]),
            ),
        ),
        ("address", addr.map_or(Value::Null, |a| json!([a]))),
    ]);
    Ok((
        Mapped::new("Organization", id, profile::ORGANIZATION, &value),
        is_payer,
    ))
}

/// A payer named by coverages or claims but absent from `Organizations.csv` (Synthea D2 never
/// writes payer rows). Its name is unknown, so it says so.
pub fn placeholder_payer(source_id: &str) -> Mapped {
    let id = id_for(source_id);
    let value = json!({
        "resourceType": "Organization",
        "id": id,
        "identifier": [payer_identifier(source_id)],
        "active": true,
        "type": [concept_display(codes::ORGANIZATION_TYPE, "pay", "Payer")],
        "_name": absent("unknown"),
    });
    Mapped::new("Organization", id, profile::ORGANIZATION, &value)
}

/// A provider organization named by claims only (D1 sets without an organizations file).
pub fn placeholder_provider_org(npi: &str) -> Mapped {
    let id = id_for(npi);
    let value = json!({
        "resourceType": "Organization",
        "id": id,
        "identifier": [npi_identifier(npi)],
        "active": true,
        "type": [concept_display(codes::ORGANIZATION_TYPE, "prov", "Healthcare Provider")],
        "_name": absent("unknown"),
    });
    Mapped::new("Organization", id, profile::ORGANIZATION, &value)
}

pub fn practitioner(row: &Row<'_>) -> Result<(Mapped, Option<String>), IngestError> {
    let npi = row.required(P::Npi)?;
    let id = id_for(npi);
    let name = row.required(P::Name)?;
    let mut identifiers = vec![npi_identifier(npi)];
    if let Some(tax) = row.opt(P::TaxId) {
        identifiers.push(tax_identifier(tax));
    }
    let taxonomy = row.opt(P::Taxonomy).map(str::to_string);
    let qualification = taxonomy.as_deref().map_or(Value::Null, |t| {
        json!([{"code": {"coding": [{"system": codes::NUCC_TAXONOMY, "code": t}], "text": row.opt(P::Specialty)}}])
    });
    let value = object(vec![
        ("resourceType", json!("Practitioner")),
        ("id", json!(id)),
        ("identifier", Value::Array(identifiers)),
        ("active", json!(true)),
        ("name", json!([split_name(name)])),
        ("qualification", qualification),
    ]);
    Ok((
        Mapped::new("Practitioner", id, profile::PRACTITIONER, &value),
        taxonomy,
    ))
}

/// A practitioner named by claims only. US Core requires `name.family`; it is absent, and says so.
pub fn placeholder_practitioner(npi: &str) -> Mapped {
    let id = id_for(npi);
    let value = json!({
        "resourceType": "Practitioner",
        "id": id,
        "identifier": [npi_identifier(npi)],
        "active": true,
        "name": [{"_family": absent("unknown")}],
    });
    Mapped::new("Practitioner", id, profile::PRACTITIONER, &value)
}

pub fn related_person(row: &Row<'_>) -> Result<(Mapped, String), IngestError> {
    let id = id_for(row.required(R::Id)?);
    let member = row.required(R::MemberId)?;
    let relationship = row.opt(R::Relationship).map_or(Value::Null, |r| {
        json!([concept(codes::V3_ROLE_CODE, &r.to_ascii_uppercase())])
    });
    let addr = address(
        "home",
        row.opt(R::Address),
        row.opt(R::City),
        None,
        row.opt(R::State).map(us_state),
        row.opt(R::Zip),
        None,
    );
    let value = object(vec![
        ("resourceType", json!("RelatedPerson")),
        ("id", json!(id)),
        ("active", json!(true)),
        (
            "patient",
            super::json::reference("Patient", &id_for(member)),
        ),
        ("relationship", relationship),
        (
            "name",
            row.opt(R::Name)
                .map_or(Value::Null, |n| json!([split_name(n)])),
        ),
        (
            "telecom",
            row.opt(R::Phone)
                .map_or(Value::Null, |p| json!([{"system": "phone", "value": p}])),
        ),
        ("address", addr.map_or(Value::Null, |a| json!([a]))),
    ]);
    if row.opt(R::Name).is_none() && row.opt(R::Relationship).is_none() {
        return Err(row.error(
            R::Name,
            "a related person needs a name or a relationship code",
        ));
    }
    Ok((
        Mapped::new("RelatedPerson", id, profile::RELATED_PERSON, &value),
        member.to_string(),
    ))
}

fn npi_identifier(npi: &str) -> Value {
    json!({
        "type": concept_display(codes::V2_0203, "NPI", "National Provider Identifier"),
        "system": codes::NPI,
        "value": npi,
    })
}

fn tax_identifier(tax: &str) -> Value {
    json!({
        "type": concept_display(codes::V2_0203, "TAX", "Tax ID number"),
        "system": codes::TAX_ID,
        "value": tax,
    })
}

fn payer_identifier(id: &str) -> Value {
    json!({
        "type": concept_display(codes::C4BB_IDENTIFIER_TYPE, "payerid", "Payer ID"),
        "system": ns::PAYER,
        "value": id,
    })
}

/// `Dr. Given Middle Family` → HumanName with prefix, given names and family.
pub fn split_name(full: &str) -> Value {
    let mut words: Vec<&str> = full.split_whitespace().collect();
    let mut prefix = Vec::new();
    while words.len() > 1 && matches!(words[0], "Dr." | "Mr." | "Mrs." | "Ms." | "Miss") {
        prefix.push(words.remove(0));
    }
    let family = words.pop().unwrap_or_default();
    object(vec![
        ("family", json!(family)),
        ("given", json!(words)),
        ("prefix", json!(prefix)),
    ])
}

pub fn address(
    address_use: &str,
    line: Option<&str>,
    city: Option<&str>,
    district: Option<&str>,
    state: Option<&str>,
    zip: Option<&str>,
    country: Option<&str>,
) -> Option<Value> {
    let country = country.map(|c| match c {
        "United States" | "United States of America" | "USA" => "US",
        other => other,
    });
    let v = object(vec![
        ("line", line.map_or(Value::Null, |l| json!([l]))),
        ("city", opt_str(city)),
        ("district", opt_str(district)),
        ("state", opt_str(state)),
        ("postalCode", opt_str(zip)),
        ("country", opt_str(country)),
    ]);
    (v.as_object().is_some_and(|o| !o.is_empty())).then(|| {
        let mut v = v;
        if let Some(o) = v.as_object_mut() {
            o.insert("use".into(), json!(address_use));
        }
        v
    })
}

/// USPS code for a US state written out in full (Synthea writes `Massachusetts`).
pub fn us_state(s: &str) -> &str {
    const STATES: &[(&str, &str)] = &[
        ("alabama", "AL"),
        ("alaska", "AK"),
        ("arizona", "AZ"),
        ("arkansas", "AR"),
        ("california", "CA"),
        ("colorado", "CO"),
        ("connecticut", "CT"),
        ("delaware", "DE"),
        ("district of columbia", "DC"),
        ("florida", "FL"),
        ("georgia", "GA"),
        ("hawaii", "HI"),
        ("idaho", "ID"),
        ("illinois", "IL"),
        ("indiana", "IN"),
        ("iowa", "IA"),
        ("kansas", "KS"),
        ("kentucky", "KY"),
        ("louisiana", "LA"),
        ("maine", "ME"),
        ("maryland", "MD"),
        ("massachusetts", "MA"),
        ("michigan", "MI"),
        ("minnesota", "MN"),
        ("mississippi", "MS"),
        ("missouri", "MO"),
        ("montana", "MT"),
        ("nebraska", "NE"),
        ("nevada", "NV"),
        ("new hampshire", "NH"),
        ("new jersey", "NJ"),
        ("new mexico", "NM"),
        ("new york", "NY"),
        ("north carolina", "NC"),
        ("north dakota", "ND"),
        ("ohio", "OH"),
        ("oklahoma", "OK"),
        ("oregon", "OR"),
        ("pennsylvania", "PA"),
        ("rhode island", "RI"),
        ("south carolina", "SC"),
        ("south dakota", "SD"),
        ("tennessee", "TN"),
        ("texas", "TX"),
        ("utah", "UT"),
        ("vermont", "VT"),
        ("virginia", "VA"),
        ("washington", "WA"),
        ("west virginia", "WV"),
        ("wisconsin", "WI"),
        ("wyoming", "WY"),
        ("puerto rico", "PR"),
        ("guam", "GU"),
        ("american samoa", "AS"),
        ("virgin islands", "VI"),
        ("northern mariana islands", "MP"),
    ];
    let lower = s.to_ascii_lowercase();
    STATES
        .iter()
        .find(|(name, _)| *name == lower)
        .map_or(s, |(_, code)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_split_prefix_given_family() {
        assert_eq!(
            split_name("Dr. Liz413 Sporer811"),
            json!({"family": "Sporer811", "given": ["Liz413"], "prefix": ["Dr."]})
        );
        assert_eq!(
            split_name("Verna758 Ann Dibbert990")["given"],
            json!(["Verna758", "Ann"])
        );
        assert_eq!(split_name("Cher"), json!({"family": "Cher"}));
    }

    #[test]
    fn states_become_usps_codes() {
        assert_eq!(us_state("Massachusetts"), "MA");
        assert_eq!(us_state("MA"), "MA");
        assert_eq!(us_state("New York"), "NY");
    }
}
