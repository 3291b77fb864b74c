//! `--smtp-url`: share notifications leave the outbox through a real SMTP server (aiosmtpd, started here, writing
//! a Maildir), and a dead mail server neither delays nor fails the share.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Kind, TestDb, backends, payload};

/// A loopback port nobody listens on (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// `python -m aiosmtpd` with the Maildir handler; killed on drop.
struct Smtp {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Smtp {
    /// `None` without the integration services (they provide the Python that has aiosmtpd).
    fn start(dir: &Path) -> Option<Self> {
        if !rh_test::integration() {
            return None;
        }
        let python = rh_test::service_env("RH_TEST_PYTHON")
            .expect("RH_TEST_PYTHON (the tools venv of .ci/services.sh start_tools)");
        let maildir = dir.join("maildir");
        let port = free_port();
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aiosmtpd");
        let mut smtp = Self {
            child,
            port,
            maildir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                smtp.child.try_wait().expect("poll aiosmtpd").is_none(),
                "aiosmtpd exited early (is it installed in RH_TEST_PYTHON's venv?)"
            );
            assert!(Instant::now() < deadline, "aiosmtpd did not listen");
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(smtp)
    }

    /// The messages delivered so far, raw.
    fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir.join("new")) else {
            return Vec::new();
        };
        entries
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .collect()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(v) = probe().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn share_with_bob(db: &TestDb, extra: &[&str]) -> (crate::harness::Server, Duration) {
    let alice = db.user("alice", Some("alice@example.com"));
    db.user("bob", Some("bob@example.com"));
    let server = db.serve_with(extra);
    let (s, _) = server
        .post(
            "/resource",
            &alice,
            &payload("/alice/mailed", &json!({"path": "x"})),
        )
        .await;
    assert_eq!(s, 200);
    let started = Instant::now();
    let (s, body) = server
        .put(
            "/resource/alice:mailed/users/access",
            &alice,
            &json!({"users": ["bob"], "access_type": "write", "notify_users": true}),
        )
        .await;
    let took = started.elapsed();
    assert_eq!(s, 200, "{body}");
    assert_eq!(body["data"]["added_users"]["bob"], "write");
    (server, took)
}

async fn mail_is_sent_and_marked(kind: Kind) {
    let db = TestDb::new(kind).await;
    let Some(smtp) = Smtp::start(db.tmp.path()) else {
        return;
    };
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let (server, _) = share_with_bob(
        &db,
        &["--smtp-url", &url, "--smtp-from", "rh <rh@example.com>"],
    )
    .await;
    let mail = eventually("the mail", async || smtp.messages().pop()).await;
    assert!(mail.contains("To: bob@example.com"), "{mail}");
    assert!(mail.contains("From: rh <rh@example.com>"), "{mail}");
    assert!(
        mail.contains("Subject: alice shared /alice/mailed with you"),
        "{mail}"
    );
    let body = mail
        .split_once("\r\n\r\n")
        .or_else(|| mail.split_once("\n\n"));
    let body = body.expect("headers and body").1;
    assert!(
        body.contains("alice gave you write access to /alice/mailed."),
        "{mail}"
    );
    let sent = eventually("the row marked sent", async || {
        let v = db
            .strings("SELECT sent_at FROM outbox WHERE recipient = 'bob@example.com' AND sent_at IS NOT NULL")
            .await;
        v.into_iter().next()
    })
    .await;
    assert!(sent.ends_with('Z') && sent.len() == 27, "{sent}");
    assert_eq!(
        db.count("SELECT COUNT(*) FROM outbox WHERE attempts = 1 AND last_error IS NULL")
            .await,
        1
    );
    // Sent once: a later pass does not send it again.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(smtp.messages().len(), 1);
    server.stop();
    db.cleanup().await;
}

async fn dead_smtp_keeps_row_pending(kind: Kind) {
    let db = TestDb::new(kind).await;
    if !rh_test::integration() {
        return;
    }
    let url = format!("smtp://mailer:hunter2@127.0.0.1:{}", free_port());
    let (server, took) = share_with_bob(&db, &["--smtp-url", &url]).await;
    assert!(took < Duration::from_secs(3), "share took {took:?}");
    let error = eventually("the recorded error", async || {
        let v = db
            .strings("SELECT last_error FROM outbox WHERE recipient = 'bob@example.com' AND last_error IS NOT NULL")
            .await;
        v.into_iter().next()
    })
    .await;
    assert!(error.starts_with("smtp: "), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
    assert_eq!(
        db.count(
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND attempts = 1 AND next_attempt_at IS NOT NULL"
        )
        .await,
        1
    );
    // Still serving after the failure.
    let (s, _) = server.get("/health", "unused").await;
    assert_eq!(s, 200);
    server.stop();
    db.cleanup().await;
}

#[tokio::test]
async fn notifications_go_out_by_smtp() {
    for kind in backends() {
        mail_is_sent_and_marked(kind).await;
    }
}

#[tokio::test]
async fn unreachable_smtp_never_fails_a_share() {
    for kind in backends() {
        dead_smtp_keeps_row_pending(kind).await;
    }
}

#[tokio::test]
async fn bad_smtp_url_is_refused_at_start() {
    let db = TestDb::new(Kind::Sqlite).await;
    let out = db.cli(&[
        "serve",
        "--smtp-url",
        "http://u:hunter2@h",
        "--bind",
        "127.0.0.1:0",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = rh_test::stderr(&out);
    assert!(err.contains("invalid smtp url http://u:****@h"), "{err}");
    assert!(!err.contains("hunter2"), "{err}");
}
