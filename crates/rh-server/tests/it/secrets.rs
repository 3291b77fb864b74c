//! `/user/secret…`: the Vault proxy, through the real binary against the shared OpenBao (`VAULT_ADDR`).
//!
//! Every test uses fresh usernames, so its Vault paths (`secret/rh/<username>/…`) are its own.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use rh_secrets::server::ServerSecretStore;
use rh_secrets::store::SecretStore;
use rh_secrets::vault::Error;
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::harness::{BIN, Kind, Server, TestDb, assert_error, payload};

/// The shared OpenBao, when the integration services are up.
pub(crate) fn vault() -> Option<(String, String)> {
    if !rh_test::integration() {
        return None;
    }
    Some((
        rh_test::service_env("VAULT_ADDR")?,
        rh_test::service_env("VAULT_TOKEN")?,
    ))
}

pub(crate) fn unique(prefix: &str) -> String {
    let id = rh_server::token::random_id().expect("random bytes");
    format!("{prefix}-{}", &id[..12])
}

/// `--vault-addr ADDR --vault-token-file FILE` (the token written under the test's temp dir).
pub(crate) fn vault_args(db: &TestDb, addr: &str, token: &str) -> Vec<String> {
    let file = db.tmp.path().join("vault-token");
    std::fs::write(&file, format!("{token}\n")).expect("write the token file");
    vec![
        "--vault-addr".into(),
        addr.into(),
        "--vault-token-file".into(),
        file.display().to_string(),
        "--allow-root-vault-token".into(),
    ]
}

fn serve(db: &TestDb, extra: &[String]) -> Server {
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
    db.serve_with(&extra)
}

fn client(s: &Server, token: &str) -> ServerSecretStore {
    ServerSecretStore::new(&s.url, SecretString::from(token.to_owned())).expect("client")
}

#[tokio::test]
async fn conformance_through_the_server() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let name = unique("conf");
    let token = db.user(&name, None);
    let s = serve(&db, &vault_args(&db, &addr, &vtoken));
    let store = client(&s, &token);
    rh_secrets::testing::conformance(&store).await;
    assert!(store.requests().expect("counted") > 20);
}

#[tokio::test]
async fn the_wire_shapes_are_runhouse_s() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let name = unique("wire");
    let t = db.user(&name, None);
    let s = serve(&db, &vault_args(&db, &addr, &vtoken));
    // Bulk upload as the original client's extract_and_upload sends it, then bulk download.
    let body =
        json!({"aws": {"access_key": "AKIAWIRE", "secret_key": "sk"}, "my-db": {"password": "pw"}});
    let (st, put) = s.put("/user/secret", &t, &body).await;
    assert_eq!(st, 200, "{put}");
    assert_eq!(put["data"]["aws"]["version"], 1);
    let (st, all) = s.get("/user/secret", &t).await;
    assert_eq!((st, &all["data"]), (200, &body));
    // One provider: `data[provider]` is the flat dict, as the original `get` reads it.
    let (st, one) = s.get("/user/secret/aws", &t).await;
    assert_eq!(
        (st, &one["data"]["aws"], &one["version"]),
        (200, &body["aws"], &json!(1))
    );
    let (st, _) = s
        .put(
            "/user/secret/aws?cas=1",
            &t,
            &json!({"access_key": "AKIA2", "secret_key": "x"}),
        )
        .await;
    assert_eq!(st, 200);
    assert_error(
        &s.put(
            "/user/secret/aws?cas=1",
            &t,
            &json!({"access_key": "AKIA3", "secret_key": "y"}),
        )
        .await,
        409,
        "changed in Vault since it was read",
    );
    assert_error(
        &s.put("/user/secret/aws?cas=x", &t, &json!({})).await,
        400,
        "cas must be a version number",
    );
    assert_error(
        &s.put("/user/secret/aws", &t, &json!({"access_key": 1}))
            .await,
        400,
        "must be a string",
    );
    assert_error(
        &s.put("/user/secret/aws", &t, &json!(["a"])).await,
        400,
        "json object",
    );
    assert_error(
        &s.put("/user/secret", &t, &json!({"aws": "x"})).await,
        400,
        "json object",
    );
    assert_error(
        &s.get("/user/secret/bad%20name", &t).await,
        400,
        "invalid provider name",
    );
    let (st, names) = s.get("/user/secret?list=true", &t).await;
    assert_eq!((st, names["data"].clone()), (200, json!(["aws", "my-db"])));
    let (st, meta) = s.get("/user/secret/aws/metadata", &t).await;
    assert_eq!((st, &meta["data"]["version"]), (200, &json!(2)));
    let meta_text = meta.to_string();
    assert!(
        !meta_text.contains("AKIA2"),
        "metadata holds no value: {meta_text}"
    );
    let (st, hist) = s.get("/user/secret/aws/history", &t).await;
    assert_eq!((st, hist["data"].as_array().map(Vec::len)), (200, Some(2)));
    assert!(!hist.to_string().contains("AKIA"), "history holds no value");
    assert_eq!(s.delete("/user/secret/aws", &t).await.0, 200);
    assert_error(
        &s.delete("/user/secret/aws", &t).await,
        404,
        "no secrets for aws",
    );
    assert_error(
        &s.get("/user/secret/aws", &t).await,
        404,
        "no secrets for aws",
    );
    assert_eq!(s.delete("/user/secret/my-db", &t).await.0, 200);
    // Without a token: 401, before Vault is asked anything.
    assert_eq!(s.call("GET", "/user/secret", None, None).await.0, 401);
}

#[tokio::test]
async fn one_user_cannot_reach_another_s_secrets() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let (alice, bob) = (unique("alice"), unique("bob"));
    let ta = db.user(&alice, None);
    let tb = db.user(&bob, None);
    let s = serve(&db, &vault_args(&db, &addr, &vtoken));
    let body = json!({"password": "ALICE-ONLY-SENTINEL"});
    assert_eq!(s.put("/user/secret/db", &ta, &body).await.0, 200);

    for path in [
        "/user/secret/db".to_owned(),
        "/user/secret/db/metadata".to_owned(),
        format!("/user/secret/..%2F{alice}%2Fdb"),
        format!("/user/secret/%2E%2E%2F{alice}%2Fdb"),
        format!("/user/secret/{alice}%2Fdb"),
    ] {
        let (st, got) = s.get(&path, &tb).await;
        assert!(matches!(st, 400 | 403 | 404), "{path}: {st} {got}");
        assert!(
            !got.to_string().contains("ALICE-ONLY"),
            "{path} leaked: {got}"
        );
    }
    let (st, all) = s.get("/user/secret", &tb).await;
    assert_eq!((st, all["data"].clone()), (200, json!({})));
    assert_eq!(
        s.get("/user/secret?list=true", &tb).await.1["data"],
        json!([])
    );
    assert_eq!(s.delete("/user/secret/db", &tb).await.0, 404);
    let (st, _) = s
        .put("/user/secret/db?cas=1", &tb, &json!({"password": "bob"}))
        .await;
    assert_eq!(
        st, 409,
        "bob's own db does not exist: version 1 is stale for him"
    );
    // Bob's write went to his own path; Alice's secret is unchanged.
    let (st, mine) = s.get("/user/secret/db", &ta).await;
    assert_eq!(
        (st, &mine["data"]["db"], &mine["version"]),
        (200, &body, &json!(1))
    );
    for t in [&ta, &tb] {
        let _ = s.delete("/user/secret/db", t).await;
    }
}

/// `rh-server serve` with its stderr in `log` at debug level (the most it logs without `-vv`).
struct LoggedServer {
    child: Child,
    url: String,
}

impl Drop for LoggedServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve_logged(db: &TestDb, extra: &[String], log: &Path) -> LoggedServer {
    let err = std::fs::File::create(log).expect("log file");
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "-v"])
        .args(extra)
        .args(db.args())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", db.home())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(err)
        .spawn()
        .expect("spawn rh-server");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("url line");
    LoggedServer {
        child,
        url: line.trim().to_owned(),
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("read dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

pub(crate) fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_secret_value_reaches_the_database_or_the_logs() {
    let Some((addr, vtoken)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let name = unique("sentinel");
    let token = db.user(&name, None);
    let log = db.tmp.path().join("server.log");
    let s = serve_logged(&db, &vault_args(&db, &addr, &vtoken), &log);
    let store = ServerSecretStore::new(&s.url, SecretString::from(token.clone())).expect("client");
    let sentinels = [
        "SENTINEL-AWS-5f3a9",
        "SENTINEL-HF-77c1e",
        "SENTINEL-CUSTOM-0b2d4",
    ];
    let aws: rh_secrets::ProviderSecrets =
        [("access_key", sentinels[0]), ("secret_key", sentinels[0])]
            .into_iter()
            .collect();
    let hf: rh_secrets::ProviderSecrets = [("token", sentinels[1])].into_iter().collect();
    let custom: rh_secrets::ProviderSecrets = [("password", sentinels[2])].into_iter().collect();
    store.put("aws", &aws, Some(0)).await.expect("put aws");
    store.put("huggingface", &hf, None).await.expect("put hf");
    store.put("my-db", &custom, None).await.expect("put custom");
    let _ = store
        .put("aws", &aws, Some(0))
        .await
        .expect_err("a conflict, logged");
    store.get("aws").await.expect("get").expect("present");
    store.rollback("aws", 1).await.expect("rollback");
    store.history("aws").await.expect("history");
    // The bulk endpoints too.
    let http = reqwest::Client::new();
    let bulk = json!({"github": {"token": sentinels[2]}});
    let res = http
        .put(format!("{}/user/secret", s.url))
        .bearer_auth(&token)
        .body(bulk.to_string())
        .send()
        .await
        .expect("bulk put");
    assert_eq!(res.status(), 200);
    let all: Value = http
        .get(format!("{}/user/secret", s.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("bulk get")
        .json()
        .await
        .expect("json");
    assert_eq!(all["data"]["github"]["token"], sentinels[2]);
    for p in ["aws", "huggingface", "my-db", "github"] {
        assert!(store.delete(p).await.expect("delete"));
    }
    drop(s); // flush and stop

    let logged = std::fs::read(&log).expect("read log");
    assert!(
        contains(&logged, "wrote version"),
        "the log is the debug-level one"
    );
    let mut checked = vec![log];
    checked.extend(files_under(&db.data_dir()));
    assert!(
        checked
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "db"))
    );
    for path in &checked {
        let bytes = std::fs::read(path).expect("read");
        for needle in sentinels
            .iter()
            .copied()
            .chain([token.as_str(), vtoken.as_str()])
        {
            assert!(
                !contains(&bytes, needle),
                "{} holds a secret",
                path.display()
            );
        }
    }
}

#[tokio::test]
async fn vault_down_is_a_clean_error_and_resources_keep_working() {
    let db = TestDb::new(Kind::Sqlite).await;
    let name = unique("down");
    let t = db.user(&name, None);
    // Port 1 on loopback: nothing listens there.
    let s = serve(&db, &vault_args(&db, "http://127.0.0.1:1", "unused"));
    let (st, body) = s.get("/user/secret", &t).await;
    assert_eq!(st, 503, "{body}");
    let detail = body["detail"].as_str().expect("detail");
    // Vault's address is the server's internal: the client gets a generic line, the log the details.
    assert_eq!(
        detail,
        "rh-server cannot reach its Vault; the server admin can find the cause in rh-server's log"
    );
    let store = client(&s, &t);
    let err = store.get("aws").await.expect_err("vault is down");
    assert!(matches!(err, Error::Server { status: 503, .. }), "{err}");
    assert!(err.to_string().contains("cannot reach its Vault"), "{err}");
    for path in ["/user/secret/aws", "/user/secret/aws/history"] {
        let (st, body) = s.get(path, &t).await;
        assert_eq!(st, 503, "{path}: {body}");
        assert!(!body.to_string().contains("127.0.0.1"), "{path}: {body}");
    }
    let (st, body) = s.put("/user/secret", &t, &json!({"aws": {"k": "v"}})).await;
    assert_eq!(st, 503, "{body}");
    assert!(!body.to_string().contains("127.0.0.1"), "{body}");
    // The resource half of the server does not need Vault.
    let address = format!("/{name}/r");
    assert_eq!(
        s.post("/resource", &t, &payload(&address, &json!({"n": 1})))
            .await
            .0,
        200
    );
    assert_eq!(s.get(&format!("/resource/{name}:r"), &t).await.0, 200);
    assert_eq!(s.get("/user", &t).await.0, 200);
}

#[tokio::test]
async fn without_vault_the_secret_routes_say_how_to_configure_one() {
    let db = TestDb::new(Kind::Sqlite).await;
    let t = db.user(&unique("novault"), None);
    let s = db.serve();
    for (method, path) in [
        ("GET", "/user/secret"),
        ("GET", "/user/secret/aws"),
        ("DELETE", "/user/secret/aws"),
    ] {
        let got = s.call(method, path, Some(&t), None).await;
        assert_error(
            &got,
            503,
            "no Vault configured: start it with --vault-addr URL",
        );
    }
    assert_eq!(s.get("/user", &t).await.0, 200);
    // A token file that does not exist: a one-line startup error, exit 1.
    let out = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--vault-addr",
            "http://127.0.0.1:8200",
            "--vault-token-file",
            "/nonexistent/token",
        ])
        .args(db.args())
        .env_clear()
        .env("HOME", db.home())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    assert!(
        err.contains("cannot read the Vault token file /nonexistent/token"),
        "{err}"
    );
    let out = Command::new(BIN)
        .args([
            "serve",
            "--bind",
            "127.0.0.1:0",
            "--vault-addr",
            "http://127.0.0.1:8200",
        ])
        .args(db.args())
        .env_clear()
        .env("HOME", db.home())
        .output()
        .expect("run");
    assert!(
        rh_test::stderr(&out)
            .contains("needs a token: give --vault-token-file PATH or set VAULT_TOKEN")
    );
}

/// A server token Vault refuses stops `serve` at start (one line, never the token); one Vault stops honouring
/// while the server runs makes secret calls a 502 naming the server's token.
#[tokio::test]
async fn a_vault_token_the_vault_refuses_is_a_502_naming_the_server_s_token() {
    let Some((addr, root)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let name = unique("badvault");
    let t = db.user(&name, None);
    let bad = vault_args(&db, &addr, "not-a-vault-token-SENTINEL");
    let mut cmd = std::process::Command::new(crate::harness::BIN);
    cmd.args(["serve", "--bind", "127.0.0.1:0"])
        .args(&bad)
        .args(db.args());
    crate::harness::isolate(&mut cmd, &db.home());
    let out = cmd.output().expect("run serve");
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    assert!(
        err.contains("refused the token (403)") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(!err.contains("SENTINEL"), "{err}");

    // A least-privileged server token from `vault setup`, revoked under the running server.
    let admin = db.tmp.path().join("admin-token");
    std::fs::write(&admin, &root).expect("write");
    let server_token = db.tmp.path().join("server-token");
    let mut setup = std::process::Command::new(crate::harness::BIN);
    setup
        .args([
            "vault",
            "setup",
            "--vault-addr",
            &addr,
            "--admin-token-file",
        ])
        .arg(&admin)
        .arg("--token-file")
        .arg(&server_token);
    crate::harness::isolate(&mut setup, &db.home());
    let out = setup.output().expect("run vault setup");
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    let tf = server_token.display().to_string();
    let s = db.serve_with(&["--vault-addr", &addr, "--vault-token-file", &tf]);
    let token = std::fs::read_to_string(&server_token)
        .expect("read")
        .trim()
        .to_owned();
    let revoked = reqwest::Client::new()
        .post(format!("{addr}/v1/auth/token/revoke"))
        .header("x-vault-token", &root)
        .json(&json!({ "token": token }))
        .send()
        .await
        .expect("revoke");
    assert!(revoked.status().is_success(), "{}", revoked.status());
    let got = s.get("/user/secret/aws", &t).await;
    assert_error(&got, 502, "Vault refused rh-server's token (403)");
    assert!(!got.1.to_string().contains(&token), "{got:?}");
    let err = client(&s, &t).list().await.expect_err("refused");
    assert!(matches!(err, Error::Server { status: 502, .. }), "{err}");
}

#[tokio::test]
async fn the_account_named_local_cannot_be_created_nor_reach_rh_local() {
    let db = TestDb::new(Kind::Sqlite).await;
    let out = db.cli(&["user", "create", "local"]);
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    assert!(
        err.contains("the account name `local` is reserved"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(rh_test::stdout(&out).is_empty(), "printed a token");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM users WHERE username = 'local'")
            .await,
        0
    );
    // An account named `local` from before the rule still cannot reach rh/local through the server.
    db.user("seed", None);
    let t = "rh_local_account_from_an_older_version";
    let pool = db.pool().await;
    sqlx::query("UPDATE users SET username = 'local', token_hash = $1 WHERE username = 'seed'")
        .bind(rh_server::token::hash(t))
        .execute(&pool)
        .await
        .expect("rename");
    pool.close().await;
    let s = serve(&db, &vault_args(&db, "http://127.0.0.1:1", "unused"));
    assert_error(
        &s.get("/user/secret", t).await,
        403,
        "reserved for direct Vault use",
    );
}

#[tokio::test]
async fn secret_answers_are_never_cached() {
    let db = TestDb::new(Kind::Sqlite).await;
    let t = db.user(&unique("nocache"), None);
    let mut servers = vec![db.serve()];
    if let Some((addr, vtoken)) = vault() {
        servers.push(serve(&db, &vault_args(&db, &addr, &vtoken)));
    }
    for s in &servers {
        let http = reqwest::Client::new();
        let put = http
            .put(format!("{}/user/secret/wandb", s.url))
            .bearer_auth(&t)
            .body(r#"{"api_key": "k"}"#)
            .send()
            .await
            .expect("put");
        let put_status = put.status().as_u16();
        assert_eq!(put.headers()["cache-control"], "no-store");
        for path in [
            "/user/secret",
            "/user/secret/wandb",
            "/user/secret?list=true",
        ] {
            let res = http
                .get(format!("{}{path}", s.url))
                .bearer_auth(&t)
                .send()
                .await
                .expect("get");
            // 503 without Vault, 200 with it: no-store either way.
            assert!(matches!(res.status().as_u16(), 200 | 503), "{path}");
            assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
        }
        if put_status == 200 {
            assert_eq!(s.delete("/user/secret/wandb", &t).await.0, 200);
        }
    }
}

/// Makes the shared OpenBao refuse `user`'s writes to `rh/<user>/gcp`: a deny policy on the identity entity
/// whose token alias is `user`, which every child token rh-server mints for `user` then carries.
async fn deny_gcp_for(addr: &str, root: &str, user: &str) {
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Value| {
        http.request(method, format!("{addr}/v1/{path}"))
            .header("x-vault-token", root)
            .json(&body)
            .send()
    };
    let policy = format!("path \"secret/data/rh/{user}/gcp\" {{ capabilities = [\"deny\"] }}\n");
    let res = call(
        reqwest::Method::PUT,
        format!("sys/policies/acl/{user}"),
        json!({ "policy": policy }),
    )
    .await
    .expect("write policy");
    assert!(res.status().is_success(), "policy: {}", res.status());
    let auth: Value = call(reqwest::Method::GET, "sys/auth".into(), Value::Null)
        .await
        .expect("sys/auth")
        .json()
        .await
        .expect("json");
    let accessor = auth["token/"]["accessor"].as_str().expect("token accessor");
    let entity: Value = call(
        reqwest::Method::POST,
        "identity/entity".into(),
        json!({ "name": format!("rh-test-{user}"), "policies": [user] }),
    )
    .await
    .expect("create entity")
    .json()
    .await
    .expect("json");
    let id = entity["data"]["id"].as_str().expect("entity id");
    let res = call(
        reqwest::Method::POST,
        "identity/entity-alias".into(),
        json!({ "name": user, "canonical_id": id, "mount_accessor": accessor }),
    )
    .await
    .expect("create alias");
    assert!(res.status().is_success(), "alias: {}", res.status());
}

#[tokio::test]
async fn a_bulk_upload_that_partly_fails_says_what_was_written() {
    let Some((addr, root)) = vault() else {
        return;
    };
    let db = TestDb::new(Kind::Sqlite).await;
    let name = unique("partial");
    let t = db.user(&name, None);
    deny_gcp_for(&addr, &root, &name).await;
    let s = serve(&db, &vault_args(&db, &addr, &root));
    let body = json!({"aws": {"access_key": "AKIAPART"}, "gcp": {"key": "g"}});
    let (st, got) = s.put("/user/secret", &t, &body).await;
    // The failure's status (Vault refused the server's token for gcp), and each provider's outcome.
    assert_eq!(st, 502, "{got}");
    assert_eq!(got["data"]["aws"], json!({"version": 1}), "{got}");
    assert_eq!(got["data"]["gcp"]["status"], 502, "{got}");
    assert!(
        got["data"]["gcp"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("Vault refused rh-server's token")),
        "{got}"
    );
    let detail = got["detail"].as_str().expect("detail");
    assert!(
        detail.contains("not every provider was written")
            && detail.contains("written: aws; not written: gcp"),
        "{detail}"
    );
    for internal in [addr.as_str(), "secret/", "rh/"] {
        assert!(!got.to_string().contains(internal), "{internal} in {got}");
    }
    // What the answer says was written was written, and audited; the rest was not.
    let (st, aws) = s.get("/user/secret/aws", &t).await;
    assert_eq!((st, &aws["data"]["aws"]), (200, &body["aws"]), "{aws}");
    let rows = db
        .strings(&format!(
            "SELECT action || ' ' || target FROM audit_log WHERE actor = '{name}'"
        ))
        .await;
    assert_eq!(rows, ["secret.put aws"]);
    let _ = reqwest::Client::new()
        .delete(format!("{addr}/v1/secret/metadata/rh/{name}/aws"))
        .header("x-vault-token", &root)
        .send()
        .await;
    let _ = reqwest::Client::new()
        .delete(format!("{addr}/v1/sys/policies/acl/{name}"))
        .header("x-vault-token", &root)
        .send()
        .await;
}

#[tokio::test]
async fn the_dashboard_does_not_show_vault_s_address_either() {
    let db = TestDb::new(Kind::Sqlite).await;
    let t = db.user(&unique("dashdown"), None);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let vault = format!("http://127.0.0.1:{port}");
    let s = serve(&db, &vault_args(&db, &vault, "unused"));
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let form = http
        .get(format!("{}/login", s.url))
        .send()
        .await
        .expect("login page");
    let login_cookie = form.headers()["set-cookie"]
        .to_str()
        .expect("ascii")
        .split(';')
        .next()
        .expect("rh_login=…")
        .to_owned();
    let csrf = login_cookie.split_once('=').expect("k=v").1.to_owned();
    let signed = http
        .post(format!("{}/login", s.url))
        .header("cookie", &login_cookie)
        .form(&[("csrf", csrf.as_str()), ("token", t.as_str())])
        .send()
        .await
        .expect("sign in");
    assert_eq!(signed.status().as_u16(), 303);
    let session = signed
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("rh_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = http
        .get(format!("{}/secrets", s.url))
        .header("cookie", session)
        .send()
        .await
        .expect("secrets page")
        .text()
        .await
        .expect("body");
    assert!(page.contains("rh-server cannot reach its Vault"), "{page}");
    assert!(!page.contains(&port.to_string()), "{page}");
}
