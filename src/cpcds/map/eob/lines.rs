//! Diagnoses, procedures and items: what the claim was for.

use super::money::{self, LINE_AMOUNTS};
use super::{ClaimKind, MapStats};
use crate::cpcds::columns::{ClaimCol as C, DiagnosisGroup, Dialect};
use crate::cpcds::crosswalk;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{absent, coding, coding_display, concept, concept_of, Node};
use crate::cpcds::row::{fhir_date, Row};
use crate::fhir::codes;
use crate::jv;

/// What a row's procedure/product code is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    Icd10Pcs,
    Cpt,
    Hcpcs,
    Hipps,
    Cdt,
    Snomed,
}

pub fn procedure_code_kind(row: &Row<'_>) -> Option<CodeKind> {
    let code = row.opt(C::ProcCode)?;
    let declared = row.text(C::ProcCodeType).to_ascii_lowercase();
    let kind = match declared.as_str() {
        "icd-10-pcs" | "icd10pcs" | "icd-10 pcs" | "icd10-pcs" => CodeKind::Icd10Pcs,
        "cpt" | "cpt-4" => CodeKind::Cpt,
        "hcpcs" => CodeKind::Hcpcs,
        "hipps" => CodeKind::Hipps,
        "cdt" => CodeKind::Cdt,
        "snomed" | "snomed-ct" | "http://snomed.info/sct" => CodeKind::Snomed,
        _ => guess_code_kind(code),
    };
    Some(kind)
}

fn guess_code_kind(code: &str) -> CodeKind {
    let b = code.as_bytes();
    if b.len() == 5 && b[0] == b'D' && b[1..].iter().all(u8::is_ascii_digit) {
        CodeKind::Cdt
    } else if b.len() == 5 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit) {
        CodeKind::Hcpcs
    } else if b.len() == 5 && b[..4].iter().all(u8::is_ascii_digit) {
        CodeKind::Cpt
    } else if b.len() == 7
        && b.iter().all(u8::is_ascii_alphanumeric)
        && !b.iter().all(u8::is_ascii_digit)
    {
        CodeKind::Icd10Pcs
    } else {
        CodeKind::Snomed
    }
}

/// Synthea writes RxNorm codes (at most 8 digits) in the NDC column; NDCs have 10–11 digits.
fn looks_like_rxnorm(code: &str) -> bool {
    code.len() <= 8 && code.bytes().all(|b| b.is_ascii_digit())
}

/// True when the row is a claim line (an `item`), not a diagnosis- or procedure-only row.
/// On a pharmacy claim only drug rows are lines.
pub fn is_item_row(row: &Row<'_>, kind: ClaimKind) -> bool {
    if kind == ClaimKind::Pharmacy {
        return row.opt(C::Ndc).is_some();
    }
    row.opt(C::Ndc).is_some()
        || row.opt(C::Revenue).is_some()
        || procedure_code_kind(row).is_some_and(|k| k != CodeKind::Icd10Pcs)
}

/// The NCPDP compound code, except from Synthea, which draws it at random for single drugs.
pub fn compound_code<'a>(row: &Row<'a>) -> Option<&'a str> {
    (row.layout.dialect != Dialect::Synthea)
        .then(|| row.opt(C::Compound))
        .flatten()
}

/// `item.productOrService` for one line.
pub fn product<'a>(row: &Row<'a>, kind: ClaimKind, stats: &mut MapStats) -> Node<'a> {
    let not_applicable = || {
        coding_display(
            codes::DATA_ABSENT_REASON,
            "not-applicable",
            "Not Applicable",
        )
    };
    if let Some(ndc) = row.opt(C::Ndc) {
        if compound_code(row) == Some("2") && kind == ClaimKind::Pharmacy {
            return concept(codes::C4BB_COMPOUND_LITERAL, "compound");
        }
        let mut codings = if looks_like_rxnorm(ndc) {
            let rx = coding(codes::RXNORM, ndc);
            if let Some((code, display)) = crosswalk::rxnorm_to_ndc(ndc) {
                vec![coding_display(codes::NDC, code, display), rx]
            } else {
                stats.unmapped_drugs += 1;
                vec![rx]
            }
        } else {
            vec![coding_display(
                codes::NDC,
                ndc.replace('-', ""),
                row.opt(C::ProcDesc),
            )]
        };
        // A drug billed on a non-pharmacy claim: the product code C4BB wants there (CPT/HCPCS)
        // is not in the row, so it says not-applicable and keeps the drug coding beside it.
        if kind != ClaimKind::Pharmacy {
            codings.insert(0, not_applicable());
        }
        return concept_of(codings, None);
    }
    let display = row.opt(C::ProcDesc);
    let Some((code_kind, code)) = procedure_code_kind(row)
        .filter(|k| *k != CodeKind::Icd10Pcs)
        .zip(row.opt(C::ProcCode))
    else {
        // A revenue-code line (its ICD-10-PCS code, if any, is a claim-level procedure).
        return concept_of(vec![not_applicable()], None);
    };
    let system = match code_kind {
        CodeKind::Cpt => Some(codes::CPT),
        CodeKind::Hcpcs => Some(codes::HCPCS),
        CodeKind::Hipps => Some(codes::HIPPS),
        CodeKind::Cdt => Some(codes::CDT),
        CodeKind::Icd10Pcs | CodeKind::Snomed => None,
    };
    if let Some(system) = system {
        return concept_of(vec![coding_display(system, code, display)], None);
    }
    // SNOMED from Synthea: add the code C4BB requires, keep the original.
    let original = coding_display(codes::SNOMED, code, display);
    if let Some((is_cpt, mapped, mapped_display)) = crosswalk::snomed_to_cpt_hcpcs(code) {
        let system = if is_cpt { codes::CPT } else { codes::HCPCS };
        return concept_of(
            vec![coding_display(system, mapped, mapped_display), original],
            display,
        );
    }
    stats.unmapped_procedures += 1;
    match kind {
        ClaimKind::Professional { .. } => {
            let is_device = row.opt(C::ProcType).is_none();
            let (is_cpt, mapped, mapped_display) = crosswalk::professional_fallback(is_device);
            let system = if is_cpt { codes::CPT } else { codes::HCPCS };
            concept_of(
                vec![coding_display(system, mapped, mapped_display), original],
                display,
            )
        }
        _ => concept_of(vec![not_applicable(), original], display),
    }
}

/// One diagnosis as read from a row, before typing.
#[derive(Debug, Clone)]
pub struct RawDiagnosis {
    pub code: String,
    pub desc: String,
    pub code_type: String,
    pub dx_type: String,
    pub poa: String,
    pub is_e: bool,
}

/// Every diagnosis the claim's rows name, each code once, in the order first named.
pub fn raw_diagnoses(rows: &[Row<'_>]) -> Vec<RawDiagnosis> {
    let mut raw = Vec::new();
    for r in rows {
        diagnoses_of(r, &r.layout.extra_diagnoses, &mut raw);
    }
    raw
}

pub fn diagnoses_of(row: &Row<'_>, groups: &[DiagnosisGroup], out: &mut Vec<RawDiagnosis>) {
    let cell = |i: Option<usize>| {
        i.and_then(|i| row.record.get(i))
            .map_or("", str::trim)
            .to_string()
    };
    let mut push = |d: RawDiagnosis| {
        if !d.code.is_empty() && !out.iter().any(|o| o.code == d.code) {
            out.push(d);
        }
    };
    push(RawDiagnosis {
        code: row.text(C::DxCode).to_string(),
        desc: row.text(C::DxDesc).to_string(),
        code_type: row.text(C::DxCodeType).to_string(),
        dx_type: row.text(C::DxType).to_string(),
        poa: row.text(C::Poa).to_string(),
        is_e: is_true(row.text(C::IsECode)),
    });
    for g in groups {
        push(RawDiagnosis {
            code: cell(g.code),
            desc: cell(g.desc),
            code_type: cell(g.code_type),
            dx_type: cell(g.dx_type),
            poa: cell(g.poa),
            is_e: is_true(&cell(g.is_e)),
        });
    }
}

fn is_true(s: &str) -> bool {
    matches!(
        s.to_ascii_lowercase().as_str(),
        "y" | "yes" | "true" | "1" | "t"
    )
}

/// `ExplanationOfBenefit.diagnosis`, typed per profile.
pub fn diagnoses<'a>(
    raw: &'a [RawDiagnosis],
    kind: ClaimKind,
    stats: &mut MapStats,
) -> Vec<Node<'a>> {
    let mut out = Vec::new();
    let mut principal_taken = false;
    for d in raw {
        let coded = diagnosis_concept(d, stats);
        let dx_type = diagnosis_type(d, kind, &mut principal_taken);
        let on_admission = (kind == ClaimKind::Inpatient && !d.poa.is_empty())
            .then(|| concept(codes::NUBC_POA, d.poa.to_ascii_uppercase()));
        out.push(jv!({
            "sequence": out.len() + 1,
            "diagnosisCodeableConcept": coded,
            "type": dx_type.map(|t| jv!([t])),
            "onAdmission": on_admission,
        }));
    }
    if out.is_empty() && kind != ClaimKind::Pharmacy && kind != ClaimKind::Oral {
        // Institutional and professional EOBs need a diagnosis; the claim reported none.
        stats.claims_without_diagnosis += 1;
        let mut principal = false;
        let unspecified = RawDiagnosis {
            code: String::new(),
            desc: String::new(),
            code_type: String::new(),
            dx_type: "principal".into(),
            poa: String::new(),
            is_e: false,
        };
        out.push(jv!({
            "sequence": 1u32,
            "diagnosisCodeableConcept": concept_of(
                vec![coding_display(codes::ICD10_CM, "R69", "Illness, unspecified")],
                Some("No diagnosis was reported on the claim"),
            ),
            "type": diagnosis_type(&unspecified, kind, &mut principal).map(|t| jv!([t])),
        }));
    }
    out
}

fn diagnosis_concept<'a>(d: &'a RawDiagnosis, stats: &mut MapStats) -> Node<'a> {
    let code_type = d.code_type.to_ascii_lowercase();
    let desc = Some(d.desc.as_str()).filter(|s| !s.is_empty());
    if code_type.contains("snomed") {
        let original = coding_display(codes::SNOMED, d.code.as_str(), desc);
        let (code, display) = crosswalk::snomed_to_icd10cm(&d.code).unwrap_or_else(|| {
            stats.unmapped_diagnoses += 1;
            crosswalk::icd10cm_fallback(&d.desc)
        });
        return concept_of(
            vec![coding_display(codes::ICD10_CM, code, display), original],
            desc,
        );
    }
    let system = if code_type.contains('9') {
        codes::ICD9_CM
    } else {
        codes::ICD10_CM
    };
    concept_of(vec![coding_display(system, d.code.as_str(), desc)], None)
}

fn diagnosis_type(
    d: &RawDiagnosis,
    kind: ClaimKind,
    principal_taken: &mut bool,
) -> Option<Node<'static>> {
    let declared = d.dx_type.to_ascii_lowercase();
    let wants_principal = declared == "principal" || declared.is_empty() && !*principal_taken;
    let (system, code) = match kind {
        ClaimKind::Pharmacy => return None,
        ClaimKind::Inpatient | ClaimKind::Outpatient => {
            if wants_principal && !*principal_taken {
                *principal_taken = true;
                (codes::EX_DIAGNOSIS_TYPE, "principal")
            } else if d.is_e || declared == "externalcauseofinjury" {
                (codes::C4BB_DIAGNOSIS_TYPE, "externalcauseofinjury")
            } else if declared == "admitting" && kind == ClaimKind::Inpatient {
                (codes::EX_DIAGNOSIS_TYPE, "admitting")
            } else if declared == "patientreasonforvisit" && kind == ClaimKind::Outpatient {
                (codes::C4BB_DIAGNOSIS_TYPE, "patientreasonforvisit")
            } else {
                (codes::C4BB_DIAGNOSIS_TYPE, "other")
            }
        }
        ClaimKind::Professional { .. } | ClaimKind::Oral => {
            if wants_principal && !*principal_taken {
                *principal_taken = true;
                (codes::EX_DIAGNOSIS_TYPE, "principal")
            } else {
                (codes::C4BB_DIAGNOSIS_TYPE, "secondary")
            }
        }
    };
    Some(concept(system, code))
}

/// `ExplanationOfBenefit.procedure`: one per ICD-10-PCS row, the first principal one being
/// the principal procedure.
pub fn procedures<'a>(rows: &[Row<'a>]) -> Result<Vec<Node<'a>>, IngestError> {
    let mut procedures = Vec::new();
    let mut principal_taken = false;
    for r in rows {
        if procedure_code_kind(r) == Some(CodeKind::Icd10Pcs) {
            procedures.push(procedure(r, procedures.len() + 1, &mut principal_taken)?);
        }
    }
    Ok(procedures)
}

/// ICD-10-PCS rows become claim-level procedures.
pub fn procedure<'a>(
    row: &Row<'a>,
    sequence: usize,
    principal_taken: &mut bool,
) -> Result<Node<'a>, IngestError> {
    let declared = row.text(C::ProcType).to_ascii_lowercase();
    let principal = matches!(declared.as_str(), "principal" | "primary" | "") && !*principal_taken;
    if principal {
        *principal_taken = true;
    }
    let date = row
        .date(C::ProcDate)?
        .or(row.date(C::LineFrom)?)
        .map(fhir_date);
    Ok(jv!({
        "sequence": sequence,
        "type": jv!([concept(codes::C4BB_PROCEDURE_TYPE, if principal { "principal" } else { "other" })]),
        "date": date,
        "procedureCodeableConcept": concept_of(
            vec![coding_display(codes::ICD10_PCS, row.text(C::ProcCode), row.opt(C::ProcDesc))],
            None,
        ),
    }))
}

/// The amount-type adjudications of a line plus its status/reason adjudications.
pub struct LineAdjudication<'a> {
    pub amounts: Vec<Node<'a>>,
    pub others: Vec<Node<'a>>,
    /// The line's adjustment (denial) reason, which moves to the header when amounts do.
    pub adjustment_reason: Option<&'a str>,
}

pub fn line_adjudication<'a>(
    row: &Row<'a>,
    kind: ClaimKind,
    has_prior_payer: bool,
) -> Result<LineAdjudication<'a>, IngestError> {
    let amounts = money::amounts(row, LINE_AMOUNTS, has_prior_payer)?;
    let mut others = Vec::new();
    let denial = row.opt(C::LineDenial);
    if let Some(denial) = denial {
        others.push(if kind == ClaimKind::Pharmacy {
            money::reason_adjudication("rejectreason", codes::NCPDP_REJECT, denial)
        } else {
            money::reason_adjudication("adjustmentreason", codes::CARC, denial)
        });
    }
    if kind != ClaimKind::Pharmacy {
        if let Some(units) = row.number(C::AllowedUnits)? {
            others.push(money::allowed_units(units));
        }
    }
    if matches!(kind, ClaimKind::Professional { .. } | ClaimKind::Oral) {
        others.push(money::status_adjudication(
            "benefitpaymentstatus",
            money::line_benefit_status(row),
        ));
    }
    Ok(LineAdjudication {
        amounts,
        others,
        adjustment_reason: denial.filter(|_| kind != ClaimKind::Pharmacy),
    })
}

pub fn modifiers<'a>(row: &Row<'a>) -> Vec<Node<'a>> {
    [C::Modifier1, C::Modifier2, C::Modifier3, C::Modifier4]
        .into_iter()
        .filter_map(|c| row.opt(c))
        .map(|m| {
            let system = if m.bytes().all(|b| b.is_ascii_digit()) {
                codes::CPT
            } else {
                codes::HCPCS
            };
            concept(system, m)
        })
        .collect()
}

/// `bodySite` and `subSite` of an oral line.
pub fn oral_sites<'a>(row: &Row<'a>) -> (Node<'a>, Node<'a>) {
    let body = match (row.opt(C::Tooth), row.opt(C::OralArea)) {
        (Some(t), _) => concept(codes::ADA_TOOTH, t),
        (None, Some(a)) => concept(codes::ADA_AREA, a),
        (None, None) => Node::Null,
    };
    let surfaces: Vec<Node<'a>> = row
        .text(C::Surface)
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| concept(codes::C4BB_SURFACE, c.to_ascii_uppercase().to_string()))
        .collect();
    (body, Node::Arr(surfaces))
}

pub fn location<'a>(row: &Row<'a>) -> Node<'a> {
    row.opt(C::PlaceOfService)
        .map_or_else(|| absent("unknown"), |p| concept(codes::POS, p))
}

pub fn compound_details<'a>(row: &Row<'a>) -> Result<Vec<Node<'a>>, IngestError> {
    let ndcs: Vec<&str> = row
        .text(C::CompoundNdcs)
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let quantities: Vec<&str> = row
        .text(C::CompoundQuantities)
        .split(';')
        .map(str::trim)
        .collect();
    let mut out = Vec::new();
    for (i, ndc) in ndcs.iter().enumerate() {
        let quantity = match quantities.get(i).filter(|q| !q.is_empty()) {
            Some(q) => Some(q.parse::<f64>().map_err(|_| {
                row.error(C::CompoundQuantities, format!("{q:?} is not a quantity"))
            })?),
            None => None,
        };
        out.push(jv!({
            "sequence": i + 1,
            "productOrService": concept(codes::NDC, ndc.replace('-', "")),
            "quantity": quantity.map(|q| jv!({"value": q})),
        }));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpcds::map::eob::sheet::{json_all, Sheet};

    #[test]
    fn procedures_come_from_icd10_pcs_rows_with_one_principal() {
        let sheet = Sheet::new(
            &[C::ProcCode, C::ProcCodeType, C::ProcType, C::LineFrom],
            &[
                &["0DTJ4ZZ", "", "", "2022-02-01"],
                &["99213", "CPT", "", "2022-02-01"],
                &["0FT44ZZ", "ICD-10-PCS", "principal", "2022-02-02"],
            ],
        );
        let procedures = json_all(procedures(&sheet.rows()).unwrap());
        let summary: Vec<(i64, &str, &str, &str)> = procedures
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["sequence"].as_i64().unwrap(),
                    p["type"][0]["coding"][0]["code"].as_str().unwrap(),
                    p["procedureCodeableConcept"]["coding"][0]["code"]
                        .as_str()
                        .unwrap(),
                    p["date"].as_str().unwrap(),
                )
            })
            .collect();
        // The CPT row is a line, not a procedure; the first row took the principal place.
        assert_eq!(
            summary,
            [
                (1, "principal", "0DTJ4ZZ", "2022-02-01"),
                (2, "other", "0FT44ZZ", "2022-02-02"),
            ]
        );
    }

    #[test]
    fn raw_diagnoses_name_each_code_once_across_rows() {
        let sheet = Sheet::new(
            &[C::DxCode, C::DxType],
            &[
                &["E11.9", "principal"],
                &["I10", ""],
                &["E11.9", "secondary"],
            ],
        );
        let raw = raw_diagnoses(&sheet.rows());
        let codes: Vec<(&str, &str)> = raw
            .iter()
            .map(|d| (d.code.as_str(), d.dx_type.as_str()))
            .collect();
        assert_eq!(codes, [("E11.9", "principal"), ("I10", "")]);
    }
}
