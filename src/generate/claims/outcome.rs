//! What happens to a built claim: outcome (paid, denied, partially paid), payee, note and id, and
//! the replacement claim when it is adjusted.

use super::model::{scale, Claim, Kind, Net};
use super::plan::{Force, Outcome, Payee};
use super::ClaimGen;
use crate::generate::codes::{CARC_DENIAL, NCPDP_REJECT};
use crate::generate::member::DATA_END;

const NOTES: &[&str] = &[
    "Claim processed under the member's current benefit plan",
    "Prior authorization on file for this service",
    "Member cost share applied according to plan benefits",
    "Please retain this explanation of benefits for your records",
];

impl<'a> ClaimGen<'_, 'a> {
    fn choose_payee(&mut self, c: &Claim, force: &Force) -> Payee {
        if let Some(p) = force.payee {
            if p != Payee::Other || !self.m.related.is_empty() {
                return p;
            }
            return Payee::Beneficiary;
        }
        let has_related = !self.m.related.is_empty();
        if has_related && self.r.chance(0.04) {
            return Payee::Other;
        }
        let member_prob = match (c.kind, c.net) {
            (Kind::Pharmacy, _) => 0.03,
            (Kind::Inpatient | Kind::Outpatient, Net::In) => 0.01,
            (_, Net::In) => 0.06,
            (_, Net::Out) => 0.55,
        };
        if !self.r.chance(member_prob) {
            return Payee::Provider;
        }
        if has_related && self.r.chance(0.2) {
            Payee::Other
        } else if c.subscriber_is_member && self.r.chance(0.5) {
            Payee::Subscriber
        } else {
            Payee::Beneficiary
        }
    }

    /// Decides outcome, payee and money; assigns the id; adds a replacement claim when the claim
    /// is adjusted; pushes to `out`.
    pub(super) fn finish(&mut self, mut c: Claim, force: Force, copay: i64, out: &mut Vec<Claim>) {
        if c.lines.is_empty() {
            return;
        }
        let outcome = force.outcome.unwrap_or_else(|| {
            let x = self.r.unit();
            let denied = if c.kind == Kind::Pharmacy { 0.04 } else { 0.05 };
            if x < denied {
                Outcome::Denied
            } else if x < denied + 0.07 && c.lines.len() >= 2 {
                Outcome::Partial
            } else {
                Outcome::Paid
            }
        });
        let outcome = if outcome == Outcome::Partial && c.lines.len() < 2 {
            Outcome::Denied
        } else {
            outcome
        };
        match outcome {
            Outcome::Denied => {
                if c.kind == Kind::Pharmacy {
                    let code = *self.r.pick(NCPDP_REJECT);
                    c.lines.iter_mut().for_each(|l| l.denied = Some(code));
                } else {
                    let code = *self.r.pick(CARC_DENIAL);
                    c.denial = Some(code);
                    c.lines.iter_mut().for_each(|l| l.denied = Some(code));
                }
                c.payment_status = "denied";
            }
            Outcome::Partial => {
                let n = c.lines.len();
                let k = 1 + self.r.index(n - 1);
                let code = *self.r.pick(CARC_DENIAL);
                // Deny the last `k` lines (the first line, usually the main service, is paid).
                for l in c.lines.iter_mut().skip(n - k) {
                    l.denied = Some(code);
                }
                c.payment_status = "partiallypaid";
            }
            Outcome::Paid => c.payment_status = "paid",
        }
        let payee = self.choose_payee(&c, &force);
        self.set_payee(&mut c, payee);
        c.header_only = c.kind.institutional()
            && outcome != Outcome::Partial
            && force.header_only.unwrap_or_else(|| self.r.chance(0.25));
        let mut terms = self.terms(&c, copay, payee == Payee::Provider);
        self.adjudicate(&mut c, &mut terms);
        c.note = match outcome {
            Outcome::Denied if force.note || self.r.chance(0.7) => {
                Some("Claim denied: see the adjustment reason codes. The member may appeal within 180 days".to_string())
            }
            Outcome::Partial if force.note || self.r.chance(0.5) => {
                Some("Some services were not covered: see the line adjustment reasons".to_string())
            }
            _ if c.net == Net::Out && (force.note || self.r.chance(0.3)) => {
                Some("Paid at the out-of-network allowance. The provider may bill the member for the balance".to_string())
            }
            _ if c.primary_payer.is_some() && self.r.chance(0.5) => {
                Some("Coordination of benefits applied: the other plan paid first".to_string())
            }
            _ if force.note || self.r.chance(0.04) => Some(self.r.pick(NOTES).to_string()),
            _ => None,
        };
        self.seq += 1;
        c.id = format!("C{:05}-{:04}", self.m.n, self.seq);
        let adjusted = force.adjusted
            || self
                .r
                .chance(if c.kind == Kind::Pharmacy { 0.01 } else { 0.03 });
        if !adjusted {
            out.push(c);
            return;
        }
        // The replacement: corrected charges, re-adjudicated and paid.
        let mut rep = c.clone();
        self.seq += 1;
        rep.id = format!("C{:05}-{:04}", self.m.n, self.seq);
        rep.adjusted_from = Some(c.id.clone());
        rep.received = c.paid_date.plus(self.r.range(10, 30)).min(DATA_END);
        rep.paid_date = rep.received.plus(self.r.range(5, 20)).min(DATA_END);
        if let Some((a, b, _)) = rep.tob {
            rep.tob = Some((a, b, "7"));
        }
        rep.denial = None;
        rep.payment_status = "paid";
        for l in &mut rep.lines {
            l.denied = None;
            l.adjust = None;
            l.allowed_units = None;
            l.drug_cost = None;
            l.charge = scale(l.charge, self.r.uniform(0.9, 1.1));
        }
        let mut terms = self.terms(&rep, copay, payee == Payee::Provider);
        self.adjudicate(&mut rep, &mut terms);
        rep.note = Some(format!("Corrected claim: replaces claim {}", c.id));
        c.adjusted_to = Some(rep.id.clone());
        c.status = "cancelled";
        out.push(c);
        out.push(rep);
    }

    fn set_payee(&mut self, c: &mut Claim, payee: Payee) {
        let m = self.m;
        match payee {
            Payee::Provider => {
                c.payee_type = "provider";
                c.payee = c.billing.map(|n| n.to_string()).unwrap_or_default();
            }
            Payee::Beneficiary => {
                c.payee_type = "beneficiary";
                c.payee = m.id.clone();
            }
            Payee::Subscriber => {
                c.payee_type = "subscriber";
                c.payee = m.id.clone();
            }
            Payee::Other => match m.spouse_or_parent() {
                Some(rp) => {
                    c.payee_type = "other";
                    c.payee = rp.id.clone();
                }
                None => {
                    c.payee_type = "beneficiary";
                    c.payee = m.id.clone();
                }
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, Outcome, Payee, Plan};
    use super::super::testkit::*;
    use crate::generate::codes::{
        CARC_DENIAL, LISINOPRIL, NCPDP_REJECT, STAY_PNEUMONIA, VISIT_CHEST_PAIN_ED,
    };

    fn with_outcome(outcome: Outcome) -> Force {
        Force {
            outcome: Some(outcome),
            ..Force::default()
        }
    }

    fn main_claim(claims: Vec<Claim>, kind: Kind) -> Claim {
        claims
            .into_iter()
            .find(|c| c.kind == kind)
            .expect("a claim of the kind")
    }

    #[test]
    fn a_denied_claim_denies_every_line_and_pays_nothing() {
        for n in 2..6 {
            let c = main_claim(
                build(53, n, Plan::Office, with_outcome(Outcome::Denied)),
                Kind::Professional,
            );
            assert_eq!(c.payment_status, "denied");
            let code = c.denial.expect("a claim denial code");
            assert!(CARC_DENIAL.contains(&code));
            assert!(c.lines.iter().all(|l| l.denied == Some(code)), "{}", c.id);
            assert_eq!(c.total.paid, 0);

            // Pharmacy denials are NCPDP reject codes on the line, not a CARC on the claim.
            let rx = main_claim(
                build(53, n, fill(&LISINOPRIL, 30), with_outcome(Outcome::Denied)),
                Kind::Pharmacy,
            );
            assert_eq!((rx.payment_status, rx.denial), ("denied", None));
            let reject = rx.lines[0].denied.expect("a reject code");
            assert!(NCPDP_REJECT.contains(&reject), "{reject}");
        }
    }

    #[test]
    fn a_partially_paid_claim_pays_its_first_line_and_denies_the_last() {
        let mut partial = Force::rich();
        partial.outcome = Some(Outcome::Partial);
        partial.header_only = Some(true);
        for (plan, kind) in [
            (Plan::Office, Kind::Professional),
            (Plan::Outpatient(VISIT_CHEST_PAIN_ED), Kind::Outpatient),
        ] {
            let c = main_claim(build(53, 3, plan, partial), kind);
            assert!(c.lines.len() >= 2, "{}", c.id);
            assert_eq!(c.payment_status, "partiallypaid");
            assert_eq!(c.lines[0].denied, None, "{}", c.id);
            assert!(c.lines.last().is_some_and(|l| l.denied.is_some()));
            // Which lines were denied only shows on the lines: never header-only.
            assert!(!c.header_only, "{}", c.id);
        }
        // A single line cannot be partly paid: it is denied.
        let c = main_claim(
            build(53, 3, Plan::Telehealth, with_outcome(Outcome::Partial)),
            Kind::Professional,
        );
        assert_eq!((c.lines.len(), c.payment_status), (1, "denied"));
    }

    #[test]
    fn an_adjusted_claim_is_cancelled_and_replaced() {
        let adjusted = Force {
            adjusted: true,
            ..with_outcome(Outcome::Denied)
        };
        for (plan, kind) in [
            (Plan::Stay(STAY_PNEUMONIA), Kind::Inpatient),
            (Plan::Office, Kind::Professional),
            (fill(&LISINOPRIL, 30), Kind::Pharmacy),
        ] {
            let claims: Vec<Claim> = build(59, 2, plan, adjusted)
                .into_iter()
                .filter(|c| c.kind == kind)
                .collect();
            let [original, replacement] = &claims[..2] else {
                panic!("{plan:?}: no replacement")
            };
            assert_eq!(original.status, "cancelled");
            assert_eq!(original.adjusted_to.as_ref(), Some(&replacement.id));
            assert_eq!(replacement.adjusted_from.as_ref(), Some(&original.id));
            assert_eq!(
                (replacement.status, replacement.adjusted_to.as_ref()),
                ("active", None)
            );
            assert_eq!(replacement.payment_status, "paid");
            assert!(replacement.lines.iter().all(|l| l.denied.is_none()));
            assert!(replacement.received >= original.paid_date);
            assert!(replacement.paid_date >= replacement.received);
            let note = replacement.note.as_deref().unwrap_or_default();
            assert!(note.contains(&original.id), "{note}");
            if let Some((_, _, frequency)) = replacement.tob {
                assert_eq!(frequency, "7", "replacement of prior claim");
            }
            assert_money_consistent(original);
            assert_money_consistent(replacement);
        }
    }

    #[test]
    fn the_payee_is_the_one_forced_or_the_member_when_nobody_else_is_known() {
        let paid_to = |n, payee| {
            let force = Force {
                payee: Some(payee),
                ..Force::default()
            };
            main_claim(build(61, n, Plan::Office, force), Kind::Professional)
        };
        let c = paid_to(2, Payee::Provider);
        assert_eq!(
            (c.payee_type, Some(c.payee.clone())),
            ("provider", c.billing.map(|n| n.to_string()))
        );
        for (payee, text) in [
            (Payee::Beneficiary, "beneficiary"),
            (Payee::Subscriber, "subscriber"),
        ] {
            let c = paid_to(2, payee);
            assert_eq!((c.payee_type, c.payee.as_str()), (text, "M00002"));
        }
        // Demo member 0 has a spouse: a claim paid to "other" is paid to them.
        let c = paid_to(0, Payee::Other);
        let spouse = with_gen(61, 0, |g| g.m.spouse_or_parent().map(|r| r.id.clone()));
        assert_eq!((c.payee_type, Some(c.payee)), ("other", spouse));
        // Without related persons, "other" falls back to the member.
        let alone = (2..60)
            .find(|&n| with_gen(61, n, |g| g.m.related.is_empty()))
            .expect("a member without related persons");
        let c = paid_to(alone, Payee::Other);
        assert_eq!(c.payee_type, "beneficiary");
    }

    #[test]
    fn only_institutional_claims_put_their_amounts_on_the_header() {
        let header_only = Force {
            header_only: Some(true),
            ..Force::rich()
        };
        let c = main_claim(build(61, 2, Plan::Office, header_only), Kind::Professional);
        assert!(!c.header_only);
        let c = main_claim(
            build(61, 2, Plan::Outpatient(VISIT_CHEST_PAIN_ED), header_only),
            Kind::Outpatient,
        );
        assert!(c.header_only);
    }
}
