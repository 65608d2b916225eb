//! The single source of truth for what the search API supports: resource types, search
//! parameters (with canonical definition, element paths and reference targets), `_include`
//! values and result parameters. The CapabilityStatement is generated from [`RESOURCES`].

/// A search parameter type (only the ones the CARIN resources need).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    Token,
    Reference,
    Date,
}

impl ParamType {
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::Token => "token",
            ParamType::Reference => "reference",
            ParamType::Date => "date",
        }
    }
}

/// A CapabilityStatement expectation (`capabilitystatement-expectation` extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    Shall,
    Should,
    May,
}

impl Expectation {
    pub fn as_str(self) -> &'static str {
        match self {
            Expectation::Shall => "SHALL",
            Expectation::Should => "SHOULD",
            Expectation::May => "MAY",
        }
    }
}

/// One search parameter of one resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SearchParamDef {
    /// The name used in the query string (`service-date`).
    pub code: &'static str,
    pub param_type: ParamType,
    /// Canonical URL of the SearchParameter resource.
    pub definition: &'static str,
    /// The FHIRPath expression as published (documentation only).
    pub expression: &'static str,
    /// Element paths from the resource root, dot-separated, choice types spelled out
    /// (`item.servicedPeriod.start`); arrays are flattened at every step.
    pub paths: &'static [&'static str],
    /// Allowed reference target types (reference parameters only).
    pub targets: &'static [&'static str],
    pub documentation: &'static str,
    /// Expectation in the C4BB CapabilityStatement; `None` for parameters we add.
    pub expectation: Option<Expectation>,
    /// Usable in `_sort`.
    pub sortable: bool,
}

/// One element path an `_include` follows, with the resource types it may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncludePath {
    pub path: &'static str,
    pub targets: &'static [&'static str],
}

/// An `_include` value `Source:name` (name `*` = every include of the source).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncludeDef {
    pub name: &'static str,
    pub paths: &'static [IncludePath],
}

/// One supported resource type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceDef {
    pub resource_type: &'static str,
    pub expectation: Expectation,
    pub search_expectation: Expectation,
    /// C4BB profiles (unversioned canonical URLs; the version is [`C4BB_VERSION`]).
    pub profiles: &'static [&'static str],
    pub documentation: Option<&'static str>,
    pub params: &'static [SearchParamDef],
    pub includes: &'static [IncludeDef],
}

impl ResourceDef {
    pub fn param(&self, code: &str) -> Option<&'static SearchParamDef> {
        self.params.iter().find(|p| p.code == code)
    }

    /// `Source:name` strings for the CapabilityStatement `searchInclude`.
    pub fn include_values(&self) -> Vec<String> {
        self.includes
            .iter()
            .map(|i| format!("{}:{}", self.resource_type, i.name))
            .collect()
    }
}

pub const C4BB_VERSION: &str = "2.0.0";
pub const C4BB_CAPABILITY: &str = "http://hl7.org/fhir/us/carin-bb/CapabilityStatement/c4bb";
pub const C4BB_IG: &str =
    "http://hl7.org/fhir/us/carin-bb/ImplementationGuide/hl7.fhir.us.carin-bb";

/// Result (non-filter) parameters the parser understands.
pub const RESULT_PARAMS: &[&str] = &[
    "_count",
    "_offset",
    "_sort",
    "_summary",
    "_total",
    "_include",
    "_include:iterate",
    "_format",
    "_elements",
];

const PROVIDER_TYPES: &[&str] = &["Practitioner", "Organization", "PractitionerRole"];
const PAYOR_TYPES: &[&str] = &["Organization", "Patient", "RelatedPerson"];
const PAYEE_TYPES: &[&str] = &[
    "Practitioner",
    "PractitionerRole",
    "Organization",
    "Patient",
    "RelatedPerson",
];

const ID: SearchParamDef = SearchParamDef {
    code: "_id",
    param_type: ParamType::Token,
    definition: "http://hl7.org/fhir/SearchParameter/Resource-id",
    expression: "Resource.id",
    paths: &["id"],
    targets: &[],
    documentation: "Logical id of the resource; comma-separated ids are ORed.",
    expectation: Some(Expectation::Shall),
    sortable: true,
};

const LAST_UPDATED: SearchParamDef = SearchParamDef {
    code: "_lastUpdated",
    param_type: ParamType::Date,
    definition: "http://hl7.org/fhir/SearchParameter/Resource-lastUpdated",
    expression: "Resource.meta.lastUpdated",
    paths: &["meta.lastUpdated"],
    targets: &[],
    documentation: "When the resource version last changed (meta.lastUpdated); all FHIR date \
                    prefixes, implicit eq at the precision given.",
    expectation: Some(Expectation::Should),
    sortable: true,
};

const fn identifier(definition: &'static str, expression: &'static str) -> SearchParamDef {
    SearchParamDef {
        code: "identifier",
        param_type: ParamType::Token,
        definition,
        expression,
        paths: &["identifier"],
        targets: &[],
        documentation: "A business identifier: value, system|value, |value or system|.",
        expectation: None,
        sortable: false,
    }
}

const fn reference(
    code: &'static str,
    definition: &'static str,
    expression: &'static str,
    paths: &'static [&'static str],
    targets: &'static [&'static str],
    documentation: &'static str,
    expectation: Option<Expectation>,
) -> SearchParamDef {
    SearchParamDef {
        code,
        param_type: ParamType::Reference,
        definition,
        expression,
        paths,
        targets,
        documentation,
        expectation,
        sortable: false,
    }
}

const CARIN_SP: &str = "http://hl7.org/fhir/us/carin-bb/SearchParameter/";

macro_rules! carin_sp {
    ($tail:literal) => {
        concat!("http://hl7.org/fhir/us/carin-bb/SearchParameter/", $tail)
    };
}

const EOB_PARAMS: &[SearchParamDef] = &[
    SearchParamDef {
        expectation: Some(Expectation::Shall),
        ..ID
    },
    SearchParamDef {
        expectation: Some(Expectation::Shall),
        ..LAST_UPDATED
    },
    reference(
        "patient",
        carin_sp!("explanationofbenefit-patient"),
        "ExplanationOfBenefit.patient",
        &["patient"],
        &["Patient"],
        "The reference to the patient: id, Patient/id or an absolute URL.",
        Some(Expectation::Shall),
    ),
    SearchParamDef {
        code: "type",
        param_type: ParamType::Token,
        definition: carin_sp!("explanationofbenefit-type"),
        expression: "ExplanationOfBenefit.type",
        paths: &["type"],
        targets: &[],
        documentation: "The type of the ExplanationOfBenefit (claim-type code, with or \
                        without system).",
        expectation: Some(Expectation::Shall),
        sortable: false,
    },
    SearchParamDef {
        definition: carin_sp!("explanationofbenefit-identifier"),
        expression: "ExplanationOfBenefit.identifier",
        documentation: "The business/claim identifier of the Explanation of Benefit.",
        expectation: Some(Expectation::Shall),
        ..identifier("", "")
    },
    SearchParamDef {
        code: "service-date",
        param_type: ParamType::Date,
        definition: carin_sp!("explanationofbenefit-service-date"),
        expression: "ExplanationOfBenefit.billablePeriod | ExplanationOfBenefit.item.serviced",
        paths: &["billablePeriod", "item.servicedDate", "item.servicedPeriod"],
        targets: &[],
        documentation: "Date of the service for the EOB: billablePeriod or any \
                        item.serviced[x]; matches when any of them matches.",
        expectation: Some(Expectation::Shall),
        sortable: true,
    },
    SearchParamDef {
        code: "service-start-date",
        param_type: ParamType::Date,
        definition: carin_sp!("explanationofbenefit-service-start-date"),
        expression: "ExplanationOfBenefit.billablePeriod.start | \
                     ExplanationOfBenefit.item.servicedDate | \
                     ExplanationOfBenefit.item.servicedPeriod.start",
        paths: &[
            "billablePeriod.start",
            "item.servicedDate",
            "item.servicedPeriod.start",
        ],
        targets: &[],
        documentation: "Starting date of the service for the EOB: billablePeriod.start, \
                        item.servicedDate or item.servicedPeriod.start.",
        expectation: Some(Expectation::Shall),
        sortable: false,
    },
    SearchParamDef {
        code: "billable-period-start",
        param_type: ParamType::Date,
        definition: carin_sp!("explanationofbenefit-billable-period-start"),
        expression: "ExplanationOfBenefit.billablePeriod.start",
        paths: &["billablePeriod.start"],
        targets: &[],
        documentation: "Starting date of the service for the EOB using billablePeriod.start.",
        expectation: Some(Expectation::Shall),
        sortable: true,
    },
    reference(
        "provider",
        carin_sp!("explanationofbenefit-provider"),
        "ExplanationOfBenefit.provider",
        &["provider"],
        PROVIDER_TYPES,
        "The reference to the provider.",
        None,
    ),
    reference(
        "care-team",
        carin_sp!("explanationofbenefit-care-team"),
        "ExplanationOfBenefit.careTeam.provider",
        &["careTeam.provider"],
        PROVIDER_TYPES,
        "Member of the CareTeam.",
        None,
    ),
    reference(
        "coverage",
        carin_sp!("explanationofbenefit-coverage"),
        "ExplanationOfBenefit.insurance.coverage",
        &["insurance.coverage"],
        &["Coverage"],
        "The plan under which the claim was adjudicated.",
        None,
    ),
    reference(
        "insurer",
        carin_sp!("explanationofbenefit-insurer"),
        "ExplanationOfBenefit.insurer",
        &["insurer"],
        &["Organization"],
        "The party responsible for the claim.",
        None,
    ),
];

const fn include_path(path: &'static str, targets: &'static [&'static str]) -> IncludePath {
    IncludePath { path, targets }
}

const INC_PATIENT: IncludePath = include_path("patient", &["Patient"]);
const INC_PROVIDER: IncludePath = include_path("provider", PROVIDER_TYPES);
const INC_CARE_TEAM: IncludePath = include_path("careTeam.provider", PROVIDER_TYPES);
const INC_COVERAGE: IncludePath = include_path("insurance.coverage", &["Coverage"]);
const INC_INSURER: IncludePath = include_path("insurer", &["Organization"]);
const INC_PAYEE: IncludePath = include_path("payee.party", PAYEE_TYPES);

const fn include(name: &'static str, paths: &'static [IncludePath]) -> IncludeDef {
    IncludeDef { name, paths }
}

const EOB_INCLUDES: &[IncludeDef] = &[
    include("patient", &[INC_PATIENT]),
    include("provider", &[INC_PROVIDER]),
    include("care-team", &[INC_CARE_TEAM]),
    include("coverage", &[INC_COVERAGE]),
    include("insurer", &[INC_INSURER]),
    include("payee", &[INC_PAYEE]),
    include(
        "*",
        &[
            INC_PATIENT,
            INC_PROVIDER,
            INC_CARE_TEAM,
            INC_COVERAGE,
            INC_INSURER,
            INC_PAYEE,
        ],
    ),
];

const COVERAGE_PARAMS: &[SearchParamDef] = &[
    SearchParamDef {
        expectation: Some(Expectation::Shall),
        ..ID
    },
    LAST_UPDATED,
    reference(
        "payor",
        carin_sp!("coverage-payor"),
        "Coverage.payor",
        &["payor"],
        PAYOR_TYPES,
        "The identity of the insurer or party paying for services.",
        None,
    ),
    reference(
        "beneficiary",
        "http://hl7.org/fhir/SearchParameter/Coverage-beneficiary",
        "Coverage.beneficiary",
        &["beneficiary"],
        &["Patient"],
        "Covered party.",
        None,
    ),
    reference(
        "patient",
        "http://hl7.org/fhir/SearchParameter/Coverage-patient",
        "Coverage.beneficiary",
        &["beneficiary"],
        &["Patient"],
        "Retrieve coverages for a patient (Coverage.beneficiary).",
        None,
    ),
];

const COVERAGE_INCLUDES: &[IncludeDef] = &[include("payor", &[include_path("payor", PAYOR_TYPES)])];

macro_rules! simple_params {
    ($ty:literal) => {
        &[
            ID,
            LAST_UPDATED,
            identifier(
                concat!("http://hl7.org/fhir/SearchParameter/", $ty, "-identifier"),
                concat!($ty, ".identifier"),
            ),
        ]
    };
}

/// Group: the plan Groups of `Group/[id]/$export` (computed, read-only; see `bulk::groups`).
const GROUP_PARAMS: &[SearchParamDef] = &[
    ID,
    identifier(
        "http://hl7.org/fhir/SearchParameter/Group-identifier",
        "Group.identifier",
    ),
];

const RELATED_PERSON_PARAMS: &[SearchParamDef] = &[
    ID,
    LAST_UPDATED,
    identifier(
        "http://hl7.org/fhir/SearchParameter/RelatedPerson-identifier",
        "RelatedPerson.identifier",
    ),
    reference(
        "patient",
        "http://hl7.org/fhir/SearchParameter/RelatedPerson-patient",
        "RelatedPerson.patient",
        &["patient"],
        &["Patient"],
        "The patient this person is related to.",
        None,
    ),
];

/// What an AuditEvent may name as `entity.what` or `agent.who`.
const AUDITED_TYPES: &[&str] = &[
    "Patient",
    "Coverage",
    "ExplanationOfBenefit",
    "Organization",
    "Practitioner",
    "RelatedPerson",
    "Provenance",
    "AuditEvent",
];

const fn token(
    code: &'static str,
    definition: &'static str,
    expression: &'static str,
    paths: &'static [&'static str],
    documentation: &'static str,
) -> SearchParamDef {
    SearchParamDef {
        code,
        param_type: ParamType::Token,
        definition,
        expression,
        paths,
        targets: &[],
        documentation,
        expectation: None,
        sortable: false,
    }
}

/// AuditEvent: the audit trail (`fhir::audit_event`), searched over the trail itself rather
/// than the index.
const AUDIT_EVENT_PARAMS: &[SearchParamDef] = &[
    ID,
    LAST_UPDATED,
    SearchParamDef {
        code: "date",
        param_type: ParamType::Date,
        definition: "http://hl7.org/fhir/SearchParameter/AuditEvent-date",
        expression: "AuditEvent.recorded",
        paths: &["recorded"],
        targets: &[],
        documentation: "When the event was recorded; all FHIR date prefixes. _sort=-date \
                        (the default) lists the newest first.",
        expectation: None,
        sortable: true,
    },
    token(
        "type",
        "http://hl7.org/fhir/SearchParameter/AuditEvent-type",
        "AuditEvent.type",
        &["type"],
        "rest (FHIR interactions) or a DICOM event id (110114 user authentication, 110113 \
         security alert).",
    ),
    token(
        "subtype",
        "http://hl7.org/fhir/SearchParameter/AuditEvent-subtype",
        "AuditEvent.subtype",
        &["subtype"],
        "read, vread, search-type, create, or the authorization event (login, consent, token…).",
    ),
    reference(
        "agent",
        "http://hl7.org/fhir/SearchParameter/AuditEvent-agent",
        "AuditEvent.agent.who",
        &["agent.who"],
        AUDITED_TYPES,
        "Who took part: the beneficiary (Patient/…); the app is named by client id in \
         agent.who.identifier.",
        None,
    ),
    reference(
        "entity",
        "http://hl7.org/fhir/SearchParameter/AuditEvent-entity",
        "AuditEvent.entity.what",
        &["entity.what"],
        AUDITED_TYPES,
        "A resource the event touched (returned, included or read).",
        None,
    ),
    reference(
        "patient",
        "http://hl7.org/fhir/SearchParameter/AuditEvent-patient",
        "AuditEvent.agent.who.where(resolve() is Patient) | \
         AuditEvent.entity.what.where(resolve() is Patient)",
        &["agent.who", "entity.what"],
        &["Patient"],
        "The beneficiary whose data the event concerns; a patient-bound token sees its own \
         patient's events only.",
        None,
    ),
];

/// Provenance: where a resource came from (an import, or a client's assertion).
const PROVENANCE_PARAMS: &[SearchParamDef] = &[
    ID,
    LAST_UPDATED,
    reference(
        "target",
        "http://hl7.org/fhir/SearchParameter/Provenance-target",
        "Provenance.target",
        &["target"],
        AUDITED_TYPES,
        "The resources the Provenance describes (_revinclude=Provenance:target).",
        None,
    ),
    reference(
        "patient",
        "http://hl7.org/fhir/SearchParameter/Provenance-patient",
        "Provenance.target.where(resolve() is Patient)",
        &["target"],
        &["Patient"],
        "A Patient among the targets.",
        None,
    ),
];

macro_rules! c4bb_sd {
    ($tail:literal) => {
        concat!(
            "http://hl7.org/fhir/us/carin-bb/StructureDefinition/",
            $tail
        )
    };
}

/// Every supported resource type, in CapabilityStatement order (as in the IG).
pub static RESOURCES: &[ResourceDef] = &[
    ResourceDef {
        resource_type: "Coverage",
        expectation: Expectation::Shall,
        search_expectation: Expectation::Shall,
        profiles: &[c4bb_sd!("C4BB-Coverage")],
        documentation: None,
        params: COVERAGE_PARAMS,
        includes: COVERAGE_INCLUDES,
    },
    ResourceDef {
        resource_type: "ExplanationOfBenefit",
        expectation: Expectation::Shall,
        search_expectation: Expectation::Shall,
        profiles: &[
            c4bb_sd!("C4BB-ExplanationOfBenefit"),
            c4bb_sd!("C4BB-ExplanationOfBenefit-Inpatient-Institutional"),
            c4bb_sd!("C4BB-ExplanationOfBenefit-Outpatient-Institutional"),
            c4bb_sd!("C4BB-ExplanationOfBenefit-Oral"),
            c4bb_sd!("C4BB-ExplanationOfBenefit-Pharmacy"),
            c4bb_sd!("C4BB-ExplanationOfBenefit-Professional-NonClinician"),
        ],
        documentation: Some(
            "References are versionless relative references. Referenced resources can be read \
             directly or requested with _include (ExplanationOfBenefit:patient, :provider, \
             :care-team, :coverage, :insurer, :payee, :*); use \
             _include:iterate=Coverage:payor together with ExplanationOfBenefit:coverage to \
             get the payors. Searches do not require a patient argument; with a \
             patient-scoped token results are limited to that patient.",
        ),
        params: EOB_PARAMS,
        includes: EOB_INCLUDES,
    },
    ResourceDef {
        resource_type: "Organization",
        expectation: Expectation::Should,
        search_expectation: Expectation::May,
        profiles: &[c4bb_sd!("C4BB-Organization")],
        documentation: None,
        params: simple_params!("Organization"),
        includes: &[],
    },
    ResourceDef {
        resource_type: "Patient",
        expectation: Expectation::Shall,
        search_expectation: Expectation::May,
        profiles: &[c4bb_sd!("C4BB-Patient")],
        documentation: None,
        params: simple_params!("Patient"),
        includes: &[],
    },
    ResourceDef {
        resource_type: "Practitioner",
        expectation: Expectation::Should,
        search_expectation: Expectation::May,
        profiles: &[c4bb_sd!("C4BB-Practitioner")],
        documentation: None,
        params: simple_params!("Practitioner"),
        includes: &[],
    },
    ResourceDef {
        resource_type: "RelatedPerson",
        expectation: Expectation::Should,
        search_expectation: Expectation::May,
        profiles: &[c4bb_sd!("C4BB-RelatedPerson")],
        documentation: None,
        params: RELATED_PERSON_PARAMS,
        includes: &[],
    },
    ResourceDef {
        resource_type: "Provenance",
        expectation: Expectation::Should,
        search_expectation: Expectation::May,
        profiles: &[],
        documentation: Some(
            "Where data came from: one record per import and beneficiary (US Core Provenance, \
             the payer as transmitter, the CPCDS files as source), targeting each resource \
             version the import wrote; request with _revinclude=Provenance:target.",
        ),
        params: PROVENANCE_PARAMS,
        includes: &[],
    },
    ResourceDef {
        resource_type: "AuditEvent",
        expectation: Expectation::May,
        search_expectation: Expectation::May,
        profiles: &[],
        documentation: Some(
            "Who accessed what: every FHIR read, vread and search (with its query and each \
             resource returned or included) and every authorization event. With a \
             patient-bound token (patient/AuditEvent.rs), only that patient's events.",
        ),
        params: AUDIT_EVENT_PARAMS,
        includes: &[],
    },
    ResourceDef {
        resource_type: "Group",
        expectation: Expectation::May,
        search_expectation: Expectation::May,
        profiles: &[],
        documentation: Some(
            "One Group per insurance plan (Coverage.class of type plan; identifier = the plan's \
             identifier), its members the Patients that plan covers; for Group/[id]/$export \
             (Bulk Data). Computed from the Coverages, read-only, and for backend-services \
             (system/) tokens only; search by _id or identifier.",
        ),
        params: GROUP_PARAMS,
        includes: &[],
    },
];

/// The definition of a supported resource type.
pub fn resource(resource_type: &str) -> Option<&'static ResourceDef> {
    RESOURCES.iter().find(|r| r.resource_type == resource_type)
}

/// A search parameter of a resource type.
pub fn search_param(resource_type: &str, code: &str) -> Option<&'static SearchParamDef> {
    resource(resource_type).and_then(|r| r.param(code))
}

/// True for the prefix of every IG-defined SearchParameter URL.
pub fn is_carin_definition(url: &str) -> bool {
    url.starts_with(CARIN_SP)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_consistent() {
        for r in RESOURCES {
            // Groups are computed, not stored: they have no lastUpdated to search.
            let dated = r.resource_type == "Group" || r.param("_lastUpdated").is_some();
            assert!(r.param("_id").is_some() && dated);
            for p in r.params {
                assert!(!p.paths.is_empty(), "{}:{}", r.resource_type, p.code);
                assert_eq!(
                    p.param_type == ParamType::Reference,
                    !p.targets.is_empty(),
                    "{}",
                    p.code
                );
                assert!(p.definition.starts_with("http://hl7.org/fhir/"));
            }
        }
        let eob = resource("ExplanationOfBenefit").map(|r| r.params.len());
        assert_eq!(eob, Some(12));
        assert_eq!(
            search_param("Coverage", "payor").map(|p| p.definition),
            Some("http://hl7.org/fhir/us/carin-bb/SearchParameter/coverage-payor")
        );
        assert_eq!(
            search_param("Patient", "identifier").map(|p| p.definition),
            Some("http://hl7.org/fhir/SearchParameter/Patient-identifier")
        );
        assert!(is_carin_definition(
            search_param("ExplanationOfBenefit", "service-date")
                .map(|p| p.definition)
                .unwrap_or_default()
        ));
        assert!(search_param("Patient", "type").is_none());
    }
}
