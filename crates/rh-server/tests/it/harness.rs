//! Test databases, real server processes and a small HTTP client.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Once;

use serde_json::Value;
use sqlx::{AnyPool, Row as _};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_rh-server");

/// Which database a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Sqlite,
    Postgres,
}

/// SQLite always; PostgreSQL when the integration services are up.
pub(crate) fn backends() -> Vec<Kind> {
    let mut v = vec![Kind::Sqlite];
    if rh_test::integration() && rh_test::service_env("DATABASE_URL").is_some() {
        v.push(Kind::Postgres);
    }
    v
}

fn random_hex() -> String {
    rh_server::token::random_id().expect("random bytes")
}

/// A fresh, empty database: a temp data dir, or a new PostgreSQL database on `DATABASE_URL`'s server.
pub(crate) struct TestDb {
    /// Holds the SQLite data dir and a throwaway HOME.
    pub(crate) tmp: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub(crate) async fn new(kind: Kind) -> Self {
        let tmp = tempfile::Builder::new()
            .prefix("rh-server-test-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(tmp.path().join("home")).expect("home");
        let pg = match kind {
            Kind::Sqlite => None,
            Kind::Postgres => {
                let admin = rh_test::service_env("DATABASE_URL").expect("DATABASE_URL");
                let name = format!("rh_test_{}", random_hex());
                let pool = any_pool(&admin).await;
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&pool)
                    .await
                    .expect("create test database");
                pool.close().await;
                let base = admin.rsplit_once('/').expect("database url has a path").0;
                Some((admin.clone(), format!("{base}/{name}")))
            }
        };
        Self { tmp, pg }
    }

    pub(crate) fn data_dir(&self) -> PathBuf {
        self.tmp.path().join("data")
    }

    pub(crate) fn home(&self) -> PathBuf {
        self.tmp.path().join("home")
    }

    /// `--data-dir DIR` or `--database-url URL`.
    pub(crate) fn args(&self) -> Vec<String> {
        match &self.pg {
            None => vec!["--data-dir".into(), self.data_dir().display().to_string()],
            Some((_, url)) => vec!["--database-url".into(), url.clone()],
        }
    }

    fn url(&self) -> String {
        match &self.pg {
            None => format!(
                "sqlite://{}",
                self.data_dir().join("rh-server.db").display()
            ),
            Some((_, url)) => url.clone(),
        }
    }

    /// A direct connection, to check rows.
    pub(crate) async fn pool(&self) -> AnyPool {
        any_pool(&self.url()).await
    }

    /// `SELECT COUNT(*) …` straight from the database.
    pub(crate) async fn count(&self, sql: &str) -> i64 {
        let pool = self.pool().await;
        let n: i64 = sqlx::query(sql)
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .try_get(0)
            .expect("count column");
        pool.close().await;
        n
    }

    /// One text column of every row.
    pub(crate) async fn strings(&self, sql: &str) -> Vec<String> {
        let pool = self.pool().await;
        let rows = sqlx::query(sql)
            .fetch_all(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        pool.close().await;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).expect("text column"))
            .collect()
    }

    /// Runs the CLI against this database.
    pub(crate) fn cli(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.args(args).args(self.args());
        isolate(&mut cmd, &self.home());
        cmd.output().expect("run rh-server")
    }

    /// `rh-server user create NAME [--email E]`; returns the printed token.
    pub(crate) fn user(&self, name: &str, email: Option<&str>) -> String {
        let mut args = vec!["user", "create", name];
        if let Some(e) = email {
            args.extend(["--email", e]);
        }
        let out = self.cli(&args);
        assert!(
            out.status.success(),
            "user create {name} failed: {}",
            rh_test::stderr(&out)
        );
        rh_test::stdout(&out).trim().to_owned()
    }

    /// Starts a server process on this database.
    pub(crate) fn serve(&self) -> Server {
        self.serve_with(&[])
    }

    pub(crate) fn serve_with(&self, extra: &[&str]) -> Server {
        let mut args: Vec<String> = vec!["serve".into(), "--bind".into(), "127.0.0.1:0".into()];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args.extend(self.args());
        Server::start(&args, &self.home())
    }

    /// Drops the PostgreSQL database (SQLite's dir goes with the temp dir).
    pub(crate) async fn cleanup(self) {
        if let Some((admin, url)) = &self.pg {
            let name = url.rsplit('/').next().expect("db name");
            let pool = any_pool(admin).await;
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&pool)
                .await;
            pool.close().await;
        }
    }
}

async fn any_pool(url: &str) -> AnyPool {
    static DRIVERS: Once = Once::new();
    DRIVERS.call_once(sqlx::any::install_default_drivers);
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap_or_else(|e| panic!("connect to the test database: {e}"))
}

pub(crate) fn isolate(cmd: &mut Command, home: &Path) {
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
}

/// A running `rh-server serve`; killed on drop.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
    http: reqwest::Client,
}

impl Server {
    pub(crate) fn start(args: &[String], home: &Path) -> Self {
        Self::start_with(args, home, Stdio::inherit(), None)
    }

    /// [`Server::start`] with stderr into `log`, logging at `level` (`RUST_LOG`).
    pub(crate) fn start_logged(args: &[String], home: &Path, log: &Path, level: &str) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        Self::start_with(args, home, Stdio::from(file), Some(level))
    }

    fn start_with(args: &[String], home: &Path, stderr: Stdio, level: Option<&str>) -> Self {
        let mut cmd = Command::new(BIN);
        cmd.args(args).stdout(Stdio::piped()).stderr(stderr);
        isolate(&mut cmd, home);
        if let Some(level) = level {
            cmd.env("RUST_LOG", level);
        }
        let mut child = cmd.spawn().expect("spawn rh-server serve");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server url");
        let url = line.trim().to_owned();
        assert!(
            url.starts_with("http://127.0.0.1:") || url.starts_with("https://127.0.0.1:"),
            "rh-server printed {url:?} instead of its url"
        );
        Self {
            child,
            url,
            http: reqwest::Client::new(),
        }
    }

    /// Uses `http` for [`Server::call`] (e.g. one that trusts a test certificate).
    pub(crate) fn with_http(mut self, http: reqwest::Client) -> Self {
        self.http = http;
        self
    }

    /// Sends a request; returns the status and the JSON body (`Null` if the body is not JSON).
    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let raw = body.map(Value::to_string);
        self.raw(method, path, token, raw.map(String::into_bytes), None)
            .await
    }

    /// Sends raw bytes with an optional Content-Type.
    pub(crate) async fn raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Vec<u8>>,
        content_type: Option<&str>,
    ) -> (u16, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let res = req.send().await.expect("http request");
        let status = res.status().as_u16();
        let bytes = res.bytes().await.expect("response body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    pub(crate) async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("GET", path, Some(token), None).await
    }

    pub(crate) async fn put(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call("PUT", path, Some(token), Some(body)).await
    }

    pub(crate) async fn post(&self, path: &str, token: &str, body: &Value) -> (u16, Value) {
        self.call("POST", path, Some(token), Some(body)).await
    }

    pub(crate) async fn delete(&self, path: &str, token: &str) -> (u16, Value) {
        self.call("DELETE", path, Some(token), None).await
    }

    /// Stops the process and waits for it.
    pub(crate) fn stop(mut self) {
        self.kill();
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A resource payload as the original client sends it.
pub(crate) fn payload(address: &str, data: &Value) -> Value {
    serde_json::json!({
        "name": address,
        "resource_type": "blob",
        "data": data,
    })
}

/// Asserts an error answer: the status and a `detail` containing `needle`.
#[track_caller]
pub(crate) fn assert_error(got: &(u16, Value), status: u16, needle: &str) {
    assert_eq!(got.0, status, "unexpected answer {got:?}");
    let detail = got.1["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail in {got:?}"));
    assert!(
        detail.contains(needle),
        "detail {detail:?} lacks {needle:?}"
    );
}
