//! Benchmarks of rh-server: `GET /resource/{uri}` throughput and p50/p99 latency on loopback, with 1 and 64
//! concurrent clients, on SQLite and PostgreSQL, next to OpenBao's KV v2 GET of a same-size value (section
//! `server`); and `PUT` of the same (section `server-writes`, [`run_writes`]) next to OpenBao's KV v2 PUT, with
//! the fsyncs each acknowledged write costs.
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
    requests: u64,
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
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a count"
    )]
    let requests = number(&line, "requests") as u64;
    Ok(Load {
        requests,
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

impl Served {
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
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
        // Vault only where a section passes `--vault-addr` and a server token of its own.
        .env_remove("VAULT_ADDR")
        .env_remove("VAULT_TOKEN")
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
    create_named_user(server, db, home, "bench")
}

fn create_named_user(server: &Path, db: &[String], home: &Path, name: &str) -> Result<String> {
    let out = Command::new(server)
        .args(["user", "create", name])
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

/// Runs the GET measurements against one backend; returns the GET figures by concurrency, without and
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
    // The PUT rows are the `server-writes` section's.
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
    if !bench.options.no_build {
        crate::build_release()?;
    }
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
        shared_secret_reads(bench, &lg, &bao, &home)?;
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

/// How many tokens OpenBao holds (`LIST auth/token/accessors`, root only); `None` if it will not say.
fn vault_token_count(addr: &str, root: &str) -> Option<u64> {
    let out = Command::new("curl")
        .args(["-s", "-X", "LIST", "-H"])
        .arg(format!("X-Vault-Token: {root}"))
        .arg(format!("{addr}/v1/auth/token/accessors"))
        .output()
        .ok()?;
    // {"data": {"keys": ["accessor", …]}, …}: accessors are plain tokens without quotes in them.
    let text = String::from_utf8_lossy(&out.stdout);
    let keys = text.split_once("\"keys\":[")?.1.split_once(']')?.0;
    Some((keys.matches('"').count() / 2) as u64)
}

/// A named secret alice shared read-only with bob, read by bob through rh-server (`GET /user/secret/{uri}
/// ?shared=true`: the grant check, the audit row of a non-owner's read, the owner's child token) at 1 and 64
/// clients, next to the same run's direct OpenBao KV v2 GET (`bao`). The child-token cache's hit rate comes from
/// OpenBao: the tokens it minted during the reads, against the reads.
fn shared_secret_reads(bench: &mut Bench, lg: &Path, bao: &[Load], home: &Path) -> Result<()> {
    let (Some(addr), Some(root)) = (service_env("VAULT_ADDR"), service_env("VAULT_TOKEN")) else {
        return Ok(());
    };
    let server = bench.bin("rh-server");
    let dir = home.join("team");
    let db = vec![
        "--data-dir".to_owned(),
        dir.join("data").display().to_string(),
    ];
    let alice = create_named_user(&server, &db, home, "alice")?;
    let bob = create_named_user(&server, &db, home, "bob")?;
    let token_file = crate::vault_server_token(&server, &addr, &root, &dir)?;
    let tf = token_file.display().to_string();
    let s = serve(
        &server,
        &db,
        home,
        &["--vault-addr", &addr, "--vault-token-file", &tf],
    )?;
    let value = "x".repeat(VALUE_BYTES);
    let as_alice = format!("Authorization: Bearer {alice}");
    let steps = [
        (
            "POST",
            format!("{}/resource", s.url),
            r#"{"name": "/alice/bench-openai", "resource_type": "secret", "data": {"provider": "openai"}}"#
                .to_owned(),
        ),
        (
            "PUT",
            format!("{}/user/secret/alice:bench-openai", s.url),
            format!(r#"{{"name": "/alice/bench-openai", "data": {{"values": {{"api_key": "{value}"}}}}}}"#),
        ),
        (
            "PUT",
            format!("{}/resource/alice:bench-openai/users/access", s.url),
            r#"{"users": ["bob"], "access_level": "read", "notify_users": false}"#.to_owned(),
        ),
    ];
    for (method, url, body) in &steps {
        let mut a = load_args(method, url, &as_alice, Some(body), 1);
        a.extend(["--count".to_owned(), "1".to_owned()]);
        if loadgen(lg, &a)?.errors > 0 {
            bail!("cannot set up the shared secret ({method} {url})");
        }
    }
    let url = format!("{}/user/secret/alice:bench-openai?shared=true", s.url);
    let as_bob = format!("Authorization: Bearer {bob}");
    let before = vault_token_count(&addr, &root);
    let mut reads = 0;
    for (i, c) in CONCURRENCY.iter().enumerate() {
        let l = loadgen(lg, &load_args("GET", &url, &as_bob, None, *c))?;
        reads += l.requests;
        bench.row(
            "server",
            format!(
                "team secrets: grantee GET /user/secret/{{uri}}?shared=true, {c} client(s), SQLite"
            ),
            l.summary(),
            format!(
                "{SECONDS} s, {VALUE_BYTES} B value; grant check + audit row + owner's child token"
            ),
        );
        let ratio = l.rps / bao[i].rps.max(f64::MIN_POSITIVE);
        bench.row(
            "server",
            format!("team secrets: grantee read vs OpenBao KV v2 GET, {c} client(s)"),
            format!("{ratio:.2}x"),
            format!("target >= 0.5x: {}", verdict(ratio >= 0.5)),
        );
    }
    let after = vault_token_count(&addr, &root);
    match (before, after) {
        (Some(b), Some(a)) if reads > 0 => {
            let minted = a.saturating_sub(b);
            #[expect(clippy::cast_precision_loss, reason = "a rate")]
            let hit = 100.0 * (1.0 - minted as f64 / reads as f64);
            bench.row(
                "server",
                "team secrets: child-token cache hit rate during the grantee reads",
                format!("{hit:.3} %"),
                format!("{minted} token(s) minted for {reads} reads (OpenBao's token count before and after)"),
            );
        }
        _ => bench.row(
            "server",
            "team secrets: child-token cache hit rate",
            "unknown",
            "OpenBao did not list its tokens",
        ),
    }
    Ok(())
}

// ---- the `server-writes` section ----

/// Acknowledged writes of the fsync pass (its own pass: tracing slows the writer, so its rate is not reported).
const FSYNC_WRITES: usize = 2000;

/// The PUT figures of one engine (and SQLite mode).
struct Writes {
    label: String,
    /// 1 client.
    one: Load,
    /// 64 clients on one resource (every write a new version of it).
    hot: Load,
    /// 64 clients, each on a resource of its own.
    spread: Load,
}

/// The `--sqlite-synchronous` modes `rh-server serve` offers: `[None]` (its default) while it has no such flag.
fn sqlite_modes(server: &Path) -> Vec<Option<&'static str>> {
    let listed = Command::new(server)
        .args(["serve", "--help"])
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("--sqlite-synchronous"));
    if listed {
        vec![Some("normal"), Some("full")]
    } else {
        vec![None]
    }
}

/// A resource payload named `name` with a 1 KiB value; `{n}` in it makes every PUT a real change.
fn resource_body(name: &str) -> String {
    let value = "x".repeat(VALUE_BYTES);
    format!(
        "{{\"name\": \"{name}\", \"resource_type\": \"blob\", \"data\": {{\"value\": \"{value}\", \"n\": {{n}}}}}}"
    )
}

fn once(mut args: Vec<String>, count: usize) -> Vec<String> {
    args.extend(["--count".to_owned(), count.to_string()]);
    args
}

/// Runs `run` while strace counts the fsync and fdatasync calls of `pids` (and their threads); returns the calls
/// and what `run` returned.
fn count_fsyncs(
    home: &Path,
    pids: &[u32],
    run: impl FnOnce() -> Result<Load>,
) -> Result<(u64, Load)> {
    let out = home.join("strace-c.txt");
    let _ = std::fs::remove_file(&out);
    let mut cmd = Command::new("/usr/bin/strace");
    cmd.args(["-f", "-c", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&out)
        .stderr(Stdio::null());
    for p in pids {
        cmd.arg("-p").arg(p.to_string());
    }
    let mut strace = cmd.spawn().context("cannot run /usr/bin/strace")?;
    // strace attaches to every thread before the load starts.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let got = run();
    // SIGINT: strace detaches and writes its summary.
    let _ = Command::new("kill")
        .args(["-INT", &strace.id().to_string()])
        .status();
    let _ = strace.wait();
    let load = got?;
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    // `100.00    0.012345          12      1000           total`: the calls column.
    let calls = text
        .lines()
        .find(|l| l.trim_end().ends_with("total"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    Ok((calls, load))
}

/// The PUT rows of one engine: 1 client, 64 on one resource, 64 on one resource each; then, in a separate pass
/// under strace, the fsyncs of [`FSYNC_WRITES`] writes of `traced`'s processes (the server's for SQLite).
#[expect(
    clippy::too_many_arguments,
    reason = "the engine's settings, each its own"
)]
fn measure_writes(
    bench: &mut Bench,
    lg: &Path,
    label: &str,
    db: &[String],
    extra: &[&str],
    home: &Path,
    traced: &dyn Fn(&Served) -> Result<Vec<u32>>,
    fsync_note: &str,
) -> Result<Writes> {
    let server = bench.bin("rh-server");
    let token = create_user(&server, db, home)?;
    let s = serve(&server, db, home, extra)?;
    let auth = format!("Authorization: Bearer {token}");
    let post = format!("{}/resource", s.url);
    let hot_body = resource_body("/bench/r");
    let spread_body = resource_body("/bench/w{c}");
    let made = loadgen(
        lg,
        &once(load_args("POST", &post, &auth, Some(&hot_body), 1), 1),
    )?;
    let made_spread = loadgen(
        lg,
        &once(
            load_args("POST", &post, &auth, Some(&resource_body("/bench/w{n}")), 1),
            CONCURRENCY[1],
        ),
    )?;
    if made.errors + made_spread.errors > 0 {
        bail!("cannot create the bench resources on {label}");
    }
    let hot_url = format!("{}/resource/bench:r", s.url);
    let spread_url = format!("{}/resource/bench:w{{c}}", s.url);
    let load = super::loadavg();
    let put = |bench: &mut Bench, what: &str, url: &str, body: &str, c: usize| -> Result<Load> {
        let l = loadgen(lg, &load_args("PUT", url, &auth, Some(body), c))?;
        bench.row(
            "server-writes",
            format!("rh-server PUT /resource, {what}, {label}"),
            l.summary(),
            format!(
                "{SECONDS} s, {VALUE_BYTES} B value, each a new version with history and audit row; load {}",
                super::loadavg()
            ),
        );
        Ok(l)
    };
    let one = put(bench, "1 client", &hot_url, &hot_body, 1)?;
    let hot = put(
        bench,
        "64 clients on one resource",
        &hot_url,
        &hot_body,
        CONCURRENCY[1],
    )?;
    let spread = put(
        bench,
        "64 clients, a resource each",
        &spread_url,
        &spread_body,
        CONCURRENCY[1],
    )?;
    let pids = traced(&s)?;
    let traced_args = once(
        load_args(
            "PUT",
            &spread_url,
            &auth,
            Some(&spread_body),
            CONCURRENCY[1],
        ),
        FSYNC_WRITES,
    );
    let (calls, l) = count_fsyncs(home, &pids, || loadgen(lg, &traced_args))?;
    #[expect(clippy::cast_precision_loss, reason = "counts")]
    let per_write = calls as f64 / (l.requests.max(1) as f64);
    bench.row(
        "server-writes",
        format!("fsyncs per acknowledged PUT, {label}"),
        format!("{per_write:.3} ({calls} fsync/fdatasync calls for {} writes)", l.requests),
        format!(
            "64 clients, a resource each; strace -f -c -e trace=fsync,fdatasync on {fsync_note}, a pass of its \
             own; load at start {load}"
        ),
    );
    drop(s);
    Ok(Writes {
        label: label.to_owned(),
        one,
        hot,
        spread,
    })
}

/// The pids of every PostgreSQL process (backends, WAL writer, checkpointer…), from `pg_stat_activity`.
fn postgres_pids(admin: &str) -> Result<Vec<u32>> {
    let out = Command::new("psql")
        .args([admin, "-qAtc", "SELECT pid FROM pg_stat_activity"])
        .output()
        .context("cannot run psql")?;
    if !out.status.success() {
        bail!("psql failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect())
}

/// A PostgreSQL setting (`fsync`, `synchronous_commit`), or `?`.
fn postgres_setting(admin: &str, name: &str) -> String {
    Command::new("psql")
        .args([admin, "-qAtc", &format!("SHOW {name}")])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or_else(
            || "?".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
}

/// A PostgreSQL of the bench's own with fsync and synchronous commit on (the services' one runs with
/// `fsync=off`): a fresh cluster in a temporary dir on a free port, stopped (by its data dir) on drop.
struct DurablePg {
    ctl: PathBuf,
    data: PathBuf,
    as_postgres: bool,
    url: String,
}

impl DurablePg {
    fn command(program: &Path, as_postgres: bool) -> Command {
        if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        }
    }

    fn quiet(cmd: &mut Command) -> Result<()> {
        let out = cmd
            .output()
            .with_context(|| format!("cannot run {cmd:?}"))?;
        if !out.status.success() {
            bail!(
                "{} failed: {}",
                Path::new(cmd.get_program()).display(),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }

    /// `None` when no PostgreSQL server binaries are installed.
    fn start(home: &Path) -> Result<Option<Self>> {
        let mut bins: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|d| {
                d.filter_map(|e| e.ok().map(|e| e.path().join("bin")))
                    .collect()
            })
            .unwrap_or_default();
        bins.retain(|b| b.join("initdb").exists());
        bins.sort();
        let Some(bin) = bins.pop() else {
            return Ok(None);
        };
        let dir = home.join("pg-durable");
        std::fs::create_dir_all(&dir)?;
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        if root {
            Self::quiet(
                Command::new("chown")
                    .args(["-R", "postgres:postgres"])
                    .arg(&dir),
            )?;
        }
        let data = dir.join("data");
        Self::quiet(
            Self::command(&bin.join("initdb"), root)
                .arg("-D")
                .arg(&data)
                .args([
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-instructions",
                ]),
        )?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let ctl = bin.join("pg_ctl");
        Self::quiet(
            Self::command(&ctl, root)
                .arg("-D")
                .arg(&data)
                .arg("-l")
                .arg(dir.join("postgres.log"))
                .args(["-w", "-t", "60", "-o"])
                .arg(format!(
                    "-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=on \
                     -c synchronous_commit=on -c full_page_writes=on",
                    dir.display()
                ))
                .arg("start"),
        )?;
        Ok(Some(Self {
            ctl,
            data,
            as_postgres: root,
            url: format!("postgres://postgres@127.0.0.1:{port}/postgres"),
        }))
    }
}

impl Drop for DurablePg {
    fn drop(&mut self) {
        let _ = Self::command(&self.ctl, self.as_postgres)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "fast", "stop"])
            .output();
    }
}

/// Measures the writes on one PostgreSQL (`admin`: its admin URL) in a database of their own.
fn measure_postgres(
    bench: &mut Bench,
    lg: &Path,
    home: &Path,
    admin: &str,
    what: &str,
) -> Result<Writes> {
    let name = format!("rh_bench_w_{}", std::process::id());
    psql(admin, &format!("DROP DATABASE IF EXISTS {name}"))?;
    psql(admin, &format!("CREATE DATABASE {name}"))?;
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    let db = vec!["--database-url".to_owned(), format!("{base}/{name}")];
    let label = format!(
        "PostgreSQL ({what}: fsync={}, synchronous_commit={})",
        postgres_setting(admin, "fsync"),
        postgres_setting(admin, "synchronous_commit")
    );
    let pids = |_: &Served| postgres_pids(admin);
    let got = measure_writes(
        bench,
        lg,
        &label,
        &db,
        &[],
        home,
        &pids,
        "every PostgreSQL process (pg_stat_activity: backends, WAL writer, checkpointer)",
    );
    let _ = psql(
        admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    got
}

/// OpenBao KV v2 PUT of the same value: 1 client, 64 on one key, 64 on a key each.
fn openbao_puts(bench: &mut Bench, lg: &Path) -> Result<Option<Writes>> {
    let (Some(addr), Some(token)) = (service_env("VAULT_ADDR"), service_env("VAULT_TOKEN")) else {
        bench.row(
            "server-writes",
            "OpenBao KV v2 PUT",
            "skipped",
            "VAULT_ADDR/VAULT_TOKEN not set",
        );
        return Ok(None);
    };
    let path = format!("rh-bench-put-{}", std::process::id());
    let header = format!("X-Vault-Token: {token}");
    let value = "x".repeat(VALUE_BYTES);
    let body = format!("{{\"data\": {{\"value\": \"{value}\", \"n\": {{n}}}}}}");
    let put = |bench: &mut Bench, what: &str, key: &str, c: usize| -> Result<Load> {
        let url = format!("{addr}/v1/secret/data/{key}");
        let l = loadgen(lg, &load_args("POST", &url, &header, Some(&body), c))?;
        bench.row(
            "server-writes",
            format!("OpenBao KV v2 PUT, {what}"),
            l.summary(),
            format!(
                "{SECONDS} s, {VALUE_BYTES} B value, each a new KV version; dev server, in memory; load {}",
                super::loadavg()
            ),
        );
        Ok(l)
    };
    let one = put(bench, "1 client", &path, 1)?;
    let hot = put(bench, "64 clients on one key", &path, CONCURRENCY[1])?;
    let spread = put(
        bench,
        "64 clients, a key each",
        &format!("{path}-{{c}}"),
        CONCURRENCY[1],
    )?;
    for key in
        std::iter::once(path.clone()).chain((0..CONCURRENCY[1]).map(|c| format!("{path}-{c}")))
    {
        let del = load_args(
            "DELETE",
            &format!("{addr}/v1/secret/metadata/{key}"),
            &header,
            None,
            1,
        );
        let _ = loadgen(lg, &once(del, 1));
    }
    Ok(Some(Writes {
        label: "OpenBao".to_owned(),
        one,
        hot,
        spread,
    }))
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// `cargo xtask bench server-writes`: `PUT /resource` with history on SQLite (each `--sqlite-synchronous` mode
/// the server offers) and PostgreSQL, next to OpenBao KV v2 PUT, the fsyncs per write, and the issue 17 targets.
pub(crate) fn run_writes(bench: &mut Bench) -> Result<()> {
    if !bench.options.no_build {
        crate::build_release()?;
    }
    let lg: PathBuf = bench.root.join("target/release/examples/loadgen");
    let home = super::tempfile_dir("server-writes")?;
    let server = bench.bin("rh-server");
    let mut sqlite = Vec::new();
    for mode in sqlite_modes(&server) {
        let (label, extra) = match mode {
            Some(m) => (
                format!("SQLite --sqlite-synchronous {m}"),
                vec!["--sqlite-synchronous", m],
            ),
            None => (
                "SQLite (synchronous NORMAL, no --sqlite-synchronous yet)".to_owned(),
                vec![],
            ),
        };
        let data = home.join(format!("data-{}", mode.unwrap_or("default")));
        let db = vec!["--data-dir".to_owned(), data.display().to_string()];
        let server_pid = |s: &Served| Ok(vec![s.pid()]);
        sqlite.push(measure_writes(
            bench,
            &lg,
            &label,
            &db,
            &extra,
            &home,
            &server_pid,
            "rh-server",
        )?);
    }
    let mut pg = Vec::new();
    match service_env("DATABASE_URL") {
        Some(admin) => pg.push(measure_postgres(
            bench,
            &lg,
            &home,
            &admin,
            ".ci/services.sh's",
        )?),
        None => bench.row(
            "server-writes",
            "rh-server PUT on PostgreSQL",
            "skipped",
            "DATABASE_URL not set",
        ),
    }
    match DurablePg::start(&home) {
        Ok(Some(durable)) => {
            let got = measure_postgres(bench, &lg, &home, &durable.url, "the bench's own");
            drop(durable);
            pg.push(got?);
        }
        Ok(None) => bench.row(
            "server-writes",
            "rh-server PUT on a durable PostgreSQL",
            "skipped",
            "no /usr/lib/postgresql/*/bin/initdb",
        ),
        Err(e) => bench.row(
            "server-writes",
            "rh-server PUT on a durable PostgreSQL",
            "skipped",
            format!("cannot start one: {e:#}"),
        ),
    }
    let bao = openbao_puts(bench, &lg)?;

    let shapes = |w: &Writes| [("one resource", w.hot), ("a resource each", w.spread)];
    for w in &sqlite {
        for (shape, l) in shapes(w) {
            bench.row(
                "server-writes",
                format!(
                    "target: {}, 64 clients ({shape}) >= 4,000 PUT/s with p99 <= 50 ms",
                    w.label
                ),
                format!("{:.0} PUT/s, p99 {:.1} ms", l.rps, l.p99),
                verdict(l.rps >= 4000.0 && l.p99 <= 50.0),
            );
        }
        bench.row(
            "server-writes",
            format!("target: {}, 1 client >= 2,500 PUT/s", w.label),
            format!("{:.0} PUT/s", w.one.rps),
            verdict(w.one.rps >= 2500.0),
        );
        if let Some(b) = &bao {
            for ((shape, l), (_, bl)) in shapes(w).into_iter().zip(shapes(b)) {
                bench.row(
                    "server-writes",
                    format!(
                        "target: {}, 64 clients ({shape}) >= OpenBao KV v2 PUT",
                        w.label
                    ),
                    format!(
                        "{:.2}x ({:.0} vs {:.0} PUT/s)",
                        l.rps / bl.rps.max(f64::MIN_POSITIVE),
                        l.rps,
                        bl.rps
                    ),
                    verdict(l.rps >= bl.rps),
                );
            }
        }
    }
    for w in &pg {
        for (shape, l) in shapes(w) {
            bench.row(
                "server-writes",
                format!("target: {}, 64 clients ({shape}) >= 3,000 PUT/s", w.label),
                format!("{:.0} PUT/s", l.rps),
                verdict(l.rps >= 3000.0),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&home);
    Ok(())
}
