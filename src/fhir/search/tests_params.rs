//! Parser tests: every accepted form and one test per error code.

use super::date::{day_start_ms, parse_range};
use super::*;

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn ok(ty: &str, list: &[(&str, &str)]) -> SearchQuery {
    parse(ty, &pairs(list), true).unwrap_or_else(|e| panic!("{list:?}: {e}"))
}

fn err(ty: &str, list: &[(&str, &str)]) -> SearchError {
    match parse(ty, &pairs(list), true) {
        Ok(q) => panic!("{list:?} parsed: {q:?}"),
        Err(e) => e,
    }
}

fn code(ty: &str, list: &[(&str, &str)]) -> &'static str {
    err(ty, list).code_str()
}

const EOB: &str = "ExplanationOfBenefit";

fn tokens(q: &SearchQuery) -> Vec<TokenValue> {
    match &q.filters[0].condition {
        Condition::Token { values, .. } => values.clone(),
        c => panic!("{c:?}"),
    }
}

fn refs(q: &SearchQuery) -> Vec<String> {
    match &q.filters[0].condition {
        Condition::Reference(r) => r.iter().map(RefTarget::key).collect(),
        c => panic!("{c:?}"),
    }
}

fn dates(q: &SearchQuery) -> Vec<DateParam> {
    match &q.filters[0].condition {
        Condition::Date(d) => d.clone(),
        c => panic!("{c:?}"),
    }
}

#[test]
fn defaults() {
    let q = ok(EOB, &[]);
    assert_eq!(q.resource_type, EOB);
    assert!(q.filters.is_empty() && q.sort.is_empty() && q.includes.is_empty());
    assert_eq!(
        (q.count, q.offset, q.summary_count),
        (DEFAULT_COUNT, 0, false)
    );
}

#[test]
fn token_forms() {
    let q = ok(
        EOB,
        &[(
            "type",
            "institutional,http://s|pharmacy,|x,http://s|,a\\,b,a\\|b",
        )],
    );
    assert_eq!(
        tokens(&q),
        [
            TokenValue::Code("institutional".into()),
            TokenValue::SystemCode {
                system: "http://s".into(),
                code: "pharmacy".into()
            },
            TokenValue::NoSystemCode("x".into()),
            TokenValue::System("http://s".into()),
            TokenValue::Code("a,b".into()),
            TokenValue::Code("a|b".into()),
        ]
    );
    let q = ok(EOB, &[("identifier:not", "abc")]);
    assert!(matches!(
        q.filters[0].condition,
        Condition::Token { negate: true, .. }
    ));
    let q = ok(EOB, &[("_id", "a,b")]);
    assert_eq!(
        tokens(&q),
        [TokenValue::Code("a".into()), TokenValue::Code("b".into())]
    );
    let q = ok("Patient", &[("identifier:missing", "true")]);
    assert_eq!(q.filters[0].condition, Condition::Missing(true));
}

#[test]
fn comma_is_or_repeat_is_and() {
    let q = ok(EOB, &[("type", "a,b"), ("type", "c")]);
    assert_eq!(q.filters.len(), 2);
    assert_eq!(tokens(&q).len(), 2);
    let q = ok(EOB, &[("type", ""), ("type", ",,"), ("patient", "")]);
    assert!(q.filters.is_empty(), "empty values are ignored");
}

#[test]
fn reference_forms() {
    let q = ok(
        EOB,
        &[(
            "patient",
            "123,Patient/123,https://ex.org/fhir/Patient/123,Patient/123/_history/2,http://ex.org/Patient/9/_history/1",
        )],
    );
    assert_eq!(
        refs(&q),
        [
            "123",
            "Patient/123",
            "Patient/123",
            "Patient/123",
            "Patient/9"
        ]
    );
    let q = ok(EOB, &[("provider:Organization", "o1")]);
    assert_eq!(refs(&q), ["Organization/o1"]);
    let q = ok(
        "Coverage",
        &[("payor", "RelatedPerson/r1"), ("beneficiary", "Patient/p")],
    );
    assert_eq!(q.filters.len(), 2);
    assert_eq!(ok(EOB, &[("care-team:missing", "false")]).filters.len(), 1);
}

#[test]
fn error_invalid_reference() {
    for v in [
        "Organization/1",
        "Patient/",
        "#c",
        "urn:uuid:1",
        "Patient/1/2",
        "a b",
    ] {
        assert_eq!(code(EOB, &[("patient", v)]), "invalid_reference", "{v}");
    }
    assert_eq!(
        code(EOB, &[("provider:Organization", "Practitioner/1")]),
        "invalid_reference"
    );
    assert_eq!(code(EOB, &[("insurer", "Patient/1")]), "invalid_reference");
}

#[test]
fn date_forms() {
    let d = |v: &str| dates(&ok(EOB, &[("service-date", v)]))[0];
    assert_eq!(d("2023").prefix, DatePrefix::Eq);
    assert_eq!(d("2023").range.start, day_start_ms(2023, 1, 1));
    for p in DatePrefix::ALL {
        assert_eq!(d(&format!("{}2023-04", p.as_str())).prefix, p);
    }
    let plus = d("gt2019-12-31T00:00:00+00:00");
    assert_eq!(plus.prefix, DatePrefix::Gt);
    assert_eq!(d("gt2019-12-31T00:00:00 00:00"), plus, "space for plus");
    assert_eq!(plus.range.start, day_start_ms(2019, 12, 31));
    assert_eq!(plus.range.end - plus.range.start, 1000);
    let lu = d("2020-10-30T09:48:01.8462752-04:00");
    assert_eq!(lu.range.end - lu.range.start, 1);
    assert_eq!(
        d("2023-04-05T10:11:12Z"),
        d("2023-04-05T10:11:12"),
        "no zone = UTC"
    );
    let q = ok(EOB, &[("_lastUpdated", "ge2020,lt2019")]);
    assert_eq!(dates(&q).len(), 2);
}

#[test]
fn error_invalid_date() {
    for v in [
        "2023-02-30",
        "2023-13",
        "garbage",
        "xx2023",
        "gt",
        "2023-04-05T10:11:12+25:00",
        "gt 2023",
        "2023-04-05T10:11:12Zjunk",
    ] {
        assert_eq!(code(EOB, &[("service-date", v)]), "invalid_date", "{v}");
    }
    let e = err(EOB, &[("billable-period-start", "2023-02-30")]);
    assert!(e.message.contains("billable-period-start") && e.message.contains("2023-02-30"));
    assert_eq!(e.param, "billable-period-start");
}

#[test]
fn error_invalid_token() {
    assert_eq!(code(EOB, &[("identifier", "|")]), "invalid_token");
    assert_eq!(code(EOB, &[("identifier", "a|b|c")]), "invalid_token");
    assert_eq!(code(EOB, &[("_id", "a|b")]), "invalid_token");
}

#[test]
fn count_offset_total_summary() {
    let q = ok(
        EOB,
        &[
            ("_count", "0"),
            ("_offset", "20"),
            ("_total", "accurate"),
            ("_summary", "count"),
        ],
    );
    assert_eq!(
        (q.count, q.offset, q.total, q.summary_count),
        (0, 20, Some(TotalMode::Accurate), true)
    );
    assert_eq!(ok(EOB, &[("_count", "1000")]).count, MAX_COUNT);
    assert_eq!(
        ok(EOB, &[("_format", "json")]).format.as_deref(),
        Some("json")
    );
    assert_eq!(code(EOB, &[("_offset", "-1")]), "invalid_offset");
    assert_eq!(code(EOB, &[("_total", "all")]), "invalid_param_value");
    assert_eq!(code(EOB, &[("_summary", "maybe")]), "invalid_param_value");
    assert_eq!(code(EOB, &[("type:missing", "yes")]), "invalid_param_value");
}

#[test]
fn error_invalid_count() {
    for v in ["-1", "ten", "1.5"] {
        assert_eq!(code(EOB, &[("_count", v)]), "invalid_count", "{v}");
    }
}

#[test]
fn error_count_too_large() {
    let e = err(EOB, &[("_count", "1001")]);
    assert_eq!(e.code_str(), "count_too_large");
    assert!(e.message.contains("1000"));
}

#[test]
fn sort() {
    let q = ok(
        EOB,
        &[(
            "_sort",
            "-service-date,_id,billable-period-start,-_lastUpdated",
        )],
    );
    let got: Vec<(&str, bool)> = q.sort.iter().map(|s| (s.param, s.descending)).collect();
    assert_eq!(
        got,
        [
            ("service-date", true),
            ("_id", false),
            ("billable-period-start", false),
            ("_lastUpdated", true)
        ]
    );
}

#[test]
fn error_unsupported_sort() {
    assert_eq!(code(EOB, &[("_sort", "type")]), "unsupported_sort");
    assert_eq!(code(EOB, &[("_sort", "nope")]), "unsupported_sort");
    assert_eq!(
        code("Patient", &[("_sort", "service-date")]),
        "unsupported_sort"
    );
}

#[test]
fn error_unknown_modifier() {
    assert_eq!(code(EOB, &[("identifier:text", "x")]), "unknown_modifier");
    assert_eq!(
        code(EOB, &[("service-date:not", "2020")]),
        "unknown_modifier"
    );
    assert_eq!(
        code(EOB, &[("patient:Organization", "1")]),
        "unknown_modifier"
    );
    assert_eq!(code(EOB, &[("_count:x", "1")]), "unknown_modifier");
    assert_eq!(
        code(EOB, &[("_include:deep", "ExplanationOfBenefit:*")]),
        "unknown_modifier"
    );
}

#[test]
fn includes() {
    let q = ok(
        EOB,
        &[
            ("_include", "ExplanationOfBenefit:coverage"),
            ("_include:iterate", "Coverage:payor"),
            (
                "_include",
                "ExplanationOfBenefit:*,ExplanationOfBenefit:payee",
            ),
        ],
    );
    let got: Vec<(&str, &str, bool)> = q
        .includes
        .iter()
        .map(|i| (i.spec.source, i.spec.name, i.iterate))
        .collect();
    assert_eq!(
        got,
        [
            (EOB, "coverage", false),
            ("Coverage", "payor", true),
            (EOB, "*", false),
            (EOB, "payee", false)
        ]
    );
    assert_eq!(q.includes[0].spec.paths[0].path, "insurance.coverage");
    assert_eq!(
        ok("Coverage", &[("_include", "Coverage:payor")])
            .includes
            .len(),
        1
    );
}

#[test]
fn error_invalid_include() {
    assert_eq!(
        code(EOB, &[("_include", "Coverage:payor")]),
        "invalid_include"
    );
    assert_eq!(
        code(EOB, &[("_include", "ExplanationOfBenefit:item")]),
        "invalid_include"
    );
    assert_eq!(code(EOB, &[("_include", "*")]), "invalid_include");
    assert_eq!(
        code("Patient", &[("_include", "Patient:*")]),
        "invalid_include"
    );
}

#[test]
fn unknown_params_lenient_vs_strict() {
    let list = pairs(&[
        ("foo", "1"),
        ("_elements", "id"),
        ("_summary", "true"),
        ("type", "oral"),
    ]);
    let q = parse(EOB, &list, false).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = q.ignored.iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["foo", "_elements", "_summary"]);
    assert_eq!(q.filters.len(), 1);
    assert_eq!(code(EOB, &[("foo", "1")]), "unknown_search_param");
    assert_eq!(code("Patient", &[("type", "oral")]), "unknown_search_param");
    assert_eq!(code(EOB, &[("_elements", "id")]), "unsupported_param");
    assert_eq!(code(EOB, &[("_summary", "text")]), "unsupported_param");
    // known parameter, bad value: an error even when lenient
    assert!(parse(EOB, &pairs(&[("service-date", "2023-02-30")]), false).is_err());
}

#[test]
fn error_unsupported_resource_type() {
    assert_eq!(code("Claim", &[]), "unsupported_resource_type");
}

#[test]
fn parse_range_matches_param_parse() {
    let q = ok(EOB, &[("_lastUpdated", "2019-12-12T09:14:11+00:00")]);
    assert_eq!(
        Ok(dates(&q)[0].range),
        parse_range("2019-12-12T09:14:11Z", false)
    );
}
