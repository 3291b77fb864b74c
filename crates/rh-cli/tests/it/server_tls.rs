//! `rh login` against an rh-server that serves HTTPS with a self-signed certificate, trusted through
//! `SSL_CERT_FILE` (as curl and the AWS CLI read it).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use rh_test::{CliTest, stderr};

/// A running `rh-server serve --tls-cert … --tls-key …`; killed on drop.
struct TlsServer {
    child: Child,
    url: String,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn isolated(bin: &Path, root: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", root)
        .env("RUST_LOG", "warn");
    cmd
}

fn start(dir: &Path, cert: &Path, key: &Path) -> (TlsServer, String) {
    start_as(dir, cert, key, "alice")
}

fn start_as(dir: &Path, cert: &Path, key: &Path, user: &str) -> (TlsServer, String) {
    let bin = rh_test::server::server_bin();
    let data = dir.join("data");
    let out = isolated(&bin, dir)
        .args(["user", "create", user, "--data-dir"])
        .arg(&data)
        .output()
        .expect("user create");
    assert!(out.status.success(), "{}", stderr(&out));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let mut serve = isolated(&bin, dir);
    // The shared OpenBao, when the harness started one: the server's Vault proxy uses it.
    for key in ["VAULT_ADDR", "VAULT_TOKEN"] {
        if let Some(v) = rh_test::service_env(key) {
            serve.env(key, v);
        }
    }
    let mut child = serve
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--allow-root-vault-token",
            "--data-dir",
        ])
        .arg(&data)
        .arg("--tls-cert")
        .arg(cert)
        .arg("--tls-key")
        .arg(key)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn rh-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read url");
    let url = line.trim().to_owned();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    (TlsServer { child, url }, token)
}

#[test]
fn login_over_https_trusts_ssl_cert_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = rh_test::self_signed_cert(dir.path());
    let (server, token) = start(dir.path(), &cert, &key);

    // Without the certificate trusted: one clear failure, nothing stored.
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let out = t.run(["login", &token, "--api-server-url", &server.url]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!t.config_file().exists());

    t.env("SSL_CERT_FILE", &cert);
    t.ok(["login", &token, "--api-server-url", &server.url]);
    let config = std::fs::read_to_string(t.config_file()).expect("config.yaml");
    assert!(config.contains("alice"), "{config}");
    assert!(config.contains(&server.url), "{config}");

    // `rh logout --revoke`: the token stops working on the server, not only here.
    t.ok(["logout", "--revoke", "--yes"]);
    let again = t.run(["login", &token, "--api-server-url", &server.url]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(
        stderr(&again).contains("invalid token"),
        "{}",
        stderr(&again)
    );
    let out = t.run(["logout", "--revoke", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("not logged in"), "{}", stderr(&out));

    // A broken SSL_CERT_FILE is named in a one-line error.
    let bad = dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let mut t2 = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t2.env("SSL_CERT_FILE", &bad);
    let out = t2.run(["login", &token, "--api-server-url", &server.url]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("SSL_CERT_FILE"), "{err}");
}

/// `rh login --upload-secrets` / `--download-secrets` against an HTTPS rh-server whose certificate only
/// `SSL_CERT_FILE` trusts: the secrets move through the same trusted client as the login itself.
#[test]
fn login_secrets_move_over_https_trusted_by_ssl_cert_file() {
    if !rh_test::integration() {
        // Needs the OpenBao of `cargo xtask test`; `remote::login_uploads_…` covers the no-Vault case.
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = rh_test::self_signed_cert(dir.path());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos();
    let user = format!("tls-{}-{nanos}", std::process::id());
    let (server, token) = start_as(dir.path(), &cert, &key, &user);

    let mut a = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    a.env("SSL_CERT_FILE", &cert);
    std::fs::create_dir_all(a.home().join(".aws")).expect("dir");
    let creds =
        "[default]\naws_access_key_id = AKIATLSLOGIN00000001\naws_secret_access_key = tls-secret\n";
    std::fs::write(a.home().join(".aws/credentials"), creds).expect("write");
    a.ok([
        "login",
        &token,
        "--api-server-url",
        &server.url,
        "--upload-secrets",
    ]);

    let mut b = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    b.env("SSL_CERT_FILE", &cert);
    let out = b.run([
        "login",
        &token,
        "--api-server-url",
        &server.url,
        "--download-secrets",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pulled = std::fs::read_to_string(b.home().join(".aws/credentials")).expect("pulled");
    assert!(pulled.contains("AKIATLSLOGIN00000001"), "{pulled}");
    assert!(pulled.contains("tls-secret"), "{pulled}");
}
