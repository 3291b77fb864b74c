//! Processes and data: restarts, two servers on one PostgreSQL, the CLI, and the no-flags defaults.

use std::process::{Command, Stdio};

use serde_json::json;

use crate::harness::{BIN, Kind, Server, TestDb, backends, payload};

#[tokio::test]
async fn a_restart_keeps_users_resources_grants_and_history() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let s = db.serve();
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/r", &json!({"n": 1})))
                .await
                .0,
            200
        );
        assert_eq!(
            s.put(
                "/resource/alice:r",
                &alice,
                &payload("/alice/r", &json!({"n": 2}))
            )
            .await
            .0,
            200
        );
        let share = json!({"users": ["bob"], "access_level": "read", "notify_users": false});
        assert_eq!(
            s.put("/resource/alice:r/users/access", &alice, &share)
                .await
                .0,
            200
        );
        assert_eq!(
            s.put("/user/config", &alice, &json!({"default_provider": "gcp"}))
                .await
                .0,
            200
        );
        let (_, history_before) = s.get("/resource/history/alice:r", &alice).await;
        s.stop(); // SIGKILL: no clean shutdown

        let s = db.serve();
        let (st, body) = s.get("/resource/alice:r", &bob).await;
        assert_eq!((st, &body["data"]["data"]["n"]), (200, &json!(2)));
        assert_eq!(
            s.get("/resource/history/alice:r", &alice).await.1,
            history_before
        );
        assert_eq!(
            s.get("/user", &alice).await.1["data"]["config"]["default_provider"],
            "gcp"
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn two_server_processes_on_one_postgres_see_each_others_writes() {
    if !backends().contains(&Kind::Postgres) {
        return;
    }
    let db = TestDb::new(Kind::Postgres).await;
    let alice = db.user("alice", None);
    let a = db.serve();
    let b = db.serve();
    assert_ne!(a.url, b.url);
    assert_eq!(
        a.post(
            "/resource",
            &alice,
            &payload("/alice/shared", &json!({"n": 0}))
        )
        .await
        .0,
        200
    );
    assert_eq!(
        b.get("/resource/alice:shared", &alice).await.1["data"]["data"]["n"],
        0
    );
    assert_eq!(
        b.post("/resource", &alice, &payload("/alice/shared", &json!({})))
            .await
            .0,
        409
    );
    concurrent_updates(&[&a, &b], &alice).await;
    // A user created through the CLI while both run is known to both.
    let bob = db.user("bob", None);
    assert_eq!(a.get("/user", &bob).await.0, 200);
    assert_eq!(b.get("/user", &bob).await.0, 200);
    a.stop();
    b.stop();
    db.cleanup().await;
}

#[tokio::test]
async fn concurrent_updates_on_one_sqlite_server_land_once_each() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let s = db.serve();
    assert_eq!(
        s.post(
            "/resource",
            &alice,
            &payload("/alice/shared", &json!({"n": 0}))
        )
        .await
        .0,
        200
    );
    concurrent_updates(&[&s], &alice).await;
    s.stop();
}

#[tokio::test]
async fn a_sqlite_url_works_and_unknown_schemes_are_refused() {
    let db = TestDb::new(Kind::Sqlite).await;
    // A sqlite:// URL works as well as --data-dir, and an unknown scheme is one clear line.
    let file = db.tmp.path().join("other.db");
    let mut cmd = Command::new(BIN);
    cmd.args(["user", "create", "carol", "--database-url"])
        .arg(format!("sqlite://{}", file.display()))
        .env_clear()
        .env("HOME", db.home())
        .env("RUST_LOG", "warn");
    assert!(cmd.output().expect("run").status.success());
    assert!(file.is_file());
    let mut cmd = Command::new(BIN);
    cmd.args(["migrate", "--database-url", "mysql://u:hunter2@h/db"])
        .env_clear()
        .env("HOME", db.home());
    let out = cmd.output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        err.contains("unsupported database url") && !err.contains("hunter2"),
        "{err}"
    );
}

/// 20 concurrent PUTs spread over `servers`: they queue on the row lock, so each answers 200, and the history
/// has exactly one gapless version per PUT.
async fn concurrent_updates(servers: &[&Server], token: &str) {
    let bodies: Vec<_> = (1..=20)
        .map(|i| payload("/alice/shared", &json!({ "n": i })))
        .collect();
    let tasks: Vec<_> = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| servers[i % servers.len()].put("/resource/alice:shared", token, body))
        .collect();
    let results = futures_join(tasks).await;
    let ok = results.iter().filter(|r| r.0 == 200).count();
    assert!(results.iter().all(|r| r.0 == 200), "{results:?}");
    assert_eq!(ok, 20);
    let last = servers[servers.len() - 1];
    let (_, hist) = last.get("/resource/history/alice:shared", token).await;
    let versions: Vec<i64> = hist["data"]
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["version"].as_i64().expect("v"))
        .collect();
    assert_eq!(versions.len(), ok + 1);
    assert!(
        versions.windows(2).all(|w| w[0] == w[1] + 1),
        "{versions:?}"
    );
    let (_, first) = servers[0]
        .get("/resource/history/alice:shared?limit=1", token)
        .await;
    assert_eq!(first["data"][0]["version"].as_i64(), Some(versions[0]));
}

async fn futures_join<F: std::future::Future<Output = T>, T>(futs: Vec<F>) -> Vec<T> {
    // A tiny join_all: poll all the futures on this task, in order of completion.
    let boxed: Vec<std::pin::Pin<Box<F>>> = futs.into_iter().map(Box::pin).collect();
    let mut pending: Vec<Option<std::pin::Pin<Box<F>>>> = boxed.into_iter().map(Some).collect();
    let mut results: Vec<Option<T>> = (0..pending.len()).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut done = true;
        for (i, slot) in pending.iter_mut().enumerate() {
            if let Some(f) = slot {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => {
                        results[i] = Some(v);
                        *slot = None;
                    }
                    std::task::Poll::Pending => done = false,
                }
            }
        }
        if done {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
    results
        .into_iter()
        .map(|r| r.expect("every future finished"))
        .collect()
}

#[tokio::test]
async fn cli_creates_users_rotates_tokens_and_migrates() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let out = db.cli(&["migrate"]);
        assert!(out.status.success(), "{}", rh_test::stderr(&out));
        let again = db.cli(&["migrate"]);
        assert!(
            again.status.success(),
            "migrate is idempotent: {}",
            rh_test::stderr(&again)
        );

        let token = db.user("alice", Some("alice@example.com"));
        assert!(token.starts_with("rh_") && token.len() == 67, "{token}");
        assert!(token[3..].chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(
            db.strings("SELECT token_hash FROM users").await,
            [rh_server::token::hash(&token)]
        );

        for (args, needle) in [
            (&["user", "create", "alice"][..], "already exists"),
            (
                &["user", "create", "other", "--email", "ALICE@example.com"],
                "already used",
            ),
            (&["user", "create", "bad/name"], "invalid username"),
            (&["user", "create", "x", "--email", "nope"], "invalid email"),
            (&["user", "token", "nobody"], "no user named nobody"),
        ] {
            let out = db.cli(args);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            let err = rh_test::stderr(&out);
            assert!(
                err.contains(needle) && err.lines().count() == 1,
                "{args:?}: {err}"
            );
            assert!(rh_test::stdout(&out).is_empty());
        }
        assert_eq!(db.count("SELECT COUNT(*) FROM users").await, 1);

        let s = db.serve();
        assert_eq!(s.get("/user", &token).await.0, 200);
        let out = db.cli(&["user", "token", "alice"]);
        assert!(out.status.success());
        let new = rh_test::stdout(&out).trim().to_owned();
        assert_ne!(new, token);
        assert_eq!(s.get("/user", &token).await.0, 401);
        assert_eq!(s.get("/user", &new).await.1["data"]["username"], "alice");
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn serve_without_flags_uses_the_home_data_dir_and_port_8000_or_next() {
    let db = TestDb::new(Kind::Sqlite).await;
    let s = Server::start(&["serve".to_owned()], &db.home());
    let port: u16 = s
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!((8000..8100).contains(&port), "{}", s.url);
    let dir = db.home().join(".rh/server");
    assert!(dir.join("rh-server.db").is_file());
    assert_eq!(rh_test::mode(&dir), 0o700);
    // The health route answers without a token.
    let (st, body) = s.call("GET", "/health", None, None).await;
    assert_eq!((st, &body["data"]["status"]), (200, &json!("ok")));

    // `user create` with no flags reaches the same database.
    let mut cmd = Command::new(BIN);
    cmd.args(["user", "create", "alice"])
        .env_clear()
        .env("HOME", db.home())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped());
    let out = cmd.output().expect("run");
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(s.get("/user", &token).await.0, 200);
    s.stop();
}

#[tokio::test]
async fn sigterm_stops_cleanly_and_logs_never_hold_tokens() {
    use std::io::{BufRead as _, BufReader};

    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let log = db.tmp.path().join("server.log");
        let mut child = Command::new(BIN)
            .args(["-v", "serve", "--bind", "127.0.0.1:0"])
            .args(db.args())
            .env_clear()
            .env("HOME", db.home())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn");
        let mut url = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut url)
            .expect("url");
        let url = url.trim().to_owned();
        let http = reqwest::Client::new();
        let p = payload("/alice/x", &json!({"k": "v"}));
        for (method, path, token) in [
            (reqwest::Method::POST, "/resource", alice.as_str()),
            (reqwest::Method::GET, "/resource/alice:x", alice.as_str()),
            (reqwest::Method::GET, "/resource/alice:x", "rh_wrong"),
        ] {
            let res = http
                .request(method, format!("{url}{path}"))
                .bearer_auth(token)
                .body(p.to_string())
                .send()
                .await
                .expect("request");
            assert!(res.status().as_u16() < 500);
        }
        let pid = child.id().to_string();
        let killed = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = child.wait().expect("wait");
        assert!(status.success(), "rh-server exited with {status}");
        let text = std::fs::read_to_string(&log).expect("read log");
        assert!(text.contains("GET /resource/alice:x 200"), "{text}");
        assert!(text.contains("shutting down"), "{text}");
        assert!(
            !text.contains(&alice[3..]) && !text.contains("rh_wrong"),
            "{text}"
        );
        db.cleanup().await;
    }
}
