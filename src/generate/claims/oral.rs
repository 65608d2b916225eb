//! Oral (dental) claims: preventive, restorative, crown, extraction, periodontal, orthodontic,
//! denture and implant visits.

use super::model::{dollars, Claim, Kind, Line, Product};
use super::plan::{Force, OralKind};
use super::teeth::{is_anterior, surfaces, MOLARS, PRIMARY_TEETH, TEETH};
use super::ClaimGen;
use crate::generate::codes::*;
use crate::generate::day::Day;
use crate::generate::rng::Rng;

impl<'a> ClaimGen<'_, 'a> {
    pub(super) fn oral(&mut self, day: Day, kind: OralKind, force: Force, out: &mut Vec<Claim>) {
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
}

#[cfg(test)]
mod tests {
    use super::super::model::{Claim, Kind};
    use super::super::plan::{Force, OralKind, Plan};
    use super::super::testkit::*;
    use crate::generate::columns::C;

    const KINDS: [OralKind; 8] = [
        OralKind::Preventive,
        OralKind::Restorative,
        OralKind::Crown,
        OralKind::Extraction,
        OralKind::Perio,
        OralKind::Ortho,
        OralKind::Denture,
        OralKind::Implant,
    ];

    fn is_tooth(t: &str) -> bool {
        matches!(t.parse::<u32>(), Ok(1..=32)) || matches!(t.as_bytes(), [b'A'..=b'T'])
    }

    /// What a C4BB Oral EOB needs from a claim's rows: the rendering dentist and its network
    /// status (renderingnetworkstatus 1..1), the office as service facility, and on every item a
    /// CDT code, a serviced date, a place of service and amounts; a surface only with a tooth, an
    /// additional body site only on a line with a tooth or area.
    fn assert_oral_profile(c: &Claim) {
        assert_eq!(c.kind, Kind::Oral);
        assert!(!c.header_only);
        let rows = checked_rows(c);
        assert_filled(
            c,
            &rows,
            &[
                C::PerformingNpi,
                C::PerformingNet,
                C::SiteNpi,
                C::ProcedureCode,
                C::PlaceOfService,
                C::LineSubmitted,
                C::LinePayment,
            ],
        );
        for r in &rows {
            assert_eq!(cell(r, C::ClaimType), "oral");
            assert_eq!(cell(r, C::ProcedureCodeType), "CDT");
            let tooth = cell(r, C::ToothNumber);
            assert!(
                tooth.is_empty() || is_tooth(tooth),
                "{}: tooth {tooth}",
                c.id
            );
            if !cell(r, C::ToothSurface).is_empty() {
                assert!(!tooth.is_empty(), "{}: a surface without a tooth", c.id);
            }
            if !cell(r, C::AdditionalBodySite).is_empty() {
                assert!(
                    !tooth.is_empty() || !cell(r, C::OralCavityArea).is_empty(),
                    "{}: an additional body site on a line without a body site",
                    c.id
                );
            }
        }
        assert_money_consistent(c);
    }

    #[test]
    fn every_oral_visit_has_what_the_oral_profile_needs() {
        for kind in KINDS {
            for n in 2..8 {
                with_gen(43, n, |g| {
                    let office = g.m.dental_office;
                    let day = mid_window(g);
                    for force in [Force::default(), Force::rich()] {
                        let mut out = Vec::new();
                        g.build(day, Plan::Oral(kind), force, &mut out);
                        assert!(!out.is_empty());
                        for c in &out {
                            assert_oral_profile(c);
                            // The Oral profile's provider is a practitioner: the office's dentist.
                            assert!(office.staff.iter().any(|p| Some(p.npi) == c.billing));
                            assert_eq!(c.site, Some(office.npi));
                        }
                    }
                });
            }
        }
    }

    #[test]
    fn orthodontic_and_prosthetic_claims_carry_their_dates() {
        for c in family(43, 6, Kind::Oral, Plan::Oral(OralKind::Ortho)) {
            let (months, appliance) = c.ortho.expect("orthodontics");
            assert!(months >= 1 && appliance <= c.start, "{}", c.id);
        }
        for kind in [OralKind::Crown, OralKind::Denture] {
            for c in family(43, 6, Kind::Oral, Plan::Oral(kind)) {
                let (replacement, prior) = c.prosthesis.expect("prosthesis");
                assert_eq!(replacement, prior.is_some(), "{}", c.id);
                assert!(prior.is_none_or(|d| d < c.start), "{}", c.id);
            }
        }
    }

    #[test]
    fn same_seed_and_member_give_the_same_rows() {
        for kind in KINDS {
            assert_deterministic(Plan::Oral(kind));
        }
    }
}
