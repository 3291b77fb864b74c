//! Benchmarks of the secrets area: `rh secrets providers` and `rh secrets status` as whole processes,
//! on an empty home and on one where all eight providers are configured, next to `aws configure get`
//! (what a user would run instead to check one provider) when awscli is installed.
//!
//! With `VAULT_ADDR` and `VAULT_TOKEN` set (the local OpenBao of `.ci/services.sh`): `rh secrets push`
//! and `pull` of the eight providers, a no-change `diff`, with the requests each made (from `-v`), and
//! `rh run -- true` next to plain `true`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;

use super::Bench;

const RUNS: usize = 30;

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    let empty = super::tempfile_dir("secrets-empty")?;
    let full = super::tempfile_dir("secrets-full")?;
    configure_all(&full)?;
    let rh = bench.bin("rh");
    for (home, label) in [(&empty, "empty home"), (&full, "all eight configured")] {
        for args in [&["secrets", "providers"][..], &["secrets", "status"]] {
            let stats = bench.measure(RUNS, || rh_in(&rh, home, args))?;
            bench.row(
                "secrets",
                format!("`rh {}` ({label})", args.join(" ")),
                stats.summary(),
                format!("{RUNS} runs, whole process"),
            );
        }
    }
    if let Some(aws) = on_path("aws") {
        let stats = bench.measure(5, || {
            let mut c = Command::new(&aws);
            c.args(["configure", "get", "aws_access_key_id"])
                .env("HOME", &full)
                .env_remove("AWS_SHARED_CREDENTIALS_FILE")
                .env_remove("AWS_ACCESS_KEY_ID")
                .env_remove("AWS_PROFILE");
            c
        })?;
        bench.row(
            "secrets",
            "`aws configure get aws_access_key_id` (awscli, for comparison)",
            stats.summary(),
            "5 runs; checks one provider",
        );
    }
    // A named secret on this machine, added to a command's environment (and redaction set).
    let created = rh_in(
        &rh,
        &full,
        &[
            "secrets",
            "create",
            "~/bench-db",
            "DATABASE_URL=postgres://u:pw@127.0.0.1/db",
        ],
    )
    .output()?;
    if created.status.success() {
        let stats = bench.measure(RUNS, || {
            rh_in(&rh, &full, &["run", "--secret", "~/bench-db", "--", "true"])
        })?;
        bench.row(
            "secrets",
            "`rh run --secret ~/bench-db -- true`",
            stats.summary(),
            format!(
                "{RUNS} runs, whole process; target <= 15 ms: {}",
                if stats.median <= std::time::Duration::from_millis(15) {
                    "met"
                } else {
                    "NOT met"
                }
            ),
        );
    } else {
        anyhow::bail!(
            "rh secrets create failed: {}",
            String::from_utf8_lossy(&created.stderr)
        );
    }
    vault_rows(bench, &rh, &full)?;
    let _ = std::fs::remove_dir_all(&empty);
    let _ = std::fs::remove_dir_all(&full);
    Ok(())
}

/// What `configure_all` holds, as `rh secrets save --from-json` input.
const ALL_EIGHT_JSON: &str = r#"{"aws": {"access_key": "AKIABENCH", "secret_key": "s"}, "azure": {"subscription_id": "sub"}, "gcp": {"client_id": "c", "client_secret": "s"}, "huggingface": {"token": "hf_bench"}, "lambda": {"api_key": "bench"}, "sky": {"ssh_private_key": "PRIVATE\n", "ssh_public_key": "ssh-ed25519 AAAA sky\n"}, "ssh": {"id_rsa": "PRIVATE\n", "id_rsa.pub": "ssh-rsa AAAA me\n"}, "github": {"token": "gho_bench"}}"#;

const EIGHT: [&str; 8] = [
    "aws",
    "azure",
    "gcp",
    "huggingface",
    "lambda",
    "sky",
    "ssh",
    "github",
];

#[expect(
    clippy::disallowed_methods,
    reason = "xtask reads the Vault address the services script exports"
)]
fn vault_env() -> Option<(String, String)> {
    let addr = std::env::var("VAULT_ADDR").ok().filter(|v| !v.is_empty())?;
    let token = std::env::var("VAULT_TOKEN")
        .ok()
        .filter(|v| !v.is_empty())?;
    Some((addr, token))
}

/// Push, pull and diff of the eight providers against the local OpenBao, and `rh run` overhead.
fn vault_rows(bench: &mut Bench, rh: &Path, full: &Path) -> Result<()> {
    let Some((addr, token)) = vault_env() else {
        bench.row(
            "secrets",
            "Vault rows",
            "skipped",
            "set VAULT_ADDR and VAULT_TOKEN (source the env of .ci/services.sh) to measure them",
        );
        return Ok(());
    };
    let user = format!("bench-{}", std::process::id());
    let with_vault = |args: &[&str]| {
        let mut c = rh_in(rh, full, args);
        c.env("VAULT_ADDR", &addr)
            .env("VAULT_TOKEN", &token)
            .env("RH_USERNAME", &user);
        c
    };
    let mut push: Vec<&str> = vec!["secrets", "push", "--yes"];
    push.extend(EIGHT);
    let mut cleanup = vec!["secrets", "delete", "--remote", "--yes"];
    cleanup.extend(EIGHT);
    let first = requests(&with_vault(&push))?;
    let stats = bench.measure(RUNS, || {
        // Untimed: empty the user's Vault path, so every timed push creates all eight.
        let _ = with_vault(&cleanup).output();
        with_vault(&push)
    })?;
    bench.row(
        "secrets",
        "`rh secrets push` of the eight providers (all new)",
        stats.summary(),
        format!("{RUNS} runs, whole process; {first} requests; target ≤ 30 ms"),
    );
    let stats = bench.measure(RUNS, || with_vault(&push))?;
    let n = requests(&with_vault(&push))?;
    bench.row(
        "secrets",
        "`rh secrets push` of the eight providers (no change)",
        stats.summary(),
        format!("{RUNS} runs, whole process; {n} requests (metadata only)"),
    );
    let pull_home = super::tempfile_dir("secrets-pull")?;
    let pull = |args: &[&str]| {
        let mut c = rh_in(rh, &pull_home, args);
        c.env("VAULT_ADDR", &addr)
            .env("VAULT_TOKEN", &token)
            .env("RH_USERNAME", &user);
        c
    };
    let stats = bench.measure(RUNS, || {
        // A fresh home every run, so every run writes all eight providers' files.
        let _ = std::fs::remove_dir_all(&pull_home);
        let _ = std::fs::create_dir_all(&pull_home);
        pull(&["secrets", "pull", "--force"])
    })?;
    let n = requests(&pull(&["secrets", "pull", "--force"]))?;
    bench.row(
        "secrets",
        "`rh secrets pull` of the eight providers into an empty home",
        stats.summary(),
        format!(
            "{RUNS} runs, whole process; {n} requests; writes 10 files, each with two fsyncs \
             (rh_config::write_atomic): compare the local-save row; target ≤ 30 ms"
        ),
    );
    let stats = bench.measure(RUNS, || pull(&["secrets", "pull"]))?;
    bench.row(
        "secrets",
        "`rh secrets pull` of the eight providers (files already current)",
        stats.summary(),
        format!("{RUNS} runs, whole process; {n} requests, nothing written; target ≤ 30 ms"),
    );
    let json = pull_home.join("all.json");
    std::fs::write(&json, ALL_EIGHT_JSON)?;
    let save_home = super::tempfile_dir("secrets-save")?;
    let stats = bench.measure(RUNS, || {
        let _ = std::fs::remove_dir_all(&save_home);
        let _ = std::fs::create_dir_all(&save_home);
        rh_in(
            rh,
            &save_home,
            &["secrets", "save", "--from-json", &json.to_string_lossy()],
        )
    })?;
    bench.row(
        "secrets",
        "`rh secrets save --from-json` of the eight providers into an empty home (no Vault)",
        stats.summary(),
        format!("{RUNS} runs; the local half of a pull: the same 10 files"),
    );
    let _ = std::fs::remove_dir_all(&save_home);
    let stats = bench.measure(RUNS, || with_vault(&["secrets", "diff"]))?;
    let n = requests(&with_vault(&["secrets", "diff"]))?;
    bench.row(
        "secrets",
        "`rh secrets diff` (no change, eight providers)",
        stats.summary(),
        format!("{RUNS} runs; {n} requests, metadata only: list + one metadata read each"),
    );
    let stats = bench.measure(RUNS, || {
        let mut c = with_vault(&["run", "--providers", "aws,huggingface,github", "--", "true"]);
        c.stdin(std::process::Stdio::null());
        c
    })?;
    let plain = bench.measure(RUNS, || Command::new("true"))?;
    bench.row(
        "secrets",
        "`rh run --providers aws,huggingface,github -- true`",
        stats.summary(),
        format!(
            "{RUNS} runs; plain `true` takes {:.1} ms, so rh adds {:.1} ms",
            super::ms(plain.median),
            super::ms(stats.median.saturating_sub(plain.median))
        ),
    );
    let _ = with_vault(&cleanup).output();
    let _ = std::fs::remove_dir_all(&pull_home);
    server_rows(bench, rh, full, &addr, &token)
}

/// A running `rh-server serve` for the bench; killed on drop.
struct Served {
    child: std::process::Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the release `rh-server` on a fresh SQLite dir, wired to the local OpenBao; returns it and a
/// user's token.
fn start_server(bench: &Bench, dir: &Path, addr: &str, token: &str) -> Result<(Served, String)> {
    use std::io::BufRead as _;
    let server = bench.bin("rh-server");
    let data = dir.join("data");
    let user = format!("bench-srv-{}", std::process::id());
    let out = Command::new(&server)
        .args(["user", "create", &user, "--data-dir"])
        .arg(&data)
        .env("HOME", dir)
        .env("RUST_LOG", "warn")
        .output()?;
    if !out.status.success() {
        anyhow::bail!(
            "rh-server user create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let user_token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    // The least-privileged server token, as deployed: each user's calls then run with a child token.
    let token_file = crate::vault_server_token(&server, addr, token, dir)?;
    let mut child = Command::new(&server)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .args(["--vault-addr", addr, "--vault-token-file"])
        .arg(&token_file)
        .env("HOME", dir)
        .env("RUST_LOG", "warn,vaultrs=off,rustify=off")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    std::io::BufReader::new(anyhow::Context::context(
        child.stdout.take(),
        "rh-server has no stdout",
    )?)
    .read_line(&mut line)?;
    let url = line.trim().to_owned();
    Ok((Served { child, url }, user_token))
}

/// The push / pull / diff rows again, logged in: every request goes through rh-server to the same OpenBao.
fn server_rows(bench: &mut Bench, rh: &Path, full: &Path, addr: &str, token: &str) -> Result<()> {
    if !bench.bin("rh-server").is_file() {
        bench.row(
            "secrets",
            "rows through rh-server",
            "skipped",
            "build it: cargo build --release -p rh-server",
        );
        return Ok(());
    }
    let dir = super::tempfile_dir("secrets-server")?;
    let (served, user_token) = start_server(bench, &dir, addr, token)?;
    let via = |home: &Path, args: &[&str]| {
        let mut c = rh_in(rh, home, args);
        // A dead VAULT_ADDR: a direct call would fail, so every row really goes through the server.
        c.env("RH_TOKEN", &user_token)
            .env("RH_API_SERVER_URL", &served.url)
            .env("VAULT_ADDR", "http://127.0.0.1:1");
        c
    };
    let mut push: Vec<&str> = vec!["secrets", "push", "--yes"];
    push.extend(EIGHT);
    let mut cleanup = vec!["secrets", "delete", "--remote", "--yes"];
    cleanup.extend(EIGHT);
    let first = requests(&via(full, &push))?;
    let stats = bench.measure(RUNS, || {
        let _ = via(full, &cleanup).output();
        via(full, &push)
    })?;
    bench.row(
        "secrets",
        "`rh secrets push` of the eight providers (all new), through rh-server",
        stats.summary(),
        format!(
            "{RUNS} runs, whole process; {first} requests to rh-server; compare the direct row"
        ),
    );
    let stats = bench.measure(RUNS, || via(full, &push))?;
    let n = requests(&via(full, &push))?;
    bench.row(
        "secrets",
        "`rh secrets push` of the eight providers (no change), through rh-server",
        stats.summary(),
        format!("{RUNS} runs, whole process; {n} requests (metadata only)"),
    );
    let pull_home = dir.join("pull-home");
    let stats = bench.measure(RUNS, || {
        let _ = std::fs::remove_dir_all(&pull_home);
        let _ = std::fs::create_dir_all(&pull_home);
        via(&pull_home, &["secrets", "pull", "--force"])
    })?;
    let n = requests(&via(&pull_home, &["secrets", "pull", "--force"]))?;
    bench.row(
        "secrets",
        "`rh secrets pull` of the eight providers into an empty home, through rh-server",
        stats.summary(),
        format!("{RUNS} runs, whole process; {n} requests; compare the direct row"),
    );
    let stats = bench.measure(RUNS, || via(full, &["secrets", "diff"]))?;
    let n = requests(&via(full, &["secrets", "diff"]))?;
    bench.row(
        "secrets",
        "`rh secrets diff` (no change, eight providers), through rh-server",
        stats.summary(),
        format!("{RUNS} runs; {n} requests, metadata only"),
    );
    let _ = via(full, &cleanup).output();
    drop(served);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// Runs `cmd` with `-v` and reads the request count rh logs.
fn requests(cmd: &Command) -> Result<u64> {
    let mut c = Command::new(cmd.get_program());
    c.arg("-v").args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let out = c.output()?;
    if !out.status.success() {
        anyhow::bail!("{}", String::from_utf8_lossy(&out.stderr));
    }
    let err = String::from_utf8_lossy(&out.stderr);
    Ok(err
        .lines()
        .rev()
        .find_map(|l| {
            let rest = &l[l.find("made ")? + 5..];
            rest.split(' ').next()?.parse::<u64>().ok()
        })
        .unwrap_or(0))
}

fn rh_in(rh: &Path, home: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(rh);
    c.args(args)
        .env("HOME", home)
        .env("RH_CONFIG_DIR", home.join(".rh"));
    // The bench must see the files, not whatever the caller has in its environment.
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AZURE_SUBSCRIPTION_ID",
        "CLIENT_ID",
        "CLIENT_SECRET",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "HF_TOKEN",
        "HF_HOME",
        "HF_TOKEN_PATH",
        "GH_TOKEN",
        "GH_CONFIG_DIR",
        "XDG_CONFIG_HOME",
        "XDG_CACHE_HOME",
    ] {
        c.env_remove(var);
    }
    c
}

/// Writes credential files for all eight providers, as their own tools would.
fn configure_all(home: &Path) -> Result<()> {
    let files: &[(&str, &str)] = &[
        (
            ".aws/credentials",
            "[work]\naws_access_key_id = AKIAWORK\naws_secret_access_key = w\n\n[default]\naws_access_key_id = AKIABENCH\naws_secret_access_key = s\n",
        ),
        (".azure/clouds.config", "[AzureCloud]\nsubscription = sub\n"),
        (
            ".config/gcloud/application_default_credentials.json",
            "{\"client_id\": \"c\", \"client_secret\": \"s\", \"refresh_token\": \"r\", \"type\": \"authorized_user\"}\n",
        ),
        (".cache/huggingface/token", "hf_bench"),
        (".lambda_cloud/lambda_keys", "api_key = bench\n"),
        (".ssh/sky-key", "PRIVATE\n"),
        (".ssh/sky-key.pub", "ssh-ed25519 AAAA sky\n"),
        (".ssh/id_rsa", "PRIVATE\n"),
        (".ssh/id_rsa.pub", "ssh-rsa AAAA me\n"),
        (
            ".config/gh/hosts.yml",
            "github.com:\n  oauth_token: gho_bench\n",
        ),
    ];
    for (rel, text) in files {
        let p = home.join(rel);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(p, text)?;
    }
    Ok(())
}

#[expect(
    clippy::disallowed_methods,
    reason = "xtask reads PATH to find a peer tool"
)]
fn on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").ok()?;
    path.split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}
