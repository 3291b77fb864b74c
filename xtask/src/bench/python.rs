//! The Python package (`import rh`, crates/rh-py) next to Runhouse 0.0.7, in the `runhouse` section's run.
//!
//! The release wheel is built with maturin (`RH_TEST_MATURIN`, from `.ci/services.sh`'s `start_python_pkg`) and
//! installed into `target/bench/rh-py-venv`, made from the same Python as the Runhouse venv, so both packages
//! run on one interpreter. Three figures, each against its target from issue 16:
//!
//! - `python -c 'import rh'` against `python -c 'import runhouse'`: ≤ 30 ms, ≥ 50× faster, ≤ 25 MiB peak RSS.
//! - The tutorial's 11 local steps in one Python process, `import rh` against Runhouse's one process, from an
//!   empty HOME each run and checked afterwards exactly as Runhouse's runs are: ≥ 20× faster.
//! - A 1 GiB `rh.blob(data, name="~/big_py", system="s3", path=…).write()` against `rh blob write` of the same file to the same
//!   S3 server: throughput and peak RSS within 10 %. The Python process holds the 1 GiB `bytes` it writes, so
//!   its RSS is also shown net of a control process that only reads the file into `bytes`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::runhouse::{PY_STEPS, clean, ratios, sequence};
use super::{Bench, ProcStats, human, time_once};

/// Runs of the blob figures (each moves the whole blob).
const BLOB_RUNS: usize = 3;

#[expect(clippy::disallowed_methods, reason = "what .ci/services.sh exported")]
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// Everything the Runhouse half measured that the Python half is compared with.
pub(crate) struct Theirs<'a> {
    pub(crate) python: &'a Path,
    pub(crate) import: ProcStats,
    pub(crate) steps_one_process: ProcStats,
}

/// Adds the package's rows; every part runs even when an earlier one failed, and the section fails after.
pub(crate) fn run(bench: &mut Bench, theirs: &Theirs<'_>, dir: &Path) -> Result<()> {
    let python = ensure_venv(bench, theirs.python)?;
    let mut failed = Vec::new();
    if let Err(e) = import(bench, &python, dir, theirs) {
        failed.push(format!("import: {e:#}"));
    }
    if let Err(e) = steps(bench, &python, dir, theirs) {
        failed.push(format!("tutorial steps: {e:#}"));
    }
    if let Err(e) = blob(bench, &python, dir) {
        failed.push(format!("1 GiB blob: {e:#}"));
    }
    for f in &failed {
        // One table cell: the error's lines joined, pipes escaped.
        let cell = f.lines().collect::<Vec<_>>().join(" ").replace('|', "\\|");
        bench.row("runhouse", "`import rh`: NOT MEASURED", cell, "");
    }
    if !failed.is_empty() {
        bail!("the Python package's figures failed: {}", failed.join("; "));
    }
    Ok(())
}

/// `target/bench/rh-py-venv/bin/python` with the release wheel installed, made from `base`'s interpreter.
fn ensure_venv(bench: &mut Bench, base: &Path) -> Result<PathBuf> {
    let maturin = env("RH_TEST_MATURIN").context(
        "RH_TEST_MATURIN is not set: the bench starts `start_python_pkg` from .ci/services.sh",
    )?;
    let pip = env("RH_TEST_PY_PIP").context("RH_TEST_PY_PIP is not set")?;
    let out = bench.root.join("target/bench/rh-py-wheel");
    let venv = bench.root.join("target/bench/rh-py-venv");
    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&venv);
    let started = Instant::now();
    crate::run(
        Command::new(&maturin)
            .args([
                "build",
                "--quiet",
                "--release",
                "-m",
                "crates/rh-py/Cargo.toml",
                "--out",
            ])
            .arg(&out)
            .arg("-i")
            .arg(base)
            .current_dir(&bench.root),
    )?;
    crate::run(
        Command::new(base)
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv),
    )?;
    let wheels: Vec<PathBuf> = std::fs::read_dir(&out)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "whl"))
        .collect();
    let [wheel] = wheels.as_slice() else {
        bail!("maturin left {} wheels in {}", wheels.len(), out.display());
    };
    let python = venv.join("bin/python");
    crate::run(
        Command::new(&pip)
            .args(["--python"])
            .arg(&python)
            .args([
                "install",
                "-q",
                "--disable-pip-version-check",
                "--no-index",
                "--no-deps",
            ])
            .arg(wheel),
    )?;
    bench.row(
        "runhouse",
        "rh's Python package",
        format!(
            "{} on the Runhouse venv's Python",
            wheel.file_name().unwrap_or_default().to_string_lossy()
        ),
        format!(
            "release wheel (maturin) in {}: built and installed in {:.0} s",
            venv.display(),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(python)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "NOT met" }
}

fn import(bench: &mut Bench, python: &Path, dir: &Path, theirs: &Theirs<'_>) -> Result<()> {
    let runs = bench.runs(20);
    let home = dir.join("home");
    let work = dir.join("work");
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let ours = bench.measure_with(runs, true, || {
        let mut c = clean(python, &home, &work);
        c.args(["-c", "import rh"]);
        c
    })?;
    bench.row(
        "runhouse",
        "`python -c 'import rh'`",
        ours.summary(),
        format!("{runs} runs, same interpreter as Runhouse's"),
    );
    let faster = theirs.import.median.as_secs_f64() / ours.median.as_secs_f64().max(1e-9);
    let mib = ours.peak_rss_kib as f64 / 1024.0;
    let ok = ours.median <= Duration::from_millis(30) && faster >= 50.0 && mib <= 25.0;
    bench.row(
        "runhouse",
        "`import rh` vs `import runhouse`",
        ratios(&ours, &theirs.import),
        format!(
            "target ≤ 30 ms, ≥ 50× faster, ≤ 25 MiB: {} ({}, {faster:.0}×, {mib:.1} MiB)",
            met(ok),
            human(ours.median)
        ),
    );
    Ok(())
}

/// Runhouse's 11 steps with `import rh`. Step 3 is the one that differs: Runhouse's providers have
/// `has_secrets_file()`; rh's `enabled_providers()` is that check (offline, as the CLI's `secrets status`).
fn rh_steps() -> Vec<String> {
    PY_STEPS
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i == 2 {
                "print(rh.Secrets.enabled_providers(as_str=True))".to_owned()
            } else {
                (*s).to_owned()
            }
        })
        .collect()
}

fn steps(bench: &mut Bench, python: &Path, dir: &Path, theirs: &Theirs<'_>) -> Result<()> {
    let runs = bench.runs(10);
    let out = Command::new(python)
        .args([
            "-c",
            "import pickle,sys; sys.stdout.buffer.write(pickle.dumps(list(range(10))))",
        ])
        .output()?;
    let pickled = out.stdout;
    let script = format!("import pickle\nimport rh\n{}\n", rh_steps().join("\n"));
    let one = |home: &Path, work: &Path| -> Vec<Command> {
        let mut c = clean(python, home, work);
        c.args(["-c", &script]);
        vec![c]
    };
    let nothing = |_: &Path, _: &Path| -> Result<String> { Ok(String::new()) };
    // One warm-up run, untimed (and checked like the others).
    sequence(1, dir, &pickled, "import rh", &one, &nothing)?;
    let ours = sequence(runs, dir, &pickled, "import rh", &one, &nothing)?;
    bench.row(
        "runhouse",
        "tutorial's local steps, `import rh`: one Python process",
        ours.summary(),
        format!(
            "{runs} runs from an empty HOME, the same 11 steps as Runhouse's one process (step 3: \
             `enabled_providers(as_str=True)`); checked after each run"
        ),
    );
    let faster =
        theirs.steps_one_process.median.as_secs_f64() / ours.median.as_secs_f64().max(1e-9);
    bench.row(
        "runhouse",
        "tutorial's local steps, `import rh` vs Runhouse, one process each",
        ratios(&ours, &theirs.steps_one_process),
        format!(
            "target ≥ 20× faster: {} (rh {} vs {})",
            met(faster >= 20.0),
            human(ours.median),
            human(theirs.steps_one_process.median)
        ),
    );
    Ok(())
}

/// The S3 server's variables (endpoint, keys, region) for a `clean` command.
fn with_s3(mut c: Command) -> Result<Command> {
    for key in [
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ALLOW_HTTP",
    ] {
        if let Some(v) = env(key) {
            c.env(key, v);
        } else if key != "AWS_ALLOW_HTTP" && key != "AWS_DEFAULT_REGION" {
            bail!("{key} is not set: the bench starts `start_s3` from .ci/services.sh");
        }
    }
    Ok(c)
}

/// `mib` MiB of a byte pattern that is not all zeros.
fn write_data(path: &Path, mib: u64) -> Result<()> {
    use std::io::Write as _;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut buf = vec![0u8; 1 << 20];
    for i in 0..mib {
        let salt = i.to_le_bytes()[0].wrapping_mul(131);
        for (j, b) in buf.iter_mut().enumerate() {
            *b = j.to_le_bytes()[0] ^ salt;
        }
        f.write_all(&buf)?;
    }
    f.flush()?;
    Ok(())
}

/// Seconds the Python process reported for its `.write()` (`RHBENCH_WRITE=…` on stdout).
fn reported(stdout: &[u8]) -> Result<Duration> {
    let text = String::from_utf8_lossy(stdout);
    let secs: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("RHBENCH_WRITE="))
        .context("the Python process did not report its write time")?
        .trim()
        .parse()?;
    Ok(Duration::from_secs_f64(secs))
}

fn blob(bench: &mut Bench, python: &Path, dir: &Path) -> Result<()> {
    let mib = bench.options.blob_mib.unwrap_or(1024);
    let runs = bench.runs(BLOB_RUNS);
    let rh = bench.bin("rh");
    let home = dir.join("blob-home");
    let work = dir.join("blob-work");
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    let data = dir.join("blob.bin");
    write_data(&data, mib)?;
    let bucket = format!("rh-bench-py-{}", std::process::id());
    let data_arg = data.display().to_string();
    let cli = || -> Result<Command> {
        let mut c = clean(&rh, &home, &work);
        c.args([
            "blob",
            "write",
            "~/big_cli",
            "--system",
            "s3",
            "--path",
            &format!("{bucket}/big-cli"),
            "--create-bucket",
            "--overwrite",
            &data_arg,
        ]);
        with_s3(c)
    };
    let code = format!(
        "import sys, time\nimport rh\ndata = open(sys.argv[1], 'rb').read()\nt = time.perf_counter()\n\
         b = rh.blob(data, name='~/big_py', system='s3', path='/{bucket}/big-py').write()\n\
         print(f'RHBENCH_WRITE={{time.perf_counter() - t}}')\nassert b.exists_in_system()\n"
    );
    let py = || -> Result<Command> {
        let mut c = clean(python, &home, &work);
        c.args(["-c", &code, &data_arg]);
        with_s3(c)
    };
    let control_code = "import sys\ndata = open(sys.argv[1], 'rb').read()\nassert len(data) > 0\n";
    // Warm-up: creates the bucket, fills the page cache with the data file.
    time_once(&cli()?)?;
    let (mut cli_times, mut cli_rss) = (Vec::new(), 0);
    let (mut py_times, mut py_rss) = (Vec::new(), 0);
    let mut control_rss = 0;
    for _ in 0..runs {
        let t = time_once(&cli()?)?;
        cli_times.push(t.took);
        cli_rss = cli_rss.max(t.rss_kib);
        let t = time_once(&py()?)?;
        py_times.push(reported(&t.output.stdout)?);
        py_rss = py_rss.max(t.rss_kib);
        let mut c = clean(python, &home, &work);
        c.args(["-c", control_code, &data_arg]);
        control_rss = control_rss.max(time_once(&c)?.rss_kib);
    }
    let ours_cli = ProcStats::from_times(cli_times, cli_rss);
    let ours_py = ProcStats::from_times(py_times, py_rss);
    let mibs = |d: Duration| mib as f64 / d.as_secs_f64().max(1e-9);
    bench.row(
        "runhouse",
        format!("{mib} MiB to S3, `rh blob write` (CLI)"),
        format!("{:.0} MiB/s; {}", mibs(ours_cli.median), ours_cli.summary()),
        format!("{runs} runs, whole process, file on disk (page cache warm)"),
    );
    bench.row(
        "runhouse",
        format!("{mib} MiB to S3, `rh.blob(data, name='~/big_py', system='s3', path=…).write()`"),
        format!("{:.0} MiB/s; {}", mibs(ours_py.median), ours_py.summary()),
        format!(
            "{runs} runs, the `.write()` call timed inside Python; RSS of the whole process, which holds \
             the {mib} MiB `bytes`; a control process that only reads the file peaks at {:.1} MiB",
            control_rss as f64 / 1024.0
        ),
    );
    let time_ratio = ours_py.median.as_secs_f64() / ours_cli.median.as_secs_f64().max(1e-9);
    let net_kib = py_rss.saturating_sub(control_rss);
    let rss_ratio = net_kib as f64 / cli_rss.max(1) as f64;
    let ok = time_ratio <= 1.10 && rss_ratio <= 1.10;
    bench.row(
        "runhouse",
        format!("{mib} MiB to S3, Python vs CLI"),
        format!(
            "time {time_ratio:.2}× the CLI's; RSS beyond the data {:.1} MiB vs the CLI's {:.1} MiB ({rss_ratio:.2}×)",
            net_kib as f64 / 1024.0,
            cli_rss as f64 / 1024.0
        ),
        format!(
            "target: throughput and peak RSS within 10 % of the CLI: {}",
            met(ok)
        ),
    );
    let _ = std::fs::remove_file(&data);
    Ok(())
}
