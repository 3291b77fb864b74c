//! What the CLI accepts from the server it logs into, from config.json files and from its own environment
//! (issue 15: items 0, 3, 5, 7, 8 and the plain-HTTP warning of 14). Real `rh` and `rh-server` binaries;
//! the secrets cases use the shared OpenBao behind the server. The CLI runs with every `VAULT_*` and
//! `BAO_*` variable unset unless a case sets the shared Vault's on purpose (the tutorial does).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};

use rh_secrets::vault::{VaultOptions, VaultStore};
use rh_test::server::TestServer;
use rh_test::{CliTest, stderr, stdout};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

fn t() -> CliTest {
    CliTest::new(env!("CARGO_BIN_EXE_rh"))
}

/// A username no other test (or helper run) uses in the shared OpenBao.
fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("trust-{tag}-{}-{nanos}", std::process::id())
}

/// The server's Vault path for `user` (`rh/<user>/…`), read directly.
fn vault_of(user: &str) -> VaultStore {
    VaultStore::new(&VaultOptions::new(
        rh_test::service_env("VAULT_ADDR").expect("VAULT_ADDR"),
        SecretString::from(rh_test::service_env("VAULT_TOKEN").expect("VAULT_TOKEN")),
        Some(user),
    ))
    .expect("vault store")
}

/// The two environments of the tutorial's login: no Vault variables at all (a teammate's laptop), and the
/// shared OpenBao exported as `VAULT_ADDR`/`VAULT_TOKEN` (the tutorial, `.ci/services.sh`).
fn both_envs() -> Vec<(&'static str, CliTest)> {
    let bare = t();
    let mut with_vault = t();
    for key in ["VAULT_ADDR", "VAULT_TOKEN"] {
        with_vault.env(key, rh_test::service_env(key).expect("vault variable"));
    }
    vec![("no VAULT_*", bare), ("VAULT_ADDR set", with_vault)]
}

#[track_caller]
fn ok(t: &CliTest, args: &[&str]) -> String {
    let out = t.run(args);
    assert!(
        out.status.success(),
        "rh {args:?} failed\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    stdout(&out)
}

fn write_aws(t: &CliTest, key_id: &str) {
    std::fs::create_dir_all(t.home().join(".aws")).expect("dir");
    std::fs::write(
        t.home().join(".aws/credentials"),
        format!("[default]\naws_access_key_id = {key_id}\naws_secret_access_key = trust-secret\n"),
    )
    .expect("write");
}

fn write_ssh_key(t: &CliTest) {
    let ssh = t.home().join(".ssh");
    std::fs::create_dir_all(&ssh).expect("dir");
    std::fs::write(
        ssh.join("id_ed25519"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nTRUSTSSHKEY\n-----END OPENSSH PRIVATE KEY-----\n",
    )
    .expect("write");
    std::fs::write(
        ssh.join("id_ed25519.pub"),
        "ssh-ed25519 AAAATRUSTSSHKEY me\n",
    )
    .expect("write");
}

// 15.0 -----------------------------------------------------------------------------------------------

#[tokio::test]
async fn tutorial_login_moves_secrets_through_the_server_with_and_without_a_local_vault() {
    if !rh_test::integration() {
        return;
    }
    let server = TestServer::start();
    for (env, first) in both_envs() {
        let user = unique("tut");
        let token = server.create_user(&user, None);
        // The tutorial's first login: upload config and secrets, -y.
        write_aws(&first, "AKIATRUSTTUTORIAL001");
        ok(&first, &["config", "set", "default_autostop", "30"]);
        let out = first.run([
            "login",
            &token,
            "--api-server-url",
            server.url(),
            "--no-download-config",
            "--upload-config",
            "--no-download-secrets",
            "--upload-secrets",
            "--yes",
        ]);
        assert!(out.status.success(), "{env}: {}", stderr(&out));
        assert!(!stderr(&out).contains("trust-secret"), "{}", stderr(&out));
        let (values, _) = vault_of(&user)
            .get("aws")
            .await
            .expect("vault")
            .unwrap_or_else(|| panic!("{env}: aws was not uploaded to the server's store"));
        assert_eq!(
            values.get("access_key").map(ExposeSecret::expose_secret),
            Some("AKIATRUSTTUTORIAL001"),
            "{env}"
        );
        ok(&first, &["logout"]);
        // The tutorial's second login: download the config only.
        ok(
            &first,
            &[
                "login",
                &token,
                "--api-server-url",
                server.url(),
                "--download-config",
                "--no-upload-config",
                "--no-download-secrets",
                "--no-upload-secrets",
            ],
        );
        assert_eq!(ok(&first, &["config", "get", "default_autostop"]), "30\n");
        // A teammate's machine downloads the secrets at login.
        let second = t();
        let out = second.run([
            "login",
            &token,
            "--api-server-url",
            server.url(),
            "--download-secrets",
        ]);
        assert!(out.status.success(), "{env}: {}", stderr(&out));
        let pulled = std::fs::read_to_string(second.home().join(".aws/credentials"))
            .unwrap_or_else(|e| panic!("{env}: nothing pulled: {e}"));
        assert!(pulled.contains("AKIATRUSTTUTORIAL001"), "{pulled}");
        assert!(second.config_file().is_file(), "{env}: login not saved");
    }
}

#[tokio::test]
async fn login_secrets_use_the_new_token_not_an_old_one() {
    if !rh_test::integration() {
        return;
    }
    let server = TestServer::start();
    let old_user = unique("old");
    let old = server.create_user(&old_user, None);
    let new_user = unique("new");
    let new = server.create_user(&new_user, None);
    let mut m = t();
    m.env("RH_TOKEN", &old);
    write_aws(&m, "AKIATRUSTNEWTOKEN001");
    ok(
        &m,
        &[
            "login",
            &new,
            "--api-server-url",
            server.url(),
            "--upload-secrets",
        ],
    );
    assert!(
        vault_of(&new_user)
            .get("aws")
            .await
            .expect("vault")
            .is_some()
    );
    assert!(
        vault_of(&old_user)
            .get("aws")
            .await
            .expect("vault")
            .is_none()
    );
}

// 8 --------------------------------------------------------------------------------------------------

#[tokio::test]
async fn login_yes_uploads_no_ssh_keys_or_other_secrets() {
    if !rh_test::integration() {
        return;
    }
    let server = TestServer::start();
    for (env, m) in both_envs() {
        let user = unique("yes");
        let token = server.create_user(&user, None);
        write_ssh_key(&m);
        write_aws(&m, "AKIATRUSTYES00000001");
        let out = m.run(["login", &token, "--api-server-url", server.url(), "-y"]);
        assert!(out.status.success(), "{env}: {}", stderr(&out));
        assert_eq!(
            vault_of(&user).list().await.expect("list"),
            Vec::<String>::new(),
            "{env}: -y uploaded secrets"
        );
        // The explicit flag does upload them.
        ok(
            &m,
            &[
                "login",
                &token,
                "--api-server-url",
                server.url(),
                "-y",
                "--upload-secrets",
            ],
        );
        let listed = vault_of(&user).list().await.expect("list");
        assert!(listed.contains(&"ssh".to_owned()), "{env}: {listed:?}");
    }
}

// 3 --------------------------------------------------------------------------------------------------

/// A hostile rh-server on loopback: answers `GET /user` with an account config that tries to repoint the
/// CLI (what a server, or a row stored before the fix, can hold). Returns its URL.
fn hostile_server() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0; length];
            let _ = reader.read_exact(&mut body);
            let answer = json!({"data": {"username": "alice", "email": null, "config": {
                "api_server_url": "http://evil.example",
                "vault_addr": "http://evil.example:8200",
                "vault_mount": "stolen",
                "dashboard_url": "http://evil.example",
                "default_autostop": 7,
                "default_provider": "gcp",
            }}})
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    url
}

#[test]
fn a_downloaded_config_cannot_repoint_the_cli() {
    let url = hostile_server();
    let m = t();
    let out = m.run([
        "login",
        "tok",
        "--api-server-url",
        &url,
        "--download-config",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let warn = stderr(&out);
    for key in [
        "api_server_url",
        "vault_addr",
        "vault_mount",
        "dashboard_url",
    ] {
        assert!(warn.contains(key), "the skipped keys are named: {warn}");
    }
    let text = std::fs::read_to_string(m.config_file()).expect("config");
    assert!(!text.contains("evil"), "{text}");
    assert!(text.contains("default_autostop: 7\n"), "{text}");
    assert!(text.contains(&format!("api_server_url: {url}\n")), "{text}");
    // `rh config download` takes the same allow-list.
    let out = m.run(["config", "download"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("vault_addr"), "{}", stderr(&out));
    let text = std::fs::read_to_string(m.config_file()).expect("config");
    assert!(!text.contains("evil"), "{text}");
    assert_eq!(ok(&m, &["config", "get", "default_provider"]), "gcp\n");
}

#[test]
fn config_upload_sends_only_user_defaults() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let m = t();
    ok(&m, &["config", "set", "default_autostop", "12"]);
    ok(
        &m,
        &["config", "set", "vault_addr", "http://127.0.0.1:8200"],
    );
    ok(&m, &["config", "set", "vault_mount", "kv"]);
    ok(&m, &["config", "set", "default_blob_bucket", "my-bucket"]);
    ok(
        &m,
        &[
            "login",
            &token,
            "--api-server-url",
            server.url(),
            "--upload-config",
        ],
    );
    ok(&m, &["config", "upload"]);
    let rns = rh_rns::remote::RemoteRns::new(server.url(), SecretString::from(token.clone()))
        .expect("client");
    let user = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(rns.user())
        .expect("user");
    assert_eq!(
        Value::Object(user.config),
        json!({"default_autostop": 12, "default_folder": "/alice"})
    );
}

// 5 --------------------------------------------------------------------------------------------------

/// An OSC 52 (write the clipboard) and an OSC 0 (retitle the terminal) sequence, and a C1 CSI.
const OSC52: &str = "\u{1b}]52;c;cHduZWQ=\u{7}";
const TITLE: &str = "\u{1b}]0;pwned\u{7}";

#[track_caller]
fn assert_no_controls(what: &str, text: &str) {
    assert!(
        !text
            .chars()
            .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')),
        "{what} holds a raw control character: {text:?}"
    );
}

#[test]
fn terminal_controls_from_config_files_and_servers_are_escaped() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let m = t();
    ok(&m, &["login", &token, "--api-server-url", server.url()]);
    let file = m.root().join("hostile.json");
    let config = json!({
        "name": "~/x",
        "resource_type": format!("blob{OSC52}"),
        "note": format!("hello{TITLE}\u{9b}2J"),
    });
    std::fs::write(&file, config.to_string()).expect("write");
    let file = file.display().to_string();
    ok(&m, &["resource", "save", "~/x", "--from-json", &file]);
    ok(&m, &["resource", "save", "/alice/x", "--from-json", &file]);
    for args in [
        vec!["resource", "show", "~/x"],
        vec!["resource", "ls", "~"],
        vec!["resource", "show", "/alice/x"],
        vec!["resource", "ls", "/alice"],
        vec!["resource", "history", "/alice/x"],
    ] {
        let out = m.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_no_controls(&format!("{args:?} stdout"), &stdout(&out));
        assert_no_controls(&format!("{args:?} stderr"), &stderr(&out));
    }
    let shown = ok(&m, &["resource", "show", "/alice/x"]);
    assert!(
        shown.contains("type: blob\\x1b]52;c;cHduZWQ=\\x07"),
        "{shown}"
    );
    assert!(
        shown.contains("note: hello\\x1b]0;pwned\\x07\\u{9b}2J"),
        "{shown}"
    );
    let listed = ok(&m, &["resource", "ls", "~"]);
    assert!(listed.contains("blob\\x1b]52"), "{listed}");
    // JSON output stays exact.
    for name in ["~/x", "/alice/x"] {
        let v: Value =
            serde_json::from_str(&ok(&m, &["resource", "show", name, "--json"])).expect("json");
        assert_eq!(v["resource_type"], json!(format!("blob{OSC52}")), "{name}");
        assert_eq!(v["note"], json!(format!("hello{TITLE}\u{9b}2J")), "{name}");
    }
    let v: Value =
        serde_json::from_str(&ok(&m, &["resource", "ls", "/alice", "--json"])).expect("json");
    assert_eq!(v[0]["resource_type"], json!(format!("blob{OSC52}")));
    // A config.yaml value.
    ok(
        &m,
        &["config", "set", "default_provider", &format!("x{OSC52}")],
    );
    let got = ok(&m, &["config", "get", "default_provider"]);
    assert_no_controls("config get", &got);
    assert_no_controls("config list", &ok(&m, &["config", "list"]));
}

// 7 --------------------------------------------------------------------------------------------------

#[test]
fn a_symlink_below_rh_is_never_followed() {
    let m = t();
    std::fs::write(m.work_dir().join("pyproject.toml"), "").expect("write");
    // Credentials outside the project, and a cloned repo that points rh/gcp/config.json at them.
    let creds = m
        .home()
        .join(".config/gcloud/application_default_credentials.json");
    std::fs::create_dir_all(creds.parent().expect("parent")).expect("dir");
    std::fs::write(
        &creds,
        r#"{"resource_type": "credentials", "refresh_token": "TRUST-REFRESH-TOKEN"}"#,
    )
    .expect("write");
    let rh = m.work_dir().join("rh");
    std::fs::create_dir_all(rh.join("gcp")).expect("dir");
    std::os::unix::fs::symlink(&creds, rh.join("gcp/config.json")).expect("symlink");
    // A whole resource dir that is a link.
    std::os::unix::fs::symlink(creds.parent().expect("parent"), rh.join("gcloud")).expect("link");
    for (args, path) in [
        (vec!["resource", "show", "~/gcp"], "rh/gcp/config.json"),
        (
            vec!["resource", "mv", "~/gcp", "~/copy"],
            "rh/gcp/config.json",
        ),
        (vec!["resource", "rm", "~/gcp"], "rh/gcp/config.json"),
        (
            vec!["resource", "save", "~/gcloud/x", "--from-json", "-"],
            "rh/gcloud",
        ),
    ] {
        let out = m.run_stdin(&args, r#"{"resource_type": "notes"}"#);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(path) && err.contains("symbolic link"),
            "{args:?}: {err}"
        );
        assert!(!stdout(&out).contains("TRUST-REFRESH-TOKEN"), "{args:?}");
        assert!(!err.contains("TRUST-REFRESH-TOKEN"), "{args:?}");
    }
    assert!(!rh.join("copy").exists());
    assert!(!creds.parent().expect("parent").join("x").exists());
    assert!(creds.is_file());
    // ls skips both, with a warning naming them.
    let out = m.run_stdin(
        ["resource", "save", "~/real", "--from-json", "-"],
        r#"{"resource_type": "notes"}"#,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = m.run(["resource", "ls", "~"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "~/real  notes\n");
    let err = stderr(&out);
    assert!(
        err.contains("rh/gcp/config.json") && err.contains("rh/gcloud"),
        "{err}"
    );
}

#[test]
fn reserved_system_names_are_not_cluster_names() {
    let m = t();
    for name in ["~/s3", "~/team/ssh", "~/here"] {
        let out = m.run([
            "cluster",
            "create",
            name,
            "--instance-type",
            "V100:1",
            "--provider",
            "aws",
        ]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        assert!(stderr(&out).contains("is reserved"), "{}", stderr(&out));
    }
    let out = m.run(["cluster", "create", "~/file", "--ips", "10.0.0.1"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let out = m.run_stdin(
        ["resource", "save", "~/gs", "--from-json", "-"],
        r#"{"resource_type": "cluster", "resource_subtype": "OnDemandCluster"}"#,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("is reserved"), "{}", stderr(&out));
    assert!(!m.work_dir().join("rh").exists());
}

// 14 (the CLI part) ------------------------------------------------------------------------------------

#[test]
fn a_token_over_plain_http_to_another_host_is_warned_about_once() {
    let warning = "over plain http to rh.example.com";
    for (url, warned) in [
        ("http://rh.example.com:8000", true),
        ("https://rh.example.com", false),
        ("http://127.0.0.1:9", false),
        ("http://localhost:9", false),
        ("http://[::1]:9", false),
    ] {
        let mut m = t();
        m.env("RH_TOKEN", "rh_x").env("RH_API_SERVER_URL", url);
        // `resource ls ~` builds the rh-server client but only reads the local store: no network.
        let out = m.run(["resource", "ls", "~"]);
        assert!(out.status.success(), "{url}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(
            err.matches("over plain http").count(),
            usize::from(warned),
            "{url}: {err}"
        );
        if warned {
            assert!(err.contains(warning), "{err}");
            assert!(!err.contains("rh_x"), "{err}");
        }
    }
}
