//! Calendar days as plain day numbers (days since 1970-01-01), converted by
//! `fhir::datetime` (Howard Hinnant's algorithms). Infallible and fast, which matters when a
//! run writes millions of dates.

use std::fmt::Write as _;

use crate::fhir::datetime::{civil_from_days, days_from_civil};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Day(pub i32);

impl Day {
    /// The day of a calendar date (`m` in 1..=12, `d` in 1..=31; out-of-range days roll over).
    pub(crate) const fn ymd(y: i32, m: u32, d: u32) -> Day {
        Day(days_from_civil(y as i64, m, d) as i32)
    }

    /// `(year, month, day)`.
    pub(crate) const fn civil(self) -> (i32, u32, u32) {
        let (y, m, d) = civil_from_days(self.0 as i64);
        (y as i32, m, d)
    }

    pub(crate) fn plus(self, days: i64) -> Day {
        Day(self.0 + days as i32)
    }

    pub(crate) fn days_until(self, later: Day) -> i64 {
        i64::from(later.0 - self.0)
    }

    /// The first day of the month `months` after this day's month.
    pub(crate) fn month_start_plus(self, months: i32) -> Day {
        let (y, m, _) = self.civil();
        let idx = y * 12 + (m as i32 - 1) + months;
        Day::ymd(idx.div_euclid(12), (idx.rem_euclid(12) + 1) as u32, 1)
    }

    /// Whole years from `self` (a birth date) to `on`.
    pub(crate) fn age_on(self, on: Day) -> i32 {
        let (y1, m1, d1) = self.civil();
        let (y2, m2, d2) = on.civil();
        y2 - y1 - i32::from((m2, d2) < (m1, d1))
    }

    pub(crate) fn write_to(self, s: &mut String) {
        let (y, m, d) = self.civil();
        let _ = write!(s, "{y:04}-{m:02}-{d:02}");
    }

    pub(crate) fn to_iso(self) -> String {
        let mut s = String::with_capacity(10);
        self.write_to(&mut s);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_the_time_crate() {
        let epoch = time::macros::date!(1970 - 01 - 01);
        for n in (-40_000..40_000).step_by(37) {
            let d = Day(n);
            let t = epoch + time::Duration::days(i64::from(n));
            assert_eq!(
                d.civil(),
                (t.year(), u32::from(u8::from(t.month())), u32::from(t.day()))
            );
            let (y, m, dd) = d.civil();
            assert_eq!(Day::ymd(y, m, dd), d);
        }
        assert_eq!(Day::ymd(2021, 1, 1).to_iso(), "2021-01-01");
        assert_eq!(Day::ymd(2024, 2, 29).plus(1).to_iso(), "2024-03-01");
        assert_eq!(
            Day::ymd(2024, 11, 15).month_start_plus(3).to_iso(),
            "2025-02-01"
        );
        assert_eq!(Day::ymd(1980, 6, 15).age_on(Day::ymd(2021, 6, 14)), 40);
        assert_eq!(Day::ymd(1980, 6, 15).age_on(Day::ymd(2021, 6, 15)), 41);
    }
}
