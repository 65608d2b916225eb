//! The generator's own small code tables.
//!
//! Provenance of the values:
//! * ICD-10-CM, ICD-10-PCS, CPT/HCPCS, CDT, MS-DRG, NUBC, CMS place-of-service, X12 CARC, NCPDP and
//!   NUCC taxonomy codes are real codes, chosen from ones the author is confident of; displays are
//!   our own short descriptors (CPT and CDT descriptors are licensed, so none is copied verbatim).
//! * National drug codes are **synthetic but well formed** (11 digits, 5-4-2 layout) except
//!   Prozac `00777310502`, which appears in the CARIN IG's own examples. A synthetic NDC may by
//!   chance equal a real product's code; the drug names are what the sandbox shows.
//! * Payer names, NAIC codes, tax ids, employer groups, people and addresses are invented.

/// A code with its display text.
pub(crate) type Coded = (&'static str, &'static str);

// ---------------------------------------------------------------------------------------------
// ICD-10-CM diagnoses
// ---------------------------------------------------------------------------------------------

pub(crate) const DX_I10: Coded = ("I10", "Essential (primary) hypertension");
pub(crate) const DX_E11_9: Coded = ("E11.9", "Type 2 diabetes mellitus without complications");
pub(crate) const DX_E78_5: Coded = ("E78.5", "Hyperlipidemia, unspecified");
pub(crate) const DX_J45_909: Coded = ("J45.909", "Unspecified asthma, uncomplicated");
pub(crate) const DX_F32_9: Coded = (
    "F32.9",
    "Major depressive disorder, single episode, unspecified",
);
pub(crate) const DX_F41_1: Coded = ("F41.1", "Generalized anxiety disorder");
pub(crate) const DX_E03_9: Coded = ("E03.9", "Hypothyroidism, unspecified");
pub(crate) const DX_K21_9: Coded = (
    "K21.9",
    "Gastro-esophageal reflux disease without esophagitis",
);
pub(crate) const DX_M17_11: Coded = ("M17.11", "Unilateral primary osteoarthritis, right knee");
pub(crate) const DX_N18_30: Coded = ("N18.30", "Chronic kidney disease, stage 3 unspecified");
pub(crate) const DX_G47_33: Coded = ("G47.33", "Obstructive sleep apnea (adult) (pediatric)");
pub(crate) const DX_E66_9: Coded = ("E66.9", "Obesity, unspecified");
pub(crate) const DX_I48_91: Coded = ("I48.91", "Unspecified atrial fibrillation");
pub(crate) const DX_J44_9: Coded = (
    "J44.9",
    "Chronic obstructive pulmonary disease, unspecified",
);
pub(crate) const DX_M81_0: Coded = (
    "M81.0",
    "Age-related osteoporosis without current pathological fracture",
);
pub(crate) const DX_G43_909: Coded = (
    "G43.909",
    "Migraine, unspecified, not intractable, without status migrainosus",
);
pub(crate) const DX_I25_10: Coded = (
    "I25.10",
    "Atherosclerotic heart disease of native coronary artery without angina pectoris",
);
pub(crate) const DX_I50_9: Coded = ("I50.9", "Heart failure, unspecified");
pub(crate) const DX_F17_210: Coded = ("F17.210", "Nicotine dependence, cigarettes, uncomplicated");
pub(crate) const DX_M79_7: Coded = ("M79.7", "Fibromyalgia");

pub(crate) const DX_J06_9: Coded = ("J06.9", "Acute upper respiratory infection, unspecified");
pub(crate) const DX_J02_9: Coded = ("J02.9", "Acute pharyngitis, unspecified");
pub(crate) const DX_J01_90: Coded = ("J01.90", "Acute sinusitis, unspecified");
pub(crate) const DX_H66_90: Coded = ("H66.90", "Otitis media, unspecified, unspecified ear");
pub(crate) const DX_N39_0: Coded = ("N39.0", "Urinary tract infection, site not specified");
pub(crate) const DX_R07_9: Coded = ("R07.9", "Chest pain, unspecified");
pub(crate) const DX_R10_9: Coded = ("R10.9", "Unspecified abdominal pain");
pub(crate) const DX_R51_9: Coded = ("R51.9", "Headache, unspecified");
pub(crate) const DX_R50_9: Coded = ("R50.9", "Fever, unspecified");
pub(crate) const DX_R42: Coded = ("R42", "Dizziness and giddiness");
pub(crate) const DX_U07_1: Coded = ("U07.1", "COVID-19");
pub(crate) const DX_S93_401A: Coded = (
    "S93.401A",
    "Sprain of unspecified ligament of right ankle, initial encounter",
);
pub(crate) const DX_L03_115: Coded = ("L03.115", "Cellulitis of right lower limb");
pub(crate) const DX_M25_561: Coded = ("M25.561", "Pain in right knee");
pub(crate) const DX_M54_2: Coded = ("M54.2", "Cervicalgia");
pub(crate) const DX_R11_2: Coded = ("R11.2", "Nausea with vomiting, unspecified");
pub(crate) const DX_J20_9: Coded = ("J20.9", "Acute bronchitis, unspecified");
pub(crate) const DX_B34_9: Coded = ("B34.9", "Viral infection, unspecified");
pub(crate) const DX_R55: Coded = ("R55", "Syncope and collapse");
pub(crate) const DX_K52_9: Coded = (
    "K52.9",
    "Noninfective gastroenteritis and colitis, unspecified",
);
pub(crate) const DX_R06_02: Coded = ("R06.02", "Shortness of breath");

pub(crate) const DX_Z00_00: Coded = (
    "Z00.00",
    "Encounter for general adult medical examination without abnormal findings",
);
pub(crate) const DX_Z00_01: Coded = (
    "Z00.01",
    "Encounter for general adult medical examination with abnormal findings",
);
pub(crate) const DX_Z00_129: Coded = (
    "Z00.129",
    "Encounter for routine child health examination without abnormal findings",
);
pub(crate) const DX_Z23: Coded = ("Z23", "Encounter for immunization");
pub(crate) const DX_Z12_11: Coded = (
    "Z12.11",
    "Encounter for screening for malignant neoplasm of colon",
);
pub(crate) const DX_Z12_31: Coded = (
    "Z12.31",
    "Encounter for screening mammogram for malignant neoplasm of breast",
);
pub(crate) const DX_Z13_1: Coded = ("Z13.1", "Encounter for screening for diabetes mellitus");

pub(crate) const DX_A41_9: Coded = ("A41.9", "Sepsis, unspecified organism");
pub(crate) const DX_J18_9: Coded = ("J18.9", "Pneumonia, unspecified organism");
pub(crate) const DX_J44_1: Coded = (
    "J44.1",
    "Chronic obstructive pulmonary disease with (acute) exacerbation",
);
pub(crate) const DX_I21_4: Coded = ("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction");
pub(crate) const DX_I63_9: Coded = ("I63.9", "Cerebral infarction, unspecified");
pub(crate) const DX_K35_80: Coded = ("K35.80", "Unspecified acute appendicitis");
pub(crate) const DX_K80_20: Coded = (
    "K80.20",
    "Calculus of gallbladder without cholecystitis without obstruction",
);
pub(crate) const DX_S72_001A: Coded = (
    "S72.001A",
    "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture",
);
pub(crate) const DX_W19: Coded = ("W19.XXXA", "Unspecified fall, initial encounter");
pub(crate) const DX_Y92_009: Coded = (
    "Y92.009",
    "Unspecified place in unspecified non-institutional (private) residence as the place of occurrence of the external cause",
);
pub(crate) const DX_M25_551: Coded = ("M25.551", "Pain in right hip");
pub(crate) const DX_D64_9: Coded = ("D64.9", "Anemia, unspecified");
pub(crate) const DX_E87_1: Coded = ("E87.1", "Hypo-osmolality and hyponatremia");
pub(crate) const DX_N17_9: Coded = ("N17.9", "Acute kidney failure, unspecified");
pub(crate) const DX_I11_0: Coded = ("I11.0", "Hypertensive heart disease with heart failure");
pub(crate) const DX_O80: Coded = ("O80", "Encounter for full-term uncomplicated delivery");
pub(crate) const DX_Z37_0: Coded = ("Z37.0", "Single live birth");
pub(crate) const DX_O48_0: Coded = ("O48.0", "Post-term pregnancy");
pub(crate) const DX_J12_82: Coded = ("J12.82", "Pneumonia due to coronavirus disease 2019");
pub(crate) const DX_J96_01: Coded = ("J96.01", "Acute respiratory failure with hypoxia");
pub(crate) const DX_E86_0: Coded = ("E86.0", "Dehydration");
pub(crate) const DX_M16_11: Coded = ("M16.11", "Unilateral primary osteoarthritis, right hip");
pub(crate) const DX_K92_2: Coded = ("K92.2", "Gastrointestinal hemorrhage, unspecified");
pub(crate) const DX_D62: Coded = ("D62", "Acute posthemorrhagic anemia");
pub(crate) const DX_D25_9: Coded = ("D25.9", "Leiomyoma of uterus, unspecified");
pub(crate) const DX_K57_32: Coded = (
    "K57.32",
    "Diverticulitis of large intestine without perforation or abscess without bleeding",
);

pub(crate) const DX_Z01_20: Coded = (
    "Z01.20",
    "Encounter for dental examination and cleaning without abnormal findings",
);
pub(crate) const DX_Z01_21: Coded = (
    "Z01.21",
    "Encounter for dental examination and cleaning with abnormal findings",
);
pub(crate) const DX_K02_52: Coded = (
    "K02.52",
    "Dental caries on pit and fissure surface penetrating into dentin",
);
pub(crate) const DX_K02_62: Coded = (
    "K02.62",
    "Dental caries on smooth surface penetrating into dentin",
);
pub(crate) const DX_K02_9: Coded = ("K02.9", "Dental caries, unspecified");
pub(crate) const DX_K05_10: Coded = ("K05.10", "Chronic gingivitis, plaque induced");
pub(crate) const DX_K04_7: Coded = ("K04.7", "Periapical abscess without sinus");
pub(crate) const DX_K08_109: Coded = (
    "K08.109",
    "Complete loss of teeth, unspecified cause, unspecified class",
);
pub(crate) const DX_K08_409: Coded = (
    "K08.409",
    "Partial loss of teeth, unspecified cause, unspecified class",
);
pub(crate) const DX_K01_1: Coded = ("K01.1", "Impacted teeth");
pub(crate) const DX_M26_4: Coded = ("M26.4", "Malocclusion, unspecified");
pub(crate) const DX_K03_81: Coded = ("K03.81", "Cracked tooth");

/// Diagnoses of everyday acute office and urgent visits.
pub(crate) const ACUTE_DX: &[Coded] = &[
    DX_J06_9,
    DX_J02_9,
    DX_J01_90,
    DX_H66_90,
    DX_N39_0,
    DX_R10_9,
    DX_R51_9,
    DX_R50_9,
    DX_R42,
    DX_U07_1,
    DX_S93_401A,
    DX_L03_115,
    DX_M25_561,
    DX_M54_2,
    DX_R11_2,
    DX_J20_9,
    DX_B34_9,
    DX_K52_9,
    DX_R06_02,
];

/// Diagnoses that bring people to the emergency department.
pub(crate) const ED_DX: &[Coded] = &[
    DX_R07_9,
    DX_R10_9,
    DX_R55,
    DX_S93_401A,
    DX_R51_9,
    DX_R11_2,
    DX_L03_115,
    DX_R06_02,
    DX_E86_0,
];

// ---------------------------------------------------------------------------------------------
// Drugs (NDC)
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub(crate) struct Drug {
    /// 11 digits, no dashes.
    pub ndc: &'static str,
    /// What the NDC stands for (CPCDS has no drug-name column; kept for readers and tests).
    #[expect(dead_code, reason = "read by people and tests, not by the generator")]
    pub name: &'static str,
    pub brand: bool,
    /// NCPDP quantity unit: `EA`, `ML`, `GM`.
    pub unit: &'static str,
    /// Quantity for a 30-day supply (chronic drugs); 0 for acute courses.
    pub per_30: u32,
    /// `(quantity, days)` of an acute course.
    pub course: (u32, u32),
    /// Price per unit in cents (before the dispensing fee).
    pub unit_price: i64,
}

const fn chronic(
    ndc: &'static str,
    name: &'static str,
    brand: bool,
    unit: &'static str,
    per_30: u32,
    unit_price: i64,
) -> Drug {
    Drug {
        ndc,
        name,
        brand,
        unit,
        per_30,
        course: (0, 0),
        unit_price,
    }
}

const fn acute(
    ndc: &'static str,
    name: &'static str,
    brand: bool,
    qty: u32,
    days: u32,
    unit_price: i64,
) -> Drug {
    Drug {
        ndc,
        name,
        brand,
        unit: "EA",
        per_30: 0,
        course: (qty, days),
        unit_price,
    }
}

pub(crate) const LISINOPRIL: Drug = chronic(
    "70010011030",
    "Lisinopril 10 mg oral tablet",
    false,
    "EA",
    30,
    12,
);
pub(crate) const AMLODIPINE: Drug = chronic(
    "70010012030",
    "Amlodipine besylate 5 mg oral tablet",
    false,
    "EA",
    30,
    10,
);
pub(crate) const LOSARTAN: Drug = chronic(
    "70010013030",
    "Losartan potassium 50 mg oral tablet",
    false,
    "EA",
    30,
    18,
);
pub(crate) const HCTZ: Drug = chronic(
    "70010014030",
    "Hydrochlorothiazide 25 mg oral tablet",
    false,
    "EA",
    30,
    8,
);
pub(crate) const METFORMIN: Drug = chronic(
    "70020011060",
    "Metformin hydrochloride 500 mg oral tablet",
    false,
    "EA",
    60,
    9,
);
pub(crate) const JANUVIA: Drug = chronic(
    "70020021030",
    "Januvia (sitagliptin) 100 mg oral tablet",
    true,
    "EA",
    30,
    1750,
);
pub(crate) const JARDIANCE: Drug = chronic(
    "70020031030",
    "Jardiance (empagliflozin) 10 mg oral tablet",
    true,
    "EA",
    30,
    1980,
);
pub(crate) const LANTUS: Drug = chronic(
    "70020041015",
    "Lantus SoloStar (insulin glargine) 100 unit/mL pen",
    true,
    "ML",
    15,
    2800,
);
pub(crate) const ATORVASTATIN: Drug = chronic(
    "70030011090",
    "Atorvastatin calcium 20 mg oral tablet",
    false,
    "EA",
    30,
    14,
);
pub(crate) const ROSUVASTATIN: Drug = chronic(
    "70030012090",
    "Rosuvastatin calcium 10 mg oral tablet",
    false,
    "EA",
    30,
    16,
);
pub(crate) const SIMVASTATIN: Drug = chronic(
    "70030013090",
    "Simvastatin 40 mg oral tablet",
    false,
    "EA",
    30,
    9,
);
pub(crate) const ALBUTEROL: Drug = chronic(
    "70040011001",
    "Albuterol sulfate HFA 90 mcg/actuation inhaler",
    false,
    "EA",
    1,
    3200,
);
pub(crate) const SYMBICORT: Drug = chronic(
    "70040021001",
    "Symbicort (budesonide/formoterol) 160/4.5 mcg inhaler",
    true,
    "EA",
    1,
    33000,
);
pub(crate) const MONTELUKAST: Drug = chronic(
    "70040031030",
    "Montelukast sodium 10 mg oral tablet",
    false,
    "EA",
    30,
    15,
);
pub(crate) const SERTRALINE: Drug = chronic(
    "70050011030",
    "Sertraline hydrochloride 50 mg oral tablet",
    false,
    "EA",
    30,
    11,
);
pub(crate) const ESCITALOPRAM: Drug = chronic(
    "70050021030",
    "Escitalopram oxalate 10 mg oral tablet",
    false,
    "EA",
    30,
    12,
);
pub(crate) const BUPROPION: Drug = chronic(
    "70050031030",
    "Bupropion hydrochloride XL 150 mg extended-release tablet",
    false,
    "EA",
    30,
    30,
);
/// The one real NDC in the table (from the CARIN IG examples).
pub(crate) const PROZAC: Drug = chronic(
    "00777310502",
    "Prozac (fluoxetine hydrochloride) oral capsule",
    true,
    "EA",
    30,
    1500,
);
pub(crate) const LEVOTHYROXINE: Drug = chronic(
    "70060011090",
    "Levothyroxine sodium 50 mcg oral tablet",
    false,
    "EA",
    30,
    13,
);
pub(crate) const OMEPRAZOLE: Drug = chronic(
    "70070011030",
    "Omeprazole 20 mg delayed-release oral capsule",
    false,
    "EA",
    30,
    14,
);
pub(crate) const PANTOPRAZOLE: Drug = chronic(
    "70070021090",
    "Pantoprazole sodium 40 mg delayed-release oral tablet",
    false,
    "EA",
    30,
    15,
);
pub(crate) const ELIQUIS: Drug = chronic(
    "70080011060",
    "Eliquis (apixaban) 5 mg oral tablet",
    true,
    "EA",
    60,
    960,
);
pub(crate) const METOPROLOL: Drug = chronic(
    "70080021030",
    "Metoprolol succinate ER 50 mg oral tablet",
    false,
    "EA",
    30,
    20,
);
pub(crate) const FUROSEMIDE: Drug = chronic(
    "70080031030",
    "Furosemide 40 mg oral tablet",
    false,
    "EA",
    30,
    7,
);
pub(crate) const CLOPIDOGREL: Drug = chronic(
    "70080041030",
    "Clopidogrel 75 mg oral tablet",
    false,
    "EA",
    30,
    16,
);
pub(crate) const SPIRIVA: Drug = chronic(
    "70090011001",
    "Spiriva Respimat (tiotropium) 2.5 mcg/actuation inhaler",
    true,
    "EA",
    1,
    52000,
);
pub(crate) const ALENDRONATE: Drug = chronic(
    "70100011004",
    "Alendronate sodium 70 mg oral tablet (weekly)",
    false,
    "EA",
    4,
    95,
);
pub(crate) const SUMATRIPTAN: Drug = chronic(
    "70110011009",
    "Sumatriptan succinate 50 mg oral tablet",
    false,
    "EA",
    9,
    110,
);
pub(crate) const MELOXICAM: Drug = chronic(
    "70120011030",
    "Meloxicam 15 mg oral tablet",
    false,
    "EA",
    30,
    9,
);
pub(crate) const GABAPENTIN: Drug = chronic(
    "70130011090",
    "Gabapentin 300 mg oral capsule",
    false,
    "EA",
    90,
    8,
);
pub(crate) const VARENICLINE: Drug = chronic(
    "70140011056",
    "Varenicline tartrate 1 mg oral tablet",
    false,
    "EA",
    60,
    210,
);

pub(crate) const AMOXICILLIN: Drug = acute(
    "70200011021",
    "Amoxicillin 500 mg oral capsule",
    false,
    21,
    7,
    14,
);
pub(crate) const AZITHROMYCIN: Drug = acute(
    "70200021006",
    "Azithromycin 250 mg oral tablet",
    false,
    6,
    5,
    120,
);
pub(crate) const CEPHALEXIN: Drug = acute(
    "70200031028",
    "Cephalexin 500 mg oral capsule",
    false,
    28,
    7,
    22,
);
pub(crate) const NITROFURANTOIN: Drug = acute(
    "70200041010",
    "Nitrofurantoin monohydrate/macrocrystals 100 mg oral capsule",
    false,
    10,
    5,
    95,
);
pub(crate) const ONDANSETRON: Drug = acute(
    "70200051012",
    "Ondansetron 4 mg orally disintegrating tablet",
    false,
    12,
    6,
    40,
);
pub(crate) const PREDNISONE: Drug = acute(
    "70200061010",
    "Prednisone 20 mg oral tablet",
    false,
    10,
    5,
    12,
);
pub(crate) const IBUPROFEN: Drug = acute(
    "70200071030",
    "Ibuprofen 800 mg oral tablet",
    false,
    30,
    10,
    9,
);
pub(crate) const PAXLOVID: Drug = acute(
    "70200081030",
    "Paxlovid (nirmatrelvir/ritonavir) tablet dose pack",
    true,
    30,
    5,
    4600,
);
pub(crate) const OXYCODONE_APAP: Drug = acute(
    "70200091012",
    "Oxycodone/acetaminophen 5 mg/325 mg oral tablet",
    false,
    12,
    3,
    35,
);

/// Compounding ingredients (quantities in the drug's unit).
pub(crate) const LIDOCAINE_VISCOUS: Drug = chronic(
    "70300011100",
    "Lidocaine hydrochloride 2% viscous oral solution",
    false,
    "ML",
    0,
    6,
);
pub(crate) const DIPHENHYDRAMINE_ELIXIR: Drug = chronic(
    "70300021118",
    "Diphenhydramine hydrochloride 12.5 mg/5 mL oral elixir",
    false,
    "ML",
    0,
    3,
);
pub(crate) const ANTACID_SUSPENSION: Drug = chronic(
    "70300031355",
    "Aluminum hydroxide/magnesium hydroxide/simethicone oral suspension",
    false,
    "ML",
    0,
    2,
);
pub(crate) const KETOPROFEN_POWDER: Drug = chronic(
    "70300041025",
    "Ketoprofen powder for compounding",
    false,
    "GM",
    0,
    180,
);
pub(crate) const LIDOCAINE_POWDER: Drug = chronic(
    "70300051025",
    "Lidocaine hydrochloride powder for compounding",
    false,
    "GM",
    0,
    150,
);
pub(crate) const CREAM_BASE: Drug =
    chronic("70300061500", "Compounding cream base", false, "GM", 0, 12);
pub(crate) const HYDROCORTISONE_POWDER: Drug = chronic(
    "70300071025",
    "Hydrocortisone powder for compounding",
    false,
    "GM",
    0,
    140,
);

/// A compounded prescription: `(name, ingredients with quantities, days supply)`.
#[derive(Debug)]
pub(crate) struct Compound {
    #[expect(
        dead_code,
        reason = "names the compound for people and tests, not the generator"
    )]
    pub name: &'static str,
    pub ingredients: &'static [(&'static Drug, u32)],
    pub days: u32,
}

pub(crate) const COMPOUNDS: &[Compound] = &[
    Compound {
        name: "Compounded oral rinse (lidocaine/diphenhydramine/antacid)",
        ingredients: &[
            (&LIDOCAINE_VISCOUS, 80),
            (&DIPHENHYDRAMINE_ELIXIR, 80),
            (&ANTACID_SUSPENSION, 80),
        ],
        days: 10,
    },
    Compound {
        name: "Compounded topical pain cream (ketoprofen 10%/lidocaine 5%)",
        ingredients: &[
            (&KETOPROFEN_POWDER, 10),
            (&LIDOCAINE_POWDER, 5),
            (&CREAM_BASE, 85),
        ],
        days: 30,
    },
    Compound {
        name: "Compounded hydrocortisone 1% cream",
        ingredients: &[(&HYDROCORTISONE_POWDER, 1), (&CREAM_BASE, 99)],
        days: 30,
    },
];

/// Every drug of the table (used by tests to check the NDC format).
#[cfg(test)]
pub(crate) const ALL_DRUGS: &[&Drug] = &[
    &LISINOPRIL,
    &AMLODIPINE,
    &LOSARTAN,
    &HCTZ,
    &METFORMIN,
    &JANUVIA,
    &JARDIANCE,
    &LANTUS,
    &ATORVASTATIN,
    &ROSUVASTATIN,
    &SIMVASTATIN,
    &ALBUTEROL,
    &SYMBICORT,
    &MONTELUKAST,
    &SERTRALINE,
    &ESCITALOPRAM,
    &BUPROPION,
    &PROZAC,
    &LEVOTHYROXINE,
    &OMEPRAZOLE,
    &PANTOPRAZOLE,
    &ELIQUIS,
    &METOPROLOL,
    &FUROSEMIDE,
    &CLOPIDOGREL,
    &SPIRIVA,
    &ALENDRONATE,
    &SUMATRIPTAN,
    &MELOXICAM,
    &GABAPENTIN,
    &VARENICLINE,
    &AMOXICILLIN,
    &AZITHROMYCIN,
    &CEPHALEXIN,
    &NITROFURANTOIN,
    &ONDANSETRON,
    &PREDNISONE,
    &IBUPROFEN,
    &PAXLOVID,
    &OXYCODONE_APAP,
    &LIDOCAINE_VISCOUS,
    &DIPHENHYDRAMINE_ELIXIR,
    &ANTACID_SUSPENSION,
    &KETOPROFEN_POWDER,
    &LIDOCAINE_POWDER,
    &CREAM_BASE,
    &HYDROCORTISONE_POWDER,
];

/// Acute prescriptions for an acute diagnosis, if one is usual.
pub(crate) fn acute_drug_for(dx: &str) -> Option<&'static Drug> {
    Some(match dx {
        "J02.9" | "H66.90" | "J01.90" => &AMOXICILLIN,
        "J20.9" | "J06.9" => &AZITHROMYCIN,
        "L03.115" => &CEPHALEXIN,
        "N39.0" => &NITROFURANTOIN,
        "R11.2" | "K52.9" => &ONDANSETRON,
        "S93.401A" | "M25.561" | "M54.2" => &IBUPROFEN,
        "U07.1" => &PAXLOVID,
        "J44.1" => &PREDNISONE,
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Chronic conditions
// ---------------------------------------------------------------------------------------------

pub(crate) struct Condition {
    pub dx: Coded,
    pub min_age: i32,
    /// Relative prevalence among people old enough.
    pub weight: u32,
    pub drugs: &'static [&'static Drug],
    /// The specialist who sees it (besides the PCP).
    pub specialty: Specialty,
}

pub(crate) const CONDITIONS: &[Condition] = &[
    Condition {
        dx: DX_I10,
        min_age: 30,
        weight: 30,
        drugs: &[&LISINOPRIL, &AMLODIPINE, &LOSARTAN, &HCTZ],
        specialty: Specialty::Cardiology,
    },
    Condition {
        dx: DX_E78_5,
        min_age: 30,
        weight: 25,
        drugs: &[&ATORVASTATIN, &ROSUVASTATIN, &SIMVASTATIN],
        specialty: Specialty::Cardiology,
    },
    Condition {
        dx: DX_E11_9,
        min_age: 30,
        weight: 14,
        drugs: &[&METFORMIN, &JANUVIA, &JARDIANCE, &LANTUS],
        specialty: Specialty::Endocrinology,
    },
    Condition {
        dx: DX_J45_909,
        min_age: 3,
        weight: 9,
        drugs: &[&ALBUTEROL, &SYMBICORT, &MONTELUKAST],
        specialty: Specialty::Pulmonology,
    },
    Condition {
        dx: DX_F32_9,
        min_age: 13,
        weight: 9,
        drugs: &[&SERTRALINE, &BUPROPION, &PROZAC],
        specialty: Specialty::Psychiatry,
    },
    Condition {
        dx: DX_F41_1,
        min_age: 13,
        weight: 8,
        drugs: &[&ESCITALOPRAM, &SERTRALINE],
        specialty: Specialty::Psychologist,
    },
    Condition {
        dx: DX_E03_9,
        min_age: 20,
        weight: 7,
        drugs: &[&LEVOTHYROXINE],
        specialty: Specialty::Endocrinology,
    },
    Condition {
        dx: DX_K21_9,
        min_age: 20,
        weight: 8,
        drugs: &[&OMEPRAZOLE, &PANTOPRAZOLE],
        specialty: Specialty::Gastroenterology,
    },
    Condition {
        dx: DX_M17_11,
        min_age: 50,
        weight: 6,
        drugs: &[&MELOXICAM],
        specialty: Specialty::Orthopedics,
    },
    Condition {
        dx: DX_N18_30,
        min_age: 55,
        weight: 3,
        drugs: &[&FUROSEMIDE],
        specialty: Specialty::InternalMedicine,
    },
    Condition {
        dx: DX_G47_33,
        min_age: 30,
        weight: 4,
        drugs: &[],
        specialty: Specialty::Pulmonology,
    },
    Condition {
        dx: DX_E66_9,
        min_age: 10,
        weight: 8,
        drugs: &[],
        specialty: Specialty::Endocrinology,
    },
    Condition {
        dx: DX_I48_91,
        min_age: 55,
        weight: 4,
        drugs: &[&ELIQUIS, &METOPROLOL],
        specialty: Specialty::Cardiology,
    },
    Condition {
        dx: DX_J44_9,
        min_age: 45,
        weight: 4,
        drugs: &[&SPIRIVA, &ALBUTEROL],
        specialty: Specialty::Pulmonology,
    },
    Condition {
        dx: DX_M81_0,
        min_age: 55,
        weight: 3,
        drugs: &[&ALENDRONATE],
        specialty: Specialty::Endocrinology,
    },
    Condition {
        dx: DX_G43_909,
        min_age: 12,
        weight: 4,
        drugs: &[&SUMATRIPTAN],
        specialty: Specialty::InternalMedicine,
    },
    Condition {
        dx: DX_I25_10,
        min_age: 50,
        weight: 4,
        drugs: &[&CLOPIDOGREL, &ATORVASTATIN],
        specialty: Specialty::Cardiology,
    },
    Condition {
        dx: DX_I50_9,
        min_age: 60,
        weight: 2,
        drugs: &[&FUROSEMIDE, &METOPROLOL],
        specialty: Specialty::Cardiology,
    },
    Condition {
        dx: DX_F17_210,
        min_age: 18,
        weight: 5,
        drugs: &[&VARENICLINE],
        specialty: Specialty::InternalMedicine,
    },
    Condition {
        dx: DX_M79_7,
        min_age: 25,
        weight: 2,
        drugs: &[&GABAPENTIN],
        specialty: Specialty::InternalMedicine,
    },
];

// ---------------------------------------------------------------------------------------------
// CPT / HCPCS services
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub(crate) struct Svc {
    pub code: &'static str,
    pub display: &'static str,
    /// CMS type of service (a retired CPCDS column, filled for completeness).
    pub tos: &'static str,
    /// Charge range in dollars.
    pub lo: i64,
    pub hi: i64,
}

impl Svc {
    /// `CPT` for numeric codes, `HCPCS` for level II codes.
    pub(crate) fn code_type(&self) -> &'static str {
        if self.code.as_bytes()[0].is_ascii_digit() {
            "CPT"
        } else {
            "HCPCS"
        }
    }
}

const fn svc(
    code: &'static str,
    display: &'static str,
    tos: &'static str,
    lo: i64,
    hi: i64,
) -> Svc {
    Svc {
        code,
        display,
        tos,
        lo,
        hi,
    }
}

pub(crate) const CPT_99202: Svc = svc(
    "99202",
    "Office visit, new patient, straightforward decision making",
    "1",
    90,
    140,
);
pub(crate) const CPT_99203: Svc = svc(
    "99203",
    "Office visit, new patient, low complexity decision making",
    "1",
    140,
    210,
);
pub(crate) const CPT_99204: Svc = svc(
    "99204",
    "Office visit, new patient, moderate complexity decision making",
    "1",
    220,
    320,
);
pub(crate) const CPT_99212: Svc = svc(
    "99212",
    "Office visit, established patient, straightforward decision making",
    "1",
    70,
    110,
);
pub(crate) const CPT_99213: Svc = svc(
    "99213",
    "Office visit, established patient, low complexity decision making",
    "1",
    110,
    170,
);
pub(crate) const CPT_99214: Svc = svc(
    "99214",
    "Office visit, established patient, moderate complexity decision making",
    "1",
    160,
    250,
);
pub(crate) const CPT_99215: Svc = svc(
    "99215",
    "Office visit, established patient, high complexity decision making",
    "1",
    230,
    340,
);
pub(crate) const CPT_99283: Svc = svc(
    "99283",
    "Emergency department visit, moderate severity",
    "1",
    180,
    380,
);
pub(crate) const CPT_99284: Svc = svc(
    "99284",
    "Emergency department visit, high severity",
    "1",
    320,
    650,
);
pub(crate) const CPT_99285: Svc = svc(
    "99285",
    "Emergency department visit, highest severity",
    "1",
    480,
    950,
);
pub(crate) const CPT_99223: Svc = svc(
    "99223",
    "Initial hospital inpatient care, high complexity",
    "1",
    280,
    420,
);
pub(crate) const CPT_99232: Svc = svc(
    "99232",
    "Subsequent hospital inpatient care, moderate complexity",
    "1",
    110,
    190,
);
pub(crate) const CPT_99238: Svc = svc(
    "99238",
    "Hospital discharge day management, 30 minutes or less",
    "1",
    110,
    180,
);
pub(crate) const CPT_99385: Svc = svc(
    "99385",
    "Preventive visit, new patient, age 18-39",
    "1",
    220,
    300,
);
pub(crate) const CPT_99386: Svc = svc(
    "99386",
    "Preventive visit, new patient, age 40-64",
    "1",
    250,
    340,
);
pub(crate) const CPT_99392: Svc = svc(
    "99392",
    "Preventive visit, established patient, age 1-4",
    "1",
    180,
    250,
);
pub(crate) const CPT_99393: Svc = svc(
    "99393",
    "Preventive visit, established patient, age 5-11",
    "1",
    180,
    250,
);
pub(crate) const CPT_99394: Svc = svc(
    "99394",
    "Preventive visit, established patient, age 12-17",
    "1",
    190,
    260,
);
pub(crate) const CPT_99395: Svc = svc(
    "99395",
    "Preventive visit, established patient, age 18-39",
    "1",
    200,
    280,
);
pub(crate) const CPT_99396: Svc = svc(
    "99396",
    "Preventive visit, established patient, age 40-64",
    "1",
    220,
    300,
);
pub(crate) const CPT_99397: Svc = svc(
    "99397",
    "Preventive visit, established patient, age 65 and over",
    "1",
    240,
    320,
);
pub(crate) const HCPCS_G0438: Svc = svc("G0438", "Annual wellness visit, initial", "1", 170, 250);
pub(crate) const HCPCS_G0439: Svc =
    svc("G0439", "Annual wellness visit, subsequent", "1", 120, 190);

pub(crate) const CPT_80053: Svc = svc("80053", "Comprehensive metabolic panel", "5", 25, 60);
pub(crate) const CPT_80048: Svc = svc("80048", "Basic metabolic panel", "5", 20, 45);
pub(crate) const CPT_85025: Svc = svc(
    "85025",
    "Complete blood count with automated differential",
    "5",
    18,
    40,
);
pub(crate) const CPT_83036: Svc = svc("83036", "Hemoglobin A1c", "5", 25, 55);
pub(crate) const CPT_80061: Svc = svc("80061", "Lipid panel", "5", 30, 70);
pub(crate) const CPT_84443: Svc = svc("84443", "Thyroid stimulating hormone (TSH)", "5", 35, 75);
pub(crate) const CPT_81001: Svc = svc(
    "81001",
    "Urinalysis, automated, with microscopy",
    "5",
    10,
    25,
);
pub(crate) const CPT_87880: Svc = svc(
    "87880",
    "Rapid streptococcus group A antigen test",
    "5",
    25,
    50,
);
pub(crate) const CPT_36415: Svc = svc("36415", "Routine venipuncture", "5", 10, 20);
pub(crate) const CPT_87635: Svc = svc("87635", "SARS-CoV-2 amplified probe test", "5", 80, 150);

pub(crate) const CPT_71046: Svc = svc("71046", "Chest X-ray, 2 views", "4", 90, 180);
pub(crate) const CPT_73562: Svc = svc("73562", "X-ray of knee, 3 views", "4", 90, 170);
pub(crate) const CPT_72100: Svc = svc(
    "72100",
    "X-ray of lumbosacral spine, 2 or 3 views",
    "4",
    90,
    170,
);
pub(crate) const CPT_74177: Svc = svc(
    "74177",
    "CT abdomen and pelvis with contrast",
    "4",
    900,
    2100,
);
pub(crate) const CPT_70450: Svc = svc("70450", "CT head or brain without contrast", "4", 600, 1400);
pub(crate) const CPT_70551: Svc = svc("70551", "MRI brain without contrast", "4", 1200, 2600);
pub(crate) const CPT_73721: Svc = svc(
    "73721",
    "MRI lower extremity joint without contrast",
    "4",
    1100,
    2400,
);
pub(crate) const CPT_77067: Svc = svc("77067", "Screening mammography, bilateral", "4", 200, 380);
pub(crate) const CPT_76700: Svc = svc("76700", "Ultrasound of abdomen, complete", "4", 300, 650);
pub(crate) const CPT_93000: Svc = svc("93000", "Electrocardiogram, complete", "5", 40, 90);
pub(crate) const CPT_93005: Svc = svc("93005", "Electrocardiogram, tracing only", "5", 30, 70);
pub(crate) const CPT_93306: Svc = svc(
    "93306",
    "Transthoracic echocardiography, complete, with Doppler",
    "4",
    900,
    1900,
);

pub(crate) const CPT_20610: Svc = svc(
    "20610",
    "Arthrocentesis or injection, major joint",
    "2",
    120,
    260,
);
pub(crate) const CPT_11042: Svc = svc(
    "11042",
    "Debridement, subcutaneous tissue, first 20 sq cm",
    "2",
    180,
    360,
);
pub(crate) const CPT_12001: Svc = svc(
    "12001",
    "Simple repair of superficial wound, 2.5 cm or less",
    "2",
    150,
    300,
);
pub(crate) const CPT_17110: Svc = svc(
    "17110",
    "Destruction of benign lesions, up to 14",
    "2",
    130,
    240,
);
pub(crate) const CPT_69210: Svc = svc(
    "69210",
    "Removal of impacted cerumen, unilateral",
    "2",
    60,
    120,
);
pub(crate) const CPT_10060: Svc = svc(
    "10060",
    "Incision and drainage of abscess, simple",
    "2",
    180,
    350,
);
pub(crate) const CPT_45378: Svc = svc("45378", "Colonoscopy, diagnostic", "2", 900, 1800);
pub(crate) const CPT_45380: Svc = svc("45380", "Colonoscopy with biopsy", "2", 1100, 2200);
pub(crate) const CPT_43239: Svc = svc("43239", "Upper GI endoscopy with biopsy", "2", 900, 1900);
pub(crate) const CPT_29881: Svc = svc(
    "29881",
    "Knee arthroscopy with meniscectomy",
    "2",
    2500,
    5200,
);
pub(crate) const CPT_66984: Svc = svc(
    "66984",
    "Cataract extraction with intraocular lens insertion",
    "2",
    1800,
    3600,
);
pub(crate) const CPT_27447: Svc = svc("27447", "Total knee arthroplasty", "2", 3800, 6200);
pub(crate) const CPT_27130: Svc = svc("27130", "Total hip arthroplasty", "2", 3800, 6300);
pub(crate) const CPT_27245: Svc = svc(
    "27245",
    "Treatment of intertrochanteric femoral fracture with intramedullary implant",
    "2",
    2600,
    4800,
);
pub(crate) const CPT_44970: Svc = svc("44970", "Laparoscopic appendectomy", "2", 1500, 2900);
pub(crate) const CPT_47562: Svc = svc("47562", "Laparoscopic cholecystectomy", "2", 1800, 3300);
pub(crate) const CPT_92928: Svc = svc(
    "92928",
    "Percutaneous coronary stent placement, single major artery",
    "2",
    2800,
    5200,
);
pub(crate) const CPT_59400: Svc = svc(
    "59400",
    "Routine obstetric care including vaginal delivery",
    "2",
    2600,
    4600,
);
pub(crate) const CPT_58150: Svc = svc("58150", "Total abdominal hysterectomy", "2", 2400, 4400);
pub(crate) const CPT_44140: Svc = svc(
    "44140",
    "Partial colectomy with anastomosis",
    "2",
    3000,
    5200,
);
pub(crate) const CPT_59510: Svc = svc(
    "59510",
    "Routine obstetric care including cesarean delivery",
    "2",
    3200,
    5600,
);

pub(crate) const CPT_90471: Svc = svc(
    "90471",
    "Immunization administration, first vaccine",
    "1",
    20,
    40,
);
pub(crate) const CPT_90686: Svc = svc(
    "90686",
    "Influenza vaccine, quadrivalent, preservative free, intramuscular",
    "V",
    25,
    50,
);
pub(crate) const CPT_90715: Svc = svc("90715", "Tdap vaccine, intramuscular", "1", 45, 80);
pub(crate) const CPT_90732: Svc = svc(
    "90732",
    "Pneumococcal polysaccharide vaccine, 23-valent",
    "V",
    110,
    170,
);
pub(crate) const CPT_96372: Svc = svc(
    "96372",
    "Therapeutic injection, subcutaneous or intramuscular",
    "1",
    30,
    60,
);
pub(crate) const HCPCS_J3301: Svc = svc(
    "J3301",
    "Injection, triamcinolone acetonide, per 10 mg",
    "1",
    8,
    20,
);
pub(crate) const HCPCS_J1885: Svc = svc(
    "J1885",
    "Injection, ketorolac tromethamine, per 15 mg",
    "1",
    6,
    15,
);
pub(crate) const HCPCS_J0696: Svc = svc(
    "J0696",
    "Injection, ceftriaxone sodium, per 250 mg",
    "1",
    10,
    25,
);
pub(crate) const HCPCS_J1100: Svc = svc(
    "J1100",
    "Injection, dexamethasone sodium phosphate, 1 mg",
    "1",
    2,
    6,
);

pub(crate) const CPT_97161: Svc = svc(
    "97161",
    "Physical therapy evaluation, low complexity",
    "W",
    120,
    200,
);
pub(crate) const CPT_97110: Svc = svc(
    "97110",
    "Therapeutic exercise, each 15 minutes",
    "W",
    35,
    70,
);
pub(crate) const CPT_97140: Svc = svc(
    "97140",
    "Manual therapy techniques, each 15 minutes",
    "W",
    35,
    70,
);
pub(crate) const CPT_97530: Svc = svc(
    "97530",
    "Therapeutic activities, each 15 minutes",
    "W",
    40,
    75,
);
pub(crate) const CPT_90791: Svc = svc("90791", "Psychiatric diagnostic evaluation", "1", 180, 300);
pub(crate) const CPT_90834: Svc = svc("90834", "Psychotherapy, 45 minutes", "1", 120, 190);
pub(crate) const CPT_90837: Svc = svc("90837", "Psychotherapy, 60 minutes", "1", 160, 240);

pub(crate) const HCPCS_E0601: Svc = svc(
    "E0601",
    "Continuous positive airway pressure (CPAP) device",
    "R",
    90,
    160,
);
pub(crate) const HCPCS_E0114: Svc = svc(
    "E0114",
    "Crutches, underarm, other than wood, pair",
    "P",
    40,
    90,
);
pub(crate) const HCPCS_E0143: Svc = svc("E0143", "Walker, folding, wheeled", "P", 80, 160);
pub(crate) const HCPCS_E0260: Svc = svc(
    "E0260",
    "Hospital bed, semi-electric, with mattress",
    "R",
    150,
    260,
);
pub(crate) const HCPCS_K0001: Svc = svc("K0001", "Standard wheelchair", "R", 60, 120);
pub(crate) const HCPCS_A4253: Svc = svc(
    "A4253",
    "Blood glucose test strips, per 50 strips",
    "9",
    30,
    60,
);
pub(crate) const HCPCS_A4259: Svc = svc("A4259", "Lancets, per box of 100", "9", 10, 25);
pub(crate) const HCPCS_E0607: Svc = svc("E0607", "Home blood glucose monitor", "P", 40, 90);

pub(crate) const HCPCS_A0425: Svc = svc(
    "A0425",
    "Ground ambulance mileage, per statute mile",
    "D",
    12,
    22,
);
pub(crate) const HCPCS_A0426: Svc = svc(
    "A0426",
    "Ambulance service, advanced life support, non-emergency transport (ALS 1)",
    "D",
    500,
    900,
);
pub(crate) const HCPCS_A0427: Svc = svc(
    "A0427",
    "Ambulance service, advanced life support, emergency transport (ALS 1)",
    "D",
    800,
    1400,
);
pub(crate) const HCPCS_A0428: Svc = svc(
    "A0428",
    "Ambulance service, basic life support, non-emergency transport (BLS)",
    "D",
    350,
    650,
);
pub(crate) const HCPCS_A0429: Svc = svc(
    "A0429",
    "Ambulance service, basic life support, emergency transport (BLS)",
    "D",
    600,
    1100,
);

pub(crate) const HCPCS_G0378: Svc = svc(
    "G0378",
    "Hospital observation service, per hour",
    "1",
    60,
    110,
);

/// Everyday office-visit codes for established patients.
pub(crate) const OFFICE_EM: &[&Svc] = &[
    &CPT_99212, &CPT_99213, &CPT_99213, &CPT_99214, &CPT_99214, &CPT_99215,
];
pub(crate) const NEW_PATIENT_EM: &[&Svc] = &[&CPT_99202, &CPT_99203, &CPT_99204];
pub(crate) const LABS: &[&Svc] = &[
    &CPT_80053, &CPT_80048, &CPT_85025, &CPT_83036, &CPT_80061, &CPT_84443, &CPT_81001,
];
pub(crate) const IMAGING: &[&Svc] = &[
    &CPT_71046, &CPT_73562, &CPT_72100, &CPT_74177, &CPT_70450, &CPT_70551, &CPT_73721, &CPT_76700,
    &CPT_93306,
];
pub(crate) const DME: &[&Svc] = &[
    &HCPCS_E0601,
    &HCPCS_E0114,
    &HCPCS_E0143,
    &HCPCS_E0260,
    &HCPCS_K0001,
    &HCPCS_A4253,
    &HCPCS_A4259,
    &HCPCS_E0607,
];
pub(crate) const OFFICE_PROCEDURES: &[&Svc] = &[
    &CPT_20610, &CPT_11042, &CPT_12001, &CPT_17110, &CPT_69210, &CPT_10060,
];
pub(crate) const INJECTIONS: &[&Svc] = &[&HCPCS_J3301, &HCPCS_J1885, &HCPCS_J0696, &HCPCS_J1100];

/// Preventive visit code for an age.
pub(crate) fn preventive_em(age: i32, medicare: bool, new_patient: bool) -> &'static Svc {
    match age {
        _ if medicare && age >= 65 && new_patient => &HCPCS_G0438,
        _ if medicare && age >= 65 => &HCPCS_G0439,
        18..=39 if new_patient => &CPT_99385,
        40..=64 if new_patient => &CPT_99386,
        0..=4 => &CPT_99392,
        5..=11 => &CPT_99393,
        12..=17 => &CPT_99394,
        18..=39 => &CPT_99395,
        40..=64 => &CPT_99396,
        _ => &CPT_99397,
    }
}

// ---------------------------------------------------------------------------------------------
// ICD-10-PCS, MS-DRG, inpatient scenarios
// ---------------------------------------------------------------------------------------------

pub(crate) const PCS_LAP_APPENDECTOMY: Coded = (
    "0DTJ4ZZ",
    "Resection of appendix, percutaneous endoscopic approach",
);
pub(crate) const PCS_LAP_CHOLECYSTECTOMY: Coded = (
    "0FT44ZZ",
    "Resection of gallbladder, percutaneous endoscopic approach",
);
pub(crate) const PCS_KNEE_REPLACEMENT: Coded = (
    "0SRC0J9",
    "Replacement of right knee joint with synthetic substitute, cemented, open approach",
);
pub(crate) const PCS_HIP_REPLACEMENT: Coded = (
    "0SR90J9",
    "Replacement of right hip joint with synthetic substitute, cemented, open approach",
);
pub(crate) const PCS_FEMUR_FIXATION: Coded = (
    "0QS604Z",
    "Reposition right upper femur with internal fixation device, open approach",
);
pub(crate) const PCS_CORONARY_DILATION_STENT: Coded = ("027034Z", "Dilation of coronary artery, one artery with drug-eluting intraluminal device, percutaneous approach");
pub(crate) const PCS_CARDIAC_CATH: Coded = (
    "4A023N7",
    "Measurement of cardiac sampling and pressure, left heart, percutaneous approach",
);
pub(crate) const PCS_VENTILATION_24_96: Coded = (
    "5A1945Z",
    "Respiratory ventilation, 24-96 consecutive hours",
);
pub(crate) const PCS_VAGINAL_DELIVERY: Coded = (
    "10E0XZZ",
    "Delivery of products of conception, external approach",
);
pub(crate) const PCS_CESAREAN: Coded = (
    "10D00Z1",
    "Extraction of products of conception, low, open approach",
);
pub(crate) const PCS_TRANSFUSION_RBC: Coded = (
    "30233N1",
    "Transfusion of nonautologous red blood cells into peripheral vein, percutaneous approach",
);
pub(crate) const PCS_EGD_BIOPSY: Coded = (
    "0DB68ZX",
    "Excision of stomach, via natural or artificial opening endoscopic, diagnostic",
);
pub(crate) const PCS_ENDOTRACHEAL_AIRWAY: Coded = (
    "0BH17EZ",
    "Insertion of endotracheal airway into trachea, via natural or artificial opening",
);
pub(crate) const PCS_CENTRAL_LINE: Coded = (
    "02HV33Z",
    "Insertion of infusion device into superior vena cava, percutaneous approach",
);
pub(crate) const PCS_FOLEY: Coded = (
    "0T9B70Z",
    "Drainage of bladder with drainage device, via natural or artificial opening",
);
pub(crate) const PCS_HYSTERECTOMY: Coded = ("0UT90ZZ", "Resection of uterus, open approach");
pub(crate) const PCS_SIGMOID_RESECTION: Coded =
    ("0DTN0ZZ", "Resection of sigmoid colon, open approach");
pub(crate) const PCS_VACCINE: Coded = (
    "3E0234Z",
    "Introduction of serum, toxoid and vaccine into muscle, percutaneous approach",
);

/// All ICD-10-PCS codes of the table (tests check their shape).
#[cfg(test)]
pub(crate) const ALL_PCS: &[Coded] = &[
    PCS_LAP_APPENDECTOMY,
    PCS_LAP_CHOLECYSTECTOMY,
    PCS_KNEE_REPLACEMENT,
    PCS_HIP_REPLACEMENT,
    PCS_FEMUR_FIXATION,
    PCS_CORONARY_DILATION_STENT,
    PCS_CARDIAC_CATH,
    PCS_VENTILATION_24_96,
    PCS_VAGINAL_DELIVERY,
    PCS_CESAREAN,
    PCS_TRANSFUSION_RBC,
    PCS_EGD_BIOPSY,
    PCS_ENDOTRACHEAL_AIRWAY,
    PCS_CENTRAL_LINE,
    PCS_FOLEY,
    PCS_HYSTERECTOMY,
    PCS_SIGMOID_RESECTION,
    PCS_VACCINE,
];

pub(crate) const DRG_066: Coded = (
    "066",
    "Intracranial hemorrhage or cerebral infarction without CC/MCC",
);
pub(crate) const DRG_177: Coded = ("177", "Respiratory infections and inflammations with MCC");
pub(crate) const DRG_192: Coded = (
    "192",
    "Chronic obstructive pulmonary disease without CC/MCC",
);
pub(crate) const DRG_194: Coded = ("194", "Simple pneumonia and pleurisy with CC");
pub(crate) const DRG_292: Coded = ("292", "Heart failure and shock with CC");
pub(crate) const DRG_310: Coded = (
    "310",
    "Cardiac arrhythmia and conduction disorders without CC/MCC",
);
pub(crate) const DRG_312: Coded = ("312", "Syncope and collapse");
pub(crate) const DRG_313: Coded = ("313", "Chest pain");
pub(crate) const DRG_322: Coded = (
    "322",
    "Percutaneous cardiovascular procedures with intraluminal device without MCC",
);
pub(crate) const DRG_331: Coded = (
    "331",
    "Major small and large bowel procedures without CC/MCC",
);
pub(crate) const DRG_378: Coded = ("378", "G.I. hemorrhage with CC");
pub(crate) const DRG_343: Coded = (
    "343",
    "Appendectomy without complicated principal diagnosis without CC/MCC",
);
pub(crate) const DRG_419: Coded = (
    "419",
    "Laparoscopic cholecystectomy without C.D.E. without CC/MCC",
);
pub(crate) const DRG_470: Coded = (
    "470",
    "Major hip and knee joint replacement or reattachment of lower extremity without MCC",
);
pub(crate) const DRG_481: Coded = ("481", "Hip and femur procedures except major joint with CC");
pub(crate) const DRG_683: Coded = ("683", "Renal failure with CC");
pub(crate) const DRG_690: Coded = ("690", "Kidney and urinary tract infections without MCC");
pub(crate) const DRG_743: Coded = (
    "743",
    "Uterine and adnexa procedures for non-malignancy without CC/MCC",
);
pub(crate) const DRG_788: Coded = (
    "788",
    "Cesarean section without sterilization without CC/MCC",
);
pub(crate) const DRG_807: Coded = (
    "807",
    "Vaginal delivery without sterilization or D&C without CC/MCC",
);
pub(crate) const DRG_872: Coded = (
    "872",
    "Septicemia or severe sepsis without MV >96 hours without MCC",
);

/// An inpatient stay pattern.
pub(crate) struct Stay {
    pub drg: Coded,
    pub principal: Coded,
    pub admitting: Option<Coded>,
    pub secondary: &'static [Coded],
    /// External-cause diagnoses (type `externalcauseofinjury`).
    pub external: &'static [Coded],
    pub pcs: &'static [Coded],
    pub los: (i64, i64),
    /// NUBC priority (type) of admission.
    pub admission_type: &'static str,
    /// NUBC point of origin choices.
    pub origin: &'static [&'static str],
    /// NUBC patient discharge status choices.
    pub discharge: &'static [&'static str],
    /// Extra revenue lines (room and board, pharmacy, labs are always added).
    pub lines: &'static [(&'static str, Option<&'static Svc>)],
    /// Surgeon's specialty when the stay has an operation.
    pub surgeon: Option<Specialty>,
    /// The surgeon's professional service, if any.
    pub surgery: Option<&'static Svc>,
    pub min_age: i32,
    pub max_age: i32,
    pub female_only: bool,
    /// Arrived by ambulance plausibly.
    pub emergency: bool,
}

pub(crate) const STAYS: &[Stay] = &[
    Stay {
        drg: DRG_872,
        principal: DX_A41_9,
        admitting: Some(DX_R50_9),
        secondary: &[DX_N39_0, DX_E86_0],
        external: &[],
        pcs: &[PCS_CENTRAL_LINE],
        los: (3, 7),
        admission_type: "1",
        origin: &["1", "5"],
        discharge: &["01", "06", "03"],
        lines: &[("0450", Some(&CPT_99285)), ("0258", None)],
        surgeon: None,
        surgery: None,
        min_age: 18,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_292,
        principal: DX_I50_9,
        admitting: Some(DX_R06_02),
        secondary: &[DX_I11_0, DX_N18_30],
        external: &[],
        pcs: &[],
        los: (3, 6),
        admission_type: "1",
        origin: &["1", "2"],
        discharge: &["01", "06"],
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0483", Some(&CPT_93306)),
            ("0730", Some(&CPT_93005)),
        ],
        surgeon: None,
        surgery: None,
        min_age: 50,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_192,
        principal: DX_J44_1,
        admitting: None,
        secondary: &[DX_F17_210],
        external: &[],
        pcs: &[],
        los: (2, 4),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01"],
        lines: &[("0410", None), ("0324", Some(&CPT_71046))],
        surgeon: None,
        surgery: None,
        min_age: 45,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_194,
        principal: DX_J18_9,
        admitting: Some(DX_R50_9),
        secondary: &[DX_E87_1],
        external: &[],
        pcs: &[],
        los: (3, 5),
        admission_type: "1",
        origin: &["1", "2"],
        discharge: &["01", "06"],
        lines: &[("0324", Some(&CPT_71046)), ("0410", None)],
        surgeon: None,
        surgery: None,
        min_age: 1,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_470,
        principal: DX_M17_11,
        admitting: None,
        secondary: &[DX_I10],
        external: &[],
        pcs: &[PCS_KNEE_REPLACEMENT],
        los: (1, 3),
        admission_type: "3",
        origin: &["2"],
        discharge: &["06", "01", "62"],
        lines: &[
            ("0360", None),
            ("0278", None),
            ("0370", None),
            ("0710", None),
            ("0420", Some(&CPT_97161)),
        ],
        surgeon: Some(Specialty::Orthopedics),
        surgery: Some(&CPT_27447),
        min_age: 50,
        max_age: 120,
        female_only: false,
        emergency: false,
    },
    Stay {
        drg: DRG_343,
        principal: DX_K35_80,
        admitting: Some(DX_R10_9),
        secondary: &[],
        external: &[],
        pcs: &[PCS_LAP_APPENDECTOMY],
        los: (1, 3),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01"],
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0350", Some(&CPT_74177)),
            ("0360", None),
            ("0370", None),
            ("0710", None),
        ],
        surgeon: Some(Specialty::GeneralSurgery),
        surgery: Some(&CPT_44970),
        min_age: 6,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_419,
        principal: DX_K80_20,
        admitting: Some(DX_R10_9),
        secondary: &[DX_E66_9],
        external: &[],
        pcs: &[PCS_LAP_CHOLECYSTECTOMY],
        los: (1, 3),
        admission_type: "2",
        origin: &["1", "2"],
        discharge: &["01"],
        lines: &[
            ("0402", Some(&CPT_76700)),
            ("0360", None),
            ("0370", None),
            ("0710", None),
        ],
        surgeon: Some(Specialty::GeneralSurgery),
        surgery: Some(&CPT_47562),
        min_age: 18,
        max_age: 120,
        female_only: false,
        emergency: false,
    },
    Stay {
        drg: DRG_807,
        principal: DX_O80,
        admitting: None,
        secondary: &[DX_Z37_0],
        external: &[],
        pcs: &[PCS_VAGINAL_DELIVERY, PCS_VACCINE],
        los: (1, 2),
        admission_type: "2",
        origin: &["1"],
        discharge: &["01"],
        lines: &[("0720", None)],
        surgeon: Some(Specialty::ObGyn),
        surgery: Some(&CPT_59400),
        min_age: 18,
        max_age: 44,
        female_only: true,
        emergency: false,
    },
    Stay {
        drg: DRG_788,
        principal: DX_O48_0,
        admitting: None,
        secondary: &[DX_Z37_0],
        external: &[],
        pcs: &[PCS_CESAREAN, PCS_FOLEY],
        los: (2, 4),
        admission_type: "2",
        origin: &["1"],
        discharge: &["01"],
        lines: &[("0720", None), ("0360", None), ("0370", None)],
        surgeon: Some(Specialty::ObGyn),
        surgery: Some(&CPT_59510),
        min_age: 18,
        max_age: 44,
        female_only: true,
        emergency: false,
    },
    Stay {
        drg: DRG_066,
        principal: DX_I63_9,
        admitting: None,
        secondary: &[DX_I10, DX_E78_5],
        external: &[],
        pcs: &[],
        los: (2, 5),
        admission_type: "1",
        origin: &["1"],
        discharge: &["62", "01", "03"],
        lines: &[
            ("0450", Some(&CPT_99285)),
            ("0350", Some(&CPT_70450)),
            ("0610", Some(&CPT_70551)),
            ("0420", Some(&CPT_97161)),
        ],
        surgeon: None,
        surgery: None,
        min_age: 45,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_481,
        principal: DX_S72_001A,
        admitting: Some(DX_M25_551),
        secondary: &[DX_D64_9, DX_M81_0],
        external: &[DX_W19, DX_Y92_009],
        pcs: &[PCS_FEMUR_FIXATION, PCS_TRANSFUSION_RBC],
        los: (3, 6),
        admission_type: "1",
        origin: &["1"],
        discharge: &["03", "62"],
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0320", Some(&CPT_71046)),
            ("0360", None),
            ("0390", None),
            ("0370", None),
            ("0420", Some(&CPT_97161)),
        ],
        surgeon: Some(Specialty::Orthopedics),
        surgery: Some(&CPT_27245),
        min_age: 55,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_310,
        principal: DX_I48_91,
        admitting: Some(DX_R42),
        secondary: &[DX_I10],
        external: &[],
        pcs: &[],
        los: (1, 3),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01"],
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0730", Some(&CPT_93005)),
            ("0483", Some(&CPT_93306)),
        ],
        surgeon: None,
        surgery: None,
        min_age: 50,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_313,
        principal: DX_R07_9,
        admitting: None,
        secondary: &[DX_E78_5],
        external: &[],
        pcs: &[],
        los: (1, 2),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01"],
        lines: &[("0450", Some(&CPT_99284)), ("0730", Some(&CPT_93005))],
        surgeon: None,
        surgery: None,
        min_age: 30,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_312,
        principal: DX_R55,
        admitting: None,
        secondary: &[DX_E86_0],
        external: &[],
        pcs: &[],
        los: (1, 2),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01"],
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0730", Some(&CPT_93005)),
            ("0350", Some(&CPT_70450)),
        ],
        surgeon: None,
        surgery: None,
        min_age: 18,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_177,
        principal: DX_U07_1,
        admitting: Some(DX_R06_02),
        secondary: &[DX_J12_82, DX_J96_01],
        external: &[],
        pcs: &[PCS_VENTILATION_24_96, PCS_ENDOTRACHEAL_AIRWAY],
        los: (5, 9),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01", "06"],
        lines: &[
            ("0450", Some(&CPT_99285)),
            ("0200", None),
            ("0410", None),
            ("0324", Some(&CPT_71046)),
        ],
        surgeon: None,
        surgery: None,
        min_age: 30,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_683,
        principal: DX_N17_9,
        admitting: None,
        secondary: &[DX_N18_30, DX_E86_0],
        external: &[],
        pcs: &[PCS_FOLEY],
        los: (2, 5),
        admission_type: "2",
        origin: &["2"],
        discharge: &["01"],
        lines: &[("0402", Some(&CPT_76700))],
        surgeon: None,
        surgery: None,
        min_age: 40,
        max_age: 120,
        female_only: false,
        emergency: false,
    },
    Stay {
        drg: DRG_690,
        principal: DX_N39_0,
        admitting: Some(DX_R50_9),
        secondary: &[DX_E86_0],
        external: &[],
        pcs: &[],
        los: (2, 4),
        admission_type: "1",
        origin: &["1", "5"],
        discharge: &["01", "03"],
        lines: &[("0450", Some(&CPT_99284))],
        surgeon: None,
        surgery: None,
        min_age: 18,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_322,
        principal: DX_I21_4,
        admitting: Some(DX_R07_9),
        secondary: &[DX_I25_10, DX_E78_5],
        external: &[],
        pcs: &[PCS_CORONARY_DILATION_STENT, PCS_CARDIAC_CATH],
        los: (2, 4),
        admission_type: "1",
        origin: &["1", "4"],
        discharge: &["01", "06"],
        lines: &[
            ("0450", Some(&CPT_99285)),
            ("0481", None),
            ("0278", None),
            ("0730", Some(&CPT_93005)),
        ],
        surgeon: Some(Specialty::Cardiology),
        surgery: Some(&CPT_92928),
        min_age: 40,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_470,
        principal: DX_M16_11,
        admitting: None,
        secondary: &[DX_E66_9],
        external: &[],
        pcs: &[PCS_HIP_REPLACEMENT],
        los: (1, 3),
        admission_type: "3",
        origin: &["2"],
        discharge: &["06", "01", "62"],
        lines: &[
            ("0360", None),
            ("0278", None),
            ("0370", None),
            ("0710", None),
            ("0420", Some(&CPT_97161)),
        ],
        surgeon: Some(Specialty::Orthopedics),
        surgery: Some(&CPT_27130),
        min_age: 50,
        max_age: 120,
        female_only: false,
        emergency: false,
    },
    Stay {
        drg: DRG_378,
        principal: DX_K92_2,
        admitting: None,
        secondary: &[DX_D62, DX_K21_9],
        external: &[],
        pcs: &[PCS_EGD_BIOPSY, PCS_TRANSFUSION_RBC],
        los: (2, 5),
        admission_type: "1",
        origin: &["1"],
        discharge: &["01"],
        lines: &[("0450", Some(&CPT_99285)), ("0750", None), ("0390", None)],
        surgeon: None,
        surgery: None,
        min_age: 40,
        max_age: 120,
        female_only: false,
        emergency: true,
    },
    Stay {
        drg: DRG_743,
        principal: DX_D25_9,
        admitting: None,
        secondary: &[DX_D64_9],
        external: &[],
        pcs: &[PCS_HYSTERECTOMY, PCS_FOLEY],
        los: (1, 3),
        admission_type: "3",
        origin: &["2"],
        discharge: &["01"],
        lines: &[("0360", None), ("0370", None), ("0710", None)],
        surgeon: Some(Specialty::ObGyn),
        surgery: Some(&CPT_58150),
        min_age: 35,
        max_age: 60,
        female_only: true,
        emergency: false,
    },
    Stay {
        drg: DRG_331,
        principal: DX_K57_32,
        admitting: Some(DX_R10_9),
        secondary: &[DX_E86_0],
        external: &[],
        pcs: &[PCS_SIGMOID_RESECTION],
        los: (3, 6),
        admission_type: "2",
        origin: &["1", "2"],
        discharge: &["01", "06"],
        lines: &[
            ("0350", Some(&CPT_74177)),
            ("0360", None),
            ("0370", None),
            ("0710", None),
        ],
        surgeon: Some(Specialty::GeneralSurgery),
        surgery: Some(&CPT_44140),
        min_age: 40,
        max_age: 120,
        female_only: false,
        emergency: false,
    },
];

/// The index of the hip-fracture stay (used for the fully populated demo members).
pub(crate) const STAY_HIP_FRACTURE: usize = 10;
/// The index of the pneumonia stay.
pub(crate) const STAY_PNEUMONIA: usize = 3;

// ---------------------------------------------------------------------------------------------
// Outpatient facility patterns
// ---------------------------------------------------------------------------------------------

pub(crate) struct Visit {
    /// `(revenue code, service)` lines.
    pub lines: &'static [(&'static str, Option<&'static Svc>)],
    pub dx: &'static [Coded],
    pub weight: u32,
    pub min_age: i32,
    /// Emergency department visit (point of origin / admission type 1).
    pub emergency: bool,
}

pub(crate) const OUTPATIENT_VISITS: &[Visit] = &[
    Visit {
        lines: &[
            ("0450", Some(&CPT_99283)),
            ("0300", Some(&CPT_85025)),
            ("0301", Some(&CPT_80048)),
        ],
        dx: ED_DX,
        weight: 14,
        min_age: 0,
        emergency: true,
    },
    Visit {
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0301", Some(&CPT_80053)),
            ("0324", Some(&CPT_71046)),
            ("0730", Some(&CPT_93005)),
        ],
        dx: &[DX_R07_9, DX_R06_02, DX_R55],
        weight: 10,
        min_age: 18,
        emergency: true,
    },
    Visit {
        lines: &[
            ("0450", Some(&CPT_99284)),
            ("0350", Some(&CPT_74177)),
            ("0301", Some(&CPT_80053)),
            ("0636", Some(&HCPCS_J1885)),
        ],
        dx: &[DX_R10_9, DX_R11_2],
        weight: 6,
        min_age: 10,
        emergency: true,
    },
    Visit {
        lines: &[
            ("0450", Some(&CPT_99283)),
            ("0320", Some(&CPT_73562)),
            ("0270", None),
        ],
        dx: &[DX_S93_401A, DX_M25_561],
        weight: 5,
        min_age: 3,
        emergency: true,
    },
    Visit {
        lines: &[("0750", Some(&CPT_45380)), ("0370", None), ("0710", None)],
        dx: &[DX_Z12_11, DX_K21_9],
        weight: 6,
        min_age: 45,
        emergency: false,
    },
    Visit {
        lines: &[("0750", Some(&CPT_45378)), ("0370", None)],
        dx: &[DX_Z12_11],
        weight: 3,
        min_age: 45,
        emergency: false,
    },
    Visit {
        lines: &[("0750", Some(&CPT_43239)), ("0370", None)],
        dx: &[DX_K21_9, DX_R10_9],
        weight: 3,
        min_age: 30,
        emergency: false,
    },
    Visit {
        lines: &[
            ("0360", Some(&CPT_29881)),
            ("0370", None),
            ("0710", None),
            ("0272", None),
        ],
        dx: &[DX_M25_561, DX_M17_11],
        weight: 2,
        min_age: 25,
        emergency: false,
    },
    Visit {
        lines: &[("0360", Some(&CPT_66984)), ("0370", None), ("0278", None)],
        dx: &[("H25.11", "Age-related nuclear cataract, right eye")],
        weight: 2,
        min_age: 55,
        emergency: false,
    },
    Visit {
        lines: &[("0350", Some(&CPT_70450))],
        dx: &[DX_R51_9, DX_R42],
        weight: 4,
        min_age: 5,
        emergency: false,
    },
    Visit {
        lines: &[("0610", Some(&CPT_73721))],
        dx: &[DX_M25_561],
        weight: 3,
        min_age: 15,
        emergency: false,
    },
    Visit {
        lines: &[("0610", Some(&CPT_70551))],
        dx: &[DX_G43_909, DX_R51_9],
        weight: 2,
        min_age: 12,
        emergency: false,
    },
    Visit {
        lines: &[("0403", Some(&CPT_77067))],
        dx: &[DX_Z12_31],
        weight: 6,
        min_age: 40,
        emergency: false,
    },
    Visit {
        lines: &[
            ("0300", Some(&CPT_80053)),
            ("0305", Some(&CPT_85025)),
            ("0300", Some(&CPT_36415)),
        ],
        dx: &[DX_E11_9, DX_E78_5, DX_I10],
        weight: 6,
        min_age: 18,
        emergency: false,
    },
    Visit {
        lines: &[
            ("0762", Some(&HCPCS_G0378)),
            ("0301", Some(&CPT_80053)),
            ("0730", Some(&CPT_93005)),
        ],
        dx: &[DX_R07_9, DX_R55],
        weight: 2,
        min_age: 30,
        emergency: true,
    },
    Visit {
        lines: &[("0420", Some(&CPT_97110)), ("0420", Some(&CPT_97140))],
        dx: &[DX_M54_2, DX_M25_561],
        weight: 3,
        min_age: 12,
        emergency: false,
    },
];

/// Index of the chest-pain ED visit (used for the demo members).
pub(crate) const VISIT_CHEST_PAIN_ED: usize = 1;
/// Index of the screening colonoscopy (used for the demo members).
pub(crate) const VISIT_COLONOSCOPY: usize = 4;

// ---------------------------------------------------------------------------------------------
// CDT (dental)
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
pub(crate) struct Cdt {
    pub code: &'static str,
    pub display: &'static str,
    /// Number of tooth surfaces the procedure involves (0 = none).
    pub surfaces: u8,
    pub lo: i64,
    pub hi: i64,
}

const fn cdt(code: &'static str, display: &'static str, surfaces: u8, lo: i64, hi: i64) -> Cdt {
    Cdt {
        code,
        display,
        surfaces,
        lo,
        hi,
    }
}

pub(crate) const D0120: Cdt = cdt(
    "D0120",
    "Periodic oral evaluation, established patient",
    0,
    45,
    75,
);
pub(crate) const D0140: Cdt = cdt(
    "D0140",
    "Limited oral evaluation, problem focused",
    0,
    65,
    110,
);
pub(crate) const D0150: Cdt = cdt(
    "D0150",
    "Comprehensive oral evaluation, new or established patient",
    0,
    80,
    130,
);
pub(crate) const D0210: Cdt = cdt(
    "D0210",
    "Intraoral complete series of radiographic images",
    0,
    120,
    190,
);
pub(crate) const D0220: Cdt = cdt(
    "D0220",
    "Intraoral periapical, first radiographic image",
    0,
    25,
    45,
);
pub(crate) const D0272: Cdt = cdt("D0272", "Bitewings, two radiographic images", 0, 40, 70);
pub(crate) const D0274: Cdt = cdt("D0274", "Bitewings, four radiographic images", 0, 55, 95);
pub(crate) const D0330: Cdt = cdt("D0330", "Panoramic radiographic image", 0, 100, 160);
pub(crate) const D1110: Cdt = cdt("D1110", "Prophylaxis, adult", 0, 90, 140);
pub(crate) const D1120: Cdt = cdt("D1120", "Prophylaxis, child", 0, 60, 100);
pub(crate) const D1206: Cdt = cdt(
    "D1206",
    "Topical application of fluoride varnish",
    0,
    30,
    55,
);
pub(crate) const D1351: Cdt = cdt("D1351", "Sealant, per tooth", 0, 40, 65);
pub(crate) const D2140: Cdt = cdt(
    "D2140",
    "Amalgam, one surface, primary or permanent",
    1,
    110,
    170,
);
pub(crate) const D2150: Cdt = cdt(
    "D2150",
    "Amalgam, two surfaces, primary or permanent",
    2,
    140,
    210,
);
pub(crate) const D2391: Cdt = cdt(
    "D2391",
    "Resin-based composite, one surface, posterior",
    1,
    140,
    220,
);
pub(crate) const D2392: Cdt = cdt(
    "D2392",
    "Resin-based composite, two surfaces, posterior",
    2,
    180,
    270,
);
pub(crate) const D2393: Cdt = cdt(
    "D2393",
    "Resin-based composite, three surfaces, posterior",
    3,
    220,
    320,
);
pub(crate) const D2740: Cdt = cdt("D2740", "Crown, porcelain/ceramic", 0, 1100, 1600);
pub(crate) const D2750: Cdt = cdt(
    "D2750",
    "Crown, porcelain fused to high noble metal",
    0,
    1050,
    1500,
);
pub(crate) const D3310: Cdt = cdt("D3310", "Endodontic therapy, anterior tooth", 0, 700, 1000);
pub(crate) const D3330: Cdt = cdt("D3330", "Endodontic therapy, molar tooth", 0, 1000, 1500);
pub(crate) const D4341: Cdt = cdt(
    "D4341",
    "Periodontal scaling and root planing, four or more teeth per quadrant",
    0,
    200,
    300,
);
pub(crate) const D4910: Cdt = cdt("D4910", "Periodontal maintenance", 0, 120, 190);
pub(crate) const D5110: Cdt = cdt("D5110", "Complete denture, maxillary", 0, 1500, 2400);
pub(crate) const D5120: Cdt = cdt("D5120", "Complete denture, mandibular", 0, 1500, 2400);
pub(crate) const D5213: Cdt = cdt(
    "D5213",
    "Maxillary partial denture, cast metal framework",
    0,
    1600,
    2500,
);
pub(crate) const D6010: Cdt = cdt(
    "D6010",
    "Surgical placement of implant body, endosteal implant",
    0,
    1800,
    2600,
);
pub(crate) const D7140: Cdt = cdt(
    "D7140",
    "Extraction, erupted tooth or exposed root",
    0,
    150,
    260,
);
pub(crate) const D7210: Cdt = cdt(
    "D7210",
    "Extraction, erupted tooth requiring removal of bone or sectioning",
    0,
    250,
    420,
);
pub(crate) const D8080: Cdt = cdt(
    "D8080",
    "Comprehensive orthodontic treatment of the adolescent dentition",
    0,
    4800,
    6800,
);
pub(crate) const D8090: Cdt = cdt(
    "D8090",
    "Comprehensive orthodontic treatment of the adult dentition",
    0,
    5200,
    7500,
);
pub(crate) const D8670: Cdt = cdt("D8670", "Periodic orthodontic treatment visit", 0, 150, 260);
pub(crate) const D9110: Cdt = cdt(
    "D9110",
    "Palliative treatment of dental pain, per visit",
    0,
    90,
    160,
);

// ---------------------------------------------------------------------------------------------
// Adjudication reasons
// ---------------------------------------------------------------------------------------------

/// X12 claim adjustment reason codes used for denials (member-responsibility style).
pub(crate) const CARC_DENIAL: &[&str] = &["96", "204", "50", "197", "27", "119", "16"];
/// CARC for "charge exceeds fee schedule/maximum allowable", used on paid lines.
pub(crate) const CARC_FEE_SCHEDULE: &str = "45";
/// CARC for "claim/service adjusted because of prior payer adjudication".
pub(crate) const CARC_PRIOR_PAYER: &str = "23";
/// NCPDP reject codes for denied pharmacy lines.
pub(crate) const NCPDP_REJECT: &[&str] = &["70", "75", "76", "79", "MR"];

// ---------------------------------------------------------------------------------------------
// Specialties (NUCC taxonomy)
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Specialty {
    FamilyMedicine,
    InternalMedicine,
    Pediatrics,
    NursePractitioner,
    PhysicianAssistant,
    Cardiology,
    Orthopedics,
    Gastroenterology,
    Dermatology,
    Psychiatry,
    Psychologist,
    PhysicalTherapist,
    ObGyn,
    Pulmonology,
    Endocrinology,
    Ophthalmology,
    Hospitalist,
    EmergencyMedicine,
    GeneralSurgery,
    Anesthesiology,
    Radiology,
    Pathology,
    GeneralDentist,
    DentalHygienist,
    Orthodontist,
    OralSurgeon,
    Paramedic,
    Emt,
    Pharmacist,
}

impl Specialty {
    /// CMS-style specialty text (the `Specialty` column).
    pub(crate) fn text(self) -> &'static str {
        match self {
            Specialty::FamilyMedicine => "FAMILY PRACTICE",
            Specialty::InternalMedicine => "INTERNAL MEDICINE",
            Specialty::Pediatrics => "PEDIATRIC MEDICINE",
            Specialty::NursePractitioner => "NURSE PRACTITIONER",
            Specialty::PhysicianAssistant => "PHYSICIAN ASSISTANT",
            Specialty::Cardiology => "CARDIOLOGY",
            Specialty::Orthopedics => "ORTHOPEDIC SURGERY",
            Specialty::Gastroenterology => "GASTROENTEROLOGY",
            Specialty::Dermatology => "DERMATOLOGY",
            Specialty::Psychiatry => "PSYCHIATRY",
            Specialty::Psychologist => "CLINICAL PSYCHOLOGIST",
            Specialty::PhysicalTherapist => "PHYSICAL THERAPIST",
            Specialty::ObGyn => "OBSTETRICS/GYNECOLOGY",
            Specialty::Pulmonology => "PULMONARY DISEASE",
            Specialty::Endocrinology => "ENDOCRINOLOGY",
            Specialty::Ophthalmology => "OPHTHALMOLOGY",
            Specialty::Hospitalist => "HOSPITALIST",
            Specialty::EmergencyMedicine => "EMERGENCY MEDICINE",
            Specialty::GeneralSurgery => "GENERAL SURGERY",
            Specialty::Anesthesiology => "ANESTHESIOLOGY",
            Specialty::Radiology => "DIAGNOSTIC RADIOLOGY",
            Specialty::Pathology => "PATHOLOGY",
            Specialty::GeneralDentist => "GENERAL DENTISTRY",
            Specialty::DentalHygienist => "DENTAL HYGIENIST",
            Specialty::Orthodontist => "ORTHODONTICS",
            Specialty::OralSurgeon => "ORAL SURGERY",
            Specialty::Paramedic => "PARAMEDIC",
            Specialty::Emt => "EMERGENCY MEDICAL TECHNICIAN",
            Specialty::Pharmacist => "PHARMACIST",
        }
    }

    /// NUCC provider taxonomy code.
    pub(crate) fn taxonomy(self) -> &'static str {
        match self {
            Specialty::FamilyMedicine => "207Q00000X",
            Specialty::InternalMedicine => "207R00000X",
            Specialty::Pediatrics => "208000000X",
            Specialty::NursePractitioner => "363LF0000X",
            Specialty::PhysicianAssistant => "363A00000X",
            Specialty::Cardiology => "207RC0000X",
            Specialty::Orthopedics => "207X00000X",
            Specialty::Gastroenterology => "207RG0100X",
            Specialty::Dermatology => "207N00000X",
            Specialty::Psychiatry => "2084P0800X",
            Specialty::Psychologist => "103T00000X",
            Specialty::PhysicalTherapist => "225100000X",
            Specialty::ObGyn => "207V00000X",
            Specialty::Pulmonology => "207RP1001X",
            Specialty::Endocrinology => "207RE0101X",
            Specialty::Ophthalmology => "207W00000X",
            Specialty::Hospitalist => "208M00000X",
            Specialty::EmergencyMedicine => "207P00000X",
            Specialty::GeneralSurgery => "208600000X",
            Specialty::Anesthesiology => "207L00000X",
            Specialty::Radiology => "2085R0202X",
            Specialty::Pathology => "207ZP0102X",
            Specialty::GeneralDentist => "1223G0001X",
            Specialty::DentalHygienist => "124Q00000X",
            Specialty::Orthodontist => "1223X0400X",
            Specialty::OralSurgeon => "1223S0112X",
            Specialty::Paramedic => "146L00000X",
            Specialty::Emt => "146N00000X",
            Specialty::Pharmacist => "183500000X",
        }
    }

    /// A physician or other clinician who may bill on their own (not a supervised role).
    pub(crate) fn is_physician(self) -> bool {
        !matches!(
            self,
            Specialty::NursePractitioner
                | Specialty::PhysicianAssistant
                | Specialty::PhysicalTherapist
                | Specialty::Psychologist
                | Specialty::DentalHygienist
                | Specialty::Paramedic
                | Specialty::Emt
                | Specialty::Pharmacist
        )
    }
}

/// Specialist clinics rotate through these.
pub(crate) const CLINIC_SPECIALTIES: &[Specialty] = &[
    Specialty::Cardiology,
    Specialty::Orthopedics,
    Specialty::Gastroenterology,
    Specialty::Dermatology,
    Specialty::Psychiatry,
    Specialty::Psychologist,
    Specialty::PhysicalTherapist,
    Specialty::ObGyn,
    Specialty::Pulmonology,
    Specialty::Endocrinology,
    Specialty::Ophthalmology,
    Specialty::InternalMedicine,
];

// ---------------------------------------------------------------------------------------------
// Payers, plans, employer groups
// ---------------------------------------------------------------------------------------------

pub(crate) struct Payer {
    pub id: &'static str,
    pub name: &'static str,
    pub address: &'static str,
    pub city: &'static str,
    pub state: &'static str,
    pub zip: &'static str,
    pub phone: &'static str,
    pub tax_id: &'static str,
    pub naic: &'static str,
    /// `(plan identifier, plan name, coverage type)`.
    pub plans: &'static [(&'static str, &'static str, &'static str)],
    /// Medicare Advantage style plan (annual wellness visits instead of preventive codes).
    pub medicare: bool,
}

/// Invented payers; NAIC codes and tax ids are synthetic.
pub(crate) const PAYERS: &[Payer] = &[
    Payer {
        id: "AHP01",
        name: "Acme Health Plan",
        address: "100 Harbor Way",
        city: "Boston",
        state: "MA",
        zip: "02210",
        phone: "617-555-0100",
        tax_id: "041234567",
        naic: "95001",
        plans: &[
            ("AHP-GOLD-PPO", "Acme Gold PPO", "PPO"),
            ("AHP-SILVER-HMO", "Acme Silver HMO", "HMO"),
            ("AHP-BRONZE-HIP", "Acme Bronze Individual", "HIP"),
        ],
        medicare: false,
    },
    Payer {
        id: "BMI02",
        name: "Bluestone Mutual Insurance Company",
        address: "2 Granite Plaza",
        city: "Hartford",
        state: "CT",
        zip: "06103",
        phone: "860-555-0120",
        tax_id: "061234578",
        naic: "95002",
        plans: &[
            ("BMI-CHOICE-POS", "Bluestone Choice POS", "POS"),
            ("BMI-OPEN-PPO", "Bluestone Open Access PPO", "PPO"),
            ("BMI-VALUE-HMO", "Bluestone Value HMO", "HMO"),
        ],
        medicare: false,
    },
    Payer {
        id: "CMA03",
        name: "Cascade Medicare Advantage",
        address: "45 Riverside Drive",
        city: "Providence",
        state: "RI",
        zip: "02903",
        phone: "401-555-0130",
        tax_id: "051234589",
        naic: "95003",
        plans: &[
            ("CMA-MA-HMO", "Cascade Advantage HMO", "HMO"),
            ("CMA-MA-PPO", "Cascade Advantage PPO", "PPO"),
        ],
        medicare: true,
    },
    Payer {
        id: "SCH04",
        name: "Summit Community Health Plan",
        address: "900 Summit Avenue",
        city: "Manchester",
        state: "NH",
        zip: "03101",
        phone: "603-555-0140",
        tax_id: "021234590",
        naic: "95004",
        plans: &[
            ("SCH-ESSENTIAL-HMO", "Summit Essential HMO", "HMO"),
            ("SCH-PLUS-PPO", "Summit Plus PPO", "PPO"),
            ("SCH-FLEX-POS", "Summit Flex POS", "POS"),
        ],
        medicare: false,
    },
];

/// Invented employer groups `(group id, group name)`.
pub(crate) const GROUPS: &[(&str, &str)] = &[
    ("G10234", "Harborview Logistics"),
    ("G10387", "Northwind Analytics"),
    ("G10411", "Granite State Manufacturing"),
    ("G10562", "Bayside School District"),
    ("G10678", "Pioneer Valley Credit Union"),
    ("G10745", "Lighthouse Software"),
    ("G10833", "Elm Street Grocers"),
    ("G10902", "Riverbend Health Partners"),
    ("G11017", "Cobblestone Construction"),
    ("G11124", "Maple Leaf Hospitality"),
];

/// The individual-market / Medicare "group" when there is no employer.
pub(crate) const INDIVIDUAL_GROUP: (&str, &str) = ("G00001", "Individual and Family Plans");
pub(crate) const MEDICARE_GROUP: (&str, &str) = ("G00002", "Medicare Advantage Members");

// ---------------------------------------------------------------------------------------------
// People and places
// ---------------------------------------------------------------------------------------------

pub(crate) const GIVEN_FEMALE: &[&str] = &[
    "Mary",
    "Patricia",
    "Jennifer",
    "Linda",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Nancy",
    "Lisa",
    "Margaret",
    "Betty",
    "Sandra",
    "Ashley",
    "Emily",
    "Donna",
    "Michelle",
    "Carol",
    "Amanda",
    "Melissa",
    "Deborah",
    "Stephanie",
    "Rebecca",
    "Laura",
    "Sharon",
    "Cynthia",
    "Kathleen",
    "Amy",
    "Angela",
    "Maria",
    "Rosa",
    "Mei",
    "Aisha",
    "Priya",
    "Olivia",
    "Emma",
    "Sofia",
    "Chloe",
    "Grace",
    "Nora",
];

pub(crate) const GIVEN_MALE: &[&str] = &[
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Christopher",
    "Daniel",
    "Matthew",
    "Anthony",
    "Mark",
    "Donald",
    "Steven",
    "Paul",
    "Andrew",
    "Joshua",
    "Kenneth",
    "Kevin",
    "Brian",
    "George",
    "Timothy",
    "Ronald",
    "Edward",
    "Jason",
    "Jose",
    "Luis",
    "Wei",
    "Hiroshi",
    "Omar",
    "Raj",
    "Liam",
    "Noah",
    "Ethan",
    "Lucas",
    "Mateo",
    "Samuel",
    "Henry",
    "Owen",
];

pub(crate) const FAMILY: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Chen",
    "Patel",
    "Kim",
    "Murphy",
    "O'Brien",
    "Sullivan",
    "Kowalski",
    "Rossi",
    "Cohen",
    "Okafor",
    "Garcia-Lopez",
    "Tanaka",
];

pub(crate) const STREETS: &[&str] = &[
    "Main St",
    "Oak St",
    "Maple Ave",
    "Washington St",
    "Elm St",
    "Park Ave",
    "Pleasant St",
    "Highland Ave",
    "Chestnut St",
    "Lincoln Rd",
    "Church St",
    "Summer St",
    "Water St",
    "School St",
    "Prospect St",
    "Cedar Ln",
    "Hillside Dr",
    "Lakeview Dr",
    "River Rd",
    "Franklin St",
    "Union St",
    "Spring St",
    "Center St",
    "Mill Rd",
];

/// `(city, county, state, zip, area code)`.
pub(crate) const PLACES: &[(&str, &str, &str, &str, &str)] = &[
    ("Boston", "Suffolk County", "MA", "02118", "617"),
    ("Worcester", "Worcester County", "MA", "01608", "508"),
    ("Springfield", "Hampden County", "MA", "01103", "413"),
    ("Cambridge", "Middlesex County", "MA", "02139", "617"),
    ("Lowell", "Middlesex County", "MA", "01852", "978"),
    ("Salem", "Essex County", "MA", "01970", "978"),
    ("Quincy", "Norfolk County", "MA", "02169", "617"),
    ("Providence", "Providence County", "RI", "02903", "401"),
    ("Warwick", "Kent County", "RI", "02886", "401"),
    ("Hartford", "Hartford County", "CT", "06103", "860"),
    ("New Haven", "New Haven County", "CT", "06510", "203"),
    ("Stamford", "Fairfield County", "CT", "06901", "203"),
    ("Manchester", "Hillsborough County", "NH", "03101", "603"),
    ("Nashua", "Hillsborough County", "NH", "03060", "603"),
    ("Portland", "Cumberland County", "ME", "04101", "207"),
    ("Burlington", "Chittenden County", "VT", "05401", "802"),
    ("Albany", "Albany County", "NY", "12207", "518"),
    ("Syracuse", "Onondaga County", "NY", "13202", "315"),
    ("Buffalo", "Erie County", "NY", "14202", "716"),
    ("Newark", "Essex County", "NJ", "07102", "973"),
    ("Trenton", "Mercer County", "NJ", "08608", "609"),
    ("Pittsburgh", "Allegheny County", "PA", "15222", "412"),
    ("Philadelphia", "Philadelphia County", "PA", "19103", "215"),
    ("Allentown", "Lehigh County", "PA", "18101", "610"),
];

/// CDC race codes with rough weights.
pub(crate) const RACES: &[(&str, u32)] = &[
    ("2106-3", 62),
    ("2054-5", 13),
    ("2028-9", 6),
    ("1002-5", 1),
    ("2076-8", 1),
    ("2131-1", 17),
];

/// BCP-47 languages with rough weights (for non-Hispanic members; Hispanic members speak `es`
/// more often).
pub(crate) const LANGUAGES: &[(&str, u32)] = &[
    ("en", 88),
    ("zh", 2),
    ("vi", 2),
    ("pt", 2),
    ("fr", 1),
    ("ru", 1),
    ("ko", 1),
    ("ar", 1),
    ("ht", 1),
];
