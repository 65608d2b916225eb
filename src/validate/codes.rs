//! Code systems and value sets of C4BB 2.0.0 (hand-copied from the IG's ValueSet `compose`
//! sections and CodeSystem resources, plus the few THO / R4 core lists the profiles bind to).
//!
//! A value-set include with `codes: None` stands for "every code of that (external, licensed or
//! unenumerated) system": only the system URL can be checked for those.
//!
//! The value sets themselves live in `valuesets.rs` and are re-exported here.
//!
//! These system URLs repeat some of `fhir::codes` on purpose: the checker is meant to be an
//! independent reading of the IG, so a wrong URL in the mapper (which writes with
//! `fhir::codes`) shows up as a validation failure instead of being copied into the check.
//! Sharing one constant would make a typo pass both sides.

pub use super::valuesets::*;

/// `http://hl7.org/fhir/us/carin-bb/CodeSystem/...`
pub const SIT: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType";
pub const AD: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator";
pub const C4BB_ADJ: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication";
pub const PAYER_STATUS: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus";
pub const C4BB_CARE_ROLE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole";
pub const C4BB_DX_TYPE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimDiagnosisType";
pub const C4BB_PX_TYPE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimProcedureType";
pub const C4BB_ID_TYPE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType";
pub const INST_SUBTYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBInstitutionalClaimSubType";
pub const C4BB_PAYEE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayeeType";
pub const C4BB_RELATED: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBRelatedClaimRelationshipCodes";
pub const COMPOUND: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBCompoundLiteral";
pub const SURFACE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSurfaceCodes";

/// terminology.hl7.org code systems.
pub const CLAIM_TYPE: &str = "http://terminology.hl7.org/CodeSystem/claim-type";
pub const THO_ADJ: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
pub const PAYEETYPE: &str = "http://terminology.hl7.org/CodeSystem/payeetype";
pub const CARETEAMROLE: &str = "http://terminology.hl7.org/CodeSystem/claimcareteamrole";
pub const DIAGTYPE: &str = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype";
pub const RELATEDCLAIM: &str = "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship";
pub const SUBSCRIBER_REL: &str = "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
pub const COVERAGE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/coverage-class";
pub const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
pub const DAR: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
pub const PROCESS_PRIORITY: &str = "http://terminology.hl7.org/CodeSystem/processpriority";

/// External (licensed / not-present) code systems.
pub const NUBC_TOB: &str = "https://www.nubc.org/CodeSystem/TypeOfBill";
pub const NUBC_POO: &str = "https://www.nubc.org/CodeSystem/PointOfOrigin";
pub const NUBC_POO_NEWBORN: &str = "https://www.nubc.org/CodeSystem/PointOfOriginNewborn";
/// The (non-URL) system name the 2.0.0 `EOB-inst-pointoforigin` expression literally tests for.
pub const NUBC_POO_NONNEWBORN_LITERAL: &str = "AHANUBCPointOfOriginForAdmissionOrVisitNonnewborn";
pub const NUBC_ADMTYPE: &str = "https://www.nubc.org/CodeSystem/PriorityTypeOfAdmitOrVisit";
pub const NUBC_DISCHARGE: &str = "https://www.nubc.org/CodeSystem/PatDischargeStatus";
pub const NUBC_REVENUE: &str = "https://www.nubc.org/CodeSystem/RevenueCodes";
pub const NUBC_POA: &str = "https://www.nubc.org/CodeSystem/PresentOnAdmissionIndicator";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
pub const HCPCS: &str = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
pub const HIPPS: &str =
    "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/ProspMedicareFeeSvcPmtGen/HIPPSCodes";
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const ICD9: &str = "http://terminology.hl7.org/CodeSystem/icd9";
pub const ICD10PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";
pub const ICD9PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD9";
pub const MSDRG: &str =
    "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software";
pub const APDRG: &str = "http://uri.hddaccess.com/cs/apdrg";
pub const APRDRG: &str = "http://uri.hddaccess.com/cs/aprdrg";
pub const POS: &str =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
pub const CARC: &str = "https://x12.org/codes/claim-adjustment-reason-codes";
pub const RARC: &str = "https://x12.org/codes/remittance-advice-remark-codes";
pub const X12_AMBULANCE: &str =
    "https://x12.org/codesystem.x12.org/ambulance-transport-reason-codes";
pub const NDC: &str = "http://hl7.org/fhir/sid/ndc";
pub const CDT: &str = "http://www.ada.org/cdt";
pub const ADA_TOOTH: &str =
    "http://terminology.hl7.org/CodeSystem/ADAUniversalToothDesignationSystem";
pub const ADA_AREA: &str = "http://terminology.hl7.org/CodeSystem/ADAAreaOralCavitySystem";
pub const NCPDP_BGI: &str = "http://terminology.hl7.org/CodeSystem/NCPDPBrandGenericIndicator";
pub const NCPDP_COMPOUND: &str = "http://terminology.hl7.org/CodeSystem/NCPDPCompoundCode";
pub const NCPDP_DAW: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPDispensedAsWrittenOrProductSelectionCode";
pub const NCPDP_RXORIGIN: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPPrescriptionOriginCode";
pub const NCPDP_REJECT: &str = "http://terminology.hl7.org/CodeSystem/NCPDPRejectCode";
pub const NUCC: &str = "http://nucc.org/provider-taxonomy";

/// Identifier systems.
pub const NPI_SYSTEM: &str = "http://hl7.org/fhir/sid/us-npi";
pub const CLIA_SYSTEM: &str = "urn:oid:2.16.840.1.113883.4.7";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const DAR_EXT: &str = "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
pub const BIRTHSEX_EXT: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";

/// Codes of C4BBSupportingInfoType (complete).
pub const SIT_CODES: &[&str] = &[
    "admissionperiod",
    "pointoforigin",
    "admtype",
    "brandgenericindicator",
    "clmrecvddate",
    "compoundcode",
    "dawcode",
    "dayssupply",
    "discharge-status",
    "drg",
    "refillnum",
    "refillsauthorized",
    "rxorigincode",
    "servicefacility",
    "typeofbill",
    "medicalrecordnumber",
    "patientaccountnumber",
    "orthodontics",
    "prosthesis",
    "additionalbodysite",
    "missingtoothnumber",
    "patientweight",
    "ambulancetransportreason",
    "transportationdistance",
    "roudtrippurpose",
    "stretcherpurpose",
    "pickuplocation",
    "dropofflocation",
];
pub const AD_CODES: &[&str] = &[
    "allowedunits",
    "adjustmentreason",
    "rejectreason",
    "billingnetworkstatus",
    "renderingnetworkstatus",
    "benefitpaymentstatus",
];
/// Codes of the C4BBAdjudication *code system* (the value set omits paidbypatienthealthaccount).
pub const C4BB_ADJ_CS_CODES: &[&str] = &[
    "coinsurance",
    "noncovered",
    "priorpayerpaid",
    "paidbypatient",
    "paidbypatientcash",
    "paidbypatientother",
    "paidbypatienthealthaccount",
    "paidtoprovider",
    "paidtopatient",
    "memberliability",
    "discount",
    "drugcost",
];
pub const C4BB_ADJ_VS_CODES: &[&str] = &[
    "coinsurance",
    "noncovered",
    "priorpayerpaid",
    "paidbypatient",
    "paidbypatientcash",
    "paidbypatientother",
    "paidtopatient",
    "paidtoprovider",
    "memberliability",
    "discount",
    "drugcost",
];
pub const THO_ADJ_VS_CODES: &[&str] = &["submitted", "copay", "eligible", "deductible", "benefit"];
pub const TRANSPORT_CODES: &[&str] = &[
    "patientweight",
    "ambulancetransportreason",
    "transportationdistance",
    "roudtrippurpose",
    "stretcherpurpose",
    "pickuplocation",
    "dropofflocation",
];

/// Codes of THO coverage-class (complete).
pub const COVERAGE_CLASS_CODES: &[&str] = &[
    "group", "subgroup", "plan", "subplan", "class", "subclass", "sequence", "rxbin", "rxpcn",
    "rxid", "rxgroup",
];

/// Code systems whose full content we know (the IG's own, content=complete, and a few small THO
/// systems): a coding with one of these systems must use one of the listed codes.
pub const COMPLETE_SYSTEMS: &[(&str, &[&str])] = &[
    (SIT, SIT_CODES),
    (AD, AD_CODES),
    (C4BB_ADJ, C4BB_ADJ_CS_CODES),
    (
        PAYER_STATUS,
        &[
            "innetwork",
            "outofnetwork",
            "other",
            "paid",
            "denied",
            "partiallypaid",
        ],
    ),
    (
        C4BB_CARE_ROLE,
        &[
            "attending",
            "referring",
            "operating",
            "otheroperating",
            "rendering",
            "prescribing",
            "purchasedservice",
        ],
    ),
    (
        C4BB_DX_TYPE,
        &[
            "externalcauseofinjury",
            "patientreasonforvisit",
            "other",
            "secondary",
        ],
    ),
    (C4BB_PX_TYPE, &["principal", "other"]),
    (C4BB_ID_TYPE, &["payerid", "naiccode", "pat", "um", "uc"]),
    (INST_SUBTYPE, &["inpatient", "outpatient"]),
    (C4BB_PAYEE, &["beneficiary"]),
    (C4BB_RELATED, &["replacedby"]),
    (COMPOUND, &["compound"]),
    (SURFACE, &["M", "O", "I", "D", "B", "F", "L"]),
    (
        CLAIM_TYPE,
        &[
            "institutional",
            "oral",
            "pharmacy",
            "professional",
            "vision",
        ],
    ),
    (
        THO_ADJ,
        &[
            "submitted",
            "copay",
            "eligible",
            "deductible",
            "unallocdeduct",
            "eligpercent",
            "tax",
            "benefit",
        ],
    ),
    (PAYEETYPE, &["subscriber", "provider", "other"]),
    (CARETEAMROLE, &["primary", "assist", "supervisor", "other"]),
    (RELATEDCLAIM, &["prior", "associated"]),
    (
        SUBSCRIBER_REL,
        &[
            "child", "parent", "spouse", "common", "other", "self", "injured",
        ],
    ),
    (PROCESS_PRIORITY, &["stat", "normal", "deferred"]),
    (COVERAGE_CLASS, COVERAGE_CLASS_CODES),
];

// --- R4 core `code` primitives with required bindings ------------------------------------------
pub const EOB_STATUS: &[&str] = &["active", "cancelled", "draft", "entered-in-error"];
pub const CLAIM_USE: &[&str] = &["claim", "preauthorization", "predetermination"];
pub const OUTCOME: &[&str] = &["queued", "complete", "error", "partial"];
pub const FM_STATUS: &[&str] = &["active", "cancelled", "draft", "entered-in-error"];
pub const GENDER: &[&str] = &["male", "female", "other", "unknown"];
pub const IDENTIFIER_USE: &[&str] = &["usual", "official", "temp", "secondary", "old"];
pub const NAME_USE: &[&str] = &[
    "usual",
    "official",
    "temp",
    "nickname",
    "anonymous",
    "old",
    "maiden",
];
pub const CONTACT_SYSTEM: &[&str] = &["phone", "fax", "email", "pager", "url", "sms", "other"];
pub const CONTACT_USE: &[&str] = &["home", "work", "temp", "old", "mobile"];
pub const ADDRESS_USE: &[&str] = &["home", "work", "temp", "old", "billing"];
pub const ADDRESS_TYPE: &[&str] = &["postal", "physical", "both"];
pub const QTY_COMPARATOR: &[&str] = &["<", "<=", ">=", ">"];
pub const LINK_TYPE: &[&str] = &["replaced-by", "replaces", "refer", "seealso"];
pub const NOTE_TYPE: &[&str] = &["display", "print", "printoper"];
/// US Core 3.1.1 birth sex (required binding on the extension's valueCode).
pub const BIRTHSEX: &[&str] = &["M", "F", "UNK"];
