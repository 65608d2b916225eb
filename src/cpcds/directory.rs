//! Resolves the keys a claim mentions (member, coverage, provider NPIs, related person) to
//! resource ids: first from the files of this import, then from the store, and — only for
//! file sets that lack the describing file altogether (claims-only Synthea extracts) — by
//! synthesizing a minimal placeholder that says what it does not know.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::map::party::{self, ProviderKind};
use super::map::patient::{self, CoverageFacts};
use super::map::Mapped;
use crate::fhir::id::id_for;
use crate::store::{ReadTx, StoreError};

#[derive(Debug, Default, Clone)]
pub struct ProviderInfo {
    pub kind: Option<ProviderKind>,
    pub taxonomy: Option<String>,
}

#[derive(Default)]
pub struct Directory {
    pub members: HashSet<String>,
    pub members_file: bool,
    /// Coverages of this import by coverage id (D2, D3, canonical).
    pub coverages: HashMap<String, CoverageFacts>,
    /// Coverages of this import known by [`patient::member_payer_key`] (D1 rows, placeholders).
    pub member_coverages: HashMap<String, CoverageFacts>,
    /// The import has a coverages file with coverage ids: a claim naming another one is an error.
    pub coverage_ids: bool,
    pub providers: HashMap<String, ProviderInfo>,
    pub payers: HashSet<String>,
    /// Related person id → member id.
    pub related: HashMap<String, String>,
    /// Placeholders made so far, by `Type/id`, so each is written once.
    made: HashSet<String>,
    /// Resources created while resolving, waiting to be written.
    pub pending: Vec<Mapped>,
    pub placeholders: u64,
}

impl Directory {
    /// `members_file`: whether the import has a members file (else members named by claims are
    /// synthesized); `coverage_ids`: whether it has a coverages file keyed by coverage id (else
    /// a claim's coverage is found by member and payer, and synthesized if there is none).
    pub fn new(members_file: bool, coverage_ids: bool) -> Self {
        Self {
            members_file,
            coverage_ids,
            ..Self::default()
        }
    }

    fn make(&mut self, m: Mapped) {
        if self.made.insert(format!("{}/{}", m.resource_type, m.id)) {
            self.placeholders += 1;
            self.pending.push(m);
        }
    }

    /// The Patient id for a member id.
    pub fn patient(
        &mut self,
        member: &str,
        w: &ReadTx,
    ) -> Result<Result<String, String>, StoreError> {
        let id = id_for(member);
        if self.members.contains(member) || w.exists("Patient", &id)? {
            return Ok(Ok(id));
        }
        if self.members_file {
            return Ok(Err(format!(
                "unknown member {member:?}: not in the members file nor in the store"
            )));
        }
        self.make(patient::placeholder_patient(member));
        Ok(Ok(id))
    }

    /// The coverage a claim's payer column names: a coverage id (D2, D3, canonical), or — in
    /// D1, whose claims name the payer — the member's coverage with that payer. Without a
    /// coverages file keyed by id, a (member, payer) pair with no coverage gets a placeholder:
    /// D1 writes coverage rows only for encounters with a care plan, and claims-only sets none.
    pub fn coverage(
        &mut self,
        key: &str,
        member: &str,
        w: &ReadTx,
    ) -> Result<Result<CoverageFacts, String>, StoreError> {
        if let Some(f) = self.coverages.get(key) {
            return Ok(Ok(f.clone()));
        }
        if let Some(facts) = stored_coverage(key, w)? {
            self.coverages.insert(key.to_string(), facts.clone());
            return Ok(Ok(facts));
        }
        let pair = patient::member_payer_key(member, key);
        if let Some(f) = self.member_coverages.get(&pair) {
            return Ok(Ok(f.clone()));
        }
        if let Some(facts) = stored_coverage(&pair, w)? {
            self.member_coverages.insert(pair, facts.clone());
            return Ok(Ok(facts));
        }
        if self.coverage_ids {
            return Ok(Err(format!(
                "unknown coverage {key:?}: not in the coverages file nor in the store"
            )));
        }
        self.ensure_payer(key, w)?;
        let (m, facts) = patient::placeholder_coverage(member, key);
        self.make(m);
        self.member_coverages.insert(pair, facts.clone());
        Ok(Ok(facts))
    }

    pub fn ensure_payer(&mut self, payer: &str, w: &ReadTx) -> Result<(), StoreError> {
        if self.payers.contains(payer) || self.providers.contains_key(payer) {
            return Ok(());
        }
        if !w.exists("Organization", &id_for(payer))? {
            self.make(party::placeholder_payer(payer));
        }
        self.payers.insert(payer.to_string());
        Ok(())
    }

    /// What kind of provider an NPI is, if anyone has said so.
    pub fn kind_of(&self, npi: &str, w: &ReadTx) -> Result<Option<ProviderKind>, StoreError> {
        if let Some(k) = self.providers.get(npi).and_then(|p| p.kind) {
            return Ok(Some(k));
        }
        let id = id_for(npi);
        if w.exists("Practitioner", &id)? {
            return Ok(Some(ProviderKind::Practitioner));
        }
        if w.exists("Organization", &id)? {
            return Ok(Some(ProviderKind::Organization));
        }
        Ok(None)
    }

    /// The NPI as a resource of the given kind (a placeholder of that kind if unknown).
    pub fn provider_as(
        &mut self,
        npi: &str,
        kind: ProviderKind,
        w: &ReadTx,
    ) -> Result<String, StoreError> {
        let id = id_for(npi);
        let (ty, known_kind) = match kind {
            ProviderKind::Practitioner => {
                ("Practitioner", self.providers.get(npi).and_then(|p| p.kind))
            }
            ProviderKind::Organization => {
                ("Organization", self.providers.get(npi).and_then(|p| p.kind))
            }
        };
        if known_kind == Some(kind)
            || self.payers.contains(npi) && kind == ProviderKind::Organization
        {
            return Ok(id);
        }
        if !w.exists(ty, &id)? {
            self.make(match kind {
                ProviderKind::Practitioner => party::placeholder_practitioner(npi),
                ProviderKind::Organization => party::placeholder_provider_org(npi),
            });
        }
        Ok(id)
    }

    /// The NPI as whatever it is known to be, else as `default`.
    pub fn provider(
        &mut self,
        npi: &str,
        default: ProviderKind,
        w: &ReadTx,
    ) -> Result<(ProviderKind, String), StoreError> {
        let kind = self.kind_of(npi, w)?.unwrap_or(default);
        Ok((kind, self.provider_as(npi, kind, w)?))
    }

    /// The practitioner's NUCC taxonomy: from this import's practitioners file, else from
    /// the stored Practitioner's qualification (read once per import), so a claims file
    /// imported after its practitioners gives the same care team as one imported with them.
    pub fn taxonomy(&mut self, npi: &str, w: &ReadTx) -> Result<Option<&str>, StoreError> {
        if !self.providers.contains_key(npi) {
            let id = id_for(npi);
            let Some(json) = w.get("Practitioner", &id)? else {
                return Ok(None);
            };
            let stored: serde_json::Value = serde_json::from_slice(&json).unwrap_or_default();
            let taxonomy = stored["qualification"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|q| q["code"]["coding"].as_array().into_iter().flatten())
                .find(|c| c["system"] == crate::fhir::codes::NUCC_TAXONOMY)
                .and_then(|c| c["code"].as_str())
                .map(str::to_string);
            self.providers.insert(
                npi.to_string(),
                ProviderInfo {
                    kind: Some(ProviderKind::Practitioner),
                    taxonomy,
                },
            );
        }
        Ok(self.providers.get(npi).and_then(|p| p.taxonomy.as_deref()))
    }

    pub fn related_person(&self, id: &str, w: &ReadTx) -> Result<Option<String>, StoreError> {
        let rid = id_for(id);
        Ok((self.related.contains_key(id) || w.exists("RelatedPerson", &rid)?).then_some(rid))
    }
}

/// The stored Coverage whose source key is `key`.
fn stored_coverage(key: &str, w: &ReadTx) -> Result<Option<CoverageFacts>, StoreError> {
    let id = id_for(key);
    Ok(w.get("Coverage", &id)?
        .and_then(|json| facts_from_stored(&id, &json)))
}

fn facts_from_stored(id: &str, json: &[u8]) -> Option<CoverageFacts> {
    let v: Value = serde_json::from_slice(json).ok()?;
    let strip = |r: &Value, prefix: &str| {
        r.get("reference")
            .and_then(Value::as_str)
            .and_then(|s| s.strip_prefix(prefix))
            .map(str::to_string)
    };
    Some(CoverageFacts {
        id: id.to_string(),
        member_id: strip(v.get("beneficiary")?, "Patient/")?,
        payer_id: strip(v.get("payor")?.get(0)?, "Organization/")?,
    })
}
