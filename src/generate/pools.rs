//! Provider organizations, practitioners and NPIs.
//!
//! Every organization and practitioner is a pure function of `(seed, kind, index)`, and the pools
//! only grow with the number of beneficiaries: member `n` only ever draws from the prefix of each
//! pool that exists for a run of `n + 1` members, so its data does not depend on the run size.

use super::codes::{
    Specialty, CLINIC_SPECIALTIES, FAMILY, GIVEN_FEMALE, GIVEN_MALE, PLACES, STREETS,
};
use super::rng::{mix64, stream, Rng};

/// The Luhn check digit of an NPI whose first nine digits are `first_nine`.
///
/// The check digit is computed over the card-issuer prefix `80840` followed by the nine digits
/// (the prefix contributes a constant 24 to the Luhn sum).
pub fn npi_check_digit(first_nine: u64) -> u64 {
    let mut sum = 24;
    let mut rest = first_nine;
    for i in 0..9 {
        let d = rest % 10;
        rest /= 10;
        // The rightmost of the nine digits sits next to the check digit, so it is doubled.
        sum += if i % 2 == 0 {
            let x = d * 2;
            x / 10 + x % 10
        } else {
            d
        };
    }
    (10 - sum % 10) % 10
}

/// True for a 10-digit NPI with a valid check digit.
pub fn is_valid_npi(npi: &str) -> bool {
    npi.len() == 10
        && npi.bytes().all(|b| b.is_ascii_digit())
        && npi
            .parse::<u64>()
            .is_ok_and(|n| npi_check_digit(n / 10) == n % 10)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrgKind {
    Hospital,
    Clinic,
    Pharmacy,
    Dental,
    Ambulance,
}

impl OrgKind {
    fn code(self) -> u64 {
        match self {
            OrgKind::Hospital => 1,
            OrgKind::Clinic => 2,
            OrgKind::Pharmacy => 3,
            OrgKind::Dental => 4,
            OrgKind::Ambulance => 5,
        }
    }

    /// The `Type` column of `Organizations.csv`.
    pub(crate) fn type_text(self) -> &'static str {
        match self {
            OrgKind::Hospital => "Hospital",
            OrgKind::Clinic => "Clinic",
            OrgKind::Pharmacy => "Pharmacy",
            OrgKind::Dental => "Dental Office",
            OrgKind::Ambulance => "Ambulance Service",
        }
    }
}

#[derive(Debug)]
pub(crate) struct Prac {
    pub npi: u64,
    pub given: &'static str,
    pub family: &'static str,
    pub specialty: Specialty,
}

impl Prac {
    pub(crate) fn display_name(&self) -> String {
        if self.specialty.is_physician() {
            format!("Dr. {} {}", self.given, self.family)
        } else {
            format!("{} {}", self.given, self.family)
        }
    }
}

#[derive(Debug)]
pub(crate) struct Org {
    pub npi: u64,
    pub kind: OrgKind,
    pub name: String,
    pub street: String,
    pub city: &'static str,
    pub state: &'static str,
    pub zip: &'static str,
    pub phone: String,
    pub tax_id: String,
    pub staff: Vec<Prac>,
}

impl Org {
    /// The first staff member with this specialty.
    pub(crate) fn staff_with(&self, s: Specialty) -> Option<&Prac> {
        self.staff.iter().find(|p| p.specialty == s)
    }
}

/// How many organizations of each kind exist for a run of `n` beneficiaries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Sizes {
    pub clinics: usize,
    pub hospitals: usize,
    pub pharmacies: usize,
    pub dental: usize,
    pub ambulance: usize,
}

impl Sizes {
    pub(crate) fn for_count(n: u64) -> Sizes {
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        Sizes {
            clinics: (18 + n / 100).min(400),
            hospitals: (3 + n / 2000).min(40),
            pharmacies: (5 + n / 1000).min(100),
            dental: (3 + n / 1500).min(60),
            ambulance: (1 + n / 10_000).min(8),
        }
    }
}

/// A keyed bijection of `0..10^8` (a four-round Feistel network on two base-10^4 halves), so
/// that distinct serial numbers become distinct, random-looking NPIs.
struct NpiMaker {
    keys: [u64; 4],
}

const NPI_SPACE: u64 = 100_000_000;
const HALF: u64 = 10_000;

impl NpiMaker {
    fn new(seed: u64) -> Self {
        let mut r = Rng::derive(seed, stream::NPI, 0);
        NpiMaker {
            keys: [r.next_u64(), r.next_u64(), r.next_u64(), r.next_u64()],
        }
    }

    fn permute(&self, x: u64) -> u64 {
        let (mut l, mut r) = ((x % NPI_SPACE) / HALF, x % HALF);
        for k in self.keys {
            let f = mix64(r ^ k) % HALF;
            (l, r) = (r, (l + f) % HALF);
        }
        l * HALF + r
    }

    fn npi(&self, serial: u64) -> u64 {
        let first_nine = NPI_SPACE + self.permute(serial); // leading digit 1
        first_nine * 10 + npi_check_digit(first_nine)
    }
}

/// All provider organizations (with their staff) of a run.
pub(crate) struct Pools {
    pub hospitals: Vec<Org>,
    pub clinics: Vec<Org>,
    pub pharmacies: Vec<Org>,
    pub dental: Vec<Org>,
    pub ambulance: Vec<Org>,
    /// Per specialty (by discriminant): `(clinic index, staff index)` in clinic order.
    specialists: Vec<Vec<(usize, usize)>>,
}

const SAINTS: &[&str] = &[
    "St. Mary's",
    "St. Joseph's",
    "St. Luke's",
    "St. Vincent's",
    "St. Anne's",
    "Good Samaritan",
    "Mercy",
    "Holy Cross",
];

fn staff_slots(kind: OrgKind, k: usize) -> Vec<Specialty> {
    match kind {
        OrgKind::Hospital => vec![
            Specialty::Hospitalist,
            Specialty::Hospitalist,
            Specialty::EmergencyMedicine,
            Specialty::GeneralSurgery,
            Specialty::Orthopedics,
            Specialty::Cardiology,
            Specialty::ObGyn,
            Specialty::Anesthesiology,
            Specialty::Radiology,
            Specialty::Pathology,
        ],
        OrgKind::Clinic if is_primary_care_clinic(k) => vec![
            Specialty::FamilyMedicine,
            Specialty::InternalMedicine,
            Specialty::Pediatrics,
            Specialty::NursePractitioner,
        ],
        OrgKind::Clinic => {
            let j = k / 3;
            let n = CLINIC_SPECIALTIES.len();
            vec![
                CLINIC_SPECIALTIES[(2 * j) % n],
                CLINIC_SPECIALTIES[(2 * j + 1) % n],
                Specialty::PhysicianAssistant,
            ]
        }
        OrgKind::Pharmacy => vec![Specialty::Pharmacist],
        OrgKind::Dental => vec![
            Specialty::GeneralDentist,
            Specialty::DentalHygienist,
            Specialty::Orthodontist,
            Specialty::OralSurgeon,
        ],
        OrgKind::Ambulance => vec![Specialty::Paramedic, Specialty::Emt],
    }
}

/// Clinics `0, 1, 3, 4, 6, 7, …` are primary care; `2, 5, 8, …` are specialist clinics.
pub(crate) fn is_primary_care_clinic(k: usize) -> bool {
    k % 3 != 2
}

fn make_org(seed: u64, npis: &NpiMaker, kind: OrgKind, k: usize) -> Org {
    let mut r = Rng::derive(seed, stream::ORG + kind.code(), k as u64);
    let &(city, county, state, zip, area) = r.pick(PLACES);
    let family = *r.pick(FAMILY);
    let street = format!("{} {}", r.range(1, 2400), r.pick(STREETS));
    let name = match kind {
        OrgKind::Hospital => match r.below(4) {
            0 => format!("{city} General Hospital"),
            1 => format!("{} Medical Center", r.pick(SAINTS)),
            2 => format!("{family} Memorial Hospital"),
            _ => format!(
                "{} Regional Medical Center",
                county.trim_end_matches(" County")
            ),
        },
        OrgKind::Clinic if is_primary_care_clinic(k) => match r.below(4) {
            0 => format!("{city} Family Medicine"),
            1 => format!("{family} Primary Care Associates"),
            2 => format!("{city} Community Health Center"),
            _ => format!("{family} and Partners Internal Medicine"),
        },
        OrgKind::Clinic => match r.below(3) {
            0 => format!("{city} Specialty Physicians"),
            1 => format!("{family} Specialty Care Group"),
            _ => format!("{county} Specialists"),
        },
        OrgKind::Pharmacy => match r.below(3) {
            0 => format!("{family} Pharmacy"),
            1 => format!("{city} Community Pharmacy"),
            _ => format!("Corner Drug #{}", k + 1),
        },
        OrgKind::Dental => match r.below(3) {
            0 => format!("{city} Family Dental"),
            1 => format!("Bright Smile Dental of {city}"),
            _ => format!("{family} Dental Group"),
        },
        OrgKind::Ambulance => format!("{county} Ambulance Service"),
    };
    let phone = format!("{area}-555-01{:02}", r.below(100));
    const EIN_PREFIXES: &[u64] = &[4, 6, 5, 2, 22, 23, 26, 27, 13, 14, 16, 20];
    let tax_id = format!("{:02}{:07}", r.pick(EIN_PREFIXES), r.below(10_000_000));
    let org_npi = npis.npi(kind.code() * 100_000 + k as u64);
    let staff = staff_slots(kind, k)
        .into_iter()
        .enumerate()
        .map(|(slot, specialty)| {
            let mut pr = Rng::derive(
                seed,
                stream::PRACTITIONER + kind.code(),
                (k as u64) * 16 + slot as u64,
            );
            let given = if pr.chance(0.5) {
                *pr.pick(GIVEN_FEMALE)
            } else {
                *pr.pick(GIVEN_MALE)
            };
            Prac {
                npi: npis.npi(10_000_000 + kind.code() * 1_000_000 + (k as u64) * 16 + slot as u64),
                given,
                family: pr.choose(FAMILY),
                specialty,
            }
        })
        .collect();
    Org {
        npi: org_npi,
        kind,
        name,
        street,
        city,
        state,
        zip,
        phone,
        tax_id,
        staff,
    }
}

impl Pools {
    pub(crate) fn build(seed: u64, sizes: Sizes) -> Pools {
        let npis = NpiMaker::new(seed);
        let make = |kind, n: usize| -> Vec<Org> {
            (0..n).map(|k| make_org(seed, &npis, kind, k)).collect()
        };
        let clinics = make(OrgKind::Clinic, sizes.clinics);
        let mut specialists = vec![Vec::new(); Specialty::Pharmacist as usize + 1];
        for (k, c) in clinics.iter().enumerate() {
            if is_primary_care_clinic(k) {
                continue;
            }
            for (i, p) in c.staff.iter().enumerate() {
                specialists[p.specialty as usize].push((k, i));
            }
        }
        Pools {
            hospitals: make(OrgKind::Hospital, sizes.hospitals),
            clinics,
            pharmacies: make(OrgKind::Pharmacy, sizes.pharmacies),
            dental: make(OrgKind::Dental, sizes.dental),
            ambulance: make(OrgKind::Ambulance, sizes.ambulance),
            specialists,
        }
    }

    /// All organizations in file order.
    pub(crate) fn all_orgs(&self) -> impl Iterator<Item = &Org> {
        self.hospitals
            .iter()
            .chain(&self.clinics)
            .chain(&self.pharmacies)
            .chain(&self.dental)
            .chain(&self.ambulance)
    }

    /// The pools as seen by one member: only the prefixes that exist in a run of `n + 1`.
    pub(crate) fn view(&self, member: u64) -> View<'_> {
        View {
            pools: self,
            sizes: Sizes::for_count(member + 1),
        }
    }
}

/// A member's window on the pools.
pub(crate) struct View<'a> {
    pools: &'a Pools,
    sizes: Sizes,
}

/// Mostly an organization in `state` (when one exists among the first `n`), sometimes any.
fn near<'a>(orgs: &'a [Org], n: usize, state: &str, r: &mut Rng) -> &'a Org {
    let n = n.min(orgs.len());
    if r.chance(0.85) {
        let local = orgs[..n].iter().filter(|o| o.state == state).count();
        if local > 0 {
            let k = r.index(local);
            if let Some(o) = orgs[..n].iter().filter(|o| o.state == state).nth(k) {
                return o;
            }
        }
    }
    &orgs[r.index(n)]
}

impl<'a> View<'a> {
    pub(crate) fn primary_care_clinic(&self, r: &mut Rng) -> &'a Org {
        let c = self.sizes.clinics;
        let count = (c / 3) * 2 + (c % 3).min(2);
        let j = r.index(count);
        &self.pools.clinics[(j / 2) * 3 + j % 2]
    }

    /// A specialist clinic (preferably in `state`) and a practitioner of that specialty, if any
    /// exists yet.
    pub(crate) fn specialist(
        &self,
        r: &mut Rng,
        s: Specialty,
        state: &str,
    ) -> Option<(&'a Org, &'a Prac)> {
        let list = &self.pools.specialists[s as usize];
        let n = list.partition_point(|&(k, _)| k < self.sizes.clinics);
        if n == 0 {
            return None;
        }
        let clinics = &self.pools.clinics;
        let local = list[..n]
            .iter()
            .filter(|(k, _)| clinics[*k].state == state)
            .count();
        let (k, i) = if local > 0 && r.chance(0.85) {
            let j = r.index(local);
            list[..n]
                .iter()
                .filter(|(k, _)| clinics[*k].state == state)
                .nth(j)
                .copied()
                .unwrap_or(list[0])
        } else {
            list[r.index(n)]
        };
        let org = &clinics[k];
        Some((org, &org.staff[i]))
    }

    pub(crate) fn hospital(&self, r: &mut Rng, state: &str) -> &'a Org {
        near(&self.pools.hospitals, self.sizes.hospitals, state, r)
    }

    pub(crate) fn pharmacy(&self, r: &mut Rng, state: &str) -> &'a Org {
        near(&self.pools.pharmacies, self.sizes.pharmacies, state, r)
    }

    pub(crate) fn dental(&self, r: &mut Rng, state: &str) -> &'a Org {
        near(&self.pools.dental, self.sizes.dental, state, r)
    }

    pub(crate) fn ambulance(&self, r: &mut Rng, state: &str) -> &'a Org {
        near(&self.pools.ambulance, self.sizes.ambulance, state, r)
    }
}

/// A stable pseudo-random number for ids derived from other ids.
pub(crate) fn scramble(x: u64, modulus: u64) -> u64 {
    mix64(x ^ 0xA5A5_5A5A_C3C3_3C3C) % modulus
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npi_check_digit_matches_known_npi() {
        assert_eq!(npi_check_digit(123_456_789), 3);
        assert!(is_valid_npi("1234567893"));
        assert!(!is_valid_npi("1234567890"));
        assert!(!is_valid_npi("123456789"));
    }

    #[test]
    fn pool_npis_are_valid_and_unique() {
        let pools = Pools::build(42, Sizes::for_count(30_000));
        let mut seen = std::collections::BTreeSet::new();
        for o in pools.all_orgs() {
            assert!(is_valid_npi(&o.npi.to_string()), "{}", o.npi);
            assert!(seen.insert(o.npi));
            for p in &o.staff {
                assert!(is_valid_npi(&p.npi.to_string()), "{}", p.npi);
                assert!(seen.insert(p.npi));
            }
        }
        // Every specialty a clinic offers is reachable from the smallest pool.
        let small = Pools::build(42, Sizes::for_count(1));
        let view = small.view(0);
        let mut r = Rng::new(1);
        for s in CLINIC_SPECIALTIES {
            assert!(view.specialist(&mut r, *s, "MA").is_some(), "{s:?}");
        }
    }

    #[test]
    fn organizations_do_not_depend_on_pool_size() {
        let a = Pools::build(9, Sizes::for_count(5));
        let b = Pools::build(9, Sizes::for_count(50_000));
        for (x, y) in a.clinics.iter().zip(&b.clinics) {
            assert_eq!(x.npi, y.npi);
            assert_eq!(x.name, y.name);
            assert_eq!(x.staff[0].npi, y.staff[0].npi);
        }
    }
}
