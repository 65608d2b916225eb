//! Inpatient institutional claims: a hospital stay, with the professional claims of the
//! hospitalist and surgeon, the ambulance on the way in and a prescription on the way out.

use super::model::{Claim, Dx, Kind, Line, Product};
use super::plan::{Fill, Force};
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn stay(&mut self, day: Day, idx: usize, force: Force, out: &mut Vec<Claim>) {
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
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, Plan};
    use super::super::professional::tests::assert_professional_profile;
    use super::super::testkit::*;
    use crate::generate::codes::STAYS;
    use crate::generate::columns::C;

    /// What a C4BB Inpatient Institutional EOB needs from a claim's rows: the admission period,
    /// type of bill, DRG and the other NUBC codes, an attending practitioner, a revenue code on
    /// every item, diagnoses (principal first, with present-on-admission), ICD-10-PCS procedures
    /// with a type and date, and amounts either on every line or only on the header.
    fn assert_inpatient_profile(c: &Claim) {
        assert_eq!(c.kind, Kind::Inpatient);
        let rows = checked_rows(c);
        assert_filled(
            c,
            &rows,
            &[
                C::ServiceEnd,
                C::AdmissionDate,
                C::DischargeDate,
                C::StatementFrom,
                C::StatementThrough,
                C::BillFacility,
                C::BillClassification,
                C::BillFrequency,
                C::Drg,
                C::PointOfOrigin,
                C::AdmissionType,
                C::DischargeStatus,
                C::MedicalRecord,
                C::AttendingNpi,
                C::Revenue,
            ],
        );
        let head = &rows[0];
        assert_eq!(cell(head, C::ClaimType), "inpatient-facility");
        assert_eq!(
            (
                cell(head, C::BillFacility),
                cell(head, C::BillClassification)
            ),
            ("1", "1")
        );
        let replacement = c.adjusted_from.is_some();
        assert_eq!(
            cell(head, C::BillFrequency),
            if replacement { "7" } else { "1" }
        );
        assert_eq!(cell(head, C::DiagnosisType), "principal", "{}", c.id);
        for r in &rows {
            let kind = cell(r, C::DiagnosisType);
            assert!(matches!(
                kind,
                "" | "principal" | "admitting" | "other" | "externalcauseofinjury"
            ));
            if !kind.is_empty() && kind != "admitting" {
                assert!(!cell(r, C::PresentOnAdmission).is_empty(), "{}", c.id);
            }
            assert_eq!(
                cell(r, C::IsECode) == "true",
                kind == "externalcauseofinjury"
            );
            if cell(r, C::ProcedureCodeType) == "ICD-10-PCS" {
                assert!(matches!(cell(r, C::ProcedureType), "principal" | "other"));
                assert!(!cell(r, C::ProcedureDate).is_empty(), "{}", c.id);
            }
        }
        let principal_procedures = rows
            .iter()
            .filter(|r| cell(r, C::ProcedureType) == "principal")
            .count();
        assert!(principal_procedures <= 1, "{}", c.id);
        assert_institutional_amounts(c, &rows);
    }

    /// C4BB: institutional amounts are on the items or on the header, never both nor neither.
    pub(in crate::generate::claims) fn assert_institutional_amounts(
        c: &Claim,
        rows: &[Vec<String>],
    ) {
        let with_line_amounts = rows
            .iter()
            .filter(|r| !cell(r, C::LineSubmitted).is_empty())
            .count();
        let expected = if c.header_only { 0 } else { rows.len() };
        assert_eq!(with_line_amounts, expected, "{}", c.id);
        assert_filled(
            c,
            rows,
            &[C::TotalSubmitted, C::TotalAllowed, C::PaymentAmount],
        );
        assert_money_consistent(c);
    }

    fn forces() -> [Force; 4] {
        let rich = Force::rich();
        [
            Force::default(),
            rich,
            Force {
                header_only: Some(true),
                ..rich
            },
            Force {
                header_only: Some(false),
                adjusted: true,
                ..Force::default()
            },
        ]
    }

    #[test]
    fn every_stay_has_what_the_inpatient_profile_needs() {
        let mut header_only = 0;
        for (i, stay) in STAYS.iter().enumerate() {
            for n in 2..4 {
                for force in forces() {
                    let claims = build(31, n, Plan::Stay(i), force);
                    let facility: Vec<&Claim> = claims
                        .iter()
                        .filter(|c| c.kind == Kind::Inpatient)
                        .collect();
                    assert!(!facility.is_empty(), "stay {i}");
                    for c in facility {
                        assert_inpatient_profile(c);
                        let pcs = c.lines.iter().filter(|l| l.pcs.is_some()).count();
                        assert!(pcs <= stay.pcs.len(), "{}", c.id);
                        header_only += usize::from(c.header_only);
                    }
                }
            }
        }
        assert!(header_only > 0);
    }

    #[test]
    fn a_stay_bills_the_hospitalist_and_any_surgeon_from_the_same_hospital() {
        for (i, stay) in STAYS.iter().enumerate() {
            let claims = build(31, 2, Plan::Stay(i), Force::default());
            let hospital = claims
                .iter()
                .find(|c| c.kind == Kind::Inpatient)
                .and_then(|c| c.billing);
            let inpatient_professional: Vec<&Claim> = claims
                .iter()
                .filter(|c| {
                    c.kind == Kind::Professional
                        && c.transport.is_none()
                        && c.lines[0].pos == Some("21")
                })
                .collect();
            assert!(!inpatient_professional.is_empty(), "stay {i}");
            for c in &inpatient_professional {
                assert_eq!(c.billing, hospital, "{}", c.id);
                assert_professional_profile(c);
            }
            if stay.surgery.is_none() {
                // The hospitalist only (a claim and, when adjusted, its replacement).
                assert!(inpatient_professional
                    .iter()
                    .all(|c| c.performing == inpatient_professional[0].performing));
            }
        }
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        for i in 0..STAYS.len() {
            assert_deterministic(Plan::Stay(i));
        }
    }
}
