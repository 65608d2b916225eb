//! Calendar days as plain day numbers (days since 1970-01-01), with the proleptic Gregorian
//! conversions from Howard Hinnant's `chrono`-compatible algorithms. Infallible and fast, which
//! matters when a run writes millions of dates.

use std::fmt::Write as _;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Day(pub i32);

impl Day {
    /// The day of a calendar date (`m` in 1..=12, `d` in 1..=31; out-of-range days roll over).
    pub(crate) const fn ymd(y: i32, m: u32, d: u32) -> Day {
        let y = if m <= 2 { y - 1 } else { y };
        let era = if y >= 0 { y } else { y - 399 } / 400;
        let yoe = y - era * 400;
        let mp = if m > 2 { m - 3 } else { m + 9 } as i32;
        let doy = (153 * mp + 2) / 5 + d as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Day(era * 146_097 + doe - 719_468)
    }

    /// `(year, month, day)`.
    pub(crate) const fn civil(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let y = yoe + era * 400;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        (if m <= 2 { y + 1 } else { y }, m, d)
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
