//! `rh secrets put|get|pull|push|update|delete|history|rollback|diff` against the shared OpenBao, with the
//! official `bao` CLI reading what rh wrote. Each test uses its own Vault user path.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rh_secrets::store::SecretStore;
use rh_secrets::vault::{VaultOptions, VaultStore};
use rh_test::{CliTest, mode, stderr, stdout};

use crate::fixtures::{ALL_EIGHT, EIGHT, SENTINEL, home_files};
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

    fn save_all_eight(&self) {
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
            .write_all(ALL_EIGHT.as_bytes())
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
fn round_trip_of_all_eight_and_a_custom_provider() {
    let Some(v) = VaultTest::new("roundtrip") else {
        return;
    };
    v.save_all_eight();
    let before = home_files(&v.home());
    assert!(before.len() >= 10, "{before:?}");
    let mut push = vec!["secrets", "push", "--yes"];
    push.extend(EIGHT);
    let out = v.ok(&push);
    assert!(
        stderr(&out).contains(
            "Uploaded secrets to Vault for: [aws, azure, gcp, huggingface, lambda, sky, ssh, github]"
        ),
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
    v.save_all_eight();
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
