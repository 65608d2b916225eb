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
