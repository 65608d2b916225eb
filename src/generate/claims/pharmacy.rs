//! Pharmacy claims: a fill of one drug or a compound.

use super::model::{Claim, Kind, Line, Product, Rx};
use super::plan::{Fill, Force};
use super::ClaimGen;
use crate::generate::codes::Compound;
use crate::generate::day::Day;
use crate::generate::pools::Prac;

impl<'a> ClaimGen<'_, 'a> {
    /// A prescription written by a given practitioner (e.g. the surgeon at discharge).
    pub(super) fn fill_by(
        &mut self,
        day: Day,
        f: Fill,
        prescriber: Option<&'a Prac>,
        out: &mut Vec<Claim>,
    ) {
        self.prescriber_override = prescriber;
        self.fill(day, f, None, Force::default(), out);
        self.prescriber_override = None;
    }

    pub(super) fn fill(
        &mut self,
        day: Day,
        f: Fill,
        compound: Option<&'static Compound>,
        force: Force,
        out: &mut Vec<Claim>,
    ) {
        let m = self.m;
        let mail = f.days == 90 && self.r.chance(0.5);
        let pharmacy = if self.r.chance(0.85) {
            m.home_pharmacy
        } else {
            self.view.pharmacy(&mut self.r, m.state)
        };
        let prescriber = match (self.prescriber_override, f.prescriber) {
            (Some(p), _) => p,
            (None, Some(s)) => self.specialist(s).1,
            (None, None) => m.pcp,
        };
        let mut c = self.claim(Kind::Pharmacy, day, day, &force);
        c.billing = Some(pharmacy.npi);
        c.prescribing = Some(prescriber.npi);
        self.rx_seq += 1;
        let brand = f.drug.brand && compound.is_none();
        let daw = if brand {
            *self
                .r
                .weighted(&[("1", 40), ("2", 20), ("0", 30), ("8", 10)])
        } else {
            *self.r.weighted(&[("0", 88), ("3", 6), ("4", 3), ("5", 3)])
        };
        c.rx = Some(Rx {
            days: f.days,
            reference: format!("{}{:04}", 7_000_000 + m.n, self.rx_seq),
            daw,
            refill: f.refill,
            authorized: f.authorized,
            origin: f.origin,
            brand_generic: if brand { "1" } else { "2" },
            service_type: if compound.is_some() {
                "02"
            } else if mail {
                "06"
            } else {
                "01"
            },
            residence: if m.age_on(day) >= 85 && self.r.chance(0.2) {
                "3"
            } else {
                "1"
            },
        });
        let mut l = Line::new(day);
        l.product = Product::Drug(f.drug);
        let fee = self.r.range(150, 300);
        match compound {
            Some(cp) => {
                let total: u32 = cp.ingredients.iter().map(|(_, q)| q).sum();
                l.qty = Some((total, f.drug.unit));
                l.compound = Some(cp);
                l.compound_code = Some("2");
                l.charge = cp
                    .ingredients
                    .iter()
                    .map(|(d, q)| d.unit_price * i64::from(*q))
                    .sum::<i64>()
                    + fee
                    + 2500;
            }
            None => {
                let qty = if f.drug.per_30 > 0 {
                    (f.drug.per_30 * f.days / 30).max(1)
                } else {
                    f.drug.course.0
                };
                l.qty = Some((qty, f.drug.unit));
                l.compound_code = Some(if self.r.chance(0.1) { "0" } else { "1" });
                l.charge = f.drug.unit_price * i64::from(qty) + fee;
            }
        }
        l.units = l.qty.map(|q| q.0).unwrap_or(1);
        c.lines = vec![l];
        let copay = match (brand, compound.is_some()) {
            (_, true) => 2500,
            (true, _) => *self.r.pick(&[3500, 4500, 6000]),
            (false, _) => *self.r.pick(&[500, 1000, 1500]),
        } * if f.days == 90 { 2 } else { 1 };
        self.finish(c, force, copay, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, Plan};
    use super::super::testkit::*;
    use crate::generate::codes::{ATORVASTATIN, COMPOUNDS, ELIQUIS, LISINOPRIL};
    use crate::generate::columns::C;

    fn plans() -> Vec<Plan> {
        let mut v = vec![
            fill(&LISINOPRIL, 30),
            fill(&ATORVASTATIN, 90),
            fill(&ELIQUIS, 30),
        ];
        v.extend((0..COMPOUNDS.len()).map(Plan::Compound));
        v
    }

    /// What a C4BB Pharmacy EOB needs from a claim's rows: days supply, DAW code, refill number
    /// and refills authorized (supportingInfo 4..*), the prescription number, a prescriber, and
    /// one item with an 11-digit NDC, its quantity and amounts.
    fn assert_pharmacy_profile(c: &Claim) {
        assert_eq!(c.kind, Kind::Pharmacy);
        assert_eq!(c.lines.len(), 1, "{}: one drug per fill", c.id);
        assert!(!c.header_only);
        let rows = checked_rows(c);
        assert_filled(
            c,
            &rows,
            &[
                C::DaysSupply,
                C::Daw,
                C::RefillNumber,
                C::RefillsAuthorized,
                C::RxReference,
                C::RxOrigin,
                C::BrandGeneric,
                C::PharmacyServiceType,
                C::PrescribingNpi,
                C::Ndc,
                C::QuantityDispensed,
                C::QuantityQualifier,
                C::CompoundCode,
                C::LineSubmitted,
                C::DrugCost,
            ],
        );
        let r = &rows[0];
        assert_eq!(cell(r, C::ClaimType), "pharmacy");
        let ndc = cell(r, C::Ndc);
        assert!(
            ndc.len() == 11 && ndc.bytes().all(|b| b.is_ascii_digit()),
            "{ndc}"
        );
        assert_eq!(cell(r, C::DiagnosisCode), "", "{}", c.id);
        assert_money_consistent(c);
    }

    #[test]
    fn fills_have_what_the_pharmacy_profile_needs() {
        for plan in plans() {
            for c in family(41, 6, Kind::Pharmacy, plan) {
                assert_pharmacy_profile(&c);
            }
        }
    }

    #[test]
    fn a_compound_lists_its_ingredients() {
        for (i, cp) in COMPOUNDS.iter().enumerate() {
            for c in family(41, 3, Kind::Pharmacy, Plan::Compound(i)) {
                let r = &rows(&c)[0];
                assert_eq!(cell(r, C::CompoundCode), "2");
                assert_eq!(cell(r, C::PharmacyServiceType), "02");
                let ndcs: Vec<&str> = cell(r, C::CompoundNdcs).split(';').collect();
                let qtys: Vec<u32> = cell(r, C::CompoundQuantities)
                    .split(';')
                    .map(|q| q.parse().expect("quantity"))
                    .collect();
                assert_eq!(ndcs.len(), cp.ingredients.len());
                assert_eq!(qtys.len(), cp.ingredients.len());
                let total: u32 = qtys.iter().sum();
                assert_eq!(cell(r, C::QuantityDispensed), total.to_string());
            }
        }
    }

    #[test]
    fn prescription_numbers_are_unique_per_member() {
        with_gen(41, 5, |g| {
            let day = mid_window(g);
            let mut out = Vec::new();
            for plan in plans() {
                g.build(day, plan, Force::default(), &mut out);
            }
            let fills: Vec<&str> = out
                .iter()
                .filter_map(|c| c.rx.as_ref())
                .map(|rx| rx.reference.as_str())
                .collect();
            let mut unique = fills.clone();
            unique.sort_unstable();
            unique.dedup();
            // A replacement claim repeats its original's prescription number.
            let replacements = out
                .iter()
                .filter(|c| c.kind == Kind::Pharmacy && c.adjusted_from.is_some())
                .count();
            assert_eq!(unique.len() + replacements, fills.len());
        });
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        for plan in plans() {
            assert_deterministic(plan);
        }
    }
}
