//! `Group` read and search: the plan Groups `bulk::groups` computes from the Coverages, served
//! read-only for `Group/[id]/$export`. A Group lists many patients, so only backend-services
//! (system) tokens and the open API see them; search supports `_id` (and `identifier`, the
//! plan's identifier) only.

use serde_json::{json, Value};

use super::{check_format, internal, Action, StoredResource, Viewer};
use crate::bulk::groups::{self, PLAN_SYSTEM};
use crate::fhir::error::FhirError;
use crate::fhir::search::{SearchError, SearchErrorCode};
use crate::store::Store;

pub const GROUP: &str = "Group";

fn admit(viewer: &Viewer, action: Action, params: &[(String, String)]) -> Result<(), FhirError> {
    check_format(params)?;
    if let Viewer::Token(access) = viewer {
        if !access.system {
            return Err(FhirError::Forbidden(
                "Groups list many patients: only backend-services (system/) tokens may read them"
                    .into(),
            ));
        }
    }
    viewer.may(GROUP, action)
}

/// `GET [base]/Group/[id]`.
pub fn read(
    store: &Store,
    viewer: &Viewer,
    id: &str,
    params: &[(String, String)],
) -> Result<StoredResource, FhirError> {
    admit(viewer, Action::Read, params)?;
    let groups = groups::groups(store).map_err(internal)?;
    let group = groups.get(id).ok_or_else(|| FhirError::NotFound {
        resource_type: GROUP.into(),
        id: id.to_string(),
    })?;
    let json = serde_json::to_vec(&groups::group_json(group)).map_err(internal)?;
    Ok(StoredResource::new(json))
}

/// `GET [base]/Group?_id=…` (or `identifier=`): a searchset Bundle of the matching Groups.
pub fn search(
    store: &Store,
    viewer: &Viewer,
    params: &[(String, String)],
    base: &str,
) -> Result<(Vec<u8>, Vec<String>), FhirError> {
    admit(viewer, Action::Search, params)?;
    let mut ids: Option<Vec<String>> = None;
    let mut plans: Option<Vec<String>> = None;
    for (name, value) in params {
        let values = || value.split(',').map(str::to_string).collect::<Vec<_>>();
        match name.as_str() {
            "_id" => ids = Some(values()),
            "identifier" => {
                plans = Some(
                    values()
                        .into_iter()
                        .map(|v| match v.split_once('|') {
                            Some((system, code)) if system == PLAN_SYSTEM || system.is_empty() => {
                                code.to_string()
                            }
                            Some(_) => String::new(),
                            None => v,
                        })
                        .collect(),
                );
            }
            "_format" | "_count" => {}
            other => {
                return Err(FhirError::Search(SearchError::new(
                    SearchErrorCode::UnknownSearchParam,
                    other,
                    value,
                    &format!("Group search supports _id and identifier only, not {other}"),
                )));
            }
        }
    }
    let groups = groups::groups(store).map_err(internal)?;
    let found: Vec<Value> = groups
        .by_id
        .values()
        .filter(|g| ids.as_ref().is_none_or(|ids| ids.contains(&g.id)))
        .filter(|g| plans.as_ref().is_none_or(|p| p.contains(&g.plan)))
        .map(groups::group_json)
        .collect();
    let touched = found
        .iter()
        .filter_map(|g| g["id"].as_str())
        .map(|id| format!("{GROUP}/{id}"))
        .collect();
    let query = serde_urlencoded::to_string(params).unwrap_or_default();
    let self_url = if query.is_empty() {
        format!("{base}/{GROUP}")
    } else {
        format!("{base}/{GROUP}?{query}")
    };
    let entries: Vec<Value> = found
        .into_iter()
        .map(|g| {
            json!({
                "fullUrl": format!("{base}/{GROUP}/{}", g["id"].as_str().unwrap_or_default()),
                "resource": g,
                "search": {"mode": "match"},
            })
        })
        .collect();
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": entries.len(),
        "link": [{"relation": "self", "url": self_url}],
    });
    if !entries.is_empty() {
        bundle["entry"] = Value::Array(entries);
    }
    Ok((serde_json::to_vec(&bundle).map_err(internal)?, touched))
}
