//! The Groups the sandbox defines for `Group/[id]/$export`: one per insurance plan, the
//! Coverage `class` of type `plan` (CPCDS "Plan identifier"), whose members are the Patients
//! that coverage names as beneficiary. They are computed from the store, not stored: a Group is
//! derived data that every import (and the background fill) would otherwise rewrite. One scan
//! of the Coverages per store generation, cached: a 30,000-member store (about 60,000
//! Coverages) is read once after each write, then served from memory.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::fhir::codes::COVERAGE_CLASS;
use crate::fhir::id::id_for;
use crate::fhir::search::values::parse_reference;
use crate::store::{Generation, Store, StoreError};

/// The identifier system of a plan Group (the plan's CPCDS identifier is its value).
pub const PLAN_SYSTEM: &str = "https://carin-sandbox.example/fhir/plan-id";

/// One plan and the Patients it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanGroup {
    pub id: String,
    /// The plan's identifier (`Coverage.class[type=plan].value`).
    pub plan: String,
    /// The plan's name, when a Coverage gives one.
    pub name: Option<String>,
    /// The payors' Organization ids (one per plan in CPCDS data).
    pub payors: BTreeSet<String>,
    /// Patient ids, sorted.
    pub members: BTreeSet<String>,
}

/// Every plan Group of one state of the store.
#[derive(Debug)]
pub struct Groups {
    pub generation: Generation,
    pub by_id: BTreeMap<String, PlanGroup>,
}

impl Groups {
    pub fn get(&self, id: &str) -> Option<&PlanGroup> {
        self.by_id.get(id)
    }
}

/// The last computed Groups; every store (tests run several) is told apart by its id.
static CACHE: Mutex<Option<Arc<Groups>>> = Mutex::new(None);

/// The plan Groups of the store as it is now (computed once per store generation).
pub fn groups(store: &Store) -> Result<Arc<Groups>, StoreError> {
    let read = store.read()?;
    let generation = read.generation()?;
    if let Ok(cache) = CACHE.lock() {
        if let Some(cached) = cache.as_ref().filter(|g| g.generation == generation) {
            return Ok(cached.clone());
        }
    }
    let mut by_id: BTreeMap<String, PlanGroup> = BTreeMap::new();
    read.for_each("Coverage", |_, json| {
        if let Some((plan, name, beneficiary, payor)) = plan_of(json) {
            let id = group_id(&plan);
            let group = by_id.entry(id.clone()).or_insert_with(|| PlanGroup {
                id,
                plan,
                name: None,
                payors: BTreeSet::new(),
                members: BTreeSet::new(),
            });
            if group.name.is_none() {
                group.name = name;
            }
            group.payors.extend(payor);
            group.members.insert(beneficiary);
        }
        Ok(())
    })?;
    let computed = Arc::new(Groups { generation, by_id });
    if let Ok(mut cache) = CACHE.lock() {
        *cache = Some(computed.clone());
    }
    Ok(computed)
}

/// The Group id of a plan: `plan-<identifier>`, or a digest when that is not a valid id.
pub fn group_id(plan: &str) -> String {
    id_for(&format!("plan-{plan}"))
}

/// The members of a Coverage a Group needs (serde skips the rest without building it).
#[derive(Deserialize)]
struct CoverageView {
    beneficiary: Option<RefView>,
    #[serde(default)]
    payor: Vec<RefView>,
    #[serde(default)]
    class: Vec<ClassView>,
}

#[derive(Deserialize)]
struct RefView {
    reference: Option<String>,
}

#[derive(Deserialize)]
struct ClassView {
    #[serde(rename = "type")]
    class_type: Option<ConceptView>,
    value: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct ConceptView {
    #[serde(default)]
    coding: Vec<CodingView>,
}

#[derive(Deserialize)]
struct CodingView {
    system: Option<String>,
    code: Option<String>,
}

/// (plan identifier, plan name, beneficiary Patient id, payor Organization id) of a Coverage.
fn plan_of(json: &[u8]) -> Option<(String, Option<String>, String, Option<String>)> {
    let coverage: CoverageView = serde_json::from_slice(json).ok()?;
    let class = coverage.class.into_iter().find(|c| {
        c.class_type.as_ref().is_some_and(|t| {
            t.coding.iter().any(|k| {
                k.system.as_deref() == Some(COVERAGE_CLASS) && k.code.as_deref() == Some("plan")
            })
        })
    })?;
    let target = |r: Option<&RefView>, ty: &str| {
        parse_reference(r?.reference.as_deref()?)
            .filter(|t| t.resource_type.as_deref() == Some(ty))
            .map(|t| t.id)
    };
    let beneficiary = target(coverage.beneficiary.as_ref(), "Patient")?;
    let payor = target(coverage.payor.first(), "Organization");
    Some((class.value?, class.name, beneficiary, payor))
}

/// The Group resource (FHIR R4 Group: `type` person, `actual` true, one `member` per Patient).
pub fn group_json(group: &PlanGroup) -> Value {
    let mut resource = json!({
        "resourceType": "Group",
        "id": group.id,
        "identifier": [{"system": PLAN_SYSTEM, "value": group.plan}],
        "active": true,
        "type": "person",
        "actual": true,
        "code": {
            "coding": [{"system": COVERAGE_CLASS, "code": "plan", "display": "Plan"}],
            "text": "Members of one insurance plan",
        },
        "name": group.name.as_deref().unwrap_or(&group.plan),
        "quantity": group.members.len(),
    });
    if let [payor] = group.payors.iter().collect::<Vec<_>>().as_slice() {
        resource["managingEntity"] = json!({"reference": format!("Organization/{payor}")});
    }
    if !group.members.is_empty() {
        resource["member"] = group
            .members
            .iter()
            .map(|m| json!({"entity": {"reference": format!("Patient/{m}")}}))
            .collect();
    }
    resource
}
