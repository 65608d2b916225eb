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
