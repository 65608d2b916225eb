//! Outpatient institutional claims (emergency visits, outpatient surgery and imaging), with the
//! emergency physician's own professional claim.

use super::model::{dollars, scale, Claim, Dx, Kind, Line, Net, Product};
use super::plan::Force;
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;
use crate::generate::pools::Prac;

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn outpatient(&mut self, day: Day, idx: usize, force: Force, out: &mut Vec<Claim>) {
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
}

#[cfg(test)]
mod tests {
    use super::super::inpatient::tests::assert_institutional_amounts;
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, Plan};
    use super::super::professional::tests::assert_professional_profile;
    use super::super::testkit::*;
    use crate::generate::codes::OUTPATIENT_VISITS;
    use crate::generate::columns::C;

    /// What a C4BB Outpatient Institutional EOB needs from a claim's rows: type of bill, an
    /// attending practitioner, a serviced date and revenue code on every item, diagnoses
    /// (principal first; no present-on-admission, no admission period) and amounts either on
    /// every line or only on the header.
    fn assert_outpatient_profile(c: &Claim) {
        assert_eq!(c.kind, Kind::Outpatient);
        let rows = checked_rows(c);
        assert_filled(
            c,
            &rows,
            &[
                C::BillFacility,
                C::BillClassification,
                C::BillFrequency,
                C::AttendingNpi,
                C::MedicalRecord,
                C::Revenue,
            ],
        );
        let head = &rows[0];
        assert_eq!(cell(head, C::ClaimType), "outpatient-facility");
        assert_eq!(
            (
                cell(head, C::BillFacility),
                cell(head, C::BillClassification)
            ),
            ("1", "3")
        );
        assert_eq!(cell(head, C::AdmissionDate), "");
        assert_eq!(cell(head, C::DiagnosisType), "principal", "{}", c.id);
        for r in &rows {
            assert!(matches!(
                cell(r, C::DiagnosisType),
                "" | "principal" | "other" | "externalcauseofinjury" | "patientreasonforvisit"
            ));
            assert_eq!(cell(r, C::PresentOnAdmission), "", "{}", c.id);
        }
        assert_institutional_amounts(c, &rows);
    }

    #[test]
    fn every_visit_has_what_the_outpatient_profile_needs() {
        for i in 0..OUTPATIENT_VISITS.len() {
            for c in family(37, 4, Kind::Outpatient, Plan::Outpatient(i)) {
                assert_outpatient_profile(&c);
            }
            let header_only = Force {
                header_only: Some(true),
                ..Force::rich()
            };
            for c in build(37, 2, Plan::Outpatient(i), header_only) {
                if c.kind == Kind::Outpatient {
                    assert!(c.header_only, "{}", c.id);
                    assert_outpatient_profile(&c);
                }
            }
        }
    }

    #[test]
    fn an_emergency_visit_also_bills_the_emergency_physician() {
        for (i, v) in OUTPATIENT_VISITS.iter().enumerate() {
            let claims = build(37, 2, Plan::Outpatient(i), Force::default());
            let facility = claims
                .iter()
                .find(|c| c.kind == Kind::Outpatient)
                .expect("facility claim");
            let physician: Vec<&Claim> = claims
                .iter()
                .filter(|c| c.kind == Kind::Professional)
                .collect();
            assert_eq!(!physician.is_empty(), v.emergency, "visit {i}");
            for c in physician {
                assert_eq!(c.billing, facility.billing);
                assert_eq!(c.lines[0].pos, Some("23"), "{}", c.id);
                assert_professional_profile(c);
            }
        }
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        for i in 0..OUTPATIENT_VISITS.len() {
            assert_deterministic(Plan::Outpatient(i));
        }
    }
}
