use super::*;

const DAY: i64 = 24 * 3600;

fn bad_secret(at: i64, client_id: &str) -> AuditRecord {
    AuditRecord {
        at,
        event: "token".into(),
        outcome: "invalid_client".into(),
        client_id: Some(client_id.into()),
        detail: Some("the client secret is wrong".into()),
        ..AuditRecord::default()
    }
}

fn success(at: i64) -> AuditRecord {
    AuditRecord {
        at,
        event: "token".into(),
        outcome: "success".into(),
        client_id: Some("test-client-id".into()),
        ..AuditRecord::default()
    }
}

/// Appends `records` in one transaction (20,000 commits would only test the disk).
fn append_all(store: &Store, records: impl IntoIterator<Item = AuditRecord>) {
    let tx = store.begin_write().unwrap();
    for r in records {
        append(&tx, &r).unwrap();
    }
    tx.commit().unwrap();
}

fn store_with(policy: AuditPolicy) -> Store {
    let store = Store::in_memory().unwrap();
    apply_policy(&store, &policy, 0).unwrap();
    store
}

#[test]
fn a_flood_of_identical_failures_is_one_entry_with_a_count() {
    let store = store_with(AuditPolicy::default());
    // 20,000 wrong client secrets over ten minutes of a fixed clock's seconds.
    append_all(
        &store,
        (0..20_000).map(|i| bad_secret(1_000_000 + i / 34, "test-client-id")),
    );
    let entries = recent_entries(&store, 100).unwrap();
    // A five-minute window: two entries for ten minutes.
    assert_eq!(entries.len(), 2, "{entries:?}");
    assert_eq!(entries.iter().map(|e| e.count).sum::<u64>(), 20_000);
    let (rows, bytes) = size(&store).unwrap();
    assert_eq!(rows, 2);
    assert!(bytes < 1_000, "{bytes} bytes");
}

#[test]
fn a_flood_of_varied_failures_stays_within_the_cap() {
    let policy = AuditPolicy {
        max_entries: 1_000,
        ..AuditPolicy::default()
    };
    let store = store_with(policy);
    // A different, long client id each time: nothing to fold, so the cap must hold it.
    let long = "x".repeat(1_000);
    append_all(
        &store,
        (0..5_000).map(|i| bad_secret(1_000_000 + i, &format!("{i}{long}"))),
    );
    let (rows, bytes) = size(&store).unwrap();
    assert_eq!(rows, 1_000);
    // Strings are clipped: well under a kilobyte per entry.
    assert!(bytes < 1_000 * 1_000, "{bytes} bytes");
    // The newest are kept.
    let newest = &recent(&store, 1).unwrap()[0];
    assert_eq!(newest.at, 1_000_000 + 4_999);
}

#[test]
fn successes_are_never_folded() {
    let store = store_with(AuditPolicy::default());
    append_all(&store, (0..5).map(|_| success(1_000)));
    assert_eq!(recent_entries(&store, 10).unwrap().len(), 5);
}

#[test]
fn failures_of_different_apps_or_outside_the_window_stay_apart() {
    let store = store_with(AuditPolicy::default());
    append_all(
        &store,
        [
            bad_secret(1_000, "a"),
            bad_secret(1_001, "b"),
            bad_secret(1_002, "a"),
            // 300 s after the first "a": a new window.
            bad_secret(1_300, "a"),
        ],
    );
    let counts: Vec<(Option<String>, u64)> = recent_entries(&store, 10)
        .unwrap()
        .into_iter()
        .map(|e| (e.record.client_id, e.count))
        .collect();
    assert_eq!(
        counts,
        [
            (Some("a".into()), 1),
            (Some("b".into()), 1),
            (Some("a".into()), 2)
        ]
    );
    let first_a = &recent_entries(&store, 10).unwrap()[2];
    assert_eq!(first_a.last_at, Some(1_002));
}

#[test]
fn entries_past_the_retention_age_are_dropped() {
    let policy = AuditPolicy {
        max_age_secs: 30 * DAY,
        ..AuditPolicy::default()
    };
    let store = store_with(policy);
    let start = 1_700_000_000;
    append_all(&store, [success(start), success(start + DAY)]);
    // 30 days and a second after the first: the next write drops it, not the second.
    append_all(&store, [success(start + 30 * DAY + 1)]);
    let kept: Vec<i64> = recent(&store, 10).unwrap().iter().map(|r| r.at).collect();
    assert_eq!(kept, [start + 30 * DAY + 1, start + DAY]);
    // A restart much later sweeps without any write (the server's clock, not the wall clock).
    apply_policy(&store, &policy, start + 100 * DAY).unwrap();
    assert_eq!(size(&store).unwrap().0, 0);
}

#[test]
fn record_uses_the_policy_the_server_stored() {
    let store = store_with(AuditPolicy {
        max_entries: 3,
        aggregate_window_secs: 0,
        ..AuditPolicy::default()
    });
    for i in 0..10 {
        record(&store, bad_secret(1_000 + i, "a"));
    }
    assert_eq!(size(&store).unwrap().0, 3);
}

#[test]
fn entries_written_before_counts_existed_still_read() {
    let store = Store::in_memory().unwrap();
    let tx = store.begin_write().unwrap();
    {
        let bytes = serde_json::to_vec(&success(5)).unwrap();
        tx.open_table(AUDIT)
            .unwrap()
            .insert("00000000000000000005-abc", bytes.as_slice())
            .unwrap();
    }
    tx.commit().unwrap();
    let entries = recent_entries(&store, 10).unwrap();
    assert_eq!(entries[0].count, 1);
    assert_eq!(entries[0].record, success(5));
}

/// Rows of the patient index, as (patient, key).
fn index_rows(store: &Store) -> Vec<(String, String)> {
    let tx = store.database().begin_read().unwrap();
    let table = tx.open_table(AUDIT_BY_PATIENT).unwrap();
    table
        .iter()
        .unwrap()
        .map(|row| {
            let (k, _) = row.unwrap();
            (k.value().0.to_string(), k.value().1.to_string())
        })
        .collect()
}

fn read_by(at: i64, patient: &str, touched: &[&str]) -> AuditRecord {
    AuditRecord {
        at,
        event: "fhir".into(),
        outcome: "success".into(),
        client_id: Some("app-a".into()),
        patient: Some(patient.into()),
        interaction: Some("search-type".into()),
        touched: touched.iter().map(|t| (*t).to_string()).collect(),
        ..AuditRecord::default()
    }
}

#[test]
fn the_patient_index_names_every_patient_and_follows_expiry() {
    let store = store_with(AuditPolicy {
        max_entries: 100,
        ..AuditPolicy::default()
    });
    let tx = store.begin_write().unwrap();
    let records = (0..300)
        .map(|i| {
            read_by(
                1_000 + i,
                &format!("P{}", i % 3),
                &["Patient/Q1/_history/2", "ExplanationOfBenefit/e"],
            )
        })
        .collect();
    append_batch(&tx, records).unwrap();
    tx.commit().unwrap();
    let kept = recent_keyed(&store, 1_000).unwrap();
    assert_eq!(kept.len(), 100);
    let mut expected: Vec<(String, String)> = kept
        .iter()
        .flat_map(|(key, entry)| {
            [
                (entry.record.patient.clone().unwrap(), key.clone()),
                ("Q1".to_string(), key.clone()),
            ]
        })
        .collect();
    expected.sort();
    // Readers never see the rows of dropped entries; the start-up sweep removes them.
    let tx = store.database().begin_read().unwrap();
    let q1 = patient_keys(&tx, "Q1", 0, i64::MAX).unwrap();
    let mut live: Vec<String> = kept.iter().map(|(key, _)| key.clone()).collect();
    live.sort();
    assert_eq!(q1, live);
    drop(tx);
    apply_policy(
        &store,
        &AuditPolicy {
            max_entries: 100,
            ..AuditPolicy::default()
        },
        1_300,
    )
    .unwrap();
    assert_eq!(index_rows(&store), expected);
    let tx = store.database().begin_read().unwrap();
    let p1 = patient_keys(&tx, "P1", 0, i64::MAX).unwrap();
    assert_eq!(
        p1.len(),
        kept.iter()
            .filter(|(_, e)| e.record.patient.as_deref() == Some("P1"))
            .count()
    );
    assert!(p1.windows(2).all(|w| w[0] < w[1]), "time order");
    assert_eq!(patient_keys(&tx, "P1", 1_250, 1_252).unwrap().len(), 1);
}

#[test]
fn a_trail_without_its_patient_index_gets_one_at_start() {
    let store = store_with(AuditPolicy::default());
    let tx = store.begin_write().unwrap();
    append_batch(
        &tx,
        (0..10).map(|i| read_by(1_000 + i, "P1", &[])).collect(),
    )
    .unwrap();
    // As a store written before the index existed (and before its marker did).
    tx.open_table(AUDIT_BY_PATIENT)
        .unwrap()
        .retain(|_, _| false)
        .unwrap();
    tx.open_table(AUDIT_POLICY)
        .unwrap()
        .remove(INDEXED_KEY)
        .unwrap();
    tx.commit().unwrap();
    assert!(index_rows(&store).is_empty());
    apply_policy(&store, &AuditPolicy::default(), 1_010).unwrap();
    assert_eq!(index_rows(&store).len(), 10);
}

#[test]
fn a_start_does_not_decode_the_trail_again_once_it_is_indexed() {
    let store = store_with(AuditPolicy::default());
    let tx = store.begin_write().unwrap();
    append_batch(&tx, (0..10).map(|i| success(1_000 + i)).collect()).unwrap();
    tx.commit().unwrap();
    apply_policy(&store, &AuditPolicy::default(), 1_010).unwrap();
    // An entry that names a patient but has no index row: a start-up that trusted emptiness
    // would decode the whole trail again and add it; the marker says the index is complete.
    let tx = store.begin_write().unwrap();
    {
        let mut entries = tx.open_table(AUDIT).unwrap();
        let entry = AuditEntry {
            record: read_by(1_011, "P9", &[]),
            count: 1,
            last_at: None,
        };
        entries
            .insert("9999999999-x", record::encode(&entry).as_slice())
            .unwrap();
    }
    tx.commit().unwrap();
    apply_policy(&store, &AuditPolicy::default(), 1_012).unwrap();
    assert!(index_rows(&store).is_empty());
}
