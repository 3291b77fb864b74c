//! Concurrent writes (issue 17, "Fast, durable writes"): on PostgreSQL, writers of different resources do not
//! wait for each other (row locks only, no process-wide lock); on both engines, concurrent updates of one
//! resource all land, one version each, none lost.

use serde_json::{Value, json};
use sqlx::Row as _;

use crate::harness::{Kind, TestDb, backends, payload};

/// `PUT /resource/{uri}` from a task of its own; the status.
async fn put(url: String, token: String, uri: &'static str, body: Value) -> u16 {
    reqwest::Client::new()
        .put(format!("{url}/resource/{uri}"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("PUT")
        .status()
        .as_u16()
}

async fn version(db: &TestDb, uri: &str) -> i64 {
    db.count(&format!(
        "SELECT version FROM resources WHERE uri = '{uri}'"
    ))
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_postgresql_an_update_of_another_resource_does_not_wait_for_a_locked_one() {
    if !backends().contains(&Kind::Postgres) {
        return;
    }
    let db = TestDb::new(Kind::Postgres).await;
    let alice = db.user("alice", None);
    let s = db.serve();
    for a in ["/alice/a", "/alice/b"] {
        assert_eq!(
            s.post("/resource", &alice, &payload(a, &json!({"n": 0})))
                .await
                .0,
            200
        );
    }

    // Another session holds resource a's row lock.
    let locker = db.pool().await;
    let mut tx = locker.begin().await.expect("begin");
    sqlx::query("SELECT version FROM resources WHERE uri = 'alice:a' FOR UPDATE")
        .fetch_one(&mut *tx)
        .await
        .expect("lock a");
    let a = tokio::spawn(put(
        s.url.clone(),
        alice.clone(),
        "alice:a",
        payload("/alice/a", &json!({"n": 1})),
    ));
    // Until PostgreSQL shows the update of a waiting for that lock.
    let watcher = db.pool().await;
    let mut waiting = false;
    for _ in 0..600 {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock'",
        )
        .fetch_one(&watcher)
        .await
        .expect("pg_stat_activity")
        .try_get(0)
        .expect("count");
        if n > 0 {
            waiting = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    watcher.close().await;
    assert!(
        waiting,
        "the update of alice:a never waited for the row lock"
    );

    // b is written while a waits.
    let b = put(
        s.url.clone(),
        alice.clone(),
        "alice:b",
        payload("/alice/b", &json!({"n": 1})),
    )
    .await;
    assert_eq!(b, 200, "the update of alice:b");
    assert!(
        !a.is_finished(),
        "alice:a's update did not wait for the lock"
    );
    assert_eq!(version(&db, "alice:b").await, 2);

    tx.rollback().await.expect("release a");
    locker.close().await;
    assert_eq!(
        a.await.expect("task"),
        200,
        "the update of alice:a, once unlocked"
    );
    assert_eq!(version(&db, "alice:a").await, 2);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM resource_history WHERE action = 'update'")
            .await,
        2
    );
    s.stop();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_updates_of_one_resource_all_land_with_consecutive_versions() {
    const N: i64 = 64;
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        let x = payload("/alice/x", &json!({"n": -1}));
        assert_eq!(s.post("/resource", &alice, &x).await.0, 200);
        let audited = db
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'resource.update'")
            .await;

        let tasks: Vec<_> = (0..N)
            .map(|n| {
                tokio::spawn(put(
                    s.url.clone(),
                    alice.clone(),
                    "alice:x",
                    payload("/alice/x", &json!({ "n": n })),
                ))
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.expect("task"), 200, "{kind:?}");
        }

        assert_eq!(version(&db, "alice:x").await, N + 1, "{kind:?}");
        let pool = db.pool().await;
        let rows = sqlx::query(
            "SELECT version, action, config FROM resource_history WHERE uri = 'alice:x' ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .expect("history");
        pool.close().await;
        let versions: Vec<i64> = rows
            .iter()
            .map(|r| r.try_get(0).expect("version"))
            .collect();
        assert_eq!(versions, (1..=N + 1).collect::<Vec<_>>(), "{kind:?}");
        let mut written: Vec<i64> = rows
            .iter()
            .skip(1)
            .map(|r| {
                assert_eq!(r.try_get::<String, _>(1).expect("action"), "update");
                let config: Value =
                    serde_json::from_str(&r.try_get::<String, _>(2).expect("config"))
                        .expect("json");
                config["data"]["n"].as_i64().expect("n")
            })
            .collect();
        written.sort_unstable();
        assert_eq!(
            written,
            (0..N).collect::<Vec<_>>(),
            "{kind:?}: every update, once"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'resource.update'")
                .await,
            audited + N,
            "{kind:?}: one audit row each"
        );
        s.stop();
        db.cleanup().await;
    }
}

/// 64 concurrent PUTs of one and the same new payload (half of them with its keys in the other order): the
/// first lands, every other one finds it already stored and is "unchanged" (422), decided on the row as it is
/// under the lock, not as it was read. One new version, one history row, one audit row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_puts_of_the_same_payload_land_once() {
    const N: usize = 64;
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        let x = payload("/alice/same", &json!({"a": 0}));
        assert_eq!(s.post("/resource", &alice, &x).await.0, 200);
        let audited = db
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'resource.update'")
            .await;
        let tasks: Vec<_> = (0..N)
            .map(|i| {
                let data = if i % 2 == 0 {
                    json!({"a": 1, "b": 2})
                } else {
                    json!({"b": 2, "a": 1})
                };
                tokio::spawn(put(
                    s.url.clone(),
                    alice.clone(),
                    "alice:same",
                    payload("/alice/same", &data),
                ))
            })
            .collect();
        let mut statuses = Vec::new();
        for t in tasks {
            statuses.push(t.await.expect("task"));
        }
        statuses.sort_unstable();
        let mut want = vec![422; N - 1];
        want.insert(0, 200);
        assert_eq!(
            statuses, want,
            "{kind:?}: one lands, the rest are unchanged"
        );
        assert_eq!(version(&db, "alice:same").await, 2, "{kind:?}");
        assert_eq!(
            db.count("SELECT COUNT(*) FROM resource_history WHERE uri = 'alice:same'")
                .await,
            2,
            "{kind:?}"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'resource.update'")
                .await,
            audited + 1,
            "{kind:?}"
        );
        s.stop();
        db.cleanup().await;
    }
}
