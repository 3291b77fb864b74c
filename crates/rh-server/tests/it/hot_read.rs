//! The `GET /resource/{uri}` lookup on connections outside the pool: same answers, and a lost connection
//! sends the read to the pool instead of failing it.

use serde_json::json;

use crate::harness::{Kind, TestDb, backends, payload};

/// PostgreSQL: the hot-read connections are killed server-side; the next GET still answers from the pool, and
/// the one after opens a new hot-read connection.
#[tokio::test]
async fn killed_hot_read_connections_fall_back_to_the_pool() {
    if !backends().contains(&Kind::Postgres) {
        return;
    }
    let db = TestDb::new(Kind::Postgres).await;
    let alice = db.user("alice", None);
    let server = db.serve();
    let path = "/resource/alice:hot";
    let created = server
        .post(
            "/resource",
            &alice,
            &payload("/alice/hot", &json!({"n": 1})),
        )
        .await;
    assert_eq!(created.0, 200, "{created:?}");
    assert_eq!(server.get(path, &alice).await.1["data"]["data"]["n"], 1);
    let hot = "SELECT COUNT(*) FROM pg_stat_activity \
               WHERE datname = current_database() AND application_name = 'rh-server hot read'";
    assert_eq!(
        db.count(hot).await,
        1,
        "one GET at a time uses one hot connection"
    );

    let killed = db
        .count(
            "SELECT COUNT(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND application_name = 'rh-server hot read') k",
        )
        .await;
    assert_eq!(killed, 1);
    let after = server.get(path, &alice).await;
    assert_eq!(after.0, 200, "answered by the pool: {after:?}");
    assert_eq!(after.1["data"]["data"]["n"], 1);
    let again = server.get(path, &alice).await;
    assert_eq!(again.0, 200, "{again:?}");
    assert_eq!(
        db.count(hot).await,
        1,
        "a new hot connection replaced the killed one"
    );
    // Unknown tokens and missing resources answer as before.
    assert_eq!(server.get(path, "not-a-token").await.0, 401);
    assert_eq!(server.get("/resource/alice:none", &alice).await.0, 404);
    server.stop();
    db.cleanup().await;
}

/// PostgreSQL: a write's token lookup (the `Caller` extractor) runs on a hot-read connection too, not the pool:
/// a server that only ever answered POST and PUT has opened one.
#[tokio::test]
async fn writes_look_up_their_token_on_the_hot_read_connections() {
    if !backends().contains(&Kind::Postgres) {
        return;
    }
    let db = TestDb::new(Kind::Postgres).await;
    let alice = db.user("alice", None);
    let server = db.serve();
    let hot = "SELECT COUNT(*) FROM pg_stat_activity \
               WHERE datname = current_database() AND application_name = 'rh-server hot read'";
    assert_eq!(db.count(hot).await, 0, "nothing served yet");
    let x = |n| payload("/alice/w", &json!({ "n": n }));
    let created = server.post("/resource", &alice, &x(0)).await;
    assert_eq!(created.0, 200, "{created:?}");
    for n in 1..4 {
        let put = server.put("/resource/alice:w", &alice, &x(n)).await;
        assert_eq!(put.0, 200, "{put:?}");
    }
    assert_eq!(
        db.count(hot).await,
        1,
        "the writes' token lookups used one hot connection"
    );
    // A bad token is still refused, on a write too.
    assert_eq!(
        server
            .put("/resource/alice:w", "not-a-token", &x(9))
            .await
            .0,
        401
    );
    server.stop();
    db.cleanup().await;
}
