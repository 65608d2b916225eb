//! Documents that depend only on the origin a client uses (the CapabilityStatement, SMART and
//! OpenID discovery): serialized once per origin and then served as bytes. The origin comes
//! from the request's Host, which anyone can choose, so at most [`MAX_ORIGINS`] are kept;
//! others are built per request, as before.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use actix_web::web::Bytes;

/// Origins kept per document.
pub const MAX_ORIGINS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Document {
    Capabilities,
    SmartConfiguration,
    OpenidConfiguration,
}

#[derive(Default)]
pub struct Documents {
    made: RwLock<HashMap<(Document, String), Bytes>>,
}

impl Documents {
    /// The bytes of `document` for `origin`, made by `make` the first time.
    pub fn get(&self, document: Document, origin: &str, make: impl FnOnce() -> Vec<u8>) -> Bytes {
        let key = (document, origin.to_string());
        if let Some(bytes) = self
            .made
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return bytes.clone();
        }
        let bytes = Bytes::from(make());
        let mut made = self.made.write().unwrap_or_else(PoisonError::into_inner);
        if made.len() < MAX_ORIGINS * 3 {
            made.insert(key, bytes.clone());
        }
        bytes
    }

    /// How many documents are kept (tests).
    pub fn len(&self) -> usize {
        self.made
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_per_origin_and_bounded() {
        let docs = Documents::default();
        let mut calls = 0;
        for _ in 0..3 {
            let b = docs.get(Document::Capabilities, "http://a", || {
                calls += 1;
                b"{}".to_vec()
            });
            assert_eq!(&b[..], b"{}");
        }
        assert_eq!(calls, 1);
        docs.get(Document::SmartConfiguration, "http://a", || b"[]".to_vec());
        assert_eq!(docs.len(), 2);
        for i in 0..500 {
            docs.get(
                Document::OpenidConfiguration,
                &format!("http://h{i}"),
                || b"{}".to_vec(),
            );
        }
        assert_eq!(docs.len(), MAX_ORIGINS * 3);
        // Past the bound, still answered (made each time).
        let mut made = false;
        let b = docs.get(Document::Capabilities, "http://new", || {
            made = true;
            b"x".to_vec()
        });
        assert!(made);
        assert_eq!(&b[..], b"x");
    }
}
