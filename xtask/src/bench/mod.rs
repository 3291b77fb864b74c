//! `cargo xtask bench`: measures rh side by side with what users would pick instead, and writes BENCHMARKS.md.
//!
//! `cargo xtask bench [--quick] [--no-build] [--max-runs N] [--py-runs N] [--blob-mib N] [SECTION…]`
//!
//! Every section runs in one process, one after the other, on the same machine; each has its own module with
//! one `run(&mut Bench)` that adds rows. The header records the machine (CPU, cores, RAM, rustc, date) and the
//! load average at start and end. Only a full run (every section, no `--quick`, no caps) rewrites BENCHMARKS.md;
//! any other run prints its rows and writes `target/bench/BENCHMARKS-partial.md`.
//!
//! The services the sections need (OpenBao, PostgreSQL; the storage section starts its own) come from
//! `.ci/services.sh`: ones already running are reused, the ones started here are stopped at the end.
//! Speed targets live here, never in tests. The bench never runs in CI.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod python;
mod rns;
mod runhouse;
mod secrets;
pub(crate) mod server;
mod storage;

/// The sections, in the order they run, with their heading in BENCHMARKS.md.
const SECTIONS: [(&str, &str); 7] = [
    ("cli", "CLI start-up"),
    ("runhouse", "rh vs Runhouse 0.0.7 (Python 3.10)"),
    ("secrets", "Secrets, local and in Vault"),
    ("rns", "Local RNS"),
    ("server", "rh-server vs OpenBao KV v2"),
    ("server-writes", "rh-server writes vs OpenBao KV v2 PUT"),
    ("storage", "Blobs per backend vs awscli"),
];

/// Set in the child the services wrapper starts, so it does not wrap itself again.
const INNER: &str = "RH_BENCH_INNER";

/// One measured figure.
pub(crate) struct Row {
    pub(crate) area: &'static str,
    pub(crate) what: String,
    pub(crate) value: String,
    pub(crate) note: String,
}

/// What the command line asked for.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    /// Cap every run count at 5, Python runs at 1 and the blob size at 64 MiB.
    pub(crate) quick: bool,
    /// Cap on the runs of every whole-process figure.
    pub(crate) max_runs: Option<usize>,
    /// Runs of each Runhouse (Python) figure; default 3.
    pub(crate) py_runs: Option<usize>,
    /// Blob size of the storage section, in MiB (default: the section's own, 1 GiB).
    pub(crate) blob_mib: Option<u64>,
    /// The sections to run; empty is all.
    pub(crate) sections: Vec<String>,
    /// Use the release binaries already built (`cargo build --release --bins`).
    pub(crate) no_build: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self> {
        let mut o = Self::default();
        let mut it = args.iter();
        let number = |flag: &str, v: Option<&String>| -> Result<u64> {
            v.with_context(|| format!("{flag} takes a number"))?
                .parse()
                .with_context(|| format!("{flag} takes a number"))
        };
        while let Some(a) = it.next() {
            match a.as_str() {
                "--quick" => o.quick = true,
                "--no-build" => o.no_build = true,
                "--max-runs" => o.max_runs = Some(usize::try_from(number(a, it.next())?)?),
                "--py-runs" => o.py_runs = Some(usize::try_from(number(a, it.next())?)?),
                "--blob-mib" => o.blob_mib = Some(number(a, it.next())?),
                s if SECTIONS.iter().any(|(n, _)| *n == s) => o.sections.push(s.to_owned()),
                other => bail!(
                    "unknown bench argument {other:?}; sections: {}; flags: --quick, --no-build, --max-runs N, --py-runs N, --blob-mib N",
                    SECTIONS.map(|(n, _)| n).join(", ")
                ),
            }
        }
        if o.quick {
            o.max_runs = Some(o.max_runs.unwrap_or(5).min(5));
            o.py_runs = Some(o.py_runs.unwrap_or(1));
            o.blob_mib = Some(o.blob_mib.unwrap_or(64));
        }
        Ok(o)
    }

    /// Every section, nothing capped: the only kind of run that writes BENCHMARKS.md.
    fn full(&self) -> bool {
        !self.quick
            && self.max_runs.is_none()
            && self.py_runs.is_none()
            && self.blob_mib.is_none()
            && self.sections.is_empty()
    }

    fn wants(&self, section: &str) -> bool {
        self.sections.is_empty() || self.sections.iter().any(|s| s == section)
    }

    fn to_args(&self) -> Vec<String> {
        let mut a = Vec::new();
        if self.quick {
            a.push("--quick".to_owned());
        }
        if self.no_build {
            a.push("--no-build".to_owned());
        }
        for (flag, v) in [
            ("--max-runs", self.max_runs.map(|v| v as u64)),
            ("--py-runs", self.py_runs.map(|v| v as u64)),
            ("--blob-mib", self.blob_mib),
        ] {
            if let Some(v) = v {
                a.push(flag.to_owned());
                a.push(v.to_string());
            }
        }
        a.extend(self.sections.iter().cloned());
        a
    }
}

/// Collects rows and knows where the release binaries are.
pub(crate) struct Bench {
    pub(crate) root: PathBuf,
    pub(crate) rows: Vec<Row>,
    pub(crate) options: Options,
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
            "{} (min {}, max {}); peak RSS {:.1} MiB",
            human(self.median),
            human(self.min),
            human(self.max),
            self.peak_rss_kib as f64 / 1024.0
        )
    }

    /// Median, min and max of `times` (not empty).
    pub(crate) fn from_times(mut times: Vec<Duration>, peak_rss_kib: u64) -> Self {
        times.sort();
        Self {
            median: times[times.len() / 2],
            min: times[0],
            max: times[times.len() - 1],
            peak_rss_kib,
        }
    }
}

/// `12.3 ms` below ten seconds, `12.3 s` above.
pub(crate) fn human(d: Duration) -> String {
    if d.as_secs() >= 10 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", ms(d))
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One timed process: its wall time, peak RSS and output.
pub(crate) struct Timed {
    pub(crate) took: Duration,
    pub(crate) rss_kib: u64,
    pub(crate) output: Output,
}

/// `inner` (program, arguments and environment changes) run by `/usr/bin/time -f format`.
pub(crate) fn under_time(inner: &Command, format: &str) -> Command {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg(format)
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd
}

/// Runs `inner` once under `/usr/bin/time -f %M` (which reports the child's `ru_maxrss` from wait4); fails on
/// a non-zero exit.
pub(crate) fn time_once(inner: &Command) -> Result<Timed> {
    let mut cmd = under_time(inner, "RHBENCH_RSS=%M");
    if let Some(dir) = inner.get_current_dir() {
        cmd.current_dir(dir);
    }
    let start = Instant::now();
    let out = cmd.output().context("cannot run /usr/bin/time")?;
    let took = start.elapsed();
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = err.lines().rev().take(8).collect();
        bail!(
            "benchmarked command `{}` failed: {}",
            inner.get_program().to_string_lossy(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let rss_kib = err
        .lines()
        .find_map(|l| l.strip_prefix("RHBENCH_RSS="))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Ok(Timed {
        took,
        rss_kib,
        output: out,
    })
}

impl Bench {
    /// `target/release/NAME`.
    pub(crate) fn bin(&self, name: &str) -> PathBuf {
        self.root.join("target/release").join(name)
    }

    /// `wanted` runs, capped by `--max-runs`/`--quick`.
    pub(crate) fn runs(&self, wanted: usize) -> usize {
        self.options
            .max_runs
            .map_or(wanted, |cap| wanted.min(cap))
            .max(1)
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

    /// Runs `make()` `runs` times (capped by the options, after one warm-up) under `/usr/bin/time` and reports
    /// wall time and peak RSS.
    pub(crate) fn measure(&self, runs: usize, make: impl Fn() -> Command) -> Result<ProcStats> {
        self.measure_with(self.runs(runs), true, make)
    }

    /// Exactly `runs` runs, after one warm-up run if `warm_up`.
    pub(crate) fn measure_with(
        &self,
        runs: usize,
        warm_up: bool,
        make: impl Fn() -> Command,
    ) -> Result<ProcStats> {
        let mut times = Vec::with_capacity(runs);
        let mut peak = 0;
        if warm_up {
            time_once(&make())?;
        }
        for _ in 0..runs.max(1) {
            let t = time_once(&make())?;
            times.push(t.took);
            peak = peak.max(t.rss_kib);
        }
        Ok(ProcStats::from_times(times, peak))
    }
}

/// `cargo xtask bench ARGS`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let options = Options::parse(args)?;
    if inner_env().is_none() {
        return with_services(root, &options);
    }
    let mut bench = Bench {
        root: root.to_path_buf(),
        rows: Vec::new(),
        options: options.clone(),
    };
    let started = Instant::now();
    let machine = machine();
    let load_start = loadavg();
    eprintln!("[bench] {machine}; load average at start {load_start}");
    let mut timings = Vec::new();
    let mut failed = Vec::new();
    for (name, _) in SECTIONS {
        if !options.wants(name) {
            continue;
        }
        eprintln!("[bench] == section {name}");
        let t = Instant::now();
        let result = match name {
            "cli" => cli_startup(&mut bench),
            "runhouse" => runhouse::run(&mut bench),
            "secrets" => secrets::run(&mut bench),
            "rns" => rns::run(&mut bench),
            "server" => server::run(&mut bench),
            "server-writes" => server::run_writes(&mut bench),
            "storage" => storage::run(&mut bench),
            _ => unreachable!("SECTIONS lists every section"),
        };
        let took = t.elapsed();
        eprintln!("[bench] == section {name} took {:.0} s", took.as_secs_f64());
        if let Err(e) = result {
            eprintln!("[bench] section {name} FAILED: {e:#}");
            failed.push(format!("{name}: {e:#}"));
        }
        timings.push((name, took));
        // After every section, so a long run that is stopped still leaves what it measured.
        let so_far = render(
            &bench,
            &machine,
            &load_start,
            &format!("{} (section {name} done)", loadavg()),
            &timings,
            started.elapsed(),
            &failed,
        );
        let dir = root.join("target/bench");
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join("BENCHMARKS-partial.md"), so_far)?;
    }
    let load_end = loadavg();
    let total = started.elapsed();
    let md = render(
        &bench,
        &machine,
        &load_start,
        &load_end,
        &timings,
        total,
        &failed,
    );
    let full = options.full() && failed.is_empty();
    let path = if full {
        root.join("BENCHMARKS.md")
    } else {
        let dir = root.join("target/bench");
        std::fs::create_dir_all(&dir)?;
        dir.join("BENCHMARKS-partial.md")
    };
    std::fs::write(&path, md)?;
    eprintln!(
        "[bench] the whole bench took {:.0} s; wrote {}",
        total.as_secs_f64(),
        path.display()
    );
    if !failed.is_empty() {
        bail!("{} section(s) failed: {}", failed.len(), failed.join("; "));
    }
    Ok(())
}

#[expect(clippy::disallowed_methods, reason = "the bench's own marker variable")]
fn inner_env() -> Option<String> {
    std::env::var(INNER).ok()
}

/// Builds the release binaries, starts the services the chosen sections need from `.ci/services.sh` (reusing
/// running ones), runs the bench in a child with their environment, and stops only what it started.
fn with_services(root: &Path, options: &Options) -> Result<()> {
    if !options.no_build {
        crate::build_release()?;
    }
    let mut starts = Vec::new();
    if options.wants("secrets") || options.wants("server") || options.wants("server-writes") {
        starts.push("start_vault >/dev/null");
    }
    if options.wants("server") || options.wants("server-writes") {
        starts.push("start_postgres >/dev/null");
    }
    if options.wants("runhouse") {
        // The Python package's half: maturin for its wheel, S3 for its 1 GiB blob.
        starts.push("start_python_pkg >/dev/null");
        starts.push("start_s3 >/dev/null");
    }
    let me = std::env::current_exe().context("cannot find the xtask binary")?;
    let script = format!(
        "set -uo pipefail\n. .ci/services.sh\ntrap stop_services EXIT\nset -e\n{}\nset +e\n\"$0\" bench \"$@\"\n",
        starts.join("\n")
    );
    let mut cmd = Command::new("bash");
    cmd.arg("-c")
        .arg(script)
        .arg(&me)
        .args(options.to_args())
        .current_dir(root)
        .env(INNER, "1");
    if let Some(mib) = options.blob_mib {
        cmd.env("RH_BENCH_STORAGE_MIB", mib.to_string());
    }
    let status = cmd.status().context("cannot run bash")?;
    if !status.success() {
        bail!("the bench failed ({status})");
    }
    Ok(())
}

fn render(
    bench: &Bench,
    machine: &str,
    load_start: &str,
    load_end: &str,
    timings: &[(&str, Duration)],
    total: Duration,
    failed: &[String],
) -> String {
    let mut md = String::from("# Benchmarks\n\n");
    md.push_str(
        "Written by `cargo xtask bench`: every figure below comes from one run of it, section after section, on \
         one machine. Whole-process figures are the median of several runs after one warm-up, with min and max; \
         peak RSS is the largest `ru_maxrss` of those runs (`/usr/bin/time -f %M`). Ratios are the peer's median \
         over rh's (above 1: rh is faster).\n\n",
    );
    let _ = writeln!(md, "- Machine: {machine}");
    let _ = writeln!(
        md,
        "- Load average (1, 5, 15 min) at start: {load_start}; at end: {load_end}. Other builds shared the \
         machine when the load is above the core count, which inflates wall times (not RSS or request counts)."
    );
    let _ = writeln!(md, "- Date: {}", date());
    let _ = writeln!(
        md,
        "- The whole bench took {:.0} s ({}).",
        total.as_secs_f64(),
        timings
            .iter()
            .map(|(n, t)| format!("{n} {:.0} s", t.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if !bench.options.full() {
        let _ = writeln!(
            md,
            "- Partial run: `cargo xtask bench {}`.",
            bench.options.to_args().join(" ")
        );
    }
    for f in failed {
        let _ = writeln!(md, "- FAILED: {f}");
    }
    for (name, title) in SECTIONS {
        let rows: Vec<&Row> = bench.rows.iter().filter(|r| r.area == name).collect();
        let Some((_, took)) = timings.iter().find(|(n, _)| *n == name) else {
            continue;
        };
        let _ = writeln!(
            md,
            "\n## {title}\n\nSection `{name}`, {:.0} s.\n\n| what | result | note |\n|---|---|---|",
            took.as_secs_f64()
        );
        for r in rows {
            let _ = writeln!(md, "| {} | {} | {} |", r.what, r.value, r.note);
        }
    }
    md
}

/// CPU model, cores, RAM, kernel and rustc.
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
    let ram_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0.0, |kib| kib as f64 / 1024.0 / 1024.0);
    let text = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default()
    };
    format!(
        "{cpu}, {cores} cores, {ram_gib:.1} GiB RAM, Linux {}, {}",
        text("uname", &["-r"]),
        text("rustc", &["--version"])
    )
}

pub(crate) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

fn date() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// Whole-process time and peak RSS of the cheapest commands: the floor every other figure stands on.
fn cli_startup(bench: &mut Bench) -> Result<()> {
    let home = tempfile_dir("startup")?;
    let rh = bench.bin("rh");
    let runs = bench.runs(30);
    for args in [&["--version"][..], &["config", "get", "default_provider"]] {
        let stats = bench.measure(runs, || {
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
            format!("{runs} runs, empty home"),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn only_a_plain_run_is_full() {
        assert!(Options::parse(&[]).unwrap().full());
        let quick = Options::parse(&args(&["--quick"])).unwrap();
        assert!(!quick.full());
        assert_eq!(
            (quick.max_runs, quick.py_runs, quick.blob_mib),
            (Some(5), Some(1), Some(64))
        );
        let some = Options::parse(&args(&["runhouse", "cli"])).unwrap();
        assert!(!some.full() && some.wants("cli") && !some.wants("storage"));
        assert_eq!(some.to_args(), args(&["runhouse", "cli"]));
        assert!(Options::parse(&args(&["nope"])).is_err());
        assert!(Options::parse(&args(&["--py-runs"])).is_err());
    }

    #[test]
    fn stats_take_the_median() {
        let s = ProcStats::from_times([3, 1, 2].map(Duration::from_millis).to_vec(), 7);
        assert_eq!(
            (s.median, s.min, s.max),
            (
                Duration::from_millis(2),
                Duration::from_millis(1),
                Duration::from_millis(3),
            )
        );
    }
}
