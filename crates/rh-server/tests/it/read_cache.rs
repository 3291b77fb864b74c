//! `serve --read-cache-ms`: a process reads its own writes at once, other processes' changes and revoked tokens
//! within the TTL.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Kind, TestDb, backends, payload};

#[tokio::test]
async fn cached_reads_stay_correct() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let a = db.serve_with(&["--read-cache-ms", "1000"]);
        let b = db.serve();
        let path = "/resource/alice:cached";
        assert_eq!(
            a.post(
                "/resource",
                &alice,
                &payload("/alice/cached", &json!({"n": 1}))
            )
            .await
            .0,
            200
        );
        assert_eq!(a.get(path, &alice).await.1["data"]["data"]["n"], 1);
        // Own writes: seen at once.
        assert_eq!(
            a.put(path, &alice, &payload("/alice/cached", &json!({"n": 2})))
                .await
                .0,
            200
        );
        assert_eq!(a.get(path, &alice).await.1["data"]["data"]["n"], 2);
        let share = json!({"users": ["bob"], "access_level": "read", "notify_users": false});
        assert_eq!(
            a.put(&format!("{path}/users/access"), &alice, &share)
                .await
                .0,
            200
        );
        assert_eq!(a.get(path, &bob).await.0, 200);
        let deny = json!({"users": ["bob"], "access_level": "denied"});
        assert_eq!(
            a.put(&format!("{path}/users/access"), &alice, &deny)
                .await
                .0,
            200
        );
        assert_eq!(a.get(path, &bob).await.0, 404);
        // Another process's write and a rotated token: seen within the TTL.
        assert_eq!(
            b.put(path, &alice, &payload("/alice/cached", &json!({"n": 3})))
                .await
                .0,
            200
        );
        let out = db.cli(&["user", "token", "alice"]);
        assert!(out.status.success(), "{}", rh_test::stderr(&out));
        let alice2 = rh_test::stdout(&out).trim().to_owned();
        tokio::time::sleep(Duration::from_millis(1100)).await;
        assert_eq!(a.get(path, &alice).await.0, 401);
        assert_eq!(a.get(path, &alice2).await.1["data"]["data"]["n"], 3);
        // A missing resource is never cached: created elsewhere, it is there at once.
        assert_eq!(a.get("/resource/alice:later", &alice2).await.0, 404);
        assert_eq!(
            b.post("/resource", &alice2, &payload("/alice/later", &json!({})))
                .await
                .0,
            200
        );
        assert_eq!(a.get("/resource/alice:later", &alice2).await.0, 200);
        a.stop();
        b.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn read_cache_over_one_second_is_refused() {
    let db = TestDb::new(crate::harness::Kind::Sqlite).await;
    let out = db.cli(&["serve", "--read-cache-ms", "1001", "--bind", "127.0.0.1:0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(rh_test::stderr(&out).contains("1001"));
}

/// PostgreSQL: triggers notify every committed change, so a caching process sees another process's write, a
/// rotated token and a plain SQL edit long before its 1 s TTL (`read_cache::listen_for_changes`).
#[tokio::test]
async fn postgres_cache_is_invalidated_by_change_notifications() {
    if !backends().contains(&Kind::Postgres) {
        return;
    }
    let db = TestDb::new(Kind::Postgres).await;
    let alice = db.user("alice", None);
    let a = db.serve_with(&["--read-cache-ms", "1000"]);
    let b = db.serve();
    assert_eq!(
        db.count("SELECT COUNT(*) FROM pg_trigger WHERE tgname = 'rh_changes'")
            .await,
        3,
        "users, resources and grants notify"
    );
    let listening = "SELECT COUNT(*) FROM pg_stat_activity \
                     WHERE datname = current_database() AND query = 'LISTEN \"rh_changes\"'";
    let deadline = Instant::now() + Duration::from_secs(10);
    while db.count(listening).await == 0 {
        assert!(
            Instant::now() < deadline,
            "the caching process never listened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let path = "/resource/alice:notified";
    let body = |n: i64| payload("/alice/notified", &json!({"n": n}));
    assert_eq!(b.post("/resource", &alice, &body(1)).await.0, 200);

    // Each step: `a` caches the current value, the change happens elsewhere, `a` must see it well within the TTL.
    let seen_soon = |want: u16, token: &str, n: Option<i64>| {
        let (a, token) = (&a, token.to_owned());
        async move {
            let filled = Instant::now();
            loop {
                let got = a.get(path, &token).await;
                if got.0 == want && n.is_none_or(|n| got.1["data"]["data"]["n"] == n) {
                    return filled.elapsed();
                }
                assert!(
                    filled.elapsed() < Duration::from_millis(800),
                    "still {got:?} after 800 ms: the cache waited for its TTL"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    };
    assert_eq!(a.get(path, &alice).await.1["data"]["data"]["n"], 1);
    assert_eq!(b.put(path, &alice, &body(2)).await.0, 200);
    seen_soon(200, &alice, Some(2)).await;

    assert_eq!(a.get(path, &alice).await.0, 200);
    let edited = db
        .count(
            "WITH u AS (UPDATE resources SET config = replace(config, '\"n\":2', '\"n\":3') \
             RETURNING 1) SELECT COUNT(*) FROM u",
        )
        .await;
    assert_eq!(edited, 1, "a plain SQL edit");
    seen_soon(200, &alice, Some(3)).await;

    assert_eq!(a.get(path, &alice).await.0, 200);
    let out = db.cli(&["user", "token", "alice"]);
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    seen_soon(401, &alice, None).await;
    a.stop();
    b.stop();
    db.cleanup().await;
}
