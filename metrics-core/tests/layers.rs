//! The modules of the crate are layered, and every import goes one way:
//! down. A module may import from its own layer and the layers below it,
//! never from a layer above (the table below; ARCHITECTURE.md shows it).
//! Read from the sources: every `crate::` path outside comments and test
//! modules, `use` or inline, resolved to the top-level module it names (a
//! name the crate root re-exports is resolved to where it is defined).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

/// The layers, lowest first, and the top-level modules of each. `lib` is
/// the crate root (the public surface and the macros' private module).
const LAYERS: &[(&str, &[&str])] = &[
    // Text and time primitives: escaping, number rendering, clocks, the
    // kinds of metric.
    (
        "primitives",
        &["render", "time", "timestamp", "metric_type"],
    ),
    // The rules every constructor checks, and their errors.
    ("rules", &["error", "names", "buckets"]),
    // The typed, format-free snapshot and the metadata of a family.
    ("model", &["model", "meta"]),
    // What a registry collects: the collector trait, the read-in-place
    // view of a family, the builders of custom families, the process.
    ("collectors", &["collector"]),
    // The metric types, and what records into them (attributes, traces,
    // the files of Python's multiprocess mode: metrics write them, a
    // collector reads them; no exposition format).
    ("metrics", &["metrics", "support", "trace", "multiprocess"]),
    ("registry", &["registry"]),
    // Everything that knows an exposition format.
    ("formats", &["encoding", "parse"]),
    ("surface", &["lib"]),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|(_, ms)| ms.contains(&module))
}

/// The source without comments (doc comments included) and string
/// literals' contents are kept as they are: paths in strings are rare and
/// would only make the check stricter.
fn strip_comments(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut block = 0usize;
    for line in src.lines() {
        let mut rest = line;
        let mut kept = String::new();
        loop {
            if block > 0 {
                match (rest.find("/*"), rest.find("*/")) {
                    (Some(o), Some(c)) if o < c => {
                        block += 1;
                        rest = &rest[o + 2..];
                    }
                    (_, Some(c)) => {
                        block -= 1;
                        rest = &rest[c + 2..];
                    }
                    _ => break,
                }
            } else {
                let line_c = rest.find("//");
                let block_c = rest.find("/*");
                match (line_c, block_c) {
                    (Some(l), Some(b)) if b < l => {
                        kept.push_str(&rest[..b]);
                        block += 1;
                        rest = &rest[b + 2..];
                    }
                    (Some(l), _) => {
                        kept.push_str(&rest[..l]);
                        break;
                    }
                    (None, Some(b)) => {
                        kept.push_str(&rest[..b]);
                        block += 1;
                        rest = &rest[b + 2..];
                    }
                    (None, None) => {
                        kept.push_str(rest);
                        break;
                    }
                }
            }
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// The source without its `#[cfg(test)] mod name { ... }` blocks: tests
/// may reach anything.
fn strip_test_modules(src: &str) -> String {
    let mut out = String::new();
    let mut rest = src;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let trimmed = after.trim_start();
        let is_mod = trimmed.starts_with("mod ") || trimmed.starts_with("pub(crate) mod ");
        let open = trimmed.find('{');
        let semi = trimmed.find(';');
        match (is_mod, open) {
            (true, Some(open)) if semi.is_none_or(|s| s > open) => {
                let body = &trimmed[open..];
                let mut depth = 0usize;
                let mut end = body.len();
                for (i, c) in body.char_indices() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                end = i + 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                rest = &body[end..];
            }
            _ => {
                out.push_str("#[cfg(test)]");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Every `src/**/*.rs` file, by module path (`metrics/family`, `lib`).
fn sources(dir: &Path, prefix: &str, out: &mut BTreeMap<String, String>) {
    let mut entries: Vec<_> = fs::read_dir(dir)
        .expect("the source directory")
        .map(|e| e.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("UTF-8 file names")
            .to_owned();
        if path.is_dir() {
            sources(&path, &format!("{prefix}{name}/"), out);
        } else if let Some(stem) = name.strip_suffix(".rs") {
            let module = match stem {
                "mod" => prefix.trim_end_matches('/').to_owned(),
                _ => format!("{prefix}{stem}"),
            };
            let text = fs::read_to_string(&path).expect("a source file");
            out.insert(module, strip_test_modules(&strip_comments(&text)));
        }
    }
}

/// Each `crate::a::b...` path of `src`, `use` trees expanded: the segments
/// after `crate`.
fn crate_paths(src: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let bytes = src.as_bytes();
    let mut from = 0;
    while let Some(at) = src[from..].find("crate::") {
        let start = from + at;
        from = start + "crate::".len();
        // `$crate::` and identifiers ending in `crate` are not this crate.
        if start > 0 {
            let before = bytes[start - 1];
            if before == b'$' || before == b'_' || before.is_ascii_alphanumeric() {
                continue;
            }
        }
        expand_tree(&src[from..], Vec::new(), &mut paths);
    }
    paths
}

/// Reads one path or `use` tree at the start of `s` (after `crate::`),
/// pushing each leaf path, prefixed, into `out`.
fn expand_tree(s: &str, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    let mut i = 0;
    let b = s.as_bytes();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'{' {
            i += 1;
            loop {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() {
                    return i;
                }
                if b[i] == b'}' {
                    return i + 1;
                }
                i += expand_tree(&s[i..], path.clone(), out);
            }
        }
        let start = i;
        while i < b.len() && (b[i] == b'_' || b[i] == b'*' || b[i].is_ascii_alphanumeric()) {
            i += 1;
        }
        if i > start {
            path.push(s[start..i].to_owned());
        }
        if s[i..].starts_with("::") {
            i += 2;
            continue;
        }
        // An `as` rename or the end of the path.
        if !path.is_empty() {
            out.push(path);
        }
        return i;
    }
}

/// The names the crate root re-exports, and the module each comes from.
fn root_names(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for stmt in lib.split(';') {
        let Some(at) = stmt.find("pub use ") else {
            continue;
        };
        let tree = &stmt[at + "pub use ".len()..];
        let tree = tree.strip_prefix("crate::").unwrap_or(tree);
        let mut paths = Vec::new();
        expand_tree(tree, Vec::new(), &mut paths);
        // `pub use crate::{Counter, ..}` names a re-export: skip it.
        for p in paths.iter().filter(|p| p.len() > 1) {
            names.insert(p[p.len() - 1].clone(), p[0].clone());
        }
    }
    names
}

/// Module -> the top-level modules it imports.
fn imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = BTreeMap::new();
    sources(&src, "", &mut files);
    let top: BTreeSet<String> = files
        .keys()
        .map(|m| m.split('/').next().unwrap_or(m).to_owned())
        .collect();
    let roots = root_names(files.get("lib").map_or("", String::as_str));
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &files {
        let own = module.split('/').next().unwrap_or(module).to_owned();
        let entry = graph.entry(own.clone()).or_default();
        for path in crate_paths(text) {
            let first = &path[0];
            let target = if top.contains(first) {
                first.clone()
            } else if let Some(m) = roots.get(first).filter(|m| top.contains(*m)) {
                m.clone()
            } else {
                "lib".to_owned()
            };
            if target != own {
                entry.insert(target);
            }
        }
    }
    graph
}

#[test]
fn every_module_has_a_layer() {
    let unplaced: Vec<String> = imports()
        .into_keys()
        .filter(|m| layer_of(m).is_none())
        .collect();
    assert!(
        unplaced.is_empty(),
        "modules missing from the layer table: {unplaced:?}"
    );
}

#[test]
fn imports_go_down_the_layers() {
    let graph = imports();
    let mut upward = Vec::new();
    for (module, targets) in &graph {
        let Some(own) = layer_of(module) else {
            continue;
        };
        for target in targets {
            match layer_of(target) {
                Some(l) if l <= own => {}
                Some(l) => upward.push(format!(
                    "{module} ({}) imports {target} ({})",
                    LAYERS[own].0, LAYERS[l].0
                )),
                None => upward.push(format!("{module} imports {target}, in no layer")),
            }
        }
    }
    let table: Vec<String> = graph.iter().map(|(m, t)| format!("{m} -> {t:?}")).collect();
    assert!(
        upward.is_empty(),
        "imports against the layers:\n  {}\nthe import graph:\n  {}",
        upward.join("\n  "),
        table.join("\n  ")
    );
}
