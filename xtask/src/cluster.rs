//! `cargo xtask cluster up|down`: the cluster of the `cluster` test, left running for a person to try.
//!
//! `up` builds rh-server, starts HAProxy → 3 rh-server → PostgreSQL in network namespaces of their own
//! ([`net::Cluster`]), creates a user `admin` and prints the load balancer's URL and its token; the processes
//! outlive the command, recorded in `STATE_DIR/cluster.state`. `down` kills those pids and deletes the
//! namespaces. Root only.

use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, Result, bail};

#[allow(
    dead_code,
    reason = "shared with the cluster test, which uses other parts"
)]
#[path = "../../crates/rh-server/tests/cluster/net.rs"]
mod net;

/// Where `up` records the running cluster (PostgreSQL's `postgres` user must reach it: not under a 0700 home).
const STATE_DIR: &str = "/tmp/rh-cluster";

pub(crate) fn run(root: &Path, args: &[String]) -> Result<()> {
    let dir = Path::new(STATE_DIR);
    match args.first().map(String::as_str) {
        Some("up") => {
            if dir.join(net::STATE_FILE).exists() {
                bail!(
                    "a cluster is already recorded in {STATE_DIR}; run `cargo xtask cluster down` first"
                );
            }
            if let Some(why) = net::unsupported() {
                bail!("cannot build the cluster here: {why}");
            }
            crate::run(Command::new("cargo").args(["build", "--quiet", "--bin", "rh-server"]))?;
            let bin = root.join("target/debug/rh-server");
            let opts = net::Options {
                bin,
                dir: dir.to_path_buf(),
                instances: 3,
                serve_args: vec!["--read-cache-ms".into(), "1000".into()],
                detach: true,
            };
            let cluster = match net::Cluster::up(opts) {
                Ok(c) => c,
                Err(e) => bail!("cluster up: {e}"),
            };
            let url = cluster.url();
            let db = cluster.database_url(net::DB_NAME);
            let token = Command::new(root.join("target/debug/rh-server"))
                .args(["user", "create", "admin", "--database-url", &db])
                .env("RUST_LOG", "warn")
                .output()
                .context("cannot run rh-server user create")?;
            let state = cluster.detach();
            if !token.status.success() {
                eprintln!(
                    "user create admin failed: {}",
                    String::from_utf8_lossy(&token.stderr).trim()
                );
            }
            eprintln!(
                "cluster up: HAProxy -> 3 rh-server -> PostgreSQL ({db}); namespaces {}; logs in {STATE_DIR}",
                state.netns.join(", ")
            );
            eprintln!(
                "token of user admin: {}",
                String::from_utf8_lossy(&token.stdout).trim()
            );
            println!("{url}");
            Ok(())
        }
        Some("down") => {
            let state = match net::State::load(dir) {
                Ok(s) => s,
                Err(e) => bail!("{e}"),
            };
            let problems = state.teardown();
            for p in &problems {
                eprintln!("cluster down: {p}");
            }
            eprintln!(
                "cluster down: stopped {} processes, deleted {} namespaces",
                state.pids.len(),
                state.netns.len()
            );
            Ok(())
        }
        _ => bail!("usage: cargo xtask cluster up|down"),
    }
}
