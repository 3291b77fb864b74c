//! Least privilege in Vault, checked from outside on a PRIVATE OpenBao with its file audit device on:
//! `rh-server vault setup` installs the policies and mints a server token that is not root and reads no
//! secret; `serve` refuses a root token without `--allow-root-vault-token`; each user's calls run with a child
//! token that Vault keeps inside that user's prefix.

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use crate::faults::{PrivateBao, bao_bin, free_port};
use crate::harness::{BIN, Kind, TestDb, isolate};

const SENTINEL: &str = "sentinel-9f1d-never-in-the-vault-audit-log";

/// One call to OpenBao's HTTP API with `token`: (status, JSON body or Null).
async fn bao(
    method: &str,
    addr: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let http = reqwest::Client::new();
    let mut req = http
        .request(method.parse().expect("method"), format!("{addr}/v1/{path}"))
        .header("X-Vault-Token", token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let r = req.send().await.expect("OpenBao answers");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

fn setup(
    home: &Path,
    addr: &str,
    admin_file: &Path,
    token_file: &Path,
    force: bool,
) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args(["vault", "setup", "--vault-addr", addr, "--admin-token-file"])
        .arg(admin_file)
        .arg("--token-file")
        .arg(token_file);
    if force {
        cmd.arg("--force");
    }
    isolate(&mut cmd, home);
    cmd.output().expect("run rh-server vault setup")
}

/// `serve` with `token_file` expected to stop at start: its output.
fn serve_once(db: &TestDb, addr: &str, token_file: &Path) -> std::process::Output {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--vault-addr",
        addr,
        "--vault-token-file",
    ])
    .arg(token_file)
    .args(db.args());
    isolate(&mut cmd, &db.home());
    cmd.output().expect("run serve")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_users_vault_calls_run_with_a_child_token_confined_to_their_prefix() {
    if !rh_test::integration() {
        return;
    }
    let bin =
        bao_bin().expect("no bao binary: set RH_TEST_BAO (`.ci/services.sh start_vault` does)");
    let db = TestDb::new(Kind::Sqlite).await;
    let port = free_port();
    let root = format!("lp-{}", rh_server::token::random_id().expect("random"));
    // OpenBao 2 declares audit devices in its configuration only.
    let audit_log = db.tmp.path().join("bao-audit.log");
    let config = db.tmp.path().join("bao-audit.hcl");
    std::fs::write(
        &config,
        format!(
            "audit \"file\" \"to-file\" {{\n  options {{\n    file_path = \"{}\"\n    hmac_accessor = \"false\"\n  }}\n}}\n",
            audit_log.display()
        ),
    )
    .expect("write the OpenBao config");
    let _bao = PrivateBao::start_with(
        &bin,
        port,
        &root,
        &db.home(),
        &[format!("-config={}", config.display())],
    )
    .await;
    let addr = format!("http://127.0.0.1:{port}");

    // Before setup, a non-root token is refused at start: the role its users' tokens come from is missing.
    let (st, plain) = bao(
        "POST",
        &addr,
        "auth/token/create",
        &root,
        Some(json!({"policies": ["default"], "ttl": "10m"})),
    )
    .await;
    assert_eq!(st, 200, "{plain}");
    let plain_file = db.tmp.path().join("plain-token");
    std::fs::write(
        &plain_file,
        plain["auth"]["client_token"].as_str().expect("token"),
    )
    .expect("write");
    let out = serve_once(&db, &addr, &plain_file);
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    assert!(
        err.contains("no token role `rh-user`") && err.contains("vault setup"),
        "{err}"
    );
    // setup against a Vault that is not there: one line naming it, no token file.
    let dead = rh_test::server::dead_url();
    let nothing = db.tmp.path().join("never-written");
    let out = setup(&db.home(), &dead, &plain_file, &nothing, false);
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    // (RUST_LOG=warn here also shows vaultrs's own log lines; the error itself is one line.)
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert!(errors.len() == 1 && errors[0].contains(&dead), "{err}");
    assert!(!nothing.exists());

    // setup: the server token goes to a 0600 file, never to stdout.
    let admin_file = db.tmp.path().join("admin-token");
    std::fs::write(&admin_file, format!("{root}\n")).expect("write the admin token");
    let token_file = db.tmp.path().join("server-token");
    let out = setup(&db.home(), &addr, &admin_file, &token_file, false);
    assert!(out.status.success(), "setup: {}", rh_test::stderr(&out));
    assert!(
        rh_test::stdout(&out).trim().is_empty(),
        "the token went to stdout"
    );
    let mode = std::fs::metadata(&token_file)
        .expect("token file")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    let server_token = std::fs::read_to_string(&token_file)
        .expect("read")
        .trim()
        .to_owned();
    assert!(!server_token.is_empty() && server_token != root);

    // Again without --force: refused, naming the file, which keeps its token.
    let again = setup(&db.home(), &addr, &admin_file, &token_file, false);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        rh_test::stderr(&again).contains(&token_file.display().to_string()),
        "{}",
        rh_test::stderr(&again)
    );
    assert_eq!(
        std::fs::read_to_string(&token_file).expect("read").trim(),
        server_token
    );

    // The server token: not root, policies default + rh-server; it reads no secret and writes no policy.
    let (st, me) = bao("GET", &addr, "auth/token/lookup-self", &server_token, None).await;
    assert_eq!(st, 200, "{me}");
    let mut policies: Vec<String> =
        serde_json::from_value(me["data"]["policies"].clone()).expect("policies");
    policies.sort();
    assert_eq!(policies, ["default", "rh-server"]);
    let server_accessor = me["data"]["accessor"]
        .as_str()
        .expect("accessor")
        .to_owned();
    let (st, _) = bao(
        "POST",
        &addr,
        "secret/data/rh/alice/aws",
        &server_token,
        Some(json!({"data": {"k": "v"}})),
    )
    .await;
    assert_eq!(st, 403, "the server token wrote a secret itself");
    let (st, _) = bao(
        "PUT",
        &addr,
        "sys/policies/acl/rh-user-evil",
        &server_token,
        Some(json!({"policy": "path \"*\" { capabilities = [\"sudo\"] }"})),
    )
    .await;
    assert_eq!(st, 403, "the server token wrote a policy");

    // serve refuses the root token without the flag: exit 1, the fix in the message.
    let out = serve_once(&db, &addr, &admin_file);
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    assert!(
        err.contains("root token") && err.contains("rh-server vault setup"),
        "{err}"
    );

    // serve with the server token: alice's and bob's calls work, each in their own prefix.
    let tf = token_file.display().to_string();
    let alice = db.user("alice", None);
    let bob = db.user("bob", None);
    let s = db.serve_with(&["--vault-addr", &addr, "--vault-token-file", &tf]);
    let secret = json!({"access_key": "AKIA-alice", "secret_key": SENTINEL});
    assert_eq!(s.put("/user/secret/aws", &alice, &secret).await.0, 200);
    assert_eq!(
        s.put(
            "/user/secret/aws",
            &bob,
            &json!({"access_key": "AKIA-bob", "secret_key": "bob-secret"})
        )
        .await
        .0,
        200
    );
    let (st, got) = s.get("/user/secret/aws", &alice).await;
    assert_eq!((st, &got["data"]["aws"]), (200, &secret));
    let (st, got) = s.get("/user/secret/aws", &bob).await;
    assert_eq!(
        (st, got["data"]["aws"]["access_key"].as_str()),
        (200, Some("AKIA-bob"))
    );

    // From outside: a token as rh-server mints it for alice reads alice's path, not bob's.
    let (st, minted) = bao(
        "POST",
        &addr,
        "auth/token/create/rh-user",
        &server_token,
        Some(json!({"entity_alias": "alice", "policies": ["rh-user"], "ttl": "300s"})),
    )
    .await;
    assert_eq!(st, 200, "{minted}");
    assert!(minted["auth"]["lease_duration"].as_u64().expect("ttl") <= 300);
    let child = minted["auth"]["client_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let kv_get = |path: &str| {
        let mut cmd = Command::new(&bin);
        cmd.args(["kv", "get", "-mount=secret", path])
            .env_clear()
            .env("BAO_ADDR", &addr)
            .env("BAO_TOKEN", &child)
            .env("HOME", db.home());
        cmd.output().expect("run bao kv get")
    };
    let own = kv_get("rh/alice/aws");
    assert!(own.status.success(), "{}", rh_test::stderr(&own));
    let other = kv_get("rh/bob/aws");
    assert!(!other.status.success());
    assert!(
        rh_test::stderr(&other).contains("permission denied"),
        "{}",
        rh_test::stderr(&other)
    );

    // The audit log: HMAC'd values only, and every request on alice's path ran under her child token.
    s.stop();
    let log = std::fs::read_to_string(&audit_log).expect("read the audit log");
    assert!(
        !log.contains(SENTINEL),
        "a secret value is in OpenBao's audit log"
    );
    let mut alice_requests = 0;
    let mut entities = std::collections::BTreeSet::new();
    for line in log.lines() {
        let entry: Value = serde_json::from_str(line).expect("an audit line is JSON");
        // Only what Vault allowed (the test's own probe with the server token above was denied).
        if entry["type"] != "request" || entry["auth"]["policy_results"]["allowed"] == false {
            continue;
        }
        let path = entry["request"]["path"].as_str().unwrap_or_default();
        if path.starts_with("secret/data/rh/alice/")
            || path.starts_with("secret/metadata/rh/alice/")
        {
            alice_requests += 1;
            let auth = &entry["auth"];
            assert_ne!(
                auth["accessor"].as_str(),
                Some(server_accessor.as_str()),
                "{line}"
            );
            assert!(
                auth["policies"]
                    .as_array()
                    .expect("policies")
                    .iter()
                    .any(|p| p == "rh-user"),
                "{line}"
            );
            entities.insert(auth["entity_id"].as_str().expect("an entity").to_owned());
        }
    }
    // The child tokens' entity is alice's: its one alias is her username.
    assert!(!entities.is_empty());
    for id in &entities {
        let (st, e) = bao(
            "GET",
            &addr,
            &format!("identity/entity/id/{id}"),
            &root,
            None,
        )
        .await;
        assert_eq!(st, 200, "{e}");
        let names: Vec<&str> = e["data"]["aliases"]
            .as_array()
            .expect("aliases")
            .iter()
            .filter_map(|a| a["name"].as_str())
            .collect();
        assert_eq!(names, ["alice"], "{e}");
    }
    assert!(
        alice_requests >= 2,
        "only {alice_requests} requests on alice's path in the audit log"
    );
    db.cleanup().await;
}
