//! The calendar and the FHIR date, dateTime and instant formats: the one home of the
//! proleptic Gregorian day arithmetic (search ranges, the generator's day numbers, the
//! checker's real-date test) and of the strict format checks.
//!
//! The search parser (`fhir::search::date::parse_range`) is deliberately more lenient than
//! these checks (a dateTime without a zone, minutes without seconds), as FHIR search allows.

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = ((month + 9) % 12) as i64;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `(year, month, day)` of a day count since 1970-01-01 (inverse of [`days_from_civil`]).
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + (month <= 2) as i64;
    (year, month, day)
}

const fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days in `month` of `year` (0 for a month outside 1..=12).
pub const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

// --- formats -----------------------------------------------------------------------------------

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// FHIR `date`: `YYYY`, `YYYY-MM` or `YYYY-MM-DD` (year 0001-9999, real calendar dates).
pub fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.is_empty() || parts.len() > 3 || parts[0].len() != 4 || !digits(parts[0]) {
        return false;
    }
    let y: u32 = parts[0].parse().unwrap_or(0);
    if y == 0 {
        return false;
    }
    if parts.len() >= 2 {
        if parts[1].len() != 2 || !digits(parts[1]) {
            return false;
        }
        let m: u32 = parts[1].parse().unwrap_or(0);
        if !(1..=12).contains(&m) {
            return false;
        }
        if parts.len() == 3 {
            if parts[2].len() != 2 || !digits(parts[2]) {
                return false;
            }
            let d: u32 = parts[2].parse().unwrap_or(0);
            if d == 0 || d > days_in_month(i64::from(y), m) {
                return false;
            }
        }
    }
    true
}

fn is_time_with_zone(t: &str) -> bool {
    // hh:mm:ss(.f+)?(Z|(+|-)hh:mm)
    let (clock, zone) = if let Some(c) = t.strip_suffix('Z') {
        (c, None)
    } else if t.len() > 6
        && (t.as_bytes()[t.len() - 6] == b'+' || t.as_bytes()[t.len() - 6] == b'-')
    {
        (&t[..t.len() - 6], Some(&t[t.len() - 5..]))
    } else {
        return false;
    };
    if let Some(z) = zone {
        let zb = z.as_bytes();
        if zb.len() != 5 || zb[2] != b':' || !digits(&z[..2]) || !digits(&z[3..]) {
            return false;
        }
        let zh: u32 = z[..2].parse().unwrap_or(99);
        let zm: u32 = z[3..].parse().unwrap_or(99);
        if !(zh <= 13 && zm <= 59 || zh == 14 && zm == 0) {
            return false;
        }
    }
    let (hms, frac) = match clock.split_once('.') {
        Some((a, f)) => (a, Some(f)),
        None => (clock, None),
    };
    if frac.is_some_and(|f| !digits(f)) {
        return false;
    }
    let p: Vec<&str> = hms.split(':').collect();
    if p.len() != 3 || p.iter().any(|x| x.len() != 2 || !digits(x)) {
        return false;
    }
    let h: u32 = p[0].parse().unwrap_or(99);
    let m: u32 = p[1].parse().unwrap_or(99);
    let sec: u32 = p[2].parse().unwrap_or(99);
    h <= 23 && m <= 59 && sec <= 60
}

/// FHIR `dateTime`: a date, or a full date with time and time zone.
pub fn is_datetime(s: &str) -> bool {
    match s.split_once('T') {
        None => is_date(s),
        Some((d, t)) => d.len() == 10 && is_date(d) && is_time_with_zone(t),
    }
}

/// FHIR `instant`: full date, time (seconds) and zone.
pub fn is_instant(s: &str) -> bool {
    matches!(s.split_once('T'), Some((d, t)) if d.len() == 10 && is_date(d) && is_time_with_zone(t))
}
