//! A tiny HTTP load generator for `cargo xtask bench`: N concurrent keep-alive clients send one request shape
//! for a fixed time (or count) and it prints one JSON line with throughput and latency percentiles.
//!
//! ```text
//! loadgen --method GET --url URL [--header 'K: V']... [--body TEXT] [--concurrency N] [--seconds S | --count N]
//! ```
//! In `--body`, `{n}` becomes a number unique to each request (so a PUT always changes something); in `--url`
//! and `--body`, `{c}` becomes the client's number (0 to N-1), so each client can write a resource of its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

#[derive(Debug, Clone)]
struct Opts {
    method: reqwest::Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<String>,
    concurrency: usize,
    seconds: f64,
    count: Option<u64>,
}

fn parse() -> Result<Opts> {
    let mut o = Opts {
        method: reqwest::Method::GET,
        url: String::new(),
        headers: Vec::new(),
        body: None,
        concurrency: 1,
        seconds: 5.0,
        count: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--method" => o.method = reqwest::Method::from_bytes(value()?.as_bytes())?,
            "--url" => o.url = value()?,
            "--header" => {
                let v = value()?;
                let (k, val) = v.split_once(':').context("--header wants 'Name: value'")?;
                o.headers.push((k.trim().to_owned(), val.trim().to_owned()));
            }
            "--body" => o.body = Some(value()?),
            "--concurrency" => o.concurrency = value()?.parse()?,
            "--seconds" => o.seconds = value()?.parse()?,
            "--count" => o.count = Some(value()?.parse()?),
            other => bail!("unknown flag {other}"),
        }
    }
    if o.url.is_empty() {
        bail!("--url is required");
    }
    Ok(o)
}

#[derive(Default)]
struct Tally {
    latencies_us: Vec<u64>,
    errors: u64,
    first_error: Option<String>,
}

async fn worker(
    client_no: usize,
    opts: Arc<Opts>,
    client: reqwest::Client,
    counter: Arc<AtomicU64>,
    deadline: Instant,
) -> Tally {
    let mut tally = Tally::default();
    let c = client_no.to_string();
    let url = opts.url.replace("{c}", &c);
    let body = opts.body.as_ref().map(|b| b.replace("{c}", &c));
    loop {
        let seq = counter.fetch_add(1, Ordering::Relaxed);
        if opts.count.is_some_and(|c| seq >= c)
            || (opts.count.is_none() && Instant::now() >= deadline)
        {
            break;
        }
        let mut req = client.request(opts.method.clone(), &url);
        for (k, v) in &opts.headers {
            req = req.header(k, v);
        }
        if let Some(b) = &body {
            req = req.body(b.replace("{n}", &seq.to_string()));
        }
        let start = Instant::now();
        let res = req.send().await;
        let outcome = match res {
            Ok(r) => {
                let status = r.status();
                let body = r.bytes().await;
                match body {
                    Ok(_) if status.is_success() => Ok(()),
                    Ok(b) => Err(format!("{status}: {}", String::from_utf8_lossy(&b))),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let took = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        match outcome {
            Ok(()) => tally.latencies_us.push(took),
            Err(e) => {
                tally.errors += 1;
                tally.first_error.get_or_insert(e);
            }
        }
    }
    tally
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
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

#[tokio::main]
async fn main() -> Result<()> {
    let o = Arc::new(parse()?);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(o.concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;
    let counter = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + Duration::from_secs_f64(o.seconds);
    let mut handles = Vec::new();
    for client_no in 0..o.concurrency {
        handles.push(tokio::spawn(worker(
            client_no,
            Arc::clone(&o),
            client.clone(),
            Arc::clone(&counter),
            deadline,
        )));
    }
    let mut all = Tally::default();
    for h in handles {
        let t = h.await?;
        all.latencies_us.extend(t.latencies_us);
        all.errors += t.errors;
        if all.first_error.is_none() {
            all.first_error = t.first_error;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let ok = all.latencies_us.len();
    #[expect(clippy::cast_precision_loss, reason = "request counts")]
    let rps = ok as f64 / secs;
    let line = serde_json::json!({
        "requests": ok,
        "errors": all.errors,
        "secs": secs,
        "rps": rps,
        "p50_ms": percentile(&all.latencies_us, 0.50),
        "p99_ms": percentile(&all.latencies_us, 0.99),
        "first_error": all.first_error,
    });
    #[expect(clippy::print_stdout, reason = "the result line is the output")]
    {
        println!("{line}");
    }
    Ok(())
}
