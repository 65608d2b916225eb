//! The value sets the C4BB 2.0.0 profiles bind to, flattened to `(system, codes)` includes
//! (copied from each ValueSet's `compose`). `codes: None` = every code of an external system.

use super::codes::*;

/// One `compose.include` of a value set.
#[derive(Debug)]
pub struct Include {
    pub system: &'static str,
    /// `None`: all codes of the system (only the system URL is checked).
    pub codes: Option<&'static [&'static str]>,
}

/// A value set, flattened to its includes.
#[derive(Debug)]
pub struct ValueSet {
    pub url: &'static str,
    pub includes: &'static [Include],
}

impl ValueSet {
    pub fn contains(&self, system: &str, code: Option<&str>) -> bool {
        self.includes.iter().any(|inc| {
            inc.system == system
                && match inc.codes {
                    None => true,
                    Some(list) => code.is_some_and(|c| list.contains(&c)),
                }
        })
    }

    /// Last path segment of the URL: the value set's name.
    pub fn name(&self) -> &'static str {
        self.url.rsplit('/').next().unwrap_or(self.url)
    }

    /// Human list of what the set allows, for messages.
    pub fn describe(&self) -> String {
        let parts: Vec<String> = self
            .includes
            .iter()
            .map(|i| match i.codes {
                None => format!("{}#*", i.system),
                Some(c) => format!("{}#{}", i.system, c.join("|")),
            })
            .collect();
        format!("{} ({})", self.name(), parts.join(", "))
    }
}

macro_rules! vs {
    ($name:ident, $url:expr, [$( ($sys:expr, $codes:expr) ),+ $(,)?]) => {
        pub static $name: ValueSet = ValueSet {
            url: $url,
            includes: &[$( Include { system: $sys, codes: $codes } ),+],
        };
    };
}

macro_rules! c4url {
    ($n:literal) => {
        concat!("http://hl7.org/fhir/us/carin-bb/ValueSet/", $n)
    };
}

vs!(
    CLAIM_TYPE_VS,
    "http://hl7.org/fhir/ValueSet/claim-type",
    [(
        CLAIM_TYPE,
        Some(&[
            "institutional",
            "oral",
            "pharmacy",
            "professional",
            "vision"
        ])
    )]
);
vs!(
    PROF_CLAIM_TYPE_VS,
    c4url!("C4BBProfessionalAndNonClinicianClaimType"),
    [(CLAIM_TYPE, Some(&["professional", "vision"]))]
);
vs!(
    INST_SUBTYPE_VS,
    c4url!("C4BBInstitutionalClaimSubType"),
    [(INST_SUBTYPE, Some(&["inpatient", "outpatient"]))]
);
vs!(
    PAYEE_TYPE_VS,
    c4url!("C4BBPayeeType"),
    [
        (C4BB_PAYEE, Some(&["beneficiary"])),
        (PAYEETYPE, Some(&["subscriber", "provider", "other"]))
    ]
);
vs!(
    RELATED_CLAIM_VS,
    c4url!("C4BBRelatedClaimRelationshipCodes"),
    [
        (RELATEDCLAIM, Some(&["prior"])),
        (C4BB_RELATED, Some(&["replacedby"]))
    ]
);
vs!(
    PAYMENT_STATUS_VS,
    c4url!("C4BBPayerClaimPaymentStatusCode"),
    [(PAYER_STATUS, Some(&["paid", "denied", "partiallypaid"]))]
);
vs!(
    BENEFIT_PAYMENT_STATUS_VS,
    c4url!("C4BBPayerBenefitPaymentStatus"),
    [(PAYER_STATUS, Some(&["innetwork", "outofnetwork", "other"]))]
);
vs!(
    NETWORK_STATUS_VS,
    c4url!("C4BBPayerProviderNetworkStatus"),
    [(PAYER_STATUS, Some(&["innetwork", "outofnetwork"]))]
);
vs!(
    ADJUDICATION_VS,
    c4url!("C4BBAdjudication"),
    [
        (THO_ADJ, Some(THO_ADJ_VS_CODES)),
        (C4BB_ADJ, Some(C4BB_ADJ_VS_CODES))
    ]
);
vs!(
    ADJ_CATEGORY_DISCRIMINATOR_VS,
    c4url!("C4BBAdjudicationCategoryDiscriminator"),
    [
        (THO_ADJ, Some(THO_ADJ_VS_CODES)),
        (C4BB_ADJ, Some(C4BB_ADJ_VS_CODES)),
        (AD, Some(AD_CODES))
    ]
);
vs!(
    TOTAL_CATEGORY_DISCRIMINATOR_VS,
    c4url!("C4BBTotalCategoryDiscriminator"),
    [
        (THO_ADJ, Some(THO_ADJ_VS_CODES)),
        (C4BB_ADJ, Some(C4BB_ADJ_VS_CODES)),
        (PAYER_STATUS, Some(&["innetwork", "outofnetwork", "other"]))
    ]
);
vs!(
    SUPPORTING_INFO_TYPE_VS,
    c4url!("C4BBSupportingInfoType"),
    [(SIT, Some(SIT_CODES))]
);
vs!(
    TRANSPORTATION_VS,
    c4url!("C4BBTransportationServiceCategories"),
    [(SIT, Some(TRANSPORT_CODES))]
);
vs!(
    INST_CARE_ROLE_VS,
    c4url!("C4BBClaimInstitutionalCareTeamRole"),
    [
        (CARETEAMROLE, Some(&["primary"])),
        (
            C4BB_CARE_ROLE,
            Some(&[
                "attending",
                "referring",
                "operating",
                "otheroperating",
                "rendering"
            ])
        )
    ]
);
vs!(
    PROF_CARE_ROLE_VS,
    c4url!("C4BBClaimProfessionalAndNonClinicianCareTeamRole"),
    [
        (CARETEAMROLE, Some(&["primary", "supervisor"])),
        (
            C4BB_CARE_ROLE,
            Some(&["rendering", "purchasedservice", "referring"])
        )
    ]
);
vs!(
    PHARM_CARE_ROLE_VS,
    c4url!("C4BBClaimPharmacyTeamRole"),
    [
        (CARETEAMROLE, Some(&["primary"])),
        (C4BB_CARE_ROLE, Some(&["prescribing"]))
    ]
);
vs!(
    INPATIENT_DX_TYPE_VS,
    c4url!("C4BBClaimInpatientInstitutionalDiagnosisType"),
    [
        (DIAGTYPE, Some(&["principal", "admitting"])),
        (C4BB_DX_TYPE, Some(&["other", "externalcauseofinjury"]))
    ]
);
vs!(
    OUTPATIENT_DX_TYPE_VS,
    c4url!("C4BBClaimOutpatientInstitutionalDiagnosisType"),
    [
        (DIAGTYPE, Some(&["principal"])),
        (
            C4BB_DX_TYPE,
            Some(&["other", "externalcauseofinjury", "patientreasonforvisit"])
        )
    ]
);
vs!(
    PROF_DX_TYPE_VS,
    c4url!("C4BBClaimProfessionalAndNonClinicianDiagnosisType"),
    [
        (DIAGTYPE, Some(&["principal"])),
        (C4BB_DX_TYPE, Some(&["secondary"]))
    ]
);
vs!(
    PROCEDURE_TYPE_VS,
    c4url!("C4BBClaimProcedureType"),
    [(C4BB_PX_TYPE, Some(&["principal", "other"]))]
);
vs!(
    SURFACE_VS,
    c4url!("C4BBSurfaceCodes"),
    [(SURFACE, Some(&["M", "O", "I", "D", "B", "F", "L"]))]
);
vs!(
    PATIENT_ID_TYPE_VS,
    c4url!("C4BBPatientIdentifierType"),
    [
        (C4BB_ID_TYPE, Some(&["um", "pat"])),
        (V2_0203, Some(&["MB", "MR"]))
    ]
);
vs!(
    PROCESS_PRIORITY_VS,
    "http://hl7.org/fhir/ValueSet/process-priority",
    [(PROCESS_PRIORITY, Some(&["stat", "normal", "deferred"]))]
);
vs!(
    SUBSCRIBER_REL_VS,
    "http://hl7.org/fhir/ValueSet/subscriber-relationship",
    [(
        SUBSCRIBER_REL,
        Some(&["child", "parent", "spouse", "common", "other", "self", "injured"])
    )]
);

vs!(
    COVERAGE_CLASS_VS,
    "http://hl7.org/fhir/ValueSet/coverage-class",
    [(COVERAGE_CLASS, Some(COVERAGE_CLASS_CODES))]
);

// --- external systems: only the system URL is checked -----------------------------------------
vs!(
    TYPE_OF_BILL_VS,
    c4url!("AHANUBCTypeOfBill"),
    [(NUBC_TOB, None)]
);
vs!(
    POINT_OF_ORIGIN_VS,
    c4url!("AHANUBCPointOfOriginForAdmissionOrVisit"),
    [(NUBC_POO, None), (NUBC_POO_NEWBORN, None)]
);
vs!(
    ADM_TYPE_VS,
    c4url!("AHANUBCPriorityTypeOfAdmissionOrVisit"),
    [(NUBC_ADMTYPE, None)]
);
vs!(
    DISCHARGE_STATUS_VS,
    c4url!("AHANUBCPatientDischargeStatus"),
    [(NUBC_DISCHARGE, None)]
);
vs!(
    REVENUE_VS,
    c4url!("AHANUBCRevenueCodes"),
    [(NUBC_REVENUE, None)]
);
vs!(
    POA_VS,
    c4url!("AHANUBCPresentOnAdmission"),
    [(NUBC_POA, None)]
);
vs!(
    DRG_VS,
    c4url!("CMSMS3MAPAPRDRG"),
    [(MSDRG, None), (APDRG, None), (APRDRG, None)]
);
vs!(
    INST_PROC_VS,
    c4url!("C4BBEOBInstitutionalProcedureCodes"),
    [
        (CPT, None),
        (HCPCS, None),
        (HIPPS, None),
        (DAR, Some(&["not-applicable"]))
    ]
);
vs!(
    MODIFIER_VS,
    c4url!("AMACPTCMSHCPCSModifiers"),
    [(CPT, None), (HCPCS, None)]
);
vs!(
    PROF_PROC_VS,
    c4url!("AMACPTCMSHCPCSProcedureCodes"),
    [(DAR, Some(&["not-applicable"])), (CPT, None), (HCPCS, None)]
);
vs!(
    CDT_VS,
    c4url!("ADADentalProcedureCode"),
    [(CDT, None), (DAR, Some(&["not-applicable"]))]
);
vs!(POS_VS, c4url!("CMSPlaceofServiceCodes"), [(POS, None)]);
vs!(
    ICD_DX_VS,
    c4url!("CDCICD910CMDiagnosisCodes"),
    [(ICD10CM, None), (ICD9, None)]
);
vs!(
    ICD_PCS_VS,
    c4url!("CMSICD910PCSProcedureCodes"),
    [(ICD10PCS, None), (ICD9PCS, None)]
);
vs!(
    CARC_RARC_VS,
    c4url!("X12ClaimAdjustmentReasonCodesCMSRemittanceAdviceRemarkCodes"),
    [(CARC, None), (RARC, None)]
);
vs!(
    AMBULANCE_VS,
    c4url!("C4BBAmbulanceTransportReasonCodes"),
    [(X12_AMBULANCE, None)]
);
vs!(
    NDC_OR_COMPOUND_VS,
    c4url!("FDANDCOrCompound"),
    [(NDC, None), (COMPOUND, Some(&["compound"]))]
);
vs!(NDC_VS, c4url!("FDANationalDrugCode"), [(NDC, None)]);
vs!(
    ORAL_BODY_SITE_VS,
    c4url!("OralBodySite"),
    [(ADA_TOOTH, None), (ADA_AREA, None)]
);
vs!(
    ADA_TOOTH_VS,
    c4url!("ADAUniversalNumberingSystem"),
    [(ADA_TOOTH, None)]
);
vs!(
    NCPDP_DAW_VS,
    c4url!("NCPDPDispensedAsWrittenOrProductSelectionCode"),
    [(NCPDP_DAW, None)]
);
vs!(
    NCPDP_BGI_VS,
    c4url!("NCPDPBrandGenericIndicator"),
    [(NCPDP_BGI, None)]
);
vs!(
    NCPDP_RXORIGIN_VS,
    c4url!("NCPDPPrescriptionOriginCode"),
    [(NCPDP_RXORIGIN, None)]
);
vs!(
    NCPDP_COMPOUND_VS,
    c4url!("NCPDPCompoundCode"),
    [(NCPDP_COMPOUND, None)]
);
vs!(
    NCPDP_REJECT_VS,
    c4url!("NCPDPRejectCode"),
    [(NCPDP_REJECT, None)]
);
vs!(
    NUCC_VS,
    "http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.114222.4.11.1066",
    [(NUCC, None)]
);
