//! `cargo xtask schemathesis`: schemathesis (PyPI, pinned in `.ci/services.sh start_schemathesis`) against a real
//! rh-server's `GET /openapi.json`, once on SQLite and once on PostgreSQL (a throwaway database on `DATABASE_URL`'s
//! server), authenticated with a real account token; the secrets routes go to the Vault of `VAULT_ADDR`.
//!
//! Each run has its own data dir or database and its own server, stopped and removed after. The checks: no
//! server error (a 5xx; the documented 503s do not occur with the database and Vault up), every status
//! documented, the content type and every body as the schema says. `DELETE /user/token` revokes the token it
//! is sent with, so it runs last, with a second account's token. Each engine prints one
//! `schemathesis result: ok. 1 passed; 0 failed (…)` line, which `cargo xtask test` counts.
//! A step of `cargo xtask test` (after cargo test, which builds `target/debug/rh-server`).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};

/// Test cases per operation and phase: about 900 cases in all, some 15 s an engine on 2 cores.
const MAX_EXAMPLES: &str = "20";
/// A fixed seed: the same cases on every run (a failure reproduces; change it to explore).
const SEED: &str = "1";
/// The checks (schemathesis' names).
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance";

#[expect(
    clippy::disallowed_methods,
    reason = "xtask reads the service variables of .ci/services.sh"
)]
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// What one schemathesis run counted.
#[derive(Debug, Default)]
struct Counts {
    operations: u64,
    cases: u64,
    failures: u64,
}

/// A running rh-server, killed on drop.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) fn run(root: &Path) -> Result<()> {
    let st = env("RH_TEST_SCHEMATHESIS")
        .context("RH_TEST_SCHEMATHESIS is not set (`. .ci/services.sh; start_schemathesis`)")?;
    let server = root.join("target/debug/rh-server");
    if !server.exists() {
        crate::run(Command::new("cargo").args(["build", "-p", "rh-server", "--bin", "rh-server"]))?;
    }
    let mut engines = vec!["sqlite"];
    if env("DATABASE_URL").is_some() {
        engines.push("postgres");
    } else {
        println!("schemathesis: DATABASE_URL is not set; PostgreSQL is left out");
    }
    let mut failed = false;
    for engine in engines {
        match engine_run(&st, &server, engine) {
            Ok(c) if c.failures == 0 && c.cases > 0 => println!(
                "schemathesis result: ok. 1 passed; 0 failed ({engine}: {} operations, {} cases, 0 failures)",
                c.operations, c.cases
            ),
            Ok(c) => {
                failed = true;
                println!(
                    "schemathesis result: FAILED. 0 passed; 1 failed ({engine}: {} operations, {} cases, {} failures)",
                    c.operations, c.cases, c.failures
                );
            }
            Err(e) => {
                failed = true;
                println!("schemathesis result: FAILED. 0 passed; 1 failed ({engine}: {e:#})");
            }
        }
    }
    if failed {
        bail!("schemathesis found failures");
    }
    Ok(())
}

fn engine_run(st: &str, server: &Path, engine: &str) -> Result<Counts> {
    let tmp = std::env::temp_dir().join(format!("rh-schemathesis-{engine}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(tmp.join("home"))?;
    let database = match engine {
        "postgres" => Some(create_database(engine)?),
        _ => None,
    };
    let db_args: Vec<String> = match &database {
        Some((url, _)) => vec!["--database-url".into(), url.clone()],
        None => vec!["--data-dir".into(), tmp.join("data").display().to_string()],
    };
    let result = (|| {
        let main = create_user(server, &db_args, &tmp, "st-main")?;
        let revoker = create_user(server, &db_args, &tmp, "st-revoke")?;
        let served = serve(server, &db_args, &tmp)?;
        let url = format!("{}/openapi.json", served.1);
        // Everything but the token revocation, then that alone with its own account.
        let mut counts = st_run(st, &url, &main, &["--exclude-path", "/user/token"], &tmp)?;
        let last = st_run(st, &url, &revoker, &["--include-path", "/user/token"], &tmp)?;
        counts.operations += last.operations;
        counts.cases += last.cases;
        counts.failures += last.failures;
        drop(served);
        Ok(counts)
    })();
    if let Some((_, name)) = &database {
        drop_database(name);
    }
    let _ = std::fs::remove_dir_all(&tmp);
    result
}

/// A new PostgreSQL database on `DATABASE_URL`'s server: (its URL, its name).
fn create_database(engine: &str) -> Result<(String, String)> {
    let admin = env("DATABASE_URL").context("DATABASE_URL")?;
    let name = format!("rh_schemathesis_{engine}_{}", std::process::id());
    psql(&format!("CREATE DATABASE {name}"))?;
    let base = admin
        .rsplit_once('/')
        .context("DATABASE_URL has no database path")?
        .0;
    Ok((format!("{base}/{name}"), name))
}

fn drop_database(name: &str) {
    if let Err(e) = psql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")) {
        eprintln!("schemathesis: cannot drop database {name}: {e:#}");
    }
}

fn psql(sql: &str) -> Result<()> {
    let admin = env("DATABASE_URL").context("DATABASE_URL")?;
    let out = Command::new("psql")
        .args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])
        .output()
        .context("cannot run psql")?;
    if !out.status.success() {
        bail!(
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn create_user(server: &Path, db_args: &[String], tmp: &Path, name: &str) -> Result<String> {
    let out = Command::new(server)
        .args(["user", "create", name])
        .args(db_args)
        .env("HOME", tmp.join("home"))
        .env("RUST_LOG", "warn")
        .output()
        .context("cannot run rh-server user create")?;
    if !out.status.success() {
        bail!(
            "rh-server user create {name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// `rh-server serve` on a free loopback port; (the process, its URL).
fn serve(server: &Path, db_args: &[String], tmp: &Path) -> Result<(Served, String)> {
    let mut cmd = Command::new(server);
    // Schemathesis sends bad tokens on purpose: the failed-authentication limit would answer 429 and wait.
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--auth-fail-limit",
        "1000000000",
    ])
    .args(db_args)
    .env("HOME", tmp.join("home"))
    .env("RUST_LOG", "error,vaultrs=off,rustify=off")
    .stdout(Stdio::piped())
    .stderr(std::fs::File::create(tmp.join("server.log"))?);
    if let Some(addr) = env("VAULT_ADDR") {
        cmd.args(["--vault-addr", &addr]);
        if let Some(root) = env("VAULT_TOKEN") {
            let token = crate::vault_server_token(server, &addr, &root, tmp)?;
            cmd.arg("--vault-token-file")
                .arg(token)
                .env_remove("VAULT_TOKEN");
        }
    }
    let mut child = cmd.spawn().context("cannot start rh-server")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let served = Served(child);
    let mut url = String::new();
    BufReader::new(stdout).read_line(&mut url)?;
    let url = url.trim().to_owned();
    if !url.starts_with("http://") {
        bail!("rh-server printed {url:?} instead of its url");
    }
    Ok((served, url))
}

fn st_run(st: &str, url: &str, token: &str, filter: &[&str], tmp: &Path) -> Result<Counts> {
    let mut cmd = Command::new(st);
    cmd.args(["run", url, "--no-color", "--generation-database", "none"])
        .args([
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--checks",
            CHECKS,
        ])
        .args(["--request-timeout", "30", "--workers", "1"])
        .arg("--header")
        .arg(format!("Authorization: Bearer {token}"))
        .args(filter)
        .current_dir(tmp)
        .env("HOME", tmp.join("home"));
    if env("VAULT_ADDR").is_none() {
        // Without a Vault the secrets routes answer their documented 503, which `not_a_server_error` counts.
        println!("schemathesis: VAULT_ADDR is not set; the /user/secret routes are left out");
        cmd.args(["--exclude-path-regex", "^/user/secret"]);
    }
    eprintln!(
        "$ {st} run {url} --max-examples {MAX_EXAMPLES} --seed {SEED} --checks {CHECKS} {}",
        filter.join(" ")
    );
    let out = cmd.output().with_context(|| format!("cannot run {st}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // The report, token masked by schemathesis itself (`Authorization: [Filtered]`).
    print!("{text}");
    let counts = parse_summary(&text);
    if !out.status.success() && counts.failures == 0 {
        bail!(
            "schemathesis exited with {} without counting a failure: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(counts)
}

/// Reads schemathesis' summary: `Tested: 22`, and `874 generated, 874 passed` or
/// `874 generated, 2 found 2 unique failures`.
fn parse_summary(text: &str) -> Counts {
    let mut c = Counts::default();
    for line in text.lines().map(str::trim) {
        if let Some(n) = line.strip_prefix("Tested: ") {
            c.operations = n.trim().parse().unwrap_or(0);
        }
        if let Some((generated, rest)) = line.split_once(" generated, ") {
            c.cases = generated.trim().parse().unwrap_or(0);
            if let Some((_, failures)) = rest.split_once(" found ") {
                c.failures = failures
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(1);
            }
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_summary() {
        let ok = parse_summary(
            "API Operations:\n  Selected: 22/23\n  Tested: 22\n\nTest cases:\n  874 generated, 874 passed\n",
        );
        assert_eq!((ok.operations, ok.cases, ok.failures), (22, 874, 0));
        let bad = parse_summary(
            "  Tested: 23\nTest cases:\n  874 generated, 2 found 2 unique failures\n",
        );
        assert_eq!((bad.operations, bad.cases, bad.failures), (23, 874, 2));
    }
}
