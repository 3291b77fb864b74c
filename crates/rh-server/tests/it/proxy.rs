//! The failed-authentication limit behind a reverse proxy: `--trusted-proxy` and `X-Forwarded-For`.

use crate::harness::{Kind, Server, TestDb};

/// `GET /user` with `token`, as forwarded for `xff` (no header when `None`); returns the status.
async fn get_user(s: &Server, token: &str, xff: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new()
        .get(format!("{}/user", s.url))
        .bearer_auth(token);
    if let Some(x) = xff {
        req = req.header("x-forwarded-for", x);
    }
    req.send().await.expect("request").status().as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_only_the_failing_client_is_limited() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    // The test client on 127.0.0.1 plays the proxy.
    let s = db.serve_with(&[
        "--trusted-proxy",
        "10.0.0.0/8,127.0.0.1",
        "--auth-fail-limit",
        "3",
    ]);
    let attacker = Some("203.0.113.7");
    for i in 0..3 {
        assert_eq!(get_user(&s, "rh_wrong", attacker).await, 401, "failure {i}");
    }
    assert_eq!(get_user(&s, "rh_wrong", attacker).await, 429);
    // A spoofed left-most entry does not help: the proxy appended the real client on the right.
    assert_eq!(
        get_user(&s, "rh_wrong", Some("198.51.100.9, 203.0.113.7")).await,
        429
    );
    // Through a second trusted proxy hop, still the same client.
    assert_eq!(
        get_user(&s, "rh_wrong", Some("203.0.113.7, 10.1.2.3")).await,
        429
    );
    // Another client behind the same proxy is not locked out, and neither is the proxy itself.
    assert_eq!(get_user(&s, "rh_wrong", Some("198.51.100.2")).await, 401);
    assert_eq!(get_user(&s, "rh_wrong", None).await, 401);
    // A correct token from the locked-out client is served.
    assert_eq!(get_user(&s, &alice, attacker).await, 200);
    // IPv6 clients count per /64: another address in the attacker's /64 shares its counter.
    for i in 0..3 {
        let status = get_user(&s, "rh_wrong", Some(&format!("2001:db8:7:7::{i}"))).await;
        assert_eq!(status, 401, "v6 failure {i}");
    }
    assert_eq!(
        get_user(&s, "rh_wrong", Some("2001:db8:7:7:ffff::1")).await,
        429
    );
    assert_eq!(get_user(&s, "rh_wrong", Some("2001:db8:7:8::1")).await, 401);
    s.stop();
}

#[tokio::test]
async fn from_an_untrusted_peer_forwarded_for_is_ignored() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    // Only 10.0.0.0/8 is trusted; the test client is 127.0.0.1.
    let s = db.serve_with(&["--trusted-proxy", "10.0.0.0/8", "--auth-fail-limit", "3"]);
    for i in 0..3 {
        let xff = format!("198.51.100.{i}");
        assert_eq!(
            get_user(&s, "rh_wrong", Some(&xff)).await,
            401,
            "failure {i}"
        );
    }
    // Every failure counted for 127.0.0.1, whatever the header claimed.
    assert_eq!(get_user(&s, "rh_wrong", Some("198.51.100.200")).await, 429);
    assert_eq!(get_user(&s, "rh_wrong", None).await, 429);
    assert_eq!(get_user(&s, &alice, Some("198.51.100.201")).await, 200);
    s.stop();
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_audit_log_names_the_forwarded_client() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let put_config = |s: &Server, xff: Option<&'static str>| {
        let mut req = reqwest::Client::new()
            .put(format!("{}/user/config", s.url))
            .bearer_auth(&alice)
            .json(&serde_json::json!({"default_autostop": 30}));
        if let Some(x) = xff {
            req = req.header("x-forwarded-for", x);
        }
        req.send()
    };
    let s = db.serve_with(&["--trusted-proxy", "127.0.0.1"]);
    let r = put_config(&s, Some("198.51.100.9, 203.0.113.7"))
        .await
        .expect("put");
    assert_eq!(r.status().as_u16(), 200);
    s.stop();
    // From an untrusted peer the header is ignored: the row names the peer.
    let s = db.serve_with(&["--trusted-proxy", "10.0.0.0/8"]);
    let r = put_config(&s, Some("203.0.113.8")).await.expect("put");
    assert_eq!(r.status().as_u16(), 200);
    s.stop();
    let rows = db
        .strings(
            "SELECT COALESCE(client_ip, '-') FROM audit_log WHERE action = 'user.config' \
             ORDER BY created_at, id",
        )
        .await;
    assert_eq!(rows, ["203.0.113.7", "127.0.0.1"]);
}
