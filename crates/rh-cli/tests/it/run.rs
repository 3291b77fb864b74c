//! `rh run`: secrets from a real OpenBao into a child's environment, output redacted, exit code passed on.

use rh_secrets::vault::{VaultOptions, VaultStore};
use rh_test::{CliTest, stderr, stdout};
use secrecy::SecretString;

const AWS_KEY: &str = "AKIASENTINEL0123456789";
const DB_PASS: &str = "db-SENTINEL-password";

/// A test home whose `rh` talks to the shared OpenBao under a unique user, seeded with two providers.
async fn seeded() -> Option<CliTest> {
    if !rh_test::integration() {
        return None;
    }
    let addr = rh_test::service_env("VAULT_ADDR").unwrap();
    let token = rh_test::service_env("VAULT_TOKEN").unwrap();
    let user = format!("run-{}-{}", std::process::id(), rand_suffix());
    let store = VaultStore::new(&VaultOptions::new(
        &addr,
        SecretString::from(token.clone()),
        Some(&user),
    ))
    .unwrap();
    let map = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), SecretString::from((*v).to_owned())))
            .collect()
    };
    store
        .put(
            "aws",
            &map(&[
                ("access_key", AWS_KEY),
                ("secret_key", "aws-secret-SENTINEL"),
            ]),
            None,
        )
        .await
        .unwrap();
    store
        .put("mydb", &map(&[("password", DB_PASS)]), None)
        .await
        .unwrap();
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("VAULT_ADDR", addr)
        .env("VAULT_TOKEN", token)
        .env("RH_USERNAME", user);
    Some(t)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

#[tokio::test]
async fn secrets_reach_the_child_and_output_is_redacted() {
    let Some(t) = seeded().await else { return };
    let out = t.run([
        "run",
        "--providers",
        "aws,mydb",
        "--",
        "sh",
        "-c",
        r#"echo "id=$AWS_ACCESS_KEY_ID"; echo "pw=$MYDB_PASSWORD" >&2; test "$AWS_SECRET_ACCESS_KEY" = aws-secret-SENTINEL && echo match; exit 7"#,
    ]);
    assert_eq!(out.status.code(), Some(7));
    assert_eq!(stdout(&out), "id=****\nmatch\n");
    assert!(stderr(&out).contains("pw=****"), "{}", stderr(&out));
    assert!(!stdout(&out).contains("SENTINEL") && !stderr(&out).contains("SENTINEL"));
}

#[tokio::test]
async fn values_split_across_writes_are_redacted() {
    let Some(t) = seeded().await else { return };
    let out = t.run([
        "run",
        "--providers",
        "mydb",
        "--",
        "sh",
        "-c",
        r#"printf 'x=%s' "$(echo "$MYDB_PASSWORD" | cut -c1-6)"; sleep 0.3; printf '%s\n' "$(echo "$MYDB_PASSWORD" | cut -c7-)""#,
    ]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stdout(&out), "x=****\n");
}

#[tokio::test]
async fn every_provider_by_default_and_a_pty_when_stdout_is_a_terminal() {
    let Some(t) = seeded().await else { return };
    let out = t.run([
        "run",
        "--",
        "sh",
        "-c",
        "echo $AWS_ACCESS_KEY_ID $MYDB_PASSWORD; test -t 1 || echo not-a-tty",
    ]);
    assert_eq!(stdout(&out), "**** ****\nnot-a-tty\n");
    // Under `script`, rh's stdout is a terminal: the child must see one too, and still be redacted.
    let rh = env!("CARGO_BIN_EXE_rh");
    let inner = format!("{rh} run -- sh -c 'test -t 1 && echo child-has-a-tty $MYDB_PASSWORD'");
    let out = std::process::Command::new("script")
        .args(["-qec", &inner, "/dev/null"])
        .envs(
            t.command()
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .current_dir(t.work_dir())
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("child-has-a-tty ****"), "{text}");
    assert!(!text.contains("SENTINEL"), "{text}");
}

#[test]
fn without_a_store_the_error_says_how_to_configure_one() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let out = t.run(["run", "--", "true"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("set VAULT_ADDR"), "{err}");
}

#[tokio::test]
async fn a_missing_command_is_a_clear_error() {
    let Some(t) = seeded().await else { return };
    let out = t.run(["run", "--providers", "mydb", "--", "no-such-command-xyz"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot run `no-such-command-xyz`"),
        "{}",
        stderr(&out)
    );
}

/// A test home whose `rh` uses a fresh Vault user seeded with `providers` (name, key, value).
async fn seeded_with(providers: &[(&str, &str, &str)]) -> Option<CliTest> {
    if !rh_test::integration() {
        return None;
    }
    let addr = rh_test::service_env("VAULT_ADDR").unwrap();
    let token = rh_test::service_env("VAULT_TOKEN").unwrap();
    let user = format!("run-{}-{}", std::process::id(), rand_suffix());
    let store = VaultStore::new(&VaultOptions::new(
        &addr,
        SecretString::from(token.clone()),
        Some(&user),
    ))
    .unwrap();
    let mut names: Vec<&str> = providers.iter().map(|(p, _, _)| *p).collect();
    names.dedup();
    for name in names {
        let map = providers
            .iter()
            .filter(|(p, _, _)| *p == name)
            .map(|(_, k, v)| ((*k).to_owned(), SecretString::from((*v).to_owned())))
            .collect();
        store.put(name, &map, None).await.unwrap();
    }
    let mut t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    t.env("VAULT_ADDR", addr)
        .env("VAULT_TOKEN", token)
        .env("RH_USERNAME", user);
    Some(t)
}

/// Issue 15.2: provider `ld` with key `preload` would be exported as `LD_PRELOAD`.
#[tokio::test]
async fn variables_that_change_how_programs_run_are_not_exported_unless_allowed() {
    let Some(t) = seeded_with(&[
        ("ld", "preload", "/nonexistent/SENTINEL-preload.so"),
        ("python", "path", "/tmp/SENTINEL-pythonpath"),
        ("mydb", "password", DB_PASS),
    ])
    .await
    else {
        return;
    };
    let script = r#"echo "ld=[$LD_PRELOAD] py=[$PYTHON_PATH] db=[$MYDB_PASSWORD]""#;
    let out = t.run(["run", "--", "sh", "-c", script]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stdout(&out), "ld=[] py=[] db=[****]\n");
    let err = stderr(&out);
    assert!(
        err.contains(
            "not exporting LD_PRELOAD (ld key `preload`): it changes how programs load or run"
        ) && err.contains("pass --allow-env LD_PRELOAD to export it"),
        "{err}"
    );
    assert!(err.contains("not exporting PYTHON_PATH"), "{err}");
    assert!(!err.contains("SENTINEL"), "{err}");

    // Named with --allow-env, it is exported (and still redacted).
    let out = t.run([
        "run",
        "--allow-env",
        "LD_PRELOAD",
        "--",
        "sh",
        "-c",
        r#"echo "ld=[$LD_PRELOAD] py=[$PYTHON_PATH]""#,
    ]);
    assert_eq!(stdout(&out), "ld=[****] py=[]\n", "{}", stderr(&out));
    assert!(!stderr(&out).contains("not exporting LD_PRELOAD"));
    assert!(!stderr(&out).contains("SENTINEL"), "{}", stderr(&out));
}

/// Issue 15.6: under a terminal, a multi-line secret comes back with `\r\n` and must still be masked,
/// and a prompt that ends like the start of a secret must reach the user while the command waits.
#[tokio::test]
async fn on_a_terminal_multi_line_values_are_masked_and_a_prompt_is_not_stalled() {
    use std::io::Read as _;
    use std::sync::{Arc, Mutex};

    const KEY: &str = "-----BEGIN KEY-----\nSENTINELline1\nSENTINELline2\n-----END KEY-----";
    let Some(t) = seeded_with(&[("mykey", "pem", KEY), ("mydb", "password", DB_PASS)]).await else {
        return;
    };
    // The prompt ends with `db-`, the first bytes of DB_PASS: the redactor holds them back.
    let script =
        r#"printf '%s\n' "$MYKEY_PEM"; printf 'Password for db-'; sleep 2; echo; echo child-done"#;
    let (pty, pts) = pty_process::blocking::open().expect("open a pty");
    pty.resize(pty_process::Size::new(24, 100)).expect("resize");
    let cmd = pty_process::blocking::Command::new(env!("CARGO_BIN_EXE_rh"))
        .args(["run", "--", "sh", "-c", script])
        .env_clear()
        .envs(
            t.command()
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
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    // Wait (generously) for the whole prompt; it must come while the child still sleeps.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let at_prompt = loop {
        let text = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
        if text.contains("Password for db-") || text.contains("child-done") {
            break text;
        }
        assert!(std::time::Instant::now() < deadline, "no prompt: {text:?}");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    let status = child.wait().expect("wait");
    drop(pty);
    let _ = reader.join();
    let text = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(
        at_prompt.contains("Password for db-") && !at_prompt.contains("child-done"),
        "the prompt arrived only when the command ended: {at_prompt:?}"
    );
    assert!(status.success(), "{text:?}");
    assert!(text.contains("child-done"), "{text:?}");
    assert!(!text.contains("SENTINEL"), "a value leaked: {text:?}");
    assert!(text.contains("****"), "{text:?}");
}

/// The API-key, docker and kubernetes providers under `rh run`: the official `openai` client finds the key
/// as `OPENAI_API_KEY`, docker's login arrives as SkyPilot's variables, kubeconfig entries stay files.
#[tokio::test]
async fn the_openai_client_gets_its_key_and_docker_its_skypilot_variables() {
    let Some(t) = seeded_with(&[
        ("openai", "api_key", "sk-SENTINEL-openai-0123456789"),
        ("docker", "username", "me"),
        ("docker", "password", "pw-SENTINEL-docker"),
        ("docker", "server", "ghcr.io"),
        ("kubernetes", "context", r#"{"name":"SENTINEL"}"#),
    ])
    .await
    else {
        return;
    };
    let python = rh_test::service_env("RH_TEST_CLIENTS_PYTHON");
    assert!(
        python.is_some() || !rh_test::integration(),
        "RH_TEST_CLIENTS_PYTHON is not set; `cargo xtask test` makes it (start_tools)"
    );
    let Some(python) = python else { return };
    let script = r#"
import os, openai
key = openai.OpenAI().api_key
print(key == "sk-SENTINEL-openai-0123456789", key)
print(os.environ["SKYPILOT_DOCKER_USERNAME"] == "me", os.environ["SKYPILOT_DOCKER_SERVER"] == "ghcr.io",
      os.environ["SKYPILOT_DOCKER_PASSWORD"] == "pw-SENTINEL-docker")
print(sorted(k for k in os.environ if k.startswith("KUBERNETES")))
"#;
    let out = t.run([
        "run",
        "--providers",
        "openai,docker,kubernetes",
        "--",
        &python,
        "-c",
        script,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "True ****\nTrue True True\n[]\n");
    assert!(!stderr(&out).contains("SENTINEL"), "{}", stderr(&out));
}
