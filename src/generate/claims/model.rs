//! What a generated claim is: its family ([`Kind`]), lines, money and the header fields the row
//! writer turns into CPCDS columns.

use crate::generate::codes::{Cdt, Coded, Compound, Drug, Svc};
use crate::generate::day::Day;
use crate::generate::rng::Rng;

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

    pub(super) fn institutional(self) -> bool {
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
    pub(super) fn add(&mut self, o: &Money) {
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
    pub(super) fn new(from: Day) -> Line {
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

    pub(super) fn svc(from: Day, s: &'static Svc, r: &mut Rng) -> Line {
        let mut l = Line::new(from);
        l.product = Product::Svc(s);
        l.tos = Some(s.tos);
        l.charge = dollars(r, s.lo, s.hi);
        l
    }

    pub(super) fn modifiers(mut self, m: &[&'static str]) -> Line {
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
    pub(super) subscriber_is_member: bool,
    pub(super) medicare: bool,
}

pub(super) fn dollars(r: &mut Rng, lo: i64, hi: i64) -> i64 {
    r.range(lo * 100, hi * 100)
}

pub(super) fn scale(cents: i64, f: f64) -> i64 {
    (cents as f64 * f).round() as i64
}
