//! Property test: thousands of random queries (every date prefix and precision, the four token
//! forms, `:not`, `:missing`, bare / typed / type-modified references, comma ORs, repeated
//! ANDs, `_sort`) over a generated CPCDS store plus random synthetic resources (multi-valued
//! and open date ranges, escaped tokens, assorted `lastUpdated`), each answered by the index
//! and by a brute-force scan with `matches_at`: ids and order must be equal.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::tests::{brute, generated, now_ms};
use super::tests_prop_data::{esc, gen_date, store_all, synthetic, Pools, Rng};
use super::*;
use crate::export::RESOURCE_TYPES;
use crate::fhir::search::registry::{self, ParamType};
use crate::fhir::search::values::RefTarget;
use crate::fhir::search::{parse, DatePrefix};

/// One token value and its form.
fn gen_token(
    rng: &mut Rng,
    pool: &[(Option<String>, Option<String>)],
    plain: bool,
) -> (String, &'static str) {
    if plain {
        let v = match pool.is_empty() || rng.chance(15) {
            true => "nope".to_string(),
            false => rng.pick(pool).1.unwrap_or_else(|| "nope".into()),
        };
        return (esc(&v), "token code");
    }
    if pool.is_empty() || rng.chance(20) {
        let v = rng.pick(&[
            "nope",
            "http://none|x",
            "|zz",
            "urn:none|",
            "http://s1|nope",
        ]);
        return (v.to_string(), "token-miss");
    }
    let (s, c) = rng.pick(pool);
    match (s, c, rng.below(4)) {
        (Some(s), Some(c), 0) => (format!("{}|{}", esc(&s), esc(&c)), "token system|code"),
        (Some(s), _, 1) => (format!("{}|", esc(&s)), "token system|"),
        (_, Some(c), 2) => (format!("|{}", esc(&c)), "token |code"),
        (_, Some(c), _) => (esc(&c), "token code"),
        (Some(s), None, _) => (format!("{}|", esc(&s)), "token system|"),
        (None, None, _) => ("nope".into(), "token-miss"),
    }
}

fn gen_query_date(rng: &mut Rng, pool: &[String]) -> String {
    if pool.is_empty() || rng.chance(40) {
        return gen_date(rng);
    }
    let s = rng.pick(pool);
    match rng.below(7) {
        0 => s[..4].to_string(),
        1 if s.len() >= 7 => s[..7].to_string(),
        2 if s.len() >= 10 => s[..10].to_string(),
        3 if s.len() == 10 => format!("{s}T00:00:00Z"),
        4 if s.len() == 10 => format!("{s}T12:30:00+05:00"),
        5 if s.len() == 10 => format!("{s}T23:59:59.999-05:00"),
        _ => s,
    }
}

/// Random search pairs for `ty`, and the features they exercise.
fn gen_query(
    rng: &mut Rng,
    pools: &Pools,
    ty: &'static str,
) -> (Vec<(String, String)>, Vec<String>) {
    let def = registry::resource(ty).unwrap();
    let mut pairs = Vec::new();
    let mut features = Vec::new();
    let mut used = BTreeSet::new();
    for _ in 0..1 + rng.below(3) {
        let p = rng.pick(def.params);
        if !used.insert(p.code) {
            features.push("repeated AND".to_string());
        }
        if rng.chance(8) {
            pairs.push((
                format!("{}:missing", p.code),
                rng.pick(&["true", "false"]).to_string(),
            ));
            features.push(":missing".into());
            continue;
        }
        let k = (ty, p.code);
        let n = if rng.chance(30) { 2 + rng.below(2) } else { 1 };
        if n > 1 {
            features.push("comma OR".into());
        }
        let mut name = p.code.to_string();
        let values: Vec<String> = match p.param_type {
            ParamType::Token => {
                let pool = pools.tokens.get(&k).map(Vec::as_slice).unwrap_or_default();
                if rng.chance(15) {
                    name.push_str(":not");
                    features.push(":not".into());
                }
                (0..n)
                    .map(|_| {
                        let (v, form) = gen_token(rng, pool, p.code == "_id");
                        features.push(form.into());
                        v
                    })
                    .collect()
            }
            ParamType::Reference => {
                let pool = pools.refs.get(&k).map(Vec::as_slice).unwrap_or_default();
                let forced = rng.chance(10).then(|| rng.pick(p.targets));
                if let Some(t) = forced {
                    name = format!("{}:{t}", p.code);
                    features.push("ref :Type".into());
                }
                (0..n)
                    .map(|_| {
                        let r = if pool.is_empty() || rng.chance(15) {
                            RefTarget {
                                resource_type: None,
                                id: "zz-none".into(),
                            }
                        } else {
                            rng.pick(pool)
                        };
                        match &r.resource_type {
                            Some(t)
                                if forced.is_none()
                                    && rng.chance(50)
                                    && p.targets.contains(&t.as_str()) =>
                            {
                                features.push("ref Type/id".into());
                                format!("{t}/{}", r.id)
                            }
                            _ => {
                                features.push("ref id".into());
                                r.id.clone()
                            }
                        }
                    })
                    .collect()
            }
            ParamType::Date => {
                let pool = pools.dates.get(&k).map(Vec::as_slice).unwrap_or_default();
                (0..n)
                    .map(|_| {
                        let prefix = rng.pick(&DatePrefix::ALL);
                        let v = gen_query_date(rng, pool);
                        let precision = match v.len() {
                            4 => "year",
                            7 => "month",
                            10 => "day",
                            _ => "dateTime",
                        };
                        features.push(format!("date {}", prefix.as_str()));
                        features.push(format!("date {precision}"));
                        format!("{}{v}", prefix.as_str())
                    })
                    .collect()
            }
        };
        pairs.push((name, values.join(",")));
    }
    if rng.chance(25) {
        let sortable: Vec<&str> = def
            .params
            .iter()
            .filter(|p| p.sortable)
            .map(|p| p.code)
            .collect();
        let sort: Vec<String> = (0..1 + rng.below(2))
            .map(|_| {
                format!(
                    "{}{}",
                    if rng.chance(50) { "-" } else { "" },
                    rng.pick(&sortable)
                )
            })
            .collect();
        pairs.push(("_sort".into(), sort.join(",")));
        features.push("_sort".into());
    }
    (pairs, features)
}

#[test]
fn random_queries_match_the_reference_evaluator() {
    let (_dir, store) = generated(3);
    let index = SearchIndex::in_memory().unwrap();
    index.rebuild_from(&store).unwrap();

    // Synthetic resources arrive through update_from: a second segment, as in production.
    let mut rng = Rng(0xCA21_1DE5);
    let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let read = store.read().unwrap();
    for ty in RESOURCE_TYPES {
        read.for_each(ty, |id, _| {
            ids.entry(ty).or_default().push(id.to_string());
            Ok(())
        })
        .unwrap();
    }
    drop(read);
    let extra = synthetic(&mut rng, &ids);
    store_all(&store, &extra);
    let keys: Vec<String> = extra
        .iter()
        .map(|(t, id, _, _)| format!("{t}/{id}"))
        .collect();
    index.update_from(&store, &keys).unwrap();

    let parsed: BTreeMap<&'static str, Vec<Value>> = RESOURCE_TYPES
        .iter()
        .map(|ty| (*ty, super::tests::resources(&store, ty)))
        .collect();
    let pools = Pools::new(&parsed);
    let read = store.read().unwrap();
    let (mut empty, mut full, mut partial) = (0, 0, 0);
    let mut partial_features: BTreeMap<String, usize> = BTreeMap::new();
    let weights = [
        "ExplanationOfBenefit",
        "ExplanationOfBenefit",
        "ExplanationOfBenefit",
        "ExplanationOfBenefit",
        "ExplanationOfBenefit",
        "ExplanationOfBenefit",
        "Coverage",
        "Coverage",
        "Patient",
        "Organization",
        "Practitioner",
        "RelatedPerson",
    ];
    const N: usize = 2500;
    for _ in 0..N {
        let ty = rng.pick(&weights);
        let (pairs, features) = gen_query(&mut rng, &pools, ty);
        let query = match parse(ty, &pairs, true) {
            Ok(q) => q,
            Err(e) => panic!("{ty} {pairs:?}: {e}"),
        };
        let got = index.search(&read, &query, now_ms()).unwrap();
        let want = brute(&parsed[ty], &query, now_ms());
        assert_eq!(got, want, "{ty}?{pairs:?}");
        match got.len() {
            0 => empty += 1,
            n if n == parsed[ty].len() => full += 1,
            _ => {
                partial += 1;
                for f in features {
                    *partial_features.entry(f).or_default() += 1;
                }
            }
        }
    }
    println!("{N} queries: {empty} empty, {full} full, {partial} partial; {partial_features:?}");
    assert!(partial * 100 >= N * 35, "{partial} partial answers of {N}");
    assert!(
        empty * 100 >= N * 5 && full * 100 >= N,
        "{empty} empty, {full} full"
    );
    let mut expected: Vec<String> = DatePrefix::ALL
        .iter()
        .map(|p| format!("date {}", p.as_str()))
        .collect();
    for f in [
        "date year",
        "date month",
        "date day",
        "date dateTime",
        "token code",
        "token system|code",
        "token |code",
        "token system|",
        ":not",
        ":missing",
        "ref id",
        "ref Type/id",
        "ref :Type",
        "comma OR",
        "repeated AND",
        "_sort",
    ] {
        expected.push(f.to_string());
    }
    for f in expected {
        let n = partial_features.get(&f).copied().unwrap_or_default();
        assert!(n >= 10, "{f}: only {n} queries with a partial answer");
    }
}
