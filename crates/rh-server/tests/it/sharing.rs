//! Sharing: grants by username or email, pending invitations, notifications, revoking, visibility.

use serde_json::json;

use crate::harness::{TestDb, assert_error, backends, payload};

#[tokio::test]
async fn an_invitation_to_an_unknown_email_becomes_a_grant_when_the_account_is_created() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("alice@example.com"));
        let bob = db.user("bob", Some("bob@example.com"));
        let s = db.serve();
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/x", &json!({})))
                .await
                .0,
            200
        );

        let share = json!({
            "users": ["BOB@example.com", "carol@example.com"],
            "access_type": "write",
            "notify_users": true,
        });
        let (st, body) = s
            .put("/resource/alice:x/users/access", &alice, &share)
            .await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(
            body["data"],
            json!({"added_users": {"bob": "write"}, "new_users": {"carol@example.com": "write"}})
        );
        assert_eq!(db.strings("SELECT username FROM grants").await, ["bob"]);
        assert_eq!(
            db.strings("SELECT email FROM invitations").await,
            ["carol@example.com"]
        );
        let mut outbox = db
            .strings("SELECT recipient FROM outbox ORDER BY recipient")
            .await;
        outbox.sort();
        assert_eq!(outbox, ["bob@example.com", "carol@example.com"]);
        let subjects = db.strings("SELECT subject FROM outbox").await;
        assert!(
            subjects
                .iter()
                .all(|s| s == "alice shared /alice/x with you"),
            "{subjects:?}"
        );
        assert_eq!(s.get("/resource/alice:x", &bob).await.0, 200);

        // Carol signs up (email in another case): the invitation turns into a write grant.
        let carol = db.user("carol", Some("Carol@Example.com"));
        assert_eq!(db.count("SELECT COUNT(*) FROM invitations").await, 0);
        assert_eq!(
            db.strings("SELECT access_level FROM grants WHERE username = 'carol'")
                .await,
            ["write"]
        );
        let change = payload("/alice/x", &json!({"by": "carol"}));
        assert_eq!(s.put("/resource/alice:x", &carol, &change).await.0, 200);

        // notify_users false: no new outbox row.
        let dave = db.user("dave", Some("dave@example.com"));
        let quiet = json!({"users": "dave", "access_level": "read", "notify_users": false});
        let (st, body) = s
            .put("/resource/alice:x/users/access", &alice, &quiet)
            .await;
        assert_eq!(
            (st, &body["data"]["added_users"]),
            (200, &json!({"dave": "read"}))
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM outbox").await, 2);
        assert_eq!(s.get("/resource/alice:x", &dave).await.0, 200);

        // Revoke one user, then everyone (users null); pending invitations go too.
        let _ = s
            .put(
                "/resource/alice:x/users/access",
                &alice,
                &json!({"users": ["erin@example.com"], "access_level": "read", "notify_users": false}),
            )
            .await;
        let revoke = json!({"users": ["dave"], "access_level": "denied"});
        let (st, body) = s
            .put("/resource/alice:x/users/access", &alice, &revoke)
            .await;
        assert_eq!(
            (st, &body["data"]["added_users"]),
            (200, &json!({"dave": "denied"}))
        );
        assert_eq!(s.get("/resource/alice:x", &dave).await.0, 404);
        let all = json!({"users": null, "access_level": "denied"});
        let (st, body) = s.put("/resource/alice:x/users/access", &alice, &all).await;
        assert_eq!(st, 200);
        assert_eq!(
            body["data"]["new_users"],
            json!({"erin@example.com": "denied"})
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM grants").await, 0);
        assert_eq!(db.count("SELECT COUNT(*) FROM invitations").await, 0);
        assert_eq!(s.get("/resource/alice:x", &bob).await.0, 404);
        assert_eq!(s.get("/resource/alice:x", &alice).await.0, 200);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn visibility_public_lets_everyone_read_and_sharing_validates_users() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let bob = db.user("bob", None);
        let s = db.serve();
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/p", &json!({})))
                .await
                .0,
            200
        );
        assert_eq!(s.get("/resource/alice:p", &bob).await.0, 404);

        // Share with visibility only (no users) publishes it, as a recorded change.
        let publish = json!({"visibility": "public", "notify_users": false});
        assert_eq!(
            s.put("/resource/alice:p/users/access", &alice, &publish)
                .await
                .0,
            200
        );
        let (st, body) = s.get("/resource/alice:p", &bob).await;
        assert_eq!((st, &body["data"]["visibility"]), (200, &json!("public")));
        let (_, hist) = s.get("/resource/history/alice:p", &alice).await;
        assert_eq!(hist["data"][0]["data"]["visibility"], "public");
        // An update from a client that knows no visibility keeps the resource public.
        let old_client = payload("/alice/p", &json!({"changed": true}));
        assert_eq!(s.put("/resource/alice:p", &alice, &old_client).await.0, 200);
        assert_eq!(s.get("/resource/alice:p", &bob).await.0, 200);
        assert_eq!(
            db.strings("SELECT visibility FROM resources").await,
            ["public"]
        );

        // Unknown username: 400 and nothing stored, even for the valid user next to it.
        let bad = json!({"users": ["bob", "nobody"], "access_level": "read"});
        assert_error(
            &s.put("/resource/alice:p/users/access", &alice, &bad).await,
            400,
            "nobody",
        );
        assert_eq!(db.count("SELECT COUNT(*) FROM grants").await, 0);
        // Sharing with the owner is a no-op.
        let me = json!({"users": ["alice"], "access_level": "read"});
        let (st, body) = s.put("/resource/alice:p/users/access", &alice, &me).await;
        assert_eq!((st, &body["data"]["added_users"]), (200, &json!({})));
        assert_eq!(db.count("SELECT COUNT(*) FROM grants").await, 0);
        // No users and no visibility: nothing to do.
        let empty = json!({"access_level": "read"});
        assert_error(
            &s.put("/resource/alice:p/users/access", &alice, &empty)
                .await,
            400,
            "no users",
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn a_share_names_at_most_100_recipients_and_queues_at_most_200_invitations_an_hour() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("alice@example.com"));
        let s = db.serve();
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/x", &json!({})))
                .await
                .0,
            200
        );
        let emails = |from: usize, n: usize| -> Vec<String> {
            (from..from + n)
                .map(|i| format!("guest{i}@example.com"))
                .collect()
        };
        let share = |users: Vec<String>| json!({"users": users, "notify_users": true});
        let queued = "SELECT COUNT(*) FROM outbox";
        let invited = "SELECT COUNT(*) FROM invitations";

        // 101 recipients in one request: refused before anything is resolved or stored.
        assert_error(
            &s.put(
                "/resource/alice:x/users/access",
                &alice,
                &share(emails(0, 101)),
            )
            .await,
            400,
            "at most 100",
        );
        assert_eq!((db.count(queued).await, db.count(invited).await), (0, 0));

        // 2 × 100 invitations with mail are within the hourly cap; one more is not, and stores nothing.
        for from in [0, 100] {
            let (st, body) = s
                .put(
                    "/resource/alice:x/users/access",
                    &alice,
                    &share(emails(from, 100)),
                )
                .await;
            assert_eq!(st, 200, "{kind:?}: {body}");
        }
        assert_eq!(
            (db.count(queued).await, db.count(invited).await),
            (200, 200)
        );
        let mut over_cap = share(emails(200, 1));
        over_cap["visibility"] = json!("public");
        let over = s
            .put("/resource/alice:x/users/access", &alice, &over_cap)
            .await;
        assert_error(&over, 429, "at most 200");
        assert_eq!(
            (db.count(queued).await, db.count(invited).await),
            (200, 200)
        );
        assert_eq!(
            db.strings("SELECT visibility FROM resources").await,
            ["private"],
            "a refused share changes nothing"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'resource.share'")
                .await,
            2
        );
        s.stop();
        db.cleanup().await;
    }
}
