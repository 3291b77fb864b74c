//! `rh login`, `rh logout`, `rh config upload|download` and `rh resource …` on remote names, against real
//! `rh-server` processes (temp SQLite databases).

use std::io::Write as _;

use rh_test::server::{TestServer, dead_url};
use rh_test::{CliTest, mode, stderr, stdout};
use serde_json::{Value, json};

const CLUSTER: &str = r#"{
    "name": "~/aws_cluster",
    "resource_type": "cluster",
    "resource_subtype": "OnDemandCluster",
    "instance_type": "V100:1",
    "num_instances": null,
    "provider": "aws",
    "autostop_mins": 30,
    "use_spot": false,
    "image_id": null,
    "region": null,
    "sky_state": null
}"#;

fn t() -> CliTest {
    CliTest::new(env!("CARGO_BIN_EXE_rh"))
}

#[track_caller]
fn fail(t: &CliTest, args: &[&str]) -> String {
    let out = t.run(args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "expected exit 1: {}",
        stderr(&out)
    );
    stderr(&out)
}

fn login(t: &CliTest, server: &TestServer, token: &str) {
    t.ok(["login", token, "--api-server-url", server.url()]);
}

fn config_text(t: &CliTest) -> String {
    std::fs::read_to_string(t.config_file()).expect("config.yaml")
}

fn cluster_file(t: &CliTest, autostop: i64) -> String {
    let path = t.root().join(format!("cluster-{autostop}.json"));
    std::fs::write(&path, CLUSTER.replace("30", &autostop.to_string())).expect("write");
    path.display().to_string()
}

#[test]
fn login_with_a_token_argument_stores_token_username_and_folder() {
    let server = TestServer::start();
    let token = server.create_user("alice", Some("alice@example.com"));
    let t = t();
    login(&t, &server, &token);
    let text = config_text(&t);
    assert_eq!(
        text,
        format!(
            "token: {token}\nusername: alice\ndefault_folder: /alice\napi_server_url: {}\n",
            server.url()
        )
    );
    assert_eq!(mode(&t.config_file()), 0o600);
    assert_eq!(
        t.ok(["config", "get", "token"]),
        format!("{}************\n", &token[..4])
    );
    // Non-interactive without choices: nothing uploaded.
    let out = t.run(["config", "get", "default_folder"]);
    assert_eq!(stdout(&out), "/alice\n");
}

#[test]
fn login_reads_the_token_from_stdin() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let t = t();
    let out = t.run_stdin(
        ["login", "--api-server-url", server.url()],
        format!("{token}\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(config_text(&t).contains(&format!("token: {token}\n")));
    assert!(
        !stderr(&out).contains(&token),
        "token echoed: {}",
        stderr(&out)
    );
    // Empty stdin is a clear error.
    let t2 = self::t();
    let out = t2.run_stdin(["login", "--api-server-url", server.url()], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no token given"), "{}", stderr(&out));
    assert!(!t2.config_file().exists());
}

#[test]
fn an_invalid_token_stores_nothing() {
    let server = TestServer::start();
    server.create_user("alice", None);
    let t = t();
    std::fs::create_dir_all(t.config_dir()).expect("dir");
    std::fs::write(t.config_file(), "default_autostop: 5\n").expect("write");
    let err = fail(
        &t,
        &["login", "wrong-token", "--api-server-url", server.url()],
    );
    assert!(err.starts_with("error: rh-server at "), "{err}");
    assert!(err.contains("rejected the token"), "{err}");
    assert!(!err.contains("wrong-token"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(config_text(&t), "default_autostop: 5\n");
}

#[test]
fn server_down_is_one_line_and_changes_nothing() {
    let url = dead_url();
    let t = t();
    std::fs::create_dir_all(t.config_dir()).expect("dir");
    let before = format!("token: x\nusername: alice\napi_server_url: {url}\n");
    std::fs::write(t.config_file(), &before).expect("write");
    for args in [
        vec!["login", "tok", "--api-server-url", url.as_str()],
        vec!["resource", "show", "/alice/x"],
        vec!["resource", "ls"],
        vec!["config", "download"],
        vec!["config", "upload"],
    ] {
        let err = fail(&t, &args);
        assert!(
            err.starts_with(&format!("error: cannot reach rh-server at {url}: ")),
            "{args:?}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert_eq!(config_text(&t), before, "{args:?} changed the config");
    }
    // Bare names resolve to /alice, so they are remote too.
    let err = fail(&t, &["resource", "show", "blob"]);
    assert!(err.contains("cannot reach rh-server"), "{err}");
    assert!(!t.work_dir().join("rh").exists());
}

#[test]
fn logout_forgets_the_account_and_keeps_ssh_keys() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let t = t();
    login(&t, &server, &token);
    let home = t.home();
    std::fs::create_dir_all(home.join(".aws")).expect("dir");
    std::fs::create_dir_all(home.join(".ssh")).expect("dir");
    std::fs::write(
        home.join(".aws/credentials"),
        "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\n",
    )
    .expect("write");
    std::fs::write(home.join(".ssh/id_rsa"), "KEY").expect("write");
    t.ok(["config", "set", "secrets.aws", "~/.aws/credentials"]);
    t.ok(["config", "set", "secrets.ssh", "~/.ssh/id_rsa"]);
    t.ok(["config", "set", "default_autostop", "10"]);
    t.ok(["logout", "--delete-secrets-files", "--yes"]);
    let text = config_text(&t);
    assert!(!text.contains("token"), "{text}");
    assert!(!text.contains("username"), "{text}");
    assert!(!text.contains("default_folder"), "{text}");
    assert!(text.contains("default_autostop: 10"), "{text}");
    assert!(!home.join(".aws/credentials").exists(), "aws file deleted");
    assert_eq!(
        std::fs::read_to_string(home.join(".ssh/id_rsa")).expect("kept"),
        "KEY"
    );
    // Without flags, non-interactive: files stay; --delete-config removes config.yaml.
    login(&t, &server, &token);
    t.ok(["logout", "--delete-config"]);
    assert!(!t.config_file().exists());
    // Names are local again.
    let err = fail(&t, &["resource", "show", "/alice/x"]);
    assert!(err.contains("log in with `rh login`"), "{err}");
}

#[test]
fn config_upload_download_round_trip() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let first = t();
    first.ok(["config", "set", "default_autostop", "30"]);
    first.ok(["config", "set", "use_spot", "true"]);
    first.ok(["config", "set", "team.region", "eu"]);
    first.ok([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--upload-config",
    ]);
    first.ok(["config", "set", "default_provider", "gcp"]);
    first.ok(["config", "upload"]);
    // A second machine downloads it, typed.
    let second = t();
    second.ok(["config", "set", "default_autostop", "5"]);
    second.ok(["config", "set", "keep_me", "yes-please"]);
    login(&second, &server, &token);
    second.ok(["config", "download"]);
    let v: Value = serde_json::from_str(&second.ok(["config", "list", "--json", "--show-secrets"]))
        .expect("json");
    assert_eq!(v["default_autostop"], json!(30));
    assert_eq!(v["use_spot"], json!(true));
    assert_eq!(v["default_provider"], json!("gcp"));
    // `team.region` is not a user default: it stays on the first machine.
    assert_eq!(v["team"], Value::Null);
    assert_eq!(v["keep_me"], json!("yes-please"));
    assert_eq!(v["username"], json!("alice"));
    assert_eq!(v["token"], json!(token));
    // Login with --download-config does the same in one step.
    let third = t();
    third.ok([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--download-config",
    ]);
    assert_eq!(third.ok(["config", "get", "default_provider"]), "gcp\n");
    assert_eq!(third.ok(["config", "get", "default_folder"]), "/alice\n");
    // An account folder other than `/<username>` is kept by a downloading login.
    first.ok(["config", "set", "default_folder", "/alice/team"]);
    first.ok(["config", "upload"]);
    let fourth = t();
    fourth.ok([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--download-config",
    ]);
    assert_eq!(
        fourth.ok(["config", "get", "default_folder"]),
        "/alice/team\n"
    );
    // Without downloading, login sets `/<username>`.
    let fifth = t();
    login(&fifth, &server, &token);
    assert_eq!(fifth.ok(["config", "get", "default_folder"]), "/alice\n");
}

#[test]
fn remote_resources_history_and_sharing_between_two_users() {
    let server = TestServer::start();
    let alice_token = server.create_user("alice", Some("alice@example.com"));
    let alice = t();
    login(&alice, &server, &alice_token);
    // Save a remote resource with a bare name (default folder /alice), then change it.
    alice.ok([
        "resource",
        "save",
        "gpu",
        "--from-json",
        &cluster_file(&alice, 30),
    ]);
    let err = fail(
        &alice,
        &[
            "resource",
            "save",
            "gpu",
            "--from-json",
            &cluster_file(&alice, 60),
        ],
    );
    assert!(err.contains("already exists"), "{err}");
    alice.ok([
        "resource",
        "save",
        "/alice/gpu",
        "--from-json",
        &cluster_file(&alice, 60),
        "--overwrite",
    ]);
    let shown: Value =
        serde_json::from_str(&alice.ok(["resource", "show", "gpu", "--json"])).expect("json");
    assert_eq!(shown["name"], json!("/alice/gpu"));
    assert_eq!(shown["autostop_mins"], json!(60));
    let listed: Value =
        serde_json::from_str(&alice.ok(["resource", "ls", "--json"])).expect("json");
    assert_eq!(listed[0]["name"], json!("/alice/gpu"));
    assert_eq!(listed[0]["resource_subtype"], json!("OnDemandCluster"));
    let history: Value =
        serde_json::from_str(&alice.ok(["resource", "history", "/alice/gpu", "--json"]))
            .expect("json");
    assert_eq!(history.as_array().map(Vec::len), Some(2), "{history}");
    assert_eq!(history[0]["change"], json!("changed autostop_mins"));
    assert_eq!(history[1]["change"], json!("created"));
    assert_eq!(history[0]["author"], json!("alice"));
    // Local names still work while logged in, and stay local.
    alice.ok([
        "resource",
        "save",
        "~/local_gpu",
        "--from-json",
        &cluster_file(&alice, 30),
    ]);
    assert!(alice.work_dir().join("rh/local_gpu/config.json").is_file());

    // Share with a teammate by email before the account exists: a pending invitation.
    let out = alice.ok([
        "resource",
        "share",
        "/alice/gpu",
        "--user",
        "bob@example.com",
        "--access",
        "write",
        "--no-notify",
    ]);
    assert_eq!(out, "invited bob@example.com: write (no account yet)\n");
    let bob_token = server.create_user("bob", Some("bob@example.com"));
    let bob = t();
    login(&bob, &server, &bob_token);
    let shown: Value =
        serde_json::from_str(&bob.ok(["resource", "show", "/alice/gpu", "--json"])).expect("json");
    assert_eq!(shown["autostop_mins"], json!(60));
    // Bob has write access: he can change it; history names him.
    bob.ok([
        "resource",
        "save",
        "/alice/gpu",
        "--from-json",
        &cluster_file(&bob, 90),
        "--overwrite",
    ]);
    let history: Value =
        serde_json::from_str(&alice.ok(["resource", "history", "gpu", "-n", "1", "--json"]))
            .expect("json");
    assert_eq!(history[0]["author"], json!("bob"));
    // After the account exists, sharing by email adds the user directly (JSON output).
    let got: Value = serde_json::from_str(&alice.ok([
        "resource",
        "share",
        "gpu",
        "--user",
        "bob@example.com",
        "--json",
    ]))
    .expect("json");
    assert_eq!(
        got,
        json!({"added_users": {"bob": "read"}, "new_users": {}})
    );
    let err = fail(
        &bob,
        &[
            "resource",
            "save",
            "/alice/gpu",
            "--from-json",
            &cluster_file(&bob, 1),
            "--overwrite",
        ],
    );
    assert!(err.contains("read-only"), "{err}");
    // Revoke: bob no longer sees it.
    assert_eq!(
        alice.ok(["resource", "revoke", "gpu", "--user", "bob"]),
        "added bob: denied\n"
    );
    let err = fail(&bob, &["resource", "show", "/alice/gpu"]);
    assert!(err.contains("not found"), "{err}");
    // Delete.
    alice.ok(["resource", "rm", "gpu"]);
    let err = fail(&alice, &["resource", "show", "gpu"]);
    assert!(err.contains("not found"), "{err}");
    // Sharing a local name is refused.
    let err = fail(
        &alice,
        &["resource", "share", "~/local_gpu", "--user", "bob"],
    );
    assert!(err.contains("local name"), "{err}");
}

#[test]
fn login_uploads_and_downloads_secrets_through_the_secret_store() {
    let server = TestServer::start();
    if !rh_test::integration() {
        // The server has no Vault: an explicit request fails before anything is stored.
        let token = server.create_user("nostore", None);
        let t0 = t();
        let err = fail(
            &t0,
            &[
                "login",
                &token,
                "--api-server-url",
                server.url(),
                "--download-secrets",
            ],
        );
        assert!(err.contains("503"), "{err}");
        assert!(!t0.config_file().exists());
        return;
    }
    let addr = rh_test::service_env("VAULT_ADDR").expect("VAULT_ADDR");
    let vault_token = rh_test::service_env("VAULT_TOKEN").expect("VAULT_TOKEN");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_nanos();
    let user = format!("login-{}-{nanos}", std::process::id());
    let token = server.create_user(&user, None);
    let with_vault = || {
        let mut t = t();
        t.env("VAULT_ADDR", &addr).env("VAULT_TOKEN", &vault_token);
        t
    };
    let a = with_vault();
    std::fs::create_dir_all(a.home().join(".aws")).expect("dir");
    let creds = "[default]\naws_access_key_id = AKIALOGINTEST0000001\naws_secret_access_key = login-secret\n";
    std::fs::write(a.home().join(".aws/credentials"), creds).expect("write");
    let out = a.run([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--upload-secrets",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stderr(&out).contains("login-secret"), "{}", stderr(&out));
    let b = with_vault();
    let out = b.run([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--download-secrets",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let pulled = std::fs::read_to_string(b.home().join(".aws/credentials")).expect("pulled");
    assert!(pulled.contains("AKIALOGINTEST0000001"), "{pulled}");
    assert!(pulled.contains("login-secret"), "{pulled}");
    assert!(!stdout(&out).contains("login-secret"));
}

/// Waits until the transcript holds `needle`, then types `input`.
fn expect_then_type(
    pty: &pty_process::blocking::Pty,
    seen: &std::sync::Mutex<Vec<u8>>,
    needle: &str,
    input: &str,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let text = String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
        if text.contains(needle) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {needle:?} in the transcript: {text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // Let the prompt finish (echo off) before typing.
    std::thread::sleep(std::time::Duration::from_millis(100));
    let mut w = pty;
    w.write_all(input.as_bytes()).expect("type");
}

#[test]
fn interactive_login_reads_the_token_without_echo_and_asks_in_order() {
    use std::io::Read as _;
    use std::sync::{Arc, Mutex};

    let server = TestServer::start();
    let token = server.create_user("alice", None);
    server_config(&server, &token);
    let t = t();
    let (pty, pts) = pty_process::blocking::open().expect("open a pty");
    let std_cmd = t.command();
    let cmd = pty_process::blocking::Command::new(env!("CARGO_BIN_EXE_rh"))
        .args(["login", "--api-server-url", server.url()])
        .env_clear()
        .envs(
            std_cmd
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .current_dir(t.work_dir());
    let mut child = cmd.spawn(pts).expect("spawn rh on a pty");
    let pty = Arc::new(pty);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let (pty, seen) = (Arc::clone(&pty), Arc::clone(&seen));
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut r = &*pty;
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        })
    };
    expect_then_type(&pty, &seen, "Token: ", &format!("{token}\n"));
    expect_then_type(&pty, &seen, "Download your config", "y\n");
    expect_then_type(&pty, &seen, "Download secrets", "n\n");
    expect_then_type(&pty, &seen, "Upload your local provider secrets", "n\n");
    let status = child.wait().expect("wait");
    drop(pty);
    let _ = reader.join();
    let text = String::from_utf8_lossy(&seen.lock().expect("lock")).into_owned();
    assert!(status.success(), "{text}");
    assert!(!text.contains(&token), "the token was echoed: {text}");
    assert!(
        !text.contains("Upload your local config"),
        "no config.yaml, so no upload question: {text}"
    );
    let config = config_text(&t);
    assert!(config.contains(&format!("token: {token}\n")), "{config}");
    assert!(
        config.contains("default_autostop: 45\n"),
        "downloaded: {config}"
    );
}

/// Stores `default_autostop: 45` as the account's config on the server.
fn server_config(server: &TestServer, token: &str) {
    let t = t();
    t.ok(["config", "set", "default_autostop", "45"]);
    t.ok([
        "login",
        token,
        "--api-server-url",
        server.url(),
        "--upload-config",
    ]);
}

#[tokio::test]
async fn downloaded_values_are_typed_like_python_literals() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    // The original client uploaded some values as strings.
    let rns =
        rh_rns::remote::RemoteRns::new(server.url(), secrecy::SecretString::from(token.clone()))
            .expect("client");
    let values = json!({
        "use_spot": "True", "disable_data_collection": "False", "default_autostop": "30",
        "default_provider": "cheapest", "default_blob_storage_folder": "None",
        "default_folder": "~", "token": "never", "secrets": {"aws": "x"},
    });
    let serde_json::Value::Object(map) = values else {
        unreachable!()
    };
    rns.put_config(&map).await.expect("put config");
    let t = t();
    t.ok(["config", "set", "secrets.aws", "~/.aws/credentials"]);
    login(&t, &server, &token);
    t.ok(["config", "download"]);
    let v: Value =
        serde_json::from_str(&t.ok(["config", "list", "--json", "--show-secrets"])).expect("json");
    assert_eq!(v["use_spot"], json!(true));
    assert_eq!(v["disable_data_collection"], json!(false));
    assert_eq!(v["default_autostop"], json!(30));
    assert_eq!(v["default_provider"], json!("cheapest"));
    assert_eq!(v["default_blob_storage_folder"], json!(null));
    assert_eq!(
        v["default_folder"],
        json!("/alice"),
        "`~` becomes /<username>"
    );
    assert_eq!(v["token"], json!(token), "the local token is kept");
    assert_eq!(
        v["secrets"],
        json!({"aws": "~/.aws/credentials"}),
        "local secrets kept"
    );
}

#[test]
fn move_between_local_and_remote_and_restore_a_version() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let t = t();
    login(&t, &server, &token);
    t.ok([
        "resource",
        "save",
        "~/gpu",
        "--from-json",
        &cluster_file(&t, 30),
    ]);
    let local_file = t.work_dir().join("rh/gpu/config.json");
    assert!(local_file.is_file());
    // Local → remote: copied to rh-server, then the local config is removed.
    t.ok(["resource", "mv", "~/gpu", "/alice/gpu"]);
    assert!(!local_file.exists());
    let shown: Value =
        serde_json::from_str(&t.ok(["resource", "show", "gpu", "--json"])).expect("json");
    assert_eq!(shown["name"], json!("/alice/gpu"));
    assert_eq!(shown["autostop_mins"], json!(30));
    let err = fail(&t, &["resource", "locate", "gpu"]);
    assert!(err.contains("no file on disk"), "{err}");
    // Change it, diff against version 1, restore version 1.
    t.ok([
        "resource",
        "save",
        "gpu",
        "--from-json",
        &cluster_file(&t, 60),
        "--overwrite",
    ]);
    let diff = t.ok(["resource", "diff", "gpu", "1"]);
    assert!(diff.contains("-    \"autostop_mins\": 30,"), "{diff}");
    assert!(diff.contains("+    \"autostop_mins\": 60,"), "{diff}");
    t.ok(["resource", "restore", "gpu", "1"]);
    let shown: Value =
        serde_json::from_str(&t.ok(["resource", "show", "gpu", "--json"])).expect("json");
    assert_eq!(shown["autostop_mins"], json!(30));
    // Remote → local again.
    t.ok(["resource", "mv", "gpu", "~/gpu"]);
    assert!(local_file.is_file());
    let err = fail(&t, &["resource", "show", "gpu"]);
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn login_yes_downloads_the_config_and_uploads_nothing() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    server_config(&server, &token);
    let first = t();
    first.ok(["config", "set", "default_provider", "aws"]);
    let out = first.run(["login", &token, "--api-server-url", server.url(), "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // Downloaded (a safe default: only user defaults are merged) ...
    assert_eq!(first.ok(["config", "get", "default_autostop"]), "45\n");
    // ... and nothing uploaded: a second machine downloads the account's config as it was.
    let second = t();
    second.ok([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--download-config",
    ]);
    assert_eq!(
        second.ok(["config", "get", "default_provider"]),
        "cheapest\n"
    );
    // With the flag, the config goes up.
    first.ok([
        "login",
        &token,
        "--api-server-url",
        server.url(),
        "--yes",
        "--upload-config",
    ]);
    second.ok(["config", "download"]);
    assert_eq!(second.ok(["config", "get", "default_provider"]), "aws\n");
}

#[test]
fn names_rh_server_refuses_are_refused_before_any_request() {
    // Nothing listens: a request would fail as "cannot reach", so the name's own error shows none was sent.
    let url = dead_url();
    let offline = t();
    std::fs::create_dir_all(offline.config_dir()).expect("dir");
    let before = format!("token: x\nusername: alice\napi_server_url: {url}\n");
    std::fs::write(offline.config_file(), &before).expect("write");
    for (name, reason) in [
        (
            "/alice/a:b",
            "it contains `:`, which separates the segments of a uri",
        ),
        ("a:b", "it contains `:`"),
        ("@/p/ x", "a segment starts or ends with whitespace"),
        ("/al ice/x", "the owner is not a valid username"),
    ] {
        for args in [vec!["resource", "show", name], vec!["resource", "rm", name]] {
            let err = fail(&offline, &args);
            assert!(
                err.starts_with("error: invalid resource name `"),
                "{args:?}: {err}"
            );
            assert!(err.contains(reason), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        }
    }
    assert_eq!(config_text(&offline), before);

    // Against a real server: a move to such a name changes neither side.
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let t = t();
    login(&t, &server, &token);
    t.ok([
        "resource",
        "save",
        "~/gpu",
        "--from-json",
        &cluster_file(&t, 30),
    ]);
    let err = fail(&t, &["resource", "mv", "~/gpu", "/alice/a:b"]);
    assert!(
        err.starts_with("error: invalid resource name `/alice/a:b`: it contains `:`"),
        "{err}"
    );
    assert!(t.work_dir().join("rh/gpu/config.json").is_file());
    let listed = t.ok(["resource", "ls", "/alice"]);
    assert!(
        !listed.contains("gpu") && !listed.contains("a:b"),
        "{listed}"
    );
}
