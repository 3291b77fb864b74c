//! `cargo xtask bench`: measures rh side by side with what users would pick instead, and writes BENCHMARKS.md.
//!
//! Each area has its own module with one `run(&mut Bench)` that adds rows. Speed targets live here, never in
//! tests. The bench never runs in CI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod rns;
mod secrets;
mod server;
mod storage;

/// One measured figure.
pub(crate) struct Row {
    pub(crate) area: &'static str,
    pub(crate) what: String,
    pub(crate) value: String,
    pub(crate) note: String,
}

/// Collects rows and knows where the release binaries are.
pub(crate) struct Bench {
    pub(crate) root: PathBuf,
    pub(crate) rows: Vec<Row>,
}

/// Wall time (median, min, max over runs) and peak RSS of a whole process.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProcStats {
    pub(crate) median: Duration,
    pub(crate) min: Duration,
    pub(crate) max: Duration,
    pub(crate) peak_rss_kib: u64,
}

impl ProcStats {
    pub(crate) fn summary(&self) -> String {
        format!(
            "{:.1} ms (min {:.1}, max {:.1}); peak RSS {:.1} MiB",
            ms(self.median),
            ms(self.min),
            ms(self.max),
            self.peak_rss_kib as f64 / 1024.0
        )
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

impl Bench {
    /// `target/release/NAME`.
    pub(crate) fn bin(&self, name: &str) -> PathBuf {
        self.root.join("target/release").join(name)
    }

    pub(crate) fn row(
        &mut self,
        area: &'static str,
        what: impl Into<String>,
        value: impl Into<String>,
        note: impl Into<String>,
    ) {
        let row = Row {
            area,
            what: what.into(),
            value: value.into(),
            note: note.into(),
        };
        eprintln!(
            "[bench] {} / {}: {} {}",
            row.area, row.what, row.value, row.note
        );
        self.rows.push(row);
    }

    /// Runs `make()` `runs` times (after one warm-up) under `/usr/bin/time -f %M` and reports wall time and peak RSS.
    pub(crate) fn measure(&self, runs: usize, make: impl Fn() -> Command) -> Result<ProcStats> {
        let mut times = Vec::with_capacity(runs);
        let mut peak = 0;
        for i in 0..=runs {
            let inner = make();
            let mut cmd = Command::new("/usr/bin/time");
            cmd.arg("-f")
                .arg("RHBENCH_RSS=%M")
                .arg(inner.get_program())
                .args(inner.get_args());
            for (k, v) in inner.get_envs() {
                match v {
                    Some(v) => cmd.env(k, v),
                    None => cmd.env_remove(k),
                };
            }
            if let Some(dir) = inner.get_current_dir() {
                cmd.current_dir(dir);
            }
            let start = Instant::now();
            let out = cmd.output().context("cannot run /usr/bin/time")?;
            let took = start.elapsed();
            if !out.status.success() {
                bail!(
                    "benchmarked command failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
            let err = String::from_utf8_lossy(&out.stderr);
            let rss = err
                .lines()
                .find_map(|l| l.strip_prefix("RHBENCH_RSS="))
                .and_then(|v| v.trim().parse::<u64>().ok())
                .unwrap_or(0);
            if i > 0 {
                times.push(took);
                peak = peak.max(rss);
            }
        }
        times.sort();
        Ok(ProcStats {
            median: times[times.len() / 2],
            min: times[0],
            max: times[times.len() - 1],
            peak_rss_kib: peak,
        })
    }
}

pub(crate) fn run(root: &Path) -> Result<()> {
    crate::run(Command::new("cargo").args(["build", "--release", "--bins"]))?;
    let mut bench = Bench {
        root: root.to_path_buf(),
        rows: Vec::new(),
    };
    let started = Instant::now();
    cli_startup(&mut bench)?;
    secrets::run(&mut bench)?;
    rns::run(&mut bench)?;
    server::run(&mut bench)?;
    storage::run(&mut bench)?;
    let mut md = String::from(
        "# Benchmarks\n\nWritten by `cargo xtask bench`; every figure below is from one run on one machine.\n\n",
    );
    let _ = writeln!(md, "Machine: {}\n", machine());
    md.push_str("| area | what | result | note |\n|---|---|---|---|\n");
    for r in &bench.rows {
        let _ = writeln!(md, "| {} | {} | {} | {} |", r.area, r.what, r.value, r.note);
    }
    let _ = writeln!(
        md,
        "\nThe whole bench took {:.0} s.",
        started.elapsed().as_secs_f64()
    );
    std::fs::write(root.join("BENCHMARKS.md"), md)?;
    eprintln!("wrote BENCHMARKS.md");
    Ok(())
}

/// `cargo xtask bench server`: only the rh-server rows, printed; BENCHMARKS.md is left as it is.
pub(crate) fn run_server(root: &Path) -> Result<()> {
    // With the example in the same command, so features unify as in `server::run`'s build (no second rebuild).
    crate::run(Command::new("cargo").args([
        "build",
        "--release",
        "-p",
        "rh-server",
        "--bin",
        "rh-server",
        "--example",
        "loadgen",
    ]))?;
    let mut bench = Bench {
        root: root.to_path_buf(),
        rows: Vec::new(),
    };
    server::run(&mut bench)?;
    for r in &bench.rows {
        println!("| {} | {} | {} | {} |", r.area, r.what, r.value, r.note);
    }
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, std::num::NonZero::get);
    let rustc = Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {rustc}")
}

/// Whole-process time and peak RSS of the cheapest commands: the floor every other figure stands on.
fn cli_startup(bench: &mut Bench) -> Result<()> {
    let home = tempfile_dir("startup")?;
    let rh = bench.bin("rh");
    for args in [&["--version"][..], &["config", "get", "default_provider"]] {
        let stats = bench.measure(30, || {
            let mut c = Command::new(&rh);
            c.args(args)
                .env("HOME", &home)
                .env("RH_CONFIG_DIR", home.join(".rh"));
            c
        })?;
        bench.row(
            "cli",
            format!("`rh {}` cold start", args.join(" ")),
            stats.summary(),
            "30 runs",
        );
    }
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}

/// A fresh directory under the system temp dir.
pub(crate) fn tempfile_dir(tag: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("rh-bench-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
