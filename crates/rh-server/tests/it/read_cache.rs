//! `serve --read-cache-ms`: a process reads its own writes at once, other processes' changes and revoked tokens
//! within the TTL.

use std::time::Duration;

use serde_json::json;

use crate::harness::{TestDb, backends, payload};

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
