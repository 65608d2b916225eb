//! Professional claims of ancillary services: lab tests, imaging, physical therapy and durable
//! medical equipment.

use super::model::{Claim, Line, Net, Product};
use super::plan::Force;
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn lab(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
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

    pub(super) fn imaging(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
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

    pub(super) fn therapy(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
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

    pub(super) fn dme(&mut self, day: Day, s: &'static Svc, force: Force, out: &mut Vec<Claim>) {
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
}

#[cfg(test)]
mod tests {
    use super::super::model::{Kind, Product};
    use super::super::plan::Plan;
    use super::super::professional::tests::assert_professional_profile;
    use super::super::testkit::*;
    use crate::generate::codes::{DME, HCPCS_A4253, HCPCS_E0601};

    const SERVICES: [Plan; 6] = [
        Plan::Lab,
        Plan::Imaging,
        Plan::Therapy,
        Plan::Dme(&HCPCS_E0601),
        Plan::Dme(&HCPCS_A4253),
        Plan::Dme(DME[0]),
    ];

    #[test]
    fn ancillary_services_have_what_the_professional_profile_needs() {
        for plan in SERVICES {
            for c in family(17, 6, Kind::Professional, plan) {
                assert_professional_profile(&c);
            }
        }
    }

    #[test]
    fn therapy_allows_no_more_units_than_billed() {
        for c in family(17, 8, Kind::Professional, Plan::Therapy) {
            for l in &c.lines {
                assert_eq!(l.modifiers[0], "GP", "{}: therapy lines carry GP", c.id);
                let allowed = l.allowed_units.expect("allowed units");
                assert!(allowed <= l.units, "{}: {allowed} > {}", c.id, l.units);
            }
        }
    }

    #[test]
    fn equipment_is_rented_or_bought_and_has_no_service_facility() {
        for plan in [Plan::Dme(&HCPCS_E0601), Plan::Dme(&HCPCS_A4253)] {
            for c in family(17, 4, Kind::Professional, plan) {
                assert_eq!(c.site, None, "{}", c.id);
                let Product::Svc(s) = c.lines[0].product else {
                    panic!("{}: no HCPCS code", c.id)
                };
                let expected = if s.tos == "R" { "RR" } else { "NU" };
                assert_eq!(c.lines[0].modifiers[0], expected, "{}", c.id);
            }
        }
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        for plan in SERVICES {
            assert_deterministic(plan);
        }
    }
}
