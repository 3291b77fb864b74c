//! `cargo xtask`: the project's automation, in Rust so it runs wherever cargo does.
//!
//! - `ci`: fmt check, clippy `-D warnings`, the dependency DAG check, `features`, then `test`.
//! - `test`: installs and starts the loopback services the tests need (OpenBao, S3, GCS, Azurite,
//!   PostgreSQL; see `.ci/services.sh`), runs the whole workspace test suite with `RH_TEST_INTEGRATION=1`,
//!   and stops every service by pid, whatever the outcome.
//! - `bench [server]`: measures rh against its peers and writes BENCHMARKS.md (never in CI); `bench server`
//!   runs only the rh-server section and prints its rows without rewriting BENCHMARKS.md.
//! - `compat`: the original Runhouse 0.0.7 Python client against a real rh-server (never in CI).
//! - `fuzz [TARGET…] [--seconds N]`: runs the cargo-fuzz targets in `fuzz/` (default: all, 600 s each).
//! - `load [--clients N] [--seconds S] [--db sqlite|postgres|both]`: mixed traffic against rh-server (never in CI).
//! - `cluster up|down`: 3 rh-server instances on one PostgreSQL behind HAProxy, each in its own network namespace
//!   (root only; see `crates/rh-server/tests/cluster/net.rs`); `up` prints the URL, `down` stops it all by pid.
//! - `schemathesis`: schemathesis against rh-server's `/openapi.json` on SQLite and PostgreSQL (a step of `test`).
//! - `dag`: checks the crate dependency direction with `cargo tree`.
//! - `features`: clippy `-D warnings` of each library crate with no default features and with each feature alone.
//! - `tutorial`: builds rh and runs the tutorial's steps through the CLI in a throwaway HOME.
#![allow(
    clippy::cast_precision_loss,
    clippy::unused_self,
    reason = "bench figures are small; helpers keep one shape"
)]
#![expect(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "xtask talks to a person on a terminal"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

mod bench;
mod cluster;
mod compat;
mod features;
mod load;
mod schemathesis;
#[cfg(test)]
mod tidy;

/// The services `cargo xtask test` starts, by the name of their `start_*` function in `.ci/services.sh`.
const SERVICES: &[&str] = &[
    "vault",
    "s3",
    "gcs",
    "azurite",
    "postgres",
    "tools",
    "chromium",
    "python_pkg",
    "haproxy",
    "schemathesis",
];

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (task, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(t, r)| (t.as_str(), r));
    let root = project_root();
    std::env::set_current_dir(&root)?;
    match task {
        "ci" => {
            fmt_check()?;
            clippy()?;
            dag()?;
            features::run(&root)?;
            test(rest)
        }
        "test" => test(rest),
        "tutorial" => tutorial(),
        "tutorial-steps" => tutorial::steps(&root),
        "bench" => bench::run(&root, rest),
        "compat" => compat::run(&root),
        "schemathesis" => schemathesis::run(&root),
        "fuzz" => fuzz(rest),
        "load" => load::run(&root, rest),
        "cluster" => cluster::run(&root, rest),
        "dag" => dag(),
        "features" => features::run(&root),
        "fmt" => run(Command::new("cargo").args(["fmt", "--all"])),
        "clippy" => clippy(),
        _ => {
            println!(
                "usage: cargo xtask <ci|test|tutorial|bench [SECTION…]|compat|schemathesis|fuzz|load|cluster up|down|dag|features|fmt|clippy> [-- cargo test args]"
            );
            Ok(())
        }
    }
}

fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace root")
        .to_path_buf()
}

pub(crate) fn run(cmd: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(cmd));
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {}", show(cmd)))?;
    if !status.success() {
        bail!("{} failed with {status}", show(cmd));
    }
    Ok(())
}

fn show(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn fmt_check() -> Result<()> {
    run(Command::new("cargo").args(["fmt", "--all", "--", "--check"]))
}

fn clippy() -> Result<()> {
    run(Command::new("cargo").args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

/// The dependency direction of the style guide: these `cargo tree -i` queries must find nothing.
fn dag() -> Result<()> {
    let forbidden: &[(&str, &str)] = &[
        ("rh-config", "tokio"),
        ("rh-config", "reqwest"),
        ("rh-config", "rh-secrets"),
        ("rh-secrets", "rh-rns"),
        ("rh-secrets", "rh-resources"),
        ("rh-rns", "rh-resources"),
        ("rh-rns", "rh-secrets"),
        ("rh-storage", "rh-rns"),
        ("rh-storage", "rh-resources"),
        ("rh-resources", "clap"),
        ("rh-resources", "rh-cli"),
        // The Python package is a front end: nothing depends on it, and it reaches no server code or clap.
        ("rh-cli", "rh-py"),
        ("rh-server", "rh-py"),
        ("rh-py", "rh-server"),
        ("rh-py", "clap"),
        // The operations layer sits between the front ends and the libraries: no library reaches up
        // into it, and it holds no argument parsing and no server.
        ("rh-config", "rh-ops"),
        ("rh-secrets", "rh-ops"),
        ("rh-rns", "rh-ops"),
        ("rh-resources", "rh-ops"),
        ("rh-storage", "rh-ops"),
        ("rh-ops", "clap"),
        ("rh-ops", "rh-server"),
        ("rh-ops", "rh-cli"),
        // rh-wire is the one rh-server client under the resource and secrets clients: it knows neither.
        ("rh-wire", "rh-rns"),
        ("rh-wire", "rh-secrets"),
        ("rh-wire", "rh-server"),
        ("rh-wire", "rh-ops"),
        // The OpenAPI schemas of the wire types are rh-server's (rh-wire's `openapi` feature): no client builds them.
        ("rh-cli", "utoipa"),
        ("rh-py", "utoipa"),
        ("rh-rns", "utoipa"),
        ("rh-secrets", "utoipa"),
        ("rh-ops", "utoipa"),
        // Storage is told its endpoints and credentials; it reads no config and knows no secrets crate.
        ("rh-storage", "rh-config"),
        ("rh-storage", "rh-secrets"),
        ("rh-storage", "rh-wire"),
        ("rh-secrets", "rh-storage"),
        // rh-resources knows the RNS only; rh-ops hands it stores and secrets.
        ("rh-resources", "rh-storage"),
        ("rh-resources", "rh-secrets"),
        // Nothing below the front ends depends on rh-server (the tests spawn its binary, a dev edge).
        ("rh-config", "rh-server"),
        ("rh-secrets", "rh-server"),
        ("rh-rns", "rh-server"),
        ("rh-resources", "rh-server"),
        ("rh-storage", "rh-server"),
        ("rh-cli", "rh-server"),
        // rh-server is a front end of its own: it reaches the secrets and wire crates, never the client side.
        ("rh-server", "rh-ops"),
        ("rh-server", "rh-rns"),
        ("rh-server", "rh-resources"),
        ("rh-server", "rh-storage"),
        ("rh-server", "rh-cli"),
        // rh-wire sits just above rh-config: the grammar and the client, nothing of the layers over it.
        ("rh-wire", "rh-resources"),
        ("rh-wire", "rh-storage"),
        ("rh-config", "rh-wire"),
        ("rh-ops", "rh-py"),
    ];
    for (krate, dep) in forbidden {
        let out = Command::new("cargo")
            .args(["tree", "-p", krate, "-e", "normal", "-i", dep, "--quiet"])
            .output()
            .context("cannot run cargo tree")?;
        let text = String::from_utf8_lossy(&out.stdout);
        // `cargo tree -i X` fails with "did not match any packages" when X is not in the graph at all.
        if out.status.success() && !text.trim().is_empty() {
            bail!("dependency rule broken: {krate} must not depend on {dep}:\n{text}");
        }
    }
    sql_only_in_store()?;
    eprintln!("dag: {} rules hold", forbidden.len() + 1);
    Ok(())
}

/// rh-server's store owns every query: no file of `crates/rh-server/src` outside `store/` runs SQL through
/// sqlx (`sqlx::query…`, `sqlx::raw_sql`, a `PgListener`) or opens a connection of its own.
fn sql_only_in_store() -> Result<()> {
    const NEEDLES: &[&str] = &["sqlx::query", "sqlx::raw_sql", "PgListener", "rusqlite::"];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/rh-server/src");
    let store = root.join("store");
    let mut broken = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?
        {
            let path = entry?.path();
            if path.starts_with(&store) {
                continue;
            }
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                for (n, line) in text.lines().enumerate() {
                    if NEEDLES.iter().any(|needle| line.contains(needle)) {
                        broken.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
                    }
                }
            }
        }
    }
    if !broken.is_empty() {
        bail!(
            "dependency rule broken: rh-server's SQL lives under crates/rh-server/src/store/ only:\n{}",
            broken.join("\n")
        );
    }
    Ok(())
}

/// Starts the services, runs the tests with them, and always stops them.
///
/// Ends with one `tests: N passed, N failed` line summing every test binary, so the last line says what ran.
fn test(extra: &[String]) -> Result<()> {
    use std::io::{BufRead, BufReader};
    let starts: Vec<String> = SERVICES
        .iter()
        .map(|s| format!("start_{s} >/dev/null"))
        .collect();
    let mut test_args = vec![
        "test".to_owned(),
        "--workspace".to_owned(),
        "--no-fail-fast".to_owned(),
    ];
    test_args.extend(extra.iter().cloned());
    let script = format!(
        "set -uo pipefail\n. .ci/services.sh\ntrap stop_services EXIT\nset -e\n{}\nset +e\nexport RH_TEST_INTEGRATION=1\ncargo {} 2>&1\nrc=$?\n{PYTHON_WHEEL}\n{}\n\
         echo '== schemathesis against rh-server (/openapi.json; SQLite, PostgreSQL)'\n\
         cargo run --quiet --package xtask -- schemathesis 2>&1 || rc=1\n\
         echo '== the tutorial, end to end'\n\
         if cargo run --quiet --package xtask -- tutorial-steps 2>&1; then echo 'tutorial result: ok. 1 passed; 0 failed'; \
         else echo 'tutorial result: FAILED. 0 passed; 1 failed'; rc=1; fi\nexit $rc\n",
        starts.join("\n"),
        test_args.join(" "),
        PYTHON_TESTS,
    );
    eprintln!(
        "$ cargo {} (with services: {})",
        test_args.join(" "),
        SERVICES.join(", ")
    );
    let mut child = Command::new("bash")
        .arg("-c")
        .arg(script)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run bash")?;
    let (mut passed, mut failed) = (0u64, 0u64);
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        println!("{line}");
        if let Some((p, f)) = parse_result_line(&line) {
            passed += p;
            failed += f;
        }
    }
    let status = child.wait()?;
    println!("tests: {passed} passed, {failed} failed");
    if !status.success() || failed > 0 {
        bail!("tests failed ({status})");
    }
    if passed == 0 {
        bail!("no test ran");
    }
    Ok(())
}

/// `py_wheel`, a shell function: builds crates/rh-py's wheel with maturin (debug profile) into
/// `target/rh-py-wheel` and installs it with pytest into a fresh virtualenv `target/rh-py-venv`, the one
/// place both `test` and `tutorial` get the package from (so `ci` builds it once).
const PYTHON_WHEEL: &str = r#"py_t=${CARGO_TARGET_DIR:-$PWD/target}; py_out=$py_t/rh-py-wheel; py_venv=$py_t/rh-py-venv
py_wheel() {
  rm -rf "$py_out" "$py_venv"
  "$RH_TEST_MATURIN" build --quiet -m crates/rh-py/Cargo.toml --out "$py_out" -i python3 2>&1 &&
    python3 -m venv --without-pip "$py_venv" && "$RH_TEST_PY_PIP" --python "$py_venv/bin/python" install -q \
      --disable-pip-version-check --no-index --find-links "$RH_TEST_PY_WHEELS" "$py_out"/*.whl pytest==9.2.0 2>&1
}"#;

/// The Python package's step of `test`, after cargo test: [`PYTHON_WHEEL`], then its pytest suite against the
/// real `rh` binary. pytest's closing line (`31 passed in 2.00s`) is counted; a failed build, a failed test or a
/// run that collected nothing (pytest's exit 5) fails the step.
const PYTHON_TESTS: &str = r#"echo '== the Python package (crates/rh-py): pytest against the built wheel'
if py_wheel; then
  (cd crates/rh-py/tests && RH_TEST_RH_BIN=$py_t/debug/rh PYTHONDONTWRITEBYTECODE=1 "$py_venv/bin/python" -m pytest -q -p no:cacheprovider 2>&1)
  py_rc=$?
  if ((py_rc != 0)); then echo "pytest exited with $py_rc (5: no test collected)"; rc=1; fi
else
  echo 'python result: FAILED. 0 passed; 1 failed (the wheel did not build or install)'; rc=1
fi"#;

/// Reads `test result: ok. 12 passed; 0 failed; …` (and the tutorial's `tutorial result: …`, schemathesis'
/// `schemathesis result: …` ([`schemathesis`]), pytest's
/// `2 failed, 29 passed in 6.48s`) into (passed, failed).
fn parse_result_line(line: &str) -> Option<(u64, u64)> {
    if let Some(counts) = parse_pytest_line(line) {
        return Some(counts);
    }
    let line = line.trim();
    let rest = line
        .strip_prefix("test result: ")
        .or_else(|| line.strip_prefix("tutorial result: "))
        .or_else(|| line.strip_prefix("python result: "))
        .or_else(|| line.strip_prefix("schemathesis result: "))?;
    let mut passed = None;
    let mut failed = None;
    for part in rest.split(['.', ';']) {
        let mut words = part.split_whitespace();
        if let (Some(n), Some(what)) = (words.next(), words.next()) {
            match what {
                "passed" => passed = n.parse().ok(),
                "failed" => failed = n.parse().ok(),
                _ => {}
            }
        }
    }
    Some((passed?, failed?))
}

/// pytest's closing line, `[=== ]2 failed, 29 passed, 1 error in 6.48s[ ===]`: errors count as failures.
fn parse_pytest_line(line: &str) -> Option<(u64, u64)> {
    let line = line.trim().trim_matches('=').trim();
    let (counts, time) = line.rsplit_once(" in ")?;
    time.strip_suffix('s')?.parse::<f64>().ok()?;
    let (mut passed, mut failed) = (0, 0);
    let mut any = false;
    for part in counts.split(", ") {
        let (n, what) = part.split_once(' ')?;
        let n: u64 = n.parse().ok()?;
        match what {
            "passed" => passed += n,
            "failed" | "error" | "errors" => failed += n,
            "skipped" | "deselected" | "xfailed" | "xpassed" | "warning" | "warnings" => {}
            _ => return None,
        }
        any = true;
    }
    any.then_some((passed, failed))
}

/// Runs each fuzz target for a while with cargo-fuzz (installed on first use). Stable rustc is told to
/// accept the sanitizer flags with `RUSTC_BOOTSTRAP=1`, as no nightly toolchain can be fetched here.
fn fuzz(args: &[String]) -> Result<()> {
    let mut seconds = 600;
    let mut targets = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--seconds" {
            seconds = it
                .next()
                .context("--seconds takes a number")?
                .parse()
                .context("--seconds takes a number")?;
        } else {
            targets.push(a.clone());
        }
    }
    if Command::new("cargo")
        .args(["fuzz", "--version"])
        .output()
        .map_or(true, |o| !o.status.success())
    {
        run(Command::new("cargo").args(["install", "--locked", "cargo-fuzz@0.13.2"]))?;
    }
    if targets.is_empty() {
        let out = Command::new("cargo")
            .args(["fuzz", "list"])
            .current_dir("fuzz")
            .output()?;
        targets = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
    }
    // The provider targets write (and fsync) files in a temp dir on every run: on a tmpfs they run
    // many times faster.
    let shm = std::path::Path::new("/dev/shm");
    for t in &targets {
        let mut cmd = Command::new("cargo");
        if shm.is_dir() {
            cmd.env("TMPDIR", shm);
        }
        run(cmd
            .args([
                "fuzz",
                "run",
                t,
                "--",
                &format!("-max_total_time={seconds}"),
            ])
            .current_dir("fuzz")
            .env("RUSTC_BOOTSTRAP", "1"))?;
    }
    Ok(())
}

/// The tutorial end to end: builds rh and rh-server, starts OpenBao and an S3 server (`.ci/services.sh`,
/// stopping what it started), builds the Python package's wheel into a fresh virtualenv ([`PYTHON_WHEEL`]),
/// then runs every step of the Runhouse accessibility tutorial through the CLI, and every code cell of it
/// through Python (`import rh`), in throwaway HOMEs, printing each command or cell with its output. Exits
/// non-zero if any step fails.
fn tutorial() -> Result<()> {
    run(Command::new("cargo").args(["build", "--quiet", "--bin", "rh", "--bin", "rh-server"]))?;
    let script = format!(
        "set -euo pipefail\n. .ci/services.sh\ntrap stop_services EXIT\n\
         start_vault >/dev/null\nstart_s3 >/dev/null\nstart_python_pkg >/dev/null\n{PYTHON_WHEEL}\n\
         echo '$ maturin build (crates/rh-py), pip install into target/rh-py-venv'\npy_wheel\n\
         cargo run --quiet --package xtask -- tutorial-steps\n"
    );
    run(Command::new("bash").arg("-c").arg(script))
}

mod tutorial;

/// Builds every release binary and example of the workspace in one command, so each dependency is compiled
/// once with the workspace's unified features (`cargo build -p X` resolves features for X alone, and
/// alternating the two kinds of build recompiles ring, rustls and sqlx each time).
pub(crate) fn build_release() -> Result<()> {
    run(Command::new("cargo").args(["build", "--release", "--workspace", "--bins", "--examples"]))
}

/// `rh-server vault setup` against the Vault at `addr` with the admin (root) token `admin_token`: writes the
/// least-privileged server token to `dir/vault-server-token` and returns its path, for `serve
/// --vault-token-file`.
pub(crate) fn vault_server_token(
    server: &std::path::Path,
    addr: &str,
    admin_token: &str,
    dir: &std::path::Path,
) -> Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let admin = dir.join("vault-admin-token");
    std::fs::write(&admin, admin_token)?;
    let token = dir.join("vault-server-token");
    let out = Command::new(server)
        .args([
            "vault",
            "setup",
            "--force",
            "--vault-addr",
            addr,
            "--admin-token-file",
        ])
        .arg(&admin)
        .arg("--token-file")
        .arg(&token)
        .env("RUST_LOG", "warn")
        .output()
        .context("cannot run rh-server vault setup")?;
    let _ = std::fs::remove_file(&admin);
    if !out.status.success() {
        anyhow::bail!(
            "rh-server vault setup failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_test_summaries() {
        assert_eq!(
            parse_result_line(
                "test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.11s"
            ),
            Some((12, 0))
        );
        assert_eq!(
            parse_result_line("test result: FAILED. 3 passed; 2 failed; 0 ignored"),
            Some((3, 2))
        );
        assert_eq!(parse_result_line("running 3 tests"), None);
        assert_eq!(parse_result_line("31 passed in 2.00s"), Some((31, 0)));
        assert_eq!(
            parse_result_line("==== 2 failed, 29 passed, 1 error, 3 warnings in 6.48s ===="),
            Some((29, 3))
        );
        assert_eq!(parse_result_line("no tests ran in 0.01s"), None);
        assert_eq!(parse_result_line("copied 3 files in 2s"), None);
        assert_eq!(
            parse_result_line(
                "python result: FAILED. 0 passed; 1 failed (the wheel did not build)"
            ),
            Some((0, 1))
        );
        assert_eq!(
            parse_result_line(
                "schemathesis result: FAILED. 0 passed; 1 failed (postgres: 22 operations, 874 cases, 2 failures)"
            ),
            Some((0, 1))
        );
    }
}
