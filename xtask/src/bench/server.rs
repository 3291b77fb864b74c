//! Benchmarks of rh-server: `GET` and `PUT /resource/{uri}` throughput and p50/p99 latency on loopback, with 1
//! and 64 concurrent clients, on SQLite and PostgreSQL, next to OpenBao's KV v2 GET of a same-size value.
//!
//! The load comes from `rh-server`'s `loadgen` example (reqwest, keep-alive), so xtask itself stays small.
//! PostgreSQL needs `DATABASE_URL` and `psql`; OpenBao needs `VAULT_ADDR` and `VAULT_TOKEN` (as exported by
//! `.ci/services.sh`). Rows for a missing service say so instead of failing the bench.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};

use super::Bench;

/// Seconds each measurement runs.
const SECONDS: &str = "5";
/// Size of the stored value, in bytes.
const VALUE_BYTES: usize = 1024;
const CONCURRENCY: [usize; 2] = [1, 64];

#[expect(
    clippy::disallowed_methods,
    reason = "the bench reads the service variables of .ci/services.sh"
)]
fn service_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// One loadgen result.
#[derive(Debug, Default, Clone, Copy)]
struct Load {
    rps: f64,
    p50: f64,
    p99: f64,
    errors: u64,
}

impl Load {
    fn summary(&self) -> String {
        format!(
            "{:.0} req/s; p50 {:.2} ms, p99 {:.2} ms{}",
            self.rps,
            self.p50,
            self.p99,
            if self.errors > 0 {
                format!("; {} errors", self.errors)
            } else {
                String::new()
            }
        )
    }
}

fn number(line: &str, key: &str) -> f64 {
    // The loadgen prints flat JSON; a tiny scan avoids a JSON dependency in xtask.
    let pat = format!("\"{key}\":");
    line.find(&pat)
        .map(|i| &line[i + pat.len()..])
        .and_then(|rest| {
            let end = rest.find([',', '}']).unwrap_or(rest.len());
            rest[..end].trim().parse().ok()
        })
        .unwrap_or(0.0)
}

fn loadgen(bin: &Path, args: &[String]) -> Result<Load> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .context("cannot run loadgen")?;
    if !out.status.success() {
        bail!("loadgen failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a count"
    )]
    let errors = number(&line, "errors") as u64;
    if errors > 0 {
        eprintln!("[bench] loadgen reported errors: {line}");
    }
    Ok(Load {
        rps: number(&line, "rps"),
        p50: number(&line, "p50_ms"),
        p99: number(&line, "p99_ms"),
        errors,
    })
}

fn load_args(
    method: &str,
    url: &str,
    header: &str,
    body: Option<&str>,
    concurrency: usize,
) -> Vec<String> {
    let mut a = vec![
        "--method".to_owned(),
        method.to_owned(),
        "--url".to_owned(),
        url.to_owned(),
        "--header".to_owned(),
        header.to_owned(),
        "--concurrency".to_owned(),
        concurrency.to_string(),
        "--seconds".to_owned(),
        SECONDS.to_owned(),
    ];
    if let Some(b) = body {
        a.push("--body".to_owned());
        a.push(b.to_owned());
    }
    a
}

pub(crate) struct Served {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve(server: &Path, db: &[String], home: &Path, extra: &[&str]) -> Result<Served> {
    let mut child = Command::new(server)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .args(extra)
        .args(db)
        .env("HOME", home)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start rh-server")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().context("no stdout")?).read_line(&mut line)?;
    let url = line.trim().to_owned();
    if !url.starts_with("http://") {
        let _ = child.kill();
        let _ = child.wait();
        bail!("rh-server printed {url:?} instead of its url");
    }
    Ok(Served { child, url })
}

fn create_user(server: &Path, db: &[String], home: &Path) -> Result<String> {
    let out = Command::new(server)
        .args(["user", "create", "bench"])
        .args(db)
        .env("HOME", home)
        .env("RUST_LOG", "warn")
        .output()?;
    if !out.status.success() {
        bail!(
            "user create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Runs the GET and PUT measurements against one backend; returns the GET figures by concurrency, without and
/// with `--read-cache-ms 1000`.
fn measure_backend(
    bench: &mut Bench,
    lg: &Path,
    label: &str,
    db: &[String],
    home: &Path,
) -> Result<(Vec<Load>, Vec<Load>)> {
    let server = bench.bin("rh-server");
    let token = create_user(&server, db, home)?;
    let s = serve(&server, db, home, &[])?;
    let auth = format!("Authorization: Bearer {token}");
    let value = "x".repeat(VALUE_BYTES);
    let create = format!(
        "{{\"name\": \"/bench/r\", \"resource_type\": \"blob\", \"data\": {{\"value\": \"{value}\", \"n\": -1}}}}"
    );
    let mut first = load_args(
        "POST",
        &format!("{}/resource", s.url),
        &auth,
        Some(&create),
        1,
    );
    first.extend(["--count".to_owned(), "1".to_owned()]);
    let created = loadgen(lg, &first)?;
    if created.errors > 0 {
        bail!("cannot create the bench resource on {label}");
    }
    let url = format!("{}/resource/bench:r", s.url);
    let mut gets = Vec::new();
    for c in CONCURRENCY {
        let l = loadgen(lg, &load_args("GET", &url, &auth, None, c))?;
        bench.row(
            "server",
            format!("rh-server GET /resource, {c} client(s), {label}"),
            l.summary(),
            format!("{SECONDS} s, {VALUE_BYTES} B value"),
        );
        gets.push(l);
    }
    // `{n}` makes every PUT a real change (a 200, not a 422).
    let update = create.replace("\"n\": -1", "\"n\": {n}");
    for c in CONCURRENCY {
        let l = loadgen(lg, &load_args("PUT", &url, &auth, Some(&update), c))?;
        bench.row(
            "server",
            format!("rh-server PUT /resource, {c} client(s), {label}"),
            l.summary(),
            format!("{SECONDS} s, each a new version with history"),
        );
    }
    drop(s);
    let cached = serve(&server, db, home, &["--read-cache-ms", "1000"])?;
    let url = format!("{}/resource/bench:r", cached.url);
    let mut cached_gets = Vec::new();
    for c in CONCURRENCY {
        let l = loadgen(lg, &load_args("GET", &url, &auth, None, c))?;
        bench.row(
            "server",
            format!("rh-server GET /resource, {c} client(s), {label}, --read-cache-ms 1000"),
            l.summary(),
            if label == "PostgreSQL" {
                format!("{SECONDS} s; other processes' changes seen at PostgreSQL's NOTIFY")
            } else {
                format!("{SECONDS} s; other processes' changes seen within 1 s")
            },
        );
        cached_gets.push(l);
    }
    Ok((gets, cached_gets))
}

pub(crate) fn psql(admin: &str, sql: &str) -> Result<()> {
    let out = Command::new("psql")
        .args([admin, "-v", "ON_ERROR_STOP=1", "-qAtc", sql])
        .output()
        .context("cannot run psql")?;
    if !out.status.success() {
        bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn openbao(bench: &mut Bench, lg: &Path) -> Result<Option<Vec<Load>>> {
    let (Some(addr), Some(token)) = (service_env("VAULT_ADDR"), service_env("VAULT_TOKEN")) else {
        bench.row(
            "server",
            "OpenBao KV v2 GET",
            "skipped",
            "VAULT_ADDR/VAULT_TOKEN not set",
        );
        return Ok(None);
    };
    let path = format!("rh-bench-{}", std::process::id());
    let header = format!("X-Vault-Token: {token}");
    let value = "x".repeat(VALUE_BYTES);
    let mut put = load_args(
        "POST",
        &format!("{addr}/v1/secret/data/{path}"),
        &header,
        Some(&format!("{{\"data\": {{\"value\": \"{value}\"}}}}")),
        1,
    );
    put.extend(["--count".to_owned(), "1".to_owned()]);
    if loadgen(lg, &put)?.errors > 0 {
        bench.row(
            "server",
            "OpenBao KV v2 GET",
            "skipped",
            "cannot write the value",
        );
        return Ok(None);
    }
    let mut gets = Vec::new();
    for c in CONCURRENCY {
        let l = loadgen(
            lg,
            &load_args(
                "GET",
                &format!("{addr}/v1/secret/data/{path}"),
                &header,
                None,
                c,
            ),
        )?;
        bench.row(
            "server",
            format!("OpenBao KV v2 GET, {c} client(s)"),
            l.summary(),
            format!("{SECONDS} s, {VALUE_BYTES} B value, same machine and run"),
        );
        gets.push(l);
    }
    let mut del = load_args(
        "DELETE",
        &format!("{addr}/v1/secret/metadata/{path}"),
        &header,
        None,
        1,
    );
    del.extend(["--count".to_owned(), "1".to_owned()]);
    let _ = loadgen(lg, &del);
    Ok(Some(gets))
}

/// What a GET cannot go under on this machine: the HTTP exchange alone (`GET /health`, no database) and, when
/// PostgreSQL is up, one bare PostgreSQL round trip (pgbench, `SELECT 1`, one client). A PostgreSQL-backed GET
/// pays both.
fn floors(bench: &mut Bench, lg: &Path, sqlite: &[String], home: &Path) -> Result<()> {
    let s = serve(&bench.bin("rh-server"), sqlite, home, &[])?;
    let l = loadgen(
        lg,
        &load_args("GET", &format!("{}/health", s.url), "X-Bench: 1", None, 1),
    )?;
    drop(s);
    bench.row(
        "server",
        "floor: rh-server GET /health, 1 client (HTTP alone, no database)",
        l.summary(),
        format!("{SECONDS} s"),
    );
    let Some(admin) = service_env("DATABASE_URL") else {
        return Ok(());
    };
    let script = home.join("select1.sql");
    std::fs::write(&script, "SELECT 1;\n")?;
    let out = Command::new("pgbench")
        .args(["-n", "-M", "prepared", "-c", "1", "-T", SECONDS, "-f"])
        .arg(&script)
        .arg(&admin)
        .output();
    let (value, note) = match out {
        Ok(o) if o.status.success() => {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let pick = |key: &str| {
                text.lines()
                    .find(|l| l.starts_with(key))
                    .and_then(|l| l.split('=').nth(1))
                    .map(|v| v.split_whitespace().next().unwrap_or("").to_owned())
                    .unwrap_or_default()
            };
            (
                format!("{} req/s, mean {} ms", pick("tps"), pick("latency average")),
                format!("pgbench -M prepared, {SECONDS} s"),
            )
        }
        Ok(o) => (
            "skipped".to_owned(),
            format!(
                "pgbench failed: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            ),
        ),
        Err(_) => ("skipped".to_owned(), "pgbench not installed".to_owned()),
    };
    bench.row(
        "server",
        "floor: PostgreSQL round trip alone (SELECT 1, 1 client)",
        value,
        note,
    );
    Ok(())
}

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    crate::build_release()?;
    let lg: PathBuf = bench.root.join("target/release/examples/loadgen");
    let home = super::tempfile_dir("server")?;

    let mut results: Vec<(String, Vec<Load>)> = Vec::new();
    let sqlite = vec![
        "--data-dir".to_owned(),
        home.join("data").display().to_string(),
    ];
    let (plain, cached) = measure_backend(bench, &lg, "SQLite", &sqlite, &home)?;
    results.push(("SQLite".to_owned(), plain));
    results.push(("SQLite, read cache".to_owned(), cached));

    match service_env("DATABASE_URL") {
        Some(admin) => {
            let name = format!("rh_bench_{}", std::process::id());
            psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"))?;
            psql(&admin, &format!("CREATE DATABASE {name}"))?;
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
            let pg = vec!["--database-url".to_owned(), format!("{base}/{name}")];
            let got = measure_backend(bench, &lg, "PostgreSQL", &pg, &home);
            let _ = psql(
                &admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
            let (plain, cached) = got?;
            results.push(("PostgreSQL".to_owned(), plain));
            results.push(("PostgreSQL, read cache".to_owned(), cached));
        }
        None => bench.row(
            "server",
            "rh-server on PostgreSQL",
            "skipped",
            "DATABASE_URL not set",
        ),
    }

    floors(bench, &lg, &sqlite, &home)?;
    if let Some(bao) = openbao(bench, &lg)? {
        for (label, gets) in &results {
            for (i, c) in CONCURRENCY.iter().enumerate() {
                let ratio = gets[i].rps / bao[i].rps.max(f64::MIN_POSITIVE);
                bench.row(
                    "server",
                    format!("GET rate vs OpenBao, {c} client(s), {label}"),
                    format!("{ratio:.2}x"),
                    if ratio >= 2.0 {
                        "target >= 2x: met"
                    } else {
                        "target >= 2x: NOT met"
                    },
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}
