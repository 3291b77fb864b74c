//! `rh-server backup FILE`: an online copy of the SQLite database while a server writes to it, restored by
//! starting a server on the copy.

use std::os::unix::fs::PermissionsExt as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::json;

use crate::harness::{Kind, Server, TestDb, isolate, payload};

#[tokio::test]
async fn backup_under_concurrent_writes_restores_to_a_working_server() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let server = Arc::new(db.serve());
    // Writers keep creating resources while the backup runs.
    let stop = Arc::new(AtomicBool::new(false));
    let written = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (server, alice, stop, written) =
                (server.clone(), alice.clone(), stop.clone(), written.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::SeqCst) {
                    n += 1;
                    let name = format!("/alice/w{w}-{n}");
                    let got = server
                        .post("/resource", &alice, &payload(&name, &json!({"n": n})))
                        .await;
                    assert_eq!(got.0, 200, "{got:?}");
                    written.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    while written.load(Ordering::SeqCst) < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let before = written.load(Ordering::SeqCst);
    let copy = db.tmp.path().join("during.db");
    let out = db.cli(&["backup", copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    let after = written.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    for w in writers {
        w.await.expect("writer");
    }
    assert_eq!(
        std::fs::metadata(&copy).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // The copy taken under load holds every write acknowledged before it started, and no more than were
    // acknowledged by its end: one consistent snapshot.
    let restored = restore(&db, &copy, "restored-during");
    let rows = rows_of(&restored.1).len();
    let (s, body) = restored.0.get("/resource/alice:w0-1", &alice).await;
    assert_eq!(
        (s, &body["data"]["data"]["n"]),
        (200, &json!(1)),
        "the restored server serves"
    );
    assert!(
        (before..=after + 4).contains(&rows),
        "the copy has {rows} resources; {before} were written before it, {after} by its end"
    );

    // Quiescent: a second copy equals the live database row for row, and a server on it serves them.
    let copy2 = db.tmp.path().join("after.db");
    let out = db.cli(&["backup", copy2.to_str().unwrap()]);
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    let live = db
        .strings("SELECT uri || ' ' || config FROM resources ORDER BY uri")
        .await;
    let restored2 = restore(&db, &copy2, "restored-after");
    let copied = rows_of(&restored2.1);
    assert_eq!(copied, live, "the restored rows equal the live ones");
    let (s, body) = restored2.0.get("/resource/alice:w0-1", &alice).await;
    assert_eq!((s, &body["data"]["data"]["n"]), (200, &json!(1)));

    // An existing file is never replaced, and PostgreSQL is sent to pg_dump.
    let out = db.cli(&["backup", copy2.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        rh_test::stderr(&out).contains("already exists"),
        "{}",
        rh_test::stderr(&out)
    );
    let mut cmd = std::process::Command::new(crate::harness::BIN);
    cmd.args([
        "backup",
        "/tmp/never-written.db",
        "--database-url",
        "postgres://u@127.0.0.1:1/x",
    ]);
    isolate(&mut cmd, &db.home());
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        rh_test::stderr(&out).contains("pg_dump"),
        "{}",
        rh_test::stderr(&out)
    );
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
    drop(restored);
    drop(restored2);
    db.cleanup().await;
}

/// A server on a copy: the copy becomes `rh-server.db` of a fresh data dir.
fn restore(db: &TestDb, copy: &std::path::Path, name: &str) -> (Server, std::path::PathBuf) {
    let dir = db.tmp.path().join(name);
    std::fs::create_dir(&dir).unwrap();
    std::fs::copy(copy, dir.join("rh-server.db")).unwrap();
    let args: Vec<String> = vec![
        "serve".into(),
        "--bind".into(),
        "127.0.0.1:0".into(),
        "--data-dir".into(),
        dir.display().to_string(),
    ];
    (Server::start(&args, &db.home()), dir)
}

fn rows_of(dir: &std::path::Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(dir.join("rh-server.db")).unwrap();
    let mut stmt = conn
        .prepare("SELECT uri || ' ' || config FROM resources ORDER BY uri")
        .unwrap();
    stmt.query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}
