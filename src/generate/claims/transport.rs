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

#[cfg(test)]
mod tests {
    use super::super::model::{Kind, Product};
    use super::super::plan::Plan;
    use super::super::professional::tests::assert_professional_profile;
    use super::super::testkit::*;
    use crate::generate::codes::{HCPCS_A0425, STAYS};
    use crate::generate::columns::C;

    const TRANSPORT_COLUMNS: [C; 5] = [
        C::PatientWeight,
        C::TransportReason,
        C::TransportDistance,
        C::PickupLocation,
        C::DropoffLocation,
    ];

    #[test]
    fn a_scheduled_trip_is_a_round_trip_with_every_transport_column() {
        for c in family(23, 6, Kind::Professional, Plan::Transport) {
            assert_professional_profile(&c);
            let rows = rows(&c);
            assert_filled(&c, &rows, &TRANSPORT_COLUMNS);
            assert_filled(&c, &rows, &[C::RoundTripPurpose]);
            let tr = c.transport.as_ref().expect("transport");
            assert!(matches!(tr.reason, "B" | "C" | "D" | "E"), "{}", c.id);
            // Out and back: a base rate and the mileage each way.
            assert_eq!(c.lines.len(), 4, "{}", c.id);
            for l in &c.lines {
                if matches!(l.product, Product::Svc(s) if s.code == HCPCS_A0425.code) {
                    assert_eq!(l.units, tr.miles, "{}", c.id);
                }
            }
        }
    }

    #[test]
    fn an_emergency_stay_arrives_by_ambulance_one_way() {
        let emergency = STAYS
            .iter()
            .position(|s| s.emergency)
            .expect("an emergency stay");
        // Rich stays that are emergencies always arrive by ambulance.
        let trips = family(23, 4, Kind::Professional, Plan::Stay(emergency));
        let one_way: Vec<_> = trips.iter().filter(|c| c.transport.is_some()).collect();
        assert!(!one_way.is_empty());
        for c in one_way {
            assert_professional_profile(c);
            assert_filled(c, &rows(c), &TRANSPORT_COLUMNS);
            let tr = c.transport.as_ref().expect("transport");
            assert!(
                tr.round_trip.is_none() && matches!(tr.reason, "A" | "D"),
                "{}",
                c.id
            );
            assert_eq!(c.lines.len(), 2, "{}", c.id);
        }
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        assert_deterministic(Plan::Transport);
    }
}
