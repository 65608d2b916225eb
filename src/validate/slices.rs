//! supportingInfo slice tables per EOB profile and the engine that checks them. All these
//! slicings are open and discriminated by a pattern on `category` (C4BBSupportingInfoType).

use serde_json::Value;

use super::codes::{self as c, ValueSet};
use super::datatypes::{binding_at, binding_coding, has_coding, quantity, reference, Strength};
use super::json::{
    card_choice, card_count, card_one, child, get_str, idx, list, prim, Prim, Report,
};
use super::Profile;

/// What a supportingInfo slice requires of `timing[x]`.
#[derive(Debug, Clone, Copy)]
pub enum Timing {
    Any,
    Forbidden,
    Date,
    Period,
}

/// What a supportingInfo slice requires of `value[x]`.
#[derive(Debug, Clone, Copy)]
pub enum SiValue {
    Any,
    String,
    Quantity,
    /// valueQuantity with `value` 1..1 and fixed UCUM unit/system.
    Ucum(&'static str),
    Boolean,
    OrgReference,
}

/// What a supportingInfo slice requires of `code`.
#[derive(Debug, Clone, Copy)]
pub enum SiCode {
    Any,
    Forbidden,
    Required(&'static ValueSet),
    Extensible(&'static ValueSet),
}

/// One supportingInfo slice definition (category = C4BBSupportingInfoType#code).
#[derive(Debug)]
pub struct SiSlice {
    pub name: &'static str,
    pub code: &'static str,
    pub timing: Timing,
    pub value: SiValue,
    pub code_rule: SiCode,
    /// `reason` 1..1 with a required binding.
    pub reason: Option<&'static ValueSet>,
}

const fn si(name: &'static str, code: &'static str) -> SiSlice {
    SiSlice {
        name,
        code,
        timing: Timing::Any,
        value: SiValue::Any,
        code_rule: SiCode::Any,
        reason: None,
    }
}
const fn si_code(name: &'static str, vs: &'static ValueSet) -> SiSlice {
    SiSlice {
        code_rule: SiCode::Required(vs),
        ..si(name, name)
    }
}
const fn si_value(name: &'static str, code: &'static str, value: SiValue) -> SiSlice {
    SiSlice {
        value,
        ..si(name, code)
    }
}
/// Transportation slices: no code, no timing.
const fn si_transport(name: &'static str, value: SiValue) -> SiSlice {
    SiSlice {
        timing: Timing::Forbidden,
        code_rule: SiCode::Forbidden,
        value,
        ..si(name, name)
    }
}

static ADMISSIONPERIOD: SiSlice = SiSlice {
    timing: Timing::Period,
    ..si("admissionperiod", "admissionperiod")
};
static CLMRECVDDATE: SiSlice = SiSlice {
    timing: Timing::Date,
    ..si("clmrecvddate", "clmrecvddate")
};
static TYPEOFBILL: SiSlice = si_code("typeofbill", &c::TYPE_OF_BILL_VS);
static POINTOFORIGIN: SiSlice = si_code("pointoforigin", &c::POINT_OF_ORIGIN_VS);
static ADMTYPE: SiSlice = si_code("admtype", &c::ADM_TYPE_VS);
static DISCHARGE: SiSlice = si_code("discharge-status", &c::DISCHARGE_STATUS_VS);
static DRG: SiSlice = SiSlice {
    code_rule: SiCode::Extensible(&c::DRG_VS),
    ..si("drg", "drg")
};
static MRN: SiSlice = si_value(
    "medicalrecordnumber",
    "medicalrecordnumber",
    SiValue::String,
);
static PAN: SiSlice = si_value(
    "patientaccountnumber",
    "patientaccountnumber",
    SiValue::String,
);
static SERVICEFACILITY: SiSlice =
    si_value("servicefacility", "servicefacility", SiValue::OrgReference);
static ORTHODONTICS: SiSlice = si_value("orthodontics", "orthodontics", SiValue::Quantity);
static PROSTHESIS: SiSlice = si_value("prosthesis", "prosthesis", SiValue::Boolean);
static ADDITIONALBODYSITE: SiSlice = si_code("additionalbodysite", &c::ORAL_BODY_SITE_VS);
static MISSINGTOOTH: SiSlice = si_code("missingtoothnumber", &c::ADA_TOOTH_VS);
static DAYSSUPPLY: SiSlice = si_value("dayssupply", "dayssupply", SiValue::Quantity);
static DAWCODE: SiSlice = si_code("dawcode", &c::NCPDP_DAW_VS);
static REFILLNUM: SiSlice = si_value("refillNum", "refillnum", SiValue::Quantity);
static REFILLSAUTH: SiSlice = si_value("refillsAuthorized", "refillsauthorized", SiValue::Quantity);
static BRANDGENERIC: SiSlice = si_code("brandgenericindicator", &c::NCPDP_BGI_VS);
static RXORIGIN: SiSlice = SiSlice {
    name: "rxoriginCode",
    ..si_code("rxorigincode", &c::NCPDP_RXORIGIN_VS)
};
static COMPOUNDCODE: SiSlice = si_code("compoundcode", &c::NCPDP_COMPOUND_VS);
static PATIENTWEIGHT: SiSlice = si_transport("patientweight", SiValue::Ucum("[lb_av]"));
static AMBULANCE: SiSlice = SiSlice {
    reason: Some(&c::AMBULANCE_VS),
    ..si_transport("ambulancetransportreason", SiValue::Any)
};
static DISTANCE: SiSlice = si_transport("transportationdistance", SiValue::Ucum("[mi_i]"));
static ROUNDTRIP: SiSlice = si_transport("roudtrippurpose", SiValue::String);
static STRETCHER: SiSlice = si_transport("stretcherpurpose", SiValue::String);
static PICKUP: SiSlice = si_transport("pickuplocation", SiValue::String);
static DROPOFF: SiSlice = si_transport("dropofflocation", SiValue::String);

type SiUse = (&'static SiSlice, usize, Option<usize>);
const ONE: Option<usize> = Some(1);

static SI_INPATIENT: &[SiUse] = &[
    (&ADMISSIONPERIOD, 1, ONE),
    (&CLMRECVDDATE, 0, ONE),
    (&TYPEOFBILL, 0, ONE),
    (&POINTOFORIGIN, 0, ONE),
    (&ADMTYPE, 0, ONE),
    (&DISCHARGE, 0, ONE),
    (&DRG, 0, ONE),
    (&MRN, 0, ONE),
    (&PAN, 0, ONE),
];
static SI_OUTPATIENT: &[SiUse] = &[
    (&CLMRECVDDATE, 0, ONE),
    (&TYPEOFBILL, 0, ONE),
    (&POINTOFORIGIN, 0, ONE),
    (&ADMTYPE, 0, ONE),
    (&DISCHARGE, 0, ONE),
    (&MRN, 0, ONE),
    (&PAN, 0, ONE),
];
static SI_PROFESSIONAL: &[SiUse] = &[
    (&CLMRECVDDATE, 0, ONE),
    (&SERVICEFACILITY, 0, ONE),
    (&MRN, 0, ONE),
    (&PAN, 0, ONE),
    (&PATIENTWEIGHT, 0, None),
    (&AMBULANCE, 0, None),
    (&DISTANCE, 0, None),
    (&ROUNDTRIP, 0, None),
    (&STRETCHER, 0, None),
    (&PICKUP, 0, None),
    (&DROPOFF, 0, None),
];
static SI_ORAL: &[SiUse] = &[
    (&CLMRECVDDATE, 0, ONE),
    (&SERVICEFACILITY, 0, ONE),
    (&ORTHODONTICS, 0, ONE),
    (&PROSTHESIS, 0, ONE),
    (&MRN, 0, ONE),
    (&PAN, 0, ONE),
    (&ADDITIONALBODYSITE, 0, None),
    (&MISSINGTOOTH, 0, None),
];
static SI_PHARMACY: &[SiUse] = &[
    (&DAYSSUPPLY, 1, ONE),
    (&DAWCODE, 1, ONE),
    (&REFILLNUM, 1, ONE),
    (&REFILLSAUTH, 1, ONE),
    (&BRANDGENERIC, 0, ONE),
    (&RXORIGIN, 0, ONE),
    (&CLMRECVDDATE, 0, ONE),
    (&COMPOUNDCODE, 0, ONE),
];

/// `(supportingInfo min, slices)` of a profile.
fn si_table(p: Profile) -> (usize, &'static [SiUse]) {
    match p {
        Profile::EobInpatient => (1, SI_INPATIENT),
        Profile::EobOutpatient => (0, SI_OUTPATIENT),
        Profile::EobProfessional => (0, SI_PROFESSIONAL),
        Profile::EobOral => (0, SI_ORAL),
        _ => (4, SI_PHARMACY),
    }
}

/// supportingInfo: element rules, slice cardinalities and per-slice content.
pub fn supporting_info(r: &mut Report, res: &Value, base: &str, p: Profile) {
    let (min, table) = si_table(p);
    let infos = list(res, "supportingInfo");
    let path = child(base, "supportingInfo");
    card_count(r, &path, infos.len(), min, None, "supportingInfo");
    for (i, s) in infos.iter().enumerate() {
        let sp = idx(base, "supportingInfo", i);
        card_one(r, s, &sp, "sequence", true);
        prim(r, s, &sp, "sequence", Prim::PositiveInt);
        card_one(r, s, &sp, "category", true);
        binding_at(
            r,
            s,
            &sp,
            "category",
            &c::SUPPORTING_INFO_TYPE_VS,
            Strength::Extensible,
        );
        card_choice(r, s, &sp, "timing", false, &["Date", "Period"]);
        prim(r, s, &sp, "timingDate", Prim::Date);
        if let Some(tp) = s.get("timingPeriod") {
            super::datatypes::period(r, tp, &child(&sp, "timingPeriod"));
        }
        card_choice(
            r,
            s,
            &sp,
            "value",
            false,
            &["Boolean", "String", "Quantity", "Attachment", "Reference"],
        );
        prim(r, s, &sp, "valueBoolean", Prim::Bool);
        prim(r, s, &sp, "valueString", Prim::Str);
        if let Some(q) = s.get("valueQuantity") {
            quantity(r, q, &child(&sp, "valueQuantity"));
        }
    }
    for (slice, smin, smax) in table {
        let members: Vec<usize> = infos
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.get("category")
                    .is_some_and(|cc| has_coding(cc, c::SIT, slice.code))
            })
            .map(|(i, _)| i)
            .collect();
        let what = format!("slice supportingInfo:{}", slice.name);
        card_count(r, &path, members.len(), *smin, *smax, &what);
        for i in members {
            si_slice_content(r, &infos[i], &idx(base, "supportingInfo", i), slice);
        }
    }
}

fn si_slice_content(r: &mut Report, s: &Value, sp: &str, slice: &SiSlice) {
    let name = slice.name;
    match slice.timing {
        Timing::Any => {}
        Timing::Forbidden => {
            if let Some((k, _)) = super::json::choice_keys(s, "timing").first() {
                r.err(
                    &child(sp, k),
                    "cardinality",
                    format!("supportingInfo:{name} must not have timing[x] (0..0)"),
                );
            }
        }
        Timing::Date => {
            card_choice(r, s, sp, "timing", true, &["Date"]);
        }
        Timing::Period => {
            card_choice(r, s, sp, "timing", true, &["Period"]);
        }
    }
    let value_type = match slice.value {
        SiValue::Any => None,
        SiValue::String => Some("String"),
        SiValue::Quantity | SiValue::Ucum(_) => Some("Quantity"),
        SiValue::Boolean => Some("Boolean"),
        SiValue::OrgReference => Some("Reference"),
    };
    if let Some(ty) = value_type {
        card_choice(r, s, sp, "value", true, &[ty]);
    }
    if let (SiValue::Ucum(unit), Some(q)) = (slice.value, s.get("valueQuantity")) {
        let qp = child(sp, "valueQuantity");
        card_one(r, q, &qp, "value", true);
        if get_str(q, "unit") != Some(unit) {
            r.err(
                &child(&qp, "unit"),
                "pattern",
                format!("unit must be '{unit}'"),
            );
        }
        if get_str(q, "system") != Some(c::UCUM) {
            r.err(
                &child(&qp, "system"),
                "pattern",
                format!("system must be '{}'", c::UCUM),
            );
        }
    }
    if let (SiValue::OrgReference, Some(v)) = (slice.value, s.get("valueReference")) {
        reference(r, v, &child(sp, "valueReference"), &["Organization"]);
    }
    match slice.code_rule {
        SiCode::Any => {}
        SiCode::Forbidden => {
            if s.get("code").is_some() {
                r.err(
                    &child(sp, "code"),
                    "cardinality",
                    format!("supportingInfo:{name} must not have code (0..0)"),
                );
            }
        }
        SiCode::Required(vs) | SiCode::Extensible(vs) => {
            card_one(r, s, sp, "code", true);
            let strength = match slice.code_rule {
                SiCode::Required(_) => Strength::Required,
                _ => Strength::Extensible,
            };
            binding_at(r, s, sp, "code", vs, strength);
        }
    }
    if let Some(vs) = slice.reason {
        card_one(r, s, sp, "reason", true);
        if let Some(coding) = s.get("reason") {
            // supportingInfo.reason is a Coding in R4, not a CodeableConcept
            binding_coding(r, coding, &child(sp, "reason"), vs);
        }
    }
}
