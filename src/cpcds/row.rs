//! Typed access to one CSV row, with errors that name file, line and column.

use std::path::Path;

use csv::StringRecord;
use time::Date;

use super::columns::{Column, Dialect, Layout};
use super::error::{IngestError, Place};

/// Money in cents.
pub type Cents = i64;

pub struct Row<'a> {
    pub record: &'a StringRecord,
    pub layout: &'a Layout,
    pub file: &'a Path,
    pub line: u64,
}

impl<'a> Row<'a> {
    /// The cell's text, trimmed; empty when the column is absent from this file.
    pub fn text<C: Column>(&self, c: C) -> &'a str {
        self.layout
            .position(c)
            .and_then(|i| self.record.get(i))
            .map_or("", str::trim)
    }

    /// The cell's text when it is not empty.
    pub fn opt<C: Column>(&self, c: C) -> Option<&'a str> {
        Some(self.text(c)).filter(|s| !s.is_empty())
    }

    pub fn required<C: Column + std::fmt::Debug>(&self, c: C) -> Result<&'a str, IngestError> {
        if !self.layout.has(c) {
            return Err(self.error_at(
                None,
                format!("missing required column {:?}", c.aliases()[0]),
            ));
        }
        self.opt(c)
            .ok_or_else(|| self.error(c, "required value is empty"))
    }

    pub fn date<C: Column>(&self, c: C) -> Result<Option<Date>, IngestError> {
        self.opt(c)
            .map(|s| self.parse_date(s))
            .transpose()
            .map_err(|reason| self.error(c, reason))
            .map(Option::flatten)
    }

    /// A date that must be present and known.
    pub fn required_date<C: Column + std::fmt::Debug>(&self, c: C) -> Result<Date, IngestError> {
        let raw = self.required(c)?;
        self.parse_date(raw)
            .map_err(|reason| self.error(c, reason))?
            .ok_or_else(|| {
                self.error(
                    c,
                    format!("{raw:?} stands for an unknown date, but a date is required"),
                )
            })
    }

    /// Synthea renders "unknown" as the epoch; in files of this project's own dialect
    /// 1970-01-01 is a real date (people are born on it).
    fn parse_date(&self, s: &str) -> Result<Option<Date>, String> {
        if self.layout.dialect == Dialect::Canonical {
            parse_iso_date(s).map(Some)
        } else {
            parse_date(s)
        }
    }

    pub fn money<C: Column>(&self, c: C) -> Result<Option<Cents>, IngestError> {
        self.opt(c)
            .map(parse_money)
            .transpose()
            .map_err(|reason| self.error(c, reason))
    }

    pub fn number<C: Column>(&self, c: C) -> Result<Option<f64>, IngestError> {
        self.opt(c)
            .map(|s| {
                s.parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| format!("{s:?} is not a number"))
            })
            .transpose()
            .map_err(|reason| self.error(c, reason))
    }

    pub fn boolean<C: Column>(&self, c: C) -> Result<Option<bool>, IngestError> {
        self.opt(c)
            .map(|s| match s.to_ascii_lowercase().as_str() {
                "true" | "t" | "yes" | "y" | "1" => Ok(true),
                "false" | "f" | "no" | "n" | "0" => Ok(false),
                _ => Err(format!("{s:?} is not true or false")),
            })
            .transpose()
            .map_err(|reason| self.error(c, reason))
    }

    pub fn error<C: Column>(&self, c: C, reason: impl Into<String>) -> IngestError {
        let column = self
            .layout
            .position(c)
            .map(|i| (i + 1, self.layout.header(i).to_string()));
        self.error_at(column, reason)
    }

    pub fn error_at(
        &self,
        column: Option<(usize, String)>,
        reason: impl Into<String>,
    ) -> IngestError {
        IngestError::Row {
            place: Place {
                file: self.file.to_path_buf(),
                line: self.line,
                column,
            },
            reason: reason.into(),
        }
    }
}

/// Checks that every row of `more` holds `first`'s text in each of `columns` (those the file
/// has). Rows that repeat one record's columns (a claim's claim-level columns, a D1 coverage's
/// plan facts) are read from their first row only, so a row that says otherwise — a typo, a
/// malformed value, two records sharing a key — is an error at that row's cell, not dropped.
pub fn same_on_every_row<C: Column>(
    first: &Row<'_>,
    more: &[Row<'_>],
    columns: &[C],
    what: &str,
) -> Result<(), IngestError> {
    let present: Vec<C> = columns
        .iter()
        .copied()
        .filter(|c| first.layout.has(*c))
        .collect();
    for row in more {
        for &c in &present {
            let (want, here) = (first.text(c), row.text(c));
            if here != want {
                return Err(row.error(
                    c,
                    format!(
                        "{here:?} differs from {want:?} on line {} of the same {what}; this column must hold the same value on every row of it",
                        first.line
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// `yyyy-MM-dd`, optionally followed by a time part. Synthea's rendering of "unknown"
/// (`1969-12-31`, `1970-01-01`) reads as `None`.
pub fn parse_date(s: &str) -> Result<Option<Date>, String> {
    if s.starts_with("1969-12-31") || s.starts_with("1970-01-01") {
        return Ok(None);
    }
    parse_iso_date(s).map(Some)
}

/// `yyyy-MM-dd`, optionally followed by a time part.
pub fn parse_iso_date(s: &str) -> Result<Date, String> {
    let day = s.get(..10).filter(|_| {
        s.len() == 10 || s.as_bytes().get(10) == Some(&b'T') || s.as_bytes().get(10) == Some(&b' ')
    });
    let Some(day) = day else {
        return Err(format!("{s:?} is not a date (expected yyyy-MM-dd)"));
    };
    let b = day.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        let part = day.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(y), Some(m), Some(d)) = (digits(0..4), digits(5..7), digits(8..10)) else {
        return Err(format!("{s:?} is not a date (expected yyyy-MM-dd)"));
    };
    if b[4] != b'-' || b[7] != b'-' {
        return Err(format!("{s:?} is not a date (expected yyyy-MM-dd)"));
    }
    let month = u8::try_from(m)
        .ok()
        .and_then(|m| time::Month::try_from(m).ok())
        .ok_or_else(|| format!("{s:?} is not a real date (month {m})"))?;
    let year = i32::try_from(y).map_err(|_| format!("{s:?} is not a date"))?;
    let day_of_month = u8::try_from(d).map_err(|_| format!("{s:?} is not a date"))?;
    Date::from_calendar_date(year, month, day_of_month)
        .map_err(|_| format!("{s:?} is not a real date"))
}

/// A decimal amount (plain or scientific notation) rounded half-even to cents.
pub fn parse_money(s: &str) -> Result<Cents, String> {
    let cleaned = s.trim_start_matches('$').replace(',', "");
    let value: f64 = cleaned
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite())
        .ok_or_else(|| format!("{s:?} is not an amount"))?;
    if value.abs() > 1e13 {
        return Err(format!("{s:?} is out of range for an amount"));
    }
    // The bound above keeps the product well inside i64.
    Ok((value * 100.0).round_ties_even() as Cents)
}

/// `1234` cents → `12.34` as a JSON number.
pub fn cents_json(c: Cents) -> serde_json::Value {
    let v = c as f64 / 100.0;
    serde_json::Number::from_f64(v).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

pub fn fhir_date(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_accept_iso_and_treat_epoch_as_unknown() {
        assert_eq!(
            fhir_date(parse_date("2022-02-03").unwrap().unwrap()),
            "2022-02-03"
        );
        assert_eq!(
            fhir_date(parse_date("2022-02-03T00:00:00+00:00").unwrap().unwrap()),
            "2022-02-03"
        );
        assert_eq!(parse_date("1969-12-31").unwrap(), None);
        assert_eq!(parse_date("1970-01-01").unwrap(), None);
        assert!(parse_date("2023-02-30")
            .unwrap_err()
            .contains("not a real date"));
        assert!(parse_date("2023-13-01").is_err());
        assert!(parse_date("03/04/2022").is_err());
        assert!(parse_date("2022-1-3").is_err());
    }

    #[test]
    fn money_handles_java_doubles() {
        assert_eq!(parse_money("0"), Ok(0));
        assert_eq!(parse_money("0.0"), Ok(0));
        assert_eq!(parse_money("129.16"), Ok(12916));
        assert_eq!(parse_money("6067.759999999999"), Ok(606_776));
        assert_eq!(parse_money("1.2345678E7"), Ok(1_234_567_800));
        assert_eq!(parse_money("0.125"), Ok(12)); // half-even
        assert!(parse_money("abc").is_err());
        assert!(parse_money("NaN").is_err());
        assert_eq!(cents_json(12916).to_string(), "129.16");
    }
}
