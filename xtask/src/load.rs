//! `cargo xtask load [--clients N] [--seconds S] [--db sqlite|postgres|both]`: the long mixed-traffic run of
//! rh-server (not in CI). Builds `rh-server` and its `loadmix` example in release, starts the server on a fresh
//! SQLite data dir and/or a fresh database on `DATABASE_URL`'s PostgreSQL (without `DATABASE_URL`, one started
//! by `.ci/services.sh` for the run), creates four users and runs
//! `loadmix` (every answer checked, every key read back afterwards). Fails on any error.

use std::process::Command;

use anyhow::{Context as _, Result, bail};

use crate::bench::server::{psql, serve};

#[expect(
    clippy::disallowed_methods,
    reason = "the load run reads the service variables of .ci/services.sh"
)]
fn service_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

const USERS: [&str; 4] = ["ann", "ben", "cat", "dan"];

fn create_user(
    server: &std::path::Path,
    name: &str,
    db: &[String],
    home: &std::path::Path,
) -> Result<String> {
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

fn one(
    root: &std::path::Path,
    label: &str,
    db: &[String],
    clients: &str,
    seconds: &str,
) -> Result<()> {
    let server = root.join("target/release/rh-server");
    let home = crate::bench::tempfile_dir(&format!("load-{label}"))?;
    let mut cmd = Command::new(root.join("target/release/examples/loadmix"));
    for name in USERS {
        let token = create_user(&server, name, db, &home)?;
        cmd.arg("--user").arg(format!("{name}={token}"));
    }
    let s = serve(&server, db, &home, &[])?;
    println!(
        "== {label}: {clients} clients for {seconds} s against {}",
        s.url
    );
    let status = cmd
        .args(["--url", &s.url, "--clients", clients, "--seconds", seconds])
        .status()
        .context("cannot run loadmix")?;
    drop(s);
    let _ = std::fs::remove_dir_all(&home);
    if !status.success() {
        bail!("the load on {label} had errors");
    }
    Ok(())
}

pub(crate) fn run(root: &std::path::Path, args: &[String]) -> Result<()> {
    let (mut clients, mut seconds, mut db) = ("64".to_owned(), "60".to_owned(), "both".to_owned());
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--clients" => clients.clone_from(value),
            "--seconds" => seconds.clone_from(value),
            "--db" if ["sqlite", "postgres", "both"].contains(&value.as_str()) => {
                db.clone_from(value);
            }
            _ => bail!(
                "usage: cargo xtask load [--clients N] [--seconds S] [--db sqlite|postgres|both]"
            ),
        }
    }
    if db != "sqlite" && service_env("DATABASE_URL").is_none() {
        // No PostgreSQL given: run again under `.ci/services.sh`, which starts one (and stops only what it started).
        let me = std::env::current_exe().context("cannot find the xtask binary")?;
        let script = "set -uo pipefail\n. .ci/services.sh\ntrap stop_services EXIT\nset -e\n\
                      start_postgres >/dev/null\nset +e\n\"$0\" load \"$@\"\n";
        let status = Command::new("bash")
            .arg("-c")
            .arg(script)
            .arg(&me)
            .args(args)
            .current_dir(root)
            .status()
            .context("cannot run bash")?;
        if !status.success() {
            bail!("the load run failed ({status})");
        }
        return Ok(());
    }
    crate::build_release()?;
    if db != "postgres" {
        let home = crate::bench::tempfile_dir("load-data")?;
        let sqlite = vec![
            "--data-dir".to_owned(),
            home.join("data").display().to_string(),
        ];
        let got = one(root, "SQLite", &sqlite, &clients, &seconds);
        let _ = std::fs::remove_dir_all(&home);
        got?;
    }
    if db != "sqlite" {
        let admin = service_env("DATABASE_URL").context(
            "DATABASE_URL is not set: source the services env (.ci/services.sh start_postgres)",
        )?;
        let name = format!("rh_load_{}", std::process::id());
        psql(&admin, &format!("CREATE DATABASE {name}"))?;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        let pg = vec!["--database-url".to_owned(), format!("{base}/{name}")];
        let got = one(root, "PostgreSQL", &pg, &clients, &seconds);
        let _ = psql(
            &admin,
            &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        );
        got?;
    }
    Ok(())
}
