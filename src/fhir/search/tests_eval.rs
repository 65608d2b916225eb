//! Evaluator tests: a prefix × precision table against Periods and dates, token and reference
//! semantics, and the IG example resources.

use serde_json::{json, Value};

use super::date::day_start_ms;
use super::*;

const EOB: &str = "ExplanationOfBenefit";

fn now() -> i64 {
    day_start_ms(2026, 1, 1)
}

fn query(ty: &str, list: &[(&str, &str)]) -> SearchQuery {
    let pairs: Vec<(String, String)> = list
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    parse(ty, &pairs, true).unwrap_or_else(|e| panic!("{list:?}: {e}"))
}

/// An EOB whose only service-date value is `v`: a Period (object) goes to billablePeriod, a
/// string to item[0].servicedDate.
fn eob_with(v: &Value) -> Value {
    if v.is_object() {
        json!({"resourceType": EOB, "id": "e", "billablePeriod": v})
    } else {
        json!({"resourceType": EOB, "id": "e", "item": [{"servicedDate": v}]})
    }
}

/// Expected results in the order eq ne gt lt ge le sa eb ap, as a 9-letter T/F string.
const ORDER: [DatePrefix; 9] = [
    DatePrefix::Eq,
    DatePrefix::Ne,
    DatePrefix::Gt,
    DatePrefix::Lt,
    DatePrefix::Ge,
    DatePrefix::Le,
    DatePrefix::Sa,
    DatePrefix::Eb,
    DatePrefix::Ap,
];

#[test]
fn date_prefix_table() {
    let p = |s: &str, e: &str| json!({"start": s, "end": e});
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        // year precision
        ("2019", json!("2019-05-05"), "TFFFTTFFT", "date inside"),
        (
            "2019",
            p("2019-01-01", "2019-12-31"),
            "TFFFTTFFT",
            "equal endpoints",
        ),
        (
            "2019",
            p("2018-12-31", "2019-01-01"),
            "FTFTFTFFT",
            "straddles start",
        ),
        (
            "2019",
            p("2019-12-31", "2020-01-01"),
            "FTTFTFFFT",
            "straddles end",
        ),
        (
            "2019",
            json!({"start": "2019-06-01"}),
            "FTTFTFFFT",
            "open end",
        ),
        (
            "2019",
            json!({"end": "2019-06-01"}),
            "FTFTFTFFT",
            "open start",
        ),
        ("2019", json!("2020-01-01"), "FTTFTFTFT", "adjacent after"),
        ("2019", json!("2018-12-31"), "FTFTFTFTT", "adjacent before"),
        (
            "2000",
            json!("2010-06-01"),
            "FTTFTFTFF",
            "far after: not ap",
        ),
        (
            "2000",
            json!("2002-03-01"),
            "FTTFTFTFT",
            "within 10% of now: ap",
        ),
        (
            "2000",
            json!("1997-06-01"),
            "FTFTFTFTT",
            "within 10% before: ap",
        ),
        // month precision
        (
            "2019-04",
            json!("2019-04-30"),
            "TFFFTTFFT",
            "last day of month",
        ),
        (
            "2019-04",
            p("2019-03-15", "2019-05-15"),
            "FTTTTTFFT",
            "straddles both",
        ),
        (
            "2019-04",
            p("2019-04-01", "2019-04-30"),
            "TFFFTTFFT",
            "the whole month",
        ),
        ("2019-04", json!("2019-05-01"), "FTTFTFTFT", "next month"),
        // day precision
        (
            "2019-04-05",
            json!("2019-04-05T23:59:59Z"),
            "TFFFTTFFT",
            "last second",
        ),
        (
            "2019-04-05",
            json!("2019-04-06T00:00:00Z"),
            "FTTFTFTFT",
            "first second after",
        ),
        (
            "2019-04-05",
            json!("2019-04-05T20:00:00-05:00"),
            "FTTFTFTFT",
            "zone moves it out",
        ),
        (
            "2019-04-05",
            p("2019-04-05", "2019-04-05"),
            "TFFFTTFFT",
            "one-day period",
        ),
        (
            "2019-04-05",
            p("2019-04-04", "2019-04-05"),
            "FTFTFTFFT",
            "ends on the day",
        ),
        // minute, second and millisecond precision
        (
            "2019-04-05T10:00",
            json!("2019-04-05T10:00:59.999Z"),
            "TFFFTTFFT",
            "in the minute",
        ),
        (
            "2019-04-05T10:00:00Z",
            json!("2019-04-05"),
            "FTTTTTFFT",
            "day contains second",
        ),
        (
            "2019-04-05T10:00:00Z",
            p("2019-04-05T10:00:00Z", "2019-04-05T10:00:00Z"),
            "TFFFTTFFT",
            "equal instants",
        ),
        (
            "2019-04-05T10:00:00+00:00",
            json!("2019-04-05T10:00:01Z"),
            "FTTFTFTFT",
            "next second",
        ),
        (
            "2019-04-05T10:00:00.500Z",
            json!("2019-04-05T10:00:00.500Z"),
            "TFFFTTFFT",
            "same ms",
        ),
        (
            "2019-04-05T10:00:00.500Z",
            json!("2019-04-05T10:00:00Z"),
            "FTTTTTFFT",
            "second ⊃ ms",
        ),
        // a Period in another zone
        (
            "2019",
            p("2019-12-31T20:00:00-05:00", "2019-12-31T22:00:00-05:00"),
            "FTTFTFTFT",
            "2020 in UTC",
        ),
    ];
    for (param, value, expected, what) in &cases {
        let res = eob_with(value);
        let got: String = ORDER
            .iter()
            .map(|prefix| {
                let q = query(
                    EOB,
                    &[("service-date", &format!("{}{param}", prefix.as_str()))],
                );
                if matches_at(&q, &res, now()) {
                    'T'
                } else {
                    'F'
                }
            })
            .collect();
        assert_eq!(&got, expected, "{what}: service-date={param} vs {value}");
    }
}

#[test]
fn any_value_matches_and_or_and() {
    let eob = json!({"resourceType": EOB, "id": "e",
        "billablePeriod": {"start": "2019-01-01", "end": "2019-01-31"},
        "item": [{"servicedDate": "2019-06-15"}, {"servicedPeriod": {"start": "2020-02-01", "end": "2020-02-03"}}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]}});
    let m = |list: &[(&str, &str)]| matches_at(&query(EOB, list), &eob, now());
    assert!(m(&[("service-date", "2019-06")]), "an item date");
    assert!(m(&[("service-date", "2020-02")]), "an item period");
    assert!(m(&[("service-date", "eq2019-01")]), "billable period");
    assert!(!m(&[("service-date", "2021")]));
    assert!(m(&[("service-date", "2021,2019-06")]), "comma = OR");
    assert!(m(&[
        ("service-date", "ge2019-06-15"),
        ("service-date", "le2019-06-15")
    ]));
    assert!(
        !m(&[("service-date", "2018"), ("service-date", "2019")]),
        "repeat = AND"
    );
    assert!(m(&[("service-start-date", "2020-02-01")]));
    assert!(!m(&[("billable-period-start", "2020-02-01")]));
    assert!(m(&[("billable-period-start", "2019-01-01")]));
    assert!(
        m(&[("service-date", "gt2019-12-31T00:00:00 00:00")]),
        "kit form with space"
    );
    assert!(m(&[("type", "professional")]));
    assert!(m(&[(
        "type",
        "http://terminology.hl7.org/CodeSystem/claim-type|professional"
    )]));
    assert!(m(&[(
        "type",
        "http://terminology.hl7.org/CodeSystem/claim-type|"
    )]));
    assert!(!m(&[("type", "|professional")]), "has a system");
    assert!(!m(&[("type", "http://other|professional")]));
    assert!(m(&[("type:not", "oral")]));
    assert!(!m(&[("type:not", "oral,professional")]));
    assert!(m(&[("identifier:missing", "true")]));
    assert!(
        m(&[("identifier:not", "x")]),
        ":not includes resources without a value"
    );
    assert!(m(&[("service-date:missing", "false")]));
    assert!(!m(&[("patient:missing", "false")]));
    assert!(
        !matches_at(&query("Patient", &[]), &eob, now()),
        "resource type"
    );
}

#[test]
fn references_normalize_both_sides() {
    let eob = json!({"resourceType": EOB, "id": "e",
        "patient": {"reference": "https://payer.example/fhir/Patient/p1/_history/3"},
        "provider": {"reference": "Organization/o1"},
        "careTeam": [{"provider": {"reference": "Practitioner/pr1"}}, {"provider": {"reference": "#c1"}}],
        "insurer": {"display": "no reference"}});
    let m = |list: &[(&str, &str)]| matches_at(&query(EOB, list), &eob, now());
    for v in [
        "p1",
        "Patient/p1",
        "http://elsewhere/Patient/p1",
        "Patient/p1/_history/9",
    ] {
        assert!(m(&[("patient", v)]), "{v}");
    }
    assert!(!m(&[("patient", "p2")]));
    assert!(m(&[("provider", "o1")]) && m(&[("provider", "Organization/o1")]));
    assert!(m(&[("provider:Organization", "o1")]));
    assert!(!m(&[("provider", "Practitioner/o1")]));
    assert!(m(&[("care-team", "pr1")]) && !m(&[("care-team", "c1")]));
    assert!(m(&[("insurer:missing", "true")]));
    let cov = json!({"resourceType": "Coverage", "id": "c", "beneficiary": {"reference": "Patient/p1"},
        "payor": [{"reference": "Organization/pay"}, {"reference": "RelatedPerson/rp"}]});
    let mc = |list: &[(&str, &str)]| matches_at(&query("Coverage", list), &cov, now());
    assert!(mc(&[("patient", "p1")]) && mc(&[("beneficiary", "Patient/p1")]));
    assert!(mc(&[("payor", "rp")]) && mc(&[("payor", "Organization/pay")]));
    assert!(!mc(&[("payor", "Patient/pay")]));
}

fn load_examples() -> Vec<Value> {
    let dir = std::path::Path::new("/work/shared/carin-ig/2.0.0/examples");
    let mut out = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.push(dir.join("inferno-reference-server/carin_bundle_patient_888.json"));
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        if v["resourceType"] == "Bundle" {
            let entries = v["entry"].as_array().cloned().unwrap_or_default();
            out.extend(entries.into_iter().map(|e| e["resource"].clone()));
        } else {
            out.push(v);
        }
    }
    out
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// The searches the Inferno kit derives from an EOB must find it, through `matches` and
/// through the index terms.
#[test]
fn ig_examples_match_their_own_values() {
    let all = load_examples();
    let mut checked = 0;
    for r in &all {
        let ty = s(&r["resourceType"]);
        if registry::resource(ty).is_none() {
            continue;
        }
        let mut searches: Vec<(String, String)> = vec![
            ("_id".into(), s(&r["id"]).into()),
            ("_lastUpdated".into(), s(&r["meta"]["lastUpdated"]).into()),
        ];
        let has_identifier = registry::search_param(ty, "identifier").is_some();
        for id in r["identifier"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|_| has_identifier)
        {
            searches.push(("identifier".into(), s(&id["value"]).into()));
        }
        if ty == EOB {
            let start = s(&r["billablePeriod"]["start"]);
            if let Ok(range) = date::parse_range(start, false) {
                // the kit: gt(billablePeriod.start - 1 day) as a full dateTime, '+' as space
                let (y, m, d) = date::civil_from_days(range.start.div_euclid(86_400_000) - 1);
                searches.extend([
                    (
                        "service-date".into(),
                        format!("gt{y:04}-{m:02}-{d:02}T00:00:00 00:00"),
                    ),
                    ("service-start-date".into(), start.into()),
                    ("billable-period-start".into(), start.into()),
                ]);
            }
            searches.extend([
                (
                    "patient".into(),
                    s(&r["patient"]["reference"])
                        .trim_start_matches("Patient/")
                        .into(),
                ),
                ("patient".into(), s(&r["patient"]["reference"]).into()),
                ("type".into(), s(&r["type"]["coding"][0]["code"]).into()),
                ("provider".into(), s(&r["provider"]["reference"]).into()),
                ("insurer".into(), s(&r["insurer"]["reference"]).into()),
                (
                    "coverage".into(),
                    s(&r["insurance"][0]["coverage"]["reference"]).into(),
                ),
            ]);
        }
        if ty == "Coverage" {
            searches.push(("payor".into(), s(&r["payor"][0]["reference"]).into()));
            searches.push(("patient".into(), s(&r["beneficiary"]["reference"]).into()));
        }
        let ex = extract(r);
        for (k, v) in searches.iter().filter(|(_, v)| !v.is_empty()) {
            let q = query(ty, &[(k, v)]);
            assert!(matches_at(&q, r, now()), "{ty}/{}: {k}={v}", s(&r["id"]));
            let iq = candidate_terms(&q.filters[0], now());
            assert!(ex.satisfies(&iq), "index: {ty}/{}: {k}={v}", s(&r["id"]));
            checked += 1;
        }
    }
    if !all.is_empty() {
        assert!(checked > 100, "only {checked} searches checked");
    }
}

/// Cross-resource searches select exactly the expected examples.
#[test]
fn ig_examples_select_the_right_ones() {
    let all = load_examples();
    let eobs: Vec<&Value> = all.iter().filter(|r| r["resourceType"] == EOB).collect();
    if eobs.is_empty() {
        return;
    }
    let ids = |list: &[(&str, &str)]| -> Vec<String> {
        let q = query(EOB, list);
        let mut v: Vec<String> = eobs
            .iter()
            .filter(|r| matches_at(&q, r, now()))
            .map(|r| s(&r["id"]).to_string())
            .collect();
        v.sort();
        v
    };
    let expect = |pred: &dyn Fn(&Value) -> bool| -> Vec<String> {
        let mut v: Vec<String> = eobs
            .iter()
            .filter(|r| pred(r))
            .map(|r| s(&r["id"]).to_string())
            .collect();
        v.sort();
        v
    };
    let oral = ids(&[("type", "oral")]);
    assert!(!oral.is_empty());
    assert_eq!(oral, expect(&|r| r["type"]["coding"][0]["code"] == "oral"));
    let p1 = ids(&[("patient", "Patient1")]);
    assert!(!p1.is_empty());
    assert_eq!(
        p1,
        expect(&|r| r["patient"]["reference"] == "Patient/Patient1")
    );
    let lu = ids(&[("_lastUpdated", "2019-12-12T09:14:11+00:00")]);
    assert_eq!(
        lu,
        expect(&|r| r["meta"]["lastUpdated"] == "2019-12-12T09:14:11+00:00")
    );
    assert!(lu.len() >= 2);
    let y2019 = ids(&[("billable-period-start", "2019")]);
    assert_eq!(
        y2019,
        expect(&|r| s(&r["billablePeriod"]["start"]).starts_with("2019"))
    );
    assert_eq!(
        ids(&[("_id", "EOBOral1,EOBOral2")]),
        ["EOBOral1", "EOBOral2"]
    );
    assert!(ids(&[("type", "oral"), ("patient", "Patient1")]).is_empty());
}
