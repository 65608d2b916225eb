//! SMART scopes, v1 (`patient/ExplanationOfBenefit.read`) and v2 (`.rs`, `.r`, `.s`) grammars.
//!
//! A scope string is parsed into [`Scope`]s; unknown or unsupported scopes are dropped, never
//! fatal (real clients ask for `user/*.*` or `launch` routinely). What a grant allows is a
//! [`Grant`]: per resource type, read and search.

use std::fmt;

use crate::fhir::SERVED_TYPES;

/// The resource types a token can be scoped to (everything the FHIR API serves).
pub fn scoped_types() -> &'static [&'static str] {
    SERVED_TYPES
}

/// Types the "share demographics" choice covers (BB2's `BENE_PERSONAL_INFO_SCOPES`, plus the
/// beneficiary's related persons: their names, phones and addresses are the family's
/// demographics, so they are withheld with the Patient).
const DEMOGRAPHIC_TYPES: &[&str] = &["Patient", "RelatedPerson"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    Patient,
    User,
    /// Backend services (`client_credentials`): every patient's data.
    System,
}

impl Context {
    fn as_str(self) -> &'static str {
        match self {
            Context::Patient => "patient",
            Context::User => "user",
            Context::System => "system",
        }
    }
}

/// Read and search permissions, and create — granted on Provenance only (clients may assert
/// where data came from; everything else is read-only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Perms {
    pub read: bool,
    pub search: bool,
    pub create: bool,
}

impl Perms {
    const ALL: Perms = Perms {
        read: true,
        search: true,
        create: false,
    };

    fn covers(self, other: Perms) -> bool {
        (self.read || !other.read)
            && (self.search || !other.search)
            && (self.create || !other.create)
    }
}

/// The one type a client may create (`patient/Provenance.c`, `.write`).
pub const WRITABLE_TYPE: &str = "Provenance";

/// How the permission part was written, so a granted scope reads the way it was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// `.read` (also what `.*` becomes).
    V1,
    /// `.r`, `.s`, `.rs` (what `.cruds` becomes).
    V2,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    OpenId,
    FhirUser,
    Profile,
    LaunchPatient,
    OfflineAccess,
    /// `patient/Type.perm` or `user/Type.perm`; `resource_type` None is `*`.
    Resource {
        context: Context,
        resource_type: Option<&'static str>,
        perms: Perms,
        syntax: Syntax,
    },
}

impl Scope {
    /// One scope token; None when this server cannot grant it.
    pub fn parse(token: &str) -> Option<Scope> {
        match token {
            "openid" => return Some(Scope::OpenId),
            "fhirUser" => return Some(Scope::FhirUser),
            "profile" => return Some(Scope::Profile),
            "launch/patient" => return Some(Scope::LaunchPatient),
            "offline_access" => return Some(Scope::OfflineAccess),
            _ => {}
        }
        let (context, rest) = token.split_once('/')?;
        let context = match context {
            "patient" => Context::Patient,
            "user" => Context::User,
            "system" => Context::System,
            _ => return None,
        };
        // v2 allows `?query` constraints on a scope; they are not supported, so such a scope is
        // not granted (granting it unconstrained would give more than was asked).
        if rest.contains('?') {
            return None;
        }
        let (ty, perm) = rest.rsplit_once('.')?;
        let resource_type = if ty == "*" {
            None
        } else {
            Some(*scoped_types().iter().find(|t| **t == ty)?)
        };
        let writable = resource_type == Some(WRITABLE_TYPE);
        let (perms, syntax) = match perm {
            "read" => (Perms::ALL, Syntax::V1),
            "*" => (
                Perms {
                    create: writable,
                    ..Perms::ALL
                },
                Syntax::V1,
            ),
            "write" if writable => (
                Perms {
                    create: true,
                    ..Perms::default()
                },
                Syntax::V1,
            ),
            _ if !perm.is_empty() && is_v2_perm(perm) => (
                Perms {
                    read: perm.contains('r'),
                    search: perm.contains('s'),
                    create: writable && perm.contains('c'),
                },
                Syntax::V2,
            ),
            _ => return None,
        };
        if !perms.read && !perms.search && !perms.create {
            return None; // write-only on a read-only type: nothing this server can grant
        }
        Some(Scope::Resource {
            context,
            resource_type,
            perms,
            syntax,
        })
    }

    /// True when a client registered for `self` may be granted `requested`.
    fn allows(&self, requested: &Scope) -> bool {
        match (self, requested) {
            (
                Scope::Resource {
                    context: c1,
                    resource_type: t1,
                    perms: p1,
                    ..
                },
                Scope::Resource {
                    context: c2,
                    resource_type: t2,
                    perms: p2,
                    ..
                },
            ) => c1 == c2 && (t1.is_none() || t1 == t2) && p1.covers(*p2),
            (a, b) => a == b,
        }
    }

    fn resource_type(&self) -> Option<Option<&'static str>> {
        match self {
            Scope::Resource { resource_type, .. } => Some(*resource_type),
            _ => None,
        }
    }
}

/// `c`, `r`, `u`, `d`, `s` each at most once, in that order.
fn is_v2_perm(perm: &str) -> bool {
    let mut last = None;
    for ch in perm.chars() {
        let Some(pos) = "cruds".find(ch) else {
            return false;
        };
        if last.is_some_and(|l| pos <= l) {
            return false;
        }
        last = Some(pos);
    }
    true
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::OpenId => f.write_str("openid"),
            Scope::FhirUser => f.write_str("fhirUser"),
            Scope::Profile => f.write_str("profile"),
            Scope::LaunchPatient => f.write_str("launch/patient"),
            Scope::OfflineAccess => f.write_str("offline_access"),
            Scope::Resource {
                context,
                resource_type,
                perms,
                syntax,
            } => {
                let v2;
                let perm = match syntax {
                    Syntax::V1 if perms.create && perms.read => "*",
                    Syntax::V1 if perms.create => "write",
                    Syntax::V1 => "read",
                    Syntax::V2 => {
                        v2 = [(perms.create, 'c'), (perms.read, 'r'), (perms.search, 's')]
                            .iter()
                            .filter(|(on, _)| *on)
                            .map(|(_, c)| *c)
                            .collect::<String>();
                        v2.as_str()
                    }
                };
                write!(
                    f,
                    "{}/{}.{perm}",
                    context.as_str(),
                    resource_type.unwrap_or("*")
                )
            }
        }
    }
}

/// An ordered set of scopes without duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    /// Parses a space-separated scope string, dropping what cannot be granted.
    pub fn parse(s: &str) -> ScopeSet {
        let mut set = ScopeSet::default();
        for token in s.split_ascii_whitespace() {
            if let Some(scope) = Scope::parse(token) {
                set.push(scope);
            }
        }
        set
    }

    fn push(&mut self, scope: Scope) {
        if !self.0.contains(&scope) {
            self.0.push(scope);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.contains(scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// The requested scopes a client registered for `self` may have.
    pub fn allowed_subset(&self, requested: &ScopeSet) -> ScopeSet {
        ScopeSet(
            requested
                .0
                .iter()
                .filter(|r| self.0.iter().any(|a| a.allows(r)))
                .cloned()
                .collect(),
        )
    }

    /// True when every scope of `self` is covered by `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|s| other.0.iter().any(|o| o.allows(s)))
    }

    /// The grant without demographics: `profile`, Patient and RelatedPerson scopes dropped;
    /// wildcard scopes are spelt out for every other type, so the grant says exactly what it
    /// allows.
    pub fn without_demographics(&self) -> ScopeSet {
        let mut out = ScopeSet::default();
        for scope in &self.0 {
            match scope {
                Scope::Profile => {}
                Scope::Resource {
                    context,
                    resource_type: None,
                    perms,
                    syntax,
                } => {
                    for ty in scoped_types() {
                        if !DEMOGRAPHIC_TYPES.contains(ty) {
                            out.push(Scope::Resource {
                                context: *context,
                                resource_type: Some(ty),
                                perms: *perms,
                                syntax: *syntax,
                            });
                        }
                    }
                }
                Scope::Resource {
                    resource_type: Some(ty),
                    ..
                } if DEMOGRAPHIC_TYPES.contains(ty) => {}
                other => out.push(other.clone()),
            }
        }
        out
    }

    /// True when the grant includes any demographic data (Patient, RelatedPerson or `profile`).
    pub fn has_demographics(&self) -> bool {
        self.0.iter().any(|s| match s {
            Scope::Profile => true,
            Scope::Resource { resource_type, .. } => {
                resource_type.is_none_or(|t| DEMOGRAPHIC_TYPES.contains(&t))
            }
            _ => false,
        })
    }

    /// What the grant allows on one resource type (patient/ and user/ both resolve to the
    /// signed-in beneficiary's own data). A beneficiary's RelatedPerson records are part of
    /// their demographics: whatever the grant allows on Patient it allows on them (the CARIN
    /// scopes name no RelatedPerson, yet an EOB's payee may be one).
    pub fn perms_for(&self, resource_type: &str) -> Perms {
        let mut perms = Perms::default();
        for scope in &self.0 {
            if let Scope::Resource {
                resource_type: t,
                perms: p,
                ..
            } = scope
            {
                let covers = |ty: &str| {
                    ty == resource_type || (ty == "Patient" && resource_type == "RelatedPerson")
                };
                if t.is_none_or(covers) {
                    perms.read |= p.read;
                    perms.search |= p.search;
                    perms.create |= p.create;
                }
            }
        }
        perms
    }

    /// The `system/` scopes only (what a client_credentials token may carry).
    pub fn only_system(&self) -> ScopeSet {
        ScopeSet(
            self.0
                .iter()
                .filter(|s| {
                    matches!(
                        s,
                        Scope::Resource {
                            context: Context::System,
                            ..
                        }
                    )
                })
                .cloned()
                .collect(),
        )
    }

    /// Everything but the `system/` scopes (what a beneficiary can grant).
    pub fn without_system(&self) -> ScopeSet {
        ScopeSet(
            self.0
                .iter()
                .filter(|s| {
                    !matches!(
                        s,
                        Scope::Resource {
                            context: Context::System,
                            ..
                        }
                    )
                })
                .cloned()
                .collect(),
        )
    }

    /// True when some resource scope is granted at all.
    pub fn has_resource_scopes(&self) -> bool {
        self.0.iter().any(|s| s.resource_type().is_some())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

/// Every scope this server grants, for discovery's `scopes_supported`.
pub fn supported() -> Vec<String> {
    let mut out: Vec<String> = [
        "openid",
        "fhirUser",
        "profile",
        "launch/patient",
        "offline_access",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for context in ["patient", "user", "system"] {
        for ty in std::iter::once("*").chain(scoped_types().iter().copied()) {
            for perm in ["read", "rs", "r", "s"] {
                out.push(format!("{context}/{ty}.{perm}"));
            }
        }
        for perm in ["c", "write"] {
            out.push(format!("{context}/{WRITABLE_TYPE}.{perm}"));
        }
    }
    out
}

/// What a scope means, in plain words, for the consent page.
pub fn describe(scope: &Scope) -> String {
    match scope {
        Scope::OpenId => "Confirm who you are (sign-in)".into(),
        Scope::FhirUser => "Know which patient record is yours".into(),
        Scope::Profile => "Your name and contact details".into(),
        Scope::LaunchPatient => "Know which patient you chose".into(),
        Scope::OfflineAccess => "Keep access while you are away (until you revoke it)".into(),
        Scope::Resource {
            resource_type,
            perms,
            ..
        } => {
            let what = match resource_type {
                None => "All of your claims and coverage information",
                Some("ExplanationOfBenefit") => "Your claims (explanations of benefit)",
                Some("Coverage") => "Your insurance coverage",
                Some("Patient") => {
                    "Your demographics: name, birth date, gender, address, and the people \
                     related to you who were paid on your claims"
                }
                Some("Organization") => "The insurers and providers on your claims",
                Some("Practitioner") => "The clinicians on your claims",
                Some("RelatedPerson") => "People related to you who were paid on your claims",
                Some("Provenance") => "Where your data came from (provenance records)",
                Some("AuditEvent") => "Who accessed your data, and when (audit events)",
                Some(other) => other,
            };
            let how = match (perms.read, perms.search, perms.create) {
                (_, _, true) if !perms.read && !perms.search => "record where data came from",
                (true, true, true) => "read, search and record where data came from",
                (true, true, _) => "read and search",
                (true, false, _) => "read",
                _ => "search",
            };
            format!("{what} ({how})")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_and_unsupported_scopes_are_dropped() {
        let set = ScopeSet::parse(
            "launch/patient user/*.* patient/*.read openid profile launch system/Patient.read \
             patient/Observation.read patient/Patient.write patient/Patient.cud bogus \
             system/Observation.rs organization/*.read",
        );
        assert_eq!(
            set.to_string(),
            "launch/patient user/*.read patient/*.read openid profile system/Patient.read"
        );
        assert_eq!(set.only_system().to_string(), "system/Patient.read");
        assert!(!set.without_system().to_string().contains("system/"));
    }

    #[test]
    fn v2_permissions_keep_read_and_search_only() {
        let set = ScopeSet::parse("patient/Coverage.cruds patient/Patient.r patient/Patient.s");
        assert_eq!(
            set.to_string(),
            "patient/Coverage.rs patient/Patient.r patient/Patient.s"
        );
        assert!(
            ScopeSet::parse("patient/Patient.sr").is_empty(),
            "order is fixed"
        );
        assert!(ScopeSet::parse("patient/Patient.rr").is_empty());
    }

    #[test]
    fn registration_limits_what_is_granted() {
        let registered = ScopeSet::parse("openid fhirUser patient/*.rs user/Coverage.read");
        let requested = ScopeSet::parse(
            "openid offline_access patient/ExplanationOfBenefit.read user/Coverage.rs \
             user/Patient.read",
        );
        assert_eq!(
            registered.allowed_subset(&requested).to_string(),
            "openid patient/ExplanationOfBenefit.read user/Coverage.rs"
        );
    }

    #[test]
    fn withholding_demographics_spells_out_wildcards() {
        let set = ScopeSet::parse("openid profile patient/*.rs patient/Patient.read");
        let reduced = set.without_demographics();
        assert!(!reduced.has_demographics());
        assert!(!reduced.perms_for("Patient").read);
        assert!(reduced.perms_for("Coverage").search);
        assert!(!reduced.to_string().contains("profile"));
        assert!(set.has_demographics());
    }

    #[test]
    fn related_persons_go_with_patient_demographics() {
        // The CARIN kit's scopes: Patient read, no RelatedPerson scope.
        let carin = ScopeSet::parse(
            "launch/patient openid fhirUser patient/Patient.read user/Patient.read \
             patient/ExplanationOfBenefit.read patient/Organization.read",
        );
        assert_eq!(carin.perms_for("RelatedPerson"), Perms::ALL);
        let v2 = ScopeSet::parse("patient/Patient.r");
        assert_eq!(
            v2.perms_for("RelatedPerson"),
            Perms {
                read: true,
                search: false,
                create: false,
            }
        );
        // Nothing else comes with Patient, and RelatedPerson brings no Patient.
        assert_eq!(carin.perms_for("Coverage"), Perms::default());
        assert_eq!(carin.perms_for("Practitioner"), Perms::default());
        assert_eq!(
            ScopeSet::parse("patient/RelatedPerson.read").perms_for("Patient"),
            Perms::default()
        );
        // Withholding demographics withholds both, however they were granted.
        for scopes in [
            "patient/Patient.read patient/ExplanationOfBenefit.read",
            "patient/*.rs",
            "user/*.read patient/RelatedPerson.rs",
        ] {
            let reduced = ScopeSet::parse(scopes).without_demographics();
            assert_eq!(
                reduced.perms_for("RelatedPerson"),
                Perms::default(),
                "{scopes}"
            );
            assert_eq!(reduced.perms_for("Patient"), Perms::default(), "{scopes}");
            assert!(reduced.perms_for("ExplanationOfBenefit").read, "{scopes}");
            assert!(!reduced.has_demographics(), "{scopes}");
        }
        assert!(ScopeSet::parse("patient/RelatedPerson.read").has_demographics());
    }

    #[test]
    fn perms_combine_over_scopes() {
        let set = ScopeSet::parse("patient/Coverage.r user/Coverage.s");
        let p = set.perms_for("Coverage");
        assert!(p.read && p.search);
        assert_eq!(set.perms_for("ExplanationOfBenefit"), Perms::default());
    }

    #[test]
    fn subset_check_accepts_the_whole_previous_grant() {
        let granted = ScopeSet::parse("launch/patient openid fhirUser offline_access patient/*.rs");
        assert!(granted.is_subset_of(&granted));
        assert!(ScopeSet::parse("patient/Coverage.rs").is_subset_of(&granted));
        assert!(!ScopeSet::parse("profile").is_subset_of(&granted));
    }

    #[test]
    fn every_supported_scope_parses_back() {
        for s in supported() {
            assert_eq!(Scope::parse(&s).map(|x| x.to_string()), Some(s));
        }
    }

    #[test]
    fn only_provenance_can_be_created() {
        let set = ScopeSet::parse(
            "patient/Provenance.c user/Provenance.write patient/Provenance.* \
             patient/ExplanationOfBenefit.c patient/ExplanationOfBenefit.write patient/*.cruds",
        );
        let shown: Vec<String> = set.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "patient/Provenance.c",
                "user/Provenance.write",
                "patient/Provenance.*",
                "patient/*.rs"
            ]
        );
        assert!(set.perms_for("Provenance").create);
        assert!(!set.perms_for("ExplanationOfBenefit").create);
        let registered = ScopeSet::parse(DEFAULT_SCOPES_FOR_TEST);
        let asked = ScopeSet::parse("patient/Provenance.c patient/Provenance.write");
        assert_eq!(registered.allowed_subset(&asked), asked);
    }

    const DEFAULT_SCOPES_FOR_TEST: &str = crate::auth::clients::DEFAULT_SCOPES;
}
