//! FHIR date / dateTime / instant values as half-open UTC millisecond ranges.
//!
//! A value covers the whole span of its implicit precision: `2023` → `[2023-01-01, 2024-01-01)`,
//! `2023-04` → the month, `2023-04-05` → the day, `…T10:11` → the minute, `…T10:11:12` → the
//! second, and a value with a fraction → that millisecond (digits beyond the third are
//! truncated, so `.8462752` and `.846` are the same millisecond).
//!
//! Zones: `Z` or `±hh:mm` are honoured. **A date, or a dateTime without a zone, is read as
//! UTC** (FHIR leaves it to the server; the sandbox has no local time zone). In search values
//! a `+` that arrived as a space (`2019-12-31T00:00:00 00:00`, an unencoded `+` in a query
//! string) is read as `+`.

use serde_json::Value;

/// Half-open `[start, end)` range in UTC milliseconds since the Unix epoch.
/// `start == i64::MIN` means open below, `end == i64::MAX` open above (Periods only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateRange {
    pub start: i64,
    pub end: i64,
}

pub const OPEN_START: i64 = i64::MIN;
pub const OPEN_END: i64 = i64::MAX;

impl DateRange {
    /// The last millisecond inside the range (`i64::MAX` when open above) — the `hi` an index
    /// stores.
    pub fn hi_inclusive(&self) -> i64 {
        if self.end == OPEN_END {
            OPEN_END
        } else {
            self.end.saturating_sub(1)
        }
    }

    /// True when the two ranges share at least one millisecond.
    pub fn overlaps(&self, other: &DateRange) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// True when `self` lies entirely inside `outer`.
    pub fn within(&self, outer: &DateRange) -> bool {
        outer.start <= self.start && self.end <= outer.end
    }
}

const MS_PER_DAY: i64 = 86_400_000;

pub use crate::fhir::datetime::{civil_from_days, days_from_civil, days_in_month};

/// Start of a calendar day in UTC milliseconds.
pub fn day_start_ms(year: i64, month: u32, day: u32) -> i64 {
    days_from_civil(year, month, day) * MS_PER_DAY
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn digits(&mut self, n: usize) -> Result<u32, &'static str> {
        let end = self.pos + n;
        let slice = self.b.get(self.pos..end).ok_or("value is truncated")?;
        let mut v = 0u32;
        for &c in slice {
            if !c.is_ascii_digit() {
                return Err("expected a digit");
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.pos = end;
        Ok(v)
    }

    fn expect(&mut self, c: u8) -> Result<(), &'static str> {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err("unexpected character")
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn done(&self) -> bool {
        self.pos == self.b.len()
    }
}

/// Parses a FHIR date, dateTime or instant into its precision range.
///
/// `space_as_plus` accepts a space in place of the `+` of a zone offset (search values only).
/// Errors name what is wrong (impossible calendar dates, bad zone, trailing garbage).
pub fn parse_range(s: &str, space_as_plus: bool) -> Result<DateRange, &'static str> {
    let mut c = Cursor {
        b: s.as_bytes(),
        pos: 0,
    };
    let year = i64::from(c.digits(4)?);
    if c.done() {
        return Ok(DateRange {
            start: day_start_ms(year, 1, 1),
            end: day_start_ms(year + 1, 1, 1),
        });
    }
    c.expect(b'-')?;
    let month = c.digits(2)?;
    if !(1..=12).contains(&month) {
        return Err("month must be 01..12");
    }
    if c.done() {
        let (ny, nm) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        return Ok(DateRange {
            start: day_start_ms(year, month, 1),
            end: day_start_ms(ny, nm, 1),
        });
    }
    c.expect(b'-')?;
    let day = c.digits(2)?;
    if day < 1 || day > days_in_month(year, month) {
        return Err("no such day in that month");
    }
    let day_ms = day_start_ms(year, month, day);
    if c.done() {
        return Ok(DateRange {
            start: day_ms,
            end: day_ms + MS_PER_DAY,
        });
    }
    c.expect(b'T').map_err(|_| "expected 'T' after the date")?;
    let hour = c.digits(2)?;
    c.expect(b':')?;
    let minute = c.digits(2)?;
    if hour > 23 || minute > 59 {
        return Err("time out of range");
    }
    let mut local = day_ms + i64::from(hour) * 3_600_000 + i64::from(minute) * 60_000;
    let mut width = 60_000;
    if c.peek() == Some(b':') {
        c.pos += 1;
        let second = c.digits(2)?;
        if second > 60 {
            return Err("seconds out of range");
        }
        local += i64::from(second) * 1000;
        width = 1000;
        if c.peek() == Some(b'.') {
            c.pos += 1;
            let mut n = 0;
            let mut ms = 0i64;
            while let Some(d) = c.peek().filter(u8::is_ascii_digit) {
                if n < 3 {
                    ms = ms * 10 + i64::from(d - b'0');
                }
                n += 1;
                c.pos += 1;
            }
            if n == 0 {
                return Err("empty fraction of a second");
            }
            for _ in n..3 {
                ms *= 10;
            }
            local += ms;
            width = 1;
        }
    }
    let offset_ms = match c.peek() {
        None => 0,
        Some(b'Z') => {
            c.pos += 1;
            0
        }
        Some(sign @ (b'+' | b'-' | b' ')) => {
            if sign == b' ' && !space_as_plus {
                return Err("unexpected space");
            }
            c.pos += 1;
            let oh = c.digits(2)?;
            c.expect(b':')?;
            let om = c.digits(2)?;
            if oh > 14 || om > 59 {
                return Err("zone offset out of range");
            }
            let v = i64::from(oh) * 3_600_000 + i64::from(om) * 60_000;
            if sign == b'-' {
                -v
            } else {
                v
            }
        }
        Some(_) => return Err("unexpected character after the time"),
    };
    if !c.done() {
        return Err("trailing characters");
    }
    let start = local - offset_ms;
    Ok(DateRange {
        start,
        end: start + width,
    })
}

/// The range of a date-valued element: a date/dateTime/instant string, or a Period object
/// (`[start.start, end.end)`; a missing start is open below, a missing end open above).
/// Unparseable values, empty Periods and Periods ending before they start give `None` (they never match and are never indexed).
pub fn element_range(v: &Value) -> Option<DateRange> {
    match v {
        Value::String(s) => parse_range(s, false).ok(),
        Value::Object(o) => {
            let start = match o.get("start") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(parse_range(s, false).ok()?.start),
                Some(_) => return None,
            };
            let end = match o.get("end") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(parse_range(s, false).ok()?.end),
                Some(_) => return None,
            };
            if start.is_none() && end.is_none() {
                return None;
            }
            let range = DateRange {
                start: start.unwrap_or(OPEN_START),
                end: end.unwrap_or(OPEN_END),
            };
            // An inverted Period breaks invariant per-1: not a usable value.
            (range.start < range.end).then_some(range)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> DateRange {
        parse_range(s, true).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn precisions() {
        let y2023 = day_start_ms(2023, 1, 1);
        assert_eq!(y2023, 1_672_531_200_000);
        assert_eq!(
            r("2023"),
            DateRange {
                start: y2023,
                end: day_start_ms(2024, 1, 1)
            }
        );
        assert_eq!(r("2023-12").end, day_start_ms(2024, 1, 1));
        assert_eq!(r("2024-02-29").end - r("2024-02-29").start, MS_PER_DAY);
        assert_eq!(
            r("2023-04-05T10:11").end - r("2023-04-05T10:11").start,
            60_000
        );
        let s = r("2023-04-05T10:11:12Z");
        assert_eq!(s.end - s.start, 1000);
        assert_eq!(s, r("2023-04-05T10:11:12"));
        assert_eq!(s, r("2023-04-05T15:11:12+05:00"));
        assert_eq!(s, r("2023-04-05T15:11:12 05:00"));
        assert_eq!(s, r("2023-04-05T05:11:12-05:00"));
        let f = r("2020-10-30T09:48:01.8462752-04:00");
        assert_eq!(f.end - f.start, 1);
        assert_eq!(f, r("2020-10-30T13:48:01.846Z"));
        assert_eq!(
            r("2020-10-30T13:48:01.8Z").start,
            r("2020-10-30T13:48:01.800Z").start
        );
        assert_eq!(r("1969-12-31T23:59:59.999Z").start, -1);
        for days in [-800_000, -1, 0, 59, 10_957, 19_000, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "202",
            "2023-13",
            "2023-00",
            "2023-02-30",
            "2023-02-29",
            "2023-04-31",
            "2023-4-05",
            "2023-04-05T",
            "2023-04-05T24:00",
            "2023-04-05T10:60",
            "2023-04-05T10:11:12+15:00",
            "2023-04-05T10:11:12.",
            "2023-04-05T10:11:12Zx",
            "2023-04-05 10:11:12",
            "abcd",
            "2023-04-05T10:11:12+0500",
            "2023-04-05x",
        ] {
            assert!(parse_range(bad, true).is_err(), "{bad}");
        }
        assert!(parse_range("2019-12-31T00:00:00 00:00", false).is_err());
    }

    #[test]
    fn periods() {
        let p = serde_json::json!({"start": "2019-01-01", "end": "2019-10-31"});
        let got = element_range(&p);
        assert_eq!(
            got,
            Some(DateRange {
                start: day_start_ms(2019, 1, 1),
                end: day_start_ms(2019, 11, 1)
            })
        );
        let open = element_range(&serde_json::json!({"start": "2019-01-01"}));
        assert_eq!(open.map(|r| r.hi_inclusive()), Some(OPEN_END));
        assert_eq!(element_range(&serde_json::json!({})), None);
        let inverted = serde_json::json!({"start": "2020-05-01", "end": "2020-04-30"});
        assert_eq!(element_range(&inverted), None);
        assert_eq!(
            element_range(&serde_json::json!({"start": "2019-02-30"})),
            None
        );
        assert_eq!(element_range(&serde_json::json!(3)), None);
    }
}
