//! A real `rh-server` process for client tests (rh-rns's remote store, the `rh` CLI).
//!
//! The binary is found next to the running test: `target/<profile>/rh-server` (a test binary lives in
//! `target/<profile>/deps/`). `cargo test --workspace` builds every workspace binary before any test
//! runs, so it is there; with `cargo test -p <crate>` run `cargo build -p rh-server` first, or point
//! `RH_TEST_SERVER_BIN` at a binary. Each [`TestServer`] gets its own SQLite data dir in a temp dir and is
//! killed on drop.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// Where the `rh-server` binary is.
pub fn server_bin() -> PathBuf {
    if let Some(p) = crate::service_env("RH_TEST_SERVER_BIN") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test binary's path");
    for dir in exe.ancestors().skip(1) {
        let candidate = dir.join("rh-server");
        if candidate.is_file() {
            return candidate;
        }
        if dir.file_name().is_some_and(|n| n == "target") {
            break;
        }
    }
    panic!(
        "no rh-server binary next to {}: run `cargo build -p rh-server` first \
         (`cargo test --workspace` builds it), or set RH_TEST_SERVER_BIN",
        exe.display()
    );
}

/// A running `rh-server serve` on a fresh SQLite database; killed on drop.
#[derive(Debug)]
pub struct TestServer {
    child: Child,
    dir: tempfile::TempDir,
    bin: PathBuf,
    url: String,
}

impl TestServer {
    /// Starts a server on `127.0.0.1:<free port>` with a temp `--data-dir`.
    pub fn start() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rh-test-server-")
            .tempdir()
            .expect("create a temp dir");
        std::fs::create_dir_all(dir.path().join("home")).expect("create home");
        let bin = server_bin();
        let (child, url) = spawn(&bin, dir.path());
        Self {
            child,
            dir,
            bin,
            url,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The SQLite data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// `rh-server user create NAME [--email E]` on this server's database; returns the new token.
    pub fn create_user(&self, name: &str, email: Option<&str>) -> String {
        let mut cmd = self.cli();
        cmd.args(["user", "create", name]);
        if let Some(e) = email {
            cmd.args(["--email", e]);
        }
        cmd.arg("--data-dir").arg(self.data_dir());
        let out = cmd.output().expect("run rh-server user create");
        assert!(
            out.status.success(),
            "rh-server user create {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Stops the server (the database stays until the value is dropped).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn cli(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        isolate(&mut cmd, self.dir.path());
        cmd
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn isolate(cmd: &mut Command, root: &Path) {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", root.join("home"))
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
}

fn spawn(bin: &Path, root: &Path) -> (Child, String) {
    let mut cmd = Command::new(bin);
    cmd.args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(root.join("data"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    isolate(&mut cmd, root);
    // The shared OpenBao, when the harness started one: secrets of logged-in users go through this server.
    for key in ["VAULT_ADDR", "VAULT_TOKEN"] {
        if let Some(v) = crate::service_env(key) {
            cmd.env(key, v);
        }
    }
    if crate::service_env("VAULT_TOKEN").is_some() {
        // The shared OpenBao's token is its root token; `vault setup` is tested on its own.
        cmd.arg("--allow-root-vault-token");
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read the server url");
    let url = line.trim().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:"),
        "rh-server printed {url:?} instead of its url"
    );
    (child, url)
}

/// A loopback URL where nothing listens (a port that was just free).
pub fn dead_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    let port = l.local_addr().expect("local addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}
