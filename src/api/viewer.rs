//! Who is asking, and what their access lets them see: the scope check (403) and the patient
//! compartment, in one place for read, vread, search and `_include`.

use std::sync::Arc;

use crate::auth::Access;
use crate::fhir::compartment;
use crate::fhir::error::FhirError;

/// The caller of the FHIR API, as far as it cares.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// `--insecure-open-api`: no token, no limits.
    Open,
    /// A valid bearer token: its scopes, and the one patient whose data it reaches (every
    /// patient's, for a backend-services system token).
    Token(Arc<Access>),
}

/// What a request wants to do with a resource type (SMART v2 separates the two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Read,
    Search,
    /// Provenance only (`patient/Provenance.c`).
    Create,
}

impl Viewer {
    /// 403 unless the granted scopes allow `action` on `resource_type`.
    pub fn may(&self, resource_type: &str, action: Action) -> Result<(), FhirError> {
        let Viewer::Token(access) = self else {
            return Ok(());
        };
        // What a grant allows is auth's decision (`ScopeSet::perms_for`); never re-derived here.
        let perms = access.scopes.perms_for(resource_type);
        let (allowed, verb) = match action {
            Action::Read => (perms.read, "read"),
            Action::Search => (perms.search, "search"),
            Action::Create => (perms.create, "create"),
        };
        if allowed {
            Ok(())
        } else {
            Err(FhirError::Forbidden(format!(
                "the access token's scopes do not allow {verb} on {resource_type} (granted: {})",
                access.scopes
            )))
        }
    }

    /// True when a stored resource may be shown: its type is in scope and, for patient data,
    /// it is the token's patient's.
    pub fn sees(&self, resource_type: &str, json: &[u8]) -> bool {
        match self {
            Viewer::Open => true,
            Viewer::Token(access) => {
                access.scopes.perms_for(resource_type).read
                    && (access.system
                        || compartment::visible_to(resource_type, json, &access.patient))
            }
        }
    }

    /// True when the scopes let the viewer read `resource_type` at all.
    pub fn sees_type(&self, resource_type: &str) -> bool {
        match self {
            Viewer::Open => true,
            Viewer::Token(access) => access.scopes.perms_for(resource_type).read,
        }
    }

    /// The patient a token is bound to (None for the open API and system tokens).
    pub fn patient(&self) -> Option<&str> {
        match self {
            Viewer::Open => None,
            Viewer::Token(access) if access.system => None,
            Viewer::Token(access) => Some(&access.patient),
        }
    }
}
