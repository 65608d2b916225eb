//! Indexing while the store writes (`cpcds::import_indexed` over `SearchIndex::write_through`):
//! what it leaves must be exactly what a rebuild from the store gives, stamped in step.

use std::path::Path;

use tempfile::TempDir;

use super::tests::{edit_first_claim, q, search};
use super::*;
use crate::generate::{generate, GenerateOptions, CLAIMS_FILE};

const T0: time::OffsetDateTime = time::macros::datetime!(2025-01-02 03:04:05 UTC);
const T1: time::OffsetDateTime = time::macros::datetime!(2025-02-03 04:05:06 UTC);

fn generated_files(beneficiaries: u64) -> TempDir {
    let dir = TempDir::new().unwrap();
    let opts = GenerateOptions {
        beneficiaries,
        seed: 5,
    };
    generate(&opts, dir.path(), &mut |_| {}).unwrap();
    dir
}

fn import(dir: &Path, store: &Store, index: &SearchIndex, now: time::OffsetDateTime) {
    crate::cpcds::import_indexed(dir, store, index, now, &mut |_, _| {}).unwrap();
}

fn stamp_of(store: &Store) -> Option<String> {
    Some(store.read().unwrap().generation().unwrap().to_string())
}

/// The same answers as an index rebuilt from the store, for searches of every kind.
fn assert_same_as_rebuild(store: &Store, index: &SearchIndex) {
    let fresh = SearchIndex::in_memory().unwrap();
    assert_eq!(fresh.rebuild_from(store).unwrap(), index.doc_count());
    let patient = search(store, &fresh, &q("Patient", &[]))[0].clone();
    for (ty, pairs) in [
        ("ExplanationOfBenefit", vec![("patient", patient.as_str())]),
        ("ExplanationOfBenefit", vec![("_sort", "-service-date")]),
        ("ExplanationOfBenefit", vec![("service-date", "ap2021-06")]),
        (
            "ExplanationOfBenefit",
            vec![("_lastUpdated", "gt2025-01-03")],
        ),
        ("Coverage", vec![("beneficiary", patient.as_str())]),
        ("Provenance", vec![]),
        ("Organization", vec![]),
    ] {
        // `index.search` answers every match, whatever the page size.
        let query = q(ty, &pairs);
        assert_eq!(
            search(store, index, &query),
            search(store, &fresh, &query),
            "{ty} {pairs:?}"
        );
    }
}

#[test]
fn an_import_is_searchable_when_it_returns_and_equals_a_rebuild() {
    let dir = generated_files(3);
    let store = Store::in_memory().unwrap();
    let index = SearchIndex::in_memory().unwrap();
    import(dir.path(), &store, &index, T0);
    assert_eq!(index.stamp().unwrap(), stamp_of(&store));
    assert_eq!(index.catch_up(&store, None).unwrap(), CatchUp::InStep);
    assert!(!search(&store, &index, &q("ExplanationOfBenefit", &[])).is_empty());
    assert_same_as_rebuild(&store, &index);
}

#[test]
fn a_changed_claim_replaces_its_document_and_an_unchanged_import_changes_nothing() {
    let dir = generated_files(3);
    let store = Store::in_memory().unwrap();
    let index = SearchIndex::in_memory().unwrap();
    import(dir.path(), &store, &index, T0);
    let docs = index.doc_count();

    // The same files again: nothing written, the index stays as it is.
    let stamp = index.stamp().unwrap();
    import(dir.path(), &store, &index, T1);
    assert_eq!(index.stamp().unwrap(), stamp);
    assert_eq!(index.doc_count(), docs);

    edit_first_claim(dir.path());
    import(dir.path(), &store, &index, T1);
    assert_eq!(index.stamp().unwrap(), stamp_of(&store));
    // One more document: the Provenance of the re-import; the edited EOB replaced its own.
    assert_eq!(index.doc_count(), docs + 1);
    let moved = q(
        "ExplanationOfBenefit",
        &[("billable-period-start", "2020-12-15")],
    );
    assert_eq!(search(&store, &index, &moved).len(), 1);
    let t1 = crate::clock::fhir_instant(T1);
    assert_eq!(
        search(
            &store,
            &index,
            &q("ExplanationOfBenefit", &[("_lastUpdated", &t1)])
        )
        .len(),
        1
    );
    assert_same_as_rebuild(&store, &index);
}

#[test]
fn a_failed_import_leaves_store_and_index_as_they_were() {
    let dir = generated_files(2);
    let store = Store::in_memory().unwrap();
    let index = SearchIndex::in_memory().unwrap();
    import(dir.path(), &store, &index, T0);
    let (stamp, docs) = (index.stamp().unwrap(), index.doc_count());

    // A second member set whose claims file ends in a row that cannot map.
    let bad = generated_files(4);
    let claims = bad.path().join(CLAIMS_FILE);
    let mut text = std::fs::read_to_string(&claims).unwrap();
    let columns = text.lines().next().unwrap().split(',').count();
    text.push_str(&format!("not-a-claim{}\n", ",x".repeat(columns - 1)));
    std::fs::write(&claims, text).unwrap();
    let failed = crate::cpcds::import_indexed(bad.path(), &store, &index, T1, &mut |_, _| {});
    assert!(failed.is_err());
    assert_eq!(index.stamp().unwrap(), stamp);
    assert_eq!(stamp_of(&store), stamp, "the store did not move either");
    assert_eq!(index.doc_count(), docs);
    assert_same_as_rebuild(&store, &index);
}

#[test]
fn an_index_behind_the_store_is_brought_in_step_before_it_is_fed() {
    let dir = generated_files(2);
    let store = Store::in_memory().unwrap();
    // Written without the index, as by a build that did not index, or a kill between commits.
    crate::cpcds::import_dir(dir.path(), &store, T0, &mut |_, _| {}).unwrap();
    let index = SearchIndex::in_memory().unwrap();
    assert_eq!(index.stamp().unwrap(), None);

    let more = generated_files(3);
    import(more.path(), &store, &index, T1);
    assert_eq!(index.stamp().unwrap(), stamp_of(&store));
    assert_same_as_rebuild(&store, &index);
}
