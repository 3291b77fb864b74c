//! The steps of `../shared/seed/accessibility-tutorial.rst`, run through the `rh` CLI, then its code cells
//! run through Python with `import rh` (crates/rh-py/tests/test_tutorial.py, under `pytest -s`, so each cell
//! is printed with its output).
//!
//! Needs OpenBao (`VAULT_ADDR`, `VAULT_TOKEN`) and an S3 server (`AWS_ENDPOINT_URL` and its keys) in the
//! environment, and the package installed in `target/rh-py-venv`; `cargo xtask tutorial` provides all three
//! (`cargo xtask test` has built the venv before it runs these steps). Everything else (rh-server on its
//! embedded SQLite, the account, HOME) is made here in a temp dir and removed afterwards.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result, bail};

struct Tutorial {
    rh: PathBuf,
    server_bin: PathBuf,
    root: PathBuf,
    home: PathBuf,
    work: PathBuf,
    server: Option<Child>,
    /// Values printed by the name of a shell variable in the echoed commands (`"$TOKEN"`, the account
    /// token): a transcript names a secret, it does not mask it (rh's output is masked by rh).
    named: Vec<(String, &'static str)>,
}

impl Drop for Tutorial {
    fn drop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "xtask has no rh_config; it reads what .ci/services.sh exported"
)]
fn env(key: &str) -> Result<String> {
    std::env::var(key).with_context(|| format!("{key} is not set: run `cargo xtask tutorial`"))
}

impl Tutorial {
    /// Prints `$ rh ARGS`, runs it (with `stdin` if given) and prints its output; fails on a non-zero exit.
    fn rh(&self, args: &[&str], stdin: Option<&[u8]>) -> Result<String> {
        let shown: Vec<&str> = args
            .iter()
            .map(|a| {
                self.named
                    .iter()
                    .find(|(value, _)| value == a)
                    .map_or(*a, |(_, name)| *name)
            })
            .collect();
        println!("\n$ rh {}", shown.join(" "));
        let mut cmd = Command::new(&self.rh);
        cmd.args(args)
            .env("HOME", &self.home)
            .env_remove("RH_CONFIG_DIR")
            .env_remove("RH_TOKEN")
            .current_dir(&self.work)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().context("cannot start rh")?;
        if let Some(input) = stdin {
            child.stdin.take().expect("piped").write_all(input)?;
        }
        let out = child.wait_with_output()?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        print!("{}", String::from_utf8_lossy(&out.stderr));
        print!("{stdout}");
        if !out.status.success() {
            bail!("step `rh {}` failed with {}", args.join(" "), out.status);
        }
        Ok(stdout)
    }

    fn show_file(&self, path: &Path) -> Result<()> {
        println!("\n$ cat {}", path.display());
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        print!("{text}");
        if !text.ends_with('\n') {
            println!();
        }
        Ok(())
    }
}

fn heading(text: &str) {
    println!("\n==== {text} ====");
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub(crate) fn steps(root: &Path) -> Result<()> {
    let vault_addr = env("VAULT_ADDR")?;
    let vault_token = env("VAULT_TOKEN")?;
    let s3_key = env("AWS_ACCESS_KEY_ID")?;
    let s3_secret = env("AWS_SECRET_ACCESS_KEY")?;
    env("AWS_ENDPOINT_URL")?;
    let tmp = std::env::temp_dir().join(format!("rh-tutorial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let mut t = Tutorial {
        rh: root.join("target/debug/rh"),
        server_bin: root.join("target/debug/rh-server"),
        home: tmp.join("home"),
        work: tmp.join("home/project"),
        root: tmp.clone(),
        server: None,
        named: Vec::new(),
    };
    std::fs::create_dir_all(&t.work)?;
    // A project folder under git, as the tutorial's notebook was: local resources land in its rh/.
    let _ = Command::new("git")
        .args(["init", "-q"])
        .current_dir(&t.work)
        .status();

    // rh-server on its embedded SQLite, with the Vault it proxies secrets to.
    let port = free_port()?;
    let url = format!("http://127.0.0.1:{port}");
    let data = tmp.join("server");
    println!("$ TOKEN=$(rh-server user create carolineechen --email caroline@example.com)");
    let out = Command::new(&t.server_bin)
        .args([
            "user",
            "create",
            "carolineechen",
            "--email",
            "caroline@example.com",
            "--data-dir",
        ])
        .arg(&data)
        .output()?;
    if !out.status.success() {
        bail!(
            "rh-server user create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    t.named.push((token.clone(), "\"$TOKEN\""));
    // The server gets a Vault token limited to rh's paths, never the admin's root token.
    println!("$ rh-server vault setup --admin-token-file admin-token --token-file vault-token");
    let server_token =
        crate::vault_server_token(&t.server_bin, &vault_addr, &vault_token, &tmp.join("vault"))?;
    println!("$ rh-server serve --bind 127.0.0.1:{port} --vault-token-file vault-token");
    t.server = Some(
        Command::new(&t.server_bin)
            .args([
                "serve",
                "--bind",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(&data)
            .arg("--vault-token-file")
            .arg(&server_token)
            .env("VAULT_ADDR", &vault_addr)
            .env_remove("VAULT_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?,
    );
    wait_for(port)?;
    println!("rh-server is serving {url}");

    heading("Secrets Management");
    t.rh(&["secrets", "providers"], None)?;
    let secrets = format!(
        r#"{{"aws": {{"access_key": "{s3_key}", "secret_key": "{s3_secret}"}}, "lambda": {{"api_key": "lambda-tutorial-key"}}}}"#
    );
    t.rh(
        &["secrets", "save", "--from-json", "-"],
        Some(secrets.as_bytes()),
    )?;
    t.rh(&["secrets", "status"], None)?;
    // Upload azure secrets into Vault, then download everything into the local files.
    t.rh(&["secrets", "put", "azure", "subscription_id=12345"], None)?;
    // `pull` asks nothing (it never replaces a different key without `--force`), so it takes no `--yes`.
    t.rh(&["secrets", "pull"], None)?;
    t.show_file(&t.home.join(".azure/clouds.config"))?;
    t.rh(&["secrets", "put", "aws", "--from-env"], None)?;
    t.rh(&["secrets", "get", "azure"], None)?;

    heading("Login and logout");
    t.rh(
        &[
            "login",
            &token,
            "--api-server-url",
            &url,
            "--no-download-config",
            "--upload-config",
            "--no-download-secrets",
            "--upload-secrets",
            "--yes",
        ],
        None,
    )?;
    t.rh(&["logout"], None)?;
    t.rh(
        &[
            "login",
            &token,
            "--api-server-url",
            &url,
            "--download-config",
            "--no-upload-config",
            "--no-download-secrets",
            "--no-upload-secrets",
        ],
        None,
    )?;

    heading("Setting Config Options");
    t.rh(&["config", "set", "use_spot", "true"], None)?;
    t.rh(&["config", "set", "default_autostop", "30"], None)?;
    t.rh(&["config", "set", "default_provider", "cheapest"], None)?;
    t.rh(&["config", "upload"], None)?;

    heading("Local RNS");
    t.rh(
        &[
            "cluster",
            "create",
            "~/aws_cluster",
            "--instance-type",
            "V100:1",
            "--provider",
            "aws",
        ],
        None,
    )?;
    t.show_file(&t.work.join("rh/aws_cluster/config.json"))?;
    t.rh(&["resource", "show", "~/aws_cluster"], None)?;
    t.rh(&["resource", "show", "~/aws_cluster", "--json"], None)?;

    heading("Runhouse RNS");
    let bucket = format!("rh-tutorial-{}", std::process::id());
    t.rh(&["config", "set", "default_blob_bucket", &bucket], None)?;
    let pickled = Command::new("python3")
        .args([
            "-c",
            "import pickle,sys; sys.stdout.buffer.write(pickle.dumps(list(range(10))))",
        ])
        .output()?
        .stdout;
    let data_file = t.work.join("data.pkl");
    std::fs::write(&data_file, &pickled)?;
    println!(
        "\n$ python3 -c 'import pickle; open(\"data.pkl\", \"wb\").write(pickle.dumps(list(range(10))))'"
    );
    t.rh(
        &[
            "blob",
            "write",
            "my_blob",
            "--system",
            "s3",
            "--create-bucket",
            "data.pkl",
        ],
        None,
    )?;
    t.rh(&["resource", "show", "my_blob"], None)?;
    t.rh(&["blob", "read", "my_blob", "-o", "loaded.pkl"], None)?;
    println!(
        "\n$ python3 -c 'import pickle; print(pickle.loads(open(\"loaded.pkl\", \"rb\").read()))'"
    );
    let out = Command::new("python3")
        .args([
            "-c",
            "import pickle; print(pickle.loads(open('loaded.pkl', 'rb').read()))",
        ])
        .current_dir(&t.work)
        .output()?;
    let printed = String::from_utf8_lossy(&out.stdout).into_owned();
    print!("{printed}");
    if printed.trim() != "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]" {
        bail!("the blob did not come back as list(range(10))");
    }
    t.rh(
        &[
            "resource",
            "share",
            "my_blob",
            "--user",
            "teammate1@email.com",
            "--access",
            "write",
        ],
        None,
    )?;
    t.rh(&["resource", "history", "my_blob"], None)?;

    println!("\nThe tutorial ran end to end through the CLI.");
    drop(t);
    python_cells(root)?;
    println!("\nThe tutorial ran end to end, through the CLI and through Python.");
    Ok(())
}

/// The tutorial's code cells through Python: `pytest -s test_tutorial.py` in the package's venv, which starts
/// its own rh-server and HOME. pytest's closing line is relabelled, so `cargo xtask test` (which runs these
/// steps after the pytest suite) counts this as the one tutorial result, not as more pytest tests.
fn python_cells(root: &Path) -> Result<()> {
    use std::io::{BufRead, BufReader};
    heading("The tutorial's cells through Python (`import rh` for `import runhouse as rh`)");
    #[expect(
        clippy::disallowed_methods,
        reason = "xtask has no rh_config; where cargo puts its builds"
    )]
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let python = target.join("rh-py-venv/bin/python");
    if !python.is_file() {
        bail!(
            "{} is missing: the Python package is not built (run `cargo xtask tutorial`, which builds it)",
            python.display()
        );
    }
    println!("$ cd crates/rh-py/tests && python -m pytest -s -q test_tutorial.py");
    let mut child = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "-s",
            "-q",
            "-p",
            "no:cacheprovider",
            "test_tutorial.py",
        ])
        .current_dir(root.join("crates/rh-py/tests"))
        .env("RH_TEST_RH_BIN", target.join("debug/rh"))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", python.display()))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if crate::parse_pytest_line(&line).is_some() {
            println!("python cells: {}", line.trim().trim_matches('=').trim());
        } else {
            println!("{line}");
        }
    }
    let status = child.wait()?;
    if !status.success() {
        bail!("the tutorial's cells through Python failed ({status})");
    }
    Ok(())
}

fn wait_for(port: u16) -> Result<()> {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    bail!("rh-server did not start on port {port}")
}
