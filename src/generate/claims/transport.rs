//! Ambulance transport (a professional claim with the transportation columns): scheduled round
//! trips and the emergency trip before an inpatient stay.

use super::model::{Claim, Kind, Line, Transport};
use super::plan::Force;
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;
use crate::generate::pools::Org;

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn transport(
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
}
