//! Synthea writes SNOMED CT and RxNorm where C4BB requires ICD-10-CM, CPT/HCPCS and NDC. This
//! small crosswalk covers the codes of the public Synthea samples and Synthea's most common
//! conditions; everything else falls back to a documented "unspecified" code while the original
//! coding is kept beside it, so nothing is lost and nothing is invented.

/// ICD-10-CM for a SNOMED CT condition or finding.
pub fn snomed_to_icd10cm(code: &str) -> Option<(&'static str, &'static str)> {
    let hit = match code {
        "15777000" | "714628002" => ("R73.03", "Prediabetes"),
        "44054006" => ("E11.9", "Type 2 diabetes mellitus without complications"),
        "127013003" => (
            "E11.21",
            "Type 2 diabetes mellitus with diabetic nephropathy",
        ),
        "90781000119102" | "157141000119108" => (
            "E11.29",
            "Type 2 diabetes mellitus with other diabetic kidney complication",
        ),
        "368581000119106" => (
            "E11.40",
            "Type 2 diabetes mellitus with diabetic neuropathy, unspecified",
        ),
        "38341003" | "59621000" => ("I10", "Essential (primary) hypertension"),
        "55822004" => ("E78.5", "Hyperlipidemia, unspecified"),
        "302870006" => ("E78.1", "Pure hyperglyceridemia"),
        "237602007" => ("E88.81", "Metabolic syndrome"),
        "162864005" => ("E66.9", "Obesity, unspecified"),
        "73595000" => ("Z73.3", "Stress, not elsewhere classified"),
        "73438004" => ("Z56.0", "Unemployment, unspecified"),
        "422650009" | "423315002" => (
            "Z60.9",
            "Problem related to social environment, unspecified",
        ),
        "706893006" => ("Z63.0", "Problems in relationship with spouse or partner"),
        "43878008" => ("J02.0", "Streptococcal pharyngitis"),
        "195662009" => ("J02.9", "Acute pharyngitis, unspecified"),
        "444814009" => ("J01.90", "Acute sinusitis, unspecified"),
        "40055000" | "36971009" => ("J32.9", "Chronic sinusitis, unspecified"),
        "10509002" => ("J20.9", "Acute bronchitis, unspecified"),
        "185086009" => (
            "J44.9",
            "Chronic obstructive pulmonary disease, unspecified",
        ),
        "87433001" => ("J43.9", "Emphysema, unspecified"),
        "195967001" => ("J45.909", "Unspecified asthma, uncomplicated"),
        "233604007" => ("J18.9", "Pneumonia, unspecified organism"),
        "446096008" => ("J30.89", "Other allergic rhinitis"),
        "232353008" => ("J30.2", "Other seasonal allergic rhinitis"),
        "65363002" => ("H66.90", "Otitis media, unspecified, unspecified ear"),
        "19169002" => (
            "O03.9",
            "Complete or unspecified spontaneous abortion without complication",
        ),
        "72892002" => (
            "Z34.90",
            "Encounter for supervision of normal pregnancy, unspecified",
        ),
        "398254007" => ("O14.90", "Unspecified pre-eclampsia, unspecified trimester"),
        "230690007" => ("I63.9", "Cerebral infarction, unspecified"),
        "49436004" => ("I48.91", "Unspecified atrial fibrillation"),
        "53741008" => (
            "I25.10",
            "Atherosclerotic heart disease of native coronary artery without angina pectoris",
        ),
        "22298006" => ("I21.9", "Acute myocardial infarction, unspecified"),
        "399211009" => ("I25.2", "Old myocardial infarction"),
        "88805009" | "84114007" => ("I50.9", "Heart failure, unspecified"),
        "410429000" => ("I46.9", "Cardiac arrest, cause unspecified"),
        "1121000119107" => ("M54.2", "Cervicalgia"),
        "278860009" => ("M54.50", "Low back pain, unspecified"),
        "82423001" => ("G89.29", "Other chronic pain"),
        "239873007" => ("M17.9", "Osteoarthritis of knee, unspecified"),
        "69896004" => ("M06.9", "Rheumatoid arthritis, unspecified"),
        "64859006" => (
            "M81.0",
            "Age-related osteoporosis without current pathological fracture",
        ),
        "90560007" => ("M10.9", "Gout, unspecified"),
        "403190006" => ("T30.1", "Burn of first degree, body region unspecified"),
        "62106007" => (
            "S06.0X0A",
            "Concussion without loss of consciousness, initial encounter",
        ),
        "44465007" => (
            "S93.409A",
            "Sprain of unspecified ligament of unspecified ankle, initial encounter",
        ),
        "65966004" => (
            "S52.90XA",
            "Unspecified fracture of unspecified forearm, initial encounter",
        ),
        "359817006" => (
            "S72.009A",
            "Fracture of unspecified part of neck of unspecified femur, initial encounter",
        ),
        "26929004" | "230265002" => ("G30.9", "Alzheimer's disease, unspecified"),
        "84757009" | "128613002" => (
            "G40.909",
            "Epilepsy, unspecified, not intractable, without status epilepticus",
        ),
        "36923009" | "370143000" => (
            "F32.9",
            "Major depressive disorder, single episode, unspecified",
        ),
        "80583007" => ("F41.0", "Panic disorder without agoraphobia"),
        "47505003" => ("F43.10", "Post-traumatic stress disorder, unspecified"),
        "192127007" => (
            "F90.9",
            "Attention-deficit hyperactivity disorder, unspecified type",
        ),
        "7200002" => ("F10.20", "Alcohol dependence, uncomplicated"),
        "449868002" => ("F17.210", "Nicotine dependence, cigarettes, uncomplicated"),
        "235595009" => (
            "K21.9",
            "Gastro-esophageal reflux disease without esophagitis",
        ),
        "74400008" => ("K37", "Unspecified appendicitis"),
        "68566005" | "301011002" => ("N39.0", "Urinary tract infection, site not specified"),
        "38822007" => ("N30.90", "Cystitis, unspecified without hematuria"),
        "431855005" => ("N18.1", "Chronic kidney disease, stage 1"),
        "431856006" => ("N18.2", "Chronic kidney disease, stage 2 (mild)"),
        "433144002" => ("N18.30", "Chronic kidney disease, stage 3 unspecified"),
        "271737000" => ("D64.9", "Anemia, unspecified"),
        "840539006" => ("U07.1", "COVID-19"),
        "840544004" => (
            "Z20.822",
            "Contact with and (suspected) exposure to COVID-19",
        ),
        "386661006" => ("R50.9", "Fever, unspecified"),
        "49727002" => ("R05.9", "Cough, unspecified"),
        "25064002" => ("R51.9", "Headache, unspecified"),
        "84229001" => ("R53.83", "Other fatigue"),
        "91302008" => ("A41.9", "Sepsis, unspecified organism"),
        "109570002" => ("K02.9", "Dental caries, unspecified"),
        "18718003" => (
            "K06.9",
            "Disorder of gingiva and edentulous alveolar ridge, unspecified",
        ),
        _ => return None,
    };
    Some(hit)
}

/// The ICD-10-CM fallback for an unmapped SNOMED code: findings (social and health status) go
/// to "other specified health status", everything else to "illness, unspecified".
pub fn icd10cm_fallback(description: &str) -> (&'static str, &'static str) {
    if description.to_ascii_lowercase().contains("(finding)") {
        ("Z78.9", "Other specified health status")
    } else {
        ("R69", "Illness, unspecified")
    }
}

/// CPT (`true`) or HCPCS (`false`) for a SNOMED CT procedure.
pub fn snomed_to_cpt_hcpcs(code: &str) -> Option<(bool, &'static str, &'static str)> {
    let hit = match code {
        "127783003" => (true, "94010", "Spirometry"),
        "117015009" => (
            true,
            "87070",
            "Culture, bacterial; any other source except urine, blood or stool",
        ),
        "46706006" => (true, "58300", "Insertion of intrauterine device"),
        "430193006" => (
            true,
            "1111F",
            "Discharge medications reconciled with the current medication list",
        ),
        "454711000124102" | "715252007" => (true, "96127", "Brief emotional/behavioral assessment"),
        "171207006" => (false, "G0444", "Annual depression screening"),
        "763302001" => (false, "G0442", "Annual alcohol misuse screening"),
        "15081005" => (false, "G0424", "Pulmonary rehabilitation"),
        _ => return None,
    };
    Some(hit)
}

/// A professional line whose SNOMED procedure has no CPT/HCPCS mapping: unlisted E/M service,
/// or miscellaneous durable medical equipment for Synthea's device rows.
pub fn professional_fallback(is_device: bool) -> (bool, &'static str, &'static str) {
    if is_device {
        (false, "E1399", "Durable medical equipment, miscellaneous")
    } else {
        (true, "99499", "Unlisted evaluation and management service")
    }
}

/// An 11-digit NDC (a real package) for an RxNorm clinical drug Synthea uses.
pub fn rxnorm_to_ndc(code: &str) -> Option<(&'static str, &'static str)> {
    let hit = match code {
        "314231" => ("31722051110", "Simvastatin 10 MG Oral Tablet"),
        "834102" => ("63187092620", "Penicillin V Potassium 500 MG Oral Tablet"),
        "562251" => (
            "16714047601",
            "Amoxicillin 250 MG / Clavulanate 125 MG Oral Tablet",
        ),
        "310965" => ("00536139047", "Ibuprofen 200 MG Oral Tablet"),
        "896209" => (
            "00173069600",
            "Fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT Dry Powder Inhaler",
        ),
        _ => return None,
    };
    Some(hit)
}

/// NUBC point of origin for Synthea's FHIR `admit-source` codes (D3 already writes NUBC).
pub fn point_of_origin(synthea: &str) -> &str {
    match synthea {
        "gp" | "mp" | "outp" => "2",
        "emd" | "nursing" | "hosp-trans" => "1",
        "" => "9",
        other => other,
    }
}

/// NUBC priority (type) of admission for Synthea's values.
pub fn admission_type(synthea: &str) -> &str {
    match synthea {
        "other" | "" => "9",
        "emergency" => "1",
        "urgent" => "2",
        "elective" => "3",
        other => other,
    }
}

/// NUBC patient discharge status for Synthea's FHIR `discharge-disposition` codes.
pub fn discharge_status(synthea: &str) -> &str {
    match synthea {
        "home" => "01",
        "other-hcf" => "05",
        "hosp" => "02",
        "snf" => "03",
        "exp" => "20",
        "aadvice" => "07",
        other => other,
    }
}
