//! Who is on the claim: provider, care team, payee.

use super::ClaimKind;
use crate::cpcds::columns::ClaimCol as C;
use crate::cpcds::directory::Directory;
use crate::cpcds::error::IngestError;
use crate::cpcds::map::json::{concept, concept_display, reference, Node};
use crate::cpcds::map::party::ProviderKind;
use crate::cpcds::row::Row;
use crate::fhir::codes;
use crate::jv;
use crate::store::ReadTx;

fn ty(kind: ProviderKind) -> &'static str {
    match kind {
        ProviderKind::Practitioner => "Practitioner",
        ProviderKind::Organization => "Organization",
    }
}

/// `EOB.provider`, following each profile's allowed target types.
pub fn provider(
    row: &Row<'_>,
    kind: ClaimKind,
    dir: &mut Directory,
    w: &ReadTx,
) -> Result<Node<'static>, IngestError> {
    let billing = row.opt(C::BillingNpi);
    let site = row.opt(C::SiteNpi);
    let performing = row.opt(C::PerformingNpi);
    match kind {
        ClaimKind::Inpatient | ClaimKind::Outpatient => {
            // Institutional claims are billed by the facility: an Organization.
            let npi = match billing {
                Some(b) if dir.kind_of(b, w)? == Some(ProviderKind::Organization) => b,
                _ => site.or(billing).ok_or_else(|| {
                    row.error(
                        C::BillingNpi,
                        "an institutional claim needs a billing provider or a site of service",
                    )
                })?,
            };
            Ok(reference(
                "Organization",
                &dir.provider_as(npi, ProviderKind::Organization, w)?,
            ))
        }
        ClaimKind::Oral => {
            // C4BB 2.0.0 Oral: the provider is a Practitioner.
            let npi = match billing {
                Some(b) if dir.kind_of(b, w)? != Some(ProviderKind::Organization) => Some(b),
                _ => performing.filter(|p| {
                    dir.kind_of(p, w).ok().flatten() != Some(ProviderKind::Organization)
                }),
            }
            .or(billing)
            .ok_or_else(|| {
                row.error(
                    C::BillingNpi,
                    "an oral claim needs a billing or performing dentist",
                )
            })?;
            Ok(reference(
                "Practitioner",
                &dir.provider_as(npi, ProviderKind::Practitioner, w)?,
            ))
        }
        ClaimKind::Professional { .. } | ClaimKind::Pharmacy => {
            let npi = billing
                .or(performing)
                .or(site)
                .ok_or_else(|| row.error(C::BillingNpi, "the claim has no billing provider"))?;
            let default = if kind == ClaimKind::Pharmacy {
                ProviderKind::Organization
            } else {
                ProviderKind::Practitioner
            };
            let (k, id) = dir.provider(npi, default, w)?;
            Ok(reference(ty(k), &id))
        }
    }
}

struct Member {
    npi_column: C,
    role_system: &'static str,
    role: &'static str,
    display: &'static str,
    /// The profile invariants say who may hold the role.
    must_be: Option<ProviderKind>,
}

const fn member(
    npi_column: C,
    role_system: &'static str,
    role: &'static str,
    display: &'static str,
    must_be: Option<ProviderKind>,
) -> Member {
    Member {
        npi_column,
        role_system,
        role,
        display,
        must_be,
    }
}

const PRACTITIONER: Option<ProviderKind> = Some(ProviderKind::Practitioner);
const ORGANIZATION: Option<ProviderKind> = Some(ProviderKind::Organization);

const INSTITUTIONAL_TEAM: &[Member] = &[
    member(
        C::AttendingNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "attending",
        "Attending",
        PRACTITIONER,
    ),
    member(
        C::PerformingNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "rendering",
        "Rendering provider",
        ORGANIZATION,
    ),
    member(
        C::ReferringNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "referring",
        "Referring",
        PRACTITIONER,
    ),
    member(
        C::OperatingNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "operating",
        "Operating",
        PRACTITIONER,
    ),
    member(
        C::OtherOperatingNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "otheroperating",
        "Other Operating",
        PRACTITIONER,
    ),
    member(
        C::PcpNpi,
        codes::CLAIM_CARE_TEAM_ROLE,
        "primary",
        "Primary provider",
        PRACTITIONER,
    ),
];

const PROFESSIONAL_TEAM: &[Member] = &[
    member(
        C::PerformingNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "rendering",
        "Rendering provider",
        PRACTITIONER,
    ),
    member(
        C::PcpNpi,
        codes::CLAIM_CARE_TEAM_ROLE,
        "primary",
        "Primary provider",
        PRACTITIONER,
    ),
    member(
        C::ReferringNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "referring",
        "Referring",
        PRACTITIONER,
    ),
    member(
        C::SupervisingNpi,
        codes::CLAIM_CARE_TEAM_ROLE,
        "supervisor",
        "Supervising Provider",
        PRACTITIONER,
    ),
    member(
        C::PurchasedServiceNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "purchasedservice",
        "Purchased Service",
        None,
    ),
];

// C4BB 2.0.0's EOB-pharm-careTeam-practitioner says Organization for these roles; that is an
// IG error (fixed in 2.2.0: prescribers are people), so prescribers are Practitioners here.
const PHARMACY_TEAM: &[Member] = &[
    member(
        C::PrescribingNpi,
        codes::C4BB_CARE_TEAM_ROLE,
        "prescribing",
        "Prescribing provider",
        PRACTITIONER,
    ),
    member(
        C::PcpNpi,
        codes::CLAIM_CARE_TEAM_ROLE,
        "primary",
        "Primary provider",
        PRACTITIONER,
    ),
];

pub fn care_team(
    row: &Row<'_>,
    kind: ClaimKind,
    dir: &mut Directory,
    w: &ReadTx,
) -> Result<Vec<Node<'static>>, IngestError> {
    let (team, with_qualification) = match kind {
        ClaimKind::Inpatient | ClaimKind::Outpatient => (INSTITUTIONAL_TEAM, false),
        ClaimKind::Professional { .. } | ClaimKind::Oral => (PROFESSIONAL_TEAM, true),
        ClaimKind::Pharmacy => (PHARMACY_TEAM, false),
    };
    let mut out: Vec<Node<'static>> = Vec::new();
    for m in team {
        let Some(npi) = row.opt(m.npi_column) else {
            continue;
        };
        // Outpatient rendering needs a NUCC qualification an organization does not have.
        if kind == ClaimKind::Outpatient && m.role == "rendering" {
            continue;
        }
        let known = dir.kind_of(npi, w)?;
        let (k, id) = match m.must_be {
            // A role the profile reserves for one kind is skipped when the NPI is known to be
            // the other kind, rather than emitting an invalid care team member.
            Some(required) if known.is_some_and(|k| k != required) => continue,
            Some(required)
                if m.role == "rendering"
                    && known.is_none()
                    && required == ProviderKind::Organization =>
            {
                continue
            }
            Some(required) => (required, dir.provider_as(npi, required, w)?),
            None => dir.provider(npi, ProviderKind::Practitioner, w)?,
        };
        let qualification = if with_qualification && k == ProviderKind::Practitioner {
            dir.taxonomy(npi, w)?
                .map(|t| concept(codes::NUCC_TAXONOMY, t.to_string()))
        } else {
            None
        };
        out.push(jv!({
            "sequence": out.len() + 1,
            "provider": reference(ty(k), &id),
            "role": concept_display(m.role_system, m.role, m.display),
            "qualification": qualification,
        }));
    }
    Ok(out)
}

pub fn payee(
    row: &Row<'_>,
    patient_id: &str,
    dir: &mut Directory,
    w: &ReadTx,
) -> Result<Node<'static>, IngestError> {
    let payee_type = row.text(C::PayeeType).to_ascii_lowercase();
    let party_key = row.opt(C::Payee);
    let (system, code, party) = match payee_type.as_str() {
        "" => return Ok(Node::Null),
        "subscriber" => (
            codes::PAYEE_TYPE,
            "subscriber",
            Some(reference("Patient", patient_id)),
        ),
        "beneficiary" => (
            codes::C4BB_PAYEE_TYPE,
            "beneficiary",
            Some(reference("Patient", patient_id)),
        ),
        "provider" | "practitioner" => {
            let party = match party_key {
                Some(npi) => {
                    let (k, id) = dir.provider(npi, ProviderKind::Practitioner, w)?;
                    Some(reference(ty(k), &id))
                }
                None => None,
            };
            (codes::PAYEE_TYPE, "provider", party)
        }
        "other" => {
            let key = party_key.ok_or_else(|| {
                row.error(
                    C::Payee,
                    "payee type other needs the payee (a related person id)",
                )
            })?;
            let id = dir
                .related_person(key, w)?
                .ok_or_else(|| row.error(C::Payee, format!("unknown related person {key:?}")))?;
            (
                codes::PAYEE_TYPE,
                "other",
                Some(reference("RelatedPerson", &id)),
            )
        }
        other => {
            return Err(row.error(
                C::PayeeType,
                format!("{other:?} is not a payee type (beneficiary, subscriber, provider, other)"),
            ))
        }
    };
    Ok(jv!({
        "type": concept(system, code),
        "party": party,
    }))
}
