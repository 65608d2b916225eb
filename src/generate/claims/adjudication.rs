//! Money: the member's cost-sharing terms for a claim, and the adjudication of each line
//! (allowed, deductible, copay, coinsurance, prior payer, paid, adjustment reasons).

use super::model::{dollars, scale, Claim, Kind, Money, Net, Product};
use super::ClaimGen;
use crate::generate::codes::{CARC_FEE_SCHEDULE, CARC_PRIOR_PAYER};

pub(super) struct Terms {
    net: Net,
    provider_payee: bool,
    prior: bool,
    deductible_left: i64,
    copay: i64,
    copay_line: usize,
    coins: f64,
    pharmacy: bool,
}

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn terms(&mut self, c: &Claim, copay: i64, provider_payee: bool) -> Terms {
        let preventive = c.lines.iter().any(|l| {
            matches!(l.product, Product::Svc(s) if s.code.starts_with("993") || s.code.starts_with("G043"))
        }) || c.lines.iter().any(|l| {
            matches!(l.product, Product::Cdt(d) if d.code.starts_with("D0") || d.code.starts_with("D1"))
        });
        let out = c.net == Net::Out;
        let deductible_left = if preventive || c.kind == Kind::Pharmacy {
            0
        } else if self.r.chance(if out { 0.5 } else { 0.25 }) {
            dollars(
                &mut self.r,
                50,
                if c.kind == Kind::Inpatient { 1500 } else { 500 },
            )
        } else {
            0
        };
        let coins = match c.kind {
            _ if preventive => 0.0,
            Kind::Pharmacy => 0.0,
            _ if out => 0.4,
            Kind::Inpatient => *self.r.pick(&[0.1, 0.15, 0.2]),
            Kind::Outpatient => 0.2,
            Kind::Oral => {
                let major = c.lines.iter().any(|l| {
                    matches!(l.product, Product::Cdt(d) if matches!(d.code.as_bytes()[1], b'5' | b'6' | b'8') || d.code.starts_with("D27"))
                });
                if major {
                    0.5
                } else {
                    0.2
                }
            }
            Kind::Professional => *self.r.pick(&[0.0, 0.0, 0.1, 0.2]),
        };
        Terms {
            net: c.net,
            provider_payee,
            prior: c.primary_payer.is_some(),
            deductible_left,
            copay: if preventive { 0 } else { copay },
            copay_line: 0,
            coins,
            pharmacy: c.kind == Kind::Pharmacy,
        }
    }

    pub(super) fn adjudicate(&mut self, c: &mut Claim, t: &mut Terms) {
        let mut total = Money::default();
        for (i, l) in c.lines.iter_mut().enumerate() {
            let s = l.charge.max(0);
            const FEE: i64 = 150;
            let mut m = Money {
                submitted: s,
                ..Money::default()
            };
            if l.denied.is_some() {
                m.noncovered = s;
                m.liability = s;
                l.allowed_units = (l.units > 0).then_some(0);
                if t.pharmacy {
                    l.drug_cost = Some((s - FEE).max(0));
                }
            } else {
                let f = match (t.pharmacy, t.net) {
                    (true, Net::In) => self.r.uniform(0.72, 0.92),
                    (_, Net::In) => self.r.uniform(0.45, 0.85),
                    (_, Net::Out) => self.r.uniform(0.6, 0.9),
                };
                let a = scale(s, f).clamp(0, s);
                let n = if t.net == Net::Out {
                    scale(s - a, self.r.uniform(0.3, 1.0))
                } else {
                    0
                };
                let d = a.min(t.deductible_left);
                t.deductible_left -= d;
                let cp = if i == t.copay_line {
                    t.copay.min(a - d)
                } else {
                    0
                };
                let rest = a - d - cp;
                let co = scale(rest, t.coins).min(rest);
                let pp = if t.prior {
                    scale(rest - co, self.r.uniform(0.4, 0.8))
                } else {
                    0
                };
                let paid = rest - co - pp;
                m.allowed = a;
                m.noncovered = n;
                m.discount = s - a - n;
                m.deductible = d;
                m.copay = cp;
                m.coinsurance = co;
                m.prior_paid = pp;
                m.paid = paid;
                m.liability = d + cp + co + n;
                if t.provider_payee {
                    m.to_provider = paid;
                    m.by_patient = if t.pharmacy {
                        m.liability
                    } else if cp > 0 && self.r.chance(0.7) {
                        cp
                    } else {
                        0
                    };
                } else {
                    m.reimbursement = paid;
                    m.by_patient = a + n - pp;
                }
                if l.allowed_units.is_none() && l.units > 0 {
                    l.allowed_units = Some(l.units);
                }
                if t.pharmacy {
                    l.drug_cost = Some((a - FEE).max(0));
                } else if pp > 0 {
                    l.adjust = Some(CARC_PRIOR_PAYER);
                } else if m.discount > 0 && self.r.chance(0.15) {
                    l.adjust = Some(CARC_FEE_SCHEDULE);
                }
            }
            l.money = m;
            total.add(&m);
        }
        c.total = total;
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, OralKind, Outcome, Plan};
    use super::super::testkit::*;
    use crate::generate::codes::{CARC_PRIOR_PAYER, LISINOPRIL};

    /// Every claim of members `0..count` (the demo members and ordinary ones), as `generate`
    /// builds them.
    fn all_claims(seed: u64, count: u64) -> Vec<Claim> {
        let mut all = Vec::new();
        for n in 0..count {
            with_gen(seed, n, |g| {
                for (day, plan, force) in g.plan() {
                    g.build(day, plan, force, &mut all);
                }
            });
        }
        all
    }

    #[test]
    fn every_claim_keeps_the_money_invariants() {
        let all = all_claims(9, 40);
        assert!(all.len() > 300);
        for c in &all {
            assert_money_consistent(c);
        }
        // Not vacuous: the run has every outcome and some claims with a prior payer.
        for status in ["paid", "denied", "partiallypaid"] {
            assert!(all.iter().any(|c| c.payment_status == status), "{status}");
        }
        assert!(all.iter().any(|c| c.total.prior_paid > 0));
    }

    #[test]
    fn what_a_prior_payer_paid_is_explained_on_the_line() {
        let all = all_claims(9, 40);
        let mut lines = 0;
        for c in &all {
            for l in c.lines.iter().filter(|l| l.money.prior_paid > 0) {
                if c.kind != Kind::Pharmacy {
                    assert_eq!(l.adjust, Some(CARC_PRIOR_PAYER), "{}", c.id);
                }
                lines += 1;
            }
        }
        assert!(lines > 0);
    }

    #[test]
    fn preventive_services_carry_no_cost_share() {
        let plans = [
            (Plan::Preventive, Kind::Professional),
            (Plan::Oral(OralKind::Preventive), Kind::Oral),
        ];
        for (plan, kind) in plans {
            for c in family(47, 8, kind, plan) {
                for l in &c.lines {
                    let m = &l.money;
                    assert_eq!(
                        (m.deductible, m.copay, m.coinsurance),
                        (0, 0, 0),
                        "{}",
                        c.id
                    );
                }
            }
        }
    }

    #[test]
    fn a_pharmacy_line_reports_the_drug_cost_without_the_dispensing_fee() {
        let fill = fill(&LISINOPRIL, 30);
        let denied = Force {
            outcome: Some(Outcome::Denied),
            ..Force::default()
        };
        for force in [Force::default(), Force::rich(), denied] {
            for c in build(47, 4, fill, force) {
                let l = &c.lines[0];
                let basis = if l.denied.is_some() {
                    l.money.submitted
                } else {
                    l.money.allowed
                };
                assert_eq!(l.drug_cost, Some((basis - 150).max(0)), "{}", c.id);
            }
        }
    }
}
