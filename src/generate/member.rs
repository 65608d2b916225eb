//! Synthetic members: demographics, coverages and related persons.

use super::codes::{
    Condition, Payer, Specialty, CONDITIONS, FAMILY, GIVEN_FEMALE, GIVEN_MALE, GROUPS,
    INDIVIDUAL_GROUP, LANGUAGES, MEDICARE_GROUP, PAYERS, PLACES, RACES, STREETS,
};
use super::day::Day;
use super::pools::{Org, Prac, View};
use super::rng::Rng;

/// First possible service date.
pub(crate) const SERVICE_START: Day = Day::ymd(2021, 1, 1);
/// Last possible service date (leaves room for receipt and payment before `DATA_END`).
pub(crate) const SERVICE_END: Day = Day::ymd(2025, 10, 31);
/// No date of any kind is later than this.
pub(crate) const DATA_END: Day = Day::ymd(2025, 12, 31);

pub(crate) struct Coverage {
    pub id: String,
    pub start: Day,
    pub end: Option<Day>,
    pub status: &'static str,
    pub payer: &'static Payer,
    pub plan: (&'static str, &'static str, &'static str),
    pub group: (&'static str, &'static str),
    pub relationship: &'static str,
    pub subscriber_id: String,
    pub dependent: &'static str,
}

impl Coverage {
    pub(crate) fn covers(&self, d: Day) -> bool {
        self.start <= d && self.end.is_none_or(|e| d <= e)
    }
}

pub(crate) struct Related {
    pub id: String,
    /// v3-RoleCode.
    pub code: &'static str,
    pub given: &'static str,
    pub family: &'static str,
    pub phone: String,
}

pub(crate) struct Member<'a> {
    pub n: u64,
    pub id: String,
    pub unique_id: String,
    pub gender: &'static str,
    pub birth_sex: &'static str,
    pub female: bool,
    pub given: &'static str,
    pub middle: Option<&'static str>,
    pub family: &'static str,
    pub dob: Day,
    pub death: Option<Day>,
    pub street: String,
    pub city: &'static str,
    pub county: &'static str,
    pub state: &'static str,
    pub zip: &'static str,
    pub phone: String,
    pub email: String,
    pub language: &'static str,
    pub race: &'static str,
    pub ethnicity: &'static str,
    pub coverages: Vec<Coverage>,
    pub related: Vec<Related>,
    pub conditions: Vec<&'static Condition>,
    pub pcp_clinic: &'a Org,
    pub pcp: &'a Prac,
    /// The member's dental office (its general dentist is the oral claims' PCP).
    pub dental_office: &'a Org,
    pub home_pharmacy: &'a Org,
    /// Claims happen in `window.0 ..= window.1`.
    pub window: (Day, Day),
    /// The two demo members (0 and 1) get every optional element.
    pub demo: bool,
}

impl Member<'_> {
    pub(crate) fn name(&self) -> String {
        match self.middle {
            Some(m) => format!("{} {} {}", self.given, m, self.family),
            None => format!("{} {}", self.given, self.family),
        }
    }

    pub(crate) fn age_on(&self, d: Day) -> i32 {
        self.dob.age_on(d)
    }

    /// The focal coverage for a service date and, when two coverages overlap, the other one
    /// (which paid first).
    pub(crate) fn coverage_at(&self, d: Day) -> (&Coverage, Option<&Coverage>) {
        let mut covering = self.coverages.iter().filter(|c| c.covers(d));
        let first = covering.next();
        let second = covering.next();
        match (first, second) {
            // The newer coverage is focal; the older (still open) one is the primary payer.
            (Some(a), Some(b)) => (b, Some(a)),
            (Some(a), None) => (a, None),
            // Outside every coverage (never happens for dates in the window): nearest one.
            _ => {
                let c = self
                    .coverages
                    .iter()
                    .rev()
                    .find(|c| c.start <= d)
                    .unwrap_or(&self.coverages[0]);
                (c, None)
            }
        }
    }

    /// The dates during which two coverages overlap, if any.
    pub(crate) fn overlap(&self) -> Option<(Day, Day)> {
        self.coverages.windows(2).find_map(|w| {
            let end = w[0].end?;
            (end >= w[1].start).then_some((w[1].start, end.min(self.window.1)))
        })
    }

    pub(crate) fn spouse_or_parent(&self) -> Option<&Related> {
        self.related
            .iter()
            .find(|r| matches!(r.code, "SPS" | "MTH" | "FTH"))
            .or(self.related.first())
    }
}

fn rand_day(r: &mut Rng, a: Day, b: Day) -> Day {
    a.plus(r.range(0, a.days_until(b).max(0)))
}

/// The enterprise-wide id: a bijection of `n` (unique for `n < 10^9`).
fn unique_member_id(n: u64) -> String {
    format!(
        "UM{:09}",
        (n.wrapping_mul(387_420_489) + 12_345_678) % 1_000_000_000
    )
}

pub(crate) fn make_member<'a>(r: &mut Rng, n: u64, view: &View<'a>) -> Member<'a> {
    let demo = n < 2;
    // Sex and gender.
    let x = r.below(1000);
    let (female, gender, birth_sex) = match x {
        0..=504 => (true, "F", "F"),
        505..=994 => (false, "M", "M"),
        995..=997 => (r.chance(0.5), "O", "UNK"),
        _ => (r.chance(0.5), "U", "UNK"),
    };
    let (female, gender, birth_sex) = if demo {
        if n == 0 {
            (true, "F", "F")
        } else {
            (false, "M", "M")
        }
    } else {
        (female, gender, birth_sex)
    };
    let dob = if demo {
        rand_day(r, Day::ymd(1956, 1, 1), Day::ymd(1975, 12, 31))
    } else {
        rand_day(r, Day::ymd(1930, 1, 1), Day::ymd(2020, 12, 31))
    };
    let given = if female {
        *r.pick(GIVEN_FEMALE)
    } else {
        *r.pick(GIVEN_MALE)
    };
    let middle = if r.chance(0.3) {
        Some(if female {
            *r.pick(GIVEN_FEMALE)
        } else {
            *r.pick(GIVEN_MALE)
        })
    } else {
        None
    };
    let family = *r.pick(FAMILY);
    // Most members live in the city (or at least the state) of their primary-care clinic.
    let pcp_clinic = view.primary_care_clinic(r);
    let same_city: Vec<usize> = (0..PLACES.len())
        .filter(|&i| PLACES[i].0 == pcp_clinic.city)
        .collect();
    let same_state: Vec<usize> = (0..PLACES.len())
        .filter(|&i| PLACES[i].2 == pcp_clinic.state)
        .collect();
    let place = match r.below(10) {
        0..=5 if !same_city.is_empty() => *r.pick(&same_city),
        6..=8 if !same_state.is_empty() => *r.pick(&same_state),
        _ => r.index(PLACES.len()),
    };
    let (city, county, state, zip, area) = PLACES[place];
    let mut street = format!("{} {}", r.range(1, 999), r.pick(STREETS));
    if r.chance(0.2) {
        street.push_str(&format!(
            " Apt {}{}",
            r.range(1, 6),
            r.pick(&["A", "B", "C"])
        ));
    }
    let phone = format!("{area}-555-01{:02}", r.below(100));
    let email_name: String = format!("{given}.{family}")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect::<String>()
        .to_ascii_lowercase();
    let email = format!("{email_name}{n}@example.com");
    let race = *r.weighted(RACES);
    let hispanic = r.chance(0.18);
    let ethnicity = if hispanic { "2135-2" } else { "2186-5" };
    let language = if hispanic && r.chance(0.45) {
        "es"
    } else {
        *r.weighted(LANGUAGES)
    };

    let age_2021 = dob.age_on(SERVICE_START);
    let death = if !demo && age_2021 >= 70 && r.chance(0.04) {
        Some(rand_day(r, Day::ymd(2022, 3, 1), SERVICE_END))
    } else {
        None
    };

    // Chronic conditions.
    let wanted = match age_2021 {
        _ if demo => 3,
        ..=17 => r.below(2) as usize,
        18..=44 => r.below(3) as usize,
        45..=64 => 1 + r.below(3) as usize,
        _ => 2 + r.below(3) as usize,
    };
    let mut conditions: Vec<&'static Condition> = Vec::new();
    if demo {
        // Hypertension and hyperlipidemia: both have drugs and a specialist.
        conditions.push(&CONDITIONS[0]);
        conditions.push(&CONDITIONS[1]);
    }
    let mut tries = 0;
    while conditions.len() < wanted && tries < 20 {
        tries += 1;
        let eligible: Vec<(&'static Condition, u32)> = CONDITIONS
            .iter()
            .filter(|c| c.min_age <= age_2021 && !conditions.iter().any(|k| k.dx.0 == c.dx.0))
            .map(|c| (c, c.weight))
            .collect();
        if eligible.is_empty() {
            break;
        }
        conditions.push(*r.weighted(&eligible));
    }

    // Primary care.
    let pcp_specialty = if age_2021 < 18 {
        Specialty::Pediatrics
    } else {
        *r.weighted(&[
            (Specialty::FamilyMedicine, 5),
            (Specialty::InternalMedicine, 4),
            (Specialty::NursePractitioner, 2),
        ])
    };
    let pcp = pcp_clinic
        .staff_with(pcp_specialty)
        .unwrap_or(&pcp_clinic.staff[0]);
    let dental_office = view.dental(r, state);
    let home_pharmacy = view.pharmacy(r, state);

    let id = super::member_id(n);
    let (coverages, window) = make_coverages(r, n, &id, dob, death, demo);
    let related = make_related(r, n, family, area, dob, &coverages, demo);

    Member {
        n,
        unique_id: unique_member_id(n),
        id,
        gender,
        birth_sex,
        female,
        given,
        middle,
        family,
        dob,
        death,
        street,
        city,
        county,
        state,
        zip,
        phone,
        email,
        language,
        race,
        ethnicity,
        coverages,
        related,
        conditions,
        pcp_clinic,
        pcp,
        dental_office,
        home_pharmacy,
        window,
        demo,
    }
}

fn make_coverages(
    r: &mut Rng,
    n: u64,
    member_id: &str,
    dob: Day,
    death: Option<Day>,
    demo: bool,
) -> (Vec<Coverage>, (Day, Day)) {
    let k = if demo {
        2
    } else {
        *r.weighted(&[(1usize, 45), (2, 40), (3, 15)])
    };
    let first_start = rand_day(r, Day::ymd(2012, 1, 1), Day::ymd(2020, 12, 31)).month_start_plus(0);
    let first_start = first_start.max(dob);
    // Switch dates: one per segment of April 2021 … January 2025.
    let mut starts = vec![first_start];
    let seg_months = 45 / (k as i32 - 1).max(1);
    for i in 1..k {
        let base = Day::ymd(2021, 4, 1).month_start_plus(seg_months * (i as i32 - 1));
        let offset = r.range(0, i64::from(seg_months - 1).max(0)) as i32;
        let s = base
            .month_start_plus(offset)
            .max(first_start.month_start_plus(3));
        starts.push(s.max(starts[i - 1].month_start_plus(3)));
    }
    let mut ends: Vec<Option<Day>> = (0..k)
        .map(|i| starts.get(i + 1).map(|s| s.plus(-1)))
        .collect();
    // Overlapping coverage: the older plan keeps running for a while after the new one starts.
    if k >= 2 && (demo || r.chance(0.2)) {
        let last = starts[k - 1];
        let months = if demo { 12 } else { r.range(6, 14) as i32 };
        ends[k - 2] = Some(last.month_start_plus(months).plus(-1).min(SERVICE_END));
    }
    // The last coverage: open, ended by death, or (rarely) terminated.
    let last_start = starts[k - 1];
    ends[k - 1] = match death {
        Some(d) => Some(d.max(last_start)),
        None if !demo && r.chance(0.04) => {
            let e = rand_day(r, Day::ymd(2024, 6, 30), Day::ymd(2025, 9, 30));
            Some(e.max(last_start.month_start_plus(6).plus(-1)))
        }
        None => None,
    };

    // Payers: distinct per coverage; Medicare Advantage only from age 65.
    let mut payer_order: Vec<usize> = (0..PAYERS.len()).collect();
    for i in (1..payer_order.len()).rev() {
        let j = r.index(i + 1);
        payer_order.swap(i, j);
    }
    let mut used: Vec<usize> = Vec::new();
    let mut coverages = Vec::with_capacity(k);
    for i in 0..k {
        let start = starts[i];
        let age = dob.age_on(start);
        let payer_idx = {
            let medicare_ok = |p: usize| PAYERS[p].medicare == (age >= 65);
            payer_order
                .iter()
                .copied()
                .find(|p| !used.contains(p) && medicare_ok(*p))
                .or_else(|| payer_order.iter().copied().find(|p| !used.contains(p)))
                .unwrap_or(payer_order[0])
        };
        used.push(payer_idx);
        let payer = &PAYERS[payer_idx];
        let plan = *r.pick(payer.plans);
        let group = if payer.medicare {
            MEDICARE_GROUP
        } else if plan.2 == "HIP" {
            INDIVIDUAL_GROUP
        } else {
            *r.pick(GROUPS)
        };
        let (relationship, subscriber_id, dependent) = if age < 18 || (age < 26 && r.chance(0.4)) {
            (
                "child",
                format!("S{:08}", super::pools::scramble(n * 4 + 1, 100_000_000)),
                *r.pick(&["01", "02", "03"]),
            )
        } else if !payer.medicare && !demo && r.chance(0.12) {
            (
                "spouse",
                format!("S{:08}", super::pools::scramble(n * 4 + 2, 100_000_000)),
                "01",
            )
        } else {
            ("self", member_id.to_string(), "00")
        };
        let end = ends[i];
        let status = match end {
            None => "active",
            Some(_) if demo && n == 1 => "cancelled",
            Some(_) if demo => "active",
            Some(_) if r.chance(0.4) => "cancelled",
            Some(_) => "active",
        };
        coverages.push(Coverage {
            id: format!("CV{:05}-{}", n, i + 1),
            start,
            end,
            status,
            payer,
            plan,
            group,
            relationship,
            subscriber_id,
            dependent,
        });
    }
    let w0 = SERVICE_START.max(first_start).max(dob);
    let mut w1 = SERVICE_END;
    if let Some(e) = ends[k - 1] {
        w1 = w1.min(e);
    }
    if let Some(d) = death {
        // Leave room for the longest stay to end before the date of death.
        w1 = w1.min(d.plus(-10));
    }
    let w1 = w1.max(w0);
    (coverages, (w0, w1))
}

fn make_related(
    r: &mut Rng,
    n: u64,
    family: &'static str,
    area: &str,
    dob: Day,
    coverages: &[Coverage],
    demo: bool,
) -> Vec<Related> {
    let age = dob.age_on(SERVICE_START);
    let mut codes: Vec<&'static str> = Vec::new();
    let child_coverage = coverages.iter().any(|c| c.relationship == "child");
    if age < 18 || child_coverage {
        if r.chance(0.75) {
            codes.push("MTH");
        }
        if codes.is_empty() || r.chance(0.55) {
            codes.push("FTH");
        }
    } else {
        let spouse_coverage = coverages.iter().any(|c| c.relationship == "spouse");
        if demo || spouse_coverage || (age >= 25 && r.chance(0.3)) {
            codes.push("SPS");
        }
        if age >= 75 && r.chance(0.3) {
            codes.push(if r.chance(0.85) { "CHILD" } else { "GRD" });
        }
    }
    codes
        .into_iter()
        .enumerate()
        .map(|(i, code)| {
            let female = match code {
                "MTH" => true,
                "FTH" => false,
                _ => r.chance(0.5),
            };
            let given = if female {
                *r.pick(GIVEN_FEMALE)
            } else {
                *r.pick(GIVEN_MALE)
            };
            let family = if code == "GRD" {
                *r.pick(FAMILY)
            } else {
                family
            };
            Related {
                id: format!("RP{:05}-{}", n, i + 1),
                code,
                given,
                family,
                phone: format!("{area}-555-01{:02}", r.below(100)),
            }
        })
        .collect()
}
