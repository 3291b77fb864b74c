//! A local rh-server cluster in network namespaces: HAProxy → N rh-server → one PostgreSQL.
//!
//! Shared by the `cluster` test and `cargo xtask cluster up|down` (std only, so both can include it).
//!
//! Layout, for cluster number `k` (1-250, free unless its namespaces exist):
//! - namespaces `rhc{k}-lb`, `rhc{k}-pg`, `rhc{k}-s1` … `rhc{k}-sN`, each with loopback up;
//! - in `rhc{k}-lb` a bridge `br0` at 10.231.k.1/24, to which every other namespace's `eth0` is joined by a
//!   veth pair: PostgreSQL at 10.231.k.2, instance i at 10.231.k.(10+i), each with its default route via .1;
//! - one more veth pair from the host (`rhc{k}f`, 10.232.k.1/30, with a route to 10.231.k.0/24) to the
//!   load balancer's namespace (`front`, 10.232.k.2/30), which forwards between the two (its own
//!   `net.ipv4.ip_forward`). HAProxy listens on 10.232.k.2:8080; the host reaches the instances directly too.
//!
//! Everything started is recorded in `STATE_FILE` in the cluster's directory (pids, namespaces) and
//! [`State::teardown`] kills those pids and deletes those namespaces: deleting `rhc{k}-lb` destroys the host's
//! veth end and its route, so the host is left as it was.

use std::fmt::Write as _;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The record of a cluster in its directory.
pub(crate) const STATE_FILE: &str = "cluster.state";
/// HAProxy's front-end port.
pub(crate) const LB_PORT: u16 = 8080;
/// Each instance's port.
pub(crate) const SERVER_PORT: u16 = 8000;
/// The cluster database.
pub(crate) const DB_NAME: &str = "rh";

/// How to build a cluster.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The `rh-server` binary.
    pub(crate) bin: PathBuf,
    /// Working directory (created; holds PostgreSQL's data, configs, logs, the state file).
    pub(crate) dir: PathBuf,
    /// How many rh-server instances.
    pub(crate) instances: usize,
    /// Extra `serve` flags for every instance.
    pub(crate) serve_args: Vec<String>,
    /// Detach the processes into their own process groups (`xtask cluster up`: they outlive it).
    pub(crate) detach: bool,
}

/// What was started: enough to tear it all down by pid, from this process or a later one.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub(crate) dir: PathBuf,
    pub(crate) netns: Vec<String>,
    /// (what, pid), in start order.
    pub(crate) pids: Vec<(String, u32)>,
}

impl State {
    fn save(&self) -> Result<(), String> {
        let mut text = format!("dir {}\n", self.dir.display());
        for ns in &self.netns {
            let _ = writeln!(text, "netns {ns}");
        }
        for (what, pid) in &self.pids {
            let _ = writeln!(text, "pid {what} {pid}");
        }
        let path = self.dir.join(STATE_FILE);
        let tmp = self.dir.join(format!("{STATE_FILE}.tmp"));
        std::fs::write(&tmp, text).map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
        std::fs::rename(&tmp, &path).map_err(|e| format!("cannot write {}: {e}", path.display()))
    }

    /// Reads the state file of a cluster directory.
    pub(crate) fn load(dir: &Path) -> Result<Self, String> {
        let path = dir.join(STATE_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("no cluster recorded in {}: {e}", path.display()))?;
        let mut state = Self {
            dir: dir.to_path_buf(),
            ..Self::default()
        };
        for line in text.lines() {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("netns"), Some(ns), None) => state.netns.push(ns.to_owned()),
                (Some("pid"), Some(what), Some(pid)) => {
                    let pid = pid
                        .parse()
                        .map_err(|_| format!("{}: bad line {line:?}", path.display()))?;
                    state.pids.push((what.to_owned(), pid));
                }
                (Some("dir"), ..) => {}
                _ => return Err(format!("{}: bad line {line:?}", path.display())),
            }
        }
        Ok(state)
    }

    /// Stops every recorded process (SIGTERM, then SIGKILL after 10 s; PostgreSQL gets SIGINT, its fast
    /// shutdown), newest first, deletes the namespaces and the directory. Never fails half-way: returns what
    /// could not be undone.
    pub(crate) fn teardown(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (what, pid) in self.pids.iter().rev() {
            let signal = if what == "postgres" { "INT" } else { "TERM" };
            if !alive(*pid) {
                continue;
            }
            let _ = Command::new("kill")
                .args([&format!("-{signal}"), &pid.to_string()])
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while alive(*pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if alive(*pid) {
                let _ = Command::new("kill")
                    .args(["-KILL", &pid.to_string()])
                    .status();
                problems.push(format!("{what} ({pid}) ignored SIG{signal}; killed"));
            }
        }
        for ns in &self.netns {
            if netns_exists(ns) && !quiet(Command::new("ip").args(["netns", "del", ns])) {
                problems.push(format!("cannot delete network namespace {ns}"));
            }
        }
        if self.dir.join(STATE_FILE).exists() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        problems
    }
}

/// Whether a pid is alive and not a zombie.
fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|s| s != "Z" && s != "X"),
        Err(_) => false,
    }
}

fn netns_exists(name: &str) -> bool {
    Path::new("/run/netns").join(name).exists()
}

fn quiet(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn sh(cmd: &mut Command) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn ip(args: &[&str]) -> Result<(), String> {
    sh(Command::new("ip").args(args))
}

fn in_ns(ns: &str, args: &[&str]) -> Result<(), String> {
    sh(Command::new("ip").args(["netns", "exec", ns]).args(args))
}

/// Why a cluster cannot be built here, if it cannot: not root, no `ip netns`, no HAProxy or PostgreSQL.
pub(crate) fn unsupported() -> Option<String> {
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        });
    if uid.as_deref() != Some("0") {
        return Some("not root (network namespaces need CAP_NET_ADMIN)".into());
    }
    if !quiet(Command::new("ip").args(["netns", "list"])) {
        return Some("`ip netns` is not available".into());
    }
    if !quiet(Command::new("haproxy").arg("-v")) {
        return Some("haproxy is not installed (apt-get install haproxy)".into());
    }
    if pg_bin().is_none() {
        return Some("PostgreSQL is not installed (/usr/lib/postgresql/*/bin)".into());
    }
    None
}

/// The newest `/usr/lib/postgresql/*/bin`.
pub(crate) fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").is_file().then_some((v, bin))
        })
        .collect();
    dirs.sort();
    dirs.pop().map(|(_, b)| b)
}

/// A running cluster. Dropping it tears everything down.
pub(crate) struct Cluster {
    pub(crate) k: u8,
    opts: Options,
    state: State,
    /// The instances' processes (`None` while killed).
    servers: Vec<Option<Child>>,
    /// PostgreSQL and HAProxy, reaped on drop.
    others: Vec<Child>,
}

impl Cluster {
    /// The load balancer's URL.
    pub(crate) fn url(&self) -> String {
        format!("http://10.232.{}.2:{LB_PORT}", self.k)
    }

    /// The load balancer's address as the instances see it (their `--trusted-proxy`).
    pub(crate) fn lb_inner_addr(k: u8) -> Ipv4Addr {
        Ipv4Addr::new(10, 231, k, 1)
    }

    /// Instance `i` (0-based)'s direct URL.
    pub(crate) fn instance_url(&self, i: usize) -> String {
        format!("http://{}:{SERVER_PORT}", instance_addr(self.k, i))
    }

    /// Instance `i`'s name in HAProxy (and in its `X-Rh-Server` answer header).
    pub(crate) fn instance_name(i: usize) -> String {
        format!("s{}", i + 1)
    }

    /// The cluster database's URL (reachable from the host).
    pub(crate) fn database_url(&self, db: &str) -> String {
        format!("postgres://postgres@10.231.{}.2:5432/{db}", self.k)
    }

    /// A namespace of this cluster: `lb`, `pg`, `s1`…
    pub(crate) fn netns(&self, which: &str) -> String {
        format!("rhc{}-{which}", self.k)
    }

    pub(crate) fn state(&self) -> &State {
        &self.state
    }

    /// Builds the namespaces, starts PostgreSQL, all instances at once (so they migrate concurrently), then
    /// HAProxy, and waits until HAProxy has routed `/health` to every instance.
    pub(crate) fn up(opts: Options) -> Result<Self, String> {
        let k = free_cluster_number()?;
        std::fs::create_dir_all(&opts.dir)
            .map_err(|e| format!("cannot create {}: {e}", opts.dir.display()))?;
        let mut cluster = Self {
            k,
            state: State {
                dir: opts.dir.clone(),
                ..State::default()
            },
            servers: Vec::new(),
            others: Vec::new(),
            opts,
        };
        cluster.state.save()?;
        cluster.network()?;
        cluster.postgres()?;
        let children = (0..cluster.opts.instances)
            .map(|i| cluster.spawn_server(i))
            .collect::<Result<Vec<_>, _>>()?;
        for (i, child) in children.into_iter().enumerate() {
            let child = cluster.await_server(i, child)?;
            cluster.servers.push(Some(child));
        }
        cluster.haproxy()?;
        cluster.await_balanced()?;
        Ok(cluster)
    }

    /// Hands the processes over (for `xtask cluster up`): nothing is torn down on drop; the state file stays.
    pub(crate) fn detach(mut self) -> State {
        self.servers.clear();
        self.others.clear();
        let state = std::mem::take(&mut self.state);
        std::mem::forget(self);
        state
    }

    fn record(&mut self, what: &str, pid: u32) -> Result<(), String> {
        self.state.pids.push((what.to_owned(), pid));
        self.state.save()
    }

    fn network(&mut self) -> Result<(), String> {
        let k = self.k;
        let lb = self.netns("lb");
        let mut members = vec![("pg".to_owned(), Ipv4Addr::new(10, 231, k, 2))];
        for i in 0..self.opts.instances {
            members.push((Self::instance_name(i), instance_addr(k, i)));
        }
        let all: Vec<String> = std::iter::once("lb".to_owned())
            .chain(members.iter().map(|(m, _)| m.clone()))
            .collect();
        for which in &all {
            let ns = self.netns(which);
            ip(&["netns", "add", &ns])?;
            self.state.netns.push(ns.clone());
            self.state.save()?;
            in_ns(&ns, &["ip", "link", "set", "lo", "up"])?;
        }
        in_ns(&lb, &["ip", "link", "add", "br0", "type", "bridge"])?;
        in_ns(
            &lb,
            &[
                "ip",
                "addr",
                "add",
                &format!("10.231.{k}.1/24"),
                "dev",
                "br0",
            ],
        )?;
        in_ns(&lb, &["ip", "link", "set", "br0", "up"])?;
        for (which, addr) in &members {
            let ns = self.netns(which);
            let port = format!("v{which}");
            ip(&[
                "link", "add", &port, "netns", &lb, "type", "veth", "peer", "name", "eth0",
                "netns", &ns,
            ])?;
            in_ns(&lb, &["ip", "link", "set", &port, "master", "br0", "up"])?;
            in_ns(
                &ns,
                &["ip", "addr", "add", &format!("{addr}/24"), "dev", "eth0"],
            )?;
            in_ns(&ns, &["ip", "link", "set", "eth0", "up"])?;
            in_ns(
                &ns,
                &[
                    "ip",
                    "route",
                    "add",
                    "default",
                    "via",
                    &format!("10.231.{k}.1"),
                ],
            )?;
        }
        let host_end = format!("rhc{k}f");
        ip(&[
            "link", "add", &host_end, "type", "veth", "peer", "name", "front", "netns", &lb,
        ])?;
        ip(&["addr", "add", &format!("10.232.{k}.1/30"), "dev", &host_end])?;
        ip(&["link", "set", &host_end, "up"])?;
        in_ns(
            &lb,
            &[
                "ip",
                "addr",
                "add",
                &format!("10.232.{k}.2/30"),
                "dev",
                "front",
            ],
        )?;
        in_ns(&lb, &["ip", "link", "set", "front", "up"])?;
        in_ns(&lb, &["sysctl", "-qw", "net.ipv4.ip_forward=1"])?;
        ip(&[
            "route",
            "add",
            &format!("10.231.{k}.0/24"),
            "via",
            &format!("10.232.{k}.2"),
        ])?;
        Ok(())
    }

    fn log(&self, name: &str) -> Result<std::fs::File, String> {
        let path = self.opts.dir.join(format!("{name}.log"));
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))
    }

    /// A process inside namespace `ns`: `ip netns exec` execs it, so the child's pid is the program's.
    fn ns_command(&self, ns: &str, program: &Path) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns]).arg(program);
        if self.opts.detach {
            std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    fn postgres(&mut self) -> Result<(), String> {
        let bin = pg_bin().ok_or("PostgreSQL is not installed")?;
        let pg = self.opts.dir.join("pg");
        std::fs::create_dir_all(&pg).map_err(|e| format!("cannot create {}: {e}", pg.display()))?;
        // PostgreSQL refuses to run as root: its files belong to `postgres`, which must reach them.
        sh(Command::new("chmod").arg("755").arg(&self.opts.dir))?;
        sh(Command::new("chown").arg("postgres:postgres").arg(&pg))?;
        let data = pg.join("data");
        sh(Command::new("setpriv")
            .args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
                "--no-instructions",
            ]))?;
        // The namespace is private to the cluster: trust every address on its bridge.
        let hba = data.join("pg_hba.conf");
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&hba)
            .map_err(|e| format!("cannot open {}: {e}", hba.display()))?;
        writeln!(f, "host all all 10.0.0.0/8 trust")
            .map_err(|e| format!("cannot write {}: {e}", hba.display()))?;
        let ns = self.netns("pg");
        let mut cmd = self.ns_command(&ns, Path::new("setpriv"));
        cmd.args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args([
                "-c",
                &format!("listen_addresses=10.231.{}.2", self.k),
                "-c",
                "port=5432",
                "-c",
                &format!("unix_socket_directories={}", pg.display()),
                "-c",
                "max_connections=200",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ])
            .stdout(self.log("postgres")?)
            .stderr(self.log("postgres")?);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start postgres: {e}"))?;
        self.record("postgres", child.id())?;
        self.others.push(child);
        let addr = SocketAddrV4::new(Ipv4Addr::new(10, 231, self.k, 2), 5432);
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let ready = Command::new(bin.join("psql"))
                .args(["-d", &self.database_url("postgres")])
                .args(["-qAtc", &format!("CREATE DATABASE {DB_NAME}")])
                .output()
                .map_err(|e| format!("cannot run psql: {e}"))?;
            if ready.status.success() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "PostgreSQL did not answer on {addr}: {} (log: {})",
                    String::from_utf8_lossy(&ready.stderr).trim(),
                    self.opts.dir.join("postgres.log").display()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn spawn_server(&mut self, i: usize) -> Result<Child, String> {
        let name = Self::instance_name(i);
        let ns = self.netns(&name);
        let home = self.opts.dir.join(format!("home-{name}"));
        std::fs::create_dir_all(&home)
            .map_err(|e| format!("cannot create {}: {e}", home.display()))?;
        let mut cmd = self.ns_command(&ns, &self.opts.bin.clone());
        cmd.arg("serve")
            .args([
                "--bind",
                &format!("{}:{SERVER_PORT}", instance_addr(self.k, i)),
            ])
            .args(["--database-url", &self.database_url(DB_NAME)])
            .args(["--trusted-proxy", &Self::lb_inner_addr(self.k).to_string()])
            .args(&self.opts.serve_args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &home)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(self.log(&name)?);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start rh-server {name}: {e}"))?;
        self.record(&name, child.id())?;
        Ok(child)
    }

    /// Waits for the URL line an instance prints once it has migrated and bound.
    fn await_server(&self, i: usize, mut child: Child) -> Result<Child, String> {
        let name = Self::instance_name(i);
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let _ = reader.read_line(&mut line);
        let want = format!("http://{}:{SERVER_PORT}", instance_addr(self.k, i));
        if line.trim() != want {
            return Err(format!(
                "rh-server {name} printed {line:?} instead of {want} (log: {})",
                self.opts.dir.join(format!("{name}.log")).display()
            ));
        }
        // Keep draining stdout so the instance never blocks on it.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        Ok(child)
    }

    fn haproxy(&mut self) -> Result<(), String> {
        let k = self.k;
        let mut cfg = format!(
            "global\n  maxconn 4096\n  log stdout format raw local0\n\
             defaults\n  mode http\n  log global\n\
             \x20 log-format \"req=%[capture.req.hdr(0)] server=%s status=%ST term=%tsc\"\n  timeout connect 2s\n  timeout client 30s\n  timeout server 30s\n  timeout check 1s\n\
             \x20 retries 3\n  option redispatch 1\n  retry-on conn-failure\n\
             frontend rh\n  bind 10.232.{k}.2:{LB_PORT}\n  http-request capture req.hdr(x-request-id) len 64\n  default_backend rh\n\
             backend rh\n  balance roundrobin\n  option forwardfor\n\
             \x20 option httpchk GET /health\n  http-check expect status 200\n\
             \x20 default-server check inter 200ms fall 2 rise 1\n\
             \x20 http-after-response set-header X-Rh-Server %s\n"
        );
        for i in 0..self.opts.instances {
            let _ = writeln!(
                cfg,
                "  server {} {}:{SERVER_PORT}",
                Self::instance_name(i),
                instance_addr(k, i)
            );
        }
        let path = self.opts.dir.join("haproxy.cfg");
        std::fs::write(&path, cfg).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        let check = Command::new("haproxy")
            .args(["-c", "-q", "-f"])
            .arg(&path)
            .output()
            .map_err(|e| format!("cannot run haproxy: {e}"))?;
        if !check.status.success() {
            return Err(format!(
                "{} is invalid: {}",
                path.display(),
                String::from_utf8_lossy(&check.stderr).trim()
            ));
        }
        let lb = self.netns("lb");
        let mut cmd = self.ns_command(&lb, Path::new("haproxy"));
        cmd.args(["-db", "-f"])
            .arg(&path)
            .stdout(self.log("haproxy")?)
            .stderr(self.log("haproxy")?);
        let child = cmd
            .spawn()
            .map_err(|e| format!("cannot start haproxy: {e}"))?;
        self.record("haproxy", child.id())?;
        self.others.push(child);
        Ok(())
    }

    /// Until `/health` through HAProxy has come from every instance.
    fn await_balanced(&self) -> Result<(), String> {
        let lb = SocketAddrV4::new(Ipv4Addr::new(10, 232, self.k, 2), LB_PORT);
        let mut seen = std::collections::BTreeSet::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while seen.len() < self.opts.instances {
            if let Ok((200, server)) = health(lb) {
                seen.insert(server);
            } else {
                std::thread::sleep(Duration::from_millis(50));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "HAProxy on {lb} routed /health only to {seen:?} (log: {})",
                    self.opts.dir.join("haproxy.log").display()
                ));
            }
        }
        Ok(())
    }

    /// HAProxy's request log so far: `req=ID server=NAME status=N term=FLAGS` lines, ID being the request's
    /// `X-Request-Id`.
    pub(crate) fn lb_log(&self) -> String {
        std::fs::read_to_string(self.opts.dir.join("haproxy.log")).unwrap_or_default()
    }

    /// SIGKILLs instance `i`.
    pub(crate) fn kill_instance(&mut self, i: usize) {
        if let Some(mut child) = self.servers.get_mut(i).and_then(Option::take) {
            let pid = child.id();
            self.state.pids.retain(|(_, p)| *p != pid);
            let _ = self.state.save();
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts instance `i` again (after [`Cluster::kill_instance`]) and waits until it serves.
    pub(crate) fn restart_instance(&mut self, i: usize) -> Result<(), String> {
        let child = self.spawn_server(i)?;
        let child = self.await_server(i, child)?;
        self.servers[i] = Some(child);
        Ok(())
    }
}

impl Drop for Cluster {
    #[expect(
        clippy::print_stderr,
        reason = "a teardown problem is reported, not raised"
    )]
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.print_logs();
        }
        let problems = self.state.teardown();
        for mut child in self
            .servers
            .drain(..)
            .flatten()
            .chain(self.others.drain(..))
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        for p in problems {
            eprintln!("cluster teardown: {p}");
        }
    }
}

impl Cluster {
    /// The last lines of every log, for a failed test (the directory goes with the teardown).
    #[expect(clippy::print_stderr, reason = "a failed test shows the logs")]
    fn print_logs(&self) {
        let Ok(entries) = std::fs::read_dir(&self.opts.dir) else {
            return;
        };
        for e in entries.filter_map(Result::ok) {
            let path = e.path();
            if path.extension().is_some_and(|x| x == "log") {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let lines: Vec<&str> = text.lines().collect();
                let tail = &lines[lines.len().saturating_sub(20)..];
                eprintln!(
                    "--- {} (last {} lines)\n{}",
                    path.display(),
                    tail.len(),
                    tail.join("\n")
                );
            }
        }
    }
}

fn instance_addr(k: u8, i: usize) -> Ipv4Addr {
    Ipv4Addr::new(10, 231, k, 10 + u8::try_from(i).expect("few instances"))
}

/// The first cluster number whose namespaces and host link are all absent, starting from this process's pid.
fn free_cluster_number() -> Result<u8, String> {
    let start = std::process::id() % 250;
    for step in 0..250 {
        let k = u8::try_from((start + step) % 250 + 1).expect("1..=250");
        let taken = netns_exists(&format!("rhc{k}-lb"))
            || netns_exists(&format!("rhc{k}-pg"))
            || Path::new("/sys/class/net")
                .join(format!("rhc{k}f"))
                .exists();
        if !taken {
            return Ok(k);
        }
    }
    Err("every cluster number 1-250 is in use".into())
}

/// `GET /health` over a fresh connection: the status and the `X-Rh-Server` header (empty if absent).
pub(crate) fn health(addr: SocketAddrV4) -> Result<(u16, String), String> {
    let mut s = TcpStream::connect_timeout(&addr.into(), Duration::from_secs(2))
        .map_err(|e| format!("connect {addr}: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    write!(
        s,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut text = String::new();
    s.read_to_string(&mut text).map_err(|e| e.to_string())?;
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no HTTP answer from {addr}"))?;
    let server = text
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("x-rh-server")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    Ok((status, server))
}
