//! `EOB.supportingInfo` per profile. Entries are numbered as they are added and items point at
//! them by number, so the order of the steps below is part of the output.

use super::header::ClaimDates;
use super::support::Support;
use super::{lines, type_of_bill, ClaimContext, ClaimKind};
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::crosswalk;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{absent, coding, reference};
use crate::cpcds::map::party::ProviderKind;
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes;
use crate::jv;

pub struct SupportingInfo<'a> {
    pub support: Support<'a>,
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

/// Two digits name an ADA area of the oral cavity (`01`…`40`); anything else is a tooth.
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
