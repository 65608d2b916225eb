//! No module imports one that imports it back.
//!
//! Reads every `crate::…` and `super::…` path in `src/**/*.rs` (comments skipped) and builds
//! two graphs: one of the top-level modules (`app`, `http`, `portal`, `web`, `cli`, …), and
//! one of the submodules of the web edge (`http::fhir`, `portal::apps`, `web::csrf`, …, with a
//! folder's `mod.rs` as its own node). Either graph with a cycle fails the test and names it.
//! Plain text on purpose: no parser to keep up with, and a false edge can only make it stricter.

#![expect(
    clippy::unwrap_used,
    reason = "a test: a failed read of the source tree should fail it"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules whose submodules are nodes of their own in the second graph.
const SPLIT: [&str; 3] = ["http", "portal", "web"];

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let tests = test_only_files(&src);
    let files: Vec<PathBuf> = rust_files(&src)
        .into_iter()
        .filter(|f| !tests.contains(f))
        .collect();
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut top: Graph = BTreeMap::new();
    let mut edge: Graph = BTreeMap::new();
    for file in &files {
        let here = module_of(&src, file);
        if here.is_empty() {
            continue; // lib.rs and main.rs only declare modules
        }
        let text = std::fs::read_to_string(file).unwrap();
        // A file's unit tests sit at its end; their `super::` means the file itself.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for target in references(&here, &without_comments(code)) {
            if target.is_empty() || !modules.iter().any(|m| m.first() == target.first()) {
                continue;
            }
            if target[0] != here[0] {
                add(&mut top, &here[0], &target[0]);
            } else if SPLIT.contains(&here[0].as_str()) {
                add(&mut edge, &node(&here, &modules), &node(&target, &modules));
            }
        }
    }
    let mut cycles = cycles(&top);
    cycles.extend(self::cycles(&edge));
    assert!(
        cycles.is_empty(),
        "modules that import each other, directly or in a ring:\n{}",
        cycles.join("\n")
    );
}

/// The checker sees what it is meant to see.
#[test]
fn references_resolve_crate_super_and_groups() {
    let here = vec!["portal".to_string(), "apps".to_string()];
    let text = "use super::{audit, Ctx};\nuse crate::{app::X, web::csrf::Csrf};\n\
                let p = crate::http::tls::paths(); // crate::cli::nothing\n";
    let found: BTreeSet<String> = references(&here, &without_comments(text))
        .into_iter()
        .map(|p| p.join("::"))
        .collect();
    let expected: BTreeSet<String> = [
        "portal::audit",
        "portal::Ctx",
        "app::X",
        "web::csrf::Csrf",
        "http::tls::paths",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(found, expected);
    let mut g: Graph = BTreeMap::new();
    add(&mut g, "a", "b");
    add(&mut g, "b", "c");
    assert!(cycles(&g).is_empty());
    add(&mut g, "c", "a");
    assert_eq!(cycles(&g), vec!["a, b, c".to_string()]);
}

type Graph = BTreeMap<String, BTreeSet<String>>;

/// Files that are modules declared under `#[cfg(test)]` (`#[cfg(test)] mod tests;`, with or
/// without `#[path = "…"]`): tests may use anything.
fn test_only_files(src: &Path) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for file in rust_files(src) {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = if matches!(
            file.file_name().and_then(|n| n.to_str()),
            Some("mod.rs" | "lib.rs" | "main.rs")
        ) {
            file.parent().unwrap().to_path_buf()
        } else {
            file.with_extension("")
        };
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        for (i, line) in lines.iter().enumerate() {
            if *line != "#[cfg(test)]" {
                continue;
            }
            let mut path = None;
            for next in &lines[i + 1..] {
                if let Some(p) = next.strip_prefix("#[path = \"") {
                    path = p
                        .strip_suffix("\"]")
                        .map(|p| file.parent().unwrap().join(p));
                } else if let Some(name) =
                    next.strip_prefix("mod ").and_then(|n| n.strip_suffix(';'))
                {
                    out.insert(
                        path.take()
                            .unwrap_or_else(|| dir.join(format!("{name}.rs"))),
                    );
                    out.insert(dir.join(name).join("mod.rs"));
                    break;
                } else if !next.starts_with("#[") {
                    break;
                }
            }
        }
    }
    out
}

fn add(g: &mut Graph, from: &str, to: &str) {
    if from != to {
        g.entry(from.to_string())
            .or_default()
            .insert(to.to_string());
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// `src/http/authorize.rs` → `[http, authorize]`; `src/portal/testclient/mod.rs` →
/// `[portal, testclient]`; `src/lib.rs` → `[]`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The graph node for a module path: the top-level module, or for the web edge its
/// submodule (when the path names one that exists).
fn node(path: &[String], modules: &BTreeSet<Vec<String>>) -> String {
    if path.len() >= 2 && modules.contains(&path[..2].to_vec()) {
        format!("{}::{}", path[0], path[1])
    } else {
        path[0].clone()
    }
}

/// Code without `//` comments (doc comments included). A `//` inside a string cuts the rest
/// of its line, which can only hide a path, never invent one.
fn without_comments(text: &str) -> String {
    text.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every absolute module path the code names through `crate::` or `super::`, brace groups
/// expanded one level deep (`use crate::{a::b, c}` → `a::b`, `c`).
fn references(here: &[String], code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let mut i = 0;
    while i < code.len() {
        let rest = &code[i..];
        let starts_word = i == 0 || !is_ident(bytes[i - 1]);
        let (base, skip) = if starts_word && rest.starts_with("crate::") {
            (Vec::new(), "crate::".len())
        } else if starts_word && rest.starts_with("super::") {
            let mut base = here.to_vec();
            let mut skip = 0;
            while code[i + skip..].starts_with("super::") {
                base.pop();
                skip += "super::".len();
            }
            (base, skip)
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        let after = &code[i + skip..];
        for tail in paths_at(after) {
            let mut path = base.clone();
            path.extend(tail);
            out.push(path);
        }
        i += skip;
    }
    out
}

/// The path segments at the start of `s`: `a::b::C` → one path; `{a::b, c}` → two.
fn paths_at(s: &str) -> Vec<Vec<String>> {
    if let Some(group) = s.strip_prefix('{') {
        let end = group.find('}').unwrap_or(group.len());
        return group[..end]
            .split(',')
            .map(|p| segments(p.trim()))
            .filter(|p| !p.is_empty())
            .collect();
    }
    vec![segments(s)]
}

fn segments(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        let len = rest.bytes().take_while(|b| is_ident(*b)).count();
        if len == 0 {
            break;
        }
        out.push(rest[..len].to_string());
        match rest[len..].strip_prefix("::") {
            Some(r) => rest = r,
            None => break,
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// One line per strongly connected component with more than one node (Tarjan): the modules
/// that reach one another.
fn cycles(g: &Graph) -> Vec<String> {
    struct Walk<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<String>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        w.on_stack.insert(v);
        for u in w.g.get(v).into_iter().flatten() {
            let u = u.as_str();
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.on_stack.contains(u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut scc = Vec::new();
            while let Some(u) = w.stack.pop() {
                w.on_stack.remove(u);
                scc.push(u);
                if u == v {
                    break;
                }
            }
            if scc.len() > 1 {
                scc.sort_unstable();
                w.found.push(scc.join(", "));
            }
        }
    }
    let mut w = Walk {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in g.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v);
        }
    }
    w.found
}
