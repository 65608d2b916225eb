//! Must-support coverage as the Inferno CARIN kit (c4bb_v200) evaluates it: every
//! must-support element, slice and extension of a profile must have a value in at least one of
//! the resources examined for that profile.
//!
//! The kit's lists are compiled in from `c4bb_v200_must_supports.txt` (derived from the kit's
//! `c4bb_v200_metadata.json`; `tests/must_support.rs` re-derives it whenever that file is
//! around). One line per item:
//!
//! ```text
//! profile <ResourceType> <profile url>
//! element <path> [= <fixed value>]
//! slice <path:name> pattern <path> <system>#<code>     (patternCodeableConcept)
//! slice <path:name> binding <path> <value set>         (requiredBinding; codes listed below)
//! slice <path:name> system <system, or - for none>     (patternIdentifier)
//! slice <path:name> type <type>                        (choice type)
//! extension <name> <url>
//! code <value set> <system>#<code>
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};

/// The kit's must-support table (see the module documentation for its format).
pub const KIT_TABLE: &str = include_str!("c4bb_v200_must_supports.txt");

/// The one value set the kit's binding discriminators use (the adjudication amount types).
pub const AMOUNT_TYPES: &str = "C4BBAdjudication";

/// One profile's must-support list.
#[derive(Debug, Clone)]
pub struct MsProfile {
    pub url: String,
    pub resource_type: String,
    /// Paths (`item.adjudication:adjustmentreason.reason`), with the value the kit requires.
    pub elements: Vec<(String, Option<String>)>,
    /// Slice id (`ExplanationOfBenefit.item.adjudication:adjustmentreason`) → discriminator, in
    /// the kit metadata's JSON shape.
    pub slices: BTreeMap<String, Value>,
    /// Extension slice name (`race`) → extension URL.
    pub extensions: BTreeMap<String, String>,
}

/// The kit's profiles, parsed once.
pub fn kit_profiles() -> Result<&'static [MsProfile], String> {
    static PROFILES: OnceLock<Result<Vec<MsProfile>, String>> = OnceLock::new();
    PROFILES
        .get_or_init(|| parse_table(KIT_TABLE))
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

impl MsProfile {
    /// The profile's last URL segment (`C4BB-Coverage`).
    pub fn name(&self) -> &str {
        self.url.rsplit('/').next().unwrap_or(&self.url)
    }

    /// The abstract base EOB profile, instantiated through the five concrete ones.
    pub fn is_abstract_eob(&self) -> bool {
        self.url.ends_with("/C4BB-ExplanationOfBenefit")
    }

    /// True when `resource` is an instance of this profile (any EOB is one of the base EOB).
    pub fn claims(&self, resource: &Value) -> bool {
        resource["resourceType"] == *self.resource_type
            && (self.is_abstract_eob()
                || resource["meta"]["profile"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .any(|p| p == self.url || p.starts_with(&format!("{}|", self.url))))
    }

    /// Every path the kit checks: elements, then slices, then extensions.
    pub fn paths(&self) -> Vec<(String, Option<String>)> {
        let mut paths = self.elements.clone();
        for s in self.slices.keys() {
            let tail = s.split_once('.').map_or(s.as_str(), |(_, t)| t);
            paths.push((tail.to_string(), None));
        }
        for e in self.extensions.keys() {
            paths.push((format!("extension:{e}"), None));
        }
        paths
    }

    /// The paths no resource of `resources` has a value at (`path = fixed` when a value is
    /// required).
    pub fn missing_in(&self, resources: &[&Value]) -> Vec<String> {
        self.paths()
            .into_iter()
            .filter(|(path, fixed)| {
                !resources.iter().any(|r| {
                    let values = values_at(r, self, path);
                    match fixed {
                        Some(f) => values.iter().any(|v| v.as_str() == Some(f)),
                        None => !values.is_empty(),
                    }
                })
            })
            .map(|(path, fixed)| match fixed {
                Some(f) => format!("{path} = {f}"),
                None => path,
            })
            .collect()
    }
}

fn coding(sc: &str) -> Result<Value, String> {
    let (system, code) = sc
        .rsplit_once('#')
        .ok_or_else(|| format!("{sc}: not system#code"))?;
    Ok(json!({"system": system, "code": code}))
}

/// Reads a table in the format above.
pub fn parse_table(text: &str) -> Result<Vec<MsProfile>, String> {
    let mut value_sets: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for l in text.lines().filter_map(|l| l.strip_prefix("code ")) {
        let (vs, sc) = l
            .split_once(' ')
            .ok_or_else(|| format!("bad code line {l:?}"))?;
        value_sets.entry(vs).or_default().push(coding(sc)?);
    }
    let mut profiles: Vec<MsProfile> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let words: Vec<&str> = line.split(' ').collect();
        match words.as_slice() {
            ["profile", ty, url] => profiles.push(MsProfile {
                url: url.to_string(),
                resource_type: ty.to_string(),
                elements: Vec::new(),
                slices: BTreeMap::new(),
                extensions: BTreeMap::new(),
            }),
            ["code", ..] => {}
            rest => {
                let p = profiles
                    .last_mut()
                    .ok_or_else(|| format!("{line:?} before any profile line"))?;
                let slice_id = |s: &str| format!("{}.{s}", p.resource_type);
                match rest {
                    ["element", path] => p.elements.push((path.to_string(), None)),
                    ["element", path, "=", fixed] => {
                        p.elements.push((path.to_string(), Some(fixed.to_string())));
                    }
                    ["slice", s, "pattern", path, sc] => {
                        let mut d = coding(sc)?;
                        d["type"] = "patternCodeableConcept".into();
                        d["path"] = (*path).into();
                        p.slices.insert(slice_id(s), d);
                    }
                    ["slice", s, "binding", path, vs] => {
                        let values = value_sets
                            .get(vs)
                            .ok_or_else(|| format!("{line:?}: no codes for {vs}"))?;
                        let d = json!({"type": "requiredBinding", "path": path, "values": values});
                        p.slices.insert(slice_id(s), d);
                    }
                    ["slice", s, "system", system] => {
                        let system = (*system != "-").then_some(*system);
                        let d = json!({"type": "patternIdentifier", "path": "", "system": system});
                        p.slices.insert(slice_id(s), d);
                    }
                    ["slice", s, "type", code] => {
                        p.slices
                            .insert(slice_id(s), json!({"type": "type", "code": code}));
                    }
                    ["extension", name, url] => {
                        p.extensions.insert(name.to_string(), url.to_string());
                    }
                    _ => return Err(format!("bad must-support table line {line:?}")),
                }
            }
        }
    }
    Ok(profiles)
}

/// The values at a must-support path (`item.adjudication:adjudicationamounttype.amount`,
/// `supportingInfo:clmrecvddate.timing[x]`, `extension:race`), slices resolved through the
/// kit's discriminators.
pub fn values_at<'a>(root: &'a Value, profile: &MsProfile, path: &str) -> Vec<&'a Value> {
    let mut current = vec![root];
    let mut walked = profile.resource_type.clone();
    for segment in path.split('.') {
        let (name, slice) = match segment.split_once(':') {
            Some((n, s)) => (n, Some(s)),
            None => (segment, None),
        };
        walked.push('.');
        walked.push_str(name);
        let mut next = Vec::new();
        for v in current {
            let Some(obj) = v.as_object() else { continue };
            let children: Vec<&Value> = match name.strip_suffix("[x]") {
                Some(prefix) => obj
                    .iter()
                    .filter(|(k, _)| {
                        k.strip_prefix(prefix)
                            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_uppercase()))
                    })
                    .filter(|(k, _)| slice.is_none_or(|s| k.as_str() == s))
                    .map(|(_, v)| v)
                    .collect(),
                None => match obj.get(name) {
                    Some(Value::Array(a)) => a.iter().collect(),
                    Some(x) => vec![x],
                    None => vec![],
                },
            };
            for c in children {
                let keep = match slice {
                    None => true,
                    Some(_) if name.ends_with("[x]") => true,
                    Some(s) if name == "extension" => profile
                        .extensions
                        .get(s)
                        .is_some_and(|url| c["url"] == *url),
                    Some(s) => profile
                        .slices
                        .get(&format!("{walked}:{s}"))
                        .is_some_and(|d| in_slice(c, d)),
                };
                if keep {
                    next.push(c);
                }
            }
        }
        if let Some(s) = slice {
            walked.push(':');
            walked.push_str(s);
        }
        current = next;
    }
    current
}

fn in_slice(v: &Value, discriminator: &Value) -> bool {
    let has_coding = |cc: &Value, system: &Value, code: &Value| {
        cc["coding"].as_array().is_some_and(|cs| {
            cs.iter()
                .any(|c| c["system"] == *system && c["code"] == *code)
        })
    };
    let path = discriminator["path"].as_str().unwrap_or_default();
    match discriminator["type"].as_str() {
        Some("patternCodeableConcept") => {
            has_coding(&v[path], &discriminator["system"], &discriminator["code"])
        }
        Some("requiredBinding") => discriminator["values"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|allowed| has_coding(&v[path], &allowed["system"], &allowed["code"])),
        Some("patternIdentifier") => match discriminator["system"].as_str() {
            Some(system) => v["system"] == system,
            None => v.get("system").is_none(),
        },
        _ => false,
    }
}

/// What one profile's evaluation found.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Coverage {
    pub profile: String,
    /// How many resources were examined.
    pub resources: usize,
    /// How many paths the kit checks for this profile.
    pub paths: usize,
    pub missing: Vec<String>,
}

/// Evaluates every profile over `resources`, as the kit does: the base EOB over every EOB,
/// each other profile over the resources that claim it. Profiles no resource claims are
/// returned with `resources == 0` (the caller decides what that means).
pub fn evaluate(resources: &[&Value]) -> Result<Vec<Coverage>, String> {
    Ok(kit_profiles()?
        .iter()
        .map(|p| {
            let claimed: Vec<&Value> = resources.iter().copied().filter(|r| p.claims(r)).collect();
            Coverage {
                profile: p.url.clone(),
                resources: claimed.len(),
                paths: p.paths().len(),
                missing: if claimed.is_empty() {
                    Vec::new()
                } else {
                    p.missing_in(&claimed)
                },
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kit_table_has_every_profile() {
        let profiles = kit_profiles().expect("the table parses");
        assert_eq!(profiles.len(), 11);
        let paths: usize = profiles.iter().map(|p| p.paths().len()).sum();
        assert!(paths > 500, "only {paths} must-support paths");
        for p in profiles {
            assert!(!p.elements.is_empty(), "{}", p.url);
        }
    }

    #[test]
    fn bad_lines_are_errors_not_panics() {
        assert!(parse_table("element x\n").is_err());
        assert!(parse_table("profile A http://a\nslice x:y binding p Nope\n").is_err());
        assert!(parse_table("profile A http://a\nwhatever\n").is_err());
    }

    #[test]
    fn evaluation_resolves_slices_and_fixed_values() {
        let table = "profile ExplanationOfBenefit http://x/C4BB-EOB-Pharmacy\n\
                     element type.coding.code = pharmacy\n\
                     element item.adjudication:rejectreason.reason\n\
                     slice item.adjudication:rejectreason pattern category http://ad#rejectreason\n\
                     slice item.serviced[x]:servicedDate type Date\n";
        let profile = &parse_table(table).expect("parses")[0];
        let eob = json!({
            "resourceType": "ExplanationOfBenefit",
            "meta": {"profile": ["http://x/C4BB-EOB-Pharmacy|2.0.0"]},
            "type": {"coding": [{"code": "pharmacy"}]},
            "item": [{"servicedPeriod": {}, "adjudication": [
                {"category": {"coding": [{"system": "http://ad", "code": "rejectreason"}]}}
            ]}]
        });
        assert!(profile.claims(&eob));
        assert_eq!(
            profile.missing_in(&[&eob]),
            [
                "item.adjudication:rejectreason.reason",
                "item.serviced[x]:servicedDate"
            ]
        );
    }
}
