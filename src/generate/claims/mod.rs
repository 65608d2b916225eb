//! Claims of one member: what happens to them (`plan`, `demo`), the claims each family builds
//! (`professional`, `ancillary`, `transport`, `inpatient`, `outpatient`, `pharmacy`, `oral`), what
//! the payer decides (`outcome`, `adjudication`) and how a claim becomes CSV rows (`rows`).
//!
//! Every builder draws from the member's one PRNG stream in a fixed order, and the bundled `seed/`
//! is this generator's output: moving, adding or removing a draw changes every later claim of the
//! member, so a restructuring must leave `generate --beneficiaries 200 --seed 2026` byte-identical.

mod adjudication;
mod ancillary;
mod arrival;
mod demo;
mod inpatient;
mod model;
mod oral;
mod outcome;
mod outpatient;
mod pharmacy;
mod plan;
mod professional;
mod revenue;
mod rows;
mod teeth;
#[cfg(test)]
mod testkit;
mod transport;

pub use arrival::arrival_ids;
pub(crate) use arrival::arrival_of;
pub(crate) use rows::write_claim;

use crate::generate::codes::*;
use crate::generate::day::Day;
use crate::generate::member::{Member, DATA_END};
use crate::generate::pools::{Org, Prac, View};
use crate::generate::rng::Rng;
use model::{Claim, Dx, Kind, Line, Money, Net};
use plan::{Fill, Force, Plan};

/// Builds the claims of one member, drawing from the member's own PRNG stream.
pub(crate) struct ClaimGen<'m, 'a> {
    pub r: Rng,
    m: &'m Member<'a>,
    view: &'m View<'a>,
    seq: u32,
    rx_seq: u32,
    specialists: Vec<(Specialty, &'a Org, &'a Prac)>,
    prescriber_override: Option<&'a Prac>,
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
}
