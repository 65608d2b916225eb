//! The index against the reference evaluator on generated CPCDS stores: every search shape the
//! Inferno CARIN kit sends, `_sort`, incremental updates, persistence and pair order.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;
use tantivy::Term;
use tempfile::TempDir;
use time::macros::datetime;
use time::OffsetDateTime;

use super::*;
use crate::export::RESOURCE_TYPES;
use crate::fhir::search::date::day_start_ms;
use crate::fhir::search::extract;
use crate::fhir::search::prune;
use crate::fhir::search::values::{token_pairs, values_at};
use crate::fhir::search::{compare, parse, registry};
use crate::generate::{generate, GenerateOptions, CLAIMS_FILE};

pub(super) const T0: OffsetDateTime = datetime!(2025-01-02 03:04:05 UTC);
const T1: OffsetDateTime = datetime!(2025-02-03 04:05:06 UTC);

pub(super) fn now_ms() -> i64 {
    day_start_ms(2026, 1, 1)
}

/// A generated CPCDS set imported at [`T0`]; the CSV folder is kept for re-imports.
pub(super) fn generated(beneficiaries: u64) -> (TempDir, Store) {
    let dir = TempDir::new().unwrap();
    let opts = GenerateOptions {
        beneficiaries,
        seed: 5,
    };
    generate(&opts, dir.path(), &mut |_| {}).unwrap();
    let store = Store::in_memory().unwrap();
    crate::cpcds::import_dir(dir.path(), &store, T0, &mut |_, _| {}).unwrap();
    (dir, store)
}

/// A store, its index and every resource parsed (for the brute-force answers).
struct Fixture {
    store: Store,
    index: SearchIndex,
    parsed: BTreeMap<&'static str, Vec<Value>>,
}

impl Fixture {
    fn new(store: Store) -> Self {
        let index = SearchIndex::in_memory().unwrap();
        index.rebuild_from(&store).unwrap();
        let mut f = Fixture {
            store,
            index,
            parsed: BTreeMap::new(),
        };
        f.reparse();
        f
    }

    fn reparse(&mut self) {
        for ty in RESOURCE_TYPES {
            self.parsed.insert(ty, resources(&self.store, ty));
        }
    }

    /// Runs the query on the index and the brute-force scan; returns the (equal) answer.
    fn check(&self, ty: &str, pairs: &[(&str, &str)]) -> Vec<String> {
        let query = q(ty, pairs);
        let got = search(&self.store, &self.index, &query);
        let want = brute(&self.parsed[ty], &query, now_ms());
        assert_eq!(got, want, "{ty} {pairs:?}");
        got
    }
}

/// One store and its index, shared by the read-only tests.
fn shared() -> &'static Fixture {
    static SHARED: OnceLock<Fixture> = OnceLock::new();
    SHARED.get_or_init(|| Fixture::new(generated(8).1))
}

/// Every resource of one type, parsed.
pub(super) fn resources(store: &Store, ty: &str) -> Vec<Value> {
    let mut out = Vec::new();
    store
        .read()
        .unwrap()
        .for_each(ty, |_, json| {
            out.push(serde_json::from_slice(json).unwrap());
            Ok(())
        })
        .unwrap();
    out
}

/// The reference answer: every resource of the type matching, in `compare` order.
pub(super) fn brute(all: &[Value], query: &SearchQuery, now_ms: i64) -> Vec<String> {
    let mut hits: Vec<_> = all
        .iter()
        .filter(|v| matches_at(query, v, now_ms))
        .map(extract)
        .collect();
    hits.sort_by(|a, b| compare(a, b, &query.sort));
    hits.into_iter().map(|e| e.id).collect()
}

pub(super) fn q(ty: &str, pairs: &[(&str, &str)]) -> SearchQuery {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect();
    parse(ty, &pairs, true).unwrap()
}

pub(super) fn search(store: &Store, index: &SearchIndex, query: &SearchQuery) -> Vec<String> {
    index
        .search(&store.read().unwrap(), query, now_ms())
        .unwrap()
}

fn text<'a>(v: &'a Value, path: &str) -> Option<&'a str> {
    values_at(v, path).first().and_then(|v| v.as_str())
}

#[test]
fn search_index_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SearchIndex>();
}

#[test]
fn the_include_parse_finds_the_same_references() {
    let fx = shared();
    let read = fx.store.read().unwrap();
    let mut n = 0;
    for def in crate::fhir::search::registry::RESOURCES {
        let ty = def.resource_type;
        read.for_each(ty, |_, json| {
            let full: Value = serde_json::from_slice(json).unwrap();
            let pruned = prune::parse_includes(ty, json).unwrap();
            assert_eq!(pruned["resourceType"], full["resourceType"]);
            let links = prune::include_links(ty, json);
            for include in def.includes {
                for target in include.paths {
                    let refs = |v: &Value| {
                        crate::fhir::search::values::references_at(v, target.path)
                            .into_iter()
                            .map(|r| format!("{:?}/{}", r.resource_type, r.id))
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(refs(&pruned), refs(&full), "{ty} {}", target.path);
                    // What the bundle keeps of a match reads the same references, in order.
                    let linked: Vec<String> = links
                        .iter()
                        .filter(|(path, _)| *path == target.path)
                        .filter_map(|(_, r)| crate::fhir::search::values::parse_reference(r))
                        .map(|r| format!("{:?}/{}", r.resource_type, r.id))
                        .collect();
                    assert_eq!(linked, refs(&full), "{ty} {}", target.path);
                    n += refs(&full).len();
                }
            }
            Ok(())
        })
        .unwrap();
    }
    assert!(n > 100, "{n} references compared");
}

#[test]
fn pruned_parse_extracts_the_same() {
    let fx = shared();
    let read = fx.store.read().unwrap();
    let mut n = 0;
    for ty in RESOURCE_TYPES {
        read.for_each(ty, |_, json| {
            let full: Value = serde_json::from_slice(json).unwrap();
            let pruned = prune::parse(ty, json).unwrap();
            assert_eq!(extract(&pruned), extract(&full));
            assert!(pruned.to_string().len() <= full.to_string().len());
            n += 1;
            Ok(())
        })
        .unwrap();
    }
    assert!(n > 100);
    assert!(prune::parse("Patient", b"{\"id\":1} x").is_err());
    let odd = br#"{"resourceType":"ExplanationOfBenefit","id":"a","x":[{"y":null}],
        "item":[null,{"servicedDate":"2020"},[1]],"patient":{"reference":"Patient/\u0070"}}"#;
    let full: Value = serde_json::from_slice(odd).unwrap();
    let pruned = prune::parse("ExplanationOfBenefit", odd).unwrap();
    assert_eq!(extract(&pruned), extract(&full));
    assert_eq!(pruned["patient"]["reference"], "Patient/p");
}

#[test]
fn rebuild_indexes_every_resource() {
    let fx = shared();
    let read = fx.store.read().unwrap();
    let total: u64 = RESOURCE_TYPES.iter().map(|t| read.count(t).unwrap()).sum();
    assert_eq!(fx.index.doc_count(), total);
    for ty in RESOURCE_TYPES {
        let all = fx.check(ty, &[]);
        assert_eq!(all.len() as u64, read.count(ty).unwrap(), "{ty}");
    }
}

#[test]
fn inferno_eob_search_shapes() {
    let fx = shared();
    let eobs = &fx.parsed["ExplanationOfBenefit"];
    assert!(eobs.len() > 20, "{} EOBs", eobs.len());
    let ty = "ExplanationOfBenefit";
    for eob in eobs.iter().step_by(3) {
        let id = eob["id"].as_str().unwrap();
        let patient = text(eob, "patient.reference").unwrap();
        let bare = patient.rsplit('/').next().unwrap();
        let last_updated = text(eob, "meta.lastUpdated").unwrap();
        let (sys, code) = token_pairs(eob, registry::search_param(ty, "type").unwrap())[0].clone();
        let (sys, code) = (sys.unwrap(), code.unwrap());
        let ident = text(eob, "identifier.value").unwrap();
        let start = text(eob, "billablePeriod.start").unwrap();
        let service_start = values_at(eob, "item.servicedDate")
            .first()
            .or(values_at(eob, "item.servicedPeriod.start").first())
            .and_then(|v| v.as_str())
            .unwrap_or(start)
            .to_string();
        let day_before = format!("gt{}T00:00:00Z", &start[..10]);
        let system_code = format!("{sys}|{code}");
        let shapes: Vec<Vec<(&str, &str)>> = vec![
            vec![("patient", bare)],
            vec![("patient", patient)],
            vec![("_id", id)],
            vec![("_lastUpdated", last_updated)],
            vec![("type", &code)],
            vec![("type", &system_code)],
            vec![("identifier", ident)],
            vec![("service-date", &day_before)],
            vec![("service-start-date", &service_start)],
            vec![("billable-period-start", start)],
            vec![("patient", bare), ("type", &code)],
            vec![("patient", bare), ("_lastUpdated", last_updated)],
            vec![("patient", bare), ("service-date", &day_before)],
            vec![("patient", bare), ("service-start-date", &service_start)],
            vec![("patient", bare), ("billable-period-start", start)],
            vec![("patient", bare), ("identifier", ident)],
        ];
        for pairs in shapes {
            let got = fx.check(ty, &pairs);
            assert!(got.iter().any(|g| g == id), "{pairs:?} misses {id}");
        }
        assert_eq!(fx.check(ty, &[("_id", id)]), [id]);
    }
}

#[test]
fn inferno_other_resource_shapes() {
    let fx = shared();
    for ty in RESOURCE_TYPES {
        let all = &fx.parsed[ty];
        assert!(!all.is_empty(), "{ty}");
        for r in all.iter().step_by(2) {
            let id = r["id"].as_str().unwrap();
            let last_updated = text(r, "meta.lastUpdated").unwrap();
            assert_eq!(fx.check(ty, &[("_id", id)]), [id]);
            let got = fx.check(ty, &[("_lastUpdated", last_updated)]);
            assert!(got.iter().any(|g| g == id));
            if *ty == "Coverage" {
                let patient = text(r, "beneficiary.reference").unwrap();
                let got = fx.check(ty, &[("patient", patient)]);
                assert!(got.iter().any(|g| g == id));
            }
        }
        fx.check(ty, &[("_id", "no-such-id")]);
        fx.check(ty, &[("_lastUpdated", "gt2025-01-02")]);
        fx.check(ty, &[("_lastUpdated", "le2025-01-02T03:04:05Z")]);
    }
}

#[test]
fn sort_orders_match_compare() {
    let fx = shared();
    let ty = "ExplanationOfBenefit";
    for sort in [
        "service-date",
        "-service-date",
        "billable-period-start,-_id",
        "-billable-period-start",
        "_lastUpdated,service-date",
        "-_id",
        "_id",
    ] {
        let got = fx.check(ty, &[("_sort", sort)]);
        assert!(got.len() > 20);
        fx.check(ty, &[("_sort", sort), ("service-date", "ge2022")]);
    }
    fx.check("Coverage", &[("_sort", "-_lastUpdated")]);
}

/// Every `Type/id` with its current JSON.
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

/// Sets the claim start columns of every row of the first claim to `2020-12-15`.
pub(super) fn edit_first_claim(dir: &Path) {
    let path = dir.join(CLAIMS_FILE);
    let mut r = csv::Reader::from_path(&path).unwrap();
    let headers = r.headers().unwrap().clone();
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (claim, starts) = (
        col("Claim unique identifier"),
        [
            col("Claim service start date"),
            col("Statement from date"),
            col("Service (from) date"),
        ],
    );
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let first = rows[0][claim].to_string();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record(&headers).unwrap();
    for row in rows {
        let mut cells: Vec<String> = row.iter().map(str::to_string).collect();
        if cells[claim] == first {
            for c in starts {
                if !cells[c].is_empty() {
                    cells[c] = "2020-12-15".into();
                }
            }
        }
        w.write_record(&cells).unwrap();
    }
    w.flush().unwrap();
}

#[test]
fn update_from_follows_a_reimport_and_equals_a_rebuild() {
    let (dir, store) = generated(3);
    let mut fx = Fixture::new(store);
    let before = snapshot(&fx.store);
    let ty = "ExplanationOfBenefit";
    let new_day = [("billable-period-start", "2020-12-15")];
    assert!(fx.check(ty, &new_day).is_empty());

    edit_first_claim(dir.path());
    crate::cpcds::import_dir(dir.path(), &fx.store, T1, &mut |_, _| {}).unwrap();
    fx.reparse();
    let after = snapshot(&fx.store);
    let mut changed: Vec<String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect();
    // The edited claim, and the re-import's Provenance for it (last: it sorts after).
    changed.sort_by_key(|k| k.starts_with("Provenance/"));
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(changed[1].starts_with("Provenance/"), "{changed:?}");
    let eob_id = changed[0].strip_prefix("ExplanationOfBenefit/").unwrap();
    let old: Value = serde_json::from_slice(&before[&changed[0]]).unwrap();
    let old_start = text(&old, "billablePeriod.start").unwrap().to_string();

    // Not yet re-indexed: the index still answers with the old values.
    assert!(search(&fx.store, &fx.index, &q(ty, &new_day)).is_empty());

    fx.index.update_from(&fx.store, &changed).unwrap();
    assert_eq!(fx.check(ty, &new_day), [eob_id]);
    let old_hits = fx.check(ty, &[("billable-period-start", &old_start)]);
    assert!(!old_hits.iter().any(|h| h == eob_id));
    let t1 = crate::clock::fhir_instant(T1);
    assert_eq!(fx.check(ty, &[("_lastUpdated", &t1)]), [eob_id]);
    assert_eq!(fx.index.doc_count(), after.len() as u64);

    // Re-indexing unchanged and deleted keys is harmless; bad keys are rejected.
    let again = [
        changed[0].clone(),
        "Patient/none".into(),
        // Named twice in one update (the parallel path deletes before each add): one document.
        changed[0].clone(),
    ];
    fx.index.update_from(&fx.store, &again).unwrap();
    assert_eq!(fx.index.doc_count(), after.len() as u64);
    assert!(matches!(
        fx.index.update_from(&fx.store, &["nokey".into()]),
        Err(IndexError::BadKey(_))
    ));

    let fresh = SearchIndex::in_memory().unwrap();
    assert_eq!(fresh.rebuild_from(&fx.store).unwrap(), after.len() as u64);
    for pairs in [
        vec![("_sort", "-service-date")],
        vec![("billable-period-start", "2020-12-15")],
        vec![("_lastUpdated", "gt2025-01-03")],
        vec![("service-date", "ap2021-06")],
    ] {
        let query = q(ty, &pairs);
        let incremental = fx.check(ty, &pairs);
        assert_eq!(incremental, search(&fx.store, &fresh, &query));
    }
}

#[test]
fn open_persists_and_recreates_on_schema_mismatch() {
    let (_dir, store) = generated(2);
    let tmp = TempDir::new().unwrap();
    let path = tmp.path().join("index");
    let n = {
        let index = SearchIndex::open(&path).unwrap();
        index.rebuild_from(&store).unwrap()
    };
    let query = q("ExplanationOfBenefit", &[("service-date", "ge2022")]);
    let want = brute(&resources(&store, "ExplanationOfBenefit"), &query, now_ms());
    {
        let index = SearchIndex::open(&path).unwrap();
        assert_eq!(index.doc_count(), n);
        assert_eq!(search(&store, &index, &query), want);
    }

    // An index with another schema in the directory: replaced by an empty one.
    let other = tmp.path().join("other");
    std::fs::create_dir_all(&other).unwrap();
    {
        let mut b = tantivy::schema::Schema::builder();
        let f = b.add_text_field("x", tantivy::schema::STRING);
        let idx = Index::create_in_dir(&other, b.build()).unwrap();
        let mut w: IndexWriter = idx.writer_with_num_threads(1, 15_000_000).unwrap();
        w.add_document(tantivy::doc!(f => "y")).unwrap();
        w.commit().unwrap();
    }
    let index = SearchIndex::open(&other).unwrap();
    assert_eq!(index.doc_count(), 0);
    assert_eq!(index.rebuild_from(&store).unwrap(), n);
    assert_eq!(search(&store, &index, &query), want);
}

/// The i-th `lo` and `hi` of a document stay paired through segment merges.
#[test]
fn date_pairs_keep_their_order_through_merges() {
    let (_dir, store) = generated(3);
    let index = SearchIndex::in_memory().unwrap();
    index.rebuild_from(&store).unwrap();
    // A second and third segment from incremental updates of every EOB.
    let keys: Vec<String> = snapshot(&store)
        .into_keys()
        .filter(|k| k.starts_with("ExplanationOfBenefit/"))
        .collect();
    index.update_from(&store, &keys[..keys.len() / 2]).unwrap();
    index.update_from(&store, &keys[keys.len() / 2..]).unwrap();
    {
        let mut w = index.writer().unwrap();
        let ids = index.tantivy_index().searchable_segment_ids().unwrap();
        assert!(ids.len() > 1, "{} segments", ids.len());
        w.merge(&ids).wait().unwrap();
        let reflects = store.read().unwrap().generation().unwrap();
        index.commit(&mut w, &reflects).unwrap();
    }
    let searcher = index.reader.searcher();
    assert_eq!(searcher.segment_readers().len(), 1);
    let seg = &searcher.segment_readers()[0];
    let ids = seg.fast_fields().str("id").unwrap().unwrap();
    let d = Fields::get().date_fields("service-date").unwrap();
    let lo = seg
        .fast_fields()
        .column_opt::<i64>(&d.lo_name)
        .unwrap()
        .unwrap();
    let hi = seg
        .fast_fields()
        .column_opt::<i64>(&d.hi_name)
        .unwrap()
        .unwrap();
    let read = store.read().unwrap();
    let mut multi = 0;
    let mut id = String::new();
    for doc in 0..seg.max_doc() {
        if seg.is_deleted(doc) || !search::read_id(&ids, doc, &mut id).unwrap() {
            continue;
        }
        let Some(json) = read.get("ExplanationOfBenefit", &id).unwrap() else {
            continue;
        };
        let ex = extract(&serde_json::from_slice(&json).unwrap());
        let pairs: Vec<(i64, i64)> = lo.values_for_doc(doc).zip(hi.values_for_doc(doc)).collect();
        assert_eq!(ex.dates["service-date"], pairs, "{id}");
        multi += usize::from(pairs.len() > 1);
    }
    assert!(multi > 5, "only {multi} multi-valued documents");
    let query = q("ExplanationOfBenefit", &[("service-date", "eq2022")]);
    let want = brute(&resources(&store, "ExplanationOfBenefit"), &query, now_ms());
    assert_eq!(search(&store, &index, &query), want);
}

/// A document whose stored pairs are unusable (lo/hi counts differ) is confirmed on the
/// stored resource instead.
#[test]
fn unusable_pairs_fall_back_to_the_store() {
    let (_dir, store) = generated(1);
    let fx = Fixture::new(store);
    let ty = "ExplanationOfBenefit";
    let eob = &fx.parsed[ty][0];
    let id = eob["id"].as_str().unwrap();
    let start = text(eob, "billablePeriod.start").unwrap().to_string();
    {
        let mut w = fx.index.writer().unwrap();
        let key = format!("{ty}/{id}");
        w.delete_term(Term::from_field_text(Fields::get().key, &key));
        let ex = extract(eob);
        let mut doc = Fields::get().document(ty, id, &ex);
        let d = Fields::get().date_fields("billable-period-start").unwrap();
        doc.add_i64(d.lo, 0); // a lo without its hi
        w.add_document(doc).unwrap();
        let reflects = fx.store.read().unwrap().generation().unwrap();
        fx.index.commit(&mut w, &reflects).unwrap();
    }
    let hits = fx.check(ty, &[("billable-period-start", &start)]);
    assert!(hits.iter().any(|h| h == id));
    fx.check(ty, &[("billable-period-start", "ne1970")]);
}
