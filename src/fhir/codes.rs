//! Canonical URLs and code systems used by C4BB 2.0.0.

pub const C4BB_VERSION: &str = "2.0.0";
const SD: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/";

/// `meta.profile` values, versioned as the 2.0.0 `*-meta-profile-version` invariants require.
pub mod profile {
    pub const PATIENT: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Patient|2.0.0";
    pub const COVERAGE: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Coverage|2.0.0";
    pub const ORGANIZATION: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Organization|2.0.0";
    pub const PRACTITIONER: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-Practitioner|2.0.0";
    pub const RELATED_PERSON: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-RelatedPerson|2.0.0";
    pub const EOB_INPATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Inpatient-Institutional|2.0.0";
    pub const EOB_OUTPATIENT: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Outpatient-Institutional|2.0.0";
    pub const EOB_PROFESSIONAL: &str = "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Professional-NonClinician|2.0.0";
    pub const EOB_ORAL: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Oral|2.0.0";
    pub const EOB_PHARMACY: &str =
        "http://hl7.org/fhir/us/carin-bb/StructureDefinition/C4BB-ExplanationOfBenefit-Pharmacy|2.0.0";
}

/// The StructureDefinition base, for building canonicals.
pub fn structure_definition(name: &str) -> String {
    format!("{SD}{name}")
}

// CARIN code systems.
pub const C4BB_ADJUDICATION: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudication";
pub const C4BB_ADJUDICATION_DISCRIMINATOR: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBAdjudicationDiscriminator";
pub const C4BB_PAYER_ADJUDICATION_STATUS: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayerAdjudicationStatus";
pub const C4BB_SUPPORTING_INFO_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSupportingInfoType";
pub const C4BB_CARE_TEAM_ROLE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimCareTeamRole";
pub const C4BB_DIAGNOSIS_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimDiagnosisType";
pub const C4BB_PROCEDURE_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBClaimProcedureType";
pub const C4BB_IDENTIFIER_TYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBIdentifierType";
pub const C4BB_INSTITUTIONAL_SUBTYPE: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBInstitutionalClaimSubType";
pub const C4BB_PAYEE_TYPE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBPayeeType";
pub const C4BB_RELATED_CLAIM: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBRelatedClaimRelationshipCodes";
pub const C4BB_COMPOUND_LITERAL: &str =
    "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBCompoundLiteral";
pub const C4BB_SURFACE: &str = "http://hl7.org/fhir/us/carin-bb/CodeSystem/C4BBSurfaceCodes";

// HL7 terminology (THO).
pub const CLAIM_TYPE: &str = "http://terminology.hl7.org/CodeSystem/claim-type";
pub const ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
pub const PAYEE_TYPE: &str = "http://terminology.hl7.org/CodeSystem/payeetype";
pub const EX_DIAGNOSIS_TYPE: &str = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype";
pub const CLAIM_CARE_TEAM_ROLE: &str = "http://terminology.hl7.org/CodeSystem/claimcareteamrole";
pub const EX_RELATED_CLAIM: &str =
    "http://terminology.hl7.org/CodeSystem/ex-relatedclaimrelationship";
pub const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
pub const SUBSCRIBER_RELATIONSHIP: &str =
    "http://terminology.hl7.org/CodeSystem/subscriber-relationship";
pub const COVERAGE_CLASS: &str = "http://terminology.hl7.org/CodeSystem/coverage-class";
pub const V3_ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
pub const V3_ROLE_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-RoleCode";
pub const DATA_ABSENT_REASON: &str = "http://terminology.hl7.org/CodeSystem/data-absent-reason";
pub const DATA_ABSENT_REASON_EXT: &str =
    "http://hl7.org/fhir/StructureDefinition/data-absent-reason";
pub const ORGANIZATION_TYPE: &str = "http://terminology.hl7.org/CodeSystem/organization-type";
pub const NCPDP_BRAND_GENERIC: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPBrandGenericIndicator";
pub const NCPDP_COMPOUND: &str = "http://terminology.hl7.org/CodeSystem/NCPDPCompoundCode";
pub const NCPDP_DAW: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPDispensedAsWrittenOrProductSelectionCode";
pub const NCPDP_RX_ORIGIN: &str =
    "http://terminology.hl7.org/CodeSystem/NCPDPPrescriptionOriginCode";
pub const NCPDP_REJECT: &str = "http://terminology.hl7.org/CodeSystem/NCPDPRejectCode";
pub const ADA_TOOTH: &str =
    "http://terminology.hl7.org/CodeSystem/ADAUniversalToothDesignationSystem";
pub const ADA_AREA: &str = "http://terminology.hl7.org/CodeSystem/ADAAreaOralCavitySystem";

// External code systems.
pub const ICD10_CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
pub const ICD9_CM: &str = "http://terminology.hl7.org/CodeSystem/icd9";
pub const ICD10_PCS: &str = "http://www.cms.gov/Medicare/Coding/ICD10";
pub const SNOMED: &str = "http://snomed.info/sct";
pub const RXNORM: &str = "http://www.nlm.nih.gov/research/umls/rxnorm";
pub const CPT: &str = "http://www.ama-assn.org/go/cpt";
pub const HCPCS: &str = "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets";
pub const HIPPS: &str =
    "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/ProspMedicareFeeSvcPmtGen/HIPPSCodes";
pub const CDT: &str = "http://www.ada.org/cdt";
pub const NDC: &str = "http://hl7.org/fhir/sid/ndc";
pub const NPI: &str = "http://hl7.org/fhir/sid/us-npi";
pub const TAX_ID: &str = "urn:oid:2.16.840.1.113883.4.4";
pub const NAIC: &str = "urn:oid:2.16.840.1.113883.6.300";
pub const NUCC_TAXONOMY: &str = "http://nucc.org/provider-taxonomy";
pub const POS: &str =
    "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set";
pub const MS_DRG: &str =
    "https://www.cms.gov/Medicare/Medicare-Fee-for-Service-Payment/AcuteInpatientPPS/MS-DRG-Classifications-and-Software";
pub const CARC: &str = "https://x12.org/codes/claim-adjustment-reason-codes";
pub const AMBULANCE_REASON: &str =
    "https://x12.org/codesystem.x12.org/ambulance-transport-reason-codes";
pub const NUBC_TYPE_OF_BILL: &str = "https://www.nubc.org/CodeSystem/TypeOfBill";
pub const NUBC_POINT_OF_ORIGIN: &str = "https://www.nubc.org/CodeSystem/PointOfOrigin";
pub const NUBC_ADMIT_TYPE: &str = "https://www.nubc.org/CodeSystem/PriorityTypeOfAdmitOrVisit";
pub const NUBC_DISCHARGE_STATUS: &str = "https://www.nubc.org/CodeSystem/PatDischargeStatus";
pub const NUBC_REVENUE: &str = "https://www.nubc.org/CodeSystem/RevenueCodes";
pub const NUBC_POA: &str = "https://www.nubc.org/CodeSystem/PresentOnAdmissionIndicator";
pub const UCUM: &str = "http://unitsofmeasure.org";
pub const OMB_RACE_ETHNICITY: &str = "urn:oid:2.16.840.1.113883.6.238";
pub const BCP47: &str = "urn:ietf:bcp:47";
pub const US_CORE_RACE: &str = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race";
pub const US_CORE_ETHNICITY: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity";
pub const US_CORE_BIRTHSEX: &str =
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex";

/// Identifier namespaces of this sandbox's synthetic payer.
pub mod ns {
    pub const MEMBER: &str = "https://carin-sandbox.example/fhir/member-id";
    pub const UNIQUE_MEMBER: &str = "https://carin-sandbox.example/fhir/unique-member-id";
    pub const COVERAGE: &str = "https://carin-sandbox.example/fhir/coverage-id";
    pub const CLAIM: &str = "https://carin-sandbox.example/fhir/claim-id";
    pub const RX_REFERENCE: &str = "https://carin-sandbox.example/fhir/rx-service-reference";
}
