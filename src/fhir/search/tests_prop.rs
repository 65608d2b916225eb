//! Property-style tests with a small deterministic generator: the index mapping
//! ([`candidate_terms`] over [`extract`]) against the reference evaluator. Exact mappings must
//! agree with `matches` exactly; superset mappings must never exclude a match.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::date::{day_start_ms, days_in_month};
use super::eval::filter_matches;
use super::*;

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// A date/dateTime string at a random precision from a small value space, so that equal
/// endpoints and adjacent ranges are frequent.
fn gen_date(rng: &mut Rng) -> String {
    let y = rng.pick(&[2018, 2019, 2020]);
    let m = rng.pick(&[1u32, 2, 6, 12]);
    let d = rng.pick(&[1, 15, days_in_month(y, m)]);
    let base = match rng.below(6) {
        0 => return format!("{y:04}"),
        1 => return format!("{y:04}-{m:02}"),
        2 => return format!("{y:04}-{m:02}-{d:02}"),
        p => {
            let hh = rng.pick(&[0, 12, 23]);
            let mm = rng.pick(&[0, 59]);
            let mut t = format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}");
            if p >= 4 {
                t.push_str(&format!(":{:02}", rng.pick(&[0, 59])));
            }
            if p == 5 {
                t.push_str(&format!(".{:03}", rng.pick(&[0, 999])));
            }
            t
        }
    };
    let zone = rng.pick(&["", "Z", "+00:00", "-05:00", "+05:30"]);
    // "hh:mm" without seconds plus a zone is fine for search; keep resources consistent
    format!("{base}{zone}")
}

fn gen_period(rng: &mut Rng) -> Value {
    let mut p = serde_json::Map::new();
    if rng.chance(85) {
        p.insert("start".into(), json!(gen_date(rng)));
    }
    if rng.chance(70) {
        p.insert("end".into(), json!(gen_date(rng)));
    }
    Value::Object(p)
}

const IDS: &[&str] = &["a", "b", "a.1", "B-2"];
const SYSTEMS: &[Option<&str>] = &[Some("http://s1"), Some("urn:oid:1.2"), None];
const CODES: &[&str] = &["x", "y", "a|b", "c\\d", "x,y"];

fn gen_ref(rng: &mut Rng, types: &[&str]) -> Value {
    let (t, id) = (rng.pick(types), rng.pick(IDS));
    let r = match rng.below(4) {
        0 => format!("{t}/{id}"),
        1 => format!("https://payer.example/fhir/{t}/{id}"),
        2 => format!("http://x.org/{t}/{id}/_history/3"),
        _ => "#contained".to_string(),
    };
    json!({ "reference": r })
}

fn gen_pair(rng: &mut Rng, code_field: &str) -> Value {
    let mut o = serde_json::Map::new();
    if let Some(s) = rng.pick(SYSTEMS) {
        o.insert("system".into(), json!(s));
    }
    if rng.chance(90) {
        o.insert(code_field.into(), json!(rng.pick(CODES)));
    }
    Value::Object(o)
}

fn gen_eob(rng: &mut Rng) -> Value {
    let mut eob = json!({"resourceType": "ExplanationOfBenefit", "id": rng.pick(IDS),
        "meta": {"lastUpdated": gen_date(rng)}});
    if rng.chance(80) {
        eob["billablePeriod"] = gen_period(rng);
    }
    let items: Vec<Value> = (0..rng.below(4))
        .map(|_| {
            if rng.chance(50) {
                json!({"servicedDate": gen_date(rng)})
            } else {
                json!({"servicedPeriod": gen_period(rng)})
            }
        })
        .collect();
    eob["item"] = json!(items);
    eob["type"] =
        json!({"coding": (0..rng.below(3)).map(|_| gen_pair(rng, "code")).collect::<Vec<_>>()});
    eob["identifier"] = json!((0..rng.below(3))
        .map(|_| gen_pair(rng, "value"))
        .collect::<Vec<_>>());
    if rng.chance(80) {
        eob["patient"] = gen_ref(rng, &["Patient"]);
    }
    eob["provider"] = gen_ref(rng, &["Organization", "Practitioner"]);
    eob["careTeam"] = json!((0..rng.below(3))
        .map(|_| json!({"provider": gen_ref(rng, &["Organization", "Practitioner"])}))
        .collect::<Vec<_>>());
    eob
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(',', "\\,")
}

fn gen_token_value(rng: &mut Rng) -> String {
    let sys = rng.pick(&["http://s1", "urn:oid:1.2"]);
    let code = esc(rng.pick(CODES));
    match rng.below(4) {
        0 => code,
        1 => format!("{sys}|{code}"),
        2 => format!("|{code}"),
        _ => format!("{sys}|"),
    }
}

fn gen_filter(rng: &mut Rng) -> (String, String) {
    let list = |rng: &mut Rng, f: &dyn Fn(&mut Rng) -> String| {
        (0..1 + rng.below(2))
            .map(|_| f(rng))
            .collect::<Vec<_>>()
            .join(",")
    };
    let date_value = |rng: &mut Rng| {
        format!("{}{}", rng.pick(&DatePrefix::ALL).as_str(), gen_date(rng)).replace('+', " ")
    };
    let name = rng.pick(&[
        "service-date",
        "service-date",
        "service-date",
        "service-date",
        "service-start-date",
        "billable-period-start",
        "_lastUpdated",
        "type",
        "identifier",
        "patient",
        "provider",
        "care-team",
        "_id",
    ]);
    if rng.chance(5) {
        return (
            format!("{name}:missing"),
            rng.pick(&["true", "false"]).into(),
        );
    }
    let value = match name {
        "type" | "identifier" => list(rng, &gen_token_value),
        "_id" => list(rng, &|r: &mut Rng| r.pick(IDS).to_string()),
        "patient" | "provider" | "care-team" => list(rng, &|r: &mut Rng| {
            let id = r.pick(IDS);
            let ty = match name {
                "patient" => "Patient",
                _ => r.pick(&["Organization", "Practitioner"]),
            };
            if r.chance(50) {
                id.to_string()
            } else {
                format!("{ty}/{id}")
            }
        }),
        _ => list(rng, &date_value),
    };
    let name = if matches!(name, "type" | "identifier") && rng.chance(15) {
        format!("{name}:not")
    } else {
        name.to_string()
    };
    (name, value)
}

#[test]
fn index_mapping_agrees_with_matches() {
    let mut rng = Rng(0x5EED_CA21);
    let now = day_start_ms(2026, 1, 1);
    // (param, prefix or form) -> [matched, not matched]
    let mut seen: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    let mut superset_extra = 0;
    for _ in 0..8000 {
        let eob = gen_eob(&mut rng);
        let ex = extract(&eob);
        let pairs: Vec<(String, String)> = (0..1 + rng.below(3))
            .map(|_| gen_filter(&mut rng))
            .collect();
        let q = match parse("ExplanationOfBenefit", &pairs, true) {
            Ok(q) => q,
            Err(e) => panic!("{pairs:?}: {e}"),
        };
        let mut all = true;
        for f in &q.filters {
            let m = filter_matches(f, &eob, now);
            let iq = candidate_terms(f, now);
            let s = ex.satisfies(&iq);
            all &= m;
            if iq.is_exact() {
                assert_eq!(m, s, "exact mapping disagrees: {f:?}\n{iq:?}\n{eob}");
            } else {
                assert!(!m || s, "superset excluded a match: {f:?}\n{iq:?}\n{eob}");
                superset_extra += usize::from(s && !m);
            }
            let form = match &f.condition {
                Condition::Date(d) if d.len() == 1 => {
                    format!("{} {}", f.param.code, d[0].prefix.as_str())
                }
                Condition::Date(_) => format!("{} or", f.param.code),
                Condition::Token { negate: true, .. } => format!("{}:not", f.param.code),
                Condition::Missing(_) => "missing".to_string(),
                _ => f.param.code.to_string(),
            };
            seen.entry(form).or_default()[usize::from(!m)] += 1;
        }
        assert_eq!(matches_at(&q, &eob, now), all);
    }
    // non-vacuous: every date prefix and every token/reference param both matched and missed
    for p in DatePrefix::ALL {
        let key = format!("service-date {}", p.as_str());
        let [hit, miss] = seen.get(&key).copied().unwrap_or_default();
        assert!(hit > 2 && miss > 2, "{key}: {hit} hits, {miss} misses");
    }
    for key in [
        "type",
        "identifier",
        "patient",
        "provider",
        "care-team",
        "_id",
        "type:not",
    ] {
        let [hit, miss] = seen.get(key).copied().unwrap_or_default();
        assert!(hit > 2 && miss > 2, "{key}: {hit} hits, {miss} misses");
    }
    assert!(
        superset_extra > 0,
        "superset conditions never over-approximated: suspicious"
    );
}

/// Direct check of the exact date bounds on single Periods, prefix by prefix.
#[test]
fn date_bounds_exact_on_single_ranges() {
    let mut rng = Rng(42);
    let now = day_start_ms(2026, 1, 1);
    let mut checked = 0;
    for _ in 0..20_000 {
        let p = match params::parse_date_param(&format!(
            "{}{}",
            rng.pick(&DatePrefix::ALL).as_str(),
            gen_date(&mut rng)
        )) {
            Ok(p) => p,
            Err(e) => panic!("{e:?}"),
        };
        let Some(r) = date::element_range(&gen_period(&mut rng)) else {
            continue;
        };
        let m = eval::date_matches(&r, &p, now);
        let b = DateBounds::for_param(&p, now);
        let s = b.satisfied_by(&[(r.start, r.hi_inclusive())]);
        if b.exact {
            assert_eq!(m, s, "{p:?} vs {r:?}");
        } else {
            assert!(!m || s, "{p:?} vs {r:?}");
        }
        checked += 1;
    }
    assert!(checked > 10_000);
}
