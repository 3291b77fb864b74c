//! `PUT /user/config` stores only user defaults: endpoint and credential keys are refused with a 400 naming
//! them, and nothing is stored (issue 15.3).

use serde_json::json;

use crate::harness::{TestDb, assert_error, backends};

#[tokio::test]
async fn endpoint_and_credential_keys_are_refused_and_nothing_is_stored() {
    for kind in backends() {
        let db = TestDb::new(kind).await;
        let alice = db.user("alice", None);
        let s = db.serve();
        let (st, body) = s
            .put("/user/config", &alice, &json!({"default_autostop": 30}))
            .await;
        assert_eq!(st, 200, "{body}");
        for (bad, refused) in [
            (
                json!({"default_provider": "aws", "api_server_url": "http://evil.example"}),
                &["api_server_url"][..],
            ),
            (
                json!({"vault_addr": "http://evil.example:8200", "vault_mount": "x"}),
                &["vault_addr", "vault_mount"],
            ),
            (
                json!({"dashboard_url": "http://evil.example"}),
                &["dashboard_url"],
            ),
            (
                json!({"default_blob_bucket": "evil-bucket"}),
                &["default_blob_bucket"],
            ),
        ] {
            let got = s.put("/user/config", &alice, &bad).await;
            assert_error(&got, 400, "config keys not accepted: ");
            let detail = got.1["detail"].as_str().expect("detail");
            for key in refused {
                assert!(detail.contains(key), "{key}: {detail}");
            }
        }
        // The stored config is the last accepted one.
        let (_, body) = s.get("/user", &alice).await;
        assert_eq!(body["data"]["config"], json!({"default_autostop": 30}));
        let stored = db.strings("SELECT config FROM users").await.join("");
        assert!(!stored.contains("evil"), "{stored}");
        // The Runhouse client's local keys are still dropped, not refused (spec §3.2).
        let (st, body) = s
            .put(
                "/user/config",
                &alice,
                &json!({"use_spot": true, "token": "t", "username": "u", "secrets": {}}),
            )
            .await;
        assert_eq!(st, 200, "{body}");
        assert_eq!(body["data"], json!({"use_spot": true}));
        s.stop();
        db.cleanup().await;
    }
}
