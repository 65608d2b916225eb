//! Test data for the property test: a deterministic PRNG, random synthetic resources (multi-
//! valued and open date ranges, millisecond edges, escaped tokens, assorted `lastUpdated`)
//! and the pools of values found in a store, from which queries are drawn.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::fhir::search::registry::{self, ParamType};
use crate::fhir::search::values::{reference_values, token_pairs, values_at, RefTarget, TokenPair};
use crate::store::{PreparedResource, ResourceWriter, Store};

/// SplitMix64.
pub(super) struct Rng(pub(super) u64);

impl Rng {
    pub(super) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(super) fn pick<T: Clone>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())].clone()
    }

    pub(super) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

pub(super) const SYSTEMS: &[Option<&str>] = &[Some("http://s1"), Some("urn:oid:1.2"), None];
pub(super) const CODES: &[&str] = &["x", "y", "a|b", "c\\d", "x,y", "professional"];
pub(super) const INSTANTS: &[&str] = &[
    "2025-01-02T03:04:05.000+00:00",
    "2025-01-02T03:04:05Z",
    "2024-05-06T07:08:09.123+00:00",
    "2023-12-31T23:59:59.999-05:00",
    "2024-02-29T12:00:00+05:30",
];

/// A date or dateTime at a random precision, often on shared boundaries.
pub(super) fn gen_date(rng: &mut Rng) -> String {
    let y = rng.pick(&[2020, 2021, 2022, 2023, 2024, 2025]);
    let m = rng.pick(&[1u32, 2, 6, 12]);
    let d = rng.pick(&[1u32, 15, 28]);
    match rng.below(6) {
        0 => format!("{y:04}"),
        1 => format!("{y:04}-{m:02}"),
        2 | 3 => format!("{y:04}-{m:02}-{d:02}"),
        _ => {
            let (hh, mm) = (rng.pick(&[0, 12, 23]), rng.pick(&[0, 59]));
            let secs = rng.pick(&["", ":00", ":00.000", ":59.999"]);
            let zone = rng.pick(&["Z", "+00:00", "-05:00", "+05:30"]);
            format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}{secs}{zone}")
        }
    }
}

/// A resource date: often an instant one millisecond on either side of a month boundary, so
/// that off-by-one errors in stored ranges show.
pub(super) fn gen_resource_date(rng: &mut Rng) -> String {
    if rng.chance(70) {
        return gen_date(rng);
    }
    let y = rng.pick(&[2020, 2021, 2022, 2023, 2024, 2025]);
    let m = rng.pick(&[1u32, 2, 3, 6, 7, 12]);
    let zone = rng.pick(&["Z", "+00:00"]);
    if rng.chance(50) {
        format!("{y:04}-{m:02}-01T00:00:00.000{zone}")
    } else {
        let last = crate::fhir::search::date::days_in_month(y, m);
        format!("{y:04}-{m:02}-{last:02}T23:59:59.999{zone}")
    }
}

pub(super) fn gen_period(rng: &mut Rng) -> Value {
    let mut p = serde_json::Map::new();
    if rng.chance(85) {
        p.insert("start".into(), json!(gen_resource_date(rng)));
    }
    if rng.chance(70) {
        p.insert("end".into(), json!(gen_resource_date(rng)));
    }
    Value::Object(p)
}

pub(super) fn gen_pair(rng: &mut Rng, code_field: &str) -> Value {
    let mut o = serde_json::Map::new();
    if let Some(s) = rng.pick(SYSTEMS) {
        o.insert("system".into(), json!(s));
    }
    if rng.chance(90) {
        o.insert(code_field.into(), json!(rng.pick(CODES)));
    }
    Value::Object(o)
}

pub(super) fn gen_ref(rng: &mut Rng, ids: &BTreeMap<&str, Vec<String>>, types: &[&str]) -> Value {
    let ty = rng.pick(types);
    let id = match ids.get(ty) {
        Some(v) if !v.is_empty() && rng.chance(80) => rng.pick(v),
        _ => "zz-1".to_string(),
    };
    let r = match rng.below(4) {
        0 | 1 => format!("{ty}/{id}"),
        2 => format!("https://payer.example/fhir/{ty}/{id}/_history/2"),
        _ => "#contained".to_string(),
    };
    json!({ "reference": r })
}

/// Random EOBs, Coverages and Patients: `(type, id, resource without meta, lastUpdated)`.
pub(super) fn synthetic(
    rng: &mut Rng,
    ids: &BTreeMap<&str, Vec<String>>,
) -> Vec<(&'static str, String, Value, &'static str)> {
    let providers = ["Organization", "Practitioner"];
    let mut out = Vec::new();
    for n in 0..150 {
        let id = format!("r-{n}");
        let mut eob = json!({"resourceType": "ExplanationOfBenefit", "id": id});
        if rng.chance(80) {
            eob["billablePeriod"] = gen_period(rng);
        }
        let items: Vec<Value> = (0..rng.below(4))
            .map(|_| match rng.below(2) {
                0 => json!({"servicedDate": gen_resource_date(rng)}),
                _ => json!({"servicedPeriod": gen_period(rng)}),
            })
            .collect();
        eob["item"] = json!(items);
        let codings: Vec<Value> = (0..rng.below(3)).map(|_| gen_pair(rng, "code")).collect();
        eob["type"] = json!({ "coding": codings });
        eob["identifier"] = json!((0..rng.below(3))
            .map(|_| gen_pair(rng, "value"))
            .collect::<Vec<_>>());
        if rng.chance(85) {
            eob["patient"] = gen_ref(rng, ids, &["Patient"]);
        }
        eob["provider"] = gen_ref(rng, ids, &providers);
        eob["careTeam"] = json!((0..rng.below(3))
            .map(|_| json!({"provider": gen_ref(rng, ids, &providers)}))
            .collect::<Vec<_>>());
        if rng.chance(70) {
            eob["insurance"] = json!([{"coverage": gen_ref(rng, ids, &["Coverage"])}]);
        }
        if rng.chance(70) {
            eob["insurer"] = gen_ref(rng, ids, &["Organization"]);
        }
        out.push(("ExplanationOfBenefit", id, eob, rng.pick(INSTANTS)));
    }
    for n in 0..30 {
        let id = format!("r-c{n}");
        let mut c = json!({"resourceType": "Coverage", "id": id});
        if rng.chance(85) {
            c["beneficiary"] = gen_ref(rng, ids, &["Patient"]);
        }
        c["payor"] = json!([gen_ref(rng, ids, &["Organization", "Patient"])]);
        out.push(("Coverage", id, c, rng.pick(INSTANTS)));
    }
    for n in 0..20 {
        let id = format!("r-p{n}");
        let idents: Vec<Value> = (0..rng.below(3)).map(|_| gen_pair(rng, "value")).collect();
        let p = json!({"resourceType": "Patient", "id": id, "identifier": idents});
        out.push(("Patient", id, p, rng.pick(INSTANTS)));
    }
    out
}

pub(super) fn store_all(store: &Store, resources: &[(&'static str, String, Value, &'static str)]) {
    let tx = store.begin_write().unwrap();
    {
        let mut w = ResourceWriter::new(&tx).unwrap();
        for (ty, id, v, last_updated) in resources {
            let body = serde_json::to_vec(v).unwrap();
            let prefix = format!(r#"{{"resourceType":"{ty}","id":"{id}""#);
            assert!(body.starts_with(prefix.as_bytes()));
            let res = PreparedResource {
                resource_type: ty,
                id,
                body: &body,
                meta_at: prefix.len(),
                profiles: &[],
            };
            w.upsert(&res, last_updated).unwrap();
        }
    }
    tx.commit().unwrap();
}

/// `(resource type, parameter code)`.
pub(super) type Key = (&'static str, &'static str);

/// Values found in the store, per `(type, parameter)`.
#[derive(Default)]
pub(super) struct Pools {
    pub(super) tokens: BTreeMap<Key, Vec<TokenPair>>,
    pub(super) refs: BTreeMap<Key, Vec<RefTarget>>,
    pub(super) dates: BTreeMap<Key, Vec<String>>,
}

impl Pools {
    pub(super) fn new(parsed: &BTreeMap<&'static str, Vec<Value>>) -> Self {
        let mut pools = Pools::default();
        for (ty, all) in parsed {
            let def = registry::resource(ty).unwrap();
            for r in all {
                for p in def.params {
                    let k = (*ty, p.code);
                    match p.param_type {
                        ParamType::Token => {
                            pools.tokens.entry(k).or_default().extend(token_pairs(r, p));
                        }
                        ParamType::Reference => {
                            pools
                                .refs
                                .entry(k)
                                .or_default()
                                .extend(reference_values(r, p));
                        }
                        ParamType::Date => {
                            let e = pools.dates.entry(k).or_default();
                            for path in p.paths {
                                for v in values_at(r, path) {
                                    let strings = [v, &v["start"], &v["end"]];
                                    e.extend(
                                        strings.iter().filter_map(|s| s.as_str()).map(String::from),
                                    );
                                }
                            }
                        }
                    }
                }
            }
        }
        pools.tokens.values_mut().for_each(dedup);
        pools.refs.values_mut().for_each(dedup);
        pools.dates.values_mut().for_each(dedup);
        pools
    }
}

pub(super) fn dedup<T: Ord>(v: &mut Vec<T>) {
    v.sort();
    v.dedup();
}

pub(super) fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(',', "\\,")
}
