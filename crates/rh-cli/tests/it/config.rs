//! `rh config …`.

use rh_test::{CliTest, mode, stderr, stdout};

fn t() -> CliTest {
    CliTest::new(env!("CARGO_BIN_EXE_rh"))
}

#[test]
fn set_then_get_keeps_falsy_values() {
    let t = t();
    t.ok(["config", "set", "default_autostop", "0"]);
    assert_eq!(t.ok(["config", "get", "default_autostop"]), "0\n");
    t.ok(["config", "set", "use_spot", "false"]);
    assert_eq!(t.ok(["config", "get", "use_spot"]), "false\n");
    assert_eq!(mode(&t.config_file()), 0o600);
    assert_eq!(mode(&t.config_dir()), 0o700);
    let text = std::fs::read_to_string(t.config_file()).unwrap();
    assert_eq!(text, "default_autostop: 0\nuse_spot: false\n");
}

#[test]
fn defaults_without_a_file() {
    let t = t();
    assert_eq!(t.ok(["config", "get", "default_provider"]), "cheapest\n");
    assert_eq!(t.ok(["config", "get", "default_autostop"]), "-1\n");
    assert_eq!(t.ok(["config", "get", "default_folder"]), "~\n");
    assert!(!t.config_file().exists(), "a read must not create the file");
}

#[test]
fn values_are_typed() {
    let t = t();
    t.ok(["config", "set", "default_autostop", "30"]);
    t.ok(["config", "set", "use_spot", "true"]);
    t.ok(["config", "set", "default_provider", "cheapest"]);
    t.ok(["config", "set", "tags", "[a, b]"]);
    t.ok(["config", "set", "default_autostop", "-1"]);
    let v: serde_json::Value = serde_json::from_str(&t.ok(["config", "list", "--json"])).unwrap();
    assert_eq!(v["default_autostop"], serde_json::json!(-1));
    assert_eq!(v["use_spot"], serde_json::json!(true));
    assert_eq!(v["default_provider"], serde_json::json!("cheapest"));
    assert_eq!(v["tags"], serde_json::json!(["a", "b"]));
}

#[test]
fn unknown_keys_survive_and_unset_works() {
    let t = t();
    std::fs::create_dir_all(t.config_dir()).unwrap();
    std::fs::write(
        t.config_file(),
        "my_team_key: {nested: 1}\nsecrets:\n  custom: /p\n",
    )
    .unwrap();
    t.ok(["config", "set", "use_spot", "true"]);
    t.ok(["config", "unset", "use_spot"]);
    assert_eq!(
        std::fs::read_to_string(t.config_file()).unwrap(),
        "my_team_key:\n  nested: 1\nsecrets:\n  custom: /p\n"
    );
    assert_eq!(t.ok(["config", "get", "secrets.custom"]), "/p\n");
    assert_eq!(t.ok(["config", "get", "my_team_key"]), "{nested: 1}\n");
}

#[test]
fn token_is_masked_unless_asked() {
    let t = t();
    t.ok(["config", "set", "token", "rh-SENTINEL-token-value"]);
    let listed = t.ok(["config", "list"]);
    let json = t.ok(["config", "list", "--json"]);
    let got = t.ok(["config", "get", "token"]);
    for out in [&listed, &json, &got] {
        assert!(!out.contains("SENTINEL"), "{out}");
    }
    assert!(listed.contains("token: rh-S************"), "{listed}");
    assert_eq!(
        t.ok(["config", "get", "token", "--show-secrets"]),
        "rh-SENTINEL-token-value\n"
    );
}

#[test]
fn env_overrides_file_and_flag_overrides_env() {
    let mut t = t();
    t.ok(["config", "set", "username", "fileuser"]);
    assert_eq!(t.ok(["config", "get", "username"]), "fileuser\n");
    t.env("RH_USERNAME", "envuser");
    assert_eq!(t.ok(["config", "get", "username"]), "envuser\n");
    assert_eq!(
        t.ok(["--username", "flaguser", "config", "get", "username"]),
        "flaguser\n"
    );
}

#[test]
fn corrupt_files_give_one_line_and_stay_untouched() {
    let t = t();
    std::fs::create_dir_all(t.config_dir()).unwrap();
    for bad in [&b"a: [unclosed\n"[..], b"- a list\n", b"", b"\xff\xfe\x00"] {
        std::fs::write(t.config_file(), bad).unwrap();
        for args in [
            &["config", "set", "use_spot", "true"][..],
            &["config", "list"],
            &["config", "get", "use_spot"],
        ] {
            let out = t.run(args);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = stderr(&out);
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains("config.yaml"), "{err}");
            assert!(stdout(&out).is_empty());
            assert_eq!(std::fs::read(t.config_file()).unwrap(), bad);
        }
    }
}

#[test]
fn unset_key_is_an_error() {
    let t = t();
    let out = t.run(["config", "get", "no_such_key"]);
    assert_eq!(out.status.code(), Some(1));
    t.with_filters(|| insta::assert_snapshot!(stderr(&out), @"error: config key `no_such_key` is not set in [HOME]/.rh/config.yaml"));
}

#[test]
fn path_and_completions() {
    let t = t();
    t.with_filters(|| insta::assert_snapshot!(t.ok(["config", "path"]), @"[HOME]/.rh/config.yaml"));
    for shell in ["bash", "zsh", "fish"] {
        assert!(t.ok(["completions", shell]).contains("config"));
    }
}

#[test]
fn broken_pipe_is_not_an_error() {
    use std::process::Stdio;
    let t = t();
    let mut child = t
        .command()
        .args(["completions", "bash"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn logs_go_to_stderr_in_runhouse_shape() {
    let t = t();
    let out = t.run(["-v", "config", "set", "use_spot", "true"]);
    assert!(out.status.success());
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    let re_ok = err.lines().all(|l| {
        let parts: Vec<&str> = l.splitn(3, " | ").collect();
        parts.len() == 3
            && ["DEBUG", "INFO", "WARNING", "ERROR", "TRACE"].contains(&parts[0])
            && parts[1].len() == 23
    });
    assert!(!err.is_empty() && re_ok, "{err}");
}
