//! The authorization matrix: owner, read grantee, write grantee, stranger, and public/unlisted resources,
//! against every endpoint; a refused change leaves the stored rows untouched.

use serde_json::{Value, json};

use crate::harness::{Server, TestDb, assert_error, backends, payload};

struct Actors {
    owner: String,
    reader: String,
    writer: String,
    stranger: String,
}

impl Actors {
    fn by_role(&self, role: &str) -> &str {
        match role {
            "owner" => &self.owner,
            "reader" => &self.reader,
            "writer" => &self.writer,
            _ => &self.stranger,
        }
    }
}

const ROLES: [&str; 4] = ["owner", "reader", "writer", "stranger"];

async fn setup(s: &Server, a: &Actors, address: &str, visibility: &str) {
    let mut p = payload(address, &json!({"v": 0}));
    p["visibility"] = json!(visibility);
    assert_eq!(s.post("/resource", &a.owner, &p).await.0, 200);
    let uri = address.trim_start_matches('/').replace('/', ":");
    for (user, level) in [("reader", "read"), ("writer", "write")] {
        let body = json!({"users": [user], "access_level": level, "notify_users": false});
        let (st, _) = s
            .put(&format!("/resource/{uri}/users/access"), &a.owner, &body)
            .await;
        assert_eq!(st, 200);
    }
}

fn uri(address: &str) -> String {
    address.trim_start_matches('/').replace('/', ":")
}

#[tokio::test]
async fn each_role_gets_the_right_status_on_each_endpoint() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let a = Actors {
            owner: db.user("owner", None),
            reader: db.user("reader", None),
            writer: db.user("writer", None),
            stranger: db.user("stranger", None),
        };
        let s = db.serve();
        setup(&s, &a, "/owner/private", "private").await;
        setup(&s, &a, "/owner/public", "public").await;
        setup(&s, &a, "/owner/unlisted", "unlisted").await;

        // (visibility, role) -> expected statuses for GET, history, PUT (a change), share, DELETE.
        let expect = |vis: &str, role: &str| -> [u16; 5] {
            match (vis, role) {
                (_, "owner" | "writer") => [200, 200, 200, 200, 200],
                (_, "reader") => [200, 200, 403, 403, 403],
                ("private", _) => [404, 404, 404, 404, 404],
                _ => [200, 200, 403, 403, 403],
            }
        };
        let mut n = 0;
        for vis in ["private", "public", "unlisted"] {
            for role in ROLES {
                let token = a.by_role(role);
                let want = expect(vis, role);
                // A fresh resource per cell, so a successful DELETE does not change later cells.
                n += 1;
                let address = format!("/owner/{vis}-{role}-{n}");
                setup(&s, &a, &address, vis).await;
                let u = uri(&address);
                let before = db.count("SELECT COUNT(*) FROM resource_history").await;
                let got_get = s.get(&format!("/resource/{u}"), token).await;
                let got_hist = s.get(&format!("/resource/history/{u}"), token).await;
                let mut change = payload(&address, &json!({"v": n}));
                change["visibility"] = json!(vis);
                let got_put = s.put(&format!("/resource/{u}"), token, &change).await;
                let share =
                    json!({"users": ["stranger"], "access_level": "read", "notify_users": false});
                let got_share = s
                    .put(&format!("/resource/{u}/users/access"), token, &share)
                    .await;
                let got_delete = s.delete(&format!("/resource/{u}"), token).await;
                let got = [got_get.0, got_hist.0, got_put.0, got_share.0, got_delete.0];
                assert_eq!(
                    got, want,
                    "{kind:?} {vis} {role}: GET, history, PUT, share, DELETE"
                );
                for r in [&got_get, &got_hist, &got_put, &got_share, &got_delete] {
                    if r.0 >= 400 {
                        assert!(r.1["detail"].is_string(), "{r:?}");
                    }
                }
                if want[0] == 404 {
                    // Never the contents of a private resource, and no hint beyond "not found".
                    assert_error(&got_get, 404, "not found");
                    assert!(!got_get.1.to_string().contains("\"v\""));
                }
                if want[2] != 200 {
                    // Refused: nothing changed, nothing was shared, nothing was deleted.
                    assert_eq!(
                        db.count("SELECT COUNT(*) FROM resource_history").await,
                        before
                    );
                    let stranger_grants = db
                        .count(&format!(
                            "SELECT COUNT(*) FROM grants WHERE uri = '{u}' AND username = 'stranger'"
                        ))
                        .await;
                    assert_eq!(stranger_grants, 0);
                    let still = s.get(&format!("/resource/{u}"), &a.owner).await;
                    assert_eq!(still.1["data"]["data"]["v"], 0);
                }
            }
        }

        // Only the owner creates under /owner/, even a write grantee; strangers too get 403.
        for role in ["writer", "stranger"] {
            let p = payload("/owner/new", &json!({}));
            assert_error(
                &s.post("/resource", a.by_role(role), &p).await,
                403,
                "only owner",
            );
        }
        assert_eq!(
            db.count("SELECT COUNT(*) FROM resources WHERE name = '/owner/new'")
                .await,
            0
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn missing_or_invalid_tokens_get_401_everywhere() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        // Dozens of bad tokens from one address: lift the failed-auth limit (tested in security.rs).
        let s = db.serve_with(&["--auth-fail-limit", "100000"]);
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/x", &json!({})))
                .await
                .0,
            200
        );
        let body = payload("/alice/x", &json!({"changed": true}));
        let share = json!({"users": ["alice"], "access_level": "read"});
        let calls: [(&str, &str, Option<&Value>); 9] = [
            ("GET", "/user", None),
            ("PUT", "/user/config", Some(&body)),
            ("GET", "/resource/alice:x", None),
            ("PUT", "/resource/alice:x", Some(&body)),
            ("POST", "/resource", Some(&body)),
            ("DELETE", "/resource/alice:x", None),
            ("GET", "/resource/history/alice:x", None),
            ("PUT", "/resource/alice:x/users/access", Some(&share)),
            ("GET", "/user/", None),
        ];
        let rotated_away = {
            // A token that was valid once and was rotated away is as bad as a made-up one.
            let out = db.cli(&["user", "token", "alice"]);
            assert!(out.status.success());
            let old = alice.clone();
            let new = rh_test::stdout(&out).trim().to_owned();
            assert_eq!(s.get("/user", &new).await.0, 200);
            (old, new)
        };
        let bad_tokens = [
            None,
            Some("rh_0000000000000000000000000000000000000000000000000000000000000000"),
            Some(""),
            Some(rotated_away.0.as_str()),
        ];
        for (method, path, body) in calls {
            for token in bad_tokens {
                let got = s.call(method, path, token, body).await;
                assert_eq!(got.0, 401, "{method} {path} with {token:?}: {got:?}");
                assert!(got.1["detail"].is_string());
            }
            let got = s.raw(method, path, None, None, None).await;
            assert_eq!(got.0, 401);
        }
        // A bad token wins over a bad uri.
        let got = s
            .call("GET", "/resource/alice:..", Some("rh_nope"), None)
            .await;
        assert_eq!(got.0, 401, "{got:?}");
        // Nothing was changed by any of those calls.
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 1);
        assert_eq!(db.strings("SELECT config FROM users").await, ["{}"]);
        s.stop();
        db.cleanup().await;
    }
}
