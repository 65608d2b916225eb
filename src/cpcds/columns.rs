//! Column registries for every CPCDS file kind. A column is found by its header name (after
//! [`normalize`]) under any of its aliases; position never matters.

use std::collections::HashMap;

/// Folds a header to its comparable form: lower case, `_` and `-` as spaces, one space between
/// words, no BOM, no surrounding blanks. `Home_Zip code` → `home zip code`.
pub fn normalize(header: &str) -> String {
    let lowered = header.trim_start_matches('\u{feff}').to_lowercase();
    let mut out = String::with_capacity(lowered.len());
    for word in lowered
        .split(|c: char| c == '_' || c == '-' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// A column enum: every variant with the normalized header names it may appear under.
pub trait Column: Copy + 'static {
    const ALL: &'static [Self];
    fn aliases(self) -> &'static [&'static str];
    fn index(self) -> usize;
}

macro_rules! columns {
    ($(#[$doc:meta])* $name:ident { $($var:ident => [$($alias:literal),+ $(,)?]),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($var),+ }
        impl Column for $name {
            const ALL: &'static [$name] = &[$($name::$var),+];
            fn aliases(self) -> &'static [&'static str] {
                match self { $($name::$var => &[$($alias),+]),+ }
            }
            fn index(self) -> usize { self as usize }
        }
    };
}

columns! {
    /// `CPCDS_Members.csv` (D2, D3, canonical) and `CPCDS_Patients.csv` (D1).
    MemberCol {
        MemberId => ["member id"],
        UniqueMemberId => ["unique member id"],
        BirthDate => ["date of birth"],
        Deceased => ["deceased"],
        DeathDate => ["date of death"],
        Street => ["home street address", "street address", "address"],
        City => ["home city", "city"],
        County => ["home county", "county"],
        State => ["home state", "state"],
        Country => ["home country", "country"],
        Zip => ["home zip code", "zip code", "zip"],
        AddressSince => ["home address since"],
        Race => ["race code", "race"],
        Ethnicity => ["ethnicity"],
        Gender => ["gender code", "gender"],
        BirthSex => ["birth sex"],
        Name => ["name", "patient name"],
        Phone => ["phone"],
        Email => ["email"],
        Language => ["language"],
        LastUpdated => ["member demographics last updated date"],
    }
}

columns! {
    /// `CPCDS_Coverages.csv`.
    CoverageCol {
        CoverageId => ["coverage id"],
        MemberId => ["member id"],
        SubscriberId => ["subscriber id"],
        Dependent => ["dependent number"],
        Type => ["coverage type"],
        Status => ["coverage status"],
        Start => ["start date"],
        End => ["end date"],
        GroupId => ["group id"],
        GroupName => ["group name"],
        PlanId => ["plan identifier"],
        PlanName => ["plan name", "plan"],
        PayerId => ["payer identifier", "claim payer identifier", "payer"],
        Relationship => ["relationship to subscriber"],
    }
}

columns! {
    /// `Organizations.csv`.
    OrgCol {
        Id => ["id"],
        Name => ["name"],
        Address => ["address"],
        City => ["city"],
        State => ["state"],
        Zip => ["zip"],
        Phone => ["phone"],
        Type => ["type"],
        TaxId => ["tax id"],
        Naic => ["naic code"],
        Npi => ["npi"],
    }
}

columns! {
    /// `PractitionerRoles.csv` (D2, canonical) and `Practitioners.csv` (D3).
    PractitionerCol {
        Npi => ["practitioner npi", "provider npi"],
        Name => ["name", "provider name"],
        OrgNpi => ["organization npi"],
        Specialty => ["specialty", "provider taxonomy"],
        Taxonomy => ["taxonomy code"],
        TaxId => ["tax id"],
    }
}

columns! {
    /// `RelatedPersons.csv` (canonical).
    RelatedPersonCol {
        Id => ["related person id"],
        MemberId => ["member id"],
        Relationship => ["relationship code"],
        Name => ["name"],
        Phone => ["phone"],
        Address => ["address"],
        City => ["city"],
        State => ["state"],
        Zip => ["zip"],
    }
}

columns! {
    /// `CPCDS_Claims.csv`, one row per claim line.
    ClaimCol {
        ServiceStart => ["claim service start date"],
        ServiceEnd => ["claim service end date"],
        StatementFrom => ["statement from date"],
        StatementThrough => ["statement through date"],
        PaidDate => ["claim paid date"],
        ReceivedDate => ["claim received date", "claim recieved date"],
        AdmissionDate => ["member admission date"],
        DischargeDate => ["member discharge date"],
        PatientAccount => ["patient account number"],
        Mrn => ["medical record number"],
        ClaimId => ["claim unique identifier", "payer claim unique identifier"],
        AdjustedFrom => ["claim adjusted from identifier"],
        AdjustedTo => ["claim adjusted to identifier"],
        Drg => ["claim diagnosis related group"],
        SourceAdmission => ["claim source inpatient admission code", "claim inpatient source admission code"],
        AdmissionType => ["claim inpatient admission type code"],
        BillFacility => ["claim bill facility type code", "claim type of bill code"],
        BillClassification => ["claim service classification type code"],
        BillFrequency => ["claim frequency code"],
        ProcessingStatus => ["claim processing status code"],
        ClaimType => ["claim type", "claim type code"],
        DischargeStatus => ["patient discharge status code"],
        PaymentDenial => ["claim payment denial code"],
        PrimaryPayer => ["claim primary payer identifier"],
        PayeeType => ["claim payee type code"],
        Payee => ["claim payee"],
        PaymentStatus => ["claim payment status code"],
        PayerId => ["claim payer identifier"],
        DaysSupply => ["days supply"],
        RxRef => ["rx service reference number"],
        Daw => ["daw product selection code"],
        RefillNumber => ["refill number"],
        RxOrigin => ["prescription origin code"],
        BrandGeneric => ["plan reported brand generic code"],
        BillingNpi => ["claim billing provider npi"],
        BillingNetwork => ["claim billing provider network status"],
        AttendingNpi => ["claim attending provider npi"],
        SiteNpi => ["claim site of service npi"],
        ReferringNpi => ["claim referring provider npi"],
        PerformingNpi => ["claim performing provider npi"],
        PerformingNetwork => ["claim performing provider network status"],
        PrescribingNpi => ["claim prescribing provider npi", "claim prescribing physician npi"],
        PcpNpi => ["claim pcp npi"],
        SupervisingNpi => ["claim supervising provider npi"],
        OperatingNpi => ["claim operating provider npi"],
        OtherOperatingNpi => ["claim other operating provider npi"],
        PurchasedServiceNpi => ["claim purchased service provider npi"],
        TotSubmitted => ["claim total submitted amount"],
        TotAllowed => ["claim total allowed amount"],
        TotPaidByPatient => ["amount paid by patient"],
        TotPaidToProvider => ["claim amount paid to provider"],
        TotPaidToPatient => ["member reimbursement"],
        TotPayment => ["claim payment amount"],
        TotNoncovered => ["claim disallowed amount", "claim noncovered amount"],
        TotDeductible => ["member paid deductible"],
        TotCoinsurance => ["co insurance liability amount", "coinsurance liability amount"],
        TotCopay => ["copay amount"],
        TotMemberLiability => ["member liability"],
        TotPriorPayerPaid => ["claim primary payer paid amount"],
        TotDiscount => ["claim discount amount"],
        LineNumber => ["line number"],
        LineFrom => ["service (from) date", "service from date"],
        LineTo => ["service to date"],
        PlaceOfService => ["place of service code"],
        Revenue => ["revenue center code"],
        AllowedUnits => ["allowed number of units"],
        Units => ["number of units"],
        Ndc => ["national drug code"],
        Compound => ["compound code"],
        QuantityDispensed => ["quantity dispensed"],
        QuantityQualifier => ["quantity qualifier code"],
        LineBenefitStatus => ["line benefit payment status"],
        LineDenial => ["line payment denial code"],
        LineNoncovered => ["line disallowed amount", "line noncovered amount"],
        LinePaidToPatient => ["line member reimbursement"],
        LinePaidByPatient => ["line amount paid by patient"],
        LineDrugCost => ["drug cost"],
        LinePayment => ["line payment amount"],
        LinePaidToProvider => ["line amount paid to provider"],
        LineDeductible => ["line patient deductible"],
        LinePriorPayerPaid => ["line primary payer paid amount"],
        LineCoinsurance => ["line coinsurance amount"],
        LineSubmitted => ["line submitted amount"],
        LineAllowed => ["line allowed amount"],
        LineMemberLiability => ["line member liability"],
        LineCopay => ["line copay amount"],
        LineDiscount => ["line discount amount", "line discounted amount", "line discount"],
        DxCode => ["diagnosis code", "diagnosis code 1"],
        DxDesc => ["diagnosis description", "diagnosis code description 1"],
        Poa => ["present on admission", "present on admission 1"],
        DxCodeType => ["diagnosis code type", "diagnosis code type 1"],
        DxType => ["diagnosis type", "diagnosis type 1"],
        IsECode => ["is e code", "is e code 1"],
        ProcCode => ["procedure code"],
        ProcDesc => ["procedure description"],
        ProcDate => ["procedure date"],
        ProcCodeType => ["procedure code type"],
        ProcType => ["procedure type"],
        Modifier1 => ["modifier code 1"],
        Modifier2 => ["modifier code 2"],
        Modifier3 => ["modifier code 3"],
        Modifier4 => ["modifier code 4"],
        ProcessNote => ["claim process note"],
        RefillsAuthorized => ["refills authorized"],
        CompoundNdcs => ["compound ingredient ndcs"],
        CompoundQuantities => ["compound ingredient quantities"],
        PatientWeight => ["patient weight (lb)", "patient weight"],
        AmbulanceReason => ["ambulance transport reason code"],
        TransportDistance => ["transportation distance (mi)", "transportation distance"],
        RoundTripPurpose => ["round trip purpose"],
        StretcherPurpose => ["stretcher purpose"],
        PickupLocation => ["pickup location"],
        DropoffLocation => ["dropoff location"],
        OrthoMonths => ["orthodontic months remaining"],
        OrthoDate => ["orthodontic appliance date"],
        ProsthesisReplacement => ["prosthesis replacement"],
        ProsthesisDate => ["prior prosthesis date"],
        MissingTeeth => ["missing tooth numbers"],
        Tooth => ["tooth number"],
        OralArea => ["oral cavity area"],
        Surface => ["tooth surface"],
        AdditionalBodySite => ["additional body site"],
    }
}

impl ClaimCol {
    /// Columns that describe the whole claim, repeated on each of its rows (docs/cpcds.md):
    /// every row must carry the same value. Not among them: the pharmacy block (days supply,
    /// Rx reference, DAW, refill number, prescription origin, brand/generic, refills
    /// authorized), which Synthea writes per medication row, and the diagnosis columns, which
    /// every row adds to the claim's list.
    pub const CLAIM_LEVEL: &'static [ClaimCol] = &[
        ClaimCol::ServiceStart,
        ClaimCol::ServiceEnd,
        ClaimCol::StatementFrom,
        ClaimCol::StatementThrough,
        ClaimCol::PaidDate,
        ClaimCol::ReceivedDate,
        ClaimCol::AdmissionDate,
        ClaimCol::DischargeDate,
        ClaimCol::PatientAccount,
        ClaimCol::Mrn,
        ClaimCol::ClaimId,
        ClaimCol::AdjustedFrom,
        ClaimCol::AdjustedTo,
        ClaimCol::Drg,
        ClaimCol::SourceAdmission,
        ClaimCol::AdmissionType,
        ClaimCol::BillFacility,
        ClaimCol::BillClassification,
        ClaimCol::BillFrequency,
        ClaimCol::ProcessingStatus,
        ClaimCol::ClaimType,
        ClaimCol::DischargeStatus,
        ClaimCol::PaymentDenial,
        ClaimCol::PrimaryPayer,
        ClaimCol::PayeeType,
        ClaimCol::Payee,
        ClaimCol::PaymentStatus,
        ClaimCol::PayerId,
        ClaimCol::BillingNpi,
        ClaimCol::BillingNetwork,
        ClaimCol::AttendingNpi,
        ClaimCol::SiteNpi,
        ClaimCol::ReferringNpi,
        ClaimCol::PerformingNpi,
        ClaimCol::PerformingNetwork,
        ClaimCol::PrescribingNpi,
        ClaimCol::PcpNpi,
        ClaimCol::SupervisingNpi,
        ClaimCol::OperatingNpi,
        ClaimCol::OtherOperatingNpi,
        ClaimCol::PurchasedServiceNpi,
        ClaimCol::TotSubmitted,
        ClaimCol::TotAllowed,
        ClaimCol::TotPaidByPatient,
        ClaimCol::TotPaidToProvider,
        ClaimCol::TotPaidToPatient,
        ClaimCol::TotPayment,
        ClaimCol::TotNoncovered,
        ClaimCol::TotDeductible,
        ClaimCol::TotCoinsurance,
        ClaimCol::TotCopay,
        ClaimCol::TotMemberLiability,
        ClaimCol::TotPriorPayerPaid,
        ClaimCol::TotDiscount,
        ClaimCol::ProcessNote,
        ClaimCol::PatientWeight,
        ClaimCol::AmbulanceReason,
        ClaimCol::TransportDistance,
        ClaimCol::RoundTripPurpose,
        ClaimCol::StretcherPurpose,
        ClaimCol::PickupLocation,
        ClaimCol::DropoffLocation,
        ClaimCol::OrthoMonths,
        ClaimCol::OrthoDate,
        ClaimCol::ProsthesisReplacement,
        ClaimCol::ProsthesisDate,
        ClaimCol::MissingTeeth,
    ];
}

/// The D3 dialect repeats the diagnosis group five times (`Diagnosis code - 2` …); group 1 is
/// the ordinary diagnosis columns, groups 2–5 are resolved here.
#[derive(Debug, Clone, Default)]
pub struct DiagnosisGroup {
    pub code: Option<usize>,
    pub desc: Option<usize>,
    pub poa: Option<usize>,
    pub code_type: Option<usize>,
    pub dx_type: Option<usize>,
    pub is_e: Option<usize>,
}

/// Which family of writers produced a file, as far as its header tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Synthea's own exporter (D1, D2): some columns hold values that are not what they say.
    Synthea,
    /// Onyx/CARIN CPCDS 0.4.1 (D3).
    Onyx,
    /// This project's canonical dialect (and anything else).
    Canonical,
}

/// Where each column of one file is, by column enum.
#[derive(Debug, Clone)]
pub struct Layout {
    positions: Vec<Option<usize>>,
    headers: Vec<String>,
    pub extra_diagnoses: Vec<DiagnosisGroup>,
    pub dialect: Dialect,
    canonical_columns: bool,
}

/// Columns only this project's canonical dialect has (see docs/cpcds.md).
const CANONICAL_ONLY: &[&str] = &[
    "refills authorized",
    "claim process note",
    "compound ingredient ndcs",
    "unique member id",
    "home city",
    "language",
];

/// Two header cells that would feed the same column: reading either one silently would
/// drop the other's values (a renamed `Name` column empties every Patient's name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderClash {
    /// 0-based positions and header texts of the two cells, in file order.
    pub first: (usize, String),
    pub second: (usize, String),
    /// The column both name (its first alias).
    pub column: String,
}

impl std::fmt::Display for HeaderClash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ((a, a_name), (b, b_name)) = (&self.first, &self.second);
        let what = if normalize(a_name) == normalize(b_name) {
            "the same header twice"
        } else {
            "two names of one column"
        };
        write!(
            f,
            "header columns {} ({a_name:?}) and {} ({b_name:?}) are {what}, {:?}; remove or rename one",
            a + 1,
            b + 1,
            self.column
        )
    }
}

impl Layout {
    /// Finds every column of `C` by name. Refuses a header that names a column twice, by the
    /// same name or by two of its aliases.
    pub fn resolve<C: Column>(headers: &[String]) -> Result<Self, HeaderClash> {
        let mut by_name: HashMap<String, usize> = HashMap::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            let name = normalize(h);
            if name.is_empty() {
                continue; // e.g. a trailing comma on the header line
            }
            if let Some(&first) = by_name.get(&name) {
                return Err(HeaderClash {
                    first: (first, headers[first].clone()),
                    second: (i, h.clone()),
                    column: name,
                });
            }
            by_name.insert(name, i);
        }
        let mut positions = vec![None; C::ALL.len()];
        for c in C::ALL {
            let mut found = c.aliases().iter().filter_map(|a| by_name.get(*a).copied());
            positions[c.index()] = found.next();
            if let (Some(a), Some(b)) = (positions[c.index()], found.next()) {
                let (a, b) = (a.min(b), a.max(b));
                return Err(HeaderClash {
                    first: (a, headers[a].clone()),
                    second: (b, headers[b].clone()),
                    column: c.aliases()[0].to_string(),
                });
            }
        }
        let extra_diagnoses = (2..=5)
            .map(|k| {
                let find = |stem: &str| by_name.get(&format!("{stem} {k}")).copied();
                DiagnosisGroup {
                    code: find("diagnosis code"),
                    desc: find("diagnosis code description"),
                    poa: find("present on admission"),
                    code_type: find("diagnosis code type"),
                    dx_type: find("diagnosis type"),
                    is_e: find("is e code"),
                }
            })
            .filter(|g| g.code.is_some())
            .collect();
        let has_any = |names: &[&str]| names.iter().any(|n| by_name.contains_key(*n));
        let canonical_columns = has_any(CANONICAL_ONLY);
        let dialect = if has_any(&[
            "payer claim unique identifier",
            "member demographics last updated date",
        ]) {
            Dialect::Onyx
        } else if canonical_columns {
            Dialect::Canonical
        } else {
            Dialect::Synthea
        };
        Ok(Self {
            positions,
            headers: headers.to_vec(),
            extra_diagnoses,
            dialect,
            canonical_columns,
        })
    }

    pub fn position<C: Column>(&self, c: C) -> Option<usize> {
        self.positions.get(c.index()).copied().flatten()
    }

    pub fn has<C: Column>(&self, c: C) -> bool {
        self.position(c).is_some()
    }

    pub fn header(&self, position: usize) -> &str {
        self.headers.get(position).map_or("", String::as_str)
    }

    /// Whether the header has a column only the canonical dialect writes.
    pub fn canonical_columns(&self) -> bool {
        self.canonical_columns
    }

    pub fn width(&self) -> usize {
        self.headers.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_spelling_variants() {
        assert_eq!(normalize("\u{feff}Home_Zip code"), "home zip code");
        assert_eq!(normalize("Modifier Code -1"), "modifier code 1");
        assert_eq!(normalize("Modifier Code-1"), "modifier code 1");
        assert_eq!(
            normalize("  Co-insurance   liability amount "),
            "co insurance liability amount"
        );
    }

    #[test]
    fn aliases_are_normalized_and_unique_per_registry() {
        fn check<C: Column + std::fmt::Debug>() {
            let mut seen = std::collections::HashSet::new();
            for c in C::ALL {
                for a in c.aliases() {
                    assert_eq!(normalize(a), *a, "{c:?} alias {a} is not normalized");
                    assert!(seen.insert(*a), "{c:?} alias {a} used twice");
                }
            }
        }
        check::<MemberCol>();
        check::<CoverageCol>();
        check::<OrgCol>();
        check::<PractitionerCol>();
        check::<RelatedPersonCol>();
        check::<ClaimCol>();
    }

    #[test]
    fn layout_finds_columns_by_name_not_position() {
        let headers: Vec<String> = [
            "Claim type code",
            "Claim recieved date",
            "Whatever",
            "Diagnosis code - 2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let layout = Layout::resolve::<ClaimCol>(&headers).unwrap();
        assert_eq!(layout.position(ClaimCol::ClaimType), Some(0));
        assert_eq!(layout.position(ClaimCol::ReceivedDate), Some(1));
        assert_eq!(layout.position(ClaimCol::ClaimId), None);
        assert_eq!(layout.extra_diagnoses.len(), 1);
        assert_eq!(layout.extra_diagnoses[0].code, Some(3));
    }
}
