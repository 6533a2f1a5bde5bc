//! Checks that the crate's top-level modules import one way: it reads every source file,
//! collects the `crate::` paths each top-level module names (in code and in doc links), and
//! asserts that none names a module of a higher layer and that the graph has no circle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers of the crate doc, bottom to top: a module may name only modules of its own
/// layer or below. A new top-level module must be given its layer here.
const LAYERS: [&[&str]; 13] = [
    &["simd"],
    &["error"],
    &["assignment", "atomic_write", "memory", "side_file"],
    &["data"],
    &["source"],
    &["stats"],
    &["covariance"],
    &["kernel"],
    &["init"],
    &["mixture", "draws"],
    &["fit_record"],
    &["control", "model_file", "synthetic"],
    &["fitted"],
];

/// This file, which names `crate::` paths only as text.
const THIS_FILE: &str = "layers.rs";

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `.rs` file under `dir`.
fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("the source directory is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a source file belongs to (`None` for the crate root).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).expect("a file under src");
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(name) => Some(name.to_string()),
        None => Some(first.to_string()),
    }
}

/// The identifiers that follow `crate::` (or `$crate::`) in `text`.
fn crate_paths(text: &str) -> Vec<String> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        if text[..at].chars().next_back().is_some_and(is_ident) {
            continue;
        }
        let rest = &text[at + "crate::".len()..];
        let end = rest.find(|c: char| !is_ident(c)).unwrap_or(rest.len());
        out.push(rest[..end].to_string());
    }
    out
}

/// The module each item the crate root re-exports comes from (`pub use module::{..}`).
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for statement in lib.split("pub use ").skip(1) {
        let statement = statement.split(';').next().unwrap_or_default();
        let Some((module, items)) = statement.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.split(" as ").last().unwrap_or_default().trim();
            if !item.is_empty() {
                out.insert(item.to_string(), module.trim().to_string());
            }
        }
    }
    out
}

#[test]
fn top_level_modules_import_one_way_without_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs is readable");
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        if module == THIS_FILE.trim_end_matches(".rs") {
            continue;
        }
        let text = std::fs::read_to_string(file).expect("a readable source file");
        assert!(
            !text.contains("super::super::"),
            "{} reaches out of its module with super::super::",
            file.display()
        );
        for name in crate_paths(&text) {
            let used = if layer_of(&name).is_some() {
                name.clone()
            } else {
                reexports.get(&name).cloned().unwrap_or_else(|| {
                    panic!(
                        "{}: crate::{name} is neither a module nor a root re-export",
                        file.display()
                    )
                })
            };
            if used != module {
                edges.entry(module.clone()).or_default().insert(used);
            }
        }
    }
    for (module, used) in &edges {
        let own =
            layer_of(module).unwrap_or_else(|| panic!("module {module} has no layer in layers.rs"));
        for u in used {
            let theirs = layer_of(u).unwrap_or_else(|| panic!("module {u} has no layer"));
            assert!(
                theirs <= own,
                "{module} (layer {own}) names {u} (layer {theirs}), above it"
            );
        }
    }
    // Modules of one layer may name each other, but not in a circle.
    fn visit<'a>(
        m: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        assert!(!path.contains(&m), "import circle: {path:?} -> {m}");
        if done.contains(m) {
            return;
        }
        path.push(m);
        for u in edges.get(m).into_iter().flatten() {
            visit(u, edges, path, done);
        }
        path.pop();
        done.insert(m);
    }
    let mut done = BTreeSet::new();
    for module in edges.keys() {
        visit(module, &edges, &mut Vec::new(), &mut done);
    }
    assert_eq!(
        edges.get("simd"),
        None,
        "simd names another module of the crate"
    );
}
