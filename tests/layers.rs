//! The house's shape, drawn from the source: no circles between files, arrows that run down the
//! layers (root → page → edge → service → store → model → base) but for the few named here, and
//! every table written by one module, the one the README's layout section names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use regex::Regex;

/// Arrows that run up a layer, each with why it may.
const UPWARD_ALLOWED: &[(&str, &str, &str)] = &[];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Layer {
    Base,
    Model,
    Store,
    Service,
    Edge,
    Page,
    Root,
}

/// A file's layer, by where it sits and what it is named (the README's layout section says the
/// same in words).
fn layer(module: &str) -> Layer {
    let parts: Vec<&str> = module.split("::").collect();
    let (top, last) = (parts[0], parts[parts.len() - 1]);
    let named = |names: &[&str]| names.contains(&last) || names.contains(&top);
    if matches!(top, "startup" | "serve" | "lib" | "main") {
        Layer::Root
    } else if top == "app" || top == "components" || parts.contains(&"pages") || named(&["try_panel", "charts"]) {
        Layer::Page
    } else if matches!(top, "api" | "answers" | "ops" | "http_error" | "reference")
        || named(&["server", "http", "export"])
    {
        Layer::Edge
    } else if named(&["import", "generate", "sync", "scheduler", "report", "demo", "tray", "auth", "housekeeping"]) {
        Layer::Service
    } else if parts.contains(&"store")
        || named(&[
            "activity",
            "assignments",
            "idempotency",
            "throttle",
            "wallet",
            "events",
            "users",
            "lifecycle",
            "single",
            "audit",
            "attempts",
        ])
    {
        Layer::Store
    } else if matches!(
        top,
        "values" | "wire" | "money" | "dates" | "text" | "fields" | "config" | "db" | "error" | "state" | "uploads"
    ) {
        Layer::Base
    } else {
        Layer::Model
    }
}

struct Source {
    /// Module path (`codes::store`) → its text, comments removed.
    files: BTreeMap<String, String>,
}

fn strip_comments(text: &str) -> String {
    text.lines().map(|l| l.split("//").next().unwrap_or("")).collect::<Vec<_>>().join("\n")
}

impl Source {
    fn read() -> Source {
        let mut files = BTreeMap::new();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut dirs = vec![root.clone()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let rel = path.strip_prefix(&root).unwrap().with_extension("");
                    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                    if parts.last().is_some_and(|p| p == "mod") {
                        parts.pop();
                    }
                    let text = strip_comments(&std::fs::read_to_string(&path).unwrap());
                    files.insert(parts.join("::"), text);
                }
            }
        }
        Source { files }
    }

    /// The file a path names: its longest prefix that is a file's module.
    fn resolve(&self, path: &[&str]) -> Option<String> {
        (1..=path.len()).rev().map(|n| path[..n].join("::")).find(|m| self.files.contains_key(m))
    }

    /// Which files each file uses: `crate::…` and `super::…` paths (with `{…}` groups), and its
    /// own child modules named in `use` lines.
    fn arrows(&self) -> BTreeMap<String, BTreeSet<String>> {
        let path = Regex::new(r"\b(crate|super)((?:::[A-Za-z_]\w*)+)(::\{([^;]*?)\})?").unwrap();
        let child_use = Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))? )?use ([a-z_]\w*)::").unwrap();
        let mut arrows = BTreeMap::new();
        for (module, text) in &self.files {
            let is_dir = self.files.keys().any(|k| k.starts_with(&format!("{module}::")));
            let own: Vec<&str> = module.split("::").filter(|p| !matches!(*p, "lib" | "main")).collect();
            let parent: Vec<&str> = own[..own.len().saturating_sub(1)].to_vec();
            let inline = inline_modules(text);
            let mut to = BTreeSet::new();
            for c in path.captures_iter(text) {
                let base: Vec<&str> = match &c[1] {
                    "crate" => Vec::new(),
                    // Inside an inline module (`mod tests { use super::*; }`), `super` is this file.
                    _ if inline.iter().any(|r| r.contains(&c.get(0).unwrap().start())) => continue,
                    _ => parent.clone(),
                };
                let mut head = base.clone();
                head.extend(c[2].trim_start_matches("::").split("::"));
                let mut targets = Vec::new();
                match c.get(4) {
                    Some(group) => {
                        for item in group.as_str().split([',', '{', '}']).map(str::trim).filter(|s| !s.is_empty()) {
                            let mut full = head.clone();
                            let name = item.split(" as ").next().unwrap_or(item);
                            if name != "self" {
                                full.extend(name.split("::"));
                            }
                            targets.push(full);
                        }
                    }
                    None => targets.push(head),
                }
                for t in targets {
                    if let Some(file) = self.resolve(&t) {
                        to.insert(file);
                    }
                }
            }
            if is_dir {
                for c in child_use.captures_iter(text) {
                    let mut t = own.clone();
                    t.push(c.get(1).unwrap().as_str());
                    if let Some(file) = self.resolve(&t).filter(|f| f.split("::").count() > own.len()) {
                        to.insert(file);
                    }
                }
            }
            to.remove(module);
            arrows.insert(module.clone(), to);
        }
        arrows
    }
}

/// The byte ranges of the inline modules (`mod name { … }`) of a file.
fn inline_modules(text: &str) -> Vec<std::ops::Range<usize>> {
    let start = Regex::new(r"\bmod\s+\w+\s*\{").unwrap();
    start
        .find_iter(text)
        .map(|m| {
            let mut depth = 0usize;
            let mut end = text.len();
            for (i, b) in text.bytes().enumerate().skip(m.end() - 1) {
                match b {
                    b'{' => depth += 1,
                    b'}' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            m.start()..end
        })
        .collect()
}

/// Groups of files that reach each other (Tarjan's strongly connected components), larger than one.
fn circles(arrows: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        arrows: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a str) {
            let i = self.index.len();
            self.index.insert(v, i);
            self.low.insert(v, i);
            self.stack.push(v);
            for w in self.arrows.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    self.low.entry(v).and_modify(|l| *l = (*l).min(lw));
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    self.low.entry(v).and_modify(|l| *l = (*l).min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut group = Vec::new();
                while let Some(w) = self.stack.pop() {
                    group.push(w.to_string());
                    if w == v {
                        break;
                    }
                }
                if group.len() > 1 {
                    group.sort();
                    self.found.push(group);
                }
            }
        }
    }
    let mut walk = Walk { arrows, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in arrows.keys() {
        if !walk.index.contains_key(v.as_str()) {
            walk.visit(v);
        }
    }
    walk.found
}

#[test]
fn no_file_is_in_a_circle() {
    let arrows = Source::read().arrows();
    assert!(arrows.values().map(BTreeSet::len).sum::<usize>() > 200, "the import reader found too few arrows");
    let circles = circles(&arrows);
    assert!(circles.is_empty(), "files that import each other, round: {circles:#?}");
}

#[test]
fn arrows_run_down_the_layers() {
    let arrows = Source::read().arrows();
    let mut up = Vec::new();
    for (from, tos) in &arrows {
        for to in tos {
            let allowed = UPWARD_ALLOWED.iter().any(|(f, t, _)| f == from && t == to);
            if layer(to) > layer(from) && !allowed {
                up.push(format!("{from} ({:?}) → {to} ({:?})", layer(from), layer(to)));
            }
        }
    }
    assert!(up.is_empty(), "arrows that run up a layer: {up:#?}");
    assert!(UPWARD_ALLOWED.len() <= 5);
}

/// The module a file belongs to, as the README names owners: a top-level module, or in a folder
/// that only groups modules (`audience/`), the module inside it.
fn owner(module: &str) -> String {
    let parts: Vec<&str> = module.split("::").collect();
    match parts.as_slice() {
        ["audience", inner, ..] => format!("audience/{inner}"),
        [top, ..] => top.to_string(),
        [] => String::new(),
    }
}

/// The owner of every statement that writes each table.
fn writers(source: &Source) -> BTreeMap<String, BTreeSet<String>> {
    let write = Regex::new(r"\b(?:INSERT INTO|UPDATE|DELETE FROM) ([a-z_]+)\b").unwrap();
    let mut writers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in &source.files {
        let owner = owner(module);
        for c in write.captures_iter(text) {
            writers.entry(c[1].to_string()).or_default().insert(owner.clone());
        }
    }
    writers
}

#[test]
fn every_table_has_one_writer_and_the_readme_names_it() {
    let source = Source::read();
    let writers = writers(&source);
    let shared: Vec<_> = writers.iter().filter(|(_, w)| w.len() > 1).collect();
    assert!(shared.is_empty(), "tables written by more than one module: {shared:#?}");

    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let row = Regex::new(r"(?m)^\| `([a-z_]+)` +\| `([a-z_]+(?:/[a-z_]+)?)/?` +\|").unwrap();
    let named: BTreeMap<String, BTreeSet<String>> =
        row.captures_iter(&readme).map(|c| (c[1].to_string(), BTreeSet::from([c[2].to_string()]))).collect();
    assert!(named.len() >= 20, "the README's table of writers was not found");
    assert_eq!(named, writers, "the README's writers (left) differ from the source's (right)");
}

/// One naming rule: views live in `pages` (a file or a folder), tables in `store`; a `page.rs`
/// or a `stores.rs` would fall outside the layer rules above.
#[test]
fn pages_and_stores_follow_one_naming_rule() {
    let source = Source::read();
    let odd: Vec<&String> = source
        .files
        .keys()
        .filter(|m| m.split("::").any(|p| matches!(p, "page" | "stores" | "views" | "storage")))
        .collect();
    assert!(odd.is_empty(), "name these `pages` or `store`: {odd:?}");
}
