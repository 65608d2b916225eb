//! `_include` values resolved against the registry: which element paths to follow and which
//! resource types may be included.

use super::registry::resource;

/// An `_include` value resolved against the registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedInclude {
    pub source: &'static str,
    pub name: &'static str,
    /// Optional third part (`ExplanationOfBenefit:provider:Organization`).
    pub target: Option<&'static str>,
    /// Element paths to follow and, per path, the target types to include (already narrowed
    /// to `target` when given).
    pub paths: Vec<IncludeTarget>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludeTarget {
    pub path: &'static str,
    pub targets: Vec<&'static str>,
}

/// Resolves `Source:name[:Target]` (e.g. `ExplanationOfBenefit:*`, `Coverage:payor`) to the
/// element paths to follow and the allowed target types. `*` lists patient, provider,
/// careTeam.provider, insurance.coverage, insurer and payee.party. `None` when unknown.
pub fn resolve_include(value: &str) -> Option<ResolvedInclude> {
    let mut parts = value.split(':');
    let source = parts.next()?;
    let name = parts.next()?;
    let target = parts.next();
    if parts.next().is_some() {
        return None;
    }
    let res = resource(source)?;
    let def = res.includes.iter().find(|i| i.name == name)?;
    let target: Option<&'static str> = match target {
        None => None,
        Some(t) => Some(
            def.paths
                .iter()
                .flat_map(|p| p.targets.iter().copied())
                .find(|x| *x == t)?,
        ),
    };
    let paths = def
        .paths
        .iter()
        .filter_map(|p| {
            let targets: Vec<&'static str> = p
                .targets
                .iter()
                .copied()
                .filter(|t| target.is_none_or(|want| want == *t))
                .collect();
            (!targets.is_empty()).then_some(IncludeTarget {
                path: p.path,
                targets,
            })
        })
        .collect();
    Some(ResolvedInclude {
        source: res.resource_type,
        name: def.name,
        target,
        paths,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_resolve() {
        let star = resolve_include("ExplanationOfBenefit:*").expect("star");
        let paths: Vec<_> = star.paths.iter().map(|p| p.path).collect();
        assert_eq!(
            paths,
            [
                "patient",
                "provider",
                "careTeam.provider",
                "insurance.coverage",
                "insurer",
                "payee.party"
            ]
        );
        let payee = resolve_include("ExplanationOfBenefit:payee:RelatedPerson").expect("payee");
        assert_eq!(payee.paths[0].targets, ["RelatedPerson"]);
        assert_eq!(
            resolve_include("Coverage:payor").map(|i| i.paths[0].path),
            Some("payor")
        );
        assert!(resolve_include("ExplanationOfBenefit:payor").is_none());
        assert!(resolve_include("ExplanationOfBenefit:patient:Organization").is_none());
        assert!(resolve_include("Patient:*").is_none());
        assert!(resolve_include("ExplanationOfBenefit").is_none());
    }
}
