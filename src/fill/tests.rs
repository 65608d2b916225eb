use serde_json::Value;
use time::macros::datetime;

use super::*;
use crate::generate::generate;

const TYPES: [&str; 6] = [
    "Patient",
    "Coverage",
    "ExplanationOfBenefit",
    "Organization",
    "Practitioner",
    "RelatedPerson",
];

/// Every stored resource, the imports' Provenance records included (the index holds them too).
fn total(store: &Store) -> u64 {
    let read = store.read().expect("read");
    TYPES
        .iter()
        .chain(&["Provenance"])
        .map(|t| read.count(t).expect("count"))
        .sum()
}

/// Every resource of member-owned types, without `meta`, keyed by `Type/id`.
fn contents(store: &Store) -> Vec<(String, Value)> {
    let read = store.read().expect("read");
    let mut out = Vec::new();
    for ty in TYPES {
        read.for_each(ty, |id, json| {
            let mut v: Value = serde_json::from_slice(json).expect("json");
            if let Some(o) = v.as_object_mut() {
                o.remove("meta");
            }
            out.push((format!("{ty}/{id}"), v));
            Ok(())
        })
        .expect("scan");
    }
    out
}

fn has_patient(store: &Store, n: u32) -> bool {
    store
        .read()
        .expect("read")
        .exists("Patient", &patient_for(n))
        .expect("exists")
}

#[test]
fn sign_in_materializes_a_member_and_the_fill_writes_the_same_data() {
    let scratch = tempfile::TempDir::new().expect("tempdir");
    let store = Store::in_memory().expect("store");
    let index = SearchIndex::in_memory().expect("index");
    let fill = Filler::new(6, 2, scratch.path().to_path_buf());
    let now = datetime!(2026-01-02 03:04:05 UTC);

    // Only a correct synthetic login inside the fill's range writes anything.
    for (user, pw) in [
        ("BBUser00004", "PW00005!"),
        ("BBUser00001", "PW00001!"),
        ("BBUser00006", "PW00006!"),
        ("nobody", "PW00004!"),
    ] {
        assert!(!fill
            .ensure_login(&store, &index, user, pw, now)
            .expect("ensure"));
    }
    assert_eq!(total(&store), 0);

    assert!(fill
        .ensure_login(&store, &index, " bbuser00004", "PW00004!", now)
        .expect("ensure"));
    assert!(has_patient(&store, 4));
    assert!(!has_patient(&store, 3));
    // Searchable at once: the index holds every stored resource.
    assert_eq!(index.doc_count(), total(&store));
    assert!(!fill
        .ensure_login(&store, &index, "BBUser00004", "PW00004!", now)
        .expect("again"));

    let wrote = fill.run(&store, &index, &|| now).expect("fill");
    assert_eq!(wrote, 4);
    assert_eq!(fill.status(), FillStatus { done: 6, target: 6 });
    for n in 2..6 {
        assert!(has_patient(&store, n), "member {n}");
    }
    assert!(!has_patient(&store, 1), "seed members are not the fill's");
    assert_eq!(index.doc_count(), total(&store));
    // Resumable: a second run finds nothing left.
    assert_eq!(fill.run(&store, &index, &|| now).expect("again"), 0);

    // The same resources as an import of the whole generated run (members 2..6 of it).
    let whole_dir = tempfile::TempDir::new().expect("tempdir");
    generate(
        &GenerateOptions {
            beneficiaries: 6,
            seed: SEED,
        },
        whole_dir.path(),
        &mut |_| {},
    )
    .expect("generate");
    let whole = Store::in_memory().expect("store");
    crate::cpcds::import_dir(whole_dir.path(), &whole, now, &mut |_, _| {}).expect("import");
    let filled = contents(&store);
    let reference: std::collections::BTreeMap<String, Value> =
        contents(&whole).into_iter().collect();
    assert!(filled.len() > 20);
    for (key, value) in &filled {
        assert_eq!(reference.get(key), Some(value), "{key}");
    }
}

#[test]
fn a_disabled_fill_writes_nothing() {
    let store = Store::in_memory().expect("store");
    let index = SearchIndex::in_memory().expect("index");
    let fill = Filler::disabled();
    let now = datetime!(2026-01-02 03:04:05 UTC);
    assert!(!fill
        .ensure_login(&store, &index, "BBUser00004", "PW00004!", now)
        .expect("ensure"));
    assert_eq!(fill.run(&store, &index, &|| now).expect("fill"), 0);
    assert_eq!(total(&store), 0);
}

#[test]
fn a_fill_of_several_batches_writes_them_all_searchable_and_leaves_no_files() {
    let scratch = tempfile::TempDir::new().expect("tempdir");
    // What a run stopped a batch ahead left behind.
    std::fs::create_dir_all(scratch.path().join("batch-90-92")).expect("leftover");
    let store = Store::in_memory().expect("store");
    let index = SearchIndex::in_memory().expect("index");
    let fill = Filler::new(7, 2, scratch.path().to_path_buf()).with_batch(2);
    let now = datetime!(2026-01-02 03:04:05 UTC);

    // Three batches (2-3, 4-5, 6), each generated while the one before is imported.
    assert_eq!(fill.run(&store, &index, &|| now).expect("fill"), 5);
    assert_eq!(fill.status(), FillStatus { done: 7, target: 7 });
    for n in 2..7 {
        assert!(has_patient(&store, n), "member {n}");
    }
    assert_eq!(index.doc_count(), total(&store), "every batch indexed");
    let in_step = store
        .read()
        .expect("read")
        .generation()
        .expect("generation");
    assert_eq!(index.stamp().expect("stamp"), Some(in_step.to_string()));
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("scratch")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // A stopped fill writes nothing more.
    let more = Filler::new(9, 2, scratch.path().to_path_buf()).with_batch(1);
    more.stop();
    assert_eq!(more.run(&store, &index, &|| now).expect("stopped"), 0);
    assert!(!has_patient(&store, 7));
}
