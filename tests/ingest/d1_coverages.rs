//! Synthea v1 (D1) with its coverages file: the claims' `Claim payer identifier` is the payer,
//! not a coverage id, and the coverages file has a row per care plan. Built from the D1
//! headers (Synthea's CPCDSExporter of 2019; the claims header as in the DiameterHealth
//! samples) so it runs without ../shared.

use std::collections::HashMap;
use std::path::Path;

use carin_sandbox::fhir::id::id_for;
use carin_sandbox::store::Store;
use serde_json::Value;

use super::{assert_all_valid, import, T0, T1};

const PATIENTS: &str =
    "Member id,Date of birth,Date of death,County,State,Country,Race,Ethnicity,Gender,Name,Zip code";
const COVERAGES: &str =
    "Subscriber id,Coverage type,Coverage status,Start date,End date,Group id,Group name,Plan,Payer";
const CLAIMS: &str = "Claim service start date,Claim service end date,Claim paid date,Claim received date,Member admission date,Member discharge date,Patient account number,Medical record number,Claim unique identifier,Claim adjusted from identifier,Claim adjusted to identifier,Claim inpatient source admission code,Claim inpatient admission type code,Claim bill facility type code,Claim service classification type code,Claim frequency code,Claim processing status code,Claim type code,Patient discharge status code,Claim payment denial code,Claim primary payer identifier,Claim payee type code,Claim payee,Claim payment status code,Claim payer identifier,Days supply,RX service reference number,DAW product selection code,Refill number,Prescription origin code,Plan reported brand-generic code,Pharmacy service type code,Patient residence code,Claim billing provider NPI,Claim billing provider network status,Claim attending provider NPI,Claim attending provider network status,Claim site of service NPI,Claim site of service network status,Claim referring provider NPI,Claim referring provider network status,Claim performing provider NPI,Claim performing provider network status,Claim prescribing provider NPI,Claim prescribing provider network status,Claim PCP NPI,Claim total submitted amount,Claim total allowed amount,Amount paid by patient,Claim amount paid to provider,Member reimbursement,Claim payment amount,Claim disallowed amount,Member paid deductible,Co-insurance liability amount,Copay amount,Member liability,Claim primary payer paid amount,Claim discount amount,Service (from) date,Line number,Service to date,Type of service,Place of service code,Revenue center code,Allowed number of units,National drug code,Compound code,Quantity dispensed,Quantity qualifier code,Line benefit payment status,Line payment denial code,Line disallowed amount,Line member reimbursement,Line amount paid by patient,Drug cost,Line payment amount,Line amount paid to provider,Line patient deductible,Line primary payer paid amount,Line coinsurance amount,Line submitted amount,Line allowed amount,Line member liability,Line copay amount,Line discount,Diagnosis code,Diagnosis description,Present on admission,Diagnosis code type,Diagnosis type,Is E code,Procedure code,Procedure description,Procedure date,Procedure code type,Procedure type,Modifier Code-1,Modifier Code-2,Modifier Code-3,Modifier Code-4";

const M1: &str = "7f1e4c2a-0d5b-4e8f-9a61-3c2b1d0e9f87";
const M2: &str = "b3d9a1c4-6e2f-4a7b-8c5d-1e0f2a3b4c5d";
const P1: &str = "5059a55e-5d6e-34d1-b6cb-d83d16e57bcf";
const P2: &str = "d47b3510-2895-3317-8b4b-2c1a7a3e1a77";

/// One D1 claim row (an outpatient procedure line, Synthea's values) with every other column
/// empty.
fn claim_row(claim: &str, member: &str, payer: &str, line: u32, day: &str) -> String {
    let line = line.to_string();
    let values: HashMap<&str, &str> = [
        ("Claim service start date", day),
        ("Claim service end date", day),
        ("Claim paid date", day),
        ("Claim received date", day),
        ("Member admission date", day),
        ("Member discharge date", day),
        ("Patient account number", member),
        (
            "Medical record number",
            "0c7b9e0e-58b5-4d0c-9d39-5f7d2b6c8a11",
        ),
        ("Claim unique identifier", claim),
        ("Claim inpatient source admission code", "outp"),
        ("Claim inpatient admission type code", "other"),
        ("Claim bill facility type code", "1"),
        ("Claim service classification type code", "1"),
        ("Claim frequency code", "2"),
        ("Claim processing status code", "active"),
        ("Claim type code", "outpatient-facility"),
        ("Patient discharge status code", "home"),
        ("Claim primary payer identifier", payer),
        ("Claim payee type code", "subscriber"),
        ("Claim payee", member),
        ("Claim payment status code", "complete"),
        ("Claim payer identifier", payer),
        ("Pharmacy service type code", "01"),
        ("Patient residence code", "01"),
        (
            "Claim billing provider NPI",
            "4ecbf41e-9d8f-3aeb-9b4d-6625c2ff5918",
        ),
        ("Claim billing provider network status", "out"),
        (
            "Claim attending provider NPI",
            "4ecbf41e-9d8f-3aeb-9b4d-6625c2ff5918",
        ),
        ("Claim attending provider network status", "out"),
        (
            "Claim site of service NPI",
            "bf50c481-9c98-4912-8c05-97f637f8bd53",
        ),
        ("Claim site of service network status", "out"),
        (
            "Claim referring provider NPI",
            "4ecbf41e-9d8f-3aeb-9b4d-6625c2ff5918",
        ),
        ("Claim referring provider network status", "out"),
        (
            "Claim performing provider NPI",
            "4ecbf41e-9d8f-3aeb-9b4d-6625c2ff5918",
        ),
        ("Claim performing provider network status", "out"),
        ("Claim PCP NPI", "4ecbf41e-9d8f-3aeb-9b4d-6625c2ff5918"),
        ("Claim total submitted amount", "129.16"),
        ("Claim total allowed amount", "129.16"),
        ("Amount paid by patient", "0.0"),
        ("Claim amount paid to provider", "129.16"),
        ("Member reimbursement", "0.0"),
        ("Claim payment amount", "129.16"),
        ("Claim disallowed amount", "0.0"),
        ("Member paid deductible", "8312.25"),
        ("Copay amount", "0.0"),
        ("Member liability", "0.0"),
        ("Claim primary payer paid amount", "129.16"),
        ("Claim discount amount", "0.0"),
        ("Service (from) date", day),
        ("Line number", &line),
        ("Service to date", day),
        ("Type of service", "11"),
        ("Place of service code", "19"),
        ("Line benefit payment status", "ar001"),
        ("Line disallowed amount", "0.0"),
        ("Line member reimbursement", "0.0"),
        ("Line amount paid by patient", "0.0"),
        ("Line payment amount", "64.58"),
        ("Line amount paid to provider", "64.58"),
        ("Line patient deductible", "8312.25"),
        ("Line primary payer paid amount", "64.58"),
        ("Line coinsurance amount", "0.0"),
        ("Line submitted amount", "64.58"),
        ("Line allowed amount", "64.58"),
        ("Line member liability", "0.0"),
        ("Line copay amount", "0.0"),
        ("Line discount", "0.0"),
        ("Diagnosis code", "44054006"),
        ("Diagnosis description", "Diabetes"),
        ("Present on admission", "Y"),
        ("Diagnosis code type", "SNOMED"),
        ("Diagnosis type", "principal"),
        ("Procedure code", "430193006"),
        (
            "Procedure description",
            "Medication Reconciliation (procedure)",
        ),
        ("Procedure date", day),
        ("Procedure code type", "SNOMED"),
        ("Procedure type", "primary"),
    ]
    .into_iter()
    .collect();
    let header: Vec<&str> = CLAIMS.split(',').collect();
    assert_eq!(header.len(), 101, "the D1 claims layout");
    assert!(
        values.keys().all(|k| header.contains(k)),
        "a fixture column is misspelt"
    );
    header
        .iter()
        .map(|h| values.get(h).copied().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(",")
}

/// Two members of one payer; member 1 has two care-plan coverage rows with it (one still
/// open) and a claim with a second payer for which D1 wrote no coverage row.
fn write_d1_set(dir: &Path) {
    std::fs::write(
        dir.join("CPCDS_Patients.csv"),
        format!(
            "{PATIENTS}\n\
             {M1},1955-04-02,,Essex County,Massachusetts,United States,white,nonhispanic,F,Ana12 Ruiz33,01938\n\
             {M2},1961-11-23,,Suffolk County,Massachusetts,United States,black,nonhispanic,M,Ben7 Cole41,02110\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("CPCDS_Coverages.csv"),
        format!(
            "{COVERAGES}\n\
             {M1},PPO,inactive,2012-05-01,2014-02-01,c5f8b3a2-1111-4e4e-9a9a-0123456789ab,Apollo Dynamics,Respiratory therapy,{P1}\n\
             {M1},PPO,active,2015-01-01,,c5f8b3a2-1111-4e4e-9a9a-0123456789ab,Apollo Dynamics,Diabetes self management plan,{P1}\n\
             {M2},HMO,inactive,2018-01-01,2019-12-31,c5f8b3a2-2222-4e4e-9a9a-0123456789ab,LowKey,Fracture care,{P1}\n"
        ),
    )
    .unwrap();
    let rows = [
        claim_row("c1", M1, P1, 1, "2016-03-04"),
        claim_row("c1", M1, P1, 2, "2016-03-04"),
        claim_row("c2", M2, P1, 1, "2019-06-07"),
        claim_row("c3", M1, P2, 1, "2020-01-15"),
    ];
    std::fs::write(
        dir.join("CPCDS_Claims.csv"),
        format!("{CLAIMS}\n{}\n", rows.join("\n")),
    )
    .unwrap();
}

fn get(store: &Store, ty: &str, id: &str) -> Value {
    let json = store.read().unwrap().get(ty, id).unwrap();
    serde_json::from_slice(&json.unwrap_or_else(|| panic!("no {ty}/{id}"))).unwrap()
}

#[test]
fn d1_claims_find_their_coverage_by_member_and_payer() {
    let tmp = tempfile::tempdir().unwrap();
    write_d1_set(tmp.path());
    let store = Store::in_memory().unwrap();
    let report = import(tmp.path(), &store, T0).unwrap();
    assert_eq!(report.eobs(), 3);
    assert_eq!(report.by_type["Patient"].created, 2);
    // m1|P1 (two rows, one Coverage), m2|P1, and m1|P2 synthesized from claim c3.
    assert_eq!(report.by_type["Coverage"].created, 3);
    assert_all_valid(&store);

    let m1_p1 = id_for(&format!("{M1}|{P1}"));
    let coverage = get(&store, "Coverage", &m1_p1);
    assert_eq!(
        coverage["beneficiary"]["reference"],
        format!("Patient/{M1}")
    );
    assert_eq!(
        coverage["payor"][0]["reference"],
        format!("Organization/{P1}")
    );
    assert_eq!(
        coverage["period"]["start"], "2012-05-01",
        "the earliest row"
    );
    assert!(
        coverage["period"].get("end").is_none(),
        "one row is still open"
    );
    let classes: Vec<&str> = coverage["class"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["type"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(classes, ["group"], "two care plans are no one plan");

    let m2_p1 = id_for(&format!("{M2}|{P1}"));
    let coverage = get(&store, "Coverage", &m2_p1);
    assert_eq!(coverage["period"]["end"], "2019-12-31");
    assert_eq!(coverage["class"][1]["value"], "Fracture care");

    for (claim, coverage, payer) in [("c1", &m1_p1, P1), ("c2", &m2_p1, P1)] {
        let eob = get(&store, "ExplanationOfBenefit", claim);
        assert_eq!(
            eob["insurance"][0]["coverage"]["reference"],
            format!("Coverage/{coverage}"),
            "{claim}"
        );
        assert_eq!(eob["insurer"]["reference"], format!("Organization/{payer}"));
    }
    let c3 = get(&store, "ExplanationOfBenefit", "c3");
    let m1_p2 = id_for(&format!("{M1}|{P2}"));
    assert_eq!(
        c3["insurance"][0]["coverage"]["reference"],
        format!("Coverage/{m1_p2}")
    );
    assert_eq!(
        get(&store, "Coverage", &m1_p2)["beneficiary"]["reference"],
        format!("Patient/{M1}")
    );

    let again = import(tmp.path(), &store, T1).unwrap();
    assert_eq!(again.changed(), 0, "a D1 re-import changes nothing");
}

/// Without a coverages file the same claims get one placeholder coverage per (member, payer),
/// not one per payer shared by every member.
#[test]
fn d1_claims_only_set_gives_each_member_their_own_coverage() {
    let tmp = tempfile::tempdir().unwrap();
    write_d1_set(tmp.path());
    std::fs::remove_file(tmp.path().join("CPCDS_Coverages.csv")).unwrap();
    std::fs::remove_file(tmp.path().join("CPCDS_Patients.csv")).unwrap();
    let store = Store::in_memory().unwrap();
    let report = import(tmp.path(), &store, T0).unwrap();
    assert_eq!(report.eobs(), 3);
    assert_eq!(report.by_type["Coverage"].created, 3);
    let c2 = get(&store, "ExplanationOfBenefit", "c2");
    assert_eq!(
        c2["insurance"][0]["coverage"]["reference"],
        format!("Coverage/{}", id_for(&format!("{M2}|{P1}")))
    );
    assert_all_valid(&store);
}

/// Rows of one D1 coverage that disagree on a per-person fact are an error at the row.
#[test]
fn d1_coverage_rows_of_one_pair_must_agree_on_its_type() {
    let tmp = tempfile::tempdir().unwrap();
    write_d1_set(tmp.path());
    let path = tmp.path().join("CPCDS_Coverages.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen(",PPO,active,", ",HMO,active,", 1)).unwrap();
    let err = import(tmp.path(), &Store::in_memory().unwrap(), T0)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("CPCDS_Coverages.csv:3:2 (Coverage type)")
            && err.contains("differs from \"PPO\""),
        "{err}"
    );
}
