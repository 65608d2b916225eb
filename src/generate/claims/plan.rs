//! What happens to an ordinary member over their coverage window ([`Plan`]s, in date order), and
//! the options ([`Force`]) that override random choices for the demo members.

use super::model::Net;
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;
use crate::generate::rng::Rng;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Fill {
    pub drug: &'static Drug,
    pub days: u32,
    pub refill: u32,
    pub authorized: u32,
    pub prescriber: Option<Specialty>,
    pub origin: &'static str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OralKind {
    Preventive,
    Restorative,
    Crown,
    Extraction,
    Perio,
    Ortho,
    Denture,
    Implant,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Plan {
    Office,
    Preventive,
    Specialist(Specialty),
    Lab,
    Imaging,
    Therapy,
    Mental(Specialty),
    Dme(&'static Svc),
    Telehealth,
    /// A scheduled (non-emergency) ambulance round trip.
    Transport,
    Stay(usize),
    Outpatient(usize),
    Fill(Fill),
    Compound(usize),
    Oral(OralKind),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Payee {
    Beneficiary,
    Subscriber,
    Provider,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Paid,
    Denied,
    Partial,
}

/// Options that override the random choices (all `None`/`false` for ordinary members).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Force {
    pub payee: Option<Payee>,
    pub outcome: Option<Outcome>,
    pub net: Option<Net>,
    pub adjusted: bool,
    pub header_only: Option<bool>,
    pub note: bool,
    /// Turn on every optional element the builder knows.
    pub rich: bool,
}

impl Force {
    pub(crate) fn rich() -> Force {
        Force {
            rich: true,
            outcome: Some(Outcome::Paid),
            ..Force::default()
        }
    }
}

pub(super) fn rand_day(r: &mut Rng, a: Day, b: Day) -> Day {
    a.plus(r.range(0, a.days_until(b).max(0)))
}

impl<'a> ClaimGen<'_, 'a> {
    fn count(&mut self, mean: f64) -> usize {
        // Binomial with many trials: Poisson-like without transcendental functions.
        if mean <= 0.0 {
            return 0;
        }
        let trials = ((mean * 3.0).ceil() as usize).max(4);
        let p = mean / trials as f64;
        (0..trials).filter(|_| self.r.chance(p)).count()
    }

    fn day(&mut self) -> Day {
        let (a, b) = self.m.window;
        rand_day(&mut self.r, a, b)
    }

    /// Everything that happens to an ordinary member, in date order.
    pub(crate) fn plan(&mut self) -> Vec<(Day, Plan, Force)> {
        if self.m.demo {
            return self.demo_plan();
        }
        let m = self.m;
        let (w0, w1) = m.window;
        let years = (w0.days_until(w1) + 1) as f64 / 365.25;
        let f = years / 4.83;
        let mid = w0.plus(w0.days_until(w1) / 2);
        let age = m.age_on(mid);
        let conds = m.conditions.len() as f64;
        let elderly = age >= 65;
        let mut plans: Vec<(Day, Plan)> = Vec::new();
        let d = Force::default();

        let office_mean = (1.2
            + 0.4 * conds
            + if elderly {
                1.2
            } else if age < 5 {
                1.5
            } else {
                0.0
            })
            * f;
        for _ in 0..self.count(office_mean) {
            let day = self.day();
            plans.push((day, Plan::Office));
        }
        for _ in 0..self.count(0.55 * years) {
            let day = self.day();
            plans.push((day, Plan::Preventive));
        }
        for c in &m.conditions {
            for _ in 0..self.count(0.6 * f) {
                let day = self.day();
                let plan = match c.specialty {
                    s @ (Specialty::Psychiatry | Specialty::Psychologist) => Plan::Mental(s),
                    s => Plan::Specialist(s),
                };
                plans.push((day, plan));
            }
        }
        for _ in 0..self.count((0.35 + 0.2 * conds) * f) {
            let day = self.day();
            plans.push((day, Plan::Lab));
        }
        for _ in 0..self.count(0.3 * f) {
            let day = self.day();
            plans.push((day, Plan::Imaging));
        }
        if age >= 12 && self.r.chance(0.08) {
            let start = self.day();
            for i in 0..self.r.range(2, 5) {
                plans.push((start.plus(i * 7), Plan::Therapy));
            }
        }
        if age >= 13 && self.r.chance(0.03) {
            let day = self.day();
            plans.push((day, Plan::Mental(Specialty::Psychologist)));
        }
        for c in &m.conditions {
            let dme: Option<&'static Svc> = match c.dx.0 {
                "E11.9" => Some(*self.r.pick(&[&HCPCS_A4253, &HCPCS_A4259, &HCPCS_E0607])),
                "G47.33" => Some(&HCPCS_E0601),
                _ => None,
            };
            if let Some(s) = dme {
                if self.r.chance(0.6) {
                    let day = self.day();
                    plans.push((day, Plan::Dme(s)));
                }
            }
        }
        if age >= 75 && self.r.chance(0.15) {
            let day = self.day();
            let s = *self.r.pick(DME);
            plans.push((day, Plan::Dme(s)));
        }
        for _ in 0..self.count(0.35 * f) {
            let day = self.day();
            plans.push((day, Plan::Telehealth));
        }
        if elderly && self.r.chance(0.02) {
            let day = self.day();
            plans.push((day, Plan::Transport));
        }
        // Outpatient facility visits.
        let op_mean = (0.6 + 0.15 * conds + if elderly { 0.4 } else { 0.0 }) * f;
        for _ in 0..self.count(op_mean) {
            let eligible: Vec<(usize, u32)> = OUTPATIENT_VISITS
                .iter()
                .enumerate()
                .filter(|(_, v)| v.min_age <= age)
                .map(|(i, v)| (i, v.weight))
                .collect();
            if eligible.is_empty() {
                break;
            }
            let i = *self.r.weighted(&eligible);
            let day = self.day();
            plans.push((day, Plan::Outpatient(i)));
        }
        // Inpatient stays.
        let stay_mean = (0.025 + 0.01 * conds + if elderly { 0.045 } else { 0.0 }) * years;
        for _ in 0..self.count(stay_mean) {
            let eligible: Vec<(usize, u32)> = STAYS
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.min_age <= age && age <= s.max_age && (!s.female_only || m.female)
                })
                .map(|(i, s)| (i, if s.female_only { 6 } else { 2 }))
                .collect();
            if eligible.is_empty() {
                break;
            }
            let i = *self.r.weighted(&eligible);
            let day = self.day();
            plans.push((day, Plan::Stay(i)));
        }
        // Dental claims (the rarest type).
        if self.r.chance(0.075) {
            for _ in 0..self.r.range(1, 3) {
                let kind = if age < 18 {
                    *self.r.weighted(&[
                        (OralKind::Preventive, 60),
                        (OralKind::Restorative, 20),
                        (OralKind::Ortho, 12),
                        (OralKind::Extraction, 8),
                    ])
                } else {
                    *self.r.weighted(&[
                        (OralKind::Preventive, 50),
                        (OralKind::Restorative, 18),
                        (OralKind::Crown, 8),
                        (OralKind::Extraction, 7),
                        (OralKind::Perio, 7),
                        (OralKind::Ortho, 2),
                        (OralKind::Denture, if age >= 55 { 6 } else { 0 }),
                        (OralKind::Implant, 3),
                    ])
                };
                let day = self.day();
                plans.push((day, Plan::Oral(kind)));
            }
        }
        // Pharmacy: refill chains for chronic drugs, occasional compounds.
        let conditions = m.conditions.clone();
        for c in conditions {
            if c.drugs.is_empty() || self.r.chance(0.15) {
                continue;
            }
            let drug = *self.r.pick(c.drugs);
            let days = if self.r.chance(0.35) { 90 } else { 30 };
            let fills = self.r.range(1, 3) + i64::from(elderly);
            let prescriber = if self.r.chance(0.4) {
                Some(c.specialty)
            } else {
                None
            };
            self.chain(&mut plans, drug, days, fills as u32, prescriber);
        }
        if self.r.chance(0.01) {
            let day = self.day();
            let i = self.r.index(COMPOUNDS.len());
            plans.push((day, Plan::Compound(i)));
        }
        plans.sort_by_key(|p| p.0);
        plans.into_iter().map(|(day, p)| (day, p, d)).collect()
    }

    fn new_rx_origin(&mut self) -> &'static str {
        self.r
            .choose_weighted(&[("3", 60), ("1", 20), ("2", 8), ("4", 8), ("5", 2), ("0", 2)])
    }

    fn chain(
        &mut self,
        plans: &mut Vec<(Day, Plan)>,
        drug: &'static Drug,
        days: u32,
        fills: u32,
        prescriber: Option<Specialty>,
    ) {
        let authorized = if days == 90 {
            3
        } else {
            *self.r.pick(&[2u32, 5, 11])
        };
        let mut refill = self.r.range(0, i64::from(authorized)) as u32;
        let mut origin = self.new_rx_origin();
        let mut day = self.day();
        for _ in 0..fills {
            if day > self.m.window.1 {
                break;
            }
            plans.push((
                day,
                Plan::Fill(Fill {
                    drug,
                    days,
                    refill,
                    authorized,
                    prescriber,
                    origin,
                }),
            ));
            day = day.plus(i64::from(days) + self.r.range(-2, 6));
            refill += 1;
            if refill > authorized {
                refill = 0;
                origin = self.new_rx_origin();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::Plan;

    #[test]
    fn an_ordinary_members_plan_is_in_date_order_and_reproducible() {
        let mut fills = 0;
        for n in 2..40 {
            let plans = with_gen(73, n, |g| g.plan());
            assert_eq!(
                format!("{plans:?}"),
                format!("{:?}", with_gen(73, n, |g| g.plan())),
                "member {n}"
            );
            assert!(plans.windows(2).all(|w| w[0].0 <= w[1].0), "member {n}");
            let window = with_gen(73, n, |g| g.m.window);
            for (day, plan, _) in &plans {
                if let Plan::Fill(f) = plan {
                    // Refill chains stop at the end of the window and restart after the last refill.
                    assert!(*day <= window.1, "member {n}");
                    assert!(f.refill <= f.authorized, "member {n}: {f:?}");
                    fills += 1;
                }
            }
        }
        assert!(fills > 0);
    }

    #[test]
    fn a_count_of_nothing_is_zero() {
        with_gen(73, 2, |g| {
            assert_eq!(g.count(0.0), 0);
            assert_eq!(g.count(-1.0), 0);
            assert!((0..50).map(|_| g.count(1.0)).all(|k| k <= 4));
        });
    }
}
