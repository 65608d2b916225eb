//! Revenue-code lines of facility (institutional) claims and their charges.

use super::model::{dollars, Line, Product};
use super::ClaimGen;
use crate::generate::codes::Svc;
use crate::generate::day::Day;

impl<'a> ClaimGen<'_, 'a> {
    fn revenue_charge(&mut self, rev: &str) -> i64 {
        let (lo, hi) = match rev {
            "0120" => (1800, 3200),
            "0200" => (4200, 7800),
            "0250" => (150, 2500),
            "0258" => (150, 600),
            "0270" | "0272" => (100, 900),
            "0278" => (3000, 9000),
            "0300" | "0301" | "0305" => (120, 700),
            "0320" | "0324" => (250, 700),
            "0350" => (1500, 4200),
            "0360" => (4000, 15_000),
            "0370" => (1000, 3000),
            "0390" => (800, 2000),
            "0401" | "0402" | "0403" => (300, 1200),
            "0410" => (300, 1500),
            "0420" => (200, 600),
            "0450" => (800, 2500),
            "0481" => (5000, 12_000),
            "0483" => (1200, 3200),
            "0610" => (2000, 4800),
            "0636" => (50, 300),
            "0710" => (600, 1500),
            "0720" => (2000, 5000),
            "0730" => (150, 400),
            "0750" => (1800, 4200),
            "0762" => (600, 1600),
            _ => (100, 1000),
        };
        dollars(&mut self.r, lo, hi)
    }

    pub(super) fn rev_line(
        &mut self,
        day: Day,
        rev: &'static str,
        svc: Option<&'static Svc>,
    ) -> Line {
        let mut l = Line::new(day);
        l.revenue = Some(rev);
        if let Some(s) = svc {
            l.product = Product::Svc(s);
        }
        l.charge = self.revenue_charge(rev);
        l
    }
}
