//! The API and the dashboard are two front ends of one set of operations (`src/ops.rs`): the same change made
//! through either leaves the same rows (grants, audit log) and is seen by the next read through the read
//! cache; unknown visibility and access-level values are refused at either edge with a 400 and change
//! nothing.

use serde_json::json;

use crate::dashboard::Web;
use crate::harness::{TestDb, assert_error, backends, payload};

/// The rows a share or revoke of `uri` left: its grants and its audit rows (the address stands for the uri).
async fn rows(db: &TestDb, uri: &str, address: &str) -> (Vec<String>, Vec<String>) {
    let grants = db
        .strings(&format!(
            "SELECT username || '|' || access_level || '|' || granted_by || '|' || since_version \
             FROM grants WHERE uri = '{uri}' ORDER BY username"
        ))
        .await;
    let audit = db
        .strings(&format!(
            "SELECT actor || '|' || action || '|' || COALESCE(detail, '-') || '|' || COALESCE(client_ip, '-') \
             FROM audit_log WHERE target = '{address}' AND action IN ('resource.share', 'resource.revoke') \
             ORDER BY created_at, id"
        ))
        .await;
    (grants, audit)
}

#[tokio::test]
async fn a_share_and_a_revoke_through_the_dashboard_or_the_api_are_the_same_change() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", Some("alice@example.com"));
        let bob = db.user("bob", Some("bob@example.com"));
        // The cache is on, so a revoke must be seen by the next read through it.
        let s = db.serve_with(&["--read-cache-ms", "1000"]);
        for n in ["api", "web"] {
            let body = payload(&format!("/alice/{n}"), &json!({ "n": 1 }));
            assert_eq!(s.post("/resource", &alice, &body).await.0, 200, "{kind:?}");
        }

        let shared = s
            .put(
                "/resource/alice:api/users/access",
                &alice,
                &json!({ "users": ["bob"], "access_level": "write", "notify_users": false }),
            )
            .await;
        assert_eq!(shared.0, 200, "{kind:?}: {shared:?}");
        assert_eq!(shared.1["data"]["added_users"], json!({ "bob": "write" }));
        let mut web = Web::new(&s);
        let csrf = web.sign_in(&alice).await;
        let page = web
            .post(
                "/resources/alice%3Aweb/share",
                &[("csrf", &csrf), ("user", "bob"), ("level", "write")],
            )
            .await;
        assert_eq!(page.status, 303, "{kind:?}: {}", page.body);

        let via_api = rows(&db, "alice:api", "/alice/api").await;
        let via_web = rows(&db, "alice:web", "/alice/web").await;
        assert_eq!(via_api.0, ["bob|write|alice|1"], "{kind:?}");
        assert_eq!(via_api.1, ["alice|resource.share|bob:write|127.0.0.1"]);
        assert_eq!(via_web, via_api, "{kind:?}: the same grant and audit rows");
        // Neither queued a mail: the API said so, the dashboard's form left "notify" unticked.
        assert_eq!(db.count("SELECT COUNT(*) FROM outbox").await, 0);

        // Bob reads both (the cache now holds both lookups), then each is revoked, one per front end.
        for n in ["api", "web"] {
            let got = s.get(&format!("/resource/alice:{n}"), &bob).await;
            assert_eq!(got.0, 200, "{kind:?} {n}");
            assert_eq!(s.get(&format!("/resource/alice:{n}"), &bob).await.0, 200);
        }
        let revoked = s
            .put(
                "/resource/alice:api/users/access",
                &alice,
                &json!({ "users": ["bob"], "access_level": "denied" }),
            )
            .await;
        assert_eq!(revoked.1["data"]["added_users"], json!({ "bob": "denied" }));
        let page = web
            .post(
                "/resources/alice%3Aweb/revoke",
                &[("csrf", &csrf), ("user", "bob")],
            )
            .await;
        assert_eq!(page.status, 303, "{kind:?}: {}", page.body);
        for n in ["api", "web"] {
            let got = s.get(&format!("/resource/alice:{n}"), &bob).await;
            assert_error(&got, 404, "not found");
        }
        let via_api = rows(&db, "alice:api", "/alice/api").await;
        let via_web = rows(&db, "alice:web", "/alice/web").await;
        assert!(via_api.0.is_empty(), "{kind:?}: {via_api:?}");
        assert_eq!(
            via_api.1,
            [
                "alice|resource.share|bob:write|127.0.0.1",
                "alice|resource.revoke|bob|127.0.0.1"
            ]
        );
        assert_eq!(via_web, via_api, "{kind:?}");

        // A visibility change either way: the same audit row, and anyone reads it at once through the cache.
        let carol = db.user("carol", None);
        for n in ["api", "web"] {
            assert_eq!(s.get(&format!("/resource/alice:{n}"), &carol).await.0, 404);
        }
        let public = s
            .put(
                "/resource/alice:api/users/access",
                &alice,
                &json!({ "visibility": "public" }),
            )
            .await;
        assert_eq!(public.0, 200, "{kind:?}: {public:?}");
        let page = web
            .post(
                "/resources/alice%3Aweb/visibility",
                &[("csrf", &csrf), ("visibility", "public")],
            )
            .await;
        assert_eq!(page.status, 303, "{kind:?}: {}", page.body);
        for n in ["api", "web"] {
            let got = s.get(&format!("/resource/alice:{n}"), &carol).await;
            assert_eq!(got.0, 200, "{kind:?} {n}");
            assert_eq!(got.1["data"]["visibility"], "public", "{kind:?} {n}");
        }
        let visibility = |address: &str| {
            format!(
                "SELECT actor || '|' || detail FROM audit_log WHERE action = 'resource.visibility' \
                 AND target = '{address}'"
            )
        };
        let api = db.strings(&visibility("/alice/api")).await;
        assert_eq!(api, ["alice|public"], "{kind:?}");
        assert_eq!(db.strings(&visibility("/alice/web")).await, api);
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn unknown_visibilities_and_levels_are_refused_at_either_edge() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let _bob = db.user("bob", None);
        let s = db.serve();
        let mut body = payload("/alice/x", &json!({ "n": 1 }));
        body["visibility"] = json!("hidden");
        let got = s.post("/resource", &alice, &body).await;
        assert_error(&got, 400, "invalid visibility");
        body["visibility"] = json!("private");
        assert_eq!(s.post("/resource", &alice, &body).await.0, 200);
        for bad in [json!("Public"), json!(1), json!("owner")] {
            let mut update = payload("/alice/x", &json!({ "n": 2 }));
            update["visibility"] = bad.clone();
            let got = s.put("/resource/alice:x", &alice, &update).await;
            assert_error(&got, 400, "invalid visibility");
            let share = json!({ "users": ["bob"], "access_level": "read", "visibility": bad });
            let got = s
                .put("/resource/alice:x/users/access", &alice, &share)
                .await;
            assert_error(&got, 400, "invalid visibility");
        }
        for bad in ["admin", "Read", "owner", ""] {
            let share = json!({ "users": ["bob"], "access_level": bad });
            let got = s
                .put("/resource/alice:x/users/access", &alice, &share)
                .await;
            assert_error(&got, 400, "unknown access level");
        }

        let mut web = Web::new(&s);
        let csrf = web.sign_in(&alice).await;
        for bad in ["hidden", "Public", "read"] {
            let page = web
                .post(
                    "/resources/alice%3Ax/visibility",
                    &[("csrf", &csrf), ("visibility", bad)],
                )
                .await;
            assert_eq!(page.status, 400, "{kind:?} {bad}");
            assert!(page.body.contains("Choose private, unlisted or public."));
        }
        for bad in ["admin", "denied", "owner", ""] {
            let page = web
                .post(
                    "/resources/alice%3Ax/share",
                    &[("csrf", &csrf), ("user", "bob"), ("level", bad)],
                )
                .await;
            assert_eq!(page.status, 400, "{kind:?} {bad:?}");
            assert!(page.body.contains("Choose read or write access."));
        }
        let page = web
            .post(
                "/resources/alice%3Ax/restore",
                &[("csrf", &csrf), ("version", "1"), ("visibility", "hidden")],
            )
            .await;
        assert_eq!(page.status, 400, "{kind:?}");

        // Nothing changed: one version, private, no grants, only the create in the audit log.
        let state = db
            .strings("SELECT visibility || '|' || version FROM resources WHERE uri = 'alice:x'")
            .await;
        assert_eq!(state, ["private|1"], "{kind:?}");
        assert_eq!(db.count("SELECT COUNT(*) FROM grants").await, 0);
        let actions = db
            .strings("SELECT action FROM audit_log ORDER BY created_at")
            .await;
        assert_eq!(
            actions,
            ["user.create", "user.create", "resource.create"],
            "{kind:?}"
        );
        s.stop();
        db.cleanup().await;
    }
}
