//! Claims: the model, the per-type builders, adjudication (money) and the CSV row writer.

use std::io;

use super::codes::*;
use super::columns::{Row, C};
use super::day::Day;
use super::member::{Member, DATA_END};
use super::pools::{Org, Prac, View};
use super::rng::Rng;

// ---------------------------------------------------------------------------------------------
// Model
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Inpatient,
    Outpatient,
    Professional,
    Oral,
    Pharmacy,
}

impl Kind {
    /// The canonical `Claim type` value.
    pub(crate) fn claim_type(self) -> &'static str {
        match self {
            Kind::Inpatient => "inpatient-facility",
            Kind::Outpatient => "outpatient-facility",
            Kind::Professional => "professional-nonclinician",
            Kind::Oral => "oral",
            Kind::Pharmacy => "pharmacy",
        }
    }

    fn institutional(self) -> bool {
        matches!(self, Kind::Inpatient | Kind::Outpatient)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Net {
    In,
    Out,
}

impl Net {
    pub(crate) fn text(self) -> &'static str {
        match self {
            Net::In => "innetwork",
            Net::Out => "outofnetwork",
        }
    }
}

/// Amounts in cents. Invariants (checked by the tests):
/// `submitted = allowed + noncovered + discount`, `allowed ≥ paid`,
/// `liability = deductible + coinsurance + copay + noncovered`,
/// `paid = allowed − deductible − coinsurance − copay − prior_paid`,
/// `paid = to_provider + reimbursement`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Money {
    pub submitted: i64,
    pub allowed: i64,
    pub noncovered: i64,
    pub discount: i64,
    pub deductible: i64,
    pub coinsurance: i64,
    pub copay: i64,
    pub prior_paid: i64,
    pub paid: i64,
    pub to_provider: i64,
    pub reimbursement: i64,
    pub by_patient: i64,
    pub liability: i64,
}

impl Money {
    fn add(&mut self, o: &Money) {
        self.submitted += o.submitted;
        self.allowed += o.allowed;
        self.noncovered += o.noncovered;
        self.discount += o.discount;
        self.deductible += o.deductible;
        self.coinsurance += o.coinsurance;
        self.copay += o.copay;
        self.prior_paid += o.prior_paid;
        self.paid += o.paid;
        self.to_provider += o.to_provider;
        self.reimbursement += o.reimbursement;
        self.by_patient += o.by_patient;
        self.liability += o.liability;
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Dx {
    pub code: Coded,
    pub kind: &'static str,
    pub poa: Option<&'static str>,
    pub is_e: bool,
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum Product {
    None,
    Svc(&'static Svc),
    Cdt(&'static Cdt),
    Drug(&'static Drug),
}

#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub from: Day,
    pub to: Option<Day>,
    pub tos: Option<&'static str>,
    pub pos: Option<&'static str>,
    pub revenue: Option<&'static str>,
    pub product: Product,
    /// `(ICD-10-PCS code, principal/other, date)`.
    pub pcs: Option<(Coded, &'static str, Day)>,
    pub units: u32,
    pub allowed_units: Option<u32>,
    pub modifiers: [&'static str; 4],
    pub qty: Option<(u32, &'static str)>,
    pub compound: Option<&'static Compound>,
    pub compound_code: Option<&'static str>,
    /// Denial code when the line is denied (CARC, or NCPDP reject on pharmacy claims).
    pub denied: Option<&'static str>,
    /// Adjustment reason on a paid line (CARC).
    pub adjust: Option<&'static str>,
    pub charge: i64,
    pub money: Money,
    pub drug_cost: Option<i64>,
    pub dx: Option<Dx>,
    pub tooth: Option<&'static str>,
    pub area: Option<&'static str>,
    pub surface: Option<String>,
    pub additional_site: Option<&'static str>,
}

impl Line {
    fn new(from: Day) -> Line {
        Line {
            from,
            to: None,
            tos: None,
            pos: None,
            revenue: None,
            product: Product::None,
            pcs: None,
            units: 1,
            allowed_units: None,
            modifiers: [""; 4],
            qty: None,
            compound: None,
            compound_code: None,
            denied: None,
            adjust: None,
            charge: 0,
            money: Money::default(),
            drug_cost: None,
            dx: None,
            tooth: None,
            area: None,
            surface: None,
            additional_site: None,
        }
    }

    fn svc(from: Day, s: &'static Svc, r: &mut Rng) -> Line {
        let mut l = Line::new(from);
        l.product = Product::Svc(s);
        l.tos = Some(s.tos);
        l.charge = dollars(r, s.lo, s.hi);
        l
    }

    fn modifiers(mut self, m: &[&'static str]) -> Line {
        for (slot, v) in self.modifiers.iter_mut().zip(m) {
            *slot = v;
        }
        self
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Rx {
    pub days: u32,
    pub reference: String,
    pub daw: &'static str,
    pub refill: u32,
    pub authorized: u32,
    pub origin: &'static str,
    pub brand_generic: &'static str,
    pub service_type: &'static str,
    pub residence: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct Transport {
    pub weight: u32,
    pub reason: &'static str,
    pub miles: u32,
    pub round_trip: Option<&'static str>,
    pub stretcher: Option<&'static str>,
    pub pickup: String,
    pub dropoff: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Claim {
    pub kind: Kind,
    pub id: String,
    pub start: Day,
    pub end: Day,
    pub received: Day,
    pub paid_date: Day,
    pub admission: bool,
    pub mrn: Option<String>,
    pub adjusted_from: Option<String>,
    pub adjusted_to: Option<String>,
    pub drg: Option<&'static str>,
    pub origin: Option<&'static str>,
    pub admission_type: Option<&'static str>,
    /// Type of bill: facility digit, classification digit, frequency digit.
    pub tob: Option<(&'static str, &'static str, &'static str)>,
    pub status: &'static str,
    pub discharge: Option<&'static str>,
    pub denial: Option<&'static str>,
    pub payer: String,
    pub primary_payer: Option<String>,
    pub payee_type: &'static str,
    pub payee: String,
    pub payment_status: &'static str,
    pub rx: Option<Rx>,
    pub net: Net,
    pub performing_net: Net,
    pub billing: Option<u64>,
    pub attending: Option<u64>,
    pub site: Option<u64>,
    pub referring: Option<u64>,
    pub performing: Option<u64>,
    pub prescribing: Option<u64>,
    pub pcp: Option<u64>,
    pub supervising: Option<u64>,
    pub operating: Option<u64>,
    pub other_operating: Option<u64>,
    pub purchased: Option<u64>,
    pub note: Option<String>,
    pub transport: Option<Transport>,
    pub ortho: Option<(u32, Day)>,
    pub prosthesis: Option<(bool, Option<Day>)>,
    pub missing: Option<&'static str>,
    /// Institutional claims whose amounts exist only at the header.
    pub header_only: bool,
    pub lines: Vec<Line>,
    pub total: Money,
    /// The focal coverage's relationship is `self`.
    subscriber_is_member: bool,
    medicare: bool,
}

// ---------------------------------------------------------------------------------------------
// Plans (what happens to a member) and forced options (for the demo members)
// ---------------------------------------------------------------------------------------------

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

const NOTES: &[&str] = &[
    "Claim processed under the member's current benefit plan",
    "Prior authorization on file for this service",
    "Member cost share applied according to plan benefits",
    "Please retain this explanation of benefits for your records",
];

fn dollars(r: &mut Rng, lo: i64, hi: i64) -> i64 {
    r.range(lo * 100, hi * 100)
}

fn rand_day(r: &mut Rng, a: Day, b: Day) -> Day {
    a.plus(r.range(0, a.days_until(b).max(0)))
}

fn scale(cents: i64, f: f64) -> i64 {
    (cents as f64 * f).round() as i64
}

/// ADA universal tooth numbers and primary-tooth letters.
const TEETH: [&str; 32] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17",
    "18", "19", "20", "21", "22", "23", "24", "25", "26", "27", "28", "29", "30", "31", "32",
];
const PRIMARY_TEETH: [&str; 20] = [
    "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R", "S",
    "T",
];
const MOLARS: [usize; 8] = [2, 3, 14, 15, 18, 19, 30, 31];

fn is_anterior(tooth: &str) -> bool {
    match tooth.parse::<u32>() {
        Ok(n) => (6..=11).contains(&n) || (22..=27).contains(&n),
        Err(_) => matches!(
            tooth,
            "C" | "D" | "E" | "F" | "G" | "H" | "M" | "N" | "O" | "P" | "Q" | "R"
        ),
    }
}

/// `count` distinct surfaces valid for the tooth, in the conventional order.
fn surfaces(r: &mut Rng, tooth: &str, count: u8) -> String {
    let order: &[char] = if is_anterior(tooth) {
        &['M', 'I', 'D', 'F', 'L']
    } else {
        &['M', 'O', 'D', 'B', 'L']
    };
    let mut chosen = [false; 5];
    let mut n = 0;
    // Occlusal/incisal first, then neighbours: realistic MO, DO, MOD, OB…
    chosen[1] = true;
    n += 1;
    while n < count.min(5) {
        let i = r.index(5);
        if !chosen[i] {
            chosen[i] = true;
            n += 1;
        }
    }
    order
        .iter()
        .zip(chosen)
        .filter(|(_, c)| *c)
        .map(|(ch, _)| *ch)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------------

pub(crate) struct ClaimGen<'m, 'a> {
    pub r: Rng,
    m: &'m Member<'a>,
    view: &'m View<'a>,
    seq: u32,
    rx_seq: u32,
    specialists: Vec<(Specialty, &'a Org, &'a Prac)>,
    prescriber_override: Option<&'a Prac>,
}

struct Terms {
    net: Net,
    provider_payee: bool,
    prior: bool,
    deductible_left: i64,
    copay: i64,
    copay_line: usize,
    coins: f64,
    pharmacy: bool,
}

impl<'m, 'a> ClaimGen<'m, 'a> {
    pub(crate) fn new(r: Rng, m: &'m Member<'a>, view: &'m View<'a>) -> Self {
        ClaimGen {
            r,
            m,
            view,
            seq: 0,
            rx_seq: 0,
            specialists: Vec::new(),
            prescriber_override: None,
        }
    }

    fn specialist(&mut self, s: Specialty) -> (&'a Org, &'a Prac, bool) {
        if let Some(&(_, o, p)) = self.specialists.iter().find(|x| x.0 == s) {
            return (o, p, false);
        }
        let (o, p) = self
            .view
            .specialist(&mut self.r, s, self.m.state)
            .unwrap_or((self.m.pcp_clinic, self.m.pcp));
        self.specialists.push((s, o, p));
        (o, p, true)
    }

    /// A physician of the member's primary-care clinic (supervises the nurse practitioner).
    fn clinic_physician(&self) -> &'a Prac {
        let c = self.m.pcp_clinic;
        c.staff_with(Specialty::FamilyMedicine)
            .or(c.staff_with(Specialty::InternalMedicine))
            .unwrap_or(&c.staff[0])
    }

    fn claim(&mut self, kind: Kind, start: Day, end: Day, force: &Force) -> Claim {
        let (cov, prior) = self.m.coverage_at(start);
        let received = end.plus(self.r.range(1, 20)).min(DATA_END);
        let paid_date = received.plus(self.r.range(5, 30)).min(DATA_END);
        let net = match force.net {
            Some(n) => n,
            None => {
                let p_in = match kind {
                    Kind::Pharmacy => 0.96,
                    Kind::Inpatient => 0.93,
                    Kind::Outpatient => 0.9,
                    Kind::Oral => 0.85,
                    Kind::Professional => 0.87,
                };
                if self.r.chance(p_in) {
                    Net::In
                } else {
                    Net::Out
                }
            }
        };
        let performing_net = if force.net.is_none() && self.r.chance(0.05) {
            match net {
                Net::In => Net::Out,
                Net::Out => Net::In,
            }
        } else {
            net
        };
        Claim {
            kind,
            id: String::new(),
            start,
            end,
            received,
            paid_date,
            admission: false,
            mrn: None,
            adjusted_from: None,
            adjusted_to: None,
            drg: None,
            origin: None,
            admission_type: None,
            tob: None,
            status: "active",
            discharge: None,
            denial: None,
            payer: cov.id.clone(),
            primary_payer: prior.map(|c| c.id.clone()),
            payee_type: "provider",
            payee: String::new(),
            payment_status: "paid",
            rx: None,
            net,
            performing_net,
            billing: None,
            attending: None,
            site: None,
            referring: None,
            performing: None,
            prescribing: None,
            pcp: Some(self.m.pcp.npi),
            supervising: None,
            operating: None,
            other_operating: None,
            purchased: None,
            note: None,
            transport: None,
            ortho: None,
            prosthesis: None,
            missing: None,
            header_only: false,
            lines: Vec::new(),
            total: Money::default(),
            subscriber_is_member: cov.relationship == "self",
            medicare: cov.payer.medicare,
        }
    }

    fn mrn(&self, org_npi: u64) -> String {
        format!(
            "MR{:08}",
            super::pools::scramble(org_npi ^ (self.m.n << 20), 100_000_000)
        )
    }

    /// The member's chronic diagnoses, as secondary diagnoses.
    fn chronic_dx(&self) -> Vec<Coded> {
        self.m.conditions.iter().map(|c| c.dx).collect()
    }

    // -----------------------------------------------------------------------------------------
    // Planning
    // -----------------------------------------------------------------------------------------

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

    /// Members 0 and 1: every claim type and every optional column, with a professional claim
    /// paid to the member first. Each alone shows every C4BB must-support element of each
    /// claim type (tests/must_support.rs): so every type has an adjusted (`related`) claim and
    /// each institutional type a denied one (header adjustment reason).
    fn demo_plan(&mut self) -> Vec<(Day, Plan, Force)> {
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

    // -----------------------------------------------------------------------------------------
    // Building
    // -----------------------------------------------------------------------------------------

    /// Builds the claims of one plan into `out` (ids assigned in order).
    pub(crate) fn build(&mut self, day: Day, plan: Plan, force: Force, out: &mut Vec<Claim>) {
        match plan {
            Plan::Office => self.office(day, force, out),
            Plan::Preventive => self.preventive(day, force, out),
            Plan::Specialist(s) => self.specialist_visit(day, s, force, out),
            Plan::Lab => self.lab(day, force, out),
            Plan::Imaging => self.imaging(day, force, out),
            Plan::Therapy => self.therapy(day, force, out),
            Plan::Mental(s) => self.mental(day, s, force, out),
            Plan::Dme(s) => self.dme(day, s, force, out),
            Plan::Telehealth => self.telehealth(day, force, out),
            Plan::Transport => {
                let hosp = self.view.hospital(&mut self.r, self.m.state);
                let dx = *self.r.pick(&[DX_N18_30, DX_I50_9, DX_J44_9]);
                self.transport(day, false, dx, hosp, force, out);
            }
            Plan::Stay(i) => self.stay(day, i, force, out),
            Plan::Outpatient(i) => self.outpatient(day, i, force, out),
            Plan::Fill(f) => self.fill(day, f, None, force, out),
            Plan::Compound(i) => {
                let f = Fill {
                    drug: COMPOUNDS[i].ingredients[0].0,
                    days: COMPOUNDS[i].days,
                    refill: 0,
                    authorized: 1,
                    prescriber: None,
                    origin: "1",
                };
                self.fill(day, f, Some(&COMPOUNDS[i]), force, out);
            }
            Plan::Oral(k) => self.oral(day, k, force, out),
        }
    }

    fn prof_claim(&mut self, day: Day, billing: &Org, performing: &Prac, force: &Force) -> Claim {
        let mut c = self.claim(Kind::Professional, day, day, force);
        c.billing = Some(billing.npi);
        c.site = Some(billing.npi);
        c.performing = Some(performing.npi);
        c.mrn = Some(self.mrn(billing.npi));
        c
    }

    fn prof_dx(principal: Coded, rest: &[Coded]) -> Vec<Dx> {
        let mut v = vec![Dx {
            code: principal,
            kind: "principal",
            poa: None,
            is_e: false,
        }];
        for d in rest {
            if v.iter().all(|x| x.code.0 != d.0) {
                v.push(Dx {
                    code: *d,
                    kind: "secondary",
                    poa: None,
                    is_e: false,
                });
            }
        }
        v
    }

    fn attach_dx(lines: &mut [Line], dx: Vec<Dx>) {
        for (l, d) in lines.iter_mut().zip(dx) {
            l.dx = Some(d);
        }
    }

    fn set_pos(lines: &mut [Line], pos: &'static str) {
        for l in lines {
            l.pos = Some(pos);
        }
    }

    fn office(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
        let m = self.m;
        let clinic = m.pcp_clinic;
        // Rich: the visit is with the nurse practitioner, supervised by a physician.
        let performer = if force.rich {
            clinic
                .staff_with(Specialty::NursePractitioner)
                .unwrap_or(m.pcp)
        } else if self.r.chance(0.85) {
            m.pcp
        } else {
            &clinic.staff[self.r.index(clinic.staff.len())]
        };
        let mut c = self.prof_claim(day, clinic, performer, &force);
        if !performer.specialty.is_physician() {
            c.supervising = Some(self.clinic_physician().npi);
        }
        let dx = *self.r.pick(ACUTE_DX);
        let em = *self.r.pick(OFFICE_EM);
        let mut lines = vec![Line::svc(day, em, &mut self.r)];
        let extra = if force.rich { 3 } else { self.r.below(4) };
        if extra >= 1 && matches!(dx.0, "J02.9" | "J06.9") || force.rich {
            lines.push(Line::svc(day, &CPT_87880, &mut self.r).modifiers(&["QW"]));
        }
        if dx.0 == "U07.1" {
            lines.push(Line::svc(day, &CPT_87635, &mut self.r));
        }
        if extra >= 2 {
            let inj = *self.r.pick(INJECTIONS);
            let units = self.r.range(1, 4) as u32;
            let mut l = Line::svc(day, inj, &mut self.r);
            l.charge *= i64::from(units);
            l.units = units;
            lines.push(l);
            lines.push(Line::svc(day, &CPT_96372, &mut self.r));
        }
        if extra >= 3 {
            let p = *self.r.pick(OFFICE_PROCEDURES);
            lines.push(Line::svc(day, p, &mut self.r));
        }
        if lines.len() > 1 {
            lines[0].modifiers[0] = "25";
        }
        Self::set_pos(&mut lines, "11");
        let mut secondary = self.chronic_dx();
        secondary.truncate(3);
        Self::attach_dx(&mut lines, Self::prof_dx(dx, &secondary));
        c.lines = lines;
        let copay = if c.net == Net::In {
            *self.r.pick(&[2000, 2500, 3000, 4000])
        } else {
            0
        };
        self.finish(c, force, copay, out);
        // An acute prescription after the visit.
        if let Some(drug) = acute_drug_for(dx.0) {
            if self.r.chance(0.6) {
                let f = Fill {
                    drug,
                    days: drug.course.1,
                    refill: 0,
                    authorized: 0,
                    prescriber: None,
                    origin: "3",
                };
                let when = day.plus(self.r.range(0, 1));
                self.fill(when, f, None, Force::default(), out);
            }
        }
    }

    fn preventive(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
        let m = self.m;
        let age = m.age_on(day);
        let mut c = self.prof_claim(day, m.pcp_clinic, m.pcp, &force);
        if !m.pcp.specialty.is_physician() {
            c.supervising = Some(self.clinic_physician().npi);
        }
        let new_patient = self.r.chance(0.2);
        let em = preventive_em(age, c.medicare, new_patient);
        let mut lines = vec![Line::svc(day, em, &mut self.r)];
        let principal = if age < 18 {
            DX_Z00_129
        } else if m.conditions.is_empty() {
            DX_Z00_00
        } else {
            DX_Z00_01
        };
        let mut dx = vec![principal];
        if age >= 18 {
            lines.push(Line::svc(day, &CPT_80061, &mut self.r));
            lines.push(Line::svc(day, &CPT_36415, &mut self.r));
            if age >= 35 && self.r.chance(0.5) {
                lines.push(Line::svc(day, &CPT_83036, &mut self.r));
                dx.push(DX_Z13_1);
            }
        }
        if age == 11 || age == 12 || (age >= 19 && self.r.chance(0.1)) {
            lines.push(Line::svc(day, &CPT_90471, &mut self.r));
            lines.push(Line::svc(day, &CPT_90715, &mut self.r));
            dx.push(DX_Z23);
        }
        let (_, month, _) = day.civil();
        if !(4..=9).contains(&month) {
            lines.push(Line::svc(day, &CPT_90471, &mut self.r));
            lines.push(Line::svc(day, &CPT_90686, &mut self.r));
            dx.push(DX_Z23);
        } else if age >= 65 && self.r.chance(0.3) {
            lines.push(Line::svc(day, &CPT_90471, &mut self.r));
            lines.push(Line::svc(day, &CPT_90732, &mut self.r));
            dx.push(DX_Z23);
        }
        Self::set_pos(&mut lines, "11");
        dx.extend(self.chronic_dx());
        Self::attach_dx(&mut lines, Self::prof_dx(dx[0], &dx[1..]));
        c.lines = lines;
        self.finish(c, force, 0, out);
    }

    fn specialist_visit(&mut self, day: Day, s: Specialty, force: Force, out: &mut Vec<Claim>) {
        let (org, prac, first) = self.specialist(s);
        // Rich or by chance: seen by the clinic's physician assistant under supervision.
        let pa = org.staff_with(Specialty::PhysicianAssistant);
        let performer = match pa {
            Some(p) if force.rich || self.r.chance(0.15) => p,
            _ => prac,
        };
        let mut c = self.prof_claim(day, org, performer, &force);
        if performer.npi != prac.npi {
            c.supervising = Some(prac.npi);
        }
        c.referring = Some(self.m.pcp.npi);
        let em = if first {
            *self.r.pick(NEW_PATIENT_EM)
        } else {
            *self.r.pick(OFFICE_EM)
        };
        let mut lines = vec![Line::svc(day, em, &mut self.r)];
        let extra: Option<&'static Svc> = match s {
            Specialty::Cardiology => Some(&CPT_93000),
            Specialty::Orthopedics => Some(*self.r.pick(&[&CPT_20610, &CPT_73562])),
            Specialty::Endocrinology => Some(&CPT_83036),
            Specialty::Dermatology => Some(&CPT_17110),
            _ => None,
        };
        if let Some(x) = extra {
            if force.rich || self.r.chance(0.5) {
                let mut l = Line::svc(day, x, &mut self.r);
                if x.code == "20610" {
                    l.modifiers[0] = "RT";
                }
                lines.push(l);
                lines[0].modifiers[0] = "25";
            }
        }
        Self::set_pos(&mut lines, "11");
        let principal = self
            .m
            .conditions
            .iter()
            .find(|c| c.specialty == s)
            .map(|c| c.dx)
            .unwrap_or(DX_R07_9);
        let rest = self.chronic_dx();
        Self::attach_dx(&mut lines, Self::prof_dx(principal, &rest));
        c.lines = lines;
        let copay = if c.net == Net::In {
            *self.r.pick(&[4000, 5000, 6000])
        } else {
            0
        };
        self.finish(c, force, copay, out);
    }

    fn lab(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
        let m = self.m;
        let clinic = m.pcp_clinic;
        let mut c = self.prof_claim(day, clinic, m.pcp, &force);
        // The clinic bills tests read by a hospital pathologist (a purchased service).
        if force.rich || self.r.chance(0.3) {
            let hosp = self.view.hospital(&mut self.r, m.state);
            if let Some(p) = hosp.staff_with(Specialty::Pathology) {
                c.purchased = Some(p.npi);
            }
        }
        let mut lines = vec![Line::svc(day, &CPT_36415, &mut self.r)];
        let n = if force.rich { 3 } else { self.r.range(1, 3) };
        let mut used: Vec<&str> = Vec::new();
        for _ in 0..n {
            let t = *self.r.pick(LABS);
            if used.contains(&t.code) {
                continue;
            }
            used.push(t.code);
            lines.push(Line::svc(day, t, &mut self.r));
        }
        Self::set_pos(&mut lines, "11");
        let mut dx = self.chronic_dx();
        if dx.is_empty() {
            dx.push(DX_Z13_1);
        }
        Self::attach_dx(&mut lines, Self::prof_dx(dx[0], &dx[1..]));
        c.lines = lines;
        self.finish(c, force, 0, out);
    }

    fn imaging(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
        let hosp = self.view.hospital(&mut self.r, self.m.state);
        let radiologist = hosp
            .staff_with(Specialty::Radiology)
            .unwrap_or(&hosp.staff[0]);
        let mut c = self.prof_claim(day, hosp, radiologist, &force);
        c.referring = Some(self.m.pcp.npi);
        let study = *self.r.pick(IMAGING);
        let mut lines = vec![Line::svc(day, study, &mut self.r).modifiers(&["26"])];
        if force.rich {
            // Global billing of a second study interpreted by an outside reader.
            let other = hosp.staff_with(Specialty::Pathology).unwrap_or(radiologist);
            c.purchased = Some(other.npi);
            lines.push(Line::svc(day, &CPT_71046, &mut self.r).modifiers(&["TC"]));
        }
        Self::set_pos(&mut lines, "22");
        let dx = match study.code {
            "73562" | "73721" => DX_M25_561,
            "72100" => DX_M54_2,
            "74177" | "76700" => DX_R10_9,
            "70450" | "70551" => DX_R51_9,
            "93306" => DX_R06_02,
            _ => DX_R07_9,
        };
        Self::attach_dx(&mut lines, Self::prof_dx(dx, &[]));
        c.lines = lines;
        self.finish(c, force, 0, out);
    }

    fn therapy(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
        let (org, pt, first) = self.specialist(Specialty::PhysicalTherapist);
        let mut c = self.prof_claim(day, org, pt, &force);
        c.referring = Some(self.m.pcp.npi);
        let mut lines = Vec::new();
        if first {
            lines.push(Line::svc(day, &CPT_97161, &mut self.r).modifiers(&["GP"]));
        }
        for s in [&CPT_97110, &CPT_97140, &CPT_97530] {
            if force.rich || self.r.chance(0.6) || lines.is_empty() {
                let units = self.r.range(1, 4) as u32;
                let mut l = Line::svc(day, s, &mut self.r).modifiers(&["GP"]);
                l.units = units;
                l.charge *= i64::from(units);
                if units > 1 && self.r.chance(0.3) {
                    l.allowed_units = Some(units - 1);
                }
                lines.push(l);
            }
        }
        if force.rich {
            let l = lines
                .iter_mut()
                .find(|l| matches!(l.product, Product::Svc(s) if s.code == "97140"));
            if let Some(l) = l {
                l.modifiers = ["GP", "59", "KX", "CQ"];
                l.units = l.units.max(2);
                l.allowed_units = Some(l.units - 1);
            }
        }
        Self::set_pos(&mut lines, "11");
        let dx = *self.r.pick(&[DX_M54_2, DX_M25_561, DX_M17_11]);
        Self::attach_dx(&mut lines, Self::prof_dx(dx, &[]));
        c.lines = lines;
        let copay = if c.net == Net::In { 3000 } else { 0 };
        self.finish(c, force, copay, out);
    }

    fn mental(&mut self, day: Day, s: Specialty, force: Force, out: &mut Vec<Claim>) {
        let (org, prac, first) = self.specialist(s);
        let mut c = self.prof_claim(day, org, prac, &force);
        let tele = self.r.chance(0.35);
        let code = if first {
            &CPT_90791
        } else {
            *self.r.pick(&[&CPT_90834, &CPT_90837])
        };
        let mut l = Line::svc(day, code, &mut self.r);
        if tele {
            l.modifiers[0] = "95";
        }
        let mut lines = vec![l];
        Self::set_pos(&mut lines, if tele { "10" } else { "11" });
        let principal = self
            .m
            .conditions
            .iter()
            .find(|c| c.specialty == s)
            .map(|c| c.dx)
            .unwrap_or(DX_F41_1);
        Self::attach_dx(&mut lines, Self::prof_dx(principal, &[]));
        c.lines = lines;
        let copay = if c.net == Net::In { 3000 } else { 0 };
        self.finish(c, force, copay, out);
    }

    fn dme(&mut self, day: Day, s: &'static Svc, force: Force, out: &mut Vec<Claim>) {
        let m = self.m;
        let mut c = self.prof_claim(day, m.pcp_clinic, m.pcp, &force);
        c.site = None;
        let mut l = Line::svc(day, s, &mut self.r);
        l.modifiers[0] = if s.tos == "R" { "RR" } else { "NU" };
        if force.rich {
            l.modifiers[1] = "KX";
        }
        if s.code == "A4253" {
            l.units = 2;
            l.charge *= 2;
        }
        let mut lines = vec![l];
        Self::set_pos(&mut lines, "12");
        let dx = match s.code {
            "A4253" | "A4259" | "E0607" => DX_E11_9,
            "E0601" => DX_G47_33,
            _ => *self.r.pick(&[DX_M17_11, DX_I63_9, DX_M81_0]),
        };
        Self::attach_dx(&mut lines, Self::prof_dx(dx, &[]));
        c.lines = lines;
        self.finish(c, force, 0, out);
    }

    fn telehealth(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
        let m = self.m;
        let mut c = self.prof_claim(day, m.pcp_clinic, m.pcp, &force);
        if !m.pcp.specialty.is_physician() {
            c.supervising = Some(self.clinic_physician().npi);
        }
        let em = *self.r.pick(&[&CPT_99212, &CPT_99213, &CPT_99214]);
        let mut lines = vec![Line::svc(day, em, &mut self.r).modifiers(&["95"])];
        let pos = *self.r.pick(&["10", "02"]);
        Self::set_pos(&mut lines, pos);
        let dx = *self.r.pick(ACUTE_DX);
        Self::attach_dx(&mut lines, Self::prof_dx(dx, &[]));
        c.lines = lines;
        self.finish(c, force, 1000, out);
    }

    fn transport(
        &mut self,
        day: Day,
        emergency: bool,
        dx: Coded,
        dest: &Org,
        force: Force,
        out: &mut Vec<Claim>,
    ) {
        let m = self.m;
        let amb = self.view.ambulance(&mut self.r, m.state);
        let als = emergency && self.r.chance(0.5);
        let crew = if als {
            &amb.staff[0]
        } else {
            &amb.staff[amb.staff.len() - 1]
        };
        let mut c = self.claim(Kind::Professional, day, day, &force);
        c.billing = Some(amb.npi);
        c.performing = Some(crew.npi);
        c.mrn = Some(self.mrn(amb.npi));
        let round_trip = !emergency;
        let base: &'static Svc = match (emergency, als) {
            (true, true) => &HCPCS_A0427,
            (true, false) => &HCPCS_A0429,
            (false, _) if self.r.chance(0.2) => &HCPCS_A0426,
            (false, _) => &HCPCS_A0428,
        };
        let miles = self.r.range(2, 28) as u32;
        let out_mod = if emergency && self.r.chance(0.3) {
            "SH"
        } else {
            "RH"
        };
        let mut lines = vec![Line::svc(day, base, &mut self.r).modifiers(&[out_mod]), {
            let mut l = Line::svc(day, &HCPCS_A0425, &mut self.r).modifiers(&[out_mod]);
            l.units = miles;
            l.charge *= i64::from(miles);
            l
        }];
        if round_trip {
            lines.push(Line::svc(day, base, &mut self.r).modifiers(&["HR"]));
            let mut l = Line::svc(day, &HCPCS_A0425, &mut self.r).modifiers(&["HR"]);
            l.units = miles;
            l.charge *= i64::from(miles);
            lines.push(l);
        }
        Self::set_pos(&mut lines, "41");
        Self::attach_dx(&mut lines, Self::prof_dx(dx, &[]));
        c.lines = lines;
        let age = m.age_on(day);
        let weight = if age < 12 {
            30 + age as u32 * 6
        } else {
            self.r.range(105, 280) as u32
        };
        let home = format!("{} {} {} {}", m.street, m.city, m.state, m.zip);
        let facility = format!(
            "{} {} {} {} {}",
            dest.name, dest.street, dest.city, dest.state, dest.zip
        );
        let scene = out_mod == "SH";
        c.transport = Some(Transport {
            weight,
            reason: if emergency {
                self.r.choose_weighted(&[("A", 85), ("D", 15)])
            } else {
                self.r.choose(&["B", "C", "D", "E"])
            },
            miles,
            round_trip: round_trip
                .then_some("Transport to scheduled hospital treatment and return to residence"),
            stretcher: (force.rich || self.r.chance(0.7))
                .then_some("Patient is bed-confined and cannot sit upright"),
            pickup: if scene {
                format!("Scene of incident near {} {} {}", m.city, m.state, m.zip)
            } else {
                format!("Patient residence {home}")
            },
            dropoff: facility,
        });
        self.finish(c, force, 0, out);
    }

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

    fn rev_line(&mut self, day: Day, rev: &'static str, svc: Option<&'static Svc>) -> Line {
        let mut l = Line::new(day);
        l.revenue = Some(rev);
        if let Some(s) = svc {
            l.product = Product::Svc(s);
        }
        l.charge = self.revenue_charge(rev);
        l
    }

    fn stay(&mut self, day: Day, idx: usize, force: Force, out: &mut Vec<Claim>) {
        let s = &STAYS[idx];
        let m = self.m;
        let los = self.r.range(s.los.0, s.los.1).max(1);
        let admit = day;
        let discharge = day.plus(los);
        let hosp = self.view.hospital(&mut self.r, m.state);
        if s.emergency && (force.rich || self.r.chance(0.3)) {
            self.transport(admit, true, s.principal, hosp, Force::default(), out);
        }
        let mut c = self.claim(Kind::Inpatient, admit, discharge, &force);
        c.admission = true;
        c.billing = Some(hosp.npi);
        c.site = Some(hosp.npi);
        c.mrn = Some(self.mrn(hosp.npi));
        let hospitalist = hosp
            .staff_with(Specialty::Hospitalist)
            .unwrap_or(&hosp.staff[0]);
        c.attending = Some(hospitalist.npi);
        let surgeon = s
            .surgeon
            .and_then(|sp| hosp.staff_with(sp))
            .filter(|_| s.surgery.is_some());
        if let Some(sg) = surgeon {
            c.operating = Some(sg.npi);
            if force.rich || self.r.chance(0.3) {
                let other = hosp
                    .staff
                    .iter()
                    .find(|p| {
                        p.npi != sg.npi
                            && matches!(
                                p.specialty,
                                Specialty::GeneralSurgery | Specialty::Orthopedics
                            )
                    })
                    .unwrap_or(&hosp.staff[0]);
                c.other_operating = Some(other.npi);
            }
        }
        if force.rich || s.origin.contains(&"2") || self.r.chance(0.3) {
            c.referring = Some(m.pcp.npi);
        }
        c.drg = Some(s.drg.0);
        c.origin = Some(*self.r.pick(s.origin));
        c.admission_type = Some(s.admission_type);
        c.discharge = Some(*self.r.pick(s.discharge));
        c.tob = Some(("1", "1", "1"));

        // Lines: room and board first, then the stay's own lines, then pharmacy, labs, supplies.
        let mut lines = Vec::new();
        let icu = idx == 14 || (force.rich && self.r.chance(0.5));
        let mut rb = self.rev_line(admit, if icu { "0200" } else { "0120" }, None);
        rb.units = los as u32;
        rb.charge *= los;
        rb.to = Some(discharge.plus(-1).max(admit));
        lines.push(rb);
        for &(rev, svc) in s.lines {
            let mut l = self.rev_line(admit, rev, svc);
            if rev == "0420" {
                l.from = admit.plus(los.min(1));
            }
            lines.push(l);
        }
        let mut ph = self.rev_line(admit, "0250", None);
        ph.units = self.r.range(4, 40) as u32;
        ph.to = Some(discharge);
        lines.push(ph);
        let lab_units = los.clamp(1, 3) as u32;
        let mut cmp = self.rev_line(admit, "0301", Some(&CPT_80053));
        cmp.units = lab_units;
        cmp.charge *= i64::from(lab_units);
        let mut cbc = self.rev_line(admit, "0305", Some(&CPT_85025));
        cbc.units = lab_units;
        cbc.charge *= i64::from(lab_units);
        if lab_units > 1 {
            cbc.modifiers[0] = "91";
            cbc.to = Some(admit.plus(i64::from(lab_units) - 1));
            cmp.to = cbc.to;
        }
        lines.push(cmp);
        lines.push(cbc);
        let supplies = self.rev_line(admit, "0270", None);
        lines.push(supplies);

        // ICD-10-PCS procedures on lines that carry no CPT/HCPCS code.
        const PREFERRED: &[&str] = &["0360", "0481", "0720", "0390", "0200", "0410"];
        for (i, pcs) in s.pcs.iter().enumerate() {
            let kind = if i == 0 { "principal" } else { "other" };
            let free = |l: &Line| matches!(l.product, Product::None) && l.pcs.is_none();
            let pos = lines
                .iter()
                .position(|l| free(l) && l.revenue.is_some_and(|r| PREFERRED.contains(&r)))
                .or_else(|| lines.iter().position(free));
            if let Some(p) = pos {
                let date = if i == 0 {
                    admit.plus(i64::from(los > 2))
                } else {
                    admit.plus(los / 2)
                };
                lines[p].pcs = Some((*pcs, kind, date));
            }
        }

        // Diagnoses: principal, admitting, secondary, external cause, chronic conditions.
        let mut dx: Vec<Dx> = vec![Dx {
            code: s.principal,
            kind: "principal",
            poa: Some("Y"),
            is_e: false,
        }];
        if let Some(a) = s.admitting {
            dx.push(Dx {
                code: a,
                kind: "admitting",
                poa: None,
                is_e: false,
            });
        }
        for (i, d) in s.secondary.iter().enumerate() {
            let poa = if d.0 == "Z37.0" {
                "1"
            } else if force.rich && i == 0 {
                "N"
            } else {
                *self.r.weighted(&[("Y", 80), ("N", 12), ("U", 5), ("W", 3)])
            };
            dx.push(Dx {
                code: *d,
                kind: "other",
                poa: Some(poa),
                is_e: false,
            });
        }
        for d in s.external {
            dx.push(Dx {
                code: *d,
                kind: "externalcauseofinjury",
                poa: Some(if d.0.starts_with('Y') { "1" } else { "Y" }),
                is_e: true,
            });
        }
        let mut k = 0;
        for cond in &m.conditions {
            if dx.iter().any(|x| x.code.0 == cond.dx.0) {
                continue;
            }
            let poa = if force.rich {
                ["U", "W", "Y"][k % 3]
            } else {
                "Y"
            };
            k += 1;
            dx.push(Dx {
                code: cond.dx,
                kind: "other",
                poa: Some(poa),
                is_e: false,
            });
        }
        dx.truncate(lines.len());
        Self::attach_dx(&mut lines, dx);
        c.lines = lines;
        self.finish(c, force, 0, out);

        // Professional claims of the stay: the hospitalist, and the surgeon if any.
        let mut p = self.prof_claim(admit, hosp, hospitalist, &Force::default());
        p.site = Some(hosp.npi);
        let mut lines = vec![Line::svc(admit, &CPT_99223, &mut self.r)];
        if los > 2 {
            let mut l = Line::svc(admit.plus(1), &CPT_99232, &mut self.r);
            l.units = (los - 2) as u32;
            l.charge *= los - 2;
            lines.push(l);
        }
        lines.push(Line::svc(discharge, &CPT_99238, &mut self.r));
        Self::set_pos(&mut lines, "21");
        Self::attach_dx(&mut lines, Self::prof_dx(s.principal, s.secondary));
        p.lines = lines;
        self.finish(p, Force::default(), 0, out);
        if let (Some(sg), Some(surgery)) = (surgeon, s.surgery) {
            let mut p = self.prof_claim(admit, hosp, sg, &Force::default());
            let mut l = Line::svc(admit.plus(i64::from(los > 2)), surgery, &mut self.r);
            if matches!(surgery.code, "27447" | "27245" | "27130") {
                l.modifiers[0] = "RT";
            }
            let mut lines = vec![l];
            Self::set_pos(&mut lines, "21");
            Self::attach_dx(&mut lines, Self::prof_dx(s.principal, &[]));
            p.lines = lines;
            self.finish(p, Force::default(), 0, out);
            if self.r.chance(0.6) {
                let f = Fill {
                    drug: &OXYCODONE_APAP,
                    days: OXYCODONE_APAP.course.1,
                    refill: 0,
                    authorized: 0,
                    prescriber: None,
                    origin: "1",
                };
                self.fill_by(discharge, f, Some(sg), out);
            }
        }
    }

    fn outpatient(&mut self, day: Day, idx: usize, force: Force, out: &mut Vec<Claim>) {
        let v = &OUTPATIENT_VISITS[idx];
        let m = self.m;
        let hosp = self.view.hospital(&mut self.r, m.state);
        let mut c = self.claim(Kind::Outpatient, day, day, &force);
        c.billing = Some(hosp.npi);
        c.site = Some(hosp.npi);
        c.mrn = Some(self.mrn(hosp.npi));
        let er_doc = hosp
            .staff_with(Specialty::EmergencyMedicine)
            .unwrap_or(&hosp.staff[0]);
        let surgical = v
            .lines
            .iter()
            .any(|(rev, _)| matches!(*rev, "0360" | "0750"));
        let surgeon: Option<&Prac> = if surgical {
            let sp = if v.lines.iter().any(|(rev, _)| *rev == "0750") {
                Specialty::GeneralSurgery
            } else {
                Specialty::Orthopedics
            };
            hosp.staff_with(sp)
        } else {
            None
        };
        c.attending = Some(match (v.emergency, surgeon) {
            (true, _) => er_doc.npi,
            (false, Some(sg)) => sg.npi,
            (false, None) => hosp.staff_with(Specialty::Radiology).unwrap_or(er_doc).npi,
        });
        if let Some(sg) = surgeon {
            c.operating = Some(sg.npi);
            if force.rich {
                let other = hosp
                    .staff
                    .iter()
                    .find(|p| p.npi != sg.npi && p.specialty == Specialty::Anesthesiology)
                    .unwrap_or(er_doc);
                c.other_operating = Some(other.npi);
            }
        }
        if !v.emergency {
            c.referring = Some(m.pcp.npi);
        }
        c.origin = Some(if v.emergency { "1" } else { "2" });
        c.admission_type = Some(if v.emergency { "1" } else { "3" });
        c.discharge = Some("01");
        c.tob = Some(("1", "3", "1"));
        let mut lines: Vec<Line> = v
            .lines
            .iter()
            .map(|&(rev, svc)| {
                let mut l = self.rev_line(day, rev, svc);
                if let Some(s) = svc {
                    // Facility charges run above the professional fee.
                    l.charge = l.charge.max(scale(dollars(&mut self.r, s.lo, s.hi), 2.2));
                }
                l
            })
            .collect();
        if lines.len() > 1
            && matches!(lines[0].product, Product::Svc(s) if s.code.starts_with("992"))
        {
            lines[0].modifiers[0] = "25";
        }
        let principal = *self.r.pick(v.dx);
        let mut dx = vec![Dx {
            code: principal,
            kind: "principal",
            poa: None,
            is_e: false,
        }];
        if v.emergency && (force.rich || self.r.chance(0.5)) {
            let symptom = [DX_R07_9, DX_R10_9, DX_R06_02, DX_R51_9, DX_R42]
                .into_iter()
                .find(|d| d.0 != principal.0)
                .unwrap_or(DX_R42);
            dx.push(Dx {
                code: symptom,
                kind: "patientreasonforvisit",
                poa: None,
                is_e: false,
            });
        }
        if principal.0.starts_with('S') {
            dx.push(Dx {
                code: DX_W19,
                kind: "externalcauseofinjury",
                poa: None,
                is_e: true,
            });
        }
        for cond in &m.conditions {
            if dx.iter().all(|x| x.code.0 != cond.dx.0) {
                dx.push(Dx {
                    code: cond.dx,
                    kind: "other",
                    poa: None,
                    is_e: false,
                });
            }
        }
        dx.truncate(lines.len());
        Self::attach_dx(&mut lines, dx);
        c.lines = lines;
        let copay = if v.emergency && c.net == Net::In {
            *self.r.pick(&[10_000, 15_000, 25_000])
        } else {
            0
        };
        self.finish(c, force, copay, out);

        // The emergency physician's own claim.
        if v.emergency {
            let mut p = self.prof_claim(day, hosp, er_doc, &Force::default());
            let em = match v.lines[0].1 {
                Some(s) if s.code.starts_with("992") => s,
                _ => &CPT_99284,
            };
            let mut lines = vec![Line::svc(day, em, &mut self.r)];
            Self::set_pos(&mut lines, "23");
            Self::attach_dx(&mut lines, Self::prof_dx(principal, &[]));
            p.lines = lines;
            self.finish(p, Force::default(), 0, out);
        }
    }

    /// A prescription written by a given practitioner (e.g. the surgeon at discharge).
    fn fill_by(&mut self, day: Day, f: Fill, prescriber: Option<&'a Prac>, out: &mut Vec<Claim>) {
        self.prescriber_override = prescriber;
        self.fill(day, f, None, Force::default(), out);
        self.prescriber_override = None;
    }

    fn fill(
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

    fn oral(&mut self, day: Day, kind: OralKind, force: Force, out: &mut Vec<Claim>) {
        let m = self.m;
        let office = m.dental_office;
        let dentist = office
            .staff_with(Specialty::GeneralDentist)
            .unwrap_or(&office.staff[0]);
        let hygienist = office
            .staff_with(Specialty::DentalHygienist)
            .unwrap_or(dentist);
        let orthodontist = office
            .staff_with(Specialty::Orthodontist)
            .unwrap_or(dentist);
        let surgeon = office.staff_with(Specialty::OralSurgeon).unwrap_or(dentist);
        let age = m.age_on(day);
        let mut c = self.claim(Kind::Oral, day, day, &force);
        // The Oral profile's provider must be a practitioner: the billing dentist.
        c.billing = Some(dentist.npi);
        c.site = Some(office.npi);
        c.pcp = Some(dentist.npi);
        c.mrn = Some(self.mrn(office.npi));
        let child_teeth = age < 10;
        let pick_tooth = |r: &mut Rng, molar: bool| -> &'static str {
            if child_teeth {
                PRIMARY_TEETH[r.index(PRIMARY_TEETH.len())]
            } else if molar {
                TEETH[MOLARS[r.index(MOLARS.len())] - 1]
            } else {
                TEETH[r.index(32)]
            }
        };
        let cdt_line = |r: &mut Rng, code: &'static Cdt| -> Line {
            let mut l = Line::new(day);
            l.product = Product::Cdt(code);
            l.charge = dollars(r, code.lo, code.hi);
            l
        };
        let mut lines: Vec<Line> = Vec::new();
        let mut dx: Vec<Coded> = Vec::new();
        match kind {
            OralKind::Preventive => {
                c.performing = Some(hygienist.npi);
                if hygienist.npi != dentist.npi {
                    c.supervising = Some(dentist.npi);
                }
                let eval = if force.rich {
                    &D0150
                } else {
                    *self.r.pick(&[&D0120, &D0120, &D0150])
                };
                lines.push(cdt_line(&mut self.r, eval));
                lines.push(cdt_line(
                    &mut self.r,
                    if age < 14 { &D1120 } else { &D1110 },
                ));
                let xrays = if age < 14 {
                    &D0272
                } else if eval.code == "D0150" && !force.rich {
                    &D0210
                } else {
                    &D0274
                };
                lines.push(cdt_line(&mut self.r, xrays));
                if age < 16 {
                    lines.push(cdt_line(&mut self.r, &D1206));
                    if (6..=15).contains(&age) {
                        let mut l = cdt_line(&mut self.r, &D1351);
                        l.tooth = Some(TEETH[*self.r.pick(&[3usize, 14, 19, 30]) - 1]);
                        lines.push(l);
                    }
                }
                if force.rich || self.r.chance(0.15) {
                    lines.push(cdt_line(&mut self.r, &D0330));
                }
                dx.push(if force.rich || self.r.chance(0.3) {
                    DX_Z01_21
                } else {
                    DX_Z01_20
                });
                if force.rich || self.r.chance(0.2) {
                    dx.push(DX_K05_10);
                }
            }
            OralKind::Restorative => {
                c.performing = Some(dentist.npi);
                for _ in 0..self.r.range(1, 2) {
                    let code = *self.r.pick(&[&D2391, &D2392, &D2393, &D2140, &D2150]);
                    let mut l = cdt_line(&mut self.r, code);
                    let tooth = pick_tooth(&mut self.r, true);
                    l.surface = Some(surfaces(&mut self.r, tooth, code.surfaces));
                    l.tooth = Some(tooth);
                    lines.push(l);
                }
                dx.push(*self.r.pick(&[DX_K02_52, DX_K02_62, DX_K02_9]));
            }
            OralKind::Crown => {
                c.performing = Some(dentist.npi);
                let tooth = if force.rich {
                    "19"
                } else {
                    pick_tooth(&mut self.r, true)
                };
                if force.rich || self.r.chance(0.5) {
                    let mut endo = cdt_line(
                        &mut self.r,
                        if is_anterior(tooth) { &D3310 } else { &D3330 },
                    );
                    endo.tooth = Some(tooth);
                    lines.push(endo);
                }
                let crown_code = *self.r.pick(&[&D2740, &D2750]);
                let mut crown = cdt_line(&mut self.r, crown_code);
                crown.tooth = Some(tooth);
                lines.push(crown);
                let replacement = force.rich || self.r.chance(0.3);
                c.prosthesis = Some((
                    replacement,
                    replacement.then(|| day.plus(-self.r.range(2000, 5000))),
                ));
                dx.push(if force.rich {
                    DX_K04_7
                } else {
                    *self.r.pick(&[DX_K04_7, DX_K03_81])
                });
                if force.rich {
                    // Also a filling with surfaces, scaling of one quadrant and an implant
                    // with an additional body site; a lab (purchased service) made the crown.
                    c.purchased = Some(surgeon.npi);
                    c.referring = Some(dentist.npi);
                    let mut fill = cdt_line(&mut self.r, &D2393);
                    fill.tooth = Some("30");
                    fill.surface = Some("MOD".to_string());
                    lines.push(fill);
                    let mut perio = cdt_line(&mut self.r, &D4341);
                    perio.area = Some("10");
                    lines.push(perio);
                    let mut implant = cdt_line(&mut self.r, &D6010);
                    implant.tooth = Some("14");
                    implant.additional_site = Some("13");
                    lines.push(implant);
                    c.missing = Some("1;14;16;17;32");
                    dx.push(DX_K02_52);
                    dx.push(DX_K08_409);
                }
            }
            OralKind::Extraction => {
                c.performing = Some(surgeon.npi);
                c.referring = Some(dentist.npi);
                let tooth = if child_teeth {
                    pick_tooth(&mut self.r, false)
                } else {
                    TEETH[*self.r.pick(&[1usize, 16, 17, 32]) - 1]
                };
                let mut xray = cdt_line(&mut self.r, &D0220);
                xray.tooth = Some(tooth);
                lines.push(xray);
                let code = if self.r.chance(0.5) { &D7210 } else { &D7140 };
                let mut l = cdt_line(&mut self.r, code);
                l.tooth = Some(tooth);
                if self.r.chance(0.3) {
                    l.additional_site = Some(if tooth == "1" || tooth == "16" {
                        "01"
                    } else {
                        "02"
                    });
                }
                lines.push(l);
                dx.push(if child_teeth {
                    DX_K04_7
                } else {
                    *self.r.pick(&[DX_K01_1, DX_K04_7])
                });
            }
            OralKind::Perio => {
                c.performing = Some(dentist.npi);
                let quads = ["10", "20", "30", "40"];
                let n = self.r.range(2, 4) as usize;
                for q in quads.iter().take(n) {
                    let mut l = cdt_line(&mut self.r, &D4341);
                    l.area = Some(q);
                    lines.push(l);
                }
                if self.r.chance(0.3) {
                    lines.push(cdt_line(&mut self.r, &D4910));
                }
                dx.push(DX_K05_10);
            }
            OralKind::Ortho => {
                c.performing = Some(orthodontist.npi);
                c.referring = Some(dentist.npi);
                let start = force.rich || self.r.chance(0.4);
                let appliance = if start {
                    day
                } else {
                    day.plus(-self.r.range(60, 500))
                };
                let total = 24i64;
                let elapsed = appliance.days_until(day) / 30;
                c.ortho = Some(((total - elapsed).max(1) as u32, appliance));
                if start {
                    let mut l = cdt_line(&mut self.r, if age < 18 { &D8080 } else { &D8090 });
                    l.area = Some("00");
                    lines.push(l);
                } else {
                    lines.push(cdt_line(&mut self.r, &D8670));
                }
                dx.push(DX_M26_4);
            }
            OralKind::Denture => {
                c.performing = Some(dentist.npi);
                let full = self.r.chance(0.5);
                if full {
                    let mut l = cdt_line(&mut self.r, &D5110);
                    l.area = Some("01");
                    lines.push(l);
                    if self.r.chance(0.6) {
                        let mut l = cdt_line(&mut self.r, &D5120);
                        l.area = Some("02");
                        lines.push(l);
                    }
                    c.missing = Some("1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16");
                    dx.push(DX_K08_109);
                } else {
                    let mut l = cdt_line(&mut self.r, &D5213);
                    l.area = Some("01");
                    lines.push(l);
                    c.missing = Some(*self.r.pick(&["3;4;13", "2;3;14;15", "4;5;12"]));
                    dx.push(DX_K08_409);
                }
                let replacement = self.r.chance(0.4);
                c.prosthesis = Some((
                    replacement,
                    replacement.then(|| day.plus(-self.r.range(1800, 6000))),
                ));
            }
            OralKind::Implant => {
                c.performing = Some(surgeon.npi);
                c.referring = Some(dentist.npi);
                let (site, missing) = *self.r.pick(&[
                    (3usize, "1;3;16"),
                    (14, "1;14;16;17;32"),
                    (19, "17;19;32"),
                    (30, "30"),
                ]);
                let mut l = cdt_line(&mut self.r, &D6010);
                l.tooth = Some(TEETH[site - 1]);
                l.additional_site = Some(TEETH[site]);
                lines.push(l);
                c.missing = Some(missing);
                dx.push(DX_K08_409);
            }
        }
        if (self.r.chance(0.05) || force.rich) && !lines.is_empty() && kind == OralKind::Preventive
        {
            lines.push(cdt_line(&mut self.r, &D9110));
        }
        if kind == OralKind::Preventive && force.rich {
            lines.push(cdt_line(&mut self.r, &D0140));
        }
        if force.rich {
            // A HCPCS modifier on a dental line (medically necessary service): shows item.modifier.
            if let Some(l) = lines.first_mut() {
                l.modifiers[0] = "SC";
            }
        }
        Self::set_pos(&mut lines, "11");
        let dxs = Self::prof_dx(dx[0], &dx[1..]);
        Self::attach_dx(&mut lines, dxs);
        c.lines = lines;
        self.finish(c, force, 0, out);
    }

    // -----------------------------------------------------------------------------------------
    // Adjudication
    // -----------------------------------------------------------------------------------------

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

    fn terms(&mut self, c: &Claim, copay: i64, provider_payee: bool) -> Terms {
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

    fn adjudicate(&mut self, c: &mut Claim, t: &mut Terms) {
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

    /// Decides outcome, payee and money; assigns the id; adds a replacement claim when the claim
    /// is adjusted; pushes to `out`.
    fn finish(&mut self, mut c: Claim, force: Force, copay: i64, out: &mut Vec<Claim>) {
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

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

fn net_cols(row: &mut Row, npi_col: C, net_col: C, npi: Option<u64>, net: Net) {
    row.npi(npi_col, npi);
    row.opt(net_col, npi.map(|_| net.text()));
}

/// Writes the rows of one claim.
pub(crate) fn write_claim<W: io::Write>(
    row: &mut Row,
    c: &Claim,
    member_id: &str,
    w: &mut csv::Writer<W>,
) -> csv::Result<()> {
    row.clear_all();
    row.date(C::ServiceStart, c.start);
    row.date(C::ServiceEnd, c.end);
    row.date(C::PaidDate, c.paid_date);
    row.date(C::ReceivedDate, c.received);
    if c.admission {
        row.date(C::AdmissionDate, c.start);
        row.date(C::DischargeDate, c.end);
    }
    row.set(C::PatientAccount, member_id);
    row.opt(C::MedicalRecord, c.mrn.as_deref());
    row.set(C::ClaimId, &c.id);
    row.opt(C::AdjustedFrom, c.adjusted_from.as_deref());
    row.opt(C::AdjustedTo, c.adjusted_to.as_deref());
    row.opt(C::Drg, c.drg);
    row.opt(C::PointOfOrigin, c.origin);
    row.opt(C::AdmissionType, c.admission_type);
    if let Some((a, b, f)) = c.tob {
        row.set(C::BillFacility, a);
        row.set(C::BillClassification, b);
        row.set(C::BillFrequency, f);
        row.date(C::StatementFrom, c.start);
        row.date(C::StatementThrough, c.end);
    }
    row.set(C::ProcessingStatus, c.status);
    row.set(C::ClaimType, c.kind.claim_type());
    row.opt(C::DischargeStatus, c.discharge);
    row.opt(C::ClaimDenialCode, c.denial);
    row.opt(C::PrimaryPayer, c.primary_payer.as_deref());
    row.set(C::PayeeType, c.payee_type);
    row.set(C::Payee, &c.payee);
    row.set(C::PaymentStatus, c.payment_status);
    row.set(C::Payer, &c.payer);
    if let Some(rx) = &c.rx {
        row.num(C::DaysSupply, rx.days);
        row.set(C::RxReference, &rx.reference);
        row.set(C::Daw, rx.daw);
        row.num(C::RefillNumber, rx.refill);
        row.num(C::RefillsAuthorized, rx.authorized);
        row.set(C::RxOrigin, rx.origin);
        row.set(C::BrandGeneric, rx.brand_generic);
        row.set(C::PharmacyServiceType, rx.service_type);
        row.set(C::PatientResidence, rx.residence);
    }
    net_cols(row, C::BillingNpi, C::BillingNet, c.billing, c.net);
    net_cols(row, C::AttendingNpi, C::AttendingNet, c.attending, c.net);
    net_cols(row, C::SiteNpi, C::SiteNet, c.site, c.net);
    net_cols(row, C::ReferringNpi, C::ReferringNet, c.referring, c.net);
    net_cols(
        row,
        C::PerformingNpi,
        C::PerformingNet,
        c.performing,
        c.performing_net,
    );
    net_cols(
        row,
        C::PrescribingNpi,
        C::PrescribingNet,
        c.prescribing,
        c.net,
    );
    row.npi(C::PcpNpi, c.pcp);
    row.npi(C::SupervisingNpi, c.supervising);
    row.npi(C::OperatingNpi, c.operating);
    row.npi(C::OtherOperatingNpi, c.other_operating);
    row.npi(C::PurchasedServiceNpi, c.purchased);
    row.opt(C::ProcessNote, c.note.as_deref());

    let t = &c.total;
    row.money(C::TotalSubmitted, t.submitted);
    row.money(C::TotalAllowed, t.allowed);
    row.money(C::PaidByPatient, t.by_patient);
    row.money(C::PaidToProvider, t.to_provider);
    row.money(C::MemberReimbursement, t.reimbursement);
    row.money(C::PaymentAmount, t.paid);
    row.money(C::Disallowed, t.noncovered);
    row.money(C::Deductible, t.deductible);
    row.money(C::Coinsurance, t.coinsurance);
    row.money(C::Copay, t.copay);
    row.money(C::MemberLiability, t.liability);
    if c.primary_payer.is_some() {
        row.money(C::PrimaryPayerPaid, t.prior_paid);
    }
    row.money(C::Discount, t.discount);

    if let Some(tr) = &c.transport {
        row.num(C::PatientWeight, tr.weight);
        row.set(C::TransportReason, tr.reason);
        row.num(C::TransportDistance, tr.miles);
        row.opt(C::RoundTripPurpose, tr.round_trip);
        row.opt(C::StretcherPurpose, tr.stretcher);
        row.set(C::PickupLocation, &tr.pickup);
        row.set(C::DropoffLocation, &tr.dropoff);
    }
    if let Some((months, date)) = c.ortho {
        row.num(C::OrthoMonthsRemaining, months);
        row.date(C::OrthoApplianceDate, date);
    }
    if let Some((replacement, prior)) = c.prosthesis {
        row.set(
            C::ProsthesisReplacement,
            if replacement { "true" } else { "false" },
        );
        row.opt_date(C::PriorProsthesisDate, prior);
    }
    row.opt(C::MissingTeeth, c.missing);

    for (i, l) in c.lines.iter().enumerate() {
        row.clear_lines();
        row.date(C::LineFrom, l.from);
        row.num(C::LineNumber, i + 1);
        row.opt_date(C::LineTo, l.to);
        row.opt(C::TypeOfService, l.tos);
        row.opt(C::PlaceOfService, l.pos);
        row.opt(C::Revenue, l.revenue);
        if l.units > 0 {
            row.num(C::Units, l.units);
        }
        row.set(
            C::LineBenefitStatus,
            if c.net == c.performing_net || c.performing.is_none() {
                c.net.text()
            } else {
                "other"
            },
        );
        if !c.header_only {
            if let Some(u) = l.allowed_units {
                row.num(C::AllowedUnits, u);
            }
            row.opt(C::LineDenialCode, l.denied.or(l.adjust));
            let m = &l.money;
            row.money(C::LineDisallowed, m.noncovered);
            row.money(C::LineMemberReimbursement, m.reimbursement);
            row.money(C::LinePaidByPatient, m.by_patient);
            if let Some(dc) = l.drug_cost {
                row.money(C::DrugCost, dc);
            }
            row.money(C::LinePayment, m.paid);
            row.money(C::LinePaidToProvider, m.to_provider);
            row.money(C::LineDeductible, m.deductible);
            if c.primary_payer.is_some() {
                row.money(C::LinePrimaryPayerPaid, m.prior_paid);
            }
            row.money(C::LineCoinsurance, m.coinsurance);
            row.money(C::LineSubmitted, m.submitted);
            row.money(C::LineAllowed, m.allowed);
            row.money(C::LineMemberLiability, m.liability);
            row.money(C::LineCopay, m.copay);
            row.money(C::LineDiscount, m.discount);
        }
        match l.product {
            Product::None => {}
            Product::Svc(s) => {
                row.set(C::ProcedureCode, s.code);
                row.set(C::ProcedureDescription, s.display);
                row.set(C::ProcedureCodeType, s.code_type());
            }
            Product::Cdt(d) => {
                row.set(C::ProcedureCode, d.code);
                row.set(C::ProcedureDescription, d.display);
                row.set(C::ProcedureCodeType, "CDT");
            }
            Product::Drug(d) => {
                row.set(C::Ndc, d.ndc);
                if let Some((q, unit)) = l.qty {
                    row.num(C::QuantityDispensed, q);
                    row.set(C::QuantityQualifier, unit);
                }
            }
        }
        row.opt(C::CompoundCode, l.compound_code);
        if let Some(cp) = l.compound {
            let mut ndcs = String::new();
            let mut qtys = String::new();
            for (k, (d, q)) in cp.ingredients.iter().enumerate() {
                if k > 0 {
                    ndcs.push(';');
                    qtys.push(';');
                }
                ndcs.push_str(d.ndc);
                qtys.push_str(&q.to_string());
            }
            row.set(C::CompoundNdcs, &ndcs);
            row.set(C::CompoundQuantities, &qtys);
        }
        if let Some((code, kind, date)) = l.pcs {
            row.set(C::ProcedureCode, code.0);
            row.set(C::ProcedureDescription, code.1);
            row.set(C::ProcedureCodeType, "ICD-10-PCS");
            row.set(C::ProcedureType, kind);
            row.date(C::ProcedureDate, date);
        }
        for (k, col) in [C::Modifier1, C::Modifier2, C::Modifier3, C::Modifier4]
            .into_iter()
            .enumerate()
        {
            if !l.modifiers[k].is_empty() {
                row.set(col, l.modifiers[k]);
            }
        }
        if let Some(d) = &l.dx {
            row.set(C::DiagnosisCode, d.code.0);
            row.set(C::DiagnosisDescription, d.code.1);
            row.opt(C::PresentOnAdmission, d.poa);
            row.set(C::DiagnosisCodeType, "ICD-10-CM");
            row.set(C::DiagnosisType, d.kind);
            if d.is_e {
                row.set(C::IsECode, "true");
            }
        }
        row.opt(C::ToothNumber, l.tooth);
        row.opt(C::OralCavityArea, l.area);
        row.opt(C::ToothSurface, l.surface.as_deref());
        row.opt(C::AdditionalBodySite, l.additional_site);
        w.write_record(row.cells())?;
    }
    Ok(())
}
