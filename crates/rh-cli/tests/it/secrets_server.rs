//! `rh secrets …` and `rh run` when logged in: every call goes through a real `rh-server` process (SQLite in a
//! temp dir) to the shared OpenBao. `VAULT_ADDR` is set to a dead port, so a direct Vault call would fail.
//!
//! The server binary is found next to this test binary (`cargo test --workspace` builds it).

use std::io::Write as _;
use std::process::{Output, Stdio};

use rh_secrets::vault::{VaultOptions, VaultStore};
use rh_test::server::TestServer;
use rh_test::{CliTest, stderr, stdout};
use secrecy::{ExposeSecret as _, SecretString};

use crate::fixtures::{ALL, SENTINEL, all_providers, home_files};

/// Starts a server (wired to the shared OpenBao by `TestServer`) and creates `users`; returns it with each
/// user's token.
fn secrets_server(users: &[&str]) -> (TestServer, Vec<String>) {
    let server = TestServer::start();
    let tokens = users.iter().map(|u| server.create_user(u, None)).collect();
    (server, tokens)
}

fn unique(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("srv-{tag}-{}-{nanos}", std::process::id())
}

/// A logged-in `rh` (RH_TOKEN + RH_API_SERVER_URL), with a dead VAULT_ADDR.
fn logged_in(url: &str, token: &str) -> CliTest {
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("RH_TOKEN", token)
        .env("RH_API_SERVER_URL", url)
        .env("VAULT_ADDR", "http://127.0.0.1:1")
        .env("VAULT_TOKEN", "not-used");
    t
}

fn ok(t: &CliTest, args: &[&str]) -> Output {
    let out = t.run(args);
    assert!(
        out.status.success(),
        "rh {args:?} failed\nstdout: {}\nstderr: {}",
        stdout(&out),
        stderr(&out)
    );
    assert!(
        !stderr(&out).contains(SENTINEL),
        "a value reached stderr: {}",
        stderr(&out)
    );
    out
}

fn direct(user: &str) -> VaultStore {
    VaultStore::new(&VaultOptions::new(
        rh_test::service_env("VAULT_ADDR").unwrap(),
        SecretString::from(rh_test::service_env("VAULT_TOKEN").unwrap()),
        Some(user),
    ))
    .unwrap()
}

#[tokio::test]
async fn push_pull_diff_history_and_run_through_the_server() {
    if !rh_test::integration() {
        return;
    }
    let user = unique("e2e");
    let (server, tokens) = secrets_server(&[&user]);
    let t = logged_in(server.url(), &tokens[0]);

    let mut child = t
        .command()
        .args(["secrets", "save", "--from-json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(ALL.as_bytes())
        .unwrap();
    assert!(child.wait().unwrap().success());
    let before = home_files(&t.home());
    assert!(before.len() >= 10);

    let names = all_providers();
    let mut push = vec!["secrets", "push", "--yes"];
    push.extend(names.iter().map(String::as_str));
    let err = stderr(&ok(&t, &push));
    assert!(
        err.contains(&format!(
            "Uploaded secrets to Vault for: [{}]",
            names.join(", ")
        )),
        "{err}"
    );
    // The server wrote under rh/<username>: the same place direct access as that user reads.
    let (aws, version) = direct(&user)
        .get("aws")
        .await
        .unwrap()
        .expect("aws in Vault");
    assert_eq!(version, 1);
    assert_eq!(aws["access_key"].expose_secret(), "AKIASENTINEL00000001");
    assert!(stderr(&ok(&t, &push)).contains("nothing to upload"));

    // No change: every key the same, from metadata only.
    let out = ok(&t, &["-v", "secrets", "diff", "aws"]);
    assert_eq!(
        stdout(&out),
        "PROVIDER       KEY                      STATE\n\
         aws            access_key               same\n\
         aws            secret_key               same\n"
    );
    assert!(
        stderr(&out).contains("made 1 requests to the secret store"),
        "{}",
        stderr(&out)
    );

    ok(
        &t,
        &[
            "secrets",
            "put",
            "mydb",
            "password=db-SENTINEL-pw",
            "user=admin",
        ],
    );
    ok(
        &t,
        &["secrets", "update", "mydb", "password=db-SENTINEL-two"],
    );
    let out = ok(&t, &["secrets", "history", "mydb", "--json"]);
    let hist: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(hist.as_array().unwrap().len(), 2, "{hist}");
    ok(&t, &["secrets", "rollback", "mydb", "1"]);
    let out = t.run(["secrets", "get", "mydb", "--reveal", "--json"]);
    let got: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (&got["values"]["password"], &got["version"]),
        (&serde_json::json!("db-SENTINEL-pw"), &serde_json::json!(3))
    );
    assert!(!stdout(&ok(&t, &["secrets", "get", "mydb"])).contains(SENTINEL));

    // Delete every local file, pull through the server, get the same bytes back.
    for (p, _, _) in &before {
        std::fs::remove_file(p).unwrap();
    }
    let err = stderr(&ok(&t, &["secrets", "pull"]));
    assert!(
        err.contains("Saved secrets from Vault to local config files"),
        "{err}"
    );
    let after = home_files(&t.home());
    assert_eq!(after.len(), before.len());
    for ((p, a, _), (_, b, _)) in before.iter().zip(&after) {
        assert!(a == b, "{} differs after the round trip", p.display());
    }

    // `rh run`: the values reach the child, its output is redacted, its exit code passed on.
    let out = t.run([
        "run",
        "--providers",
        "aws,mydb",
        "--",
        "sh",
        "-c",
        r#"echo "id=$AWS_ACCESS_KEY_ID"; echo "pw=$MYDB_PASSWORD"; test "$AWS_SECRET_ACCESS_KEY" = aws-secret-SENTINEL && echo match; exit 5"#,
    ]);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert_eq!(stdout(&out), "id=****\npw=****\nmatch\n");

    let mut del = vec!["secrets", "delete", "--remote", "--yes", "mydb"];
    del.extend(names.iter().map(String::as_str));
    ok(&t, &del);
    assert!(direct(&user).list().await.unwrap().is_empty());
}

#[test]
fn another_user_s_secrets_stay_out_of_reach() {
    if !rh_test::integration() {
        return;
    }
    let (alice, bob) = (unique("alice"), unique("bob"));
    let (server, tokens) = secrets_server(&[&alice, &bob]);
    let a = logged_in(server.url(), &tokens[0]);
    let b = logged_in(server.url(), &tokens[1]);
    ok(&a, &["secrets", "put", "mydb", "password=alice-SENTINEL"]);
    let out = b.run(["secrets", "get", "mydb", "--reveal"]);
    assert!(!stdout(&out).contains(SENTINEL) && !stderr(&out).contains(SENTINEL));
    assert!(
        stderr(&out).contains("No secrets found in Vault for mydb"),
        "{}",
        stderr(&out)
    );
    let out = b.run(["secrets", "pull", "mydb"]);
    assert!(!stdout(&out).contains(SENTINEL));
    ok(&a, &["secrets", "delete", "--remote", "--yes", "mydb"]);
}

#[test]
fn a_logged_in_cli_reports_server_problems_in_one_line() {
    // Logged in via config.yaml (as `rh login` writes it) against a port nothing listens on.
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    std::fs::create_dir_all(t.config_dir()).unwrap();
    std::fs::write(
        t.config_file(),
        "token: tok-SENTINEL\napi_server_url: http://127.0.0.1:1\n",
    )
    .unwrap();
    let out = t.run(["secrets", "get", "aws"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot reach rh-server at http://127.0.0.1:1"),
        "{err}"
    );
    assert!(!err.contains(SENTINEL));
    if !rh_test::integration() {
        return;
    }
    let (server, _) = secrets_server(&[&unique("wrong")]);
    let t = logged_in(server.url(), "not-a-valid-token-SENTINEL");
    let out = t.run(["secrets", "diff"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(err.contains("refused the token (401)"), "{err}");
    assert!(!err.contains(SENTINEL), "{err}");
}
