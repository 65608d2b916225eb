//! Claims adjudicated after the generated history (`arrivals`): member `n` at tick `t` gets one
//! new claim built by an ordinary claim family, and the claim of tick `t - 1` is adjusted (the
//! generator's replacement pair: the original cancelled and `replacedby`, a corrected claim
//! with `prior`). Everything depends only on `(seed, n, t)`: the draws come from a stream of
//! their own, never from the member's, so the generated history stays byte-identical.

use super::model::Claim;
use super::plan::{rand_day, Force, Plan};
use super::ClaimGen;
use crate::generate::member::make_member;
use crate::generate::pools::Pools;
use crate::generate::rng::{mix64, stream, Rng};

/// How many days before the end of the member's claims window an arriving claim's service
/// may fall (the generated history ends there; so does the member's coverage).
const RECENT_DAYS: i64 = 60;

/// The claim ids of tick `tick`'s arrival for member `n`: the claim as first adjudicated and
/// the corrected claim that replaces it one tick later.
pub fn arrival_ids(n: u64, tick: u64) -> (String, String) {
    let original = format!("C{n:05}-T{tick:04}");
    let replacement = format!("{original}-R");
    (original, replacement)
}

/// Tick `tick`'s arrival for member `n` of a run with `seed` whose provider pools are `pools`
/// (any run of more than `n` members: member `n` draws from the part that exists for `n + 1`):
/// `(as first adjudicated, cancelled, replacement)`.
pub(crate) fn arrival_of(
    pools: &Pools,
    seed: u64,
    n: u64,
    tick: u64,
) -> Option<(Claim, Claim, Claim)> {
    let view = pools.view(n);
    let member = make_member(&mut Rng::derive(seed, stream::MEMBER, n), n, &view);
    let rng = Rng::derive(mix64(seed ^ tick), stream::ARRIVAL, n);
    ClaimGen::new(rng, &member, &view).arrival(n, tick)
}

impl ClaimGen<'_, '_> {
    /// The claim that arrives at `tick` (as first adjudicated: active, no `related`) and its
    /// replacement (the original cancelled with `adjusted_to`, the corrected claim with
    /// `adjusted_from`), ids from [`arrival_ids`]. `None` only if the family built nothing.
    fn arrival(&mut self, n: u64, tick: u64) -> Option<(Claim, Claim, Claim)> {
        let (a, b) = self.m.window;
        let from = if a.days_until(b) > RECENT_DAYS {
            b.plus(-RECENT_DAYS)
        } else {
            a
        };
        let day = rand_day(&mut self.r, from, b);
        let plan = *self
            .r
            .pick(&[Plan::Office, Plan::Lab, Plan::Telehealth, Plan::Imaging]);
        let force = Force {
            adjusted: true,
            ..Force::default()
        };
        let mut out = Vec::new();
        self.build(day, plan, force, &mut out);
        let at = out.iter().position(|c| c.adjusted_to.is_some())?;
        let mut rest = out.drain(at..);
        let mut cancelled = rest.next()?;
        let mut replacement = rest.next()?;
        let (original_id, replacement_id) = arrival_ids(n, tick);
        cancelled.id = original_id.clone();
        cancelled.adjusted_to = Some(replacement_id.clone());
        replacement.id = replacement_id;
        replacement.adjusted_from = Some(original_id.clone());
        replacement.note = Some(format!("Corrected claim: replaces claim {original_id}"));
        let mut first = cancelled.clone();
        first.adjusted_to = None;
        first.status = "active";
        Some((first, cancelled, replacement))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::pools::Sizes;

    fn arrival(n: u64, tick: u64) -> (Claim, Claim, Claim) {
        let pools = Pools::build(7, Sizes::for_count(n + 1));
        arrival_of(&pools, 7, n, tick).expect("an arrival")
    }

    #[test]
    fn an_arrival_is_a_claim_then_its_adjustment() {
        for n in 0..12 {
            let (first, cancelled, replacement) = arrival(n, 3);
            let (a, r) = arrival_ids(n, 3);
            assert_eq!((first.id.as_str(), first.status), (a.as_str(), "active"));
            assert_eq!((&first.adjusted_from, &first.adjusted_to), (&None, &None));
            assert_eq!(cancelled.id, a);
            assert_eq!(cancelled.status, "cancelled");
            assert_eq!(cancelled.adjusted_to.as_ref(), Some(&r));
            assert_eq!(replacement.id, r);
            assert_eq!(replacement.adjusted_from.as_ref(), Some(&a));
            assert_eq!(replacement.status, "active");
            assert!(!first.lines.is_empty() && !replacement.lines.is_empty());
        }
    }

    #[test]
    fn the_same_member_and_tick_give_the_same_claim() {
        let without_ids = |n, tick| {
            let (mut first, _, _) = arrival(n, tick);
            first.id.clear();
            format!("{first:?}")
        };
        let x = without_ids(5, 2);
        assert_eq!(x, without_ids(5, 2));
        assert_ne!(x, without_ids(5, 3));
        assert_ne!(x, without_ids(6, 2));
        // A larger run's pools give member 5 the same claim.
        let pools = Pools::build(7, Sizes::for_count(400));
        let (mut first, _, _) = arrival_of(&pools, 7, 5, 2).expect("an arrival");
        first.id.clear();
        assert_eq!(x, format!("{first:?}"));
    }
}
