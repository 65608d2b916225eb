//! FHIR logical ids.

/// True when `s` is a valid FHIR id: `[A-Za-z0-9\-\.]{1,64}`.
pub fn is_valid_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The FHIR id for a source key: the key itself when it is a valid id, otherwise a stable
/// digest of it (`h` + 40 hex digits), so the same key always maps to the same id.
pub fn id_for(key: &str) -> String {
    if is_valid_id(key) {
        key.to_string()
    } else {
        let hex = blake3::hash(key.as_bytes()).to_hex();
        format!("h{}", &hex[..40])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_kept_or_digested() {
        assert_eq!(id_for("79bfb16b-69c7-2c9a"), "79bfb16b-69c7-2c9a");
        let long = "x".repeat(65);
        let digested = id_for(&long);
        assert!(is_valid_id(&digested));
        assert_eq!(digested, id_for(&long));
        assert_ne!(id_for("a b"), id_for("a_b"));
        assert!(is_valid_id(&id_for("a/b")));
    }
}
