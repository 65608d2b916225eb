//! CPCDS rows → C4BB 2.0.0 resources (as JSON ready to store).

pub mod eob;
pub mod json;
pub mod party;
pub mod patient;

use serde_json::Value;

use crate::store::PreparedResource;

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
    pub fn new(
        resource_type: &'static str,
        id: String,
        profile: &'static str,
        value: &Value,
    ) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_default();
        let prefix_len = format!(
            r#"{{"resourceType":"{resource_type}","id":{}"#,
            Value::String(id.clone())
        )
        .len();
        debug_assert!(
            body.len() > prefix_len,
            "resource JSON must start with resourceType and id"
        );
        Self {
            resource_type,
            id,
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
    use serde_json::json;

    #[test]
    fn mapped_resource_splices_meta_after_id() {
        let v = json!({"resourceType": "Patient", "id": "p-1", "gender": "male"});
        let m = Mapped::new("Patient", "p-1".into(), "http://x|2.0.0", &v);
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
