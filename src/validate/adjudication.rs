//! Adjudication and total slice tables per EOB profile, and the engine that checks them. The
//! slicings are open and discriminated by a pattern on `category`: either one code of
//! C4BBAdjudicationDiscriminator, or (slice "adjudicationamounttype") any code of the
//! C4BBAdjudication value set.

use serde_json::Value;

use super::codes::{self as c, ValueSet};
use super::datatypes::{binding, binding_at, has_coding, in_vs, money_at, Strength};
use super::json::{card_count, card_one, child, idx, list, prim, Prim, Report};
use super::Profile;

const ONE: Option<usize> = Some(1);

/// Slice discriminator: the AAT slice (category in C4BBAdjudication) or AD#code.
#[derive(Debug, Clone, Copy)]
pub enum AdjKind {
    AmountType,
    Code(&'static str),
}

#[derive(Debug)]
pub struct AdjSlice {
    pub name: &'static str,
    pub kind: AdjKind,
    /// `reason` 1..1 with a required binding.
    pub reason: Option<&'static ValueSet>,
    pub value_required: bool,
    pub amount_required: bool,
}

static AAT: AdjSlice = AdjSlice {
    name: "adjudicationamounttype",
    kind: AdjKind::AmountType,
    reason: None,
    value_required: false,
    amount_required: true,
};
const fn ad(code: &'static str, reason: Option<&'static ValueSet>) -> AdjSlice {
    AdjSlice {
        name: code,
        kind: AdjKind::Code(code),
        reason,
        value_required: false,
        amount_required: false,
    }
}
static ADJUSTMENT: AdjSlice = ad("adjustmentreason", Some(&c::CARC_RARC_VS));
static ALLOWED_UNITS: AdjSlice = ad("allowedunits", None);
static ALLOWED_UNITS_VALUE: AdjSlice = AdjSlice {
    value_required: true,
    ..ad("allowedunits", None)
};
static REJECT: AdjSlice = ad("rejectreason", Some(&c::NCPDP_REJECT_VS));
static BILLING_NET: AdjSlice = ad("billingnetworkstatus", Some(&c::NETWORK_STATUS_VS));
static RENDERING_NET: AdjSlice = ad("renderingnetworkstatus", Some(&c::NETWORK_STATUS_VS));
static BENEFIT_STATUS: AdjSlice = ad("benefitpaymentstatus", Some(&c::BENEFIT_PAYMENT_STATUS_VS));

type AdjUse = (&'static AdjSlice, usize, Option<usize>);
/// `(element min, slices)`.
type AdjTable = (usize, &'static [AdjUse]);

static ITEM_INST: AdjTable = (
    0,
    &[
        (&AAT, 0, None),
        (&ADJUSTMENT, 0, None),
        (&ALLOWED_UNITS_VALUE, 0, ONE),
    ],
);
static HEADER_INST: AdjTable = (
    1,
    &[
        (&BILLING_NET, 0, ONE),
        (&BENEFIT_STATUS, 1, ONE),
        (&AAT, 0, None),
        (&ADJUSTMENT, 0, None),
    ],
);
static ITEM_PROF_ORAL: AdjTable = (
    2,
    &[
        (&AAT, 1, None),
        (&ADJUSTMENT, 0, ONE),
        (&BENEFIT_STATUS, 1, ONE),
        (&ALLOWED_UNITS, 0, ONE),
    ],
);
static HEADER_PROF: AdjTable = (0, &[(&BILLING_NET, 0, ONE), (&RENDERING_NET, 0, ONE)]);
static HEADER_ORAL: AdjTable = (
    2,
    &[
        (&BILLING_NET, 0, ONE),
        (&RENDERING_NET, 1, ONE),
        (&BENEFIT_STATUS, 1, None),
    ],
);
static ITEM_PHARM: AdjTable = (1, &[(&AAT, 1, None), (&REJECT, 0, ONE)]);
static HEADER_PHARM: AdjTable = (1, &[(&BILLING_NET, 0, ONE), (&BENEFIT_STATUS, 1, ONE)]);

/// `(item.adjudication, header adjudication)` tables of a profile.
pub fn adjudication_tables(p: Profile) -> (&'static AdjTable, &'static AdjTable) {
    match p {
        Profile::EobInpatient | Profile::EobOutpatient => (&ITEM_INST, &HEADER_INST),
        Profile::EobProfessional => (&ITEM_PROF_ORAL, &HEADER_PROF),
        Profile::EobOral => (&ITEM_PROF_ORAL, &HEADER_ORAL),
        _ => (&ITEM_PHARM, &HEADER_PHARM),
    }
}

/// Is this adjudication (or total) in the "adjudicationamounttype" slice?
pub fn is_amount_type(adj: &Value) -> bool {
    adj.get("category")
        .is_some_and(|cc| in_vs(cc, &c::ADJUDICATION_VS))
}

fn in_slice(adj: &Value, kind: AdjKind) -> bool {
    match kind {
        AdjKind::AmountType => is_amount_type(adj),
        AdjKind::Code(code) => adj
            .get("category")
            .is_some_and(|cc| has_coding(cc, c::AD, code)),
    }
}

/// Core element rules of one adjudication entry.
pub fn adjudication_element(r: &mut Report, adj: &Value, ap: &str) {
    card_one(r, adj, ap, "category", true);
    binding_at(
        r,
        adj,
        ap,
        "category",
        &c::ADJ_CATEGORY_DISCRIMINATOR_VS,
        Strength::Extensible,
    );
    card_one(r, adj, ap, "reason", false);
    card_one(r, adj, ap, "amount", false);
    card_one(r, adj, ap, "value", false);
    money_at(r, adj, ap, "amount");
    prim(r, adj, ap, "value", Prim::Decimal);
}

/// `container.adjudication` against a table (`container_path` is where the array lives).
pub fn adjudications(r: &mut Report, container: &Value, container_path: &str, table: &AdjTable) {
    let (min, slices) = *table;
    let adjs = list(container, "adjudication");
    let path = child(container_path, "adjudication");
    card_count(r, &path, adjs.len(), min, None, "adjudication");
    for (i, a) in adjs.iter().enumerate() {
        adjudication_element(r, a, &idx(container_path, "adjudication", i));
    }
    for (slice, smin, smax) in slices {
        let members: Vec<usize> = adjs
            .iter()
            .enumerate()
            .filter(|(_, a)| in_slice(a, slice.kind))
            .map(|(i, _)| i)
            .collect();
        let what = format!("slice adjudication:{}", slice.name);
        card_count(r, &path, members.len(), *smin, *smax, &what);
        for i in members {
            let a = &adjs[i];
            let ap = idx(container_path, "adjudication", i);
            if slice.amount_required {
                card_one(r, a, &ap, "amount", true);
            }
            if slice.value_required {
                card_one(r, a, &ap, "value", true);
            }
            if let Some(vs) = slice.reason {
                card_one(r, a, &ap, "reason", true);
                if let Some(reason) = a.get("reason") {
                    binding(r, reason, &child(&ap, "reason"), vs, Strength::Required);
                }
            }
        }
    }
}

/// `total`: 1..*, category/amount 1..1, slice adjudicationamounttype 1..*, category binding.
pub fn totals(r: &mut Report, res: &Value, base: &str, p: Profile) {
    let totals = list(res, "total");
    let path = child(base, "total");
    card_count(r, &path, totals.len(), 1, None, "total");
    // Oral leaves total.category with the core example binding.
    let vs = match p {
        Profile::EobProfessional => Some(&c::ADJUDICATION_VS),
        Profile::EobOral => None,
        _ => Some(&c::TOTAL_CATEGORY_DISCRIMINATOR_VS),
    };
    for (i, t) in totals.iter().enumerate() {
        let tp = idx(base, "total", i);
        card_one(r, t, &tp, "category", true);
        card_one(r, t, &tp, "amount", true);
        if let Some(vs) = vs {
            binding_at(r, t, &tp, "category", vs, Strength::Extensible);
        }
        money_at(r, t, &tp, "amount");
    }
    let aat = totals.iter().filter(|t| is_amount_type(t)).count();
    card_count(r, &path, aat, 1, None, "slice total:adjudicationamounttype");
}
