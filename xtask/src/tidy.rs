//! Tidy: the source rules a reviewer would otherwise check by hand, as rust-analyzer's `tidy` test does.
//!
//! Every Rust file opens with a `//!` module doc; no debugging or placeholder macro and no ignored test is
//! committed; no crate root silences `dead_code` for the whole crate; the product reads environment variables
//! only by the names listed in `rh_config::EnvVars`. Doc lines on public items are the `missing_docs` lint's:
//! the workspace turns it on and every crate takes the workspace's lints ([`lints_gaps`]).
//! Runs as a unit test of xtask, so `cargo test --workspace` checks it.

use std::path::{Path, PathBuf};

/// Where the process environment is read; everything else asks an `rh_config::Env` by an `EnvVars` name.
const ENV_OWNER: &str = "crates/rh-config/src/env.rs";

/// What the tidy rules find in one file (path relative to the workspace root, its text).
fn check(rel: &str, text: &str) -> Vec<String> {
    let mut bad = Vec::new();
    if !text.starts_with("//!") {
        bad.push(format!("{rel}: does not start with a //! module doc"));
    }
    // Built from pieces so this file does not match itself.
    let banned = [
        concat!("dbg", "!("),
        concat!("todo", "!("),
        concat!("unimplemented", "!("),
        concat!("#[", "ignore"),
    ];
    for (n, line) in text.lines().enumerate() {
        for needle in banned {
            if line.contains(needle) {
                bad.push(format!("{rel}:{}: contains `{needle}`", n + 1));
            }
        }
    }
    let root = rel.ends_with("/lib.rs") || rel.ends_with("/main.rs");
    if root
        && inner_attributes(text)
            .iter()
            .any(|a| a.contains("dead_code"))
    {
        bad.push(format!(
            "{rel}: allows dead_code for the whole crate (scope it to the item, or cfg the item out)"
        ));
    }
    if product(rel) && rel != ENV_OWNER {
        let reads = [
            ".var(\"",
            ".non_empty(\"",
            "var_os(\"",
            concat!("env::", "var(\""),
        ];
        for (n, line) in text.lines().enumerate() {
            if reads.iter().any(|r| line.contains(r)) {
                bad.push(format!(
                    "{rel}:{}: reads an environment variable by a literal name; add it to rh_config::EnvVars",
                    n + 1
                ));
            }
        }
    }
    bad.extend(causes_said_twice(rel, text));
    bad
}

/// thiserror variants whose message prints the cause that `source()` also returns (`{source}`, the `#[source]`
/// field's name, or `{0}` when the first tuple field is `#[from]`/`#[source]`): the chain would say it twice.
fn causes_said_twice(rel: &str, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut bad = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let Some(at) = line.find("#[error(") else {
            continue;
        };
        let message = &line[at..];
        // The variant: up to the next variant's attribute or the end of the enum.
        let mut variant = String::new();
        for next in &lines[n + 1..] {
            if next.contains("#[error(") || next.trim_end() == "}" {
                break;
            }
            variant.push_str(next.trim());
            variant.push(' ');
        }
        // thiserror takes a field named `source` as the source even without the attribute.
        let mut fields = Vec::new();
        if variant.contains("source:") {
            fields.push("source".to_owned());
        }
        for marker in ["#[source]", "#[from]"] {
            let mut rest = variant.as_str();
            while let Some(i) = rest.find(marker) {
                let before = rest[..i].trim_end();
                let after = rest[i + marker.len()..].trim_start();
                if before.ends_with('(') {
                    fields.push("0".to_owned());
                } else if let Some((name, _)) = after.split_once(':') {
                    fields.push(name.trim().to_owned());
                }
                rest = &rest[i + marker.len()..];
            }
        }
        if fields
            .iter()
            .any(|f| message.contains(&format!("{{{f}}}")) || message.contains(&format!("{{{f}:")))
        {
            bad.push(format!(
                "{rel}:{}: the message prints its #[source] (say this layer only; the chain adds the cause)",
                n + 1
            ));
        }
    }
    bad
}

/// Product code: a crate's `src/`, not its tests, and not the dev-only harness.
fn product(rel: &str) -> bool {
    rel.starts_with("crates/") && rel.contains("/src/") && !rel.starts_with("crates/rh-test/")
}

/// The text of each `#![…]` attribute at the top of a file.
fn inner_attributes(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("#![") {
        let after = &rest[start + 3..];
        let mut depth = 1usize;
        let mut end = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i;
                        break;
                    }
                }
                _ => {}
            }
        }
        found.push(&after[..end]);
        rest = &after[end..];
    }
    found
}

/// Every `.rs` file of the workspace's crates, xtask and fuzz targets, relative to `root`.
fn rust_files(root: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![root.join("crates"), root.join("xtask"), root.join("fuzz")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("read a directory entry").path();
            if path.is_dir() {
                let skip = ["target", "snapshots", "corpus", "artifacts", ".venv"];
                if !skip.iter().any(|s| path.ends_with(s)) {
                    stack.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// What keeps the lints from applying everywhere: the workspace manifest without `missing_docs`, or a crate
/// manifest (path, text) without `[lints] workspace = true`.
fn lints_gaps(workspace: &str, crates: &[(String, String)]) -> Vec<String> {
    let mut gaps = Vec::new();
    if !workspace.contains("\nmissing_docs = \"warn\"") {
        gaps.push("Cargo.toml: [workspace.lints.rust] lacks missing_docs = \"warn\"".to_owned());
    }
    for (path, text) in crates {
        if !text.contains("[lints]\nworkspace = true") {
            gaps.push(format!("{path}: no `[lints] workspace = true`"));
        }
    }
    gaps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_is_tidy() {
        let root = crate::project_root();
        let mut bad = Vec::new();
        let files = rust_files(&root);
        assert!(files.len() > 100, "found only {} files", files.len());
        for path in files {
            let rel = path
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            bad.extend(check(&rel, &text));
        }
        assert!(bad.is_empty(), "tidy found:\n{}", bad.join("\n"));
    }

    #[test]
    fn every_crate_takes_the_workspace_lints_with_missing_docs() {
        let root = crate::project_root();
        let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        let mut crates = Vec::new();
        for dir in ["crates", "."] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let manifest = entry.unwrap().path().join("Cargo.toml");
                let rel = manifest.strip_prefix(&root).unwrap().display().to_string();
                if dir == "." && rel != "xtask/Cargo.toml" {
                    continue;
                }
                if let Ok(text) = std::fs::read_to_string(&manifest) {
                    crates.push((rel, text));
                }
            }
        }
        assert!(crates.len() >= 12, "found {} manifests", crates.len());
        let gaps = lints_gaps(&workspace, &crates);
        assert!(gaps.is_empty(), "{}", gaps.join("\n"));
        // And the rule finds what it is for.
        let bare = vec![("crates/x/Cargo.toml".to_owned(), "[package]\n".to_owned())];
        assert_eq!(lints_gaps("[workspace]\n", &bare).len(), 2);
    }

    #[test]
    fn each_rule_finds_what_it_is_for() {
        let lib = "crates/rh-x/src/lib.rs";
        assert!(check(lib, "//! Doc.\nfn f() {}\n").is_empty());
        assert_eq!(check(lib, "fn f() {}\n").len(), 1);
        let macros = format!("//! Doc.\nfn f() {{ {}1); }}\n", concat!("dbg", "!("));
        assert_eq!(check(lib, &macros).len(), 1);
        let ignored = format!("//! Doc.\n{}]\nfn t() {{}}\n", concat!("#[", "ignore"));
        assert_eq!(check(lib, &ignored).len(), 1);
        let dead = "//! Doc.\n#![cfg_attr(not(feature = \"s3\"), allow(dead_code))]\n";
        assert_eq!(check(lib, dead).len(), 1);
        assert!(
            check("crates/rh-x/src/other.rs", dead).is_empty(),
            "only crate roots"
        );
        let env = "//! Doc.\nfn f(e: &dyn Env) { e.non_empty(\"SSL_CERT_FILE\"); }\n";
        assert_eq!(check("crates/rh-x/src/client.rs", env).len(), 1);
        assert!(check("crates/rh-x/tests/it/main.rs", env).is_empty());
        assert!(check(ENV_OWNER, env).is_empty());
    }

    #[test]
    fn a_message_that_prints_its_source_is_found() {
        let twice = "//! Doc.\nenum E {\n    #[error(\"cannot read {path}: {source}\")]\n    Read {\n        path: String,\n        #[source]\n        source: std::io::Error,\n    },\n    #[error(\"bad: {0}\")]\n    Bad(#[from] std::fmt::Error),\n    #[error(\"gone: {cause}\")]\n    Gone {\n        #[source]\n        cause: std::io::Error,\n    },\n}\n";
        assert_eq!(
            causes_said_twice("e.rs", twice).len(),
            3,
            "{:?}",
            causes_said_twice("e.rs", twice)
        );
        let once = "//! Doc.\nenum E {\n    #[error(\"cannot read {path}\")]\n    Read {\n        path: String,\n        #[source]\n        source: std::io::Error,\n    },\n    #[error(\"{0} is not a name\")]\n    Name(String, #[source] std::fmt::Error),\n    #[error(transparent)]\n    Io(#[from] std::io::Error),\n}\n";
        assert!(
            causes_said_twice("e.rs", once).is_empty(),
            "{:?}",
            causes_said_twice("e.rs", once)
        );
    }

    #[test]
    fn inner_attributes_nest() {
        let text = "//! Doc.\n#![allow(a, reason = \"[x]\")]\n#![cfg_attr(x, allow(dead_code))]\n";
        assert_eq!(
            inner_attributes(text),
            [
                "allow(a, reason = \"[x]\")",
                "cfg_attr(x, allow(dead_code))"
            ]
        );
    }
}
