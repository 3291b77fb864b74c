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
