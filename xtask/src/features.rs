//! `cargo xtask features`: every library crate checked (clippy, `-D warnings`) with no default features and with each of its
//! features alone, so code behind `cfg(feature = …)` and `cfg(not(feature = …))` is compiled in CI.
//!
//! A small loop over `cargo clippy` rather than `cargo hack`, so CI installs nothing more. The features are read
//! from each crate's own `[features]` table; a crate without one is checked once with no default features.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result};

/// The library crates: everything a user may depend on by itself (front ends and test harnesses are built by
/// the workspace build with their one feature set).
pub(crate) const LIBRARIES: &[&str] = &[
    "rh-config",
    "rh-wire",
    "rh-secrets",
    "rh-rns",
    "rh-resources",
    "rh-storage",
    "rh-ops",
];

/// Checks each library with `--no-default-features`, then with each feature alone, warnings denied.
pub(crate) fn run(root: &Path) -> Result<()> {
    let mut runs = 0;
    for krate in LIBRARIES {
        let manifest = root.join("crates").join(krate).join("Cargo.toml");
        let text = std::fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        let mut sets: Vec<Option<String>> = vec![None];
        sets.extend(features(&text).into_iter().map(Some));
        for set in sets {
            let mut cmd = Command::new("cargo");
            cmd.args(["clippy", "--quiet", "-p", krate, "--no-default-features"]);
            if let Some(f) = &set {
                cmd.args(["--features", f]);
            }
            // Warnings fail the build, as in `cargo xtask clippy`: an unused item behind a feature is a defect.
            cmd.args(["--", "-D", "warnings"]);
            crate::run(&mut cmd)?;
            runs += 1;
        }
    }
    eprintln!(
        "features: {runs} builds of {} library crates passed",
        LIBRARIES.len()
    );
    Ok(())
}

/// The names in a manifest's `[features]` table, `default` left out.
fn features(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut inside = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[features]";
            continue;
        }
        if !inside || line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some((name, _)) = line.split_once('=') {
            let name = name.trim();
            if name != "default" && !name.is_empty() {
                names.push(name.to_owned());
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_features_table_only() {
        let manifest = "[package]\nname = \"x\"\n\n[features]\ndefault = [\"a\"]\n# doc\na = []\n## doc\nb = [\"dep:c\"]\n\n[dependencies]\nc = \"1\"\n";
        assert_eq!(features(manifest), ["a", "b"]);
        assert!(features("[package]\nname = \"x\"\n").is_empty());
    }

    #[test]
    fn every_library_crate_exists() {
        let root = crate::project_root();
        for krate in LIBRARIES {
            assert!(
                root.join("crates").join(krate).join("Cargo.toml").is_file(),
                "{krate}"
            );
        }
    }
}
