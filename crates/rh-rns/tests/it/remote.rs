//! `RemoteRns` against a real `rh-server` process on a temp SQLite database.

use rh_rns::remote::{RemoteOptions, RemoteRns};
use rh_rns::{Error, ResourceName, ResourceRecord, Rns};
use rh_test::server::{TestServer, dead_url};
use secrecy::SecretString;
use serde_json::{Map, Value, json};

fn name(s: &str) -> ResourceName {
    s.parse().expect("valid name")
}

fn config(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => unreachable!("objects only"),
    }
}

fn client(server: &TestServer, token: &str) -> RemoteRns {
    RemoteRns::new(server.url(), SecretString::from(token.to_owned())).expect("client")
}

async fn raw_get(server: &TestServer, token: &str, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(format!("{}{path}", server.url()))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn conformance_against_a_real_server() {
    let server = TestServer::start();
    let token = server.create_user("alice", Some("alice@example.com"));
    let rns = client(&server, &token);
    rh_rns::testing::conformance_in(&rns, &name("/alice/rh-conformance")).await;
}

#[tokio::test]
async fn payload_format_and_the_put_protocol() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let rns = client(&server, &token);
    let blob = ResourceRecord::new(
        name("/alice/my_blob"),
        config(json!({
            "resource_type": "blob", "resource_subtype": "Blob",
            "path": "/runhouse-blob/x", "system": "s3",
        })),
    );
    rns.save(&blob, true)
        .await
        .expect("create via PUT 404 then POST");
    // Stored exactly as the original client sent it: core fields on top, the rest under `data`.
    let (status, body) = raw_get(&server, &token, "/resource/alice:my_blob").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!({"name": "/alice/my_blob", "resource_type": "blob",
               "data": {"resource_subtype": "Blob", "path": "/runhouse-blob/x", "system": "s3"}})
    );
    // Unchanged (422) is a success and adds no version.
    rns.save(&blob, true).await.expect("unchanged save");
    let history = rns
        .history(&name("/alice/my_blob"), None)
        .await
        .expect("history");
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].change, "created");
    assert_eq!(history[0].author, "alice");
    // A change is a new version, newest first, naming the changed key.
    let mut changed = blob.config().clone();
    changed.insert("system".into(), json!("gs"));
    rns.save(&ResourceRecord::new(name("/alice/my_blob"), changed), true)
        .await
        .expect("update");
    let history = rns
        .history(&name("/alice/my_blob"), Some(10))
        .await
        .expect("history");
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].id, "2");
    assert_eq!(history[0].change, "changed system");
    assert!(history[0].timestamp >= history[1].timestamp);
    let limited = rns
        .history(&name("/alice/my_blob"), Some(1))
        .await
        .expect("history");
    assert_eq!(limited.len(), 1);
    // Restore version 1, and diff says what differs from it.
    let diff = rns
        .diff(&name("/alice/my_blob"), Some("1"))
        .await
        .expect("diff");
    assert!(diff.contains("-    \"system\": \"s3\""), "{diff}");
    let restored = rns
        .restore(&name("/alice/my_blob"), "1")
        .await
        .expect("restore");
    assert_eq!(restored.config()["system"], json!("s3"));
    assert_eq!(
        rns.load(&name("/alice/my_blob"))
            .await
            .expect("load")
            .config()["system"],
        json!("s3")
    );
}

#[tokio::test]
async fn sharing_and_revoking() {
    let server = TestServer::start();
    let alice = server.create_user("alice", Some("alice@example.com"));
    let bob = server.create_user("bob", Some("bob@example.com"));
    let owner = client(&server, &alice);
    let teammate = client(&server, &bob);
    let x = name("/alice/x");
    owner
        .save(
            &ResourceRecord::new(x.clone(), config(json!({"resource_type": "blob"}))),
            false,
        )
        .await
        .expect("save");
    assert!(
        !teammate.exists(&x).await.expect("exists"),
        "private by default"
    );
    let got = owner
        .share(
            &x,
            &["bob@example.com".into(), "carol@example.com".into()],
            "write",
            false,
            None,
        )
        .await
        .expect("share");
    assert_eq!(
        got.added_users.get("bob").map(String::as_str),
        Some("write")
    );
    assert_eq!(
        got.new_users.get("carol@example.com").map(String::as_str),
        Some("write")
    );
    assert!(teammate.exists(&x).await.expect("exists"));
    let listed = teammate.list(&name("/alice"), false).await.expect("list");
    assert_eq!(listed.entries.len(), 1);
    assert_eq!(listed.entries[0].name, x);
    // Carol's account picks up the pending invitation.
    let carol = client(
        &server,
        &server.create_user("carol", Some("carol@example.com")),
    );
    assert_eq!(carol.load(&x).await.expect("load").resource_type(), "blob");
    owner
        .revoke(&x, Some(&["bob".into()]))
        .await
        .expect("revoke");
    assert!(matches!(
        teammate.load(&x).await,
        Err(Error::NotFound { .. })
    ));
    // A stranger cannot share what it cannot see.
    let err = teammate
        .share(&x, &["carol".into()], "read", false, None)
        .await
        .expect_err("not visible");
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn unreachable_and_bad_tokens_are_one_line_errors() {
    let url = dead_url();
    let rns = RemoteRns::with_options(
        &url,
        SecretString::from("t".to_owned()),
        RemoteOptions {
            retries: 2,
            backoff: std::time::Duration::from_millis(10),
            ..RemoteOptions::default()
        },
    )
    .expect("client");
    let err = rns
        .load(&name("/alice/x"))
        .await
        .expect_err("nothing listens");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("cannot reach rh-server at {url}: ")),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");

    let server = TestServer::start();
    server.create_user("alice", None);
    let bad = client(&server, "not-a-token");
    let err = bad.user().await.expect_err("invalid token").to_string();
    assert!(err.contains("rejected the token"), "{err}");
    assert!(!err.contains("not-a-token"), "{err}");
}

#[tokio::test]
async fn account_config_round_trip() {
    let server = TestServer::start();
    let token = server.create_user("alice", Some("alice@example.com"));
    let rns = client(&server, &token);
    let user = rns.user().await.expect("user");
    assert_eq!(user.username, "alice");
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    rns.put_config(&config(
        json!({"default_autostop": 30, "token": "never stored"}),
    ))
    .await
    .expect("put config");
    let user = rns.user().await.expect("user");
    assert_eq!(Value::Object(user.config), json!({"default_autostop": 30}));
}

/// A loopback HTTP server that answers every request with 503 and counts them by method.
fn always_busy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead as _, BufReader, Read as _, Write as _};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { break };
            let mut reader = BufReader::new(stream.try_clone().expect("clone"));
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            let mut length = 0usize;
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; length];
            let _ = reader.read_exact(&mut body);
            log.lock()
                .expect("lock")
                .push(line.split(' ').next().unwrap_or("").to_owned());
            let reply = br#"{"detail":"busy"}"#;
            let _ = write!(
                stream,
                "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                reply.len()
            );
            let _ = stream.write_all(reply);
        }
    });
    (url, seen)
}

#[tokio::test]
async fn idempotent_requests_are_retried_with_backoff_and_post_is_not() {
    let (url, seen) = always_busy();
    let rns = RemoteRns::with_options(
        &url,
        SecretString::from("t".to_owned()),
        RemoteOptions {
            retries: 2,
            backoff: std::time::Duration::from_millis(50),
            ..RemoteOptions::default()
        },
    )
    .expect("client");
    let start = std::time::Instant::now();
    let err = rns.load(&name("/alice/x")).await.expect_err("busy");
    assert!(
        start.elapsed() >= std::time::Duration::from_millis(150),
        "backoff 50 + 100 ms"
    );
    assert_eq!(
        err.to_string(),
        "rh-server could not load /alice/x: busy (HTTP 503)"
    );
    assert_eq!(*seen.lock().expect("lock"), ["GET", "GET", "GET"]);
    seen.lock().expect("lock").clear();
    let record = ResourceRecord::new(name("/alice/x"), config(json!({"resource_type": "blob"})));
    let err = rns.save(&record, false).await.expect_err("busy");
    assert!(err.to_string().contains("HTTP 503"), "{err}");
    assert_eq!(
        *seen.lock().expect("lock"),
        ["POST"],
        "POST is never retried"
    );
}

#[tokio::test]
async fn history_diff_and_restore_follow_the_pages_and_a_restore_keeps_the_visibility() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let rns = client(&server, &token);
    let n = name("/alice/paged");
    let record = |i: usize, visibility: &str| {
        ResourceRecord::new(
            n.clone(),
            config(json!({"resource_type": "blob", "n": i, "visibility": visibility})),
        )
    };
    // 230 versions: more than the server's default page of 100. v1 was public, the rest private.
    rns.save(&record(1, "public"), true).await.expect("save v1");
    for i in 2..=230 {
        rns.save(&record(i, "private"), true).await.expect("save");
    }
    let all = rns.history(&n, None).await.expect("history");
    assert_eq!(all.len(), 230, "every page is followed");
    assert_eq!((all[0].id.as_str(), all[229].id.as_str()), ("230", "1"));
    assert_eq!(
        all[100].change, "changed n",
        "summaries across a page boundary"
    );
    assert_eq!(
        rns.history(&n, Some(150)).await.expect("history").len(),
        150
    );
    // diff and restore read the one version they need, far past the first page.
    let diff = rns.diff(&n, Some("1")).await.expect("diff");
    assert!(diff.contains("-    \"n\": 1,"), "{diff}");
    let restored = rns.restore(&n, "1").await.expect("restore");
    assert_eq!(restored.config()["n"], json!(1));
    let (_, now) = raw_get(&server, &token, "/resource/alice:paged").await;
    assert_eq!(
        (&now["data"]["data"]["n"], &now["data"]["visibility"]),
        (&json!(1), &json!("private")),
        "the restore keeps the current visibility"
    );
    assert!(matches!(
        rns.restore(&n, "999").await,
        Err(Error::Revision { .. })
    ));
}

async fn raw_create(server: &TestServer, token: &str, address: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}/resource", server.url()))
        .bearer_auth(token)
        .json(&json!({"name": address, "resource_type": "blob"}))
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The client and rh-server apply one name grammar (`rh_wire::name`): a name the client accepts, rh-server
/// stores under that very address; a name the client refuses, rh-server refuses too (400), so the client's
/// refusal, before any request, is the server's own rule.
#[tokio::test]
async fn client_and_server_apply_one_name_grammar() {
    let server = TestServer::start();
    let token = server.create_user("alice", None);
    let rns = client(&server, &token);
    // `/alice/a:b` is not `/alice/a/b`, although both have the uri `alice:a:b`.
    let nested = ResourceRecord::new(name("/alice/a/b"), config(json!({"resource_type": "blob"})));
    rns.save(&nested, false).await.expect("save /alice/a/b");
    match "/alice/a:b".parse::<ResourceName>() {
        Ok(colon) => assert!(
            !rns.exists(&colon).await.expect("exists"),
            "/alice/a:b was read as /alice/a/b"
        ),
        Err(e) => assert_eq!(
            e.to_string(),
            "invalid resource name `/alice/a:b`: it contains `:`, which separates the segments of a uri (`alice:a:b` is `/alice/a/b`)"
        ),
    }
    let segment = |n: usize| "s".repeat(n);
    let long_address = format!("/alice/{}", vec![segment(250); 5].join("/"));
    let longest_address = format!(
        "/alice/{}/{}",
        vec![segment(250); 4].join("/"),
        segment(1024 - 7 - 4 * 251)
    );
    assert_eq!(longest_address.len(), 1024);
    for address in [
        "/alice/a:b".to_owned(),
        "/alice/ x".to_owned(),
        "/alice/x ".to_owned(),
        "/al ice/x".to_owned(),
        "/-alice/x".to_owned(),
        format!("/alice/{}", segment(256)),
        long_address,
        // Accepted on both sides.
        "/alice/my proj".to_owned(),
        "/alice/café".to_owned(),
        "/alice/x.y-z_1@2+3".to_owned(),
        "/alice/p/config.json".to_owned(),
        format!("/alice/{}", segment(255)),
        longest_address,
    ] {
        let parsed = address.parse::<ResourceName>();
        let (status, body) = raw_create(&server, &token, &address).await;
        match parsed {
            Ok(n) => {
                assert!(
                    (200..300).contains(&status),
                    "{address:?}: the client accepts it, rh-server answered {status} {body}"
                );
                assert_eq!(rns.load(&n).await.expect("load").name(), &n);
                let listed = rns.list(&name("/alice"), true).await.expect("list");
                assert!(
                    listed.entries.iter().any(|e| e.name == n),
                    "{address:?} not listed as itself: {listed:?}"
                );
            }
            Err(e) => {
                assert_eq!(
                    status, 400,
                    "{address:?}: the client refuses it ({e}), rh-server answered {status} {body}"
                );
                let msg = e.to_string();
                assert!(
                    msg.starts_with(&format!("invalid resource name `{address}`: ")),
                    "{msg}"
                );
                assert!(!msg.contains('\n'), "{msg}");
            }
        }
    }
}
