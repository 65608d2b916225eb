//! Parsing URL-decoded search pairs into a [`SearchQuery`].
//!
//! * A comma inside one value is OR (`\,` escapes a literal comma); a repeated parameter is
//!   AND. Empty values (and empty comma items) are ignored, as FHIR asks.
//! * Unknown parameters are ignored and listed in [`SearchQuery::ignored`] (for a Bundle
//!   warning), or rejected when `strict` (`Prefer: handling=strict`). A known parameter with a
//!   malformed value is always rejected.
//! * `_count` defaults to [`DEFAULT_COUNT`](super::query::DEFAULT_COUNT) and may not exceed [`MAX_COUNT`] (both 1000: the
//!   Inferno CARIN kit never follows `next` links, so a patient's EOBs must fit on page one).

use super::date::parse_range;
use super::error::{SearchError, SearchErrorCode as Code};
use super::query::{
    Condition, DateParam, DatePrefix, Filter, IgnoredParam, Include, SearchQuery, SortSpec,
    TokenValue, TotalMode, MAX_COUNT,
};
use super::registry::{self, ParamType, ResourceDef, SearchParamDef};
use super::values::{is_fhir_id, parse_reference, RefTarget};

/// Parses URL-decoded `(name, value)` pairs for a search on `resource_type`.
pub fn parse(
    resource_type: &str,
    pairs: &[(String, String)],
    strict: bool,
) -> Result<SearchQuery, SearchError> {
    let res = registry::resource(resource_type).ok_or_else(|| {
        SearchError::new(
            Code::UnsupportedResourceType,
            "resourceType",
            resource_type,
            "this resource type is not searchable on this server",
        )
    })?;
    let mut q = SearchQuery::new(res);
    for (name, value) in pairs {
        if value.is_empty() {
            continue;
        }
        let (base, modifier) = match name.split_once(':') {
            Some((b, m)) => (b, Some(m)),
            None => (name.as_str(), None),
        };
        let err = |code, detail: &str| SearchError::new(code, name, value, detail);
        let no_modifier = || match modifier {
            Some(m) => Err(err(
                Code::UnknownModifier,
                &format!("modifier ':{m}' is not supported here"),
            )),
            None => Ok(()),
        };
        match base {
            "_count" => {
                no_modifier()?;
                let n: usize = value.trim().parse().map_err(|_| {
                    err(Code::InvalidCount, "_count must be a non-negative integer")
                })?;
                if n > MAX_COUNT {
                    return Err(err(
                        Code::CountTooLarge,
                        &format!("_count may not exceed {MAX_COUNT}; page with the next link"),
                    ));
                }
                q.count = n;
            }
            "_offset" => {
                no_modifier()?;
                q.offset = value.trim().parse().map_err(|_| {
                    err(
                        Code::InvalidOffset,
                        "_offset must be a non-negative integer",
                    )
                })?;
            }
            "_sort" => {
                no_modifier()?;
                q.sort = parse_sort(res, value).map_err(|d| err(Code::UnsupportedSort, &d))?;
            }
            "_summary" => {
                no_modifier()?;
                match value.as_str() {
                    "count" => q.summary_count = true,
                    "false" => q.summary_count = false,
                    "true" | "text" | "data" => ignore(
                        &mut q,
                        strict,
                        name,
                        value,
                        "only _summary=count is supported",
                    )?,
                    _ => return Err(err(Code::InvalidParamValue, "unknown _summary value")),
                }
            }
            "_total" => {
                no_modifier()?;
                q.total = Some(match value.as_str() {
                    "none" => TotalMode::None,
                    "estimate" => TotalMode::Estimate,
                    "accurate" => TotalMode::Accurate,
                    _ => {
                        return Err(err(
                            Code::InvalidParamValue,
                            "_total must be none, estimate or accurate",
                        ))
                    }
                });
            }
            "_format" => {
                no_modifier()?;
                q.format = Some(value.clone());
            }
            "_elements" => {
                no_modifier()?;
                ignore(&mut q, strict, name, value, "_elements is not supported")?;
            }
            "_include" => {
                let iterate = match modifier {
                    None => false,
                    Some("iterate" | "recurse") => true,
                    Some(m) => {
                        return Err(err(
                            Code::UnknownModifier,
                            &format!("_include modifier ':{m}' is not supported"),
                        ))
                    }
                };
                for item in split_unescaped(value, ',') {
                    let item = unescape(&item);
                    if item.is_empty() {
                        continue;
                    }
                    let spec = super::include::resolve_include(&item)
                        .filter(|s| iterate || s.source == res.resource_type)
                        .ok_or_else(|| {
                            err(
                                Code::InvalidInclude,
                                &format!(
                                    "unsupported include '{item}'; supported: {}",
                                    res.include_values().join(", ")
                                ),
                            )
                        })?;
                    q.includes.push(Include { iterate, spec });
                }
            }
            _ => match res.param(base) {
                Some(def) => {
                    if let Some(f) =
                        parse_filter(def, modifier, value).map_err(|(c, d)| err(c, &d))?
                    {
                        q.filters.push(f);
                    }
                }
                None if strict => {
                    return Err(err(
                        Code::UnknownSearchParam,
                        &format!(
                            "unknown search parameter for {}; supported: {}",
                            res.resource_type,
                            res.params
                                .iter()
                                .map(|p| p.code)
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
                None => q.ignored.push(IgnoredParam {
                    name: name.clone(),
                    value: value.clone(),
                    reason: format!("unknown search parameter for {}", res.resource_type),
                }),
            },
        }
    }
    Ok(q)
}

fn ignore(
    q: &mut SearchQuery,
    strict: bool,
    name: &str,
    value: &str,
    reason: &str,
) -> Result<(), SearchError> {
    if strict {
        return Err(SearchError::new(
            Code::UnsupportedParam,
            name,
            value,
            reason,
        ));
    }
    q.ignored.push(IgnoredParam {
        name: name.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    });
    Ok(())
}

fn parse_sort(res: &ResourceDef, value: &str) -> Result<Vec<SortSpec>, String> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (descending, code) = match item.strip_prefix('-') {
            Some(c) => (true, c),
            None => (false, item),
        };
        let def = res.param(code).filter(|p| p.sortable).ok_or_else(|| {
            let sortable: Vec<&str> = res
                .params
                .iter()
                .filter(|p| p.sortable)
                .map(|p| p.code)
                .collect();
            format!("cannot sort by '{code}'; sortable: {}", sortable.join(", "))
        })?;
        out.push(SortSpec {
            param: def.code,
            descending,
        });
    }
    Ok(out)
}

/// Splits on unescaped `sep` (a backslash escapes the next character); escapes are kept.
pub fn split_unescaped(s: &str, sep: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            cur.push(c);
            if let Some(n) = chars.next() {
                cur.push(n);
            }
        } else if c == sep {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

/// Removes FHIR search escapes (`\,` `\|` `\$` `\\`).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

type ParamErr = (Code, String);

/// Parses one occurrence of a filter parameter; `Ok(None)` when every comma item is empty.
fn parse_filter(
    def: &'static SearchParamDef,
    modifier: Option<&str>,
    value: &str,
) -> Result<Option<Filter>, ParamErr> {
    if modifier == Some("missing") {
        let missing = match value {
            "true" => true,
            "false" => false,
            _ => {
                return Err((
                    Code::InvalidParamValue,
                    ":missing must be true or false".into(),
                ))
            }
        };
        return Ok(Some(Filter {
            param: def,
            condition: Condition::Missing(missing),
        }));
    }
    let items: Vec<String> = split_unescaped(value, ',')
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    if items.is_empty() {
        return Ok(None);
    }
    let unknown = |m: &str| {
        (
            Code::UnknownModifier,
            format!(
                "modifier ':{m}' is not supported for {} parameter '{}'",
                def.param_type.as_str(),
                def.code
            ),
        )
    };
    let condition = match def.param_type {
        ParamType::Token => {
            let negate = match modifier {
                None => false,
                Some("not") => true,
                Some(m) => return Err(unknown(m)),
            };
            let values = items
                .iter()
                .map(|i| parse_token(def, i))
                .collect::<Result<_, _>>()?;
            Condition::Token { values, negate }
        }
        ParamType::Reference => {
            let forced = match modifier {
                None => None,
                Some(m) if def.targets.contains(&m) => Some(m),
                Some(m) => return Err(unknown(m)),
            };
            let values = items
                .iter()
                .map(|i| parse_ref(def, forced, i))
                .collect::<Result<_, _>>()?;
            Condition::Reference(values)
        }
        ParamType::Date => {
            if let Some(m) = modifier {
                return Err(unknown(m));
            }
            let values = items
                .iter()
                .map(|i| parse_date_param(&unescape(i)))
                .collect::<Result<_, _>>()?;
            Condition::Date(values)
        }
    };
    Ok(Some(Filter {
        param: def,
        condition,
    }))
}

fn parse_token(def: &SearchParamDef, item: &str) -> Result<TokenValue, ParamErr> {
    let bad = |d: &str| (Code::InvalidToken, format!("'{}': {d}", unescape(item)));
    if def.code == "_id" {
        let id = unescape(item);
        return if id.contains('|') {
            Err(bad("_id takes a plain id"))
        } else {
            Ok(TokenValue::Code(id))
        };
    }
    let parts = split_unescaped(item, '|');
    match parts.as_slice() {
        [code] => Ok(TokenValue::Code(unescape(code))),
        [system, code] => match (unescape(system), unescape(code)) {
            (s, c) if s.is_empty() && c.is_empty() => Err(bad("neither system nor code")),
            (s, c) if s.is_empty() => Ok(TokenValue::NoSystemCode(c)),
            (s, c) if c.is_empty() => Ok(TokenValue::System(s)),
            (system, code) => Ok(TokenValue::SystemCode { system, code }),
        },
        _ => Err(bad("more than one unescaped '|'")),
    }
}

fn parse_ref(
    def: &SearchParamDef,
    forced: Option<&str>,
    item: &str,
) -> Result<RefTarget, ParamErr> {
    let raw = unescape(item);
    let bad = |d: String| (Code::InvalidReference, format!("'{raw}': {d}"));
    let mut target = parse_reference(&raw).ok_or_else(|| {
        bad("expected id, Type/id or an absolute URL ending in Type/id".to_string())
    })?;
    if let Some(f) = forced {
        match &target.resource_type {
            None => target.resource_type = Some(f.to_string()),
            Some(t) if t == f => {}
            Some(t) => return Err(bad(format!("type {t} contradicts the :{f} modifier"))),
        }
    }
    if let Some(t) = &target.resource_type {
        if !def.targets.contains(&t.as_str()) {
            return Err(bad(format!(
                "'{}' may only reference {}",
                def.code,
                def.targets.join(", ")
            )));
        }
    }
    debug_assert!(is_fhir_id(&target.id));
    Ok(target)
}

/// Parses `[prefix]value` for a date parameter.
pub fn parse_date_param(item: &str) -> Result<DateParam, ParamErr> {
    let bad = |d: &str| (Code::InvalidDate, format!("'{item}': {d}"));
    let (prefix, rest) = match item.as_bytes().first() {
        Some(c) if c.is_ascii_alphabetic() => {
            let p = item
                .get(..2)
                .and_then(DatePrefix::parse)
                .ok_or_else(|| bad("unknown prefix (eq, ne, gt, lt, ge, le, sa, eb, ap)"))?;
            (p, &item[2..])
        }
        _ => (DatePrefix::Eq, item),
    };
    let range = parse_range(rest, true).map_err(|e| {
        bad(&format!(
            "{e}; expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss[.sss]][Z|±hh:mm]"
        ))
    })?;
    Ok(DateParam { prefix, range })
}
