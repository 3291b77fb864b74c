//! Test harness shared by the rh crates: a [`CliTest`] that runs a real binary in a throwaway home,
//! snapshot filters, and helpers to reach the loopback services `cargo xtask test` starts.
//!
//! It is a dev-dependency only; nothing here ships in `rh`.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub mod server;

/// A throwaway HOME and `RH_CONFIG_DIR`, and a way to run a binary inside them with a clean environment.
#[derive(Debug)]
pub struct CliTest {
    root: tempfile::TempDir,
    bin: PathBuf,
    envs: Vec<(String, String)>,
}

impl CliTest {
    /// A fresh test home for the binary at `bin` (pass `env!("CARGO_BIN_EXE_rh")`).
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        let root = tempfile::Builder::new()
            .prefix("rh-test-")
            .tempdir()
            .expect("create a temp dir");
        std::fs::create_dir_all(root.path().join("home")).expect("create home");
        std::fs::create_dir_all(root.path().join("work")).expect("create work dir");
        Self {
            root,
            bin: bin.into(),
            envs: Vec::new(),
        }
    }

    /// The temporary HOME.
    pub fn home(&self) -> PathBuf {
        self.root.path().join("home")
    }

    /// The `RH_CONFIG_DIR` (`$HOME/.rh`).
    pub fn config_dir(&self) -> PathBuf {
        self.home().join(".rh")
    }

    /// `$HOME/.rh/config.yaml`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir().join("config.yaml")
    }

    /// A working directory inside the test root (the current dir of every command).
    pub fn work_dir(&self) -> PathBuf {
        self.root.path().join("work")
    }

    /// The test root (parent of home and work).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// Adds an environment variable to every later command.
    pub fn env(&mut self, key: &str, value: impl AsRef<OsStr>) -> &mut Self {
        self.envs.push((
            key.to_owned(),
            value.as_ref().to_string_lossy().into_owned(),
        ));
        self
    }

    /// A command for the binary, with the environment cleared except PATH, HOME, `RH_CONFIG_DIR`,
    /// `NO_COLOR` and what [`CliTest::env`] added.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        cmd.env_clear()
            .env("PATH", path_var())
            .env("HOME", self.home())
            .env("RH_CONFIG_DIR", self.config_dir())
            .env("NO_COLOR", "1")
            .current_dir(self.work_dir());
        for (k, v) in &self.envs {
            cmd.env(k, v);
        }
        cmd
    }

    /// Runs the binary with `args` and returns its output.
    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.command()
            .args(args)
            .output()
            .expect("spawn the binary")
    }

    /// Runs the binary with `args`, writing `input` to its stdin, and returns its output.
    pub fn run_stdin<I, S>(&self, args: I, input: impl AsRef<[u8]>) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the binary");
        let mut stdin = child.stdin.take().expect("piped stdin");
        // A command may exit before reading all of it (an error test); that is not a write failure.
        let _ = stdin.write_all(input.as_ref());
        drop(stdin);
        child.wait_with_output().expect("wait for the binary")
    }

    /// Runs and asserts success, returning stdout as text.
    pub fn ok<I, S>(&self, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "command failed: {}\nstderr: {}",
            out.status,
            stderr(&out)
        );
        stdout(&out)
    }

    /// insta filters replacing this test's temp paths, timestamps and versions with placeholders.
    pub fn filters(&self) -> Vec<(String, String)> {
        let mut f = vec![
            (
                regex_escape(&self.home().to_string_lossy()),
                "[HOME]".to_owned(),
            ),
            (
                regex_escape(&self.root().to_string_lossy()),
                "[TMP]".to_owned(),
            ),
        ];
        f.extend(common_filters());
        f
    }

    /// Runs `f` with this test's insta filters bound.
    pub fn with_filters(&self, f: impl FnOnce()) {
        let filters = self.filters();
        let refs: Vec<(&str, &str)> = filters
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        insta::with_settings!({ filters => refs }, { f() });
    }
}

/// Filters for output that changes from run to run.
pub fn common_filters() -> Vec<(String, String)> {
    vec![
        (
            r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}([.,]\d+)?(Z|[+-]\d{2}:?\d{2})?".to_owned(),
            "[TIME]".to_owned(),
        ),
        (
            r"\b[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\b".to_owned(),
            "[UUID]".to_owned(),
        ),
        (r"\b\d+\.\d+\.\d+\b".to_owned(), "[VERSION]".to_owned()),
    ]
}

/// The output's stdout as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The output's stderr as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The file's Unix permission bits.
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("stat {}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// True when the integration services started by `cargo xtask test` are available.
pub fn integration() -> bool {
    service_env("RH_TEST_INTEGRATION").is_some_and(|v| v == "1")
}

/// Reads a variable that `cargo xtask test` exports for the tests (service addresses and the like).
#[expect(
    clippy::disallowed_methods,
    reason = "tests read the harness's own variables"
)]
pub fn service_env(key: &str) -> Option<String> {
    std::env::var(key).ok().filter(|v| !v.is_empty())
}

#[expect(
    clippy::disallowed_methods,
    reason = "tests pass the caller's PATH through"
)]
fn path_var() -> String {
    std::env::var("PATH").unwrap_or_else(|_| "/usr/local/bin:/usr/bin:/bin".to_owned())
}

fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A self-signed certificate for 127.0.0.1 and `localhost` (a leaf, not a CA, as webpki wants), made with the
/// `openssl` CLI in `dir`; returns the certificate and key PEM paths.
pub fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
        .args(["-subj", "/CN=localhost"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(out.status.success(), "openssl: {}", stderr(&out));
    (cert, key)
}
