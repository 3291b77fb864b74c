//! The update-or-create protocol, history, and the user endpoints.

use serde_json::json;

use crate::harness::{TestDb, assert_error, backends, payload};

#[tokio::test]
async fn put_post_get_delete_follow_the_200_404_422_protocol() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("alice@example.com"));
        let s = db.serve();
        let p1 = payload(
            "/alice/my_blob",
            &json!({"path": "/bucket/x", "system": "s3"}),
        );

        // Absent: PUT says 404, so the client creates with POST.
        assert_error(
            &s.put("/resource/alice:my_blob", &alice, &p1).await,
            404,
            "/alice/my_blob",
        );
        let (st, body) = s.post("/resource", &alice, &p1).await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["data"]["name"], "/alice/my_blob");
        // No visibility given: private, and no default key is added to the stored config.
        assert!(body["data"].get("visibility").is_none(), "{body}");
        assert_eq!(
            db.strings("SELECT visibility FROM resources").await,
            ["private"]
        );
        assert_error(
            &s.post("/resource/", &alice, &p1).await,
            409,
            "already exists",
        );

        // Same config again: 422 "unchanged"; a real change: 200.
        assert_error(
            &s.put("/resource/alice:my_blob", &alice, &p1).await,
            422,
            "not changed",
        );
        let p2 = payload(
            "/alice/my_blob",
            &json!({"path": "/bucket/y", "system": "s3"}),
        );
        assert_eq!(s.put("/resource/alice:my_blob", &alice, &p2).await.0, 200);

        let (st, body) = s.get("/resource/alice:my_blob", &alice).await;
        assert_eq!(st, 200);
        assert_eq!(
            body,
            json!({"data": {"name": "/alice/my_blob", "resource_type": "blob",
                            "data": {"path": "/bucket/y", "system": "s3"}}})
        );

        // Nested folders map '/' to ':'.
        let nested = payload("/alice/proj/model", &json!({}));
        assert_eq!(s.post("/resource", &alice, &nested).await.0, 200);
        assert_eq!(
            s.get("/resource/alice:proj:model", &alice).await.1["data"]["name"],
            "/alice/proj/model"
        );

        let (st, body) = s
            .delete("/resource/alice:my_blob?delete_creds=false", &alice)
            .await;
        assert_eq!(
            (st, &body["data"]["deleted"]),
            (200, &json!("/alice/my_blob"))
        );
        assert_error(
            &s.get("/resource/alice:my_blob", &alice).await,
            404,
            "not found",
        );
        assert_error(
            &s.delete("/resource/alice:my_blob", &alice).await,
            404,
            "not found",
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM resources").await, 1);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn history_lists_every_change_newest_first() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let s = db.serve();
        let v = |n: i64| payload("/alice/h", &json!({ "n": n }));
        assert_eq!(s.post("/resource", &alice, &v(1)).await.0, 200);
        let share = json!({"users": ["bob"], "access_level": "write", "notify_users": false});
        assert_eq!(
            s.put("/resource/alice:h/users/access", &alice, &share)
                .await
                .0,
            200
        );
        assert_eq!(s.put("/resource/alice:h", &bob, &v(2)).await.0, 200);
        assert_eq!(s.put("/resource/alice:h", &alice, &v(3)).await.0, 200);

        let (st, body) = s.get("/resource/history/alice:h", &alice).await;
        assert_eq!(st, 200, "{body}");
        let entries = body["data"].as_array().expect("a list");
        let summary: Vec<(i64, &str, &str, i64)> = entries
            .iter()
            .map(|e| {
                (
                    e["version"].as_i64().expect("version"),
                    e["action"].as_str().expect("action"),
                    e["author"].as_str().expect("author"),
                    e["data"]["data"]["n"].as_i64().expect("config"),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (3, "update", "alice", 3),
                (2, "update", "bob", 2),
                (1, "create", "alice", 1)
            ]
        );
        for e in entries {
            assert_eq!(e["data"]["name"], "/alice/h");
            assert_eq!(e["owner"], e["author"]);
            let ts = e["timestamp"].as_str().expect("timestamp");
            assert!(ts.len() == 27 && ts.ends_with('Z'), "{ts}");
        }
        assert!(entries[0]["timestamp"].as_str() >= entries[2]["timestamp"].as_str());

        let (_, two) = s
            .get("/resource/history/alice:h?num_entries=2", &alice)
            .await;
        assert_eq!(two["data"].as_array().map(Vec::len), Some(2));
        let (_, one) = s.get("/resource/history/alice:h?limit=1", &bob).await;
        assert_eq!(one["data"][0]["version"], 3);
        assert_error(
            &s.get("/resource/history/alice:h?limit=0", &alice).await,
            400,
            "limit",
        );
        assert_error(
            &s.get("/resource/history/alice:h?limit=x", &alice).await,
            400,
            "limit",
        );

        // A delete is a change too; the owner still sees the history, the grantee (grant gone) does not.
        assert_eq!(s.delete("/resource/alice:h", &alice).await.0, 200);
        let (_, after) = s.get("/resource/history/alice:h", &alice).await;
        assert_eq!(after["data"][0]["action"], "delete");
        assert_eq!(after["data"][0]["version"], 4);
        assert_eq!(s.get("/resource/history/alice:h", &bob).await.0, 404);
        // Re-creating continues the version numbers.
        assert_eq!(s.post("/resource", &alice, &v(5)).await.0, 200);
        let (_, again) = s.get("/resource/history/alice:h?limit=1", &alice).await;
        assert_eq!(
            (
                again["data"][0]["version"].as_i64(),
                again["data"][0]["action"].as_str()
            ),
            (Some(5), Some("create"))
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 5);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn user_endpoints_store_defaults_but_never_tokens_or_secrets() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("Alice@Example.com"));
        let s = db.serve();
        for path in ["/user", "/user/"] {
            let (st, body) = s.get(path, &alice).await;
            assert_eq!(st, 200);
            assert_eq!(
                body,
                json!({"data": {"username": "alice", "email": "alice@example.com", "config": {}}})
            );
        }
        let upload = json!({
            "default_provider": "aws", "default_autostop": 30, "use_spot": false,
            "token": alice, "username": "mallory", "secrets": {"aws": "~/.aws/credentials"},
        });
        for path in ["/user//config", "/user/config"] {
            let (st, body) = s.put(path, &alice, &upload).await;
            assert_eq!(st, 200, "{body}");
            assert_eq!(
                body["data"],
                json!({"default_provider": "aws", "default_autostop": 30, "use_spot": false})
            );
        }
        let (_, body) = s.get("/user", &alice).await;
        assert_eq!(body["data"]["username"], "alice");
        assert_eq!(body["data"]["config"]["default_autostop"], 30);
        assert!(body["data"]["config"].get("token").is_none());
        let stored = db.strings("SELECT config FROM users").await.join("");
        assert!(
            !stored.contains(&alice) && !stored.contains("secrets") && !stored.contains("mallory")
        );
        // Nor is the token itself anywhere: only its SHA-256.
        let hashes = db.strings("SELECT token_hash FROM users").await;
        assert_eq!(hashes, [rh_server::token::hash(&alice)]);
        assert_error(
            &s.put("/user/config", &alice, &json!([1, 2])).await,
            400,
            "object",
        );
        s.stop();
        db.cleanup().await;
    }
}
