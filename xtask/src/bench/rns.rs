//! Benchmarks of the rns area: loading one local resource, and listing 10,000 of them.
//!
//! Measured on a generated working dir (`rh/f00/r000` … `rh/f99/r099`, tutorial-shaped cluster configs,
//! no git), with `RH_WORKDIR` pointing at it:
//! - in-process load latency: the hidden `rh resource bench-load` times N loads + typed parses in one
//!   process (the file read, JSON parse and dispatch; no process start-up);
//! - `rh resource show` and `rh resource ls --recursive` as whole processes (start-up included).

use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::{Bench, ms, tempfile_dir};

const FOLDERS: usize = 100;
const PER_FOLDER: usize = 100;

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    let dir = tempfile_dir("rns")?;
    let home = dir.join("home");
    let work = dir.join("work");
    std::fs::create_dir_all(&home)?;
    generate(&work)?;
    let rh = bench.bin("rh");
    let cmd = |args: &[&str]| {
        let mut c = Command::new(&rh);
        c.args(args)
            .env_clear()
            .env("HOME", &home)
            .env("RH_CONFIG_DIR", home.join(".rh"))
            .env("RH_WORKDIR", &work)
            .env("RUST_LOG", "warn");
        c
    };

    let iterations = 2000;
    let out = cmd(&[
        "resource",
        "bench-load",
        "~/f42/r042",
        "--iterations",
        &iterations.to_string(),
    ])
    .output()
    .context("run rh resource bench-load")?;
    if !out.status.success() {
        bail!(
            "bench-load failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let per_load = field(&text, "per_load_us").context("bench-load printed no per_load_us")?;
    bench.row(
        "rns",
        "load one local resource, in process",
        format!("{per_load:.1} µs per load"),
        format!("{iterations} loads of `~/f42/r042` (read config.json, parse, type it)"),
    );

    let stats = bench.measure(20, || cmd(&["resource", "show", "~/f42/r042", "--json"]))?;
    bench.row(
        "rns",
        "`rh resource show ~/x --json` (whole process)",
        stats.summary(),
        "20 runs, 10,000 resources in the working dir",
    );

    let stats = bench.measure(5, || cmd(&["resource", "ls", "--recursive"]))?;
    bench.row(
        "rns",
        "`rh resource ls --recursive` over 10,000 resources",
        stats.summary(),
        format!(
            "5 runs; {FOLDERS} folders × {PER_FOLDER}, every config.json read and parsed; {:.1} µs per resource",
            ms(stats.median) * 1000.0 / (FOLDERS * PER_FOLDER) as f64
        ),
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Writes `FOLDERS × PER_FOLDER` tutorial-shaped configs under `work/rh/`.
fn generate(work: &Path) -> Result<()> {
    for f in 0..FOLDERS {
        for r in 0..PER_FOLDER {
            let dir = work.join(format!("rh/f{f:02}/r{r:03}"));
            std::fs::create_dir_all(&dir)?;
            let config = format!(
                "{{\n    \"name\": \"~/f{f:02}/r{r:03}\",\n    \"resource_type\": \"cluster\",\n    \"resource_subtype\": \"OnDemandCluster\",\n    \"instance_type\": \"V100:1\",\n    \"num_instances\": null,\n    \"provider\": \"aws\",\n    \"autostop_mins\": 30,\n    \"use_spot\": false,\n    \"image_id\": null,\n    \"region\": null,\n    \"sky_state\": null\n}}"
            );
            std::fs::write(dir.join("config.json"), config)?;
        }
    }
    Ok(())
}

/// The number after `"key":` in a small JSON text (xtask has no JSON dependency).
fn field(text: &str, key: &str) -> Option<f64> {
    let rest = &text[text.find(&format!("\"{key}\""))? + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == 'e' || c == '-' || c == '+'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}
