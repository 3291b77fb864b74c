//! `cargo xtask compat`: the original Runhouse 0.0.7 Python client against a real rh-server.
//!
//! Creates the client's venv when it is missing (pyenv's Python 3.10, `runhouse==0.0.7` as published before
//! 2023-06-29), builds `rh-server`, starts it on a throwaway SQLite data dir with two accounts, and runs
//! `xtask/compat/runhouse_client.py`, which exits non-zero when any step fails. With `VAULT_ADDR` and
//! `VAULT_TOKEN` set (as `.ci/services.sh start_vault` exports them) the secrets steps run too.
//! Not part of `cargo xtask test`: installing Runhouse is too heavy for CI.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context as _, Result, bail};

/// Where the client's venv lives (shared with the benchmarks that compare against Runhouse).
const VENV: &str = "/opt/rh-bench/venv-runhouse";
/// The pip line that builds it: the client as it was when 0.0.7 was current.
const PIP_ARGS: &[&str] = &[
    "install",
    "--uploaded-prior-to",
    "2023-06-28T23:59:59Z",
    "runhouse==0.0.7",
    "huggingface_hub",
];

#[expect(
    clippy::disallowed_methods,
    reason = "xtask reads the service variables of .ci/services.sh and pyenv's root"
)]
fn env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

/// pyenv's newest 3.10, or `python3.10` on PATH.
fn python310() -> Result<PathBuf> {
    let root = env("PYENV_ROOT")
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| Path::new(&h).join(".pyenv")));
    if let Some(root) = root
        && let Ok(entries) = std::fs::read_dir(root.join("versions"))
    {
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with("3.10"))
            .map(|e| e.path().join("bin/python3.10"))
            .filter(|p| p.exists())
            .collect();
        found.sort();
        if let Some(p) = found.pop() {
            return Ok(p);
        }
    }
    if Command::new("python3.10").arg("--version").output().is_ok() {
        return Ok(PathBuf::from("python3.10"));
    }
    bail!("no Python 3.10 found (install it with pyenv: `pyenv install 3.10`)")
}

fn ensure_venv(venv: &Path) -> Result<PathBuf> {
    let python = venv.join("bin/python");
    let ready = Command::new(&python)
        .args([
            "-c",
            "import runhouse, sys; sys.exit(runhouse.__version__ != '0.0.7')",
        ])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if ready {
        return Ok(python);
    }
    let base = python310()?;
    eprintln!("creating the Runhouse 0.0.7 venv at {}", venv.display());
    crate::run(Command::new(&base).arg("-m").arg("venv").arg(venv))?;
    crate::run(Command::new(&python).args(["-m", "pip", "install", "-q", "--upgrade", "pip"]))?;
    crate::run(Command::new(&python).args(["-m", "pip"]).args(PIP_ARGS))?;
    Ok(python)
}

/// A running rh-server, killed on drop.
struct Served(Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn create_user(server: &Path, data: &Path, home: &Path, name: &str) -> Result<String> {
    let out = Command::new(server)
        .args(["user", "create", name, "--email"])
        .arg(format!("{name}@example.com"))
        .arg("--data-dir")
        .arg(data)
        .env("HOME", home)
        .env("RUST_LOG", "warn")
        .output()
        .context("cannot run rh-server user create")?;
    if !out.status.success() {
        bail!(
            "rh-server user create {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

pub(crate) fn run(root: &Path) -> Result<()> {
    let python = ensure_venv(Path::new(VENV))?;
    crate::run(Command::new("cargo").args(["build", "-p", "rh-server", "--bin", "rh-server"]))?;
    let server = root.join("target/debug/rh-server");
    let tmp = std::env::temp_dir().join(format!("rh-compat-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let (data, home, work) = (tmp.join("data"), tmp.join("home"), tmp.join("work"));
    for d in [&home, &work] {
        std::fs::create_dir_all(d)?;
    }
    let result = (|| {
        let alice = create_user(&server, &data, &home, "alice")?;
        let bob = create_user(&server, &data, &home, "bob")?;
        let mut serve = Command::new(&server);
        if let (Some(addr), Some(root)) = (env("VAULT_ADDR"), env("VAULT_TOKEN")) {
            let token = crate::vault_server_token(&server, &addr, &root, &tmp.join("vault"))?;
            serve
                .arg("serve")
                .arg("--vault-token-file")
                .arg(token)
                .env_remove("VAULT_TOKEN");
        } else {
            serve.arg("serve");
        }
        let mut child = serve
            .args(["--bind", "127.0.0.1:0", "--data-dir"])
            .arg(&data)
            .env("HOME", &home)
            // The secrets step reads a deleted provider on purpose; Vault's 404 is not worth a log line.
            .env("RUST_LOG", "warn,vaultrs=off,rustify=off")
            .stdout(Stdio::piped())
            .spawn()
            .context("cannot start rh-server")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let served = Served(child);
        let mut url = String::new();
        BufReader::new(stdout).read_line(&mut url)?;
        let url = url.trim().to_owned();
        if !url.starts_with("http://") {
            bail!("rh-server printed {url:?} instead of its url");
        }
        eprintln!("rh-server at {url}; running the Runhouse 0.0.7 client against it");
        let secrets = env("VAULT_ADDR").is_some() && env("VAULT_TOKEN").is_some();
        let status = Command::new(&python)
            .arg(root.join("xtask/compat/runhouse_client.py"))
            .current_dir(&work)
            .env("HOME", &home)
            .env("RH_COMPAT_URL", &url)
            .env("RH_COMPAT_TOKEN", &alice)
            .env("RH_COMPAT_BOB_TOKEN", &bob)
            .env("RH_COMPAT_WORK", &work)
            .env("RH_COMPAT_SECRETS", if secrets { "1" } else { "0" })
            .status()
            .context("cannot run the compatibility script")?;
        drop(served);
        if !status.success() {
            bail!("the Runhouse client failed against rh-server ({status})");
        }
        Ok(())
    })();
    let _ = std::fs::remove_dir_all(&tmp);
    result
}
