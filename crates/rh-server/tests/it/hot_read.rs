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
