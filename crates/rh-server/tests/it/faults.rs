//! Faults under load: rh-server killed with SIGKILL mid-load, its PostgreSQL restarted under it, its Vault
//! stopped. PostgreSQL and OpenBao here are PRIVATE instances on their own ports and temp dirs, never the shared
//! ones.
#![expect(
    clippy::print_stderr,
    reason = "the figures RELIABILITY.md reports go to the test output"
)]

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::driver::{self, User};
use crate::harness::{BIN, Kind, Server, TestDb, assert_error, backends, isolate, payload};
use crate::load::{config, users};

/// Clients keep writing until the server dies: every acknowledged write is there after a restart on the same
/// data (or the write that was in flight), deletes stay deleted, acknowledged shares still hold. On SQLite once
/// per `--sqlite-synchronous` mode (the batched writer acknowledges after its COMMIT in both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_sigkill_mid_load() {
    let mut runs: Vec<(Kind, &[&str])> = vec![
        (Kind::Sqlite, &["--sqlite-synchronous", "full"]),
        (Kind::Sqlite, &["--sqlite-synchronous", "normal"]),
    ];
    runs.extend(
        backends()
            .into_iter()
            .filter(|k| *k == Kind::Postgres)
            .map(|k| (k, &[][..])),
    );
    for (kind, flags) in runs {
        let db = TestDb::new(kind).await;
        let users = users(&db, &["ann", "ben", "cat"]);
        let mut keys = Vec::new();
        let mut acked = 0;
        let mut server = db.serve_with(flags);
        for round in 0..3 {
            let mut cfg = config(&server.url, &users, 12, 60, &format!("kill{round}"));
            cfg.stop_on_transport_error = true;
            let load = tokio::spawn(async move { driver::run(&cfg).await });
            tokio::time::sleep(Duration::from_millis(1500)).await;
            server.stop(); // Child::kill is SIGKILL
            let r = tokio::time::timeout(Duration::from_secs(40), load)
                .await
                .expect("the clients stop once the server is gone")
                .expect("load task");
            assert_eq!(r.error_count, 0, "{kind:?}: {:#?}", r.errors);
            assert_eq!(r.stopped, 12, "{kind:?}: every client saw the server go");
            assert!(r.acked_writes() > 0, "{kind:?}: nothing was written");
            acked += r.acked_writes();
            keys.extend(r.keys);
            // Restart on the same data: it must start without repair and show every acknowledged write.
            server = db.serve_with(flags);
            let v = driver::verify(&server.url, &users, &keys).await;
            assert!(
                v.errors.is_empty(),
                "{kind:?} round {round}: {:#?}",
                v.errors
            );
            eprintln!(
                "{kind:?} {flags:?} kill {round}: {acked} acknowledged writes so far, {} keys read back ({} written), \
                 {} in-flight writes found applied",
                v.keys, v.written_keys, v.pending_applied
            );
        }
        // And it takes a normal load again.
        let r = driver::run(&config(&server.url, &users, 4, 1, "after")).await;
        assert_eq!(r.error_count, 0, "{kind:?}: {:#?}", r.errors);
        server.stop();
        db.cleanup().await;
    }
}

/// The newest `/usr/lib/postgresql/<v>/bin`.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| Some(e.ok()?.path().join("bin")))
        .filter(|p| p.join("pg_ctl").is_file())
        .collect();
    dirs.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name()?.to_str()?.parse::<u32>().ok())
            .unwrap_or(0)
    });
    dirs.pop()
}

pub(crate) fn free_port() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let port = l.local_addr().expect("local addr").port();
        // OpenBao's dev mode also binds port + 1.
        if port < u16::MAX && std::net::TcpListener::bind(("127.0.0.1", port + 1)).is_ok() {
            return port;
        }
    }
}

/// A private PostgreSQL cluster (initdb in a temp dir, own port), as `.ci/services.sh start_postgres` makes
/// one; stopped on drop.
struct PrivatePg {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

impl PrivatePg {
    fn new(bin: PathBuf) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("rh-fault-pg-")
            .tempdir()
            .expect("temp dir");
        // Root cannot run postgres: hand the dir to the postgres account, as services.sh does.
        let as_postgres = std::fs::metadata(dir.path()).expect("stat").uid() == 0;
        if as_postgres {
            let st = Command::new("chown")
                .args(["postgres:postgres"])
                .arg(dir.path())
                .status()
                .expect("chown");
            assert!(st.success(), "chown the cluster dir to postgres");
        }
        let pg = Self {
            dir,
            bin,
            port: free_port(),
            as_postgres,
        };
        let data = pg.data();
        pg.run(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ],
        );
        pg.start();
        pg
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run a PostgreSQL tool");
        assert!(
            out.status.success(),
            "{tool} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let log = self.dir.path().join("postgres.log").display().to_string();
        let opts = format!(
            "-c port={} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c fsync=off",
            self.port,
            self.dir.path().display()
        );
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-w",
                "-t",
                "60",
                "-o",
                &opts,
                "start",
            ],
        );
    }

    /// Fast shutdown: open sessions are cut.
    fn stop(&self) {
        self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "fast", "-w", "-t", "60", "stop"],
        );
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for PrivatePg {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let data = self.data();
        let mut cmd = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let _ = cmd
            .args(["-D", &data, "-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

fn create_user(db_args: &[String], home: &Path, name: &str) -> User {
    let mut cmd = Command::new(BIN);
    cmd.args(["user", "create", name]).args(db_args);
    isolate(&mut cmd, home);
    let out = cmd.output().expect("run rh-server user create");
    assert!(
        out.status.success(),
        "user create: {}",
        rh_test::stderr(&out)
    );
    User {
        name: name.to_owned(),
        token: rh_test::stdout(&out).trim().to_owned(),
    }
}

/// A failed call is a 5xx with a one-line JSON `detail`.
#[track_caller]
fn assert_clean_failure(got: &(u16, Value), took: Duration, bound: Duration) {
    assert!((500..600).contains(&got.0), "wanted a 5xx, got {got:?}");
    let detail = got.1["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {got:?}"));
    assert!(!detail.is_empty() && !detail.contains('\n'), "{detail:?}");
    assert!(took < bound, "the failure took {took:?}");
}

/// PostgreSQL goes away under a running rh-server and comes back: requests fail cleanly meanwhile and the
/// server serves again without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rh_server_rides_out_a_postgresql_restart() {
    if !rh_test::integration() {
        return;
    }
    // The test command installs PostgreSQL (`.ci/services.sh start_postgres`): missing is a failure.
    let bin = pg_bin().expect("no PostgreSQL (pg_ctl) under /usr/lib/postgresql");
    let pg = PrivatePg::new(bin);
    let home = tempfile::tempdir().expect("home");
    let db_args = vec!["--database-url".to_owned(), pg.url()];
    let users = vec![
        create_user(&db_args, home.path(), "ann"),
        create_user(&db_args, home.path(), "ben"),
    ];
    let mut args: Vec<String> = vec!["serve".into(), "--bind".into(), "127.0.0.1:0".into()];
    args.extend(db_args.iter().cloned());
    let s = Server::start(&args, home.path());
    let ann = &users[0].token;
    // Warm the pool with a short load, so it holds connections that the restart will cut.
    let r = driver::run(&config(&s.url, &users, 8, 1, "before")).await;
    assert_eq!(r.error_count, 0, "{:#?}", r.errors);
    assert_eq!(
        s.post("/resource", ann, &payload("/ann/kept", &json!({"n": 1})))
            .await
            .0,
        200
    );

    pg.stop();
    // Concurrent calls while it is down: those on cut connections fail at once, the others after the pool's
    // bounded wait for a connection; each is a 503 with a one-line detail.
    let mut calls = Vec::new();
    for i in 0..12 {
        let (url, token) = (s.url.clone(), ann.clone());
        calls.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let req = match i % 3 {
                0 => http.get(format!("{url}/resource/ann:kept")),
                1 => http
                    .put(format!("{url}/resource/ann:kept"))
                    .json(&payload("/ann/kept", &json!({"n": i}))),
                _ => http.get(format!("{url}/resource?folder=/ann")),
            };
            let t0 = Instant::now();
            let res = req.bearer_auth(token).send().await.expect("an answer");
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or(Value::Null);
            ((status, body), t0.elapsed())
        }));
    }
    let mut failures = 0;
    let mut slowest = Duration::ZERO;
    for c in calls {
        let (got, took) = c.await.expect("call task");
        assert_clean_failure(&got, took, Duration::from_secs(15));
        assert_error(&got, 503, "database is unavailable");
        failures += 1;
        slowest = slowest.max(took);
    }
    // Once every pooled connection is gone, a call waits for the pool's acquire timeout (10 s), then answers 503.
    for _ in 0..20 {
        let t0 = Instant::now();
        let got = s.get("/resource/ann:kept", ann).await;
        let waited = t0.elapsed();
        assert_clean_failure(&got, waited, Duration::from_secs(15));
        assert_error(&got, 503, "database is unavailable");
        failures += 1;
        slowest = slowest.max(waited);
        if waited > Duration::from_secs(1) {
            break;
        }
    }
    // The process is still there and answers what needs no database.
    assert_eq!(s.call("GET", "/health", None, None).await.0, 200);

    pg.start();
    let t0 = Instant::now();
    loop {
        let got = s.get("/resource/ann:kept", ann).await;
        if got.0 == 200 {
            assert_eq!(got.1["data"]["data"]["n"], 1);
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "not serving again 10 s after PostgreSQL came back: {got:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let back = t0.elapsed();
    // Every request of a load right after succeeds: no dead connection is handed out any more.
    let r = driver::run(&config(&s.url, &users, 8, 2, "after")).await;
    assert_eq!(r.error_count, 0, "{:#?}", r.errors);
    eprintln!(
        "PostgreSQL restart: {failures} clean 503s while down (slowest {slowest:?}), serving again {back:?} \
         after it came back, then {} ops without error",
        r.ops()
    );
    s.stop();
}

/// OpenBao's binary: `RH_TEST_BAO`, or where `.ci/services.sh` installs it.
pub(crate) fn bao_bin() -> Option<PathBuf> {
    let p = rh_test::service_env("RH_TEST_BAO").map_or_else(
        || PathBuf::from("/opt/ci-svc/venv-bao/bin/bao"),
        PathBuf::from,
    );
    p.is_file().then_some(p)
}

/// A private OpenBao dev server (in-memory, own port and root token); killed on drop.
pub(crate) struct PrivateBao {
    child: Child,
}

impl PrivateBao {
    pub(crate) async fn start(bin: &Path, port: u16, token: &str, home: &Path) -> Self {
        Self::start_with(bin, port, token, home, &[]).await
    }

    /// [`PrivateBao::start`] with more arguments for `bao server` (e.g. `-config=FILE`).
    pub(crate) async fn start_with(
        bin: &Path,
        port: u16,
        token: &str,
        home: &Path,
        extra: &[String],
    ) -> Self {
        let mut cmd = Command::new(bin);
        cmd.args(["server", "-dev", "-dev-no-store-token"])
            .args(extra)
            .arg(format!("-dev-root-token-id={token}"))
            .arg(format!("-dev-listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        isolate(&mut cmd, home);
        let child = cmd.spawn().expect("spawn bao");
        let bao = Self { child };
        let http = reqwest::Client::new();
        let t0 = Instant::now();
        loop {
            let up = http
                .get(format!("http://127.0.0.1:{port}/v1/sys/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if up {
                return bao;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "OpenBao did not start on {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateBao {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Vault stops under a running rh-server: secret calls fail quickly with a one-line 503, resource calls keep
/// working; when Vault is back (empty: dev mode) secret calls work again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_calls_fail_cleanly_while_vault_is_down() {
    if !rh_test::integration() {
        return;
    }
    let bin =
        bao_bin().expect("no bao binary: set RH_TEST_BAO (`.ci/services.sh start_vault` does)");
    let db = TestDb::new(backends()[0]).await;
    let port = free_port();
    let vtoken = format!("fault-{}", rh_server::token::random_id().expect("random"));
    let mut bao = PrivateBao::start(&bin, port, &vtoken, &db.home()).await;
    let token_file = db.tmp.path().join("vault-token");
    std::fs::write(&token_file, format!("{vtoken}\n")).expect("write the token file");
    let addr = format!("http://127.0.0.1:{port}");
    let tf = token_file.display().to_string();
    let users = users(&db, &["ann", "ben"]);
    let ann = &users[0].token;
    let s = db.serve_with(&[
        "--vault-addr",
        &addr,
        "--vault-token-file",
        &tf,
        "--allow-root-vault-token",
    ]);
    let secret = json!({"password": "pw-1"});
    assert_eq!(s.put("/user/secret/db", ann, &secret).await.0, 200);
    assert_eq!(s.get("/user/secret/db", ann).await.0, 200);

    bao.stop();
    for path in ["/user/secret/db", "/user/secret", "/user/secret/db/history"] {
        let t0 = Instant::now();
        let got = s.get(path, ann).await;
        assert_clean_failure(&got, t0.elapsed(), Duration::from_secs(3));
        assert_error(&got, 503, "Vault");
    }
    let t0 = Instant::now();
    let got = s.put("/user/secret/db", ann, &secret).await;
    assert_clean_failure(&got, t0.elapsed(), Duration::from_secs(3));
    // Resources do not need Vault.
    let r = driver::run(&config(&s.url, &users, 4, 2, "novault")).await;
    assert_eq!(r.error_count, 0, "{:#?}", r.errors);

    let _bao = PrivateBao::start(&bin, port, &vtoken, &db.home()).await;
    assert_eq!(
        s.get("/user/secret/db", ann).await.0,
        404,
        "dev mode starts empty"
    );
    assert_eq!(s.put("/user/secret/db", ann, &secret).await.0, 200);
    let (st, body) = s.get("/user/secret/db", ann).await;
    assert_eq!((st, &body["data"]["db"]), (200, &secret));
    eprintln!(
        "Vault stop: 4 clean 503s, then {} resource ops without error",
        r.ops()
    );
    s.stop();
    db.cleanup().await;
}
