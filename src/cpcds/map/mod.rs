//! CPCDS rows → C4BB 2.0.0 resources (as JSON ready to store).

pub mod eob;
pub mod json;
pub mod party;
pub mod patient;

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
}

impl Mapped {
    /// `value` must be an object whose first two members are `resourceType` and `id`
    /// (the JSON builders here always start that way; serde_json keeps insertion order).
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
        Self {
            resource_type,
            id: id.to_string(),
            profile,
            body,
            meta_at: prefix_len,
        }
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
