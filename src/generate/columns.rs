//! Column headers of the six canonical files and a reusable row buffer for the claims file.

use std::fmt::Write as _;

use super::day::Day;

macro_rules! claim_columns {
    ($($name:ident = $text:literal,)*) => {
        /// Claims-file columns, in file order (D2's 103 columns, then the canonical extras).
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(usize)]
        pub(crate) enum C { $($name,)* }

        /// The claims-file header, in the same order as [`C`].
        pub(crate) const CLAIM_HEADER: &[&str] = &[$($text,)*];
    };
}

claim_columns! {
    ServiceStart = "Claim service start date",
    ServiceEnd = "Claim service end date",
    PaidDate = "Claim paid date",
    ReceivedDate = "Claim received date",
    AdmissionDate = "Member admission date",
    DischargeDate = "Member discharge date",
    PatientAccount = "Patient account number",
    MedicalRecord = "Medical record number",
    ClaimId = "Claim unique identifier",
    AdjustedFrom = "Claim adjusted from identifier",
    AdjustedTo = "Claim adjusted to identifier",
    Drg = "Claim diagnosis related group",
    PointOfOrigin = "Claim source inpatient admission code",
    AdmissionType = "Claim inpatient admission type code",
    BillFacility = "Claim bill facility type code",
    BillClassification = "Claim service classification type code",
    BillFrequency = "Claim frequency code",
    ProcessingStatus = "Claim processing status code",
    ClaimType = "Claim type",
    DischargeStatus = "Patient discharge status code",
    ClaimDenialCode = "Claim payment denial code",
    PrimaryPayer = "Claim primary payer identifier",
    PayeeType = "Claim payee type code",
    Payee = "Claim payee",
    PaymentStatus = "Claim payment status code",
    Payer = "Claim payer identifier",
    DaysSupply = "Days supply",
    RxReference = "RX service reference number",
    Daw = "DAW product selection code",
    RefillNumber = "Refill number",
    RxOrigin = "Prescription origin code",
    BrandGeneric = "Plan reported brand generic code",
    PharmacyServiceType = "Pharmacy service type code",
    PatientResidence = "Patient residence code",
    BillingNpi = "Claim billing provider NPI",
    BillingNet = "Claim billing provider network status",
    AttendingNpi = "Claim attending provider NPI",
    AttendingNet = "Claim attending provider network status",
    SiteNpi = "Claim site of service NPI",
    SiteNet = "Claim site of service network status",
    ReferringNpi = "Claim referring provider NPI",
    ReferringNet = "Claim referring provider network status",
    PerformingNpi = "Claim performing provider NPI",
    PerformingNet = "Claim performing provider network status",
    PrescribingNpi = "Claim prescribing provider NPI",
    PrescribingNet = "Claim prescribing provider network status",
    PcpNpi = "Claim PCP NPI",
    TotalSubmitted = "Claim total submitted amount",
    TotalAllowed = "Claim total allowed amount",
    PaidByPatient = "Amount paid by patient",
    PaidToProvider = "Claim amount paid to provider",
    MemberReimbursement = "Member reimbursement",
    PaymentAmount = "Claim payment amount",
    Disallowed = "Claim disallowed amount",
    Deductible = "Member paid deductible",
    Coinsurance = "Co-insurance liability amount",
    Copay = "Copay amount",
    MemberLiability = "Member liability",
    PrimaryPayerPaid = "Claim primary payer paid amount",
    Discount = "Claim discount amount",
    LineFrom = "Service (from) date",
    LineNumber = "Line number",
    LineTo = "Service to date",
    TypeOfService = "Type of service",
    PlaceOfService = "Place of service code",
    Revenue = "Revenue center code",
    AllowedUnits = "Allowed number of units",
    Units = "Number of units",
    Ndc = "National drug code",
    CompoundCode = "Compound code",
    QuantityDispensed = "Quantity dispensed",
    QuantityQualifier = "Quantity qualifier code",
    LineBenefitStatus = "Line benefit payment status",
    LineDenialCode = "Line payment denial code",
    LineDisallowed = "Line disallowed amount",
    LineMemberReimbursement = "Line member reimbursement",
    LinePaidByPatient = "Line amount paid by patient",
    DrugCost = "Drug cost",
    LinePayment = "Line payment amount",
    LinePaidToProvider = "Line amount paid to provider",
    LineDeductible = "Line patient deductible",
    LinePrimaryPayerPaid = "Line primary payer paid amount",
    LineCoinsurance = "Line coinsurance amount",
    LineSubmitted = "Line submitted amount",
    LineAllowed = "Line allowed amount",
    LineMemberLiability = "Line member liability",
    LineCopay = "Line copay amount",
    LineDiscount = "Line discount amount",
    DiagnosisCode = "Diagnosis code",
    DiagnosisDescription = "Diagnosis description",
    PresentOnAdmission = "Present on admission",
    DiagnosisCodeType = "Diagnosis code type",
    DiagnosisType = "Diagnosis type",
    IsECode = "Is E code",
    ProcedureCode = "Procedure code",
    ProcedureDescription = "Procedure description",
    ProcedureDate = "Procedure date",
    ProcedureCodeType = "Procedure code type",
    ProcedureType = "Procedure type",
    Modifier1 = "Modifier Code-1",
    Modifier2 = "Modifier Code-2",
    Modifier3 = "Modifier Code-3",
    Modifier4 = "Modifier Code-4",
    StatementFrom = "Statement from date",
    StatementThrough = "Statement through date",
    SupervisingNpi = "Claim supervising provider NPI",
    OperatingNpi = "Claim operating provider NPI",
    OtherOperatingNpi = "Claim other operating provider NPI",
    PurchasedServiceNpi = "Claim purchased service provider NPI",
    ProcessNote = "Claim process note",
    RefillsAuthorized = "Refills authorized",
    CompoundNdcs = "Compound ingredient NDCs",
    CompoundQuantities = "Compound ingredient quantities",
    PatientWeight = "Patient weight (lb)",
    TransportReason = "Ambulance transport reason code",
    TransportDistance = "Transportation distance (mi)",
    RoundTripPurpose = "Round trip purpose",
    StretcherPurpose = "Stretcher purpose",
    PickupLocation = "Pickup location",
    DropoffLocation = "Dropoff location",
    OrthoMonthsRemaining = "Orthodontic months remaining",
    OrthoApplianceDate = "Orthodontic appliance date",
    ProsthesisReplacement = "Prosthesis replacement",
    PriorProsthesisDate = "Prior prosthesis date",
    MissingTeeth = "Missing tooth numbers",
    ToothNumber = "Tooth number",
    OralCavityArea = "Oral cavity area",
    ToothSurface = "Tooth surface",
    AdditionalBodySite = "Additional body site",
}

/// Number of D2 claim columns (the canonical extras follow them).
#[cfg(test)]
pub(crate) const D2_CLAIM_COLUMNS: usize = 103;

/// Line-level columns: cleared before every line of a claim is written.
pub(crate) const LINE_COLUMNS: &[C] = &[
    C::LineFrom,
    C::LineNumber,
    C::LineTo,
    C::TypeOfService,
    C::PlaceOfService,
    C::Revenue,
    C::AllowedUnits,
    C::Units,
    C::Ndc,
    C::CompoundCode,
    C::QuantityDispensed,
    C::QuantityQualifier,
    C::LineBenefitStatus,
    C::LineDenialCode,
    C::LineDisallowed,
    C::LineMemberReimbursement,
    C::LinePaidByPatient,
    C::DrugCost,
    C::LinePayment,
    C::LinePaidToProvider,
    C::LineDeductible,
    C::LinePrimaryPayerPaid,
    C::LineCoinsurance,
    C::LineSubmitted,
    C::LineAllowed,
    C::LineMemberLiability,
    C::LineCopay,
    C::LineDiscount,
    C::DiagnosisCode,
    C::DiagnosisDescription,
    C::PresentOnAdmission,
    C::DiagnosisCodeType,
    C::DiagnosisType,
    C::IsECode,
    C::ProcedureCode,
    C::ProcedureDescription,
    C::ProcedureDate,
    C::ProcedureCodeType,
    C::ProcedureType,
    C::Modifier1,
    C::Modifier2,
    C::Modifier3,
    C::Modifier4,
    C::CompoundNdcs,
    C::CompoundQuantities,
    C::ToothNumber,
    C::OralCavityArea,
    C::ToothSurface,
    C::AdditionalBodySite,
];

pub(crate) const MEMBER_HEADER: &[&str] = &[
    "Member id",
    "Unique member id",
    "Date of birth",
    "Date of death",
    "Home street address",
    "Home city",
    "Home_County",
    "Home_State",
    "Home_Country",
    "Home_Zip code",
    "Race code",
    "Ethnicity",
    "Gender code",
    "Birth sex",
    "Name",
    "Phone",
    "Email",
    "Language",
    "Home address since",
];

pub(crate) const COVERAGE_HEADER: &[&str] = &[
    "Coverage id",
    "Member id",
    "Subscriber id",
    "Dependent number",
    "Coverage type",
    "Coverage status",
    "Start date",
    "End date",
    "Group id",
    "Group name",
    "Plan identifier",
    "Plan name",
    "Payer identifier",
    "Payer primary identifier",
    "Relationship to subscriber",
];

pub(crate) const ORGANIZATION_HEADER: &[&str] = &[
    "Id",
    "Name",
    "Address",
    "City",
    "State",
    "ZIP",
    "Phone",
    "Type",
    "Tax id",
    "NAIC code",
    "NPI",
];

pub(crate) const PRACTITIONER_HEADER: &[&str] = &[
    "Practitioner NPI",
    "Name",
    "Organization NPI",
    "Code",
    "Specialty",
    "Taxonomy code",
    "Tax id",
];

pub(crate) const RELATED_PERSON_HEADER: &[&str] = &[
    "Related person id",
    "Member id",
    "Relationship code",
    "Name",
    "Phone",
    "Address",
    "City",
    "State",
    "ZIP",
];

/// One claims-file row, reused for every row written (cells are cleared, never reallocated).
pub(crate) struct Row {
    cells: Vec<String>,
}

impl Row {
    pub(crate) fn new() -> Self {
        Row {
            cells: CLAIM_HEADER
                .iter()
                .map(|_| String::with_capacity(16))
                .collect(),
        }
    }

    pub(crate) fn cells(&self) -> &[String] {
        &self.cells
    }

    pub(crate) fn clear_all(&mut self) {
        self.cells.iter_mut().for_each(String::clear);
    }

    pub(crate) fn clear_lines(&mut self) {
        for c in LINE_COLUMNS {
            self.cells[*c as usize].clear();
        }
    }

    fn cell(&mut self, c: C) -> &mut String {
        let s = &mut self.cells[c as usize];
        s.clear();
        s
    }

    pub(crate) fn set(&mut self, c: C, v: &str) {
        self.cell(c).push_str(v);
    }

    pub(crate) fn opt(&mut self, c: C, v: Option<&str>) {
        let s = self.cell(c);
        if let Some(v) = v {
            s.push_str(v);
        }
    }

    pub(crate) fn num(&mut self, c: C, v: impl std::fmt::Display) {
        let s = self.cell(c);
        let _ = write!(s, "{v}");
    }

    pub(crate) fn date(&mut self, c: C, d: Day) {
        d.write_to(self.cell(c));
    }

    pub(crate) fn opt_date(&mut self, c: C, d: Option<Day>) {
        let s = self.cell(c);
        if let Some(d) = d {
            d.write_to(s);
        }
    }

    pub(crate) fn money(&mut self, c: C, cents: i64) {
        let s = self.cell(c);
        push_money(s, cents);
    }

    pub(crate) fn npi(&mut self, c: C, npi: Option<u64>) {
        let s = self.cell(c);
        if let Some(n) = npi {
            let _ = write!(s, "{n}");
        }
    }
}

/// Cents as a decimal with exactly two places (`-` only for negative values, which never occur).
pub(crate) fn push_money(s: &mut String, cents: i64) {
    let sign = if cents < 0 { "-" } else { "" };
    let a = cents.unsigned_abs();
    let _ = write!(s, "{sign}{}.{:02}", a / 100, a % 100);
}
