//! The message and exit code of every user-facing error path of `rh`, as snapshots: a change of wording
//! shows in review (`tests/it/snapshots/it__error_messages__*.snap`).
//!
//! Each case runs the real binary in a throwaway HOME against real inputs (a malformed file, a port where
//! nothing listens, a real rh-server or Vault under `RH_TEST_INTEGRATION=1`) and snapshots `exit N` and
//! stderr, with the temp paths and ports filtered. Every case also checks that no secret value from its
//! inputs (all contain `SENTINEL`) reaches the output.

use std::path::Path;
use std::process::Output;

use rh_test::server::{TestServer, dead_url};
use rh_test::{CliTest, stderr};

use crate::fixtures::rh;

/// `exit N` and stderr.
fn outcome(out: &Output) -> String {
    let code = out
        .status
        .code()
        .map_or_else(|| "signal".to_owned(), |c| c.to_string());
    format!("exit {code}\n{}", stderr(out))
}

/// Runs `args` in `t` and snapshots the outcome as `name`; no `SENTINEL` may appear in stdout or stderr.
fn check(t: &CliTest, name: &str, args: &[&str]) {
    let out = t.run(args);
    check_output(t, name, &out);
}

fn check_output(t: &CliTest, name: &str, out: &Output) {
    let shown = format!("{}{}", outcome(out), rh_test::stdout(out));
    assert!(!shown.contains("SENTINEL"), "{name}: {shown}");
    // Loopback addresses first, as one token: the version filter would take `127.0.0` for a version.
    let mut filters = vec![(r"127\.0\.0\.1:\d+".to_owned(), "[LOOPBACK]".to_owned())];
    filters.extend(t.filters());
    let refs: Vec<(&str, &str)> = filters
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    insta::with_settings!({ filters => refs, prepend_module_to_snapshot => true }, {
        insta::assert_snapshot!(name, outcome(out));
    });
}

fn write(path: &Path, bytes: &[u8]) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the parent");
    std::fs::write(path, bytes).expect("write the fixture");
}

// ---- usage and the runtime ----

#[test]
fn usage_error_is_exit_1() {
    check(&rh(), "usage_unknown_flag", &["--bogus"]);
    check(&rh(), "usage_missing_argument", &["resource", "show"]);
}

/// Exit 2 is a bug in rh, never bad input: here the async runtime cannot start (no file descriptors left).
#[test]
fn runtime_that_cannot_start_is_exit_2() {
    let t = rh();
    // stdin, stdout, stderr and one more: the loader fits, the runtime's epoll and eventfd do not.
    let mut cmd = std::process::Command::new("prlimit");
    cmd.arg("--nofile=4:4").arg(env!("CARGO_BIN_EXE_rh"));
    cmd.args(["config", "path"])
        .env_clear()
        .env("HOME", t.home())
        .env("RH_CONFIG_DIR", t.config_dir())
        .env("NO_COLOR", "1");
    let out = cmd.output().expect("run prlimit");
    check_output(&t, "runtime_cannot_start", &out);
}

// ---- config.yaml ----

#[test]
fn malformed_config_files() {
    let cases: [(&str, &[u8]); 4] = [
        ("config_not_yaml", b"token: sk-SENTINEL\n  bad: [indent\n"),
        ("config_empty", b"   \n"),
        ("config_not_a_mapping", b"- a\n- b\n"),
        ("config_not_utf8", b"username: \xff\xfe\n"),
    ];
    for (name, bytes) in cases {
        let t = rh();
        write(&t.config_file(), bytes);
        check(&t, name, &["config", "list"]);
    }
}

#[test]
fn config_file_that_cannot_be_read() {
    let t = rh();
    std::fs::create_dir_all(t.config_file()).unwrap();
    check(&t, "config_is_a_directory", &["config", "get", "username"]);
    // With -v the causes follow on their own lines.
    let mut t2 = rh();
    t2.env("RUST_LOG", "off");
    std::fs::create_dir_all(t2.config_file()).unwrap();
    check(
        &t2,
        "config_is_a_directory_verbose",
        &["-v", "config", "get", "username"],
    );
}

#[test]
fn bad_config_keys() {
    let t = rh();
    check(&t, "config_invalid_key", &["config", "set", "a..b", "1"]);
    check(&t, "config_key_not_set", &["config", "get", "no_such_key"]);
}

#[test]
fn no_home_directory() {
    let t = rh();
    let out = t
        .command()
        .env_remove("HOME")
        .env_remove("RH_CONFIG_DIR")
        .args(["config", "path"])
        .output()
        .unwrap();
    check_output(&t, "no_home", &out);
}

// ---- provider secrets on this machine ----

#[test]
fn unknown_and_invalid_providers() {
    let t = rh();
    check(&t, "provider_unknown", &["secrets", "save", "nope"]);
    check(
        &t,
        "provider_unknown_not_recorded",
        &["secrets", "delete-local", "nope"],
    );
    check(
        &t,
        "provider_custom_needs_values",
        &["secrets", "put", "nope"],
    );
}

#[test]
fn malformed_provider_files() {
    let t = rh();
    write(
        &t.home().join(".kube/config"),
        b"apiVersion: v1\nusers: [ {name: u, token: kube-SENTINEL\n",
    );
    check(
        &t,
        "kubeconfig_malformed",
        &["secrets", "show", "kubernetes"],
    );
    write(
        &t.home().join(".docker/config.json"),
        b"{\"auths\": {\"ghcr.io\": {\"auth\": \"docker-SENTINEL\"",
    );
    check(
        &t,
        "docker_config_malformed",
        &["secrets", "show", "docker"],
    );
    write(
        &t.home().join(".aws/credentials"),
        b"aws_access_key_id = AKIA-SENTINEL\n[default\n",
    );
    check(&t, "aws_credentials_malformed", &["secrets", "show", "aws"]);
    std::fs::create_dir_all(t.home().join(".lambda_cloud/lambda_keys")).unwrap();
    check(
        &t,
        "lambda_keys_is_a_directory",
        &["secrets", "show", "lambda"],
    );
}

#[test]
fn provider_without_secrets() {
    check(
        &rh(),
        "provider_not_configured",
        &["secrets", "show", "aws"],
    );
}

// ---- named secrets ----

#[test]
fn named_secret_paths() {
    let t = rh();
    check(
        &t,
        "named_secret_not_found",
        &["secrets", "show", "--name", "~/nope"],
    );
    t.ok(["secrets", "create", "~/k", "KEY=SENTINEL-1"]);
    check(
        &t,
        "named_secret_exists",
        &["secrets", "create", "~/k", "KEY=SENTINEL-2"],
    );
    check(
        &t,
        "named_secret_pair_no_equals",
        &["secrets", "create", "~/k2", "KEY"],
    );
    check(
        &t,
        "named_secret_pair_twice",
        &["secrets", "create", "~/k2", "A=SENTINEL", "A=SENTINEL"],
    );
    check(
        &t,
        "named_secret_pair_empty_key",
        &["secrets", "create", "~/k2", "=SENTINEL"],
    );
    check(
        &t,
        "named_secret_values_and_file",
        &[
            "secrets",
            "create",
            "~/k3",
            "A=SENTINEL",
            "--from-file",
            "f.json",
        ],
    );
    check(
        &t,
        "named_secret_from_env_without_provider",
        &["secrets", "create", "~/k4", "--from-env"],
    );
    check(
        &t,
        "named_secret_write_no_provider_files",
        &["secrets", "write", "~/k"],
    );
    check(
        &t,
        "named_secret_remote_logged_out",
        &["secrets", "show", "--name", "/alice/k"],
    );
}

// ---- Vault ----

#[test]
fn no_secret_store() {
    check(&rh(), "vault_no_secret_store", &["secrets", "get", "aws"]);
    let mut t = rh();
    t.env("VAULT_ADDR", dead_url()).env("RH_USERNAME", "alice");
    check(&t, "vault_no_token", &["secrets", "get", "aws"]);
}

#[test]
fn vault_down() {
    let mut t = rh();
    t.env("VAULT_ADDR", dead_url())
        .env("VAULT_TOKEN", "hvs.SENTINEL")
        .env("RH_USERNAME", "alice");
    check(&t, "vault_unreachable", &["secrets", "get", "aws"]);
}

#[test]
fn vault_refuses_the_token() {
    if !rh_test::integration() {
        return;
    }
    let mut t = rh();
    t.env(
        "VAULT_ADDR",
        rh_test::service_env("VAULT_ADDR").expect("VAULT_ADDR"),
    )
    .env("VAULT_TOKEN", "hvs.not-a-token-SENTINEL")
    .env("RH_USERNAME", "alice");
    // The address is the harness's: filter it.
    check_vault(&t, "vault_token_refused", &["secrets", "get", "aws"]);
    let mut t = rh();
    t.env("VAULT_ADDR", rh_test::service_env("VAULT_ADDR").unwrap())
        .env("VAULT_TOKEN", rh_test::service_env("VAULT_TOKEN").unwrap())
        .env("RH_USERNAME", format!("errors-{}", std::process::id()));
    check_vault(&t, "vault_secret_not_found", &["secrets", "get", "aws"]);
}

fn check_vault(t: &CliTest, name: &str, args: &[&str]) {
    let out = t.run(args);
    let addr = rh_test::service_env("VAULT_ADDR").unwrap();
    let text = outcome(&out).replace(&addr, "[VAULT_ADDR]");
    let user = format!("errors-{}", std::process::id());
    let text = text.replace(&user, "[USER]");
    assert!(!text.contains("SENTINEL"), "{name}: {text}");
    t.with_filters(|| insta::assert_snapshot!(name, text));
}

// ---- resources ----

#[test]
fn resource_names_and_lookups() {
    let t = rh();
    check(&t, "resource_not_found", &["resource", "show", "~/nope"]);
    check(
        &t,
        "resource_name_bad_grammar",
        &["resource", "show", "/alice/a:b"],
    );
    check(&t, "resource_name_dots", &["resource", "show", "~/a/../b"]);
    check(
        &t,
        "resource_remote_logged_out",
        &["resource", "show", "/alice/x"],
    );
    check(
        &t,
        "resource_history_outside_git",
        &["resource", "history", "~/x"],
    );
}

#[test]
fn resource_save_inputs() {
    let t = rh();
    let work = t.work_dir();
    write(&work.join("bad.json"), b"{\"name\": ");
    write(&work.join("list.json"), b"[1, 2]");
    write(
        &work.join("noname.json"),
        b"{\"resource_type\": \"resource\"}",
    );
    write(
        &work.join("ok.json"),
        b"{\"name\": \"x\", \"resource_type\": \"resource\"}",
    );
    check(
        &t,
        "resource_save_not_json",
        &["resource", "save", "--from-json", "bad.json", "~/x"],
    );
    check(
        &t,
        "resource_save_not_an_object",
        &["resource", "save", "--from-json", "list.json", "~/x"],
    );
    check(
        &t,
        "resource_save_no_name",
        &["resource", "save", "--from-json", "noname.json"],
    );
    check(
        &t,
        "resource_save_missing_file",
        &["resource", "save", "--from-json", "missing.json", "~/x"],
    );
    t.ok(["resource", "save", "--from-json", "ok.json", "~/x"]);
    check(
        &t,
        "resource_save_exists",
        &["resource", "save", "--from-json", "ok.json", "~/x"],
    );
    check(
        &t,
        "cluster_keep_warm_not_a_cluster",
        &["cluster", "keep-warm", "~/x"],
    );
    check(
        &t,
        "resource_share_local",
        &["resource", "share", "~/x", "--user", "bob"],
    );
}

#[test]
fn corrupt_resource_config() {
    let t = rh();
    write(&t.work_dir().join("rh/x/config.json"), b"{not json");
    check(&t, "resource_corrupt_config", &["resource", "show", "~/x"]);
}

// ---- rh-server ----

#[test]
fn server_down() {
    let mut t = rh();
    t.env("RH_API_SERVER_URL", dead_url());
    check(
        &t,
        "server_unreachable_login",
        &["login", "--yes", "tok-SENTINEL"],
    );
    t.env("RH_TOKEN", "tok-SENTINEL");
    check(
        &t,
        "server_unreachable_show",
        &["resource", "show", "/alice/x"],
    );
}

#[test]
fn bad_server_url() {
    let mut t = rh();
    t.env("RH_API_SERVER_URL", "ftp://example.invalid")
        .env("RH_TOKEN", "tok-SENTINEL");
    check(&t, "server_bad_url", &["resource", "show", "/alice/x"]);
}

#[test]
fn not_logged_in() {
    let t = rh();
    check(&t, "not_logged_in_upload", &["config", "upload"]);
    check(&t, "not_logged_in_revoke", &["logout", "--yes", "--revoke"]);
}

#[test]
fn server_refuses_the_token() {
    if !rh_test::integration() {
        return;
    }
    let server = TestServer::start();
    let mut t = rh();
    t.env("RH_API_SERVER_URL", server.url());
    check(
        &t,
        "server_token_refused_login",
        &["login", "--yes", "tok-SENTINEL"],
    );
    t.env("RH_TOKEN", "tok-SENTINEL");
    check(
        &t,
        "server_token_refused_show",
        &["resource", "show", "/alice/x"],
    );
    let token = server.create_user("erin", None);
    let mut t = rh();
    t.env("RH_API_SERVER_URL", server.url())
        .env("RH_TOKEN", &token);
    let out = t.run(["resource", "show", "/erin/nope"]);
    assert!(!outcome(&out).contains(&token));
    check_output(&t, "server_resource_not_found", &out);
}

// ---- blobs ----

#[test]
fn blob_paths() {
    let t = rh();
    let work = t.work_dir();
    write(&work.join("data.bin"), b"bytes");
    check(&t, "blob_not_found", &["blob", "read", "~/nope"]);
    check(
        &t,
        "blob_missing_file",
        &["blob", "write", "--system", "file", "~/b", "missing.bin"],
    );
    t.ok(["blob", "write", "--system", "file", "~/b", "data.bin"]);
    check(
        &t,
        "blob_exists",
        &["blob", "write", "--system", "file", "~/b", "data.bin"],
    );
    check(
        &t,
        "blob_s3_no_bucket",
        &["blob", "write", "--system", "s3", "~/b2", "data.bin"],
    );
}

// ---- rh run ----

#[test]
fn run_paths() {
    check(&rh(), "run_no_secret_store", &["run", "--", "true"]);
    if !rh_test::integration() {
        return;
    }
    let mut t = rh();
    t.env("VAULT_ADDR", rh_test::service_env("VAULT_ADDR").unwrap())
        .env("VAULT_TOKEN", rh_test::service_env("VAULT_TOKEN").unwrap())
        .env("RH_USERNAME", format!("errors-{}", std::process::id()));
    check_vault(
        &t,
        "run_provider_not_in_vault",
        &["run", "--providers", "openai", "--", "true"],
    );
    check_vault(
        &t,
        "run_command_not_found",
        &["run", "--", "rh-no-such-command-xyz"],
    );
}
