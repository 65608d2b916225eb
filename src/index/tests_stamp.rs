//! The stamp: an index is trusted only when it reflects the store's generation, whatever the
//! counts say.

use tempfile::TempDir;

use super::tests::{edit_first_claim, generated, q, search};
use super::*;

const T1: time::OffsetDateTime = time::macros::datetime!(2025-02-03 04:05:06 UTC);

fn eobs_starting(store: &Store, index: &SearchIndex, day: &str) -> Vec<String> {
    let query = q(
        "ExplanationOfBenefit",
        &[("billable-period-start", day), ("_count", "1000")],
    );
    search(store, index, &query)
}

/// Re-imports the set with the first claim moved to 2020-12-15: same counts, one EOB changed.
fn reimport_edited(dir: &TempDir, store: &Store) -> crate::cpcds::ImportReport {
    edit_first_claim(dir.path());
    crate::cpcds::import_dir(dir.path(), store, T1, &mut |_, _| {}).unwrap()
}

#[test]
fn a_mismatched_stamp_triggers_a_rebuild_even_with_equal_counts() {
    let (dir, store) = generated(2);
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("index");
    let docs = {
        let index = SearchIndex::open(&path).unwrap();
        assert_eq!(index.stamp().unwrap(), None, "a new index reflects nothing");
        let CatchUp::Rebuilt(n) = index.catch_up(&store, None).unwrap() else {
            panic!("a new index must be built");
        };
        assert_eq!(index.catch_up(&store, None).unwrap(), CatchUp::InStep);
        n
    };
    let stamp = store.read().unwrap().generation().unwrap().to_string();

    // The store moves on without the index, as when an import is killed between the store's
    // commit and the index's: the same number of resources, one of them edited.
    let report = reimport_edited(&dir, &store);
    assert_eq!(report.changed(), 1);
    let index = SearchIndex::open(&path).unwrap();
    assert_eq!(index.doc_count(), docs, "the count alone cannot tell");
    assert_eq!(index.stamp().unwrap().as_deref(), Some(stamp.as_str()));
    assert!(
        eobs_starting(&store, &index, "2020-12-15").is_empty(),
        "stale before"
    );

    // The re-import also wrote one Provenance (for the edited claim).
    assert_eq!(
        index.catch_up(&store, None).unwrap(),
        CatchUp::Rebuilt(docs + 1)
    );
    assert_eq!(eobs_starting(&store, &index, "2020-12-15").len(), 1);
    let now = store.read().unwrap().generation().unwrap();
    assert_eq!(index.stamp().unwrap(), Some(now.to_string()));
    assert_eq!(index.catch_up(&store, None).unwrap(), CatchUp::InStep);
}

#[test]
fn the_write_the_index_missed_is_applied_by_its_keys_only_when_it_is_the_only_one() {
    let (dir, store) = generated(2);
    let (by_keys, other) = (
        SearchIndex::in_memory().unwrap(),
        SearchIndex::in_memory().unwrap(),
    );
    by_keys.catch_up(&store, None).unwrap();
    other.catch_up(&store, None).unwrap();
    let report = reimport_edited(&dir, &store);
    let (from, to) = report.store_generations;
    assert_eq!(to, from + 1, "one import, one generation");

    assert_eq!(
        by_keys.catch_up(&store, Some(&report.written())).unwrap(),
        CatchUp::Updated(2),
        "the edited claim and its Provenance"
    );
    assert_eq!(eobs_starting(&store, &by_keys, "2020-12-15").len(), 1);
    assert_eq!(by_keys.catch_up(&store, None).unwrap(), CatchUp::InStep);

    // Keys that do not start where the index stands are not enough.
    let later = Written {
        from: to,
        to,
        keys: &report.changed_keys,
    };
    assert!(matches!(
        other.catch_up(&store, Some(&later)).unwrap(),
        CatchUp::Rebuilt(_)
    ));
    assert_eq!(eobs_starting(&store, &other, "2020-12-15").len(), 1);
}

#[test]
fn an_index_of_another_store_at_the_same_generation_is_rebuilt() {
    let (_a_dir, a) = generated(1);
    let (_b_dir, b) = generated(1);
    let (ga, gb) = (
        a.read().unwrap().generation().unwrap(),
        b.read().unwrap().generation().unwrap(),
    );
    assert_eq!(ga.number, gb.number);
    assert_ne!(ga.store_id, gb.store_id, "every store gets its own id");
    let index = SearchIndex::in_memory().unwrap();
    index.rebuild_from(&a).unwrap();
    assert!(matches!(
        index.catch_up(&b, None).unwrap(),
        CatchUp::Rebuilt(_)
    ));
}
