//! SQLite's batched writer (group commit): one failing write in a batch fails only itself, and an acknowledged
//! write is durable under `--sqlite-synchronous full` (a simulated power cut: a copy of the files taken with
//! the process stopped right after an fsync).
#![expect(
    clippy::print_stderr,
    reason = "the figures of the power-cut run go to the test output"
)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::harness::{BIN, Kind, TestDb, isolate, payload};

/// Many concurrent writes, some of which must fail (duplicate creates, a reader's update, an update of a
/// resource the caller cannot see, a create under another owner): each failure is its own, every success is
/// stored and readable, and each success has its audit row while no failure has one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_writes_in_a_batch_fail_alone() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let bob = db.user("bob", None);
    let s = Arc::new(db.serve());
    for (name, n) in [("/alice/shared", -1), ("/alice/private", -1)] {
        assert_eq!(
            s.post("/resource", &alice, &payload(name, &json!({ "n": n })))
                .await
                .0,
            200
        );
    }
    let share = json!({"users": ["bob"], "access_level": "read", "notify_users": false});
    assert_eq!(
        s.put("/resource/alice:shared/users/access", &alice, &share)
            .await
            .0,
        200
    );
    let audit_before = db.count("SELECT COUNT(*) FROM audit_log").await;

    // (what, expected status, method, path, token, body)
    let mut calls: Vec<(String, u16, &str, String, String, Value)> = Vec::new();
    for i in 0..30 {
        let p = payload(&format!("/alice/n{i}"), &json!({ "n": i }));
        calls.push((
            format!("create n{i}"),
            200,
            "POST",
            "/resource".into(),
            alice.clone(),
            p,
        ));
    }
    for i in 0..10 {
        for copy in 0..3 {
            let p = payload(&format!("/alice/d{i}"), &json!({ "copy": copy }));
            // One of the three creates wins; which one is the writer's order.
            calls.push((
                format!("dup d{i}"),
                0,
                "POST",
                "/resource".into(),
                alice.clone(),
                p,
            ));
        }
    }
    for i in 0..10 {
        let shared = payload("/alice/shared", &json!({ "n": 100 + i }));
        calls.push((
            format!("reader's update {i}"),
            403,
            "PUT",
            "/resource/alice:shared".into(),
            bob.clone(),
            shared,
        ));
        let private = payload("/alice/private", &json!({ "n": 200 + i }));
        calls.push((
            format!("hidden update {i}"),
            404,
            "PUT",
            "/resource/alice:private".into(),
            bob.clone(),
            private,
        ));
        let own = payload("/alice/shared", &json!({ "n": i }));
        calls.push((
            format!("owner's update {i}"),
            200,
            "PUT",
            "/resource/alice:shared".into(),
            alice.clone(),
            own,
        ));
        let foreign = payload(&format!("/alice/bob{i}"), &json!({}));
        calls.push((
            format!("foreign create {i}"),
            403,
            "POST",
            "/resource".into(),
            bob.clone(),
            foreign,
        ));
    }
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|(what, want, method, path, token, body)| {
            let s = Arc::clone(&s);
            tokio::spawn(async move {
                let got = s.call(method, &path, Some(&token), Some(&body)).await;
                (what, want, got)
            })
        })
        .collect();
    let mut successes = 0;
    let mut dup_wins = std::collections::HashMap::<String, usize>::new();
    for t in tasks {
        let (what, want, got) = t.await.expect("call task");
        if want == 0 {
            assert!(
                got.0 == 200 || got.0 == 409,
                "{what}: wanted 200 or 409, got {got:?}"
            );
            if got.0 == 200 {
                *dup_wins.entry(what).or_default() += 1;
            }
        } else {
            assert_eq!(got.0, want, "{what}: {got:?}");
        }
        if got.0 == 200 {
            successes += 1;
        }
    }
    assert_eq!(dup_wins.len(), 10, "{dup_wins:?}");
    assert!(dup_wins.values().all(|n| *n == 1), "{dup_wins:?}");
    assert_eq!(successes, 30 + 10 + 10);

    for i in 0..30 {
        let (st, body) = s.get(&format!("/resource/alice:n{i}"), &alice).await;
        assert_eq!((st, &body["data"]["data"]["n"]), (200, &json!(i)), "n{i}");
    }
    for i in 0..10 {
        let (st, body) = s.get(&format!("/resource/alice:d{i}"), &alice).await;
        assert_eq!(st, 200, "d{i}: {body}");
        assert!(body["data"]["data"]["copy"].is_i64(), "d{i}: {body}");
    }
    let (_, private) = s.get("/resource/alice:private", &alice).await;
    assert_eq!(private["data"]["data"]["n"], -1, "no hidden update landed");
    let versions = db
        .count("SELECT COUNT(*) FROM resource_history WHERE uri = 'alice:shared'")
        .await;
    assert_eq!(versions, 1 + 10, "the create and the owner's ten updates");
    let (_, now) = s.get("/resource/alice:shared", &alice).await;
    let n = now["data"]["data"]["n"].as_i64().expect("a number");
    assert!(
        (0..10).contains(&n),
        "an owner's value, not a reader's: {n}"
    );
    let audit_after = db.count("SELECT COUNT(*) FROM audit_log").await;
    assert_eq!(
        audit_after - audit_before,
        successes,
        "an audit row for each success and none for a failure"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM resources WHERE uri LIKE 'alice:bob%'")
            .await,
        0
    );
    drop(s);
    db.cleanup().await;
}

/// Whether every thread of `pid` is stopped (a group stop; a tracer's syscall stop holds one thread only).
fn all_threads_stopped(pid: u32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    let mut any = false;
    for t in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(t.path().join("stat")) else {
            return false;
        };
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, r)| r.trim_start().chars().next());
        if !matches!(state, Some('T' | 't')) {
            return false;
        }
        any = true;
    }
    any
}

/// The pid of the first child of `pid` (the server that strace started).
fn child_of(pid: u32) -> Option<u32> {
    let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
    kids.split_whitespace().next()?.parse().ok()
}

/// A simulated power cut under `--sqlite-synchronous full`. The server runs under strace, which sends it
/// SIGSTOP on its 60th fsync/fdatasync; the signal is delivered when that call returns, so the process freezes
/// right after an fsync, before it can acknowledge the batch that fsync made durable or write anything more.
/// The database files (db and -wal; the -shm index is rebuilt) are copied then: what they hold is what the
/// fsyncs made durable. A fresh server on the copy must show every write acknowledged before the freeze, and
/// SQLite must find the copy intact. (What this does not prove: that the disk honours fsync; a copy of the
/// page cache at an fsync boundary stands for the platter.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_a_power_cut_under_full() {
    if !rh_test::integration() {
        return;
    }
    let strace = Path::new("/usr/bin/strace");
    assert!(
        strace.is_file(),
        "no /usr/bin/strace (`.ci/services.sh start_tools` installs it)"
    );
    let db = TestDb::new(Kind::Sqlite).await;
    let ann = db.user("ann", None);
    let data = db.data_dir();
    let mut cmd = Command::new(strace);
    cmd.args([
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "trace=fsync,fdatasync",
    ])
    .args(["-e", "inject=fsync,fdatasync:signal=SIGSTOP:when=60"])
    .arg(BIN)
    .args([
        "serve",
        "--bind",
        "127.0.0.1:0",
        "--sqlite-synchronous",
        "full",
    ])
    .arg("--data-dir")
    .arg(&data)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit());
    isolate(&mut cmd, &db.home());
    let mut tracer = cmd.spawn().expect("spawn strace");
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(tracer.stdout.take().expect("stdout")),
        &mut line,
    )
    .expect("read the server url");
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    let server = child_of(tracer.id()).expect("the server process under strace");

    // Writers: each creates its own resources one after another and records each acknowledged one.
    let acked: Arc<Mutex<Vec<(String, i64)>>> = Arc::default();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let clients: Vec<_> = (0..16)
        .map(|c| {
            let (http, url, ann, acked) = (http.clone(), url.clone(), ann.clone(), acked.clone());
            tokio::spawn(async move {
                for i in 0..2000 {
                    let name = format!("/ann/pc{c}-{i}");
                    let body = payload(&name, &json!({ "n": i }));
                    let sent = http
                        .post(format!("{url}/resource"))
                        .bearer_auth(&ann)
                        .json(&body)
                        .send()
                        .await;
                    match sent {
                        Ok(r) if r.status().as_u16() == 200 => {
                            acked.lock().expect("lock").push((name, i));
                        }
                        _ => return,
                    }
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    let mut stopped_polls = 0;
    while stopped_polls < 3 {
        stopped_polls = if all_threads_stopped(server) {
            stopped_polls + 1
        } else {
            0
        };
        assert!(
            t0.elapsed() < Duration::from_mins(1),
            "the server did not reach its 60th fsync"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let copy = db.tmp.path().join("copy");
    std::fs::create_dir_all(&copy).expect("copy dir");
    for suffix in ["", "-wal"] {
        let from = data.join(format!("rh-server.db{suffix}"));
        if from.exists() {
            std::fs::copy(&from, copy.join(format!("rh-server.db{suffix}"))).expect("copy");
        }
    }
    // The power cut: the process goes without running again.
    let _ = Command::new("kill")
        .args(["-KILL", &server.to_string()])
        .status();
    let _ = tracer.kill();
    let _ = tracer.wait();
    for c in clients {
        let _ = c.await;
    }
    // Every acknowledgement any client got was sent before the freeze.
    let acked = acked.lock().expect("lock").clone();
    assert!(
        acked.len() > 20,
        "too few writes before the cut: {}",
        acked.len()
    );

    let conn = rusqlite::Connection::open(copy.join("rh-server.db")).expect("open the copy");
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(check, "ok");
    let stored: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM resources WHERE uri LIKE 'ann:pc%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    drop(conn);

    let mut args: Vec<String> = vec!["serve".into(), "--bind".into(), "127.0.0.1:0".into()];
    args.extend(["--data-dir".into(), copy.display().to_string()]);
    let fresh = crate::harness::Server::start(&args, &db.home());
    for (name, n) in &acked {
        let uri = name.trim_start_matches('/').replacen('/', ":", 1);
        let (st, body) = fresh.get(&format!("/resource/{uri}"), &ann).await;
        assert_eq!(
            (st, &body["data"]["data"]["n"]),
            (200, &json!(n)),
            "acknowledged {name} is not in the copy"
        );
    }
    eprintln!(
        "power cut under full: {} acknowledged creates before the freeze, all in the copy ({stored} stored)",
        acked.len()
    );
    fresh.stop();
    db.cleanup().await;
}

/// Under `--sqlite-synchronous normal` a write with no other under way runs inline on the request's thread
/// (issue 17): one after another, successes and failures alike keep the rules (a refused write stores
/// nothing and has no audit row; each success has its version and audit row); and while another process
/// holds SQLite's write lock, an inline write does not fail or block a runtime thread: it goes to the writer
/// thread, whose batch waits for the lock, and is acknowledged once the lock is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lone_writes_under_normal_keep_the_rules_and_wait_for_another_process() {
    let db = TestDb::new(Kind::Sqlite).await;
    let alice = db.user("alice", None);
    let bob = db.user("bob", None);
    let s = db.serve_with(&["--sqlite-synchronous", "normal"]);
    assert_eq!(
        s.post(
            "/resource",
            &alice,
            &payload("/alice/lone", &json!({ "n": 0 }))
        )
        .await
        .0,
        200
    );
    let audit_before = db.count("SELECT COUNT(*) FROM audit_log").await;
    for i in 1..=5 {
        let own = payload("/alice/lone", &json!({ "n": i }));
        assert_eq!(s.put("/resource/alice:lone", &alice, &own).await.0, 200);
        // Unchanged (422), hidden (404), and a duplicate create (409): each a lone write that fails alone.
        assert_eq!(s.put("/resource/alice:lone", &alice, &own).await.0, 422);
        let foreign = payload("/alice/lone", &json!({ "n": 100 + i }));
        assert_eq!(s.put("/resource/alice:lone", &bob, &foreign).await.0, 404);
        assert_eq!(s.post("/resource", &alice, &own).await.0, 409);
    }
    assert_eq!(
        db.count("SELECT COUNT(*) FROM audit_log").await - audit_before,
        5,
        "an audit row for each success and none for a failure"
    );
    assert_eq!(
        db.count("SELECT COUNT(*) FROM resource_history WHERE uri = 'alice:lone'")
            .await,
        6
    );

    // Another process takes the write lock for a while.
    let file = db.data_dir().join("rh-server.db");
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let conn = rusqlite::Connection::open(&file).expect("open");
        conn.execute_batch("BEGIN IMMEDIATE")
            .expect("take the write lock");
        locked_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_millis(700));
        conn.execute_batch("COMMIT").expect("release");
    });
    locked_rx.recv().expect("the lock is held");
    let t0 = Instant::now();
    let (st, body) = s
        .put(
            "/resource/alice:lone",
            &alice,
            &payload("/alice/lone", &json!({ "n": 42 })),
        )
        .await;
    let waited = t0.elapsed();
    holder.join().expect("lock holder");
    assert_eq!(st, 200, "{body}");
    assert!(
        waited >= Duration::from_millis(300),
        "acknowledged while another process held the lock: {waited:?}"
    );
    let (_, now) = s.get("/resource/alice:lone", &alice).await;
    assert_eq!(now["data"]["data"]["n"], 42);
    // And inline again once the writer is idle.
    let after = payload("/alice/lone", &json!({ "n": 43 }));
    assert_eq!(s.put("/resource/alice:lone", &alice, &after).await.0, 200);
    drop(s);
    db.cleanup().await;
}
