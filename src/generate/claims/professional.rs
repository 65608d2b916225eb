//! Professional claims of visits: office, preventive, specialist, mental health and telehealth,
//! plus the professional claim header and diagnosis list every family's professional claims use.

use super::model::{Claim, Dx, Kind, Line, Net};
use super::plan::{Fill, Force};
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;
use crate::generate::pools::{Org, Prac};

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn prof_claim(
        &mut self,
        day: Day,
        billing: &Org,
        performing: &Prac,
        force: &Force,
    ) -> Claim {
        let mut c = self.claim(Kind::Professional, day, day, force);
        c.billing = Some(billing.npi);
        c.site = Some(billing.npi);
        c.performing = Some(performing.npi);
        c.mrn = Some(self.mrn(billing.npi));
        c
    }

    pub(super) fn prof_dx(principal: Coded, rest: &[Coded]) -> Vec<Dx> {
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

    pub(super) fn office(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
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

    pub(super) fn preventive(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
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

    pub(super) fn specialist_visit(
        &mut self,
        day: Day,
        s: Specialty,
        force: Force,
        out: &mut Vec<Claim>,
    ) {
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

    pub(super) fn mental(&mut self, day: Day, s: Specialty, force: Force, out: &mut Vec<Claim>) {
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

    pub(super) fn telehealth(&mut self, day: Day, force: Force, out: &mut Vec<Claim>) {
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
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, Plan};
    use super::super::testkit::*;
    use crate::generate::codes::Specialty;
    use crate::generate::columns::C;

    /// What a C4BB Professional NonClinician EOB needs from a claim's rows: a rendering
    /// practitioner and its network, diagnosis 1..* (one principal, then secondary), and on every
    /// item a CPT/HCPCS code, a serviced date, a place of service (location 1..1) and amounts
    /// (item adjudication 1..*). Every family's professional claims are checked with it.
    pub(in crate::generate::claims) fn assert_professional_profile(c: &Claim) {
        assert_eq!(c.kind, Kind::Professional);
        assert!(
            !c.header_only,
            "{}: professional amounts are per line",
            c.id
        );
        let rows = checked_rows(c);
        assert_filled(
            c,
            &rows,
            &[
                C::PerformingNpi,
                C::PerformingNet,
                C::PlaceOfService,
                C::ProcedureCode,
                C::LineSubmitted,
                C::LineAllowed,
                C::LinePayment,
            ],
        );
        assert_eq!(cell(&rows[0], C::ClaimType), "professional-nonclinician");
        assert_eq!(cell(&rows[0], C::DiagnosisType), "principal", "{}", c.id);
        for r in &rows {
            assert!(
                matches!(cell(r, C::ProcedureCodeType), "CPT" | "HCPCS"),
                "{}: {}",
                c.id,
                cell(r, C::ProcedureCodeType)
            );
            assert!(matches!(
                cell(r, C::DiagnosisType),
                "" | "principal" | "secondary"
            ));
        }
        assert_money_consistent(c);
    }

    const VISITS: [Plan; 7] = [
        Plan::Office,
        Plan::Preventive,
        Plan::Specialist(Specialty::Cardiology),
        Plan::Specialist(Specialty::Orthopedics),
        Plan::Mental(Specialty::Psychiatry),
        Plan::Mental(Specialty::Psychologist),
        Plan::Telehealth,
    ];

    #[test]
    fn visits_have_what_the_professional_profile_needs() {
        for plan in VISITS {
            for c in family(7, 6, Kind::Professional, plan) {
                assert_professional_profile(&c);
            }
        }
    }

    #[test]
    fn a_clinic_visit_by_a_non_physician_names_a_supervising_physician() {
        let mut supervised = 0;
        for n in 2..12 {
            with_gen(13, n, |g| {
                let clinic = g.m.pcp_clinic;
                let day = mid_window(g);
                for plan in [Plan::Office, Plan::Preventive, Plan::Telehealth] {
                    for force in [Force::default(), Force::rich()] {
                        let mut out = Vec::new();
                        g.build(day, plan, force, &mut out);
                        for c in out.iter().filter(|c| c.kind == Kind::Professional) {
                            let staff = |npi| clinic.staff.iter().find(|p| Some(p.npi) == npi);
                            let performer = staff(c.performing).expect("clinic staff");
                            if performer.specialty.is_physician() {
                                continue;
                            }
                            let supervisor = staff(c.supervising).expect("a supervisor");
                            assert!(supervisor.specialty.is_physician(), "{}", c.id);
                            supervised += 1;
                        }
                    }
                }
            });
        }
        // Rich office visits are with the nurse practitioner when the clinic has one.
        assert!(supervised > 0);
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        for plan in VISITS {
            assert_deterministic(plan);
        }
    }
}
