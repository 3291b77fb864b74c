//! `rh blob …` against the running moto S3 and the local file system, with configs in the local RNS and
//! rh-server.

use std::io::Write as _;
use std::process::Stdio;

use rh_test::server::TestServer;
use rh_test::{CliTest, stderr, stdout};
use serde_json::{Value, json};

use crate::fixtures::{rh, unique_bucket, with_services};

const S3_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
];

fn pickled_range() -> Vec<u8> {
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import pickle,sys; sys.stdout.buffer.write(pickle.dumps(list(range(10))))",
        ])
        .output()
        .expect("python3");
    assert!(out.status.success());
    out.stdout
}

fn unpickle(bytes: &[u8]) -> String {
    let mut child = std::process::Command::new("python3")
        .args([
            "-c",
            "import pickle,sys; print(pickle.load(sys.stdin.buffer))",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(bytes)
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    String::from_utf8(out.stdout).expect("utf8")
}

fn config(t: &CliTest, name: &str) -> Value {
    let text = std::fs::read_to_string(t.work_dir().join("rh").join(name).join("config.json"))
        .expect("config.json");
    serde_json::from_str(&text).expect("json")
}

#[test]
fn pickle_round_trip_through_s3() {
    let Some(t) = with_services(S3_VARS) else {
        return;
    };
    let b = unique_bucket("rh-blob", "pickle");
    let path = format!("{b}/key");
    let out = t.run_stdin(
        [
            "blob",
            "write",
            "~/my_blob",
            "--system",
            "s3",
            "--path",
            &path,
            "--create-bucket",
            "-",
        ],
        pickled_range(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "Creating new s3 folder if it does not already exist in path: /{b}\n"
        )),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        config(&t, "my_blob"),
        json!({"name": "~/my_blob", "resource_type": "blob", "resource_subtype": "Blob",
               "path": format!("/{b}/key"), "system": "s3"})
    );
    let out = t.run(["blob", "read", "~/my_blob"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(unpickle(&out.stdout), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n");
    assert_eq!(t.ok(["blob", "exists", "~/my_blob"]), "true\n");
    assert!(
        t.ok(["blob", "ls", "--system", "s3", "--bucket", &b])
            .ends_with("\tkey\n")
    );

    t.ok(["blob", "rm", "~/my_blob", "--data-only"]);
    let out = t.run(["blob", "exists", "~/my_blob"]);
    assert_eq!(stdout(&out), "false\n");
    t.ok(["blob", "rm", "~/my_blob"]);
    assert!(!t.work_dir().join("rh/my_blob").exists());
}

#[test]
fn default_path_uses_default_blob_bucket() {
    let Some(t) = with_services(S3_VARS) else {
        return;
    };
    let out = t.run_stdin(["blob", "write", "~/b", "--system", "s3"], b"x");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("default_blob_bucket"),
        "{}",
        stderr(&out)
    );
    assert!(!t.work_dir().join("rh/b").exists());

    let b = unique_bucket("rh-blob", "default");
    t.ok(["config", "set", "default_blob_bucket", &b]);
    let out = t.run_stdin(
        ["blob", "write", "~/b", "--system", "s3", "--create-bucket"],
        b"payload",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let path = config(&t, "b")["path"].as_str().expect("path").to_owned();
    let prefix = format!("/{b}/runhouse-blob/");
    let id = path
        .strip_prefix(&prefix)
        .and_then(|r| r.strip_suffix("/local/b"))
        .unwrap_or_else(|| panic!("unexpected path {path}"));
    assert_eq!(id.len(), 32);
    assert_eq!(t.ok(["blob", "read", "~/b"]), "payload");
}

#[test]
fn missing_bucket_is_a_clear_error_and_saves_nothing() {
    let Some(t) = with_services(S3_VARS) else {
        return;
    };
    let b = unique_bucket("rh-blob", "missing");
    let path = format!("{b}/key");
    let out = t.run_stdin(
        ["blob", "write", "~/m", "--system", "s3", "--path", &path],
        b"data",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("bucket not found: s3://{b}")),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("--create-bucket"));
    assert!(!t.work_dir().join("rh/m").exists());
}

#[test]
fn file_system_round_trip_to_a_file() {
    let t = rh();
    let src = t.root().join("in.bin");
    let data: Vec<u8> = (0..=255u8).cycle().take(300_000).collect();
    std::fs::write(&src, &data).expect("write");
    t.ok([
        "blob",
        "write",
        "local_blob",
        "--system",
        "file",
        src.to_str().expect("utf8"),
    ]);
    let cfg = config(&t, "local_blob");
    assert_eq!(cfg["system"], "file");
    let stored = cfg["path"].as_str().expect("path");
    assert!(
        stored.starts_with(&t.config_dir().join("blobs").display().to_string()),
        "{stored}"
    );
    assert_eq!(std::fs::read(stored).expect("stored bytes"), data);
    let dst = t.root().join("out.bin");
    t.ok([
        "blob",
        "read",
        "~/local_blob",
        "-o",
        dst.to_str().expect("utf8"),
    ]);
    assert_eq!(std::fs::read(&dst).expect("read"), data);
    t.ok(["blob", "rm", "~/local_blob"]);
    assert!(!std::path::Path::new(stored).exists());
}

#[test]
fn reading_an_unknown_name_is_a_clear_error() {
    let t = rh();
    let out = t.run(["blob", "read", "~/nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no blob named ~/nope"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn remote_name_saves_config_on_rh_server() {
    let Some(t) = with_services(S3_VARS) else {
        return;
    };
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    t.ok(["login", &token, "--api-server-url", server.url()]);
    let b = unique_bucket("rh-blob", "remote");
    t.ok(["config", "set", "default_blob_bucket", &b]);
    let out = t.run_stdin(
        [
            "blob",
            "write",
            "my_blob",
            "--system",
            "s3",
            "--create-bucket",
        ],
        pickled_range(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let shown: Value =
        serde_json::from_str(&t.ok(["resource", "show", "/alice/my_blob", "--json"]))
            .expect("json");
    assert_eq!(shown["name"], "/alice/my_blob");
    assert_eq!(shown["resource_type"], "blob");
    assert_eq!(shown["system"], "s3");
    let path = shown["path"].as_str().expect("path");
    assert!(
        path.starts_with(&format!("/{b}/runhouse-blob/")) && path.ends_with("/alice/my_blob"),
        "{path}"
    );
    let out = t.run(["blob", "read", "/alice/my_blob"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(unpickle(&out.stdout), "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n");
}

#[test]
fn sharing_a_file_blob_is_refused() {
    let t = rh();
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    server.create_user("bob", None);
    t.ok(["login", &token, "--api-server-url", server.url()]);
    let out = t.run_stdin(["blob", "write", "local_data", "--system", "file"], b"x");
    assert!(out.status.success(), "{}", stderr(&out));
    let out = t.run(["resource", "share", "/alice/local_data", "--user", "bob"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("Unable to share a local blob. Please make sure the blob is located on a cluster or a remote system"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn gcs_and_azure_round_trip() {
    if !rh_test::integration() {
        return;
    }
    let mut t = rh();
    for var in ["STORAGE_EMULATOR_HOST", "AZURE_STORAGE_CONNECTION_STRING"] {
        if let Some(v) = rh_test::service_env(var) {
            t.env(var, v);
        }
    }
    for system in ["gs", "azure"] {
        let b = unique_bucket("rh-blob", system);
        let path = format!("{b}/dir/data.bin");
        let name = format!("~/{system}_blob");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let out = t.run_stdin(
            [
                "blob",
                "write",
                &name,
                "--system",
                system,
                "--path",
                &path,
                "--create-bucket",
            ],
            &data,
        );
        assert!(out.status.success(), "{system}: {}", stderr(&out));
        let out = t.run(["blob", "read", &name]);
        assert!(out.status.success(), "{system}: {}", stderr(&out));
        assert_eq!(out.stdout, data, "{system}");
        assert!(
            t.ok(["blob", "ls", "dir/", "--system", system, "--bucket", &b])
                .ends_with("\tdir/data.bin\n")
        );
    }
}

#[test]
fn an_unreadable_source_saves_nothing() {
    let t = rh();
    let out = t.run([
        "blob",
        "write",
        "~/gone",
        "--system",
        "file",
        "/nonexistent/input",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot read /nonexistent/input"),
        "{}",
        stderr(&out)
    );
    assert!(!t.work_dir().join("rh/gone").exists());
}

/// With no key variables, S3 keys come from `~/.aws/credentials` as botocore reads it (rh-secrets' INI
/// reader: option names case-insensitive); a malformed file is an error naming it and its line, and
/// nothing is saved.
#[test]
fn s3_keys_from_the_shared_credentials_file() {
    let Some(t) = with_services(&["AWS_ENDPOINT_URL", "AWS_REGION"]) else {
        return;
    };
    let creds = t.home().join(".aws/credentials");
    std::fs::create_dir_all(creds.parent().expect("dir")).expect("mkdir");
    std::fs::write(
        &creds,
        format!(
            "[other]\naws_access_key_id = nope\n\n[default]\nAWS_ACCESS_KEY_ID = {}\naws_secret_access_key = {}\n",
            rh_test::service_env("AWS_ACCESS_KEY_ID").expect("id"),
            rh_test::service_env("AWS_SECRET_ACCESS_KEY").expect("secret"),
        ),
    )
    .expect("write");
    let b = unique_bucket("rh-blob", "shared");
    let path = format!("{b}/k");
    let args = [
        "blob",
        "write",
        "~/shared",
        "--system",
        "s3",
        "--path",
        &path,
        "--create-bucket",
        "-",
    ];
    let out = t.run_stdin(args, b"from the file");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(t.ok(["blob", "read", "~/shared"]), "from the file");

    std::fs::write(&creds, "aws_access_key_id = X\n").expect("write");
    let out = t.run_stdin(
        [
            "blob", "write", "~/other", "--system", "s3", "--path", &path, "-",
        ],
        b"x",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        format!(
            "error: cannot load s3 credentials: {}:1: a key comes before any `[section]` header\n",
            creds.display()
        )
    );
    assert!(!t.work_dir().join("rh/other").exists());
}
