//! Organizations (payers and providers), practitioners and related persons.

use super::json::{absent, concept, concept_display, reference, Node};
use super::Mapped;
use crate::cpcds::columns::{OrgCol as O, PractitionerCol as P, RelatedPersonCol as R};
use crate::cpcds::error::IngestError;
use crate::cpcds::row::Row;
use crate::fhir::codes::{self, profile};
use crate::fhir::id::id_for;
use crate::jv;

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
        identifiers.push(jv!({
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
    let value = jv!({
        "resourceType": "Organization",
        "id": id.as_str(),
        "identifier": identifiers,
        "active": true,
        "type": jv!([org_type]),
        "name": name,
        "telecom": row.opt(O::Phone).map(|p| jv!([jv!({"system": "phone", "value": p, "use": "work"})])),
        "address": addr.map(|a| jv!([a])),
    });
    Ok((
        Mapped::new("Organization", &id, profile::ORGANIZATION, &value),
        is_payer,
    ))
}

/// A payer named by coverages or claims but absent from `Organizations.csv` (Synthea D2 never
/// writes payer rows). Its name is unknown, so it says so.
pub fn placeholder_payer(source_id: &str) -> Mapped {
    placeholder_org(source_id, payer_identifier(source_id), "pay", "Payer")
}

/// A provider organization named by claims only (D1 sets without an organizations file).
pub fn placeholder_provider_org(npi: &str) -> Mapped {
    placeholder_org(npi, npi_identifier(npi), "prov", "Healthcare Provider")
}

fn placeholder_org(
    source_id: &str,
    identifier: Node<'_>,
    kind: &'static str,
    kind_display: &'static str,
) -> Mapped {
    let id = id_for(source_id);
    let value = jv!({
        "resourceType": "Organization",
        "id": id.as_str(),
        "identifier": jv!([identifier]),
        "active": true,
        "type": jv!([concept_display(codes::ORGANIZATION_TYPE, kind, kind_display)]),
        "_name": absent("unknown"),
    });
    Mapped::new("Organization", &id, profile::ORGANIZATION, &value)
}

pub fn practitioner(row: &Row<'_>) -> Result<(Mapped, Option<String>), IngestError> {
    let npi = row.required(P::Npi)?;
    let id = id_for(npi);
    let name = row.required(P::Name)?;
    let mut identifiers = vec![npi_identifier(npi)];
    if let Some(tax) = row.opt(P::TaxId) {
        identifiers.push(tax_identifier(tax));
    }
    let taxonomy = row.opt(P::Taxonomy);
    let qualification = taxonomy.map(|t| {
        jv!([jv!({"code": jv!({
            "coding": jv!([jv!({"system": codes::NUCC_TAXONOMY, "code": t})]),
            "text": row.opt(P::Specialty),
        })})])
    });
    let value = jv!({
        "resourceType": "Practitioner",
        "id": id.as_str(),
        "identifier": identifiers,
        "active": true,
        "name": jv!([split_name(name)]),
        "qualification": qualification,
    });
    Ok((
        Mapped::new("Practitioner", &id, profile::PRACTITIONER, &value),
        taxonomy.map(str::to_string),
    ))
}

/// A practitioner named by claims only. US Core requires `name.family`; it is absent, and says so.
pub fn placeholder_practitioner(npi: &str) -> Mapped {
    let id = id_for(npi);
    let value = jv!({
        "resourceType": "Practitioner",
        "id": id.as_str(),
        "identifier": jv!([npi_identifier(npi)]),
        "active": true,
        "name": jv!([jv!({"_family": absent("unknown")})]),
    });
    Mapped::new("Practitioner", &id, profile::PRACTITIONER, &value)
}

pub fn related_person(row: &Row<'_>) -> Result<(Mapped, String), IngestError> {
    let id = id_for(row.required(R::Id)?);
    let member = row.required(R::MemberId)?;
    if row.opt(R::Name).is_none() && row.opt(R::Relationship).is_none() {
        return Err(row.error(
            R::Name,
            "a related person needs a name or a relationship code",
        ));
    }
    let relationship = row
        .opt(R::Relationship)
        .map(|r| jv!([concept(codes::V3_ROLE_CODE, r.to_ascii_uppercase())]));
    let addr = address(
        "home",
        row.opt(R::Address),
        row.opt(R::City),
        None,
        row.opt(R::State).map(us_state),
        row.opt(R::Zip),
        None,
    );
    let value = jv!({
        "resourceType": "RelatedPerson",
        "id": id.as_str(),
        "active": true,
        "patient": reference("Patient", &id_for(member)),
        "relationship": relationship,
        "name": row.opt(R::Name).map(|n| jv!([split_name(n)])),
        "telecom": row.opt(R::Phone).map(|p| jv!([jv!({"system": "phone", "value": p})])),
        "address": addr.map(|a| jv!([a])),
    });
    Ok((
        Mapped::new("RelatedPerson", &id, profile::RELATED_PERSON, &value),
        member.to_string(),
    ))
}

fn npi_identifier(npi: &str) -> Node<'_> {
    jv!({
        "type": concept_display(codes::V2_0203, "NPI", "National Provider Identifier"),
        "system": codes::NPI,
        "value": npi,
    })
}

fn tax_identifier(tax: &str) -> Node<'_> {
    jv!({
        "type": concept_display(codes::V2_0203, "TAX", "Tax ID number"),
        "system": codes::TAX_ID,
        "value": tax,
    })
}

/// A payer id has no agreed namespace; C4BB's `payerid` slice is told apart by its type alone
/// (and the Inferno kit looks for it as the identifier without a system).
fn payer_identifier(id: &str) -> Node<'_> {
    jv!({
        "type": concept_display(codes::C4BB_IDENTIFIER_TYPE, "payerid", "Payer ID"),
        "value": id,
    })
}

/// `Dr. Given Middle Family` → HumanName with prefix, given names and family.
pub fn split_name(full: &str) -> Node<'_> {
    let mut words: Vec<&str> = full.split_whitespace().collect();
    let mut prefix = Vec::new();
    while words.len() > 1 && matches!(words[0], "Dr." | "Mr." | "Mrs." | "Ms." | "Miss") {
        prefix.push(Node::from(words.remove(0)));
    }
    let family = words.pop().unwrap_or_default();
    jv!({
        "family": family,
        "given": words.into_iter().map(Node::from).collect::<Vec<_>>(),
        "prefix": prefix,
    })
}

pub fn address<'a>(
    address_use: &'static str,
    line: Option<&'a str>,
    city: Option<&'a str>,
    district: Option<&'a str>,
    state: Option<&'a str>,
    zip: Option<&'a str>,
    country: Option<&'a str>,
) -> Option<Node<'a>> {
    if [line, city, district, state, zip, country]
        .iter()
        .all(Option::is_none)
    {
        return None;
    }
    let country = country.map(|c| match c {
        "United States" | "United States of America" | "USA" => "US",
        other => other,
    });
    Some(jv!({
        "use": address_use,
        "line": line.map(|l| jv!([l])),
        "city": city,
        "district": district,
        "state": state,
        "postalCode": zip,
        "country": country,
    }))
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
        let text = |n: Node<'_>| String::from_utf8(n.to_bytes()).unwrap();
        assert_eq!(
            text(split_name("Dr. Liz413 Sporer811")),
            r#"{"family":"Sporer811","given":["Liz413"],"prefix":["Dr."]}"#
        );
        assert_eq!(
            text(split_name("Verna758 Ann Dibbert990")),
            r#"{"family":"Dibbert990","given":["Verna758","Ann"]}"#
        );
        assert_eq!(text(split_name("Cher")), r#"{"family":"Cher"}"#);
    }

    #[test]
    fn states_become_usps_codes() {
        assert_eq!(us_state("Massachusetts"), "MA");
        assert_eq!(us_state("MA"), "MA");
        assert_eq!(us_state("New York"), "NY");
    }
}
