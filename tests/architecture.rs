//! The import rules of the house, checked on the source so that they stay true: data flows one
//! way (report → incident → catalog/assemble → index → tracking → ingest → web), so
//! - `index/` imports neither `tracking` nor anything of the store;
//! - `web/` never parses reports (no `report` import);
//! - there is no import circle between the top-level modules, nor between the files of one
//!   (such as `web/handlers/api.rs` and `web/handlers/search.rs`, or `web/common.rs` and a
//!   handler); a folder's `mod.rs`, which declares its files, is the folder, not one of them.
//!
//! Test modules (from a file's first `#[cfg(test)]`) may use any layer to build fixtures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regex::Regex;

/// One source file of the library: its module path (`["web", "handlers", "api"]`) and the
/// module paths its non-test code refers to.
struct Source {
    module: Vec<String>,
    file: PathBuf,
    refs: Vec<Vec<String>>,
}

fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn sources() -> Vec<Source> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let path_re = Regex::new(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)").unwrap();
    let group_re =
        Regex::new(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^}]*)\}").unwrap();
    let mut out = Vec::new();
    for entry in walkdir::WalkDir::new(&src) {
        let entry = entry.unwrap();
        let path = entry.path();
        // The binary (`main.rs`, `cli/`) uses the library by its name, not `crate::`.
        let rel = path.strip_prefix(&src).unwrap();
        if path.extension().is_none_or(|e| e != "rs")
            || rel.starts_with("cli")
            || rel == Path::new("main.rs")
        {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let code: String = code
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let module = module_of(&src, path);
        let is_mod_file = path.file_stem().is_some_and(|s| s == "mod" || s == "lib");
        let resolve = |root: &str, rest: &str| -> Vec<String> {
            let rest: Vec<String> = rest
                .split("::")
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            let mut base = if root == "crate" {
                Vec::new()
            } else {
                // `super` of a mod.rs is the folder's parent; of a file, its folder.
                let mut m = module.clone();
                if !is_mod_file || !m.is_empty() {
                    m.pop();
                }
                m
            };
            let mut rest = rest.into_iter().peekable();
            while rest.peek().is_some_and(|p| p == "super") {
                base.pop();
                rest.next();
            }
            base.extend(rest);
            base
        };
        let mut refs = Vec::new();
        for c in group_re.captures_iter(&code) {
            for item in c[3].split(',') {
                let head = item.trim().split("::").next().unwrap_or("").trim();
                if !head.is_empty() && head != "self" {
                    refs.push(resolve(&c[1], &format!("{}::{head}", &c[2])));
                } else if head == "self" {
                    refs.push(resolve(&c[1], &c[2]));
                }
            }
        }
        for c in path_re.captures_iter(&code) {
            refs.push(resolve(&c[1], &c[2]));
        }
        out.push(Source {
            module,
            file: path.to_path_buf(),
            refs,
        });
    }
    assert!(
        out.len() > 40,
        "the sources were not found under {}",
        src.display()
    );
    out
}

/// Whether `graph` has a cycle; returns one if so.
fn cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(n) {
            Some(1) => {
                let at = stack.iter().position(|s| s == n).unwrap();
                let mut c = stack[at..].to_vec();
                c.push(n.to_string());
                return Some(c);
            }
            Some(2) => return None,
            _ => {}
        }
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, graph, state, stack) {
                return Some(c);
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if let Some(c) = visit(n, graph, &mut state, &mut Vec::new()) {
            return Some(c);
        }
    }
    None
}

#[test]
fn the_index_imports_no_tracking_and_the_web_no_report() {
    let sources = sources();
    let mut broken = Vec::new();
    for s in &sources {
        let top = s.module.first().map(String::as_str).unwrap_or("");
        for r in &s.refs {
            let to = r.first().map(String::as_str).unwrap_or("");
            let rule = match (top, to) {
                ("index", "tracking" | "store" | "ingest" | "web") => {
                    "the index stands below tracking"
                }
                ("web", "report") => "the web never parses reports",
                _ => continue,
            };
            broken.push(format!(
                "{}: uses {} ({rule})",
                s.file.display(),
                r.join("::")
            ));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn no_import_circles_between_layers_or_between_files_of_one_layer() {
    let sources = sources();
    let known: BTreeSet<Vec<String>> = sources.iter().map(|s| s.module.clone()).collect();
    // The module a path names: its longest prefix that is a file of the crate.
    let owner = |path: &[String]| -> Option<Vec<String>> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|p| known.contains(p))
    };
    // A folder's mod.rs declares its files and holds what they share: edges to and from it are
    // the folder itself, not a file of it.
    let folders: BTreeSet<Vec<String>> = sources
        .iter()
        .filter(|s| s.file.file_stem().is_some_and(|f| f == "mod"))
        .map(|s| s.module.clone())
        .collect();
    let mut layers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut siblings: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in &sources {
        let Some(top) = s.module.first() else {
            continue;
        };
        for r in &s.refs {
            let Some(to) = owner(r) else { continue };
            if let Some(to_top) = to.first()
                && to_top != top
            {
                layers
                    .entry(top.clone())
                    .or_default()
                    .insert(to_top.clone());
            }
            // Two files of one layer (not a folder's mod.rs): `web/common.rs` and
            // `web/handlers/search.rs` as well as two handlers.
            if to.len() >= 2
                && s.module.len() >= 2
                && to[0] == s.module[0]
                && to != s.module
                && !folders.contains(&to)
                && !folders.contains(&s.module)
            {
                siblings
                    .entry(s.module.join("::"))
                    .or_default()
                    .insert(to.join("::"));
            }
        }
    }
    println!("layers: {layers:?}\nfiles: {siblings:?}");
    assert!(
        layers.get("index").is_some_and(|d| d.contains("incident")),
        "the check sees imports: {layers:?}"
    );
    if let Some(c) = cycle(&layers) {
        panic!("an import circle between layers: {}", c.join(" → "));
    }
    if let Some(c) = cycle(&siblings) {
        panic!(
            "an import circle between files of one layer: {}",
            c.join(" → ")
        );
    }
}

#[test]
fn the_circle_check_finds_a_circle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.entry("api".into()).or_default().insert("search".into());
    assert!(cycle(&g).is_none());
    g.entry("search".into()).or_default().insert("api".into());
    assert_eq!(cycle(&g).unwrap(), ["api", "search", "api"]);
}
