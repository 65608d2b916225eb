//! The demo members' plans (members 0 and 1): every claim type and every optional column.

use super::model::Net;
use super::plan::{rand_day, Fill, Force, OralKind, Outcome, Payee, Plan};
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;

impl<'a> ClaimGen<'_, 'a> {
    /// Members 0 and 1: every claim type and every optional column, with a professional claim
    /// paid to the member first. Each alone shows every C4BB must-support element of each
    /// claim type (tests/must_support.rs): so every type has an adjusted (`related`) claim and
    /// each institutional type a denied one (header adjustment reason).
    pub(super) fn demo_plan(&mut self) -> Vec<(Day, Plan, Force)> {
        let (w0, w1) = self.m.window;
        let first_payee = if self.m.n == 0 {
            Payee::Beneficiary
        } else {
            Payee::Subscriber
        };
        let rich = Force::rich();
        let mut later: Vec<(Plan, Force)> = vec![
            (
                Plan::Transport,
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ),
            (
                Plan::Stay(STAY_HIP_FRACTURE),
                Force {
                    payee: Some(Payee::Provider),
                    header_only: Some(false),
                    ..rich
                },
            ),
            // Denied, then corrected and paid: the header adjustment reason and `related`.
            (
                Plan::Stay(STAY_PNEUMONIA),
                Force {
                    payee: Some(Payee::Provider),
                    header_only: Some(true),
                    adjusted: true,
                    note: true,
                    outcome: Some(Outcome::Denied),
                    ..Force::default()
                },
            ),
            // Partly denied: line-level adjustment reasons.
            (
                Plan::Outpatient(VISIT_CHEST_PAIN_ED),
                Force {
                    payee: Some(Payee::Provider),
                    header_only: Some(false),
                    outcome: Some(Outcome::Partial),
                    ..rich
                },
            ),
            (
                Plan::Outpatient(VISIT_COLONOSCOPY),
                Force {
                    payee: Some(Payee::Provider),
                    header_only: Some(true),
                    note: true,
                    adjusted: true,
                    outcome: Some(Outcome::Denied),
                    ..rich
                },
            ),
            (
                Plan::Fill(Fill {
                    drug: &ELIQUIS,
                    days: 30,
                    refill: 2,
                    authorized: 5,
                    prescriber: Some(Specialty::Cardiology),
                    origin: "3",
                }),
                Force {
                    payee: Some(Payee::Provider),
                    adjusted: true,
                    ..rich
                },
            ),
            (
                Plan::Compound(1),
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ),
            (
                Plan::Fill(Fill {
                    drug: &SYMBICORT,
                    days: 30,
                    refill: 0,
                    authorized: 11,
                    prescriber: None,
                    origin: "1",
                }),
                Force {
                    payee: Some(Payee::Provider),
                    outcome: Some(Outcome::Denied),
                    note: true,
                    ..Force::default()
                },
            ),
            (
                Plan::Oral(OralKind::Preventive),
                Force {
                    payee: Some(Payee::Provider),
                    adjusted: true,
                    ..rich
                },
            ),
            (
                Plan::Oral(OralKind::Crown),
                Force {
                    payee: Some(Payee::Beneficiary),
                    net: Some(Net::Out),
                    outcome: Some(Outcome::Partial),
                    note: true,
                    ..rich
                },
            ),
            (
                Plan::Oral(OralKind::Ortho),
                Force {
                    payee: Some(Payee::Other),
                    ..rich
                },
            ),
            (
                Plan::Therapy,
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ),
            (
                Plan::Imaging,
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ),
            (
                Plan::Office,
                Force {
                    payee: Some(Payee::Provider),
                    outcome: Some(Outcome::Denied),
                    note: true,
                    ..Force::default()
                },
            ),
            (
                Plan::Office,
                Force {
                    payee: Some(Payee::Subscriber),
                    net: Some(Net::Out),
                    outcome: Some(Outcome::Partial),
                    ..rich
                },
            ),
            (
                Plan::Dme(&HCPCS_E0601),
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ),
            (
                Plan::Telehealth,
                Force {
                    payee: Some(Payee::Provider),
                    adjusted: true,
                    ..Force::default()
                },
            ),
            (
                Plan::Preventive,
                Force {
                    payee: Some(Payee::Provider),
                    ..Force::default()
                },
            ),
            (
                Plan::Mental(Specialty::Psychologist),
                Force {
                    payee: Some(Payee::Provider),
                    ..Force::default()
                },
            ),
            (
                Plan::Lab,
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ),
            (
                Plan::Stay(4),
                Force {
                    payee: Some(Payee::Provider),
                    header_only: Some(false),
                    ..Force::default()
                },
            ),
        ];
        let mut plans: Vec<(Day, Plan, Force)> = Vec::new();
        let first_day = w0.plus(self.r.range(0, 20));
        plans.push((
            first_day,
            Plan::Office,
            Force {
                payee: Some(first_payee),
                net: Some(Net::In),
                ..rich
            },
        ));
        let from = first_day.plus(30);
        for (p, f) in later.drain(..) {
            let day = rand_day(&mut self.r, from, w1.plus(-15));
            plans.push((day, p, f));
        }
        // In the overlap of the two coverages: claims with a prior (non-focal) payer.
        if let Some((o0, o1)) = self.m.overlap() {
            let day = rand_day(&mut self.r, o0.max(from), o1);
            plans.push((
                day,
                Plan::Specialist(Specialty::Cardiology),
                Force {
                    payee: Some(Payee::Provider),
                    ..rich
                },
            ));
            let day = rand_day(&mut self.r, o0.max(from), o1);
            let fill = Fill {
                drug: &ATORVASTATIN,
                days: 90,
                refill: 1,
                authorized: 3,
                prescriber: None,
                origin: "3",
            };
            plans.push((
                day,
                Plan::Fill(fill),
                Force {
                    payee: Some(Payee::Provider),
                    ..Force::default()
                },
            ));
        }
        plans[1..].sort_by_key(|p| p.0);
        plans
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::super::plan::{Payee, Plan};
    use super::super::testkit::*;

    #[test]
    fn a_demo_member_starts_with_a_visit_paid_to_them_and_has_every_family() {
        for (n, payee) in [(0, Payee::Beneficiary), (1, Payee::Subscriber)] {
            with_gen(71, n, |g| {
                let plans = g.plan();
                let (first_day, first, force) = plans[0];
                assert!(matches!(first, Plan::Office), "{first:?}");
                assert_eq!(force.payee, Some(payee));
                assert!(plans[1..].windows(2).all(|w| w[0].0 <= w[1].0));
                assert!(plans[1..].iter().all(|p| p.0 > first_day));
                let mut claims = Vec::new();
                for (day, plan, force) in plans {
                    g.build(day, plan, force, &mut claims);
                }
                let kinds: BTreeSet<&str> = claims.iter().map(|c| c.kind.claim_type()).collect();
                assert_eq!(kinds.len(), 5, "{kinds:?}");
                assert!(claims.iter().any(|c| c.adjusted_to.is_some()));
                assert!(claims.iter().any(|c| c.primary_payer.is_some()));
            });
        }
    }
}
