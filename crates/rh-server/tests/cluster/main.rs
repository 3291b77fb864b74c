//! Several rh-server processes on one PostgreSQL behind HAProxy, each in its own network namespace
//! ([`net::Cluster`]): load through the balancer with an instance SIGKILLed and restarted mid-load,
//! read-your-writes across instances, the read cache kept coherent by NOTIFY, concurrent migrations, the
//! failed-authentication limit across instances and `X-Forwarded-For` trust, and a `pg_dump` restore.
//!
//! Needs root and `ip netns` (skipped with a printed reason otherwise), HAProxy and PostgreSQL (a failure
//! under `RH_TEST_INTEGRATION=1`, where `cargo xtask test` installs them; skipped without).

#[allow(
    dead_code,
    reason = "shared with `cargo xtask cluster`, which uses other parts"
)]
mod net;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::{Duration, Instant};

use net::{Cluster, Options};
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_rh-server");
const INSTANCES: usize = 3;
const CLIENTS: usize = 64;
/// `--auth-fail-limit` of every instance.
const LIMIT: usize = 3;
/// The instance killed mid-load.
const VICTIM: usize = 1;

#[expect(clippy::print_stderr, reason = "a skipped test says why")]
fn skip(why: &str) {
    eprintln!("cluster test skipped: {why}");
}

#[expect(
    clippy::print_stderr,
    reason = "the measured numbers go to the test log"
)]
fn report(line: &str) {
    eprintln!("{line}");
}

fn payload(address: &str, data: &Value) -> Value {
    json!({"name": address, "resource_type": "blob", "data": data})
}

/// Runs a blocking step on this multi-threaded runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn psql(cluster: &Cluster, db: &str, sql: &str) -> String {
    let bin = net::pg_bin().expect("PostgreSQL");
    let out = Command::new(bin.join("psql"))
        .args(["-d", &cluster.database_url(db), "-qAtc", sql])
        .output()
        .expect("run psql");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// One request's outcome in the load phase.
struct Outcome {
    started: u8,
    status: Option<u16>,
    server: String,
    what: String,
}

/// Phases of the load: before the kill, killed, restarted.
const BEFORE: u8 = 0;

async fn send(
    http: &reqwest::Client,
    req: reqwest::RequestBuilder,
) -> Result<(u16, String, Value), String> {
    let _ = http;
    let res = req.send().await.map_err(|e| format!("{e:?}"))?;
    let status = res.status().as_u16();
    let server = res
        .headers()
        .get("x-rh-server")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = res.bytes().await.map_err(|e| e.to_string())?;
    Ok((
        status,
        server,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// One client: creates resources through the balancer and reads back its earlier ones, until `stop`.
async fn client(
    c: usize,
    lb: String,
    token: String,
    phase: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
) -> (Vec<Outcome>, Vec<(String, i64)>) {
    // A new connection for each request: a request on a reused keep-alive connection can race HAProxy
    // closing it, which would look like a failure of a request that never reached an instance.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("http client");
    let mut outcomes = Vec::new();
    let mut acked: Vec<(String, i64)> = Vec::new();
    let mut n: i64 = 0;
    while !stop.load(Ordering::SeqCst) {
        n += 1;
        let started = phase.load(Ordering::SeqCst);
        let read = n % 3 == 0 && !acked.is_empty();
        let (what, result) = if read {
            let (name, want) = acked[usize::try_from(n).unwrap_or(0) % acked.len()].clone();
            let got = send(
                &http,
                http.get(format!("{lb}/resource/alice:{name}"))
                    .bearer_auth(&token)
                    .header("x-request-id", format!("c{c}-{n}")),
            )
            .await;
            let got = got.map(|(s, server, body)| {
                if s == 200 {
                    assert_eq!(
                        body["data"]["data"]["n"], want,
                        "{name} read back through {server}: {body}"
                    );
                }
                (s, server)
            });
            (format!("c{c}-{n} GET {name}"), got)
        } else {
            let name = format!("c{c}-{n}");
            let got = send(
                &http,
                http.post(format!("{lb}/resource"))
                    .bearer_auth(&token)
                    .header("x-request-id", format!("c{c}-{n}"))
                    .json(&payload(&format!("/alice/{name}"), &json!({"n": n}))),
            )
            .await
            .map(|(s, server, _)| (s, server));
            if matches!(got, Ok((200, _))) {
                acked.push((name.clone(), n));
            }
            (format!("c{c}-{n} POST {name}"), got)
        };
        let (status, server) = match result {
            Ok((s, server)) => (Some(s), server),
            Err(e) => (None, e),
        };
        outcomes.push(Outcome {
            started,
            status,
            server,
            what,
        });
    }
    (outcomes, acked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_behind_haproxy() {
    if let Some(why) = net::unsupported() {
        let essential = why.starts_with("not root") || why.contains("ip netns");
        assert!(
            essential || !rh_test::integration(),
            "RH_TEST_INTEGRATION=1 but {why}"
        );
        skip(&why);
        return;
    }
    let dir = tempfile::Builder::new()
        .prefix("rh-cluster-")
        .tempdir()
        .expect("temp dir");
    let opts = Options {
        bin: BIN.into(),
        dir: dir.path().join("cluster"),
        instances: INSTANCES,
        serve_args: [
            "--read-cache-ms",
            "1000",
            "--auth-fail-limit",
            &LIMIT.to_string(),
            "--auth-fail-window",
            "600",
        ]
        .iter()
        .map(ToString::to_string)
        .collect(),
        detach: false,
    };
    // All instances start at once on the empty database: they migrate concurrently.
    let mut cluster = blocking(|| Cluster::up(opts)).unwrap_or_else(|e| panic!("cluster up: {e}"));
    let k = cluster.k;
    let lb = cluster.url();
    assert_eq!(
        psql(
            &cluster,
            net::DB_NAME,
            "SELECT COUNT(*) || ' ' || COUNT(DISTINCT version) || ' ' || COUNT(*) FILTER (WHERE success) \
             FROM _sqlx_migrations"
        ),
        "7 7 7",
        "each migration applied once, whichever instance won"
    );

    let out = Command::new(BIN)
        .args(["user", "create", "alice", "--database-url"])
        .arg(cluster.database_url(net::DB_NAME))
        .env_clear()
        .env("HOME", dir.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("user create");
    assert!(out.status.success(), "{}", rh_test::stderr(&out));
    let token = rh_test::stdout(&out).trim().to_owned();
    let http = reqwest::Client::new();

    read_your_writes_and_notify(&cluster, &http, &token).await;

    // Load: 64 clients through HAProxy; one instance is SIGKILLed, then restarted.
    let phase = Arc::new(AtomicU8::new(BEFORE));
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            tokio::spawn(client(
                c,
                lb.clone(),
                token.clone(),
                phase.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Requests that start from here on start after the victim has died (killed and reaped).
    blocking(|| cluster.kill_instance(VICTIM));
    phase.store(1, Ordering::SeqCst);
    let killed_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    blocking(|| cluster.restart_instance(VICTIM)).expect("restart the killed instance");
    let restarted_after = killed_at.elapsed();
    phase.store(2, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, Ordering::SeqCst);
    let mut outcomes = Vec::new();
    let mut acked = Vec::new();
    for t in tasks {
        let (o, a) = t.await.expect("client task");
        outcomes.extend(o);
        acked.extend(a);
    }
    let victim = Cluster::instance_name(VICTIM);
    let mut by_server: BTreeMap<String, usize> = BTreeMap::new();
    let mut errors = Vec::new();
    for o in &outcomes {
        if o.status == Some(200) {
            *by_server.entry(o.server.clone()).or_default() += 1;
        } else {
            errors.push(Outcome {
                started: o.started,
                status: o.status,
                server: o.server.clone(),
                what: o.what.clone(),
            });
        }
    }
    let after_restart = outcomes
        .iter()
        .filter(|o| o.started == 2 && o.server == victim && o.status == Some(200))
        .count();
    report(&format!(
        "cluster load: {} requests by {CLIENTS} clients, {} acknowledged writes, {} errors, \
         per instance {by_server:?}, {after_restart} served by the restarted {victim}, restart took {restarted_after:?}",
        outcomes.len(),
        acked.len(),
        errors.len(),
    ));
    // A request cut off mid-answer has no answer header: HAProxy's log names its server.
    let log = cluster.lb_log();
    let logged_server = |id: &str| {
        log.lines()
            .find(|l| l.starts_with(&format!("req={id} ")))
            .and_then(|l| l.split_whitespace().find_map(|w| w.strip_prefix("server=")))
            .unwrap_or("")
            .to_owned()
    };
    for l in log.lines().filter(|l| !l.contains("status=200")) {
        report(&format!("haproxy: {l}"));
    }
    let mut cut_off = 0;
    for e in &mut errors {
        if e.status.is_none() {
            cut_off += 1;
            let id = e.what.split_whitespace().next().unwrap_or("");
            report(&format!(
                "cut off: {} ({}), logged as {:?}",
                e.what,
                e.server,
                logged_server(id)
            ));
            e.server = logged_server(id);
        }
    }
    report(&format!(
        "cluster load: {cut_off} of the errors were connections cut off mid-answer"
    ));
    for e in &errors {
        assert!(
            e.started == BEFORE && e.server == victim,
            "{} failed ({:?}, server {:?}, phase {}): only requests in flight on the killed {victim} may fail",
            e.what,
            e.status,
            e.server,
            e.started
        );
    }
    assert!(
        errors.len() <= CLIENTS,
        "at most one request per client was in flight"
    );
    for i in 0..INSTANCES {
        assert!(
            by_server
                .get(&Cluster::instance_name(i))
                .copied()
                .unwrap_or(0)
                > 0,
            "instance {i} served nothing: {by_server:?}"
        );
    }

    // No acknowledged write lost: every one reads back, through the balancer.
    let lost = read_back(&http, &lb, &token, &acked).await;
    report(&format!(
        "cluster load: {lost} of {} acknowledged writes lost",
        acked.len()
    ));
    assert_eq!(lost, 0, "acknowledged writes were lost");

    limiter_and_forwarded_for(&cluster, &http, &token).await;
    pg_dump_restore(&cluster, &token, &acked).await;

    let state = cluster.state().clone();
    drop(cluster);
    for ns in &state.netns {
        assert!(
            !std::path::Path::new("/run/netns").join(ns).exists(),
            "{ns} left behind"
        );
    }
    // The kernel removes the host's veth end when its peer's namespace goes, asynchronously: wait for it.
    let veth = format!("/sys/class/net/rhc{k}f");
    for _ in 0..100 {
        if !std::path::Path::new(&veth).exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        !std::path::Path::new(&veth).exists(),
        "the host's veth end left behind"
    );
    assert!(!state.dir.exists(), "cluster directory left behind");
}

/// Reads every acknowledged write back through `base`; returns how many are missing or different.
async fn read_back(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    acked: &[(String, i64)],
) -> usize {
    let mut lost = 0;
    for chunk in acked.chunks(32) {
        let reads: Vec<_> = chunk
            .iter()
            .map(|(name, n)| {
                let (http, n) = (http.clone(), *n);
                let req = http
                    .get(format!("{base}/resource/alice:{name}"))
                    .bearer_auth(token);
                tokio::spawn(async move {
                    match send(&http, req).await {
                        Ok((200, _, body)) if body["data"]["data"]["n"] == n => 0,
                        _ => 1,
                    }
                })
            })
            .collect();
        for r in reads {
            lost += r.await.expect("read task");
        }
    }
    lost
}

/// A write through instance A is read at once through instance B (a resource B never read is never cached), and
/// a change to one B has cached reaches B through NOTIFY well within its 1 s cache TTL.
async fn read_your_writes_and_notify(cluster: &Cluster, http: &reqwest::Client, token: &str) {
    for a in 0..INSTANCES {
        for b in (0..INSTANCES).filter(|b| *b != a) {
            let name = format!("ryw-{a}-{b}");
            let body = |n: i64| payload(&format!("/alice/{name}"), &json!({"n": n}));
            let (s, ..) = send(
                http,
                http.post(format!("{}/resource", cluster.instance_url(a)))
                    .bearer_auth(token)
                    .json(&body(1)),
            )
            .await
            .expect("write through A");
            assert_eq!(s, 200);
            let url_b = format!("{}/resource/alice:{name}", cluster.instance_url(b));
            let (s, _, got) = send(http, http.get(&url_b).bearer_auth(token))
                .await
                .expect("read through B");
            assert_eq!(
                (s, &got["data"]["data"]["n"]),
                (200, &json!(1)),
                "B reads A's write"
            );
            // B has cached it now; A changes it; B must see the change before its TTL.
            let (s, ..) = send(
                http,
                http.put(format!("{}/resource/alice:{name}", cluster.instance_url(a)))
                    .bearer_auth(token)
                    .json(&body(2)),
            )
            .await
            .expect("update through A");
            assert_eq!(s, 200);
            let changed = Instant::now();
            loop {
                let (s, _, got) = send(http, http.get(&url_b).bearer_auth(token))
                    .await
                    .expect("read through B");
                assert_eq!(s, 200);
                if got["data"]["data"]["n"] == 2 {
                    break;
                }
                assert!(
                    changed.elapsed() < Duration::from_millis(800),
                    "B still serves its cached copy after 800 ms: NOTIFY did not reach it"
                );
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// Each instance limits failed authentications on its own (the documented rule): through the balancer a client
/// gets at most N × `--auth-fail-limit` 401s before every answer is 429; the right token is still served
/// everywhere; `X-Forwarded-For` names the client only when HAProxy sent it.
async fn limiter_and_forwarded_for(cluster: &Cluster, http: &reqwest::Client, token: &str) {
    let lb = cluster.url();
    let attempts = (LIMIT + 1) * INSTANCES;
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    let mut per_server: HashMap<String, usize> = HashMap::new();
    for _ in 0..attempts {
        let (s, server, _) = send(http, http.get(format!("{lb}/user")).bearer_auth("rh_wrong"))
            .await
            .expect("bad token through the balancer");
        *statuses.entry(s).or_default() += 1;
        *per_server.entry(server).or_default() += 1;
    }
    let unauthorized = statuses.get(&401).copied().unwrap_or(0);
    report(&format!(
        "limiter: {attempts} bad tokens through HAProxy: {statuses:?}, per instance {per_server:?}; bound {}",
        LIMIT * INSTANCES
    ));
    assert!(unauthorized <= LIMIT * INSTANCES, "{statuses:?}");
    assert!(
        per_server.values().all(|n| *n >= LIMIT),
        "round robin gave every instance its share: {per_server:?}"
    );
    assert_eq!(unauthorized, LIMIT * INSTANCES, "{statuses:?}");
    assert_eq!(
        statuses.get(&429).copied(),
        Some(attempts - LIMIT * INSTANCES)
    );

    // The right token is never refused, on any instance, through the balancer or directly.
    let mut served = std::collections::BTreeSet::new();
    for _ in 0..INSTANCES {
        let (s, server, _) = send(http, http.get(format!("{lb}/user")).bearer_auth(token))
            .await
            .expect("good token through the balancer");
        assert_eq!(s, 200, "the right token was refused by {server}");
        served.insert(server);
    }
    assert_eq!(served.len(), INSTANCES, "{served:?}");
    for i in 0..INSTANCES {
        let (s, ..) = send(
            http,
            http.get(format!("{}/user", cluster.instance_url(i)))
                .bearer_auth(token),
        )
        .await
        .expect("good token directly");
        assert_eq!(s, 200);
    }

    // A forged X-Forwarded-For is ignored from a peer that is not the balancer (the host, here)…
    let (s, ..) = send(
        http,
        http.get(format!("{}/user", cluster.instance_url(0)))
            .bearer_auth("rh_wrong")
            .header("x-forwarded-for", "203.0.113.7"),
    )
    .await
    .expect("forged header directly");
    assert_eq!(s, 429, "a direct client cannot pick its address");
    // …and through the balancer it is not the right-most address, HAProxy's is.
    let (s, ..) = send(
        http,
        http.get(format!("{lb}/user"))
            .bearer_auth("rh_wrong")
            .header("x-forwarded-for", "203.0.113.8"),
    )
    .await
    .expect("forged header through the balancer");
    assert_eq!(
        s, 429,
        "a forged X-Forwarded-For through HAProxy is not the client"
    );
    // Another client behind the same balancer (here: from PostgreSQL's namespace) has its own count, so the
    // instances do read HAProxy's X-Forwarded-For rather than count the balancer itself.
    let out = Command::new("ip")
        .args([
            "netns",
            "exec",
            &cluster.netns("pg"),
            "curl",
            "-s",
            "-o",
            "/dev/null",
        ])
        .args(["-w", "%{http_code}", "-H", "Authorization: Bearer rh_wrong"])
        .arg(format!("{lb}/user"))
        .output()
        .expect("curl from another namespace");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "401",
        "{}",
        rh_test::stderr(&out)
    );
}

/// `pg_dump` of the cluster's database, restored into a fresh database: a server on it reads every write.
async fn pg_dump_restore(cluster: &Cluster, token: &str, acked: &[(String, i64)]) {
    let bin = net::pg_bin().expect("PostgreSQL");
    let tmp = tempfile::tempdir().expect("temp dir");
    let dump = tmp.path().join("rh.dump");
    let out = Command::new(bin.join("pg_dump"))
        .args(["-Fc", "-f"])
        .arg(&dump)
        .arg(cluster.database_url(net::DB_NAME))
        .output()
        .expect("pg_dump");
    assert!(out.status.success(), "pg_dump: {}", rh_test::stderr(&out));
    psql(cluster, "postgres", "CREATE DATABASE rh_restored");
    let out = Command::new(bin.join("pg_restore"))
        .args(["--no-owner", "-d"])
        .arg(cluster.database_url("rh_restored"))
        .arg(&dump)
        .output()
        .expect("pg_restore");
    assert!(
        out.status.success(),
        "pg_restore: {}",
        rh_test::stderr(&out)
    );
    let mut child = Command::new(BIN)
        .args(["serve", "--bind", "127.0.0.1:0", "--database-url"])
        .arg(cluster.database_url("rh_restored"))
        .env_clear()
        .env("HOME", tmp.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .expect("serve the restored database");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("url");
    let url = line.trim().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");
    let http = reqwest::Client::new();
    let lost = read_back(&http, &url, token, acked).await;
    let _ = child.kill();
    let _ = child.wait();
    report(&format!(
        "pg_dump restore: {lost} of {} writes missing from the restored database",
        acked.len()
    ));
    assert_eq!(lost, 0);
    assert_eq!(
        psql(cluster, "rh_restored", "SELECT COUNT(*) FROM resources"),
        psql(cluster, net::DB_NAME, "SELECT COUNT(*) FROM resources"),
    );
}
