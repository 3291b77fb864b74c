//! Bad input gets a clear 4xx with a `detail`, and nothing is stored.

use serde_json::json;

use crate::harness::{TestDb, assert_error, backends, payload};

#[tokio::test]
async fn bad_bodies_names_and_levels_are_rejected_and_nothing_is_stored() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let _bob = db.user("bob", None);
        let s = db.serve_with(&["--max-body-bytes", "65536"]);
        let t = Some(alice.as_str());

        // Malformed JSON, empty bodies, wrong shapes.
        for body in [&b"{\"name\": \"/alice/x\""[..], b"not json", b"", b"   "] {
            let got = s
                .raw(
                    "POST",
                    "/resource",
                    t,
                    Some(body.to_vec()),
                    Some("application/json"),
                )
                .await;
            assert_eq!(got.0, 400, "{got:?}");
            assert!(
                got.1["detail"].as_str().is_some_and(|d| d.contains("json")),
                "{got:?}"
            );
        }
        for body in [json!([1]), json!("x"), json!({"resource_type": "blob"})] {
            assert_eq!(s.post("/resource", &alice, &body).await.0, 400, "{body}");
        }
        for (field, value) in [
            ("data", json!("not an object")),
            ("visibility", json!("everyone")),
            ("resource_type", json!(3)),
            ("users", json!("bob")),
            ("folder", json!(["a"])),
        ] {
            let mut p = payload("/alice/x", &json!({}));
            p[field] = value;
            assert_error(&s.post("/resource", &alice, &p).await, 400, field);
        }

        // Oversized bodies: 413 on every endpoint that takes one.
        let big = format!(
            "{{\"name\": \"/alice/x\", \"data\": {{\"blob\": \"{}\"}}}}",
            "a".repeat(70_000)
        );
        for (method, path) in [
            ("POST", "/resource"),
            ("PUT", "/resource/alice:x"),
            ("PUT", "/user/config"),
        ] {
            let got = s
                .raw(method, path, t, Some(big.clone().into_bytes()), None)
                .await;
            assert_error(&got, 413, "too large");
        }

        // Names with '..', '.', control characters, empty segments, or without an owner.
        for name in [
            "/alice/../bob/x",
            "/alice/./x",
            "/alice/a\u{1}b",
            "/alice/a\nb",
            "/alice//x",
            "/alice",
            "alice/x",
            "/../x",
            "/alice/a:b",
            "/alice/a\u{7f}",
        ] {
            let got = s
                .post("/resource", &alice, &payload(name, &json!({})))
                .await;
            assert_error(&got, 400, "invalid resource name");
        }
        for uri in [
            "alice:..",
            "alice:%01x",
            "alice::x",
            "alice",
            "alice:x%0A",
            "alice:a%2Fb",
        ] {
            let got = s.get(&format!("/resource/{uri}"), &alice).await;
            assert_error(&got, 400, "invalid resource name");
            let got = s
                .put(
                    &format!("/resource/{uri}"),
                    &alice,
                    &payload("/alice/x", &json!({})),
                )
                .await;
            assert_eq!(got.0, 400, "{uri}: {got:?}");
        }
        // A payload name that disagrees with the URL.
        assert_eq!(
            s.post("/resource", &alice, &payload("/alice/x", &json!({})))
                .await
                .0,
            200
        );
        let other = payload("/alice/y", &json!({"n": 1}));
        assert_error(
            &s.put("/resource/alice:x", &alice, &other).await,
            400,
            "does not match",
        );

        // Unknown access levels and malformed share requests.
        for body in [
            json!({"users": ["bob"], "access_level": "admin"}),
            json!({"users": ["bob"], "access_type": "proxy"}),
            json!({"users": ["bob"], "access_level": "read", "access_type": "write"}),
            json!({"users": [1], "access_level": "read"}),
            json!({"users": ["bob"], "access_level": "read", "notify_users": "yes"}),
            json!({"users": ["not an email@"], "access_level": "read"}),
            json!({"users": ["bad/name"], "access_level": "read"}),
        ] {
            let got = s.put("/resource/alice:x/users/access", &alice, &body).await;
            assert_eq!(got.0, 400, "{body}: {got:?}");
            assert!(got.1["detail"].is_string());
        }
        assert_error(
            &s.put(
                "/resource/alice:x/users/access",
                &alice,
                &json!({"users": ["bob"], "access_level": "owner"}),
            )
            .await,
            400,
            "unknown access level",
        );

        // Unknown routes and methods are JSON errors too.
        assert_error(&s.get("/nope", &alice).await, 404, "not found");
        assert_error(
            &s.call("PATCH", "/resource/alice:x", t, None).await,
            405,
            "method",
        );

        // Only the one valid resource exists, with one history entry; no grant, invitation or outbox row.
        assert_eq!(db.strings("SELECT name FROM resources").await, ["/alice/x"]);
        assert_eq!(db.count("SELECT COUNT(*) FROM resource_history").await, 1);
        for table in ["grants", "invitations", "outbox"] {
            assert_eq!(
                db.count(&format!("SELECT COUNT(*) FROM {table}")).await,
                0,
                "{table}"
            );
        }
        assert_eq!(
            db.strings("SELECT config FROM users WHERE username = 'alice'")
                .await,
            ["{}"]
        );
        s.stop();
        db.cleanup().await;
    }
}

#[tokio::test]
async fn bodies_are_json_with_or_without_content_type() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        for (i, ct) in [
            None,
            Some("application/json"),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
        ]
        .into_iter()
        .enumerate()
        {
            let body = payload(&format!("/alice/ct{i}"), &json!({"i": i})).to_string();
            let got = s
                .raw(
                    "POST",
                    "/resource",
                    Some(&alice),
                    Some(body.into_bytes()),
                    ct,
                )
                .await;
            assert_eq!(got.0, 200, "{ct:?}: {got:?}");
        }
        assert_eq!(db.count("SELECT COUNT(*) FROM resources").await, 4);
        s.stop();
        db.cleanup().await;
    }
}
