//! CPCDS rows → C4BB 2.0.0 resources (as JSON ready to store).

pub mod eob;
pub mod json;
pub mod party;
pub mod patient;

use crate::fhir::search::prune::PathTree;
use crate::store::PreparedResource;
use json::Node;

/// A resource mapped from CPCDS: its JSON without `meta`, ready for [`crate::store::ResourceWriter`].
#[derive(Debug, Clone)]
pub struct Mapped {
    pub resource_type: &'static str,
    pub id: String,
    pub profile: &'static str,
    pub body: Vec<u8>,
    meta_at: usize,
    /// What the search index reads of it (`fhir::search::prune`), made from the tree instead
    /// of parsing `body` again; `meta` is added when it is stored (see [`Mapped::indexed`]).
    pruned: Option<serde_json::Value>,
}

impl Mapped {
    /// `value` must be an object whose first two members are `resourceType` and `id`
    /// (every mapper builds them in that order).
    pub fn new(
        resource_type: &'static str,
        id: &str,
        profile: &'static str,
        value: &Node<'_>,
    ) -> Self {
        let body = value.to_bytes();
        let mut prefix = Vec::with_capacity(64);
        prefix.extend_from_slice(br#"{"resourceType":"#);
        json::write_str(&mut prefix, resource_type);
        prefix.extend_from_slice(br#","id":"#);
        json::write_str(&mut prefix, id);
        let prefix_len = prefix.len();
        debug_assert!(
            body.starts_with(&prefix),
            "resource JSON must start with resourceType and id"
        );
        let pruned = match PathTree::for_type(resource_type) {
            Some(tree) => value.pruned(tree),
            None => value.to_value(),
        };
        Self {
            resource_type,
            id: id.to_string(),
            profile,
            body,
            meta_at: prefix_len,
            pruned,
        }
    }

    /// What the search index reads of the resource as stored with `meta` (version
    /// `version_id`, `last_updated`, this profile): the value
    /// [`crate::fhir::search::prune::parse`] builds from the stored JSON. Taken once.
    pub fn indexed(&mut self, version_id: u32, last_updated: &str) -> Option<serde_json::Value> {
        let mut value = self.pruned.take()?;
        let tree = PathTree::for_type(self.resource_type);
        if let (Some(meta), Some(object)) = (
            tree.map_or(Some(&PathTree::ALL), |t| t.child("meta")),
            value.as_object_mut(),
        ) {
            let full = serde_json::json!({
                "versionId": version_id.to_string(),
                "lastUpdated": last_updated,
                "profile": [self.profile],
            });
            object.insert("meta".to_string(), meta.keep(full));
        }
        Some(value)
    }

    pub fn prepared(&self) -> PreparedResource<'_> {
        PreparedResource {
            resource_type: self.resource_type,
            id: &self.id,
            body: &self.body,
            meta_at: self.meta_at,
            profiles: std::slice::from_ref(&self.profile),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jv;

    #[test]
    fn mapped_resource_splices_meta_after_id() {
        let v = jv!({"resourceType": "Patient", "id": "p-1", "gender": "male"});
        let m = Mapped::new("Patient", "p-1", "http://x|2.0.0", &v);
        let mut out = Vec::new();
        out.extend_from_slice(&m.body[..m.meta_at]);
        out.extend_from_slice(b",X");
        out.extend_from_slice(&m.body[m.meta_at..]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"resourceType":"Patient","id":"p-1",X,"gender":"male"}"#
        );
    }
}
