//! Mixed-traffic load against a running `rh-server` (see `driver.rs`), for `cargo xtask load`.
//!
//! ```text
//! loadmix --url URL --user NAME=TOKEN --user NAME=TOKEN [...] [--clients N] [--seconds S] [--keys K] [--run-id ID]
//! ```
//! Prints the per-op counts, errors, throughput and p50/p99, then one JSON line; exits 1 when any answer was
//! not the expected one.

mod driver;

use std::time::Duration;

use anyhow::{Context as _, Result, bail};

fn parse() -> Result<driver::Config> {
    let mut cfg = driver::Config {
        url: String::new(),
        users: Vec::new(),
        clients: 64,
        duration: Duration::from_mins(1),
        keys_per_client: 8,
        stop_on_transport_error: false,
        run_id: format!("load{}", std::process::id()),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => cfg.url = value()?,
            "--user" => {
                let v = value()?;
                let (name, token) = v.split_once('=').context("--user wants NAME=TOKEN")?;
                cfg.users.push(driver::User {
                    name: name.to_owned(),
                    token: token.to_owned(),
                });
            }
            "--clients" => cfg.clients = value()?.parse()?,
            "--seconds" => cfg.duration = Duration::from_secs_f64(value()?.parse()?),
            "--keys" => cfg.keys_per_client = value()?.parse()?,
            "--run-id" => cfg.run_id = value()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if cfg.url.is_empty() || cfg.users.len() < 2 {
        bail!("give --url and at least two --user NAME=TOKEN");
    }
    Ok(cfg)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cfg = parse()?;
    let report = driver::run(&cfg).await;
    // Afterwards every key must read back as its client last saw it acknowledged.
    let verified = driver::verify(&cfg.url, &cfg.users, &report.keys).await;
    let mut line = report.json();
    line["verified_keys"] = verified.keys.into();
    line["verify_errors"] = verified.errors.len().into();
    #[expect(clippy::print_stdout, reason = "the report is the output")]
    {
        println!("{}", report.summary());
        println!(
            "read back: {} keys ({} written), {} wrong",
            verified.keys,
            verified.written_keys,
            verified.errors.len()
        );
        for e in verified.errors.iter().take(10) {
            println!("wrong: {e}");
        }
        println!("{line}");
    }
    if report.error_count > 0 || report.stopped > 0 || !verified.errors.is_empty() {
        bail!(
            "{} unexpected answers, {} keys read back wrong",
            report.error_count,
            verified.errors.len()
        );
    }
    Ok(())
}
