//! Mixed-traffic load driver for a running `rh-server`: N concurrent clients, each owning a few resources of one
//! of several users, send GETs, PUT updates, POST creates, shares, reads by the grantee, history reads, listings
//! and deletes. Every answer is checked against what the client knows it wrote (status and body); anything else
//! is an error. Shared by the `loadmix` example (`cargo xtask load`) and rh-server's load and fault tests.
//!
//! Each key belongs to one client, so its expected state is exact. In fault mode a transport error (the server
//! was killed) ends the client and leaves the write it had in flight as "pending": it may or may not have landed.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The operations, in report order.
pub(crate) const OPS: [&str; 9] = [
    "get",
    "get_absent",
    "put",
    "post",
    "delete",
    "share",
    "shared_get",
    "history",
    "list",
];

/// An account and its bearer token.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) name: String,
    pub(crate) token: String,
}

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) url: String,
    /// At least two (shares go to the next user).
    pub(crate) users: Vec<User>,
    pub(crate) clients: usize,
    pub(crate) duration: Duration,
    pub(crate) keys_per_client: usize,
    /// Fault mode: a transport error ends the client instead of counting as an error.
    pub(crate) stop_on_transport_error: bool,
    /// Prefix of every resource name, unique per run.
    pub(crate) run_id: String,
}

/// A write that was sent but never answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pending {
    Write(u64),
    Delete,
    Share,
}

/// What a client knows about one of its resources.
#[derive(Debug, Clone)]
pub(crate) struct KeyState {
    pub(crate) owner: usize,
    pub(crate) grantee: usize,
    /// `/user/name`.
    pub(crate) address: String,
    /// Last acknowledged state: `Some(n)` present with `{"n": n}`, `None` absent.
    pub(crate) value: Option<u64>,
    /// The grantee got read access (acknowledged) since the last create.
    pub(crate) shared: bool,
    pub(crate) pending: Option<Pending>,
    /// Acknowledged creates, updates, deletes and shares of this key.
    pub(crate) acked_writes: u64,
}

impl KeyState {
    /// `user:name`, the path segment of `/resource/{uri}`.
    pub(crate) fn uri(&self) -> String {
        self.address
            .trim_start_matches('/')
            .replacen('/', ":", 1)
            .replace('/', ":")
    }
}

/// Counts, errors and latencies of a run.
#[derive(Debug, Default)]
pub(crate) struct Report {
    pub(crate) counts: [u64; OPS.len()],
    pub(crate) error_count: u64,
    /// The first few errors, one line each.
    pub(crate) errors: Vec<String>,
    pub(crate) latencies_us: Vec<u64>,
    pub(crate) elapsed: Duration,
    pub(crate) keys: Vec<KeyState>,
    /// Clients ended by a transport error (fault mode).
    pub(crate) stopped: u64,
}

impl Report {
    pub(crate) fn ops(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub(crate) fn throughput(&self) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "request counts")]
        let ops = self.ops() as f64;
        ops / self.elapsed.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// Latency percentile in milliseconds (`latencies_us` sorted by `finish`).
    pub(crate) fn percentile_ms(&self, p: f64) -> f64 {
        let sorted = &self.latencies_us;
        if sorted.is_empty() {
            return 0.0;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index"
        )]
        let i = (((sorted.len() - 1) as f64) * p).round() as usize;
        #[expect(clippy::cast_precision_loss, reason = "microseconds")]
        let v = sorted[i] as f64 / 1000.0;
        v
    }

    /// Acknowledged writes over all keys.
    pub(crate) fn acked_writes(&self) -> u64 {
        self.keys.iter().map(|k| k.acked_writes).sum()
    }

    fn record_error(&mut self, e: String) {
        self.error_count += 1;
        if self.errors.len() < 10 {
            self.errors.push(e);
        }
    }

    fn merge(&mut self, other: Self) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
        self.error_count += other.error_count;
        for e in other.errors {
            if self.errors.len() < 10 {
                self.errors.push(e);
            }
        }
        self.latencies_us.extend(other.latencies_us);
        self.keys.extend(other.keys);
        self.stopped += other.stopped;
    }

    /// A few human lines: per-op counts, errors, throughput, p50/p99.
    pub(crate) fn summary(&self) -> String {
        let mut s = String::new();
        let per_op: Vec<String> = OPS
            .iter()
            .zip(self.counts)
            .map(|(op, n)| format!("{op} {n}"))
            .collect();
        let _ = writeln!(s, "ops: {} ({})", self.ops(), per_op.join(", "));
        let _ = writeln!(
            s,
            "errors: {}; throughput {:.0} ops/s over {:.1} s; p50 {:.2} ms, p99 {:.2} ms",
            self.error_count,
            self.throughput(),
            self.elapsed.as_secs_f64(),
            self.percentile_ms(0.50),
            self.percentile_ms(0.99)
        );
        let _ = write!(
            s,
            "acknowledged writes: {} on {} keys",
            self.acked_writes(),
            self.keys.len()
        );
        for e in &self.errors {
            let _ = write!(s, "\nerror: {e}");
        }
        s
    }

    /// One JSON line for scripts.
    pub(crate) fn json(&self) -> Value {
        let counts: serde_json::Map<String, Value> = OPS
            .iter()
            .zip(self.counts)
            .map(|(op, n)| ((*op).to_owned(), json!(n)))
            .collect();
        json!({
            "ops": self.ops(),
            "counts": counts,
            "errors": self.error_count,
            "secs": self.elapsed.as_secs_f64(),
            "ops_per_s": self.throughput(),
            "p50_ms": self.percentile_ms(0.50),
            "p99_ms": self.percentile_ms(0.99),
            "acked_writes": self.acked_writes(),
        })
    }
}

/// An HTTP answer, or why there was none.
enum Answer {
    Got(u16, Value),
    Transport(String),
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a valid method");
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        match req.send().await {
            Ok(res) => {
                let status = res.status().as_u16();
                match res.bytes().await {
                    Ok(b) => Answer::Got(status, serde_json::from_slice(&b).unwrap_or(Value::Null)),
                    Err(e) => Answer::Transport(format!("{path}: {e}")),
                }
            }
            Err(e) => Answer::Transport(format!("{path}: {e}")),
        }
    }
}

/// A fresh HTTP client for `clients` concurrent users.
pub(crate) fn http_client(clients: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}

fn payload(address: &str, client: usize, n: u64) -> Value {
    json!({
        "name": address,
        "resource_type": "blob",
        "data": {"n": n, "client": client, "path": format!("/bucket{address}"), "system": "s3"},
    })
}

/// Checks a resource read: 200 with this name and `n`.
fn check_read(got: &(u16, Value), address: &str, n: u64) -> Result<(), String> {
    let (st, body) = got;
    if *st == 200 && body["data"]["name"] == address && body["data"]["data"]["n"] == n {
        Ok(())
    } else {
        Err(format!("wanted 200 with n={n}, got {st} {body}"))
    }
}

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        // xorshift64
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[expect(clippy::cast_possible_truncation, reason = "a small modulus")]
        let r = (self.0 % n as u64) as usize;
        r
    }
}

#[expect(
    clippy::too_many_lines,
    reason = "one match arm per operation, each with its check"
)]
async fn client_loop(cfg: &Config, http: reqwest::Client, id: usize, deadline: Instant) -> Report {
    let client = Client {
        http,
        url: cfg.url.clone(),
    };
    let owner = id % cfg.users.len();
    let grantee = (owner + 1) % cfg.users.len();
    let user = &cfg.users[owner];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ ((id as u64 + 1) * 0x0100_0000_01B3));
    let mut keys: Vec<KeyState> = (0..cfg.keys_per_client)
        .map(|slot| KeyState {
            owner,
            grantee,
            address: format!("/{}/{}_c{id}_k{slot}", user.name, cfg.run_id),
            value: None,
            shared: false,
            pending: None,
            acked_writes: 0,
        })
        .collect();
    let mut report = Report::default();
    let mut seq: u64 = 0;
    let start = Instant::now();
    while Instant::now() < deadline {
        let slot = rng.below(keys.len());
        let key = &keys[slot];
        let uri = key.uri();
        let roll = rng.below(100);
        // (op index, method, path, token, body, pending write)
        let op = match key.value {
            None if roll < 85 => 3,
            None => 1,
            Some(_) => match roll {
                30..55 => 2,
                55..62 => 7,
                62..70 => 8,
                70..78 if !key.shared => 5,
                70..78 => 6,
                78..86 if key.shared => 6,
                86.. => 4,
                _ => 0,
            },
        };
        seq += 1;
        let stamp = seq;
        let (method, path, token, body, pending) = match op {
            0 | 1 => ("GET", format!("/resource/{uri}"), &user.token, None, None),
            2 => (
                "PUT",
                format!("/resource/{uri}"),
                &user.token,
                Some(payload(&key.address, id, stamp)),
                Some(Pending::Write(stamp)),
            ),
            3 => (
                "POST",
                "/resource".to_owned(),
                &user.token,
                Some(payload(&key.address, id, stamp)),
                Some(Pending::Write(stamp)),
            ),
            4 => (
                "DELETE",
                format!("/resource/{uri}"),
                &user.token,
                None,
                Some(Pending::Delete),
            ),
            5 => (
                "PUT",
                format!("/resource/{uri}/users/access"),
                &user.token,
                Some(
                    json!({"users": [cfg.users[grantee].name], "access_level": "read", "notify_users": false}),
                ),
                Some(Pending::Share),
            ),
            6 => (
                "GET",
                format!("/resource/{uri}"),
                &cfg.users[grantee].token,
                None,
                None,
            ),
            7 => (
                "GET",
                format!("/resource/history/{uri}?limit=1"),
                &user.token,
                None,
                None,
            ),
            _ => (
                "GET",
                format!("/resource?folder=/{}", user.name),
                &user.token,
                None,
                None,
            ),
        };
        let t0 = Instant::now();
        let answer = client.call(method, &path, token, body.as_ref()).await;
        let took = u64::try_from(t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        let got = match answer {
            Answer::Got(st, b) => (st, b),
            Answer::Transport(e) => {
                if cfg.stop_on_transport_error {
                    keys[slot].pending = pending;
                    report.stopped += 1;
                    break;
                }
                report.record_error(format!("{method} {e}"));
                continue;
            }
        };
        let key = &mut keys[slot];
        let current = key.value;
        let checked: Result<(), String> = match op {
            0 | 6 => check_read(&got, &key.address, current.unwrap_or_default()),
            1 if got.0 == 404 => Ok(()),
            2..=4 if got.0 == 200 => {
                key.value = if op == 4 { None } else { Some(stamp) };
                if op != 2 {
                    key.shared = false;
                }
                key.acked_writes += 1;
                if op == 3 && got.1["data"]["name"] != key.address {
                    Err(format!("create answered {}", got.1))
                } else {
                    Ok(())
                }
            }
            5 if got.0 == 200
                && got.1["data"]["added_users"][&cfg.users[grantee].name] == "read" =>
            {
                key.shared = true;
                key.acked_writes += 1;
                Ok(())
            }
            7 => {
                let entry = &got.1["data"][0];
                let action = entry["action"].as_str().unwrap_or_default();
                if got.0 == 200
                    && entry["data"]["data"]["n"] == current.unwrap_or_default()
                    && (action == "create" || action == "update")
                {
                    Ok(())
                } else {
                    Err(format!("history wanted n={current:?}"))
                }
            }
            8 if got.0 == 200 => {
                let names: Vec<&str> = got.1["data"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|e| e["name"].as_str()).collect())
                    .unwrap_or_default();
                match keys
                    .iter()
                    .find(|other| names.contains(&other.address.as_str()) != other.value.is_some())
                {
                    None => Ok(()),
                    Some(other) => Err(format!("listing disagrees about {}", other.address)),
                }
            }
            _ => Err("unexpected answer".to_owned()),
        };
        match checked {
            Ok(()) => {
                report.counts[op] += 1;
                report.latencies_us.push(took);
            }
            Err(e) => {
                let (st, b) = &got;
                let mut line = format!("{method} {path} ({}): {e}: {st} {b}", OPS[op]);
                line.truncate(400);
                report.record_error(line);
            }
        }
    }
    report.elapsed = start.elapsed();
    report.keys = keys;
    report
}

/// Runs `cfg.clients` clients until `cfg.duration` is over (or, in fault mode, the server goes away).
pub(crate) async fn run(cfg: &Config) -> Report {
    assert!(cfg.users.len() >= 2, "the load needs at least two users");
    let http = http_client(cfg.clients);
    let start = Instant::now();
    let deadline = start + cfg.duration;
    let mut handles = Vec::new();
    for id in 0..cfg.clients {
        let cfg = cfg.clone();
        let http = http.clone();
        handles.push(tokio::spawn(async move {
            client_loop(&cfg, http, id, deadline).await
        }));
    }
    let mut all = Report::default();
    for h in handles {
        all.merge(h.await.expect("a load client panicked"));
    }
    all.elapsed = start.elapsed();
    all.latencies_us.sort_unstable();
    all
}

/// What [`verify`] found.
#[derive(Debug, Default)]
pub(crate) struct Verified {
    /// Keys read back.
    pub(crate) keys: u64,
    /// Keys with at least one acknowledged write.
    pub(crate) written_keys: u64,
    /// Keys whose in-flight write at the kill was found applied.
    pub(crate) pending_applied: u64,
    pub(crate) errors: Vec<String>,
}

/// Reads every key back (on a possibly restarted server at `url`): each shows its last acknowledged state, or
/// the write that was in flight when the client stopped; acknowledged shares still let the grantee read.
pub(crate) async fn verify(url: &str, users: &[User], keys: &[KeyState]) -> Verified {
    let c = Client {
        http: http_client(1),
        url: url.to_owned(),
    };
    let mut v = Verified::default();
    for key in keys {
        v.keys += 1;
        if key.acked_writes > 0 {
            v.written_keys += 1;
        }
        let path = format!("/resource/{}", key.uri());
        let got = match c.call("GET", &path, &users[key.owner].token, None).await {
            Answer::Got(st, b) => (st, b),
            Answer::Transport(e) => {
                v.errors.push(format!("GET {e}"));
                continue;
            }
        };
        let found = match got.0 {
            404 => None,
            200 if got.1["data"]["data"]["n"].is_u64() => got.1["data"]["data"]["n"].as_u64(),
            _ => {
                v.errors.push(format!("GET {path}: {} {}", got.0, got.1));
                continue;
            }
        };
        let ok = match (key.value, key.pending) {
            (acked, None | Some(Pending::Share)) => found == acked,
            (acked, Some(Pending::Write(m))) => {
                let applied = found == Some(m);
                if applied {
                    v.pending_applied += 1;
                }
                applied || found == acked
            }
            (acked, Some(Pending::Delete)) => {
                if found.is_none() && acked.is_some() {
                    v.pending_applied += 1;
                }
                found.is_none() || found == acked
            }
        };
        if !ok {
            v.errors.push(format!(
                "{}: acknowledged {:?} (in flight {:?}), found {found:?}",
                key.address, key.value, key.pending
            ));
            continue;
        }
        if key.shared && found == key.value && key.value.is_some() {
            let got = c.call("GET", &path, &users[key.grantee].token, None).await;
            if !matches!(got, Answer::Got(200, _)) {
                v.errors.push(format!(
                    "{}: the acknowledged share to {} is gone",
                    key.address, users[key.grantee].name
                ));
            }
        }
    }
    v
}
