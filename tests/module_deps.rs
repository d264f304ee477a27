//! The crate's module dependencies, read from the source: the top-level
//! modules form no cycle (in particular resources and data sources do not
//! depend on the provider that registers them), tfplugin's modules form
//! none (values do not depend on a codec), and data sources use no
//! resource's CRUD helpers.
//!
//! A module depends on another when its code (comments and `#[cfg(test)]`
//! modules left out) names `crate::<module>` or, inside tfplugin,
//! `super::<module>`; `crate::name!` is a macro, not a module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code of a file: line comments and the test module removed.
fn code(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = match text.find("#[cfg(test)]\nmod tests") {
        Some(i) => &text[..i],
        None => &text[..],
    };
    text.lines()
        .map(|l| match l.find("//") {
            // A "//" inside a string literal is rare in paths we read; a
            // line cut short there loses nothing we look for.
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// The first path segment after every `prefix` (each item of a `{...}`
/// group counts), macros left out.
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in code.match_indices(prefix) {
        let rest = &code[i + prefix.len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0;
            let mut item_start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if c.is_whitespace() => {}
                    _ if item_start && depth == 0 => {
                        item_start = false;
                        let name = ident(&group[j..]);
                        if !name.is_empty() && name != "self" {
                            out.insert(name.to_string());
                        }
                    }
                    _ => {}
                }
            }
        } else {
            let name = ident(rest);
            if !name.is_empty() && !rest[name.len()..].starts_with('!') {
                out.insert(name.to_string());
            }
        }
    }
    out
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Top-level module → the top-level modules it names.
fn crate_graph() -> Graph {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut g = Graph::new();
    for f in files {
        let rel = f.strip_prefix(&root).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let deps = g.entry(module.clone()).or_default();
        for d in names_after(&code(&f), "crate::") {
            if d != module {
                deps.insert(d);
            }
        }
    }
    g
}

/// tfplugin's modules → the tfplugin modules they name.
fn tfplugin_graph() -> Graph {
    let dir = src().join("tfplugin");
    let mut g = Graph::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let f = entry.unwrap().path();
        let module = f.file_stem().unwrap().to_string_lossy().to_string();
        if module == "mod" {
            continue;
        }
        let c = code(&f);
        let mut deps = names_after(&c, "super::");
        deps.extend(names_after(&c, "crate::tfplugin::"));
        deps.remove(&module);
        g.insert(module, deps);
    }
    g
}

/// A cycle, as the modules along it, if there is one.
fn find_cycle(g: &Graph) -> Option<Vec<String>> {
    fn visit(
        g: &Graph,
        n: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(i) = path.iter().position(|p| p == n) {
            let mut cycle = path[i..].to_vec();
            cycle.push(n.to_string());
            return Some(cycle);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_string());
        for d in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(g, d, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(g, n, &mut Vec::new(), &mut done))
}

fn deps<'a>(g: &'a Graph, module: &str) -> &'a BTreeSet<String> {
    g.get(module)
        .unwrap_or_else(|| panic!("no module {module} in {g:?}"))
}

#[test]
fn the_scanner_reads_paths_groups_and_macros() {
    let c = "use crate::{a, b::{c, d}, self};\nuse crate::e::f;\ncrate::info!(x);\nlet y = crate::g::h();";
    assert_eq!(
        names_after(c, "crate::"),
        ["a", "b", "e", "g"].map(String::from).into()
    );
}

#[test]
fn the_cycle_finder_finds_the_old_provider_cycle() {
    let g: Graph = [
        ("provider", &["resources", "aws"][..]),
        ("resources", &["provider", "aws"][..]),
        ("aws", &[][..]),
    ]
    .into_iter()
    .map(|(m, d)| (m.to_string(), d.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(
        find_cycle(&g),
        Some(
            ["provider", "resources", "provider"]
                .map(String::from)
                .to_vec()
        )
    );
}

#[test]
fn top_level_modules_form_no_cycle() {
    let g = crate_graph();
    assert_eq!(find_cycle(&g), None, "{g:#?}");
    // The edges this layering is about.
    for m in ["resources", "data_sources", "configured", "metadata"] {
        let d = deps(&g, m);
        assert!(!d.contains("provider"), "{m} -> provider: {d:?}");
        assert!(!d.contains("registry"), "{m} -> registry: {d:?}");
    }
    let p = deps(&g, "provider");
    assert!(p.contains("registry") && p.contains("configured"), "{p:?}");
    assert!(
        !p.contains("resources") && !p.contains("data_sources"),
        "{p:?}"
    );
    for m in ["resources", "data_sources"] {
        assert!(deps(&g, m).contains("configured"), "{m}");
    }
}

#[test]
fn tfplugin_modules_form_no_cycle_and_values_need_no_codec() {
    let g = tfplugin_graph();
    assert_eq!(find_cycle(&g), None, "{g:#?}");
    let v = deps(&g, "value");
    assert!(!v.contains("msgpack") && !v.contains("json"), "{v:?}");
}

#[test]
fn data_sources_use_no_resource_crud_helpers() {
    let dir = src().join("data_sources");
    let mut files = Vec::new();
    rust_files(&dir, &mut files);
    for f in files {
        let c = code(&f);
        // From crate::resources only a resource module's schema, naming and
        // policy builders; never its error builder, nor the resources'
        // shared helpers (those live in configured and metadata).
        for (i, _) in c.match_indices("crate::resources::") {
            let rest = &c[i + "crate::resources::".len()..];
            let module = ident(rest);
            assert!(
                [
                    "cluster_configuration",
                    "job_function",
                    "launch_function",
                    "launch_profile"
                ]
                .contains(&module),
                "{}: crate::resources::{module}",
                f.display()
            );
            let names = names_after(rest, &format!("{module}::"));
            assert!(!names.contains("err"), "{}: {names:?}", f.display());
        }
    }
}
