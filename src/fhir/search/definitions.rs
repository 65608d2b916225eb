//! R4 SearchParameter resources generated from the registry: what a generic FHIR server needs
//! to answer the searches this sandbox answers (`carin-sandbox push --with-definitions`). Same
//! registry as the CapabilityStatement, so the two cannot disagree.

use serde_json::{json, Value};

use super::registry::{self, is_carin_definition, ResourceDef, SearchParamDef, C4BB_VERSION};

/// One generated SearchParameter.
#[derive(Debug, Clone)]
pub struct SearchParameterDefinition {
    pub resource_type: &'static str,
    pub code: &'static str,
    /// Its logical id: the last segment of the canonical URL (`explanationofbenefit-patient`).
    pub id: String,
    /// Defined by the CARIN IG (true) or by the R4 specification itself (false: every R4
    /// server already knows it).
    pub carin: bool,
    pub resource: Value,
}

/// Every (resource type, parameter) of the registry except the `_`-prefixed ones every server
/// has (`_id`, `_lastUpdated`), for the given resource types (all registered types if empty).
pub fn search_parameters(types: &[&str]) -> Vec<SearchParameterDefinition> {
    registry::RESOURCES
        .iter()
        .filter(|r| types.is_empty() || types.contains(&r.resource_type))
        .flat_map(|r| {
            r.params
                .iter()
                .filter(|p| !p.code.starts_with('_'))
                .map(move |p| definition(r, p))
        })
        .collect()
}

fn definition(r: &ResourceDef, p: &SearchParamDef) -> SearchParameterDefinition {
    let id = p
        .definition
        .rsplit('/')
        .next()
        .unwrap_or(p.code)
        .to_string();
    let carin = is_carin_definition(p.definition);
    let mut resource = json!({
        "resourceType": "SearchParameter",
        "id": id,
        "url": p.definition,
        "name": name(r.resource_type, p.code),
        "status": "active",
        "experimental": false,
        "publisher": "carin-sandbox (generated from its search parameter registry)",
        "description": p.documentation,
        "code": p.code,
        "base": [r.resource_type],
        "type": p.param_type.as_str(),
        "expression": p.expression,
        "xpathUsage": "normal",
    });
    if carin {
        resource["version"] = json!(C4BB_VERSION);
    }
    if !p.targets.is_empty() {
        resource["target"] = json!(p.targets);
    }
    SearchParameterDefinition {
        resource_type: r.resource_type,
        code: p.code,
        id,
        carin,
        resource,
    }
}

/// A computer-friendly name (`ExplanationOfBenefitServiceDate`): the type and the code's words.
fn name(resource_type: &str, code: &str) -> String {
    let mut out = String::from(resource_type);
    for word in code.split('-') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::id::is_valid_id;

    #[test]
    fn every_parameter_is_a_valid_r4_search_parameter() {
        let all = search_parameters(&[]);
        assert!(all.len() >= 15, "{}", all.len());
        for d in &all {
            let r = &d.resource;
            assert_eq!(r["resourceType"], "SearchParameter");
            assert!(is_valid_id(&d.id), "{}", d.id);
            assert_eq!(r["id"], d.id.as_str());
            // R4 SearchParameter: url, name, status, description, code, base, type are 1..1.
            for field in ["url", "name", "status", "description", "code", "type"] {
                assert!(
                    r[field].as_str().is_some_and(|s| !s.is_empty()),
                    "{}: {field}",
                    d.id
                );
            }
            assert!(r["name"]
                .as_str()
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_alphanumeric())));
            assert_eq!(r["base"], json!([d.resource_type]));
            assert_eq!(r["code"], d.code);
            let expression = r["expression"].as_str().unwrap_or_default();
            assert!(
                expression
                    .split('|')
                    .all(|e| e.trim().starts_with(&format!("{}.", d.resource_type))),
                "{expression}"
            );
            assert_eq!(r["type"] == "reference", r.get("target").is_some());
        }
        let ids: std::collections::BTreeSet<_> = all.iter().map(|d| d.id.as_str()).collect();
        assert_eq!(ids.len(), all.len(), "ids are unique");
    }

    #[test]
    fn carin_parameters_carry_the_ig_url_and_version() {
        let eob = search_parameters(&["ExplanationOfBenefit"]);
        let service = eob.iter().find(|d| d.code == "service-date");
        let Some(service) = service else {
            panic!("no service-date")
        };
        assert!(service.carin);
        assert_eq!(service.id, "explanationofbenefit-service-date");
        assert_eq!(
            service.resource["url"],
            "http://hl7.org/fhir/us/carin-bb/SearchParameter/explanationofbenefit-service-date"
        );
        assert_eq!(service.resource["version"], "2.0.0");
        assert_eq!(service.resource["type"], "date");
        assert_eq!(service.resource["name"], "ExplanationOfBenefitServiceDate");
        assert!(eob
            .iter()
            .all(|d| d.resource_type == "ExplanationOfBenefit"));
        let coverage = search_parameters(&["Coverage"]);
        let beneficiary = coverage.iter().find(|d| d.code == "beneficiary");
        assert!(beneficiary.is_some_and(|d| !d.carin && d.id == "Coverage-beneficiary"));
        assert!(coverage
            .iter()
            .any(|d| d.code == "payor" && d.resource["target"].as_array().is_some()));
    }
}
