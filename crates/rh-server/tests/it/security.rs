//! Server security: TLS, the failed-authentication limit, token revocation and expiry, the audit log.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::harness::{BIN, Server, TestDb, assert_error, backends, payload};

fn trusting(cert: &Path) -> reqwest::Client {
    let pem = std::fs::read(cert).expect("read cert");
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("pem"))
        .build()
        .expect("client")
}

fn serve_tls(db: &TestDb) -> (Server, PathBuf) {
    let (cert, key) = rh_test::self_signed_cert(db.tmp.path());
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let s = db.serve_with(&["--tls-cert", &c, "--tls-key", &k]);
    let s = s.with_http(trusting(&cert));
    (s, cert)
}

#[tokio::test]
async fn tls_serves_https_and_refuses_plain_http() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let (s, cert) = serve_tls(&db);
        assert!(s.url.starts_with("https://127.0.0.1:"), "{}", s.url);
        let (st, body) = s.get("/user", &alice).await;
        assert_eq!(
            (st, body["data"]["username"].as_str()),
            (200, Some("alice"))
        );
        // HSTS on every answer under TLS, errors too.
        let http = trusting(&cert);
        for (path, status) in [("/health", 200), ("/user", 401), ("/nowhere", 404)] {
            let res = http
                .get(format!("{}{path}", s.url))
                .send()
                .await
                .expect("request");
            assert_eq!(res.status().as_u16(), status, "{path}");
            assert_eq!(
                res.headers()
                    .get("strict-transport-security")
                    .and_then(|v| v.to_str().ok()),
                Some("max-age=31536000"),
                "{path}"
            );
        }
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/r", &json!({"n": 1})))
                .await
                .0,
            200
        );
        // Plain HTTP to the TLS port gets no HTTP answer.
        let plain = s.url.replacen("https://", "http://", 1);
        let got = reqwest::Client::new()
            .get(format!("{plain}/health"))
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        assert!(got.is_err(), "plain http answered: {got:?}");
        // A client that does not trust the certificate is refused.
        let untrusting = reqwest::Client::new()
            .get(format!("{}/health", s.url))
            .send()
            .await;
        assert!(untrusting.is_err(), "untrusted cert accepted");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn tls_flags_are_checked_with_one_line_errors() {
    let db = TestDb::new(crate::harness::Kind::Sqlite).await;
    let (cert, key) = rh_test::self_signed_cert(db.tmp.path());
    let (c, k) = (cert.display().to_string(), key.display().to_string());
    let missing = db.tmp.path().join("missing.pem").display().to_string();
    let garbage = db.tmp.path().join("garbage.pem");
    std::fs::write(&garbage, "not a pem file\n").expect("write");
    let g = garbage.display().to_string();
    let cases: [(&[&str], &str); 5] = [
        (&["--tls-cert", &c], "--tls-key"),
        (&["--tls-key", &k], "--tls-cert"),
        (&["--tls-cert", &missing, "--tls-key", &k], &missing),
        (&["--tls-cert", &g, "--tls-key", &k], &g),
        (&["--tls-cert", &c, "--tls-key", &g], &g),
    ];
    for (flags, needle) in cases {
        let mut args = vec!["serve", "--bind", "127.0.0.1:0"];
        args.extend_from_slice(flags);
        let out = db.cli(&args);
        let err = rh_test::stderr(&out);
        assert!(!out.status.success(), "{flags:?} started a server");
        assert!(err.contains(needle), "{flags:?}: {err}");
        assert!(rh_test::stdout(&out).is_empty(), "{flags:?} printed a url");
    }
    // A key that parses but belongs to another certificate.
    let other = db.tmp.path().join("other");
    std::fs::create_dir_all(&other).expect("dir");
    let (_, other_key) = rh_test::self_signed_cert(&other);
    let o = other_key.display().to_string();
    let out = db.cli(&[
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--tls-cert",
        &c,
        "--tls-key",
        &o,
    ]);
    assert!(!out.status.success());
    let err = rh_test::stderr(&out);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains(&o), "{err}");
}

#[tokio::test]
async fn failed_authentications_are_limited_per_address() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        // Successful requests never count.
        for _ in 0..25 {
            assert_eq!(s.get("/user", &alice).await.0, 200);
        }
        for i in 0..10 {
            let got = s.get("/user", &format!("rh_wrong{i}")).await;
            assert_error(&got, 401, "invalid token");
        }
        // Past the limit a correct token is still served (others' failures never lock a user out) ...
        assert_eq!(s.get("/user", &alice).await.0, 200);
        // ... while the 11th failure is held and refused with Retry-After.
        let res = reqwest::Client::new()
            .get(format!("{}/user", s.url))
            .bearer_auth("rh_wrong_again")
            .send()
            .await
            .expect("request");
        assert_eq!(res.status().as_u16(), 429);
        let retry: u64 = res.headers()["retry-after"]
            .to_str()
            .expect("ascii")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry), "{retry}");
        let body: Value = res.json().await.expect("json");
        let detail = body["detail"].as_str().expect("detail");
        assert_eq!(
            detail,
            format!("too many failed authentications; retry in {retry} s")
        );
        // Requests without credentials are not authentication attempts.
        assert_eq!(s.call("GET", "/health", None, None).await.0, 200);
        assert_eq!(s.get("/user", &alice).await.0, 200);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_lockout_ends_with_its_window_and_counts_dashboard_logins() {
    let db = TestDb::new(crate::harness::Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let s = db.serve_with(&["--auth-fail-limit", "3", "--auth-fail-window", "2"]);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // Two failed dashboard sign-ins and one failed bearer token.
    for _ in 0..2 {
        let form = http
            .get(format!("{}/login", s.url))
            .send()
            .await
            .expect("login page");
        let cookie = form.headers()["set-cookie"]
            .to_str()
            .expect("ascii")
            .to_owned();
        let csrf = cookie
            .split(';')
            .next()
            .and_then(|kv| kv.split_once('='))
            .expect("rh_login=…")
            .1
            .to_owned();
        let res = http
            .post(format!("{}/login", s.url))
            .header("cookie", format!("rh_login={csrf}"))
            .form(&[("csrf", csrf.as_str()), ("token", "rh_not_a_token")])
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status().as_u16(), 401);
    }
    assert_error(&s.get("/user", "rh_wrong").await, 401, "invalid token");
    assert_error(
        &s.get("/user", "rh_wrong").await,
        429,
        "too many failed authentications",
    );
    assert_eq!(s.get("/user", &alice).await.0, 200);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_error(&s.get("/user", "rh_wrong").await, 401, "invalid token");
    assert_eq!(s.get("/user", &alice).await.0, 200);
    s.stop();
}

#[tokio::test]
async fn revoked_and_expired_tokens_are_refused() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let out = db.cli(&["user", "create", "alice", "--expires-in", "90d"]);
        assert!(out.status.success(), "{}", rh_test::stderr(&out));
        let alice = rh_test::stdout(&out).trim().to_owned();
        let short = db.cli(&["user", "create", "bob", "--expires-in", "1s"]);
        let bob = rh_test::stdout(&short).trim().to_owned();
        let carol = db.user("carol", None);
        let s = db.serve();
        assert_eq!(s.get("/user", &alice).await.0, 200);
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/r", &json!({"n": 1})))
                .await
                .0,
            200
        );

        // Revocation works at once, on the running server, for every route.
        let out = db.cli(&["user", "revoke", "alice"]);
        assert!(out.status.success(), "{}", rh_test::stderr(&out));
        assert_error(&s.get("/user", &alice).await, 401, "invalid token");
        assert_error(
            &s.get("/resource/alice:r", &alice).await,
            401,
            "invalid token",
        );
        // A new token works; the revoked one stays dead; the data is kept.
        let out = db.cli(&["user", "token", "alice", "--expires-in", "12h"]);
        let fresh = rh_test::stdout(&out).trim().to_owned();
        assert_eq!(s.get("/resource/alice:r", &fresh).await.0, 200);
        assert_error(&s.get("/user", &alice).await, 401, "invalid token");

        // Expiry: a distinct answer on the API and on the hot read path.
        tokio::time::sleep(Duration::from_millis(1200)).await;
        assert_error(&s.get("/user", &bob).await, 401, "token expired");
        assert_error(
            &s.get("/resource/alice:r", &bob).await,
            401,
            "token expired",
        );
        assert_error(&s.get("/user", "rh_nonsense").await, 401, "invalid token");

        // A user revokes their own token over HTTP.
        assert_eq!(s.delete("/user/token", &carol).await.0, 200);
        assert_error(&s.get("/user", &carol).await, 401, "invalid token");

        // Bad input changes nothing.
        for bad in ["10", "5y", "1.5h", "0m"] {
            let out = db.cli(&["user", "create", "dave", "--expires-in", bad]);
            assert!(!out.status.success(), "{bad}");
            assert!(
                rh_test::stderr(&out).contains("invalid duration"),
                "{}",
                rh_test::stderr(&out)
            );
        }
        let out = db.cli(&["user", "revoke", "nobody"]);
        assert!(rh_test::stderr(&out).contains("no user named nobody"));
        assert_eq!(
            db.count("SELECT COUNT(*) FROM users WHERE username = 'dave'")
                .await,
            0
        );
        assert_eq!(
            db.count(
                "SELECT COUNT(*) FROM users WHERE username = 'alice' \
                 AND token_expires_at IS NOT NULL AND token_revoked_at IS NULL"
            )
            .await,
            1
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn the_audit_log_records_who_changed_what_and_no_values() {
    const SENTINEL: &str = "sentinel-4f1d9c-never-in-audit";
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let _bob = db.user("bob", Some("bob@example.com"));
        let s = db.serve();
        let data = json!({"secret_value": SENTINEL});
        let steps: Vec<(&str, String, Option<Value>)> = vec![
            ("POST", "/resource".into(), Some(payload("/alice/m", &data))),
            (
                "PUT",
                "/resource/alice:m".into(),
                Some(payload("/alice/m", &json!({"v": SENTINEL, "n": 2}))),
            ),
            (
                "PUT",
                "/resource/alice:m/users/access".into(),
                Some(json!({"users": ["bob"], "access_level": "read", "notify_users": false})),
            ),
            (
                "PUT",
                "/resource/alice:m/users/access".into(),
                Some(
                    json!({"users": ["bob"], "access_level": "read", "notify_users": false,
                            "visibility": "public"}),
                ),
            ),
            (
                "PUT",
                "/resource/alice:m/users/access".into(),
                Some(json!({"users": ["bob"], "access_level": "denied", "notify_users": false})),
            ),
            (
                "PUT",
                "/user/config".into(),
                Some(json!({"default_folder": SENTINEL, "token": SENTINEL})),
            ),
            ("DELETE", "/resource/alice:m".into(), None),
        ];
        for (method, path, body) in &steps {
            let got = s.call(method, path, Some(&alice), body.as_ref()).await;
            assert_eq!(got.0, 200, "{method} {path}: {got:?}");
        }
        // Refused changes are not recorded.
        assert_eq!(
            s.call("DELETE", "/resource/alice:m", Some(&alice), None)
                .await
                .0,
            404
        );
        let out = db.cli(&["user", "token", "bob"]);
        let bob_token = rh_test::stdout(&out).trim().to_owned();
        assert!(db.cli(&["user", "revoke", "bob"]).status.success());

        let rows = db
            .strings(
                "SELECT actor || ' ' || action || ' ' || target || ' ' || COALESCE(detail, '-') \
                 || ' ' || COALESCE(client_ip, '-') FROM audit_log ORDER BY created_at, id",
            )
            .await;
        assert_eq!(
            rows,
            [
                "@cli user.create alice - -",
                "@cli user.create bob - -",
                "alice resource.create /alice/m - 127.0.0.1",
                "alice resource.update /alice/m - 127.0.0.1",
                "alice resource.share /alice/m bob:read 127.0.0.1",
                "alice resource.visibility /alice/m public 127.0.0.1",
                "alice resource.share /alice/m bob:read 127.0.0.1",
                "alice resource.revoke /alice/m bob 127.0.0.1",
                "alice user.config alice - 127.0.0.1",
                "alice resource.delete /alice/m - 127.0.0.1",
                "@cli user.token bob - -",
                "@cli user.revoke bob - -",
            ]
        );
        let everything = db
            .strings(
                "SELECT id || created_at || actor || action || target || COALESCE(detail, '') \
                 || COALESCE(client_ip, '') FROM audit_log",
            )
            .await
            .concat();
        for needle in [SENTINEL, alice.as_str(), bob_token.as_str()] {
            assert!(!everything.contains(needle), "audit_log holds {needle}");
        }
        // `rh-server audit`: newest first, filtered by user, limited.
        let out = db.cli(&["audit", "--user", "alice", "--limit", "2"]);
        assert!(out.status.success(), "{}", rh_test::stderr(&out));
        let text = rh_test::stdout(&out);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].contains("alice  resource.delete  /alice/m  from 127.0.0.1"),
            "{text}"
        );
        assert!(lines[1].contains("alice  user.config  alice"), "{text}");
        s.stop();
        db.cleanup().await;
    }
}

#[test]
fn the_binary_documents_the_security_flags() {
    let out = Command::new(BIN)
        .args(["serve", "--help"])
        .output()
        .expect("run");
    let help = rh_test::stdout(&out);
    for flag in [
        "--tls-cert",
        "--tls-key",
        "--auth-fail-limit",
        "--auth-fail-window",
    ] {
        assert!(help.contains(flag), "{flag} missing from serve --help");
    }
}

#[tokio::test]
async fn secret_changes_are_audited_by_provider_only() {
    const SENTINEL: &str = "sentinel-secret-7c2e-never-in-audit";
    let (Some(addr), Some(vtoken)) = (
        rh_test::service_env("VAULT_ADDR").filter(|_| rh_test::integration()),
        rh_test::service_env("VAULT_TOKEN"),
    ) else {
        return;
    };
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let name = format!("audit{}", &rh_server::token::random_id().expect("id")[..10]);
        let token = db.user(&name, None);
        let file = db.tmp.path().join("vault-token");
        std::fs::write(&file, &vtoken).expect("write the token file");
        let f = file.display().to_string();
        let s = db.serve_with(&[
            "--vault-addr",
            &addr,
            "--vault-token-file",
            &f,
            "--allow-root-vault-token",
        ]);
        let body = json!({"api_key": SENTINEL});
        assert_eq!(s.put("/user/secret/wandb", &token, &body).await.0, 200);
        let all = json!({"huggingface": {"token": SENTINEL}});
        assert_eq!(s.put("/user/secret", &token, &all).await.0, 200);
        assert_eq!(s.delete("/user/secret/wandb", &token).await.0, 200);
        let rows = db
            .strings(&format!(
                "SELECT action || ' ' || target FROM audit_log WHERE actor = '{name}' \
                 ORDER BY created_at, id"
            ))
            .await;
        assert_eq!(
            rows,
            [
                "secret.put wandb",
                "secret.put huggingface",
                "secret.delete wandb"
            ]
        );
        let everything = db
            .strings("SELECT actor || action || target || COALESCE(detail, '') FROM audit_log")
            .await
            .concat();
        assert!(!everything.contains(SENTINEL));
        s.stop();
        db.cleanup().await;
    }
}

/// Runs the CLI under `umask 022` (the usual default), so a file mode not set by rh-server shows.
fn cli_umask_022(db: &TestDb, args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new("/bin/sh");
    cmd.args(["-c", "umask 022 && exec \"$0\" \"$@\"", BIN])
        .args(args)
        .args(db.args());
    crate::harness::isolate(&mut cmd, &db.home());
    cmd.output().expect("run rh-server")
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[tokio::test]
async fn database_files_are_private_and_a_shared_data_dir_is_warned_about() {
    let db = TestDb::new(crate::harness::Kind::Sqlite).await;
    let out = cli_umask_022(&db, &["user", "create", "alice"]);
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    let alice = rh_test::stdout(&out).trim().to_owned();
    assert!(
        !rh_test::stderr(&out).contains("data dir"),
        "a fresh data dir is private: {}",
        rh_test::stderr(&out)
    );
    let dir = db.data_dir();
    assert_eq!(mode(&dir), 0o700);
    let s = db.serve();
    assert_eq!(
        s.post("/resource", &alice, &payload("/alice/r", &json!({"n": 1})))
            .await
            .0,
        200
    );
    // While the server runs, the database and its WAL and shared-memory files exist: all 0600.
    for name in ["rh-server.db", "rh-server.db-wal", "rh-server.db-shm"] {
        assert_eq!(mode(&dir.join(name)), 0o600, "{name}");
    }
    // Plain HTTP answers carry no HSTS (that is for TLS only).
    let res = reqwest::get(format!("{}/health", s.url))
        .await
        .expect("get");
    assert!(res.headers().get("strict-transport-security").is_none());
    s.stop();

    // A data dir others may read, with a database file an older version made 0644.
    let other = TestDb::new(crate::harness::Kind::Sqlite).await;
    let dir = other.data_dir();
    std::fs::create_dir_all(&dir).expect("dir");
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::write(dir.join("rh-server.db"), b"").expect("an empty database");
        let db_file = dir.join("rh-server.db");
        std::fs::set_permissions(&db_file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    let out = cli_umask_022(&other, &["migrate"]);
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    let err = rh_test::stderr(&out);
    assert!(
        err.contains(&format!("the data dir {} has mode 755", dir.display())),
        "{err}"
    );
    assert!(err.contains("chmod 700"), "{err}");
    assert_eq!(mode(&dir.join("rh-server.db")), 0o600);

    // A `--database-url sqlite:FILE?…` with its own query string gets the same private file.
    let dir = tempfile::tempdir().expect("tmp");
    for (name, query) in [
        ("rwc.db", "?mode=rwc"),
        ("cache.db", "?mode=rwc&cache=shared"),
    ] {
        let file = dir.path().join(name);
        let url = format!("sqlite:{}{query}", file.display());
        let mut cmd = Command::new("/bin/sh");
        cmd.args(["-c", "umask 022 && exec \"$0\" \"$@\"", BIN])
            .args(["migrate", "--database-url", &url]);
        crate::harness::isolate(&mut cmd, dir.path());
        let out = cmd.output().expect("run rh-server");
        assert!(out.status.success(), "{url}: {}", rh_test::stderr(&out));
        assert_eq!(mode(&file), 0o600, "{url}");
    }
}
