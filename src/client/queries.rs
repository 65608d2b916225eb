//! Command-line filters turned into FHIR search parameters, in the server's dialect.

use super::discovery::Flavor;
use super::error::ClientError;

/// `client eob` filters.
#[derive(Debug, Clone, Default)]
pub struct EobFilters {
    /// Claim types (`pharmacy`, `professional`, …; comma lists allowed).
    pub types: Vec<String>,
    /// Shorthand for `service-date=ge{date}`.
    pub since: Option<String>,
    /// `service-date` values with a prefix (`ge2023-01-01`), repeatable.
    pub service_date: Vec<String>,
    /// `_lastUpdated` values with a prefix (`gt2024-05-01T00:00:00Z`), repeatable.
    pub last_updated: Vec<String>,
    /// Ask for the referenced resources too (`_include=ExplanationOfBenefit:*`).
    pub include: bool,
    /// Page size (`_count`).
    pub count: Option<u32>,
}

const PREFIXES: [&str; 9] = ["eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap"];

/// Checks `[prefix]YYYY[-MM[-DD[Thh:mm[:ss[.fff]][Z|±hh:mm]]]]`; returns it unchanged.
pub fn date_filter(option: &str, value: &str, prefix_allowed: bool) -> Result<String, ClientError> {
    let bad = || {
        ClientError::Usage(if prefix_allowed {
            format!("{option} {value}: expected a date with an optional prefix, such as ge2023-01-01 or lt2024-06-30T12:00:00Z")
        } else {
            format!("{option} {value}: expected a date such as 2024-01-01")
        })
    };
    let date = match PREFIXES.iter().find(|p| value.starts_with(**p)) {
        Some(p) if prefix_allowed => &value[p.len()..],
        Some(_) => return Err(bad()),
        None => value,
    };
    if is_fhir_date(date) {
        Ok(value.to_string())
    } else {
        Err(bad())
    }
}

/// The server's own search-value grammar (`fhir::search::date`), so the client refuses
/// exactly what the server would answer 400 to.
fn is_fhir_date(s: &str) -> bool {
    crate::fhir::search::date::parse_range(s, false).is_ok()
}

/// Blue Button 2.0 types claims by their CMS source, not by CARIN profile; the CARIN names
/// are translated so one command line works on both servers.
fn bluebutton_types(t: &str) -> Vec<&str> {
    match t {
        "pharmacy" => vec!["pde"],
        "professional" | "professional-nonclinician" => vec!["carrier", "dme"],
        "institutional" => vec!["inpatient", "outpatient", "snf", "hospice", "hha"],
        other => vec![other],
    }
}

/// The ExplanationOfBenefit search parameters for `filters`.
pub fn eob_params(
    filters: &EobFilters,
    flavor: Flavor,
    patient: Option<&str>,
) -> Result<Vec<(String, String)>, ClientError> {
    let mut params = Vec::new();
    if let Some(p) = patient {
        params.push(("patient".to_string(), p.to_string()));
    }
    let types: Vec<String> = filters
        .types
        .iter()
        .flat_map(|t| t.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .flat_map(|t| match flavor {
            Flavor::Smart => vec![t],
            Flavor::BlueButton => bluebutton_types(&t)
                .into_iter()
                .map(str::to_string)
                .collect(),
        })
        .collect();
    if !types.is_empty() {
        params.push(("type".into(), types.join(",")));
    }
    if let Some(since) = &filters.since {
        let d = date_filter("--since", since, false)?;
        params.push(("service-date".into(), format!("ge{d}")));
    }
    for v in &filters.service_date {
        params.push((
            "service-date".into(),
            date_filter("--service-date", v, true)?,
        ));
    }
    for v in &filters.last_updated {
        let v = date_filter("--lastupdated", v, true)?;
        if flavor == Flavor::BlueButton
            && !["gt", "ge", "lt", "le"].iter().any(|p| v.starts_with(p))
        {
            return Err(ClientError::Usage(format!(
                "--lastupdated {v}: Blue Button needs a gt, ge, lt or le prefix"
            )));
        }
        params.push(("_lastUpdated".into(), v));
    }
    if filters.include {
        params.push(("_include".into(), "ExplanationOfBenefit:*".into()));
    }
    if let Some(n) = filters.count {
        params.push(("_count".into(), n.to_string()));
    }
    Ok(params)
}

/// `Patient?_id={patient}`: a searchset either way, so every command pages the same.
pub fn patient_params(patient: Option<&str>) -> Vec<(String, String)> {
    patient
        .map(|p| vec![("_id".to_string(), p.to_string())])
        .unwrap_or_default()
}

/// `Coverage?beneficiary=Patient/{patient}`.
pub fn coverage_params(patient: Option<&str>) -> Vec<(String, String)> {
    patient
        .map(|p| vec![("beneficiary".to_string(), format!("Patient/{p}"))])
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| ((*a).to_string(), (*b).to_string()))
            .collect()
    }

    #[test]
    fn filters_become_search_parameters() {
        let f = EobFilters {
            types: vec!["Pharmacy,professional".into()],
            since: Some("2024-01-01".into()),
            service_date: vec!["le2024-12-31".into()],
            last_updated: vec!["gt2025-01-01T00:00:00Z".into()],
            include: true,
            count: Some(5),
        };
        assert_eq!(
            eob_params(&f, Flavor::Smart, Some("M00001")).expect("ok"),
            pairs(&[
                ("patient", "M00001"),
                ("type", "pharmacy,professional"),
                ("service-date", "ge2024-01-01"),
                ("service-date", "le2024-12-31"),
                ("_lastUpdated", "gt2025-01-01T00:00:00Z"),
                ("_include", "ExplanationOfBenefit:*"),
                ("_count", "5"),
            ])
        );
        let bb = eob_params(&f, Flavor::BlueButton, None).expect("ok");
        assert_eq!(bb[0], ("type".to_string(), "pde,carrier,dme".to_string()));
    }

    #[test]
    fn bad_dates_are_refused_with_the_option_named() {
        for (opt, v, prefix) in [
            ("--since", "ge2024-01-01", false),
            ("--since", "2024/01/01", false),
            ("--service-date", "ge2024-13-01", true),
            ("--lastupdated", "yesterday", true),
            ("--lastupdated", "gt2024-01-01T25", true),
        ] {
            let e = date_filter(opt, v, prefix).expect_err(v);
            assert!(e.to_string().starts_with(&format!("{opt} {v}:")), "{e}");
        }
        for v in [
            "2024",
            "ge2024-02",
            "lt2024-06-30T12:00:00Z",
            "ge2024-06-30T12:00:00.5+02:00",
            "2024-01-01T10:00",
        ] {
            assert_eq!(date_filter("--x", v, true).expect(v), v);
        }
        let f = EobFilters {
            last_updated: vec!["2024-01-01".into()],
            ..EobFilters::default()
        };
        assert!(eob_params(&f, Flavor::BlueButton, None).is_err());
        assert!(eob_params(&f, Flavor::Smart, None).is_ok());
    }
}
