//! Input the importer used to read without a word: CRLF line numbers, claim-level columns that
//! disagree between a claim's rows, ambiguous or missing header columns.

use std::path::Path;

use super::{assert_rejected, edit_rows_at, seeded_store};

/// The data rows (0-based) of the first claim with at least two rows, and its id.
fn multi_row_claim(claims: &Path) -> (String, Vec<usize>) {
    let mut reader = csv::Reader::from_path(claims).unwrap();
    let col = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "Claim unique identifier")
        .unwrap();
    let ids: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[col].to_string())
        .collect();
    let start = (1..ids.len())
        .find(|&i| ids[i] == ids[i - 1])
        .map(|i| i - 1)
        .expect("a claim with two rows");
    let rows = (start..ids.len())
        .take_while(|&i| ids[i] == ids[start])
        .collect();
    (ids[start].clone(), rows)
}

/// The 1-based header position of `column`.
fn column_number(path: &Path, column: &str) -> usize {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == column)
        .unwrap()
        + 1
}

#[test]
fn crlf_files_report_the_physical_line() {
    let (tmp, store, before) = seeded_store();
    let members = tmp.path().join("CPCDS_Members.csv");
    // The third member (line 4) gets an impossible birth date; then the file goes CRLF.
    edit_rows_at(&members, &[2], "Date of birth", "1980-02-30");
    let text = std::fs::read_to_string(&members).unwrap();
    assert!(!text.contains('\r'));
    std::fs::write(&members, text.replace('\n', "\r\n")).unwrap();
    let col = column_number(&members, "Date of birth");
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            &format!("CPCDS_Members.csv:4:{col} (Date of birth)"),
            "not a real date",
        ],
    );
}

#[test]
fn a_malformed_claim_level_value_on_a_later_row_is_rejected_at_its_place() {
    let (tmp, store, before) = seeded_store();
    let claims = tmp.path().join("CPCDS_Claims.csv");
    let (claim, rows) = multi_row_claim(&claims);
    edit_rows_at(&claims, &rows[1..2], "Claim total submitted amount", "12,x");
    let col = column_number(&claims, "Claim total submitted amount");
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            &format!(
                "CPCDS_Claims.csv:{}:{col} (Claim total submitted amount)",
                rows[1] + 2
            ),
            "\"12,x\" differs from",
            &format!("on line {} of the same claim {claim:?}", rows[0] + 2),
        ],
    );
}

#[test]
fn a_claim_level_value_that_differs_between_rows_is_rejected_at_its_place() {
    let (tmp, store, before) = seeded_store();
    let claims = tmp.path().join("CPCDS_Claims.csv");
    let (_, rows) = multi_row_claim(&claims);
    let last = *rows.last().unwrap();
    edit_rows_at(&claims, &[last], "Claim billing provider NPI", "1234567893");
    let col = column_number(&claims, "Claim billing provider NPI");
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            &format!(
                "CPCDS_Claims.csv:{}:{col} (Claim billing provider NPI)",
                last + 2
            ),
            "\"1234567893\" differs from",
        ],
    );
}

/// Renames header cells of a file (exact header text).
fn rename_headers(path: &Path, renames: &[(&str, &str)]) {
    let text = std::fs::read_to_string(path).unwrap();
    let (header, rest) = text.split_once('\n').unwrap();
    let header: Vec<String> = header
        .split(',')
        .map(|h| {
            renames
                .iter()
                .find(|(from, _)| *from == h)
                .map_or(h.to_string(), |(_, to)| to.to_string())
        })
        .collect();
    std::fs::write(path, format!("{}\n{rest}", header.join(","))).unwrap();
}

#[test]
fn two_header_cells_naming_one_column_are_refused_naming_both() {
    let (tmp, store, before) = seeded_store();
    let members = tmp.path().join("CPCDS_Members.csv");
    let (name, email) = (
        column_number(&members, "Name"),
        column_number(&members, "Email"),
    );
    // D3's "Patient name" beside a column renamed "Name": one of them would fill every
    // Patient's name, silently.
    rename_headers(&members, &[("Name", "Patient name"), ("Email", "Name")]);
    let (first, second) = (name.min(email), name.max(email));
    let first_name = if first == name {
        "Patient name"
    } else {
        "Name"
    };
    let second_name = if first == name {
        "Name"
    } else {
        "Patient name"
    };
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[
            "CPCDS_Members.csv:1:",
            &format!("header columns {first} ({first_name:?}) and {second} ({second_name:?})"),
            "\"name\"",
        ],
    );

    // The same header twice.
    let (tmp, store, before) = seeded_store();
    let members = tmp.path().join("CPCDS_Members.csv");
    rename_headers(&members, &[("Email", "Member_ID")]);
    let (id, email) = (
        column_number(&members, "Member id"),
        column_number(&members, "Member_ID"),
    );
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &[&format!(
            "header columns {id} (\"Member id\") and {email} (\"Member_ID\") are the same header twice"
        )],
    );
}

#[test]
fn a_missing_member_column_is_named_not_reported_as_unknown_members() {
    let (tmp, store, before) = seeded_store();
    let coverages = tmp.path().join("CPCDS_Coverages.csv");
    rename_headers(&coverages, &[("Member id", "Beneficiary")]);
    assert_rejected(
        tmp.path(),
        &store,
        &before,
        &["CPCDS_Coverages.csv:1: missing required column \"member id\""],
    );
}
