//! What the claim families' tests share: a member to build claims for (set up as `generate` sets
//! it up), the CSV rows a claim becomes, and the money invariants every adjudicated claim keeps.

use super::model::{Claim, Kind, Money};
use super::plan::{Fill, Force, Plan};
use super::rows::write_claim;
use super::ClaimGen;
use crate::generate::codes::Drug;
use crate::generate::columns::{Row, C};
use crate::generate::day::Day;
use crate::generate::member::make_member;
use crate::generate::pools::{Pools, Sizes};
use crate::generate::rng::{stream, Rng};

/// Runs `f` with the claim generator of member `n` of a run of `n + 1` members.
pub(super) fn with_gen<T>(seed: u64, n: u64, f: impl FnOnce(&mut ClaimGen<'_, '_>) -> T) -> T {
    let pools = Pools::build(seed, Sizes::for_count(n + 1));
    let view = pools.view(n);
    let mut rng = Rng::derive(seed, stream::MEMBER, n);
    let member = make_member(&mut rng, n, &view);
    let mut g = ClaimGen::new(rng, &member, &view);
    f(&mut g)
}

/// The middle of the member's claims window: a day some coverage covers.
pub(super) fn mid_window(g: &ClaimGen<'_, '_>) -> Day {
    let (a, b) = g.m.window;
    a.plus(a.days_until(b) / 2)
}

/// The claims one plan gives member `n` in the middle of their window.
pub(super) fn build(seed: u64, n: u64, plan: Plan, force: Force) -> Vec<Claim> {
    with_gen(seed, n, |g| {
        let mut out = Vec::new();
        g.build(mid_window(g), plan, force, &mut out);
        out
    })
}

/// The claims of `kind` that `plan` gives each of members `2..2 + members` (members 0 and 1 are
/// the demo members), with ordinary and with every optional element forced on.
pub(super) fn family(seed: u64, members: u64, kind: Kind, plan: Plan) -> Vec<Claim> {
    let mut all = Vec::new();
    for n in 2..2 + members {
        for force in [Force::default(), Force::rich()] {
            all.extend(
                build(seed, n, plan, force)
                    .into_iter()
                    .filter(|c| c.kind == kind),
            );
        }
    }
    assert!(!all.is_empty(), "{plan:?} built no {kind:?} claim");
    all
}

/// The CSV rows of one claim, as `generate` writes them.
pub(super) fn rows(c: &Claim) -> Vec<Vec<String>> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    write_claim(&mut Row::new(), c, "M00042", &mut w).expect("write claim");
    let bytes = w.into_inner().expect("flush");
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(&bytes[..])
        .records()
        .map(|r| r.expect("record").iter().map(str::to_string).collect())
        .collect()
}

pub(super) fn cell(row: &[String], c: C) -> &str {
    &row[c as usize]
}

/// The claim's rows, checked for what every family needs: one row per line, [`EVERY_CLAIM`].
pub(super) fn checked_rows(c: &Claim) -> Vec<Vec<String>> {
    let rows = rows(c);
    assert_eq!(rows.len(), c.lines.len(), "{}: one row per line", c.id);
    assert_filled(c, &rows, EVERY_CLAIM);
    rows
}

/// A fill of `drug` (refill 1 of 3, written at the pharmacy's counter).
pub(super) fn fill(drug: &'static Drug, days: u32) -> Plan {
    Plan::Fill(Fill {
        drug,
        days,
        refill: 1,
        authorized: 3,
        prescriber: None,
        origin: "1",
    })
}

/// Every row of the claim has a value in each of `cols`.
pub(super) fn assert_filled(c: &Claim, rows: &[Vec<String>], cols: &[C]) {
    for (i, r) in rows.iter().enumerate() {
        for col in cols {
            assert!(
                !cell(r, *col).is_empty(),
                "{} ({}) row {}: {col:?} is empty",
                c.id,
                c.kind.claim_type(),
                i + 1
            );
        }
    }
}

/// Columns every claim needs whatever its family: the C4BB EOB's identifier, type, patient,
/// billablePeriod.start, insurer, provider, created (received), payment type and payee, and a
/// line number and service date on each item.
pub(super) const EVERY_CLAIM: &[C] = &[
    C::ClaimId,
    C::ClaimType,
    C::PatientAccount,
    C::ServiceStart,
    C::Payer,
    C::BillingNpi,
    C::ReceivedDate,
    C::PaidDate,
    C::ProcessingStatus,
    C::PaymentStatus,
    C::PayeeType,
    C::Payee,
    C::TotalSubmitted,
    C::LineNumber,
    C::LineFrom,
    C::LineBenefitStatus,
];

/// The money invariants the adjudicator promises (see [`Money`]), on every line and between the
/// lines and the header.
pub(super) fn assert_money_consistent(c: &Claim) {
    let mut sum = Money::default();
    for (i, l) in c.lines.iter().enumerate() {
        let m = &l.money;
        let at = format!("{} line {}: {m:?}", c.id, i + 1);
        assert!(m.submitted >= m.allowed, "{at}");
        assert!(m.allowed >= m.paid && m.paid >= 0, "{at}");
        assert!(
            m.noncovered >= 0 && m.discount >= 0 && m.prior_paid >= 0,
            "{at}"
        );
        assert_eq!(m.submitted, m.allowed + m.noncovered + m.discount, "{at}");
        assert_eq!(
            m.liability,
            m.deductible + m.coinsurance + m.copay + m.noncovered,
            "{at}"
        );
        assert_eq!(
            m.allowed,
            m.deductible + m.coinsurance + m.copay + m.prior_paid + m.paid,
            "{at}"
        );
        assert_eq!(m.paid, m.to_provider + m.reimbursement, "{at}");
        if l.denied.is_some() {
            assert_eq!(m.allowed, 0, "{at}: a denied line allows nothing");
        }
        if c.primary_payer.is_none() {
            assert_eq!(
                m.prior_paid, 0,
                "{at}: prior payer paid without a prior payer"
            );
        }
        sum.add(m);
    }
    assert_eq!(c.total, sum, "{}: header is not the sum of its lines", c.id);
    if c.payment_status == "denied" {
        assert_eq!(c.total.paid, 0, "{}: a denied claim paid", c.id);
    }
}

/// The same seed and member give the same rows for `plan`; another seed gives other rows.
pub(super) fn assert_deterministic(plan: Plan) {
    let written = |seed| -> Vec<Vec<Vec<String>>> {
        build(seed, 3, plan, Force::default())
            .iter()
            .map(rows)
            .collect()
    };
    assert_eq!(written(5), written(5), "{plan:?}");
    assert_ne!(written(5), written(6), "{plan:?}");
}

/// Cents as the claims file writes them.
pub(super) fn money(cents: i64) -> String {
    let mut s = String::new();
    crate::generate::columns::push_money(&mut s, cents);
    s
}
