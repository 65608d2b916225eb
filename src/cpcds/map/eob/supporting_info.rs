//! `EOB.supportingInfo` per profile. Entries are numbered as they are added and items point at
//! them by number, so the order of the steps below is part of the output.

use super::header::ClaimDates;
use super::support::Support;
use super::{lines, type_of_bill, ClaimContext, ClaimKind};
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::crosswalk;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{absent, coding, reference, Node};
use crate::cpcds::map::party::ProviderKind;
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes;
use crate::jv;

#[derive(Default)]
pub struct SupportingInfo<'a> {
    support: Support<'a>,
    /// Sequences of the professional transportation entries: C4BB requires every one of them
    /// to be linked from an item (EOB-prof-all-transportation-supportinginfo-linked-to-line).
    transport: Vec<u32>,
}

/// The claim-level entries. `item_rows`: the claim's lines (a pharmacy claim's drug facts are
/// read from its first drug line).
pub fn supporting_info<'a>(
    head: &Row<'a>,
    item_rows: &[&Row<'a>],
    kind: ClaimKind,
    dates: &ClaimDates,
    cx: &mut ClaimContext<'_, '_>,
) -> Result<SupportingInfo<'a>, IngestError> {
    let mut support = Support::default();
    if let Some(d) = head.date(C::ReceivedDate)? {
        support.add("clmrecvddate", vec![("timingDate", fhir_date(d).into())]);
    }
    match kind {
        ClaimKind::Inpatient | ClaimKind::Outpatient => {
            institutional(head, kind, dates, &mut support)?;
        }
        ClaimKind::Professional { .. } | ClaimKind::Oral => {
            if let Some(site) = head.opt(C::SiteNpi) {
                let org = cx
                    .dir
                    .provider_as(site, ProviderKind::Organization, cx.snapshot)?;
                support.add(
                    "servicefacility",
                    vec![("valueReference", reference("Organization", &org))],
                );
            }
        }
        ClaimKind::Pharmacy => {}
    }
    if kind != ClaimKind::Pharmacy {
        // The pharmacy profile has no slices for these.
        if let Some(mrn) = head.opt(C::Mrn) {
            support.string("medicalrecordnumber", mrn);
        }
        if let Some(account) = head.opt(C::PatientAccount) {
            support.string("patientaccountnumber", account);
        }
    }
    let transport = if matches!(kind, ClaimKind::Professional { .. }) {
        transportation(head, &mut support)?
    } else {
        Vec::new()
    };
    if kind == ClaimKind::Oral {
        oral(head, &mut support)?;
    }
    if kind == ClaimKind::Pharmacy {
        pharmacy(item_rows.first().copied().unwrap_or(head), &mut support)?;
    }
    Ok(SupportingInfo { support, transport })
}

impl<'a> SupportingInfo<'a> {
    pub fn into_nodes(self) -> Vec<Node<'a>> {
        self.support.into_nodes()
    }

    /// `item.informationSequence` of one line: the transportation entries, and on an oral
    /// claim the line's additional body site, which becomes an entry of its own here.
    pub fn for_line(&mut self, row: &Row<'a>, kind: ClaimKind) -> Vec<u32> {
        let mut information = self.transport.clone();
        if kind == ClaimKind::Oral {
            if let Some(site) = row.opt(C::AdditionalBodySite) {
                information.push(self.support.code(
                    "additionalbodysite",
                    oral_site_system(site),
                    site,
                ));
            }
        }
        information
    }
}

/// Two digits are read as an ADA area of the oral cavity (`00`, `01`, `10`, …, `40`), anything
/// else as a tooth. Universal tooth numbers 10–32 are two digits too and are read as areas.
fn oral_site_system(site: &str) -> &'static str {
    if site.len() == 2 && site.bytes().all(|b| b.is_ascii_digit()) {
        codes::ADA_AREA
    } else {
        codes::ADA_TOOTH
    }
}

/// Admission period (inpatient), type of bill, admission facts, discharge status, DRG.
fn institutional<'a>(
    head: &Row<'a>,
    kind: ClaimKind,
    dates: &ClaimDates,
    support: &mut Support<'a>,
) -> Result<(), IngestError> {
    if kind == ClaimKind::Inpatient {
        // The profile requires an admission period; the billable period stands in for the
        // dates a source did not give.
        let start = head.date(C::AdmissionDate)?.unwrap_or(dates.start);
        let end = head.date(C::DischargeDate)?.or(dates.end);
        support.add(
            "admissionperiod",
            vec![(
                "timingPeriod",
                jv!({"start": fhir_date(start), "end": end.map(fhir_date)}),
            )],
        );
    }
    if let Some(tob) = type_of_bill(head) {
        support.code("typeofbill", codes::NUBC_TYPE_OF_BILL, tob);
    }
    if let Some(s) = head.opt(C::SourceAdmission) {
        support.code(
            "pointoforigin",
            codes::NUBC_POINT_OF_ORIGIN,
            crosswalk::point_of_origin(s),
        );
    }
    if let Some(s) = head.opt(C::AdmissionType) {
        support.code(
            "admtype",
            codes::NUBC_ADMIT_TYPE,
            crosswalk::admission_type(s),
        );
    }
    if let Some(s) = head.opt(C::DischargeStatus) {
        support.code(
            "discharge-status",
            codes::NUBC_DISCHARGE_STATUS,
            crosswalk::discharge_status(s),
        );
    }
    if kind == ClaimKind::Inpatient {
        if let Some(drg) = head.opt(C::Drg) {
            support.code("drg", codes::MS_DRG, drg);
        }
    }
    Ok(())
}

/// The ambulance entries of a professional claim; returns their sequences.
fn transportation<'a>(head: &Row<'a>, support: &mut Support<'a>) -> Result<Vec<u32>, IngestError> {
    let mut transport = Vec::new();
    if let Some(w) = head.number(C::PatientWeight)? {
        transport.push(support.quantity("patientweight", Some(w), Some("[lb_av]")));
    }
    if let Some(r) = head.opt(C::AmbulanceReason) {
        // supportingInfo.reason is a Coding, not a CodeableConcept.
        transport.push(support.add(
            "ambulancetransportreason",
            vec![("reason", coding(codes::AMBULANCE_REASON, r))],
        ));
    }
    if let Some(d) = head.number(C::TransportDistance)? {
        transport.push(support.quantity("transportationdistance", Some(d), Some("[mi_i]")));
    }
    for (column, category) in [
        (C::RoundTripPurpose, "roudtrippurpose"), // sic: the code system's spelling
        (C::StretcherPurpose, "stretcherpurpose"),
        (C::PickupLocation, "pickuplocation"),
        (C::DropoffLocation, "dropofflocation"),
    ] {
        if let Some(v) = head.opt(column) {
            transport.push(support.string(category, v));
        }
    }
    Ok(transport)
}

/// Orthodontics, prosthesis, and one entry per missing tooth (the cell lists them with `;`).
fn oral<'a>(head: &Row<'a>, support: &mut Support<'a>) -> Result<(), IngestError> {
    if let Some(months) = head.number(C::OrthoMonths)? {
        support.add(
            "orthodontics",
            vec![
                ("timingDate", head.date(C::OrthoDate)?.map(fhir_date).into()),
                ("valueQuantity", jv!({"value": months, "unit": "months"})),
            ],
        );
    }
    if let Some(replacement) = head.boolean(C::ProsthesisReplacement)? {
        support.add(
            "prosthesis",
            vec![
                (
                    "timingDate",
                    head.date(C::ProsthesisDate)?.map(fhir_date).into(),
                ),
                ("valueBoolean", replacement.into()),
            ],
        );
    }
    for tooth in head
        .text(C::MissingTeeth)
        .split(';')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        support.code("missingtoothnumber", codes::ADA_TOOTH, tooth);
    }
    Ok(())
}

/// The NCPDP facts of the drug line `med`. Days supply, DAW code and refills are required by
/// the pharmacy profile, so a missing one is recorded as absent.
fn pharmacy<'a>(med: &Row<'a>, support: &mut Support<'a>) -> Result<(), IngestError> {
    support.quantity("dayssupply", med.number(C::DaysSupply)?, None);
    match med.opt(C::Daw) {
        Some(daw) => support.code("dawcode", codes::NCPDP_DAW, daw),
        None => support.add("dawcode", vec![("code", absent("unknown"))]),
    };
    support.quantity("refillnum", med.number(C::RefillNumber)?, None);
    support.quantity("refillsauthorized", med.number(C::RefillsAuthorized)?, None);
    if let Some(bg) = med.opt(C::BrandGeneric) {
        support.code(
            "brandgenericindicator",
            codes::NCPDP_BRAND_GENERIC,
            brand_generic_code(bg),
        );
    }
    if let Some(origin) = med.opt(C::RxOrigin) {
        support.code("rxorigincode", codes::NCPDP_RX_ORIGIN, origin);
    }
    if let Some(compound) = lines::compound_code(med) {
        support.code("compoundcode", codes::NCPDP_COMPOUND, compound);
    }
    Ok(())
}

/// NCPDP brand/generic indicator: sources write `B`/`G` or words; other values pass through.
fn brand_generic_code(cell: &str) -> &str {
    match cell.to_ascii_lowercase().as_str() {
        "b" | "brand" => "1",
        "g" | "generic" => "2",
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::cpcds::map::eob::sheet::{json_all, Sheet};

    fn category(entry: &Value) -> &str {
        entry["category"]["coding"][0]["code"].as_str().unwrap()
    }

    fn categories(entries: &Value) -> Vec<&str> {
        entries.as_array().unwrap().iter().map(category).collect()
    }

    #[test]
    fn inpatient_admission_period_falls_back_to_the_billable_period() {
        let sheet = Sheet::one(&[
            (C::DischargeDate, "2022-05-09"),
            (C::BillFacility, "0111"),
            (C::Drg, "470"),
        ]);
        let head = &sheet.rows()[0];
        let dates = ClaimDates {
            start: crate::cpcds::row::parse_iso_date("2022-05-01").unwrap(),
            end: None,
            created: crate::cpcds::row::parse_iso_date("2022-05-20").unwrap(),
        };
        let mut support = Support::default();
        institutional(head, ClaimKind::Inpatient, &dates, &mut support).unwrap();
        let entries = json_all(support.into_nodes());
        assert_eq!(
            categories(&entries),
            ["admissionperiod", "typeofbill", "drg"]
        );
        assert_eq!(
            entries[0]["timingPeriod"],
            serde_json::json!({"start": "2022-05-01", "end": "2022-05-09"})
        );
        assert_eq!(entries[1]["code"]["coding"][0]["code"], "0111");

        // Outpatient claims have neither an admission period nor a DRG.
        let mut support = Support::default();
        institutional(head, ClaimKind::Outpatient, &dates, &mut support).unwrap();
        assert_eq!(categories(&json_all(support.into_nodes())), ["typeofbill"]);
    }

    #[test]
    fn transportation_entries_are_linked_from_every_professional_line() {
        let sheet = Sheet::one(&[
            (C::PatientWeight, "150"),
            (C::TransportDistance, "12.5"),
            (C::PickupLocation, "home"),
        ]);
        let head = &sheet.rows()[0];
        let mut support = Support::default();
        support.add("clmrecvddate", vec![("timingDate", "2022-01-01".into())]);
        let transport = transportation(head, &mut support).unwrap();
        assert_eq!(transport, [2, 3, 4]);
        let mut info = SupportingInfo { support, transport };
        let kind = ClaimKind::Professional { vision: false };
        assert_eq!(info.for_line(head, kind), [2, 3, 4]);
        assert_eq!(info.for_line(head, kind), [2, 3, 4]);
        let entries = json_all(info.into_nodes());
        assert_eq!(
            categories(&entries),
            [
                "clmrecvddate",
                "patientweight",
                "transportationdistance",
                "pickuplocation"
            ]
        );
        assert_eq!(entries[1]["valueQuantity"]["code"], "[lb_av]");
        assert_eq!(entries[2]["valueQuantity"]["value"], 12.5);
    }

    #[test]
    fn an_oral_line_body_site_becomes_an_entry_of_its_own() {
        let sheet = Sheet::new(&[C::AdditionalBodySite], &[&["01"], &[""], &["B"]]);
        let rows = sheet.rows();
        let mut info = SupportingInfo::default();
        let sequences: Vec<Vec<u32>> = rows
            .iter()
            .map(|r| info.for_line(r, ClaimKind::Oral))
            .collect();
        assert_eq!(sequences, [vec![1], vec![], vec![2]]);
        let entries = json_all(info.into_nodes());
        assert_eq!(entries[0]["code"]["coding"][0]["system"], codes::ADA_AREA);
        assert_eq!(entries[1]["code"]["coding"][0]["system"], codes::ADA_TOOTH);
        assert_eq!(entries[1]["code"]["coding"][0]["code"], "B");
        // Only oral claims have additional body sites.
        let mut info = SupportingInfo::default();
        assert!(info
            .for_line(&rows[0], ClaimKind::Professional { vision: false })
            .is_empty());
    }

    #[test]
    fn oral_info_lists_each_missing_tooth() {
        let sheet = Sheet::one(&[
            (C::OrthoMonths, "6"),
            (C::OrthoDate, "2021-09-01"),
            (C::MissingTeeth, "1; 14;;32 "),
        ]);
        let mut support = Support::default();
        oral(&sheet.rows()[0], &mut support).unwrap();
        let entries = json_all(support.into_nodes());
        assert_eq!(
            categories(&entries),
            [
                "orthodontics",
                "missingtoothnumber",
                "missingtoothnumber",
                "missingtoothnumber"
            ]
        );
        assert_eq!(entries[0]["timingDate"], "2021-09-01");
        assert_eq!(entries[0]["valueQuantity"]["value"], 6);
        let teeth: Vec<&Value> = (1..4)
            .map(|i| &entries[i]["code"]["coding"][0]["code"])
            .collect();
        assert_eq!(teeth, ["1", "14", "32"]);
    }

    #[test]
    fn pharmacy_info_records_missing_required_facts_as_absent() {
        let empty = Sheet::one(&[(C::DaysSupply, ""), (C::BrandGeneric, "")]);
        let mut support = Support::default();
        pharmacy(&empty.rows()[0], &mut support).unwrap();
        let entries = json_all(support.into_nodes());
        assert_eq!(
            categories(&entries),
            ["dayssupply", "dawcode", "refillnum", "refillsauthorized"]
        );
        let absent = &entries[0]["valueQuantity"]["extension"][0]["valueCode"];
        assert_eq!(absent, "unknown");
        assert_eq!(entries[1]["code"]["extension"][0]["valueCode"], "unknown");

        let full = Sheet::one(&[
            (C::DaysSupply, "30"),
            (C::Daw, "1"),
            (C::RefillNumber, "2"),
            (C::RefillsAuthorized, "5"),
            (C::BrandGeneric, "Generic"),
        ]);
        let mut support = Support::default();
        pharmacy(&full.rows()[0], &mut support).unwrap();
        let entries = json_all(support.into_nodes());
        assert_eq!(
            entries[0]["valueQuantity"],
            serde_json::json!({"value": 30})
        );
        assert_eq!(entries[1]["code"]["coding"][0]["code"], "1");
        assert_eq!(categories(&entries)[4], "brandgenericindicator");
        assert_eq!(entries[4]["code"]["coding"][0]["code"], "2");
    }

    #[test]
    fn brand_generic_words_become_ncpdp_codes() {
        assert_eq!(brand_generic_code("B"), "1");
        assert_eq!(brand_generic_code("brand"), "1");
        assert_eq!(brand_generic_code("G"), "2");
        assert_eq!(brand_generic_code("Generic"), "2");
        assert_eq!(brand_generic_code("3"), "3");
    }
}
