//! rh next to the real Runhouse 0.0.7 (Python 3.10 venv), on the same HOME fixture, same machine, same run.
//!
//! - Cold start and peak RSS: `rh secrets providers`, `rh secrets status`, `rh config get default_provider`
//!   against `python -c` doing the nearest Runhouse call (`rh.Secrets.builtin_providers()`, the providers
//!   whose credential file exists, `rh.configs.get(...)`), plus bare `import runhouse` and bare `python`.
//! - The tutorial's local steps end to end, from an empty HOME each run: rh as separate CLI invocations;
//!   Runhouse once as one Python process (how the notebook runs them) and once as one `python -c` per step
//!   (how a user would run them from a shell, like the CLI). Every run is checked afterwards: the credential
//!   files, the three config keys, the cluster's config.json and the blob's bytes.
//!
//! The venv is `RH_BENCH_RUNHOUSE_VENV` (default `/opt/rh-bench/venv-runhouse`); when it has no Runhouse, it
//! is created from pyenv's Python 3.10 and `runhouse==0.0.7` installed as it was on 2023-06-28.
//!
//! Then rh's own Python package on the same interpreter (`import rh`, the same steps, a 1 GiB blob): see
//! [`super::python`].

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::{Bench, ProcStats, human, tempfile_dir, time_once};

const DEFAULT_VENV: &str = "/opt/rh-bench/venv-runhouse";
/// Runs of each rh figure.
const RH_RUNS: usize = 20;
/// Runs of each Python figure unless `--py-runs` says otherwise.
const PY_RUNS: usize = 3;

const AWS_KEY: &str = "AKIABENCHTUTORIAL";
const LAMBDA_KEY: &str = "bench-lambda-key";
const PICKLED: &str = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]";

#[expect(
    clippy::disallowed_methods,
    reason = "the bench's own knobs and where pyenv lives"
)]
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    let venv =
        PathBuf::from(env("RH_BENCH_RUNHOUSE_VENV").unwrap_or_else(|| DEFAULT_VENV.to_owned()));
    let python = ensure_venv(bench, &venv)?;
    let dir = tempfile_dir("runhouse")?;
    let result = measure(bench, &python, &dir).and_then(|(import, steps_one_process)| {
        let theirs = super::python::Theirs {
            python: &python,
            import,
            steps_one_process,
        };
        let py_dir = dir.join("python");
        std::fs::create_dir_all(&py_dir)?;
        super::python::run(bench, &theirs, &py_dir)
    });
    let _ = std::fs::remove_dir_all(&dir);
    result
}

/// `VENV/bin/python` with runhouse 0.0.7 importable; creates the venv when it is missing.
fn ensure_venv(bench: &mut Bench, venv: &Path) -> Result<PathBuf> {
    let python = venv.join("bin/python");
    let version = |python: &Path| {
        Command::new(python)
            .args([
                "-c",
                "import importlib.metadata as m; print(m.version('runhouse'))",
            ])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    if let Some(v) = version(&python) {
        if v != "0.0.7" {
            bail!(
                "{} has runhouse {v}, not 0.0.7: remove it or set RH_BENCH_RUNHOUSE_VENV",
                venv.display()
            );
        }
        bench.row(
            "runhouse",
            "Runhouse venv",
            format!("runhouse {v}, {}", python_version(&python)),
            format!("{} (already installed)", venv.display()),
        );
        return Ok(python);
    }
    let base = python310().context(
        "Python 3.10 not found: install it with `pyenv install 3.10` (looked in $PYENV_ROOT/versions/3.10.*, \
         /root/.pyenv/versions/3.10.* and `pyenv prefix 3.10`)",
    )?;
    eprintln!(
        "[bench] creating the Runhouse venv {} from {}",
        venv.display(),
        base.display()
    );
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(venv);
    crate::run(Command::new(&base).args(["-m", "venv"]).arg(venv))?;
    // Python 3.10's bundled pip predates --uploaded-prior-to.
    crate::run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--upgrade",
        "pip",
    ]))?;
    crate::run(Command::new(&python).args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--uploaded-prior-to",
        "2023-06-28T23:59:59Z",
        "runhouse==0.0.7",
        "huggingface_hub",
    ]))?;
    let took = started.elapsed();
    eprintln!(
        "[bench] installed runhouse 0.0.7 in {:.0} s",
        took.as_secs_f64()
    );
    let v = version(&python).context("runhouse is not importable after pip install")?;
    bench.row(
        "runhouse",
        "Runhouse venv",
        format!("runhouse {v}, {}", python_version(&python)),
        format!(
            "{}: created and installed in {:.0} s",
            venv.display(),
            took.as_secs_f64()
        ),
    );
    Ok(python)
}

fn python_version(python: &Path) -> String {
    Command::new(python)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// pyenv's newest Python 3.10.
fn python310() -> Option<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    if let Some(r) = env("PYENV_ROOT") {
        roots.push(r.into());
    }
    roots.push("/root/.pyenv".into());
    if let Some(h) = env("HOME") {
        roots.push(Path::new(&h).join(".pyenv"));
    }
    for root in roots {
        let Ok(entries) = std::fs::read_dir(root.join("versions")) else {
            continue;
        };
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("3.10."))
            .map(|e| e.path().join("bin/python"))
            .filter(|p| p.is_file())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Some(p);
        }
    }
    let out = Command::new("pyenv")
        .args(["prefix", "3.10"])
        .output()
        .ok()?;
    let p = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()).join("bin/python");
    (out.status.success() && p.is_file()).then_some(p)
}

/// A clean environment: the same for rh and Python, nothing from the caller's credentials.
pub(super) fn clean(program: &Path, home: &Path, work: &Path) -> Command {
    let mut c = Command::new(program);
    c.env_clear()
        .env("HOME", home)
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("LANG", "C.UTF-8")
        .env("RUST_LOG", "warn")
        .current_dir(work);
    c
}

/// Adds the Runhouse rows; returns what the Python package is compared with: `import runhouse` and the
/// tutorial's steps in one Runhouse process.
fn measure(bench: &mut Bench, python: &Path, dir: &Path) -> Result<(ProcStats, ProcStats)> {
    let py_runs = bench.options.py_runs.unwrap_or(PY_RUNS);
    let rh_runs = bench.runs(RH_RUNS);
    let rh = bench.bin("rh");

    // The HOME fixture for the cold starts: aws and lambda configured, the tutorial's three settings.
    let home = dir.join("home");
    let work = dir.join("work");
    std::fs::create_dir_all(home.join(".aws"))?;
    std::fs::create_dir_all(home.join(".lambda_cloud"))?;
    std::fs::create_dir_all(home.join(".rh"))?;
    std::fs::create_dir_all(&work)?;
    std::fs::write(
        home.join(".aws/credentials"),
        format!("[default]\naws_access_key_id = {AWS_KEY}\naws_secret_access_key = s\n"),
    )?;
    std::fs::write(
        home.join(".lambda_cloud/lambda_keys"),
        format!("api_key = {LAMBDA_KEY}\n"),
    )?;
    std::fs::write(
        home.join(".rh/config.yaml"),
        "default_autostop: 30\ndefault_provider: cheapest\nuse_spot: true\n",
    )?;

    let pairs: [(&[&str], &str, &str); 3] = [
        (
            &["secrets", "providers"],
            "import runhouse as rh; print(rh.Secrets.builtin_providers(as_str=True))",
            "`rh.Secrets.builtin_providers()`",
        ),
        (
            &["secrets", "status"],
            "import runhouse as rh; print([p.PROVIDER_NAME for p in rh.Secrets.builtin_providers() if p.has_secrets_file()])",
            "the builtin providers whose `has_secrets_file()` (`enabled_providers()` runs `sky check`, which calls every cloud's API)",
        ),
        (
            &["config", "get", "default_provider"],
            "import runhouse as rh; print(rh.configs.get('default_provider'))",
            "`rh.configs.get('default_provider')`",
        ),
    ];
    let py = |code: &str| {
        let mut c = clean(python, &home, &work);
        c.args(["-c", code]);
        c
    };
    let bare = bench.measure_with(py_runs, true, || py("pass"))?;
    bench.row(
        "runhouse",
        "`python -c pass` (the interpreter alone, for reference)",
        bare.summary(),
        format!("{py_runs} runs"),
    );
    let import = bench.measure_with(py_runs, true, || py("import runhouse"))?;
    bench.row(
        "runhouse",
        "`python -c 'import runhouse'`",
        import.summary(),
        format!("{py_runs} runs; the floor of every Runhouse figure"),
    );
    for (args, code, what) in pairs {
        let ours = bench.measure_with(rh_runs, true, || {
            let mut c = clean(&rh, &home, &work);
            c.args(args);
            c
        })?;
        // No warm-up: `import runhouse` above already warmed the page cache.
        let theirs = bench.measure_with(py_runs, false, || py(code))?;
        let shown = format!("`rh {}`", args.join(" "));
        bench.row(
            "runhouse",
            format!("{shown}, cold start"),
            ours.summary(),
            format!("{rh_runs} runs"),
        );
        bench.row(
            "runhouse",
            format!("Runhouse: {what}"),
            theirs.summary(),
            format!("{py_runs} runs, `python -c 'import runhouse as rh; …'`"),
        );
        bench.row(
            "runhouse",
            format!("{shown} vs Runhouse"),
            ratios(&ours, &theirs),
            "time: Runhouse median / rh median; RSS: Runhouse peak / rh peak",
        );
    }
    let steps = tutorial_steps(bench, python, &rh, dir, rh_runs.min(10), py_runs)?;
    Ok((import, steps))
}

pub(super) fn ratios(ours: &ProcStats, theirs: &ProcStats) -> String {
    format!(
        "{:.0}x faster, {:.0}x less memory",
        theirs.median.as_secs_f64() / ours.median.as_secs_f64().max(1e-9),
        theirs.peak_rss_kib as f64 / (ours.peak_rss_kib.max(1)) as f64
    )
}

/// The tutorial's local steps, as Python statements (after `import runhouse as rh, pickle`).
pub(super) const PY_STEPS: [&str; 11] = [
    "print(rh.Secrets.builtin_providers())",
    "rh.Secrets.save_provider_secrets(secrets={'aws': {'access_key': 'AKIABENCHTUTORIAL', 'secret_key': 's'}, 'lambda': {'api_key': 'bench-lambda-key'}}, check_enabled=False)",
    "print([p.PROVIDER_NAME for p in rh.Secrets.builtin_providers() if p.has_secrets_file()])",
    "rh.configs.set('use_spot', True)",
    "rh.configs.set('default_autostop', 30)",
    "rh.configs.set('default_provider', 'cheapest')",
    "rh.ondemand_cluster(name='~/aws_cluster', instance_type='V100:1', provider='aws').save()",
    "print(rh.load('~/aws_cluster'))",
    "print(rh.ondemand_cluster(name='~/aws_cluster'))",
    "rh.blob(pickle.dumps(list(range(10))), name='~/my_blob', system='file').write().save()",
    "print(pickle.loads(rh.load('~/my_blob').data))",
];

/// The same steps through the rh CLI (`data.pkl` holds the pickled list, made before the timed steps).
const RH_STEPS: [&[&str]; 11] = [
    &["secrets", "providers"],
    &["secrets", "save", "--from-json", "secrets.json"],
    &["secrets", "status"],
    &["config", "set", "use_spot", "true"],
    &["config", "set", "default_autostop", "30"],
    &["config", "set", "default_provider", "cheapest"],
    &[
        "cluster",
        "create",
        "~/aws_cluster",
        "--instance-type",
        "V100:1",
        "--provider",
        "aws",
    ],
    &["resource", "show", "~/aws_cluster"],
    &["resource", "show", "~/aws_cluster", "--json"],
    &["blob", "write", "~/my_blob", "--system", "file", "data.pkl"],
    &["blob", "read", "~/my_blob", "-o", "loaded.pkl"],
];

/// A fresh, empty HOME and working dir for one run of the steps.
pub(super) fn fresh(dir: &Path, pickled: &[u8]) -> Result<(PathBuf, PathBuf)> {
    let home = dir.join("steps-home");
    let work = dir.join("steps-work");
    let _ = std::fs::remove_dir_all(&home);
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&home)?;
    std::fs::create_dir_all(&work)?;
    std::fs::write(
        work.join("secrets.json"),
        format!(
            r#"{{"aws": {{"access_key": "{AWS_KEY}", "secret_key": "s"}}, "lambda": {{"api_key": "{LAMBDA_KEY}"}}}}"#
        ),
    )?;
    std::fs::write(work.join("data.pkl"), pickled)?;
    Ok((home, work))
}

/// Fails unless the steps really did their work in `home` and `work`; `printed` is the run's stdout.
pub(super) fn check(home: &Path, work: &Path, printed: &str, who: &str) -> Result<()> {
    let read = |p: PathBuf| {
        std::fs::read_to_string(&p)
            .with_context(|| format!("{who}: {} was not written", p.display()))
    };
    let aws = read(home.join(".aws/credentials"))?;
    let lambda = read(home.join(".lambda_cloud/lambda_keys"))?;
    let config = read(home.join(".rh/config.yaml"))?;
    let cluster = read(work.join("rh/aws_cluster/config.json"))?;
    read(work.join("rh/my_blob/config.json"))?;
    let want = [
        (aws.contains(AWS_KEY), "the aws key in ~/.aws/credentials"),
        (
            lambda.contains(LAMBDA_KEY),
            "the lambda key in ~/.lambda_cloud/lambda_keys",
        ),
        (config.contains("use_spot: true"), "use_spot: true"),
        (
            config.contains("default_autostop: 30"),
            "default_autostop: 30",
        ),
        (
            config.contains("default_provider: cheapest"),
            "default_provider: cheapest",
        ),
        (cluster.contains("V100:1"), "the cluster's instance type"),
        (printed.contains(PICKLED), "the unpickled blob"),
    ];
    for (ok, what) in want {
        if !ok {
            bail!("{who}: the steps did not leave {what}");
        }
    }
    Ok(())
}

/// Runs `steps` (fresh HOME each run) `runs` times; returns the stats of the summed step times.
pub(super) fn sequence(
    runs: usize,
    dir: &Path,
    pickled: &[u8],
    who: &str,
    steps: &dyn Fn(&Path, &Path) -> Vec<Command>,
    after: &dyn Fn(&Path, &Path) -> Result<String>,
) -> Result<ProcStats> {
    let mut times = Vec::new();
    let mut peak = 0;
    for _ in 0..runs.max(1) {
        let (home, work) = fresh(dir, pickled)?;
        let mut total = Duration::ZERO;
        let mut printed = String::new();
        for cmd in steps(&home, &work) {
            let t = time_once(&cmd)?;
            total += t.took;
            peak = peak.max(t.rss_kib);
            printed.push_str(&String::from_utf8_lossy(&t.output.stdout));
        }
        printed.push_str(&after(&home, &work)?);
        check(&home, &work, &printed, who)?;
        times.push(total);
    }
    Ok(ProcStats::from_times(times, peak))
}

fn tutorial_steps(
    bench: &mut Bench,
    python: &Path,
    rh: &Path,
    dir: &Path,
    rh_runs: usize,
    py_runs: usize,
) -> Result<ProcStats> {
    let out = Command::new(python)
        .args([
            "-c",
            "import pickle,sys; sys.stdout.buffer.write(pickle.dumps(list(range(10))))",
        ])
        .output()?;
    let pickled = out.stdout;
    let rh_steps = |home: &Path, work: &Path| -> Vec<Command> {
        RH_STEPS
            .iter()
            .map(|args| {
                let mut c = clean(rh, home, work);
                c.args(*args);
                c
            })
            .collect()
    };
    // rh's last step writes loaded.pkl; unpickle it untimed, so the check is the same as Runhouse's.
    let unpickle = |_: &Path, work: &Path| -> Result<String> {
        let out = Command::new(python)
            .args([
                "-c",
                "import pickle; print(pickle.loads(open('loaded.pkl', 'rb').read()))",
            ])
            .current_dir(work)
            .output()?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    // One warm-up run, untimed.
    sequence(1, dir, &pickled, "rh", &rh_steps, &unpickle)?;
    let ours = sequence(rh_runs, dir, &pickled, "rh", &rh_steps, &unpickle)?;
    bench.row(
        "runhouse",
        "tutorial's local steps, rh: 11 CLI invocations",
        ours.summary(),
        format!(
            "{rh_runs} runs from an empty HOME; providers, save aws+lambda, status, config set ×3, cluster \
             create, show ×2, blob write + read (file store); checked after each run"
        ),
    );
    let nothing = |_: &Path, _: &Path| -> Result<String> { Ok(String::new()) };
    let script = format!(
        "import pickle\nimport runhouse as rh\n{}\n",
        PY_STEPS.join("\n")
    );
    let one = |home: &Path, work: &Path| -> Vec<Command> {
        let mut c = clean(python, home, work);
        c.args(["-c", &script]);
        vec![c]
    };
    let theirs_one = sequence(py_runs, dir, &pickled, "Runhouse", &one, &nothing)?;
    bench.row(
        "runhouse",
        "tutorial's local steps, Runhouse: one Python process",
        theirs_one.summary(),
        format!(
            "{py_runs} runs from an empty HOME, the same 11 steps as the notebook runs them \
             (`save_provider_secrets(..., check_enabled=False)`: the default runs `sky check`, which needs \
             every cloud's API); checked after each run"
        ),
    );
    let separate = |home: &Path, work: &Path| -> Vec<Command> {
        PY_STEPS
            .iter()
            .map(|step| {
                let mut c = clean(python, home, work);
                c.args([
                    "-c",
                    &format!("import pickle\nimport runhouse as rh\n{step}"),
                ]);
                c
            })
            .collect()
    };
    let theirs_many = sequence(py_runs, dir, &pickled, "Runhouse", &separate, &nothing)?;
    bench.row(
        "runhouse",
        "tutorial's local steps, Runhouse: 11 `python -c` invocations",
        theirs_many.summary(),
        format!("{py_runs} runs; one process per step, as a user runs CLI steps from a shell"),
    );
    bench.row(
        "runhouse",
        "tutorial's local steps, rh CLI vs Runhouse in one process",
        ratios(&ours, &theirs_one),
        format!("rh {} vs {}", human(ours.median), human(theirs_one.median)),
    );
    bench.row(
        "runhouse",
        "tutorial's local steps, rh CLI vs Runhouse one process per step",
        ratios(&ours, &theirs_many),
        format!("rh {} vs {}", human(ours.median), human(theirs_many.median)),
    );
    Ok(theirs_one)
}
