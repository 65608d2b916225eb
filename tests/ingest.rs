#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code, helpers included: a failed unwrap, expect or panic is the test failing"
)]
//! CPCDS ingest through the library API: the public samples, a D3 fixture, re-imports, and bad
//! input that must leave the store exactly as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use carin_sandbox::cpcds::{self, ImportReport, IngestError};
use carin_sandbox::export::RESOURCE_TYPES;
use carin_sandbox::generate::{self, GenerateOptions};
use carin_sandbox::store::Store;
use carin_sandbox::validate::{self, Severity};
use serde_json::Value;
use time::macros::datetime;
use time::OffsetDateTime;

#[path = "ingest/d1_coverages.rs"]
mod d1_coverages;
#[path = "ingest/index_in_step.rs"]
mod index_in_step;
#[path = "ingest/strict.rs"]
mod strict;

const T0: OffsetDateTime = datetime!(2025-01-02 03:04:05 UTC);
const T1: OffsetDateTime = datetime!(2025-02-03 04:05:06 UTC);

fn shared(rel: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    p.exists().then_some(p)
}

fn import(dir: &Path, store: &Store, now: OffsetDateTime) -> Result<ImportReport, IngestError> {
    cpcds::import_dir(dir, store, now, &mut |_, _| {})
}

/// Every resource in the store, by `Type/id`.
fn snapshot(store: &Store) -> BTreeMap<String, Vec<u8>> {
    let read = store.read().unwrap();
    let mut all = BTreeMap::new();
    for ty in RESOURCE_TYPES {
        read.for_each(ty, |id, json| {
            all.insert(format!("{ty}/{id}"), json.to_vec());
            Ok(())
        })
        .unwrap();
    }
    all
}

/// Asserts that every stored resource passes the C4BB checker; returns how many were checked.
fn assert_all_valid(store: &Store) -> usize {
    let mut failures = Vec::new();
    let all = snapshot(store);
    for (key, json) in &all {
        let v: Value = serde_json::from_slice(json).unwrap();
        for issue in validate::validate_resource(&v) {
            if issue.severity == Severity::Error {
                failures.push(format!(
                    "{key}: {} [{}] {}",
                    issue.path, issue.rule, issue.message
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} errors, first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(15)].join("\n")
    );
    all.len()
}

#[test]
fn synthea_mainline_sample_imports_and_validates() {
    let Some(dir) = shared("cpcds-samples/synthea-mainline-2022-vanessuniq/reconstructed-csv")
    else {
        return;
    };
    let store = Store::in_memory().unwrap();
    let report = import(&dir, &store, T0).unwrap();
    assert_eq!(report.by_type["Patient"].created, 1);
    assert_eq!(report.by_type["Coverage"].created, 55);
    assert_eq!(report.by_type["Practitioner"].created, 3);
    // three provider organizations plus the payer Synthea never writes a row for
    assert_eq!(report.by_type["Organization"].created, 4);
    assert_eq!(report.eobs(), 52, "one EOB per claim");
    assert_eq!(report.claim_rows, 183);
    let checked = assert_all_valid(&store);
    // and the import's two Provenance records: the beneficiary's and the directory data's
    assert_eq!(checked, 1 + 55 + 3 + 4 + 52 + 2);

    // The pharmacy fills keep Synthea's RxNorm code beside the NDC C4BB requires.
    let read = store.read().unwrap();
    let mut pharmacy = 0;
    read.for_each("ExplanationOfBenefit", |_, json| {
        let v: Value = serde_json::from_slice(json).unwrap();
        if v["type"]["coding"][0]["code"] == "pharmacy" {
            pharmacy += 1;
            let codings = v["item"][0]["productOrService"]["coding"]
                .as_array()
                .unwrap();
            assert!(codings
                .iter()
                .any(|c| c["system"] == "http://hl7.org/fhir/sid/ndc"));
            assert!(codings
                .iter()
                .any(|c| c["system"] == "http://www.nlm.nih.gov/research/umls/rxnorm"));
        }
        assert_eq!(v["outcome"], "complete");
        Ok(())
    })
    .unwrap();
    assert_eq!(pharmacy, 9);
}

#[test]
fn synthea_v1_claims_only_sample_imports_and_validates() {
    let Some(dir) = shared("cpcds-samples/synthea-v1-2019-diameterhealth") else {
        return;
    };
    let store = Store::in_memory().unwrap();
    let report = import(&dir, &store, T0).unwrap();
    assert_eq!(report.eobs(), 5);
    assert_eq!(
        report.by_type["Patient"].created, 1,
        "the member is synthesized from the claims"
    );
    assert!(report.placeholders > 0);
    assert_all_valid(&store);
}

#[test]
fn generated_set_imports_and_validates_with_all_five_profiles() {
    let tmp = tempfile::tempdir().unwrap();
    generate::generate(
        &GenerateOptions {
            beneficiaries: 12,
            seed: 7,
        },
        tmp.path(),
        &mut |_| {},
    )
    .unwrap();
    let store = Store::in_memory().unwrap();
    let report = import(tmp.path(), &store, T0).unwrap();
    assert_eq!(report.by_type["Patient"].created, 12);
    for profile in [
        "inpatient institutional",
        "outpatient institutional",
        "professional non-clinician",
        "oral",
        "pharmacy",
    ] {
        assert!(
            report.eobs_by_profile.get(profile).copied().unwrap_or(0) > 0,
            "no {profile} EOB in {:?}",
            report.eobs_by_profile
        );
    }
    assert!(report
        .by_type
        .get("RelatedPerson")
        .is_some_and(|c| c.created > 0));
    assert_eq!(
        report.placeholders, 0,
        "the canonical dialect describes everything it references"
    );
    assert_all_valid(&store);
}

#[test]
fn reimport_changes_nothing_and_a_changed_row_makes_a_new_version() {
    let tmp = tempfile::tempdir().unwrap();
    generate::generate(
        &GenerateOptions {
            beneficiaries: 3,
            seed: 1,
        },
        tmp.path(),
        &mut |_| {},
    )
    .unwrap();
    let store = Store::in_memory().unwrap();
    let first = import(tmp.path(), &store, T0).unwrap();
    let before = snapshot(&store);

    let again = import(tmp.path(), &store, T1).unwrap();
    assert_eq!(again.changed(), 0);
    assert_eq!(
        again
            .by_type
            .values()
            .map(cpcds::Counts::total)
            .sum::<u64>(),
        first.changed()
    );
    assert_eq!(
        snapshot(&store),
        before,
        "an unchanged re-import must not touch lastUpdated"
    );

    // Change one member's name: exactly that Patient gets version 2 with the new lastUpdated.
    let members = tmp.path().join("CPCDS_Members.csv");
    let member = generate::member_id(1);
    edit_cell(
        &members,
        |row| row["Member id"] == member,
        "Name",
        "Renamed Person",
    );
    let changed = import(tmp.path(), &store, T1).unwrap();
    assert_eq!(changed.changed(), 1);
    assert_eq!(changed.by_type["Patient"].updated, 1);
    let read = store.read().unwrap();
    let now: Value =
        serde_json::from_slice(&read.get("Patient", &member).unwrap().unwrap()).unwrap();
    assert_eq!(now["meta"]["versionId"], "2");
    assert_eq!(now["meta"]["lastUpdated"], "2025-02-03T04:05:06.000+00:00");
    assert_eq!(now["name"][0]["family"], "Person");
    let old: Value =
        serde_json::from_slice(&read.get_version("Patient", &member, 1).unwrap().unwrap()).unwrap();
    assert_eq!(old["meta"]["lastUpdated"], "2025-01-02T03:04:05.000+00:00");
    assert_ne!(old["name"], now["name"]);
}

/// Rewrites one cell of the first row matching `pick`, keeping everything else byte-for-byte
/// in CSV terms.
fn edit_cell(
    path: &Path,
    pick: impl Fn(&BTreeMap<String, String>) -> bool,
    column: &str,
    value: &str,
) {
    edit_rows(path, pick, column, value, false);
}

/// Rewrites one cell of every row matching `pick` (e.g. a claim-level column of every row
/// of a claim).
fn edit_cells(
    path: &Path,
    pick: impl Fn(&BTreeMap<String, String>) -> bool,
    column: &str,
    value: &str,
) {
    edit_rows(path, pick, column, value, true);
}

/// Rewrites one cell of the data rows at these 0-based indexes.
fn edit_rows_at(path: &Path, rows: &[usize], column: &str, value: &str) {
    let index = std::cell::Cell::new(0usize);
    edit_rows(
        path,
        |_| {
            let i = index.get();
            index.set(i + 1);
            rows.contains(&i)
        },
        column,
        value,
        true,
    );
}

/// The claim id of every data row of a claims file.
fn claim_ids(path: &Path) -> Vec<String> {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "Claim unique identifier")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[col].to_string())
        .collect()
}

/// The claim id of the first data row of a claims file.
fn first_claim_id(path: &Path) -> String {
    claim_ids(path).swap_remove(0)
}

fn edit_rows(
    path: &Path,
    pick: impl Fn(&BTreeMap<String, String>) -> bool,
    column: &str,
    value: &str,
    every: bool,
) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let headers = reader.headers().unwrap().clone();
    let col = headers
        .iter()
        .position(|h| h == column)
        .unwrap_or_else(|| panic!("no column {column}"));
    let mut rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let targets: Vec<usize> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            pick(
                &headers
                    .iter()
                    .zip(r.iter())
                    .map(|(h, v)| (h.to_string(), v.to_string()))
                    .collect(),
            )
        })
        .map(|(i, _)| i)
        .take(if every { usize::MAX } else { 1 })
        .collect();
    assert!(!targets.is_empty(), "no row matched");
    for target in targets {
        let mut fields: Vec<String> = rows[target].iter().map(str::to_string).collect();
        fields[col] = value.to_string();
        rows[target] = csv::StringRecord::from(fields);
    }
    let mut w = csv::Writer::from_path(path).unwrap();
    w.write_record(&headers).unwrap();
    for r in rows {
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();
}

/// A fresh generated set imported into a store, for the bad-input cases.
fn seeded_store() -> (tempfile::TempDir, Store, BTreeMap<String, Vec<u8>>) {
    let tmp = tempfile::tempdir().unwrap();
    generate::generate(
        &GenerateOptions {
            beneficiaries: 3,
            seed: 3,
        },
        tmp.path(),
        &mut |_| {},
    )
    .unwrap();
    let store = Store::in_memory().unwrap();
    import(tmp.path(), &store, T0).unwrap();
    let before = snapshot(&store);
    (tmp, store, before)
}

/// Imports the broken set at a later time and checks the error names the place and nothing changed.
fn assert_rejected(
    dir: &Path,
    store: &Store,
    before: &BTreeMap<String, Vec<u8>>,
    expect: &[&str],
) -> String {
    let err = import(dir, store, T1)
        .expect_err("bad input must be rejected")
        .to_string();
    for e in expect {
        assert!(err.contains(e), "error {err:?} should mention {e:?}");
    }
    assert_eq!(
        &snapshot(store),
        before,
        "a failed import must leave the store as it was"
    );
    err
}

#[test]
fn non_numeric_amount_is_rejected_with_its_place() {
    let (tmp, store, before) = seeded_store();
    let claims = tmp.path().join("CPCDS_Claims.csv");
    // also bump a member so a partial write would show up in the snapshot
    edit_cell(
        &tmp.path().join("CPCDS_Members.csv"),
        |_| true,
        "Name",
        "Changed Before Failure",
    );
    edit_cell(&claims, |_| true, "Line submitted amount", "12,x");
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            "CPCDS_Claims.csv:2:",
            "(Line submitted amount)",
            "is not an amount",
        ],
    );
}

#[test]
fn impossible_date_is_rejected_with_its_place() {
    let (tmp, store, before) = seeded_store();
    edit_cell(
        &tmp.path().join("CPCDS_Members.csv"),
        |_| true,
        "Date of birth",
        "1980-02-30",
    );
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &["CPCDS_Members.csv:2:", "(Date of birth)", "not a real date"],
    );
}

#[test]
fn unknown_member_is_rejected_with_its_place() {
    let (tmp, store, before) = seeded_store();
    let claims = tmp.path().join("CPCDS_Claims.csv");
    let first = first_claim_id(&claims);
    edit_cells(
        &claims,
        |row| row["Claim unique identifier"] == first,
        "Patient account number",
        "NOBODY",
    );
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            "CPCDS_Claims.csv:2:",
            "(Patient account number)",
            "unknown member \"NOBODY\"",
        ],
    );
}

#[test]
fn missing_required_column_is_rejected() {
    let (tmp, store, before) = seeded_store();
    let path = tmp.path().join("CPCDS_Members.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("Date of birth", "Birthday", 1)).unwrap();
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            "CPCDS_Members.csv:1:",
            "missing required column \"date of birth\"",
        ],
    );
}

#[test]
fn truncated_last_row_is_rejected() {
    let (tmp, store, before) = seeded_store();
    let path = tmp.path().join("CPCDS_Claims.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let cut = text.trim_end().rfind(',').unwrap();
    std::fs::write(&path, &text[..cut]).unwrap();
    let lines = text.trim_end().lines().count();
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            &format!("CPCDS_Claims.csv:{lines}:"),
            "truncated or shifted row",
        ],
    );
}

#[test]
fn empty_file_is_rejected() {
    let (tmp, store, before) = seeded_store();
    std::fs::write(tmp.path().join("CPCDS_Coverages.csv"), "").unwrap();
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &["CPCDS_Coverages.csv", "empty"],
    );
}

#[test]
fn non_contiguous_claim_rows_are_rejected() {
    let (tmp, store, before) = seeded_store();
    let path = tmp.path().join("CPCDS_Claims.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let first = lines[1].to_string();
    lines.push(&first);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &["appears again after other claims"],
    );
}

/// The D3 (Onyx/CARIN "CPCDS 0.4.1") dialect: no public output exists, so this fixture is built
/// from its published headers: five diagnosis groups, `Payer claim unique identifier`,
/// `Claim noncovered amount`, a ragged Organizations file.
#[test]
fn d3_dialect_fixture_imports_and_validates() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("CPCDS_Members.csv"), concat!(
        "Member id,Date of birth,Deceased,Date of death,Home street address,Home county,Home state,Home country,Home zip code,Bill street address,Bill county,Bill state,Bill country,Bill zip code,Work street address,Work county,Work state,Work country,Work zip code,Race code,Ethnicity,Gender code,Birth sex,Patient name,Member demographics last updated date\r\n",
        "d3-member-1,1950-03-04,False,,1 Main St,Essex County,MA,United States,01938,1 Main St,Essex County,MA,United States,01938,,,,,,2054-5,2186-5,M,M,John42 Doe17,2020-09-01\r\n",
    )).unwrap();
    std::fs::write(d.join("CPCDS_Coverages.csv"), concat!(
        "\u{feff}Coverage id,Member id,Subscriber id,Dependent number,Coverage type,Coverage status,Start date,End date,Group id,Group name,Plan identifier,Plan name,Claim payer identifier,Relationship to subscriber\r\n",
        "d3-cov-2020,d3-member-1,d3-member-1,0,PPO,active,2020-01-01,2020-12-31,G1,Apollo Dynamics,00000002,Silver,112864302278,self\r\n",
    )).unwrap();
    std::fs::write(
        d.join("Organizations.csv"),
        concat!(
            "Id,Name,Address,City,State,ZIP,Phone,Type,Ownership\r\n",
            "112864302278,DIAMOND HEALTH,1 Payer Way,Boston,MA,02110,6175550100,payer\r\n",
            "451747647101,ESSEX CLINIC,21 MARKET ST,IPSWICH,MA,01938,9783563015,\r\n",
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("Practitioners.csv"),
        concat!(
        "Provider NPI,Provider name,Organization NPI,Code,Provider Taxonomy,Last updated\r\n",
        "191185846468,Dr. Liz413 Sporer811,451747647101,provider,GENERAL PRACTICE,2020-09-01\r\n",
    ),
    )
    .unwrap();
    let header = "Claim service start date,Claim service end date,Statement from date,Statement through date,Claim paid date,Claim received date,Member admission date,Member discharge date,Patient account number,Medical record number,Payer claim unique identifier,Claim adjusted from identifier,Claim adjusted to identifier,Claim diagnosis related group,Claim source inpatient admission code,Claim inpatient admission type code,Claim type of bill code,Claim service classification type code,Claim frequency code,Claim processing status code,Claim type,Patient discharge status code,Claim payment denial code,Claim primary payer identifier,Claim payee type code,Claim payee,Claim payment status code,Claim payer identifier,Days supply,RX service reference number,DAW product selection code,Refill number,Prescription origin code,Plan reported brand generic code,Pharmacy service type code,Patient residence code,Claim billing provider NPI,Claim billing provider network status,Claim attending provider NPI,Claim attending provider network status,Claim site of service NPI,Claim site of service network status,Claim referring provider NPI,Claim referring provider network status,Claim performing provider NPI,Claim performing provider network status,Claim prescribing physician NPI,Claim prescribing provider network status,Claim PCP NPI,Claim total submitted amount,Claim total allowed amount,Amount paid by patient,Claim amount paid to provider,Member reimbursement,Claim payment amount,Claim noncovered amount,Member paid deductible,Co-insurance liability amount,Copay amount,Member liability,Claim primary payer paid amount,Claim discount amount,Line number,Service (from) date,Service to date,Type of service,Place of service code,Revenue center code,Allowed number of units,Number of units,National drug code,Compound code,Quantity dispensed,Quantity qualifier code,Line benefit payment status,Line payment denial code,Line noncovered amount,Line member reimbursement,Line amount paid by patient,Drug cost,Line payment amount,Line amount paid to provider,Line patient deductible,Line primary payer paid amount,Line coinsurance amount,Line submitted amount,Line allowed amount,Line member liability,Line copay amount,Line discount amount,Diagnosis code - 1,Diagnosis code description - 1,Present on admission - 1,Diagnosis code type - 1,Diagnosis type - 1,Is E code - 1,Diagnosis code - 2,Diagnosis code description - 2,Present on admission - 2,Diagnosis code type - 2,Diagnosis type - 2,Is E code - 2,Diagnosis code - 3,Diagnosis code description - 3,Present on admission - 3,Diagnosis code type - 3,Diagnosis type - 3,Is E code - 3,Diagnosis code - 4,Diagnosis code description - 4,Present on admission - 4,Diagnosis code type - 4,Diagnosis type - 4,Is E code - 4,Diagnosis code - 5,Diagnosis code description - 5,Present on admission - 5,Diagnosis code type - 5,Diagnosis type - 5,Is E code - 5,Procedure code,Procedure description,Procedure date,Procedure code type,Procedure type,Modifier Code-1,Modifier Code-2,Modifier Code-3,Modifier Code-4";
    assert_eq!(header.split(',').count(), 129);
    let dx = "44054006,Diabetes,y,http://snomed.info/sct,principal,,38341003,Hypertension,n,http://snomed.info/sct,clinical,,,,,,,,,,,,,,,,,,,";
    let row = |line: &str, proc_code: &str| {
        format!(
            "2020-03-01,2020-03-05,2020-03-01,2020-03-05,2020-03-20,2020-03-06,2020-03-01,2020-03-05,d3-member-1,mrn-1,d3-claim-1,,,,4,3,1,1,1,active,Inpatient Facility,home,,d3-cov-2020,practitioner,191185846468,complete,d3-cov-2020,,,,,,,,01,451747647101,in,191185846468,in,451747647101,in,191185846468,in,191185846468,in,,in,191185846468,1200.00,1000.00,100.00,900.00,0.00,1000.00,200.00,50.00,0.00,20.00,270.00,0.00,0.00,{line},2020-03-01,2020-03-05,01,21,0450,1,1,,,,,,,100.00,0.00,50.00,,500.00,450.00,25.00,0.00,0.00,600.00,500.00,135.00,10.00,0.00,{dx},{proc_code},Procedure,2020-03-02,http://snomed.info/sct,primary,,,,"
        )
    };
    let body = format!(
        "{header}\r\n{}\r\n{}\r\n",
        row("1", "127783003"),
        row("2", "15081005")
    );
    assert_eq!(body.lines().nth(1).unwrap().split(',').count(), 129);
    std::fs::write(d.join("CPCDS_Claims.csv"), body).unwrap();

    let store = Store::in_memory().unwrap();
    let report = import(d, &store, T0).unwrap();
    assert_eq!(report.eobs(), 1);
    assert_eq!(
        report.eobs_by_profile.get("inpatient institutional"),
        Some(&1)
    );
    assert_all_valid(&store);
    let read = store.read().unwrap();
    let eob: Value = serde_json::from_slice(
        &read
            .get("ExplanationOfBenefit", "d3-claim-1")
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let dx: Vec<&str> = eob["diagnosis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            d["diagnosisCodeableConcept"]["coding"][0]["code"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        dx,
        ["E11.9", "I10"],
        "both D3 diagnosis groups, crosswalked to ICD-10-CM"
    );
    assert_eq!(eob["diagnosis"][0]["onAdmission"]["coding"][0]["code"], "Y");
    assert_eq!(eob["item"].as_array().unwrap().len(), 2);
    assert_eq!(eob["item"][0]["revenue"]["coding"][0]["code"], "0450");
    assert_eq!(
        eob["payee"]["party"]["reference"],
        "Practitioner/191185846468"
    );
    assert_eq!(eob["insurer"]["reference"], "Organization/112864302278");
    let patient: Value =
        serde_json::from_slice(&read.get("Patient", "d3-member-1").unwrap().unwrap()).unwrap();
    assert_eq!(patient["address"][0]["state"], "MA");
    assert_eq!(patient["deceasedBoolean"], false);
}

#[test]
fn every_import_is_audited_whether_it_worked_or_not() {
    let (tmp, store, _) = seeded_store();
    edit_cell(
        &tmp.path().join("CPCDS_Members.csv"),
        |_| true,
        "Date of birth",
        "1980-02-30",
    );
    assert!(import(tmp.path(), &store, T1).is_err());
    // Newest first: the refused import, then the one that loaded the set.
    let trail = carin_sandbox::audit::recent(&store, 10).unwrap();
    let imports: Vec<_> = trail.iter().filter(|r| r.event == "import").collect();
    assert_eq!(imports.len(), 2, "{trail:?}");
    assert_eq!(imports[0].outcome, "error");
    assert_eq!(imports[0].at, T1.unix_timestamp());
    let refused = imports[0].detail.as_deref().unwrap();
    assert!(
        refused.contains("nothing imported") && refused.contains("not a real date"),
        "{refused}"
    );
    assert_eq!(imports[1].outcome, "success");
    let loaded = imports[1].detail.as_deref().unwrap();
    assert!(loaded.contains("resources changed"), "{loaded}");
}
