//! Searchset Bundles, written as bytes around the stored resources (never re-serialized).

use std::collections::HashSet;

use time::OffsetDateTime;

use crate::fhir::search::{prune, values, SearchQuery};
use crate::json::{write_str, Parts};
use crate::store::{Bytes, Cached, Links, StoreError};

/// Where the Bundle's resources come from: `(type, id)` → the stored JSON (usually
/// `Resources::get_cached`, whose links are remembered; AuditEvents are rendered from the
/// audit trail).
pub type Source<'a> = &'a dyn Fn(&str, &str) -> Result<Option<Cached>, StoreError>;

/// What the links of a page are built from.
pub struct Page {
    /// The FHIR base URL as the client sees it.
    pub base: String,
    pub resource_type: &'static str,
    /// The search parameters as sent (decoded), used to rebuild the paging links.
    pub pairs: Vec<(String, String)>,
}

impl Page {
    fn link(&self, offset: Option<usize>) -> String {
        let mut pairs: Vec<(&str, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != "_offset")
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        if let Some(o) = offset {
            pairs.push(("_offset", o.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            format!("{}/{}", self.base, self.resource_type)
        } else {
            format!("{}/{}?{query}", self.base, self.resource_type)
        }
    }
}

/// The searchset for `ids` (all matches, in order): the requested page of matches, then the
/// resources `_include` asks for (each once, never one already on the page). Every entry's
/// `Type/id` is pushed onto `touched` (for the audit trail). `provenances` are the ids of the
/// Provenances `_revinclude=Provenance:target` found for the page (written as includes).
#[expect(
    clippy::too_many_arguments,
    reason = "the one searchset writer: what was found, how to page it, what to add"
)]
pub fn searchset(
    read: Source<'_>,
    query: &SearchQuery,
    ids: &[String],
    page: &Page,
    now: OffsetDateTime,
    sees: &dyn Fn(&str, &[u8]) -> bool,
    provenances: &[String],
    touched: &mut Vec<String>,
) -> Result<Parts, StoreError> {
    let total = ids.len();
    let start = query.offset.min(total);
    let end = start.saturating_add(query.count).min(total);
    let mut body = Parts::default();
    let out = body.buf();
    out.extend_from_slice(br#"{"resourceType":"Bundle","meta":{"lastUpdated":"#);
    write_str(out, &crate::clock::fhir_instant(now));
    out.extend_from_slice(br#"},"type":"searchset","total":"#);
    out.extend_from_slice(total.to_string().as_bytes());
    out.extend_from_slice(br#","link":["#);
    let mut links = vec![(
        "self",
        page.link((query.offset > 0).then_some(query.offset)),
    )];
    links.push(("first", page.link(Some(0))));
    if query.count > 0 && !query.summary_count {
        if start > 0 {
            links.push((
                "previous",
                page.link(Some(start.saturating_sub(query.count))),
            ));
        }
        if end < total {
            links.push(("next", page.link(Some(end))));
        }
        let last = if total == 0 {
            0
        } else {
            (total - 1) / query.count * query.count
        };
        links.push(("last", page.link(Some(last))));
    }
    for (i, (relation, url)) in links.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(br#"{"relation":"#);
        write_str(out, relation);
        out.extend_from_slice(br#","url":"#);
        write_str(out, url);
        out.push(b'}');
    }
    out.push(b']');

    let mut entries = 0usize;
    if !query.summary_count && start < end {
        body.buf().extend_from_slice(br#","entry":["#);
        let mut on_page: HashSet<String> = HashSet::new();
        let mut matches: Vec<(&'static str, Links)> = Vec::new();
        let mut found = Vec::with_capacity(end - start);
        for id in &ids[start..end] {
            // None: removed between the index and the store snapshot.
            if let Some(json) = read(page.resource_type, id)? {
                found.push((id, json));
            }
        }
        for (id, found) in found {
            if !query.includes.is_empty() {
                matches.push((page.resource_type, links_of(page.resource_type, &found)));
            }
            entry(
                &mut body,
                &mut entries,
                &page.base,
                page.resource_type,
                id,
                found.json,
                "match",
            );
            let key = format!("{}/{id}", page.resource_type);
            on_page.insert(key.clone());
            touched.push(key);
        }
        include(
            read,
            query,
            page,
            &matches,
            &mut on_page,
            &mut body,
            &mut entries,
            sees,
            touched,
        )?;
        for id in provenances {
            if !on_page.insert(format!("Provenance/{id}")) {
                continue;
            }
            if let Some(found) = read("Provenance", id)?.filter(|c| sees("Provenance", &c.json)) {
                entry(
                    &mut body,
                    &mut entries,
                    &page.base,
                    "Provenance",
                    id,
                    found.json,
                    "include",
                );
                touched.push(format!("Provenance/{id}"));
            }
        }
        body.buf().push(b']');
    }
    body.buf().push(b'}');
    Ok(body)
}

/// What `_include` reads of a stored resource: the references on its type's include paths,
/// made by a pruned parse at most once per stored version while the cache remembers them.
fn links_of(resource_type: &str, found: &Cached) -> Links {
    found.links(|json| prune::include_links(resource_type, json))
}

fn entry(body: &mut Parts, n: &mut usize, base: &str, ty: &str, id: &str, json: Bytes, mode: &str) {
    let out = body.buf();
    if *n > 0 {
        out.push(b',');
    }
    *n += 1;
    out.extend_from_slice(br#"{"fullUrl":"#);
    write_str(out, &format!("{base}/{ty}/{id}"));
    out.extend_from_slice(br#","resource":"#);
    body.shared(json);
    let out = body.buf();
    out.extend_from_slice(br#","search":{"mode":"#);
    write_str(out, mode);
    out.extend_from_slice(b"}}");
}

/// `_include` (one level) and `_include:iterate` (followed on what was included, to a fixpoint).
#[expect(
    clippy::too_many_arguments,
    reason = "the page being written and its running state, passed down from one caller"
)]
fn include(
    read: Source<'_>,
    query: &SearchQuery,
    page: &Page,
    matches: &[(&'static str, Links)],
    seen: &mut HashSet<String>,
    out: &mut Parts,
    entries: &mut usize,
    sees: &dyn Fn(&str, &[u8]) -> bool,
    touched: &mut Vec<String>,
) -> Result<(), StoreError> {
    let iterate = query.includes.iter().any(|i| i.iterate);
    let mut frontier: Vec<(&'static str, Links)> = Vec::new();
    let mut first = true;
    loop {
        let current: &[(&'static str, Links)] = if first { matches } else { &frontier };
        if current.is_empty() {
            break;
        }
        let mut next = Vec::new();
        for (source, links) in current {
            for inc in &query.includes {
                // Plain includes apply to the matches only; :iterate ones to everything included.
                if (!first && !inc.iterate) || inc.spec.source != *source {
                    continue;
                }
                for target in &inc.spec.paths {
                    let at_path = links.iter().filter(|(path, _)| *path == target.path);
                    for r in at_path.filter_map(|(_, r)| values::parse_reference(r)) {
                        // The allowed target types: the reference's own, or any when untyped.
                        let types =
                            target.targets.iter().copied().filter(|t| {
                                r.resource_type.as_deref().is_none_or(|named| named == *t)
                            });
                        for ty in types {
                            if !seen.insert(format!("{ty}/{}", r.id)) {
                                continue;
                            }
                            // Included resources obey the same scopes and patient as matches.
                            if let Some(found) = read(ty, &r.id)?.filter(|c| sees(ty, &c.json)) {
                                if iterate {
                                    next.push((ty, links_of(ty, &found)));
                                }
                                entry(out, entries, &page.base, ty, &r.id, found.json, "include");
                                touched.push(format!("{ty}/{}", r.id));
                                break;
                            }
                        }
                    }
                }
            }
        }
        frontier = next;
        first = false;
    }
    Ok(())
}
