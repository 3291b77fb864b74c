//! Benchmarks of the storage area: a large file written to and read from every backend through the local
//! servers by `blobcp` (rh-storage's example, the code `rh blob` runs), next to `aws s3 cp` on the same S3 server.
//!
//! Sizes: `RH_BENCH_STORAGE_MIB` (default 1024) for file, S3, Azure and awscli; `RH_BENCH_STORAGE_GCS_MIB`
//! (default 1024 as well) for GCS, whose emulator takes writes at about 7-30 MiB/s depending on the machine's load:
//! lower it when the machine is busy (the storage bench took 144 s with 256 MiB for GCS on an idle 2-core machine). Each transfer runs once (no warm-up: at these sizes a run is its own warm-up), under
//! `/usr/bin/time` for peak RSS. The servers come from `.ci/services.sh`: ones already running are reused and
//! left alone; ones the bench starts, it stops.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::{Bench, ProcStats, tempfile_dir};

/// The services this bench needs, by their `.ci/services.sh` names (`start_NAME`, `stop_NAME`).
const SERVICES: [&str; 3] = ["s3", "gcs", "azurite"];

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    let mib = size_mib("RH_BENCH_STORAGE_MIB", 1024);
    let gcs_mib = size_mib("RH_BENCH_STORAGE_GCS_MIB", 1024);
    crate::build_release()?;
    let blobcp = bench.root.join("target/release/examples/blobcp");
    let (env, started) = start_services(&bench.root)?;
    let result = measure_all(bench, &blobcp, &env, mib, gcs_mib);
    stop_services(&bench.root, &started);
    result
}

#[expect(clippy::disallowed_methods, reason = "the bench's own knobs")]
fn size_mib(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(default)
}

/// Runs `inner` once under `/usr/bin/time`: wall time and peak RSS.
fn measure_once(inner: &Command) -> Result<ProcStats> {
    let mut cmd = Command::new("/usr/bin/time");
    cmd.arg("-f")
        .arg("RHBENCH_RSS=%M")
        .arg(inner.get_program())
        .args(inner.get_args());
    for (k, v) in inner.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let start = Instant::now();
    let out = cmd.output().context("cannot run /usr/bin/time")?;
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("benchmarked command failed: {err}");
    }
    let peak_rss_kib = err
        .lines()
        .find_map(|l| l.strip_prefix("RHBENCH_RSS="))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    Ok(ProcStats {
        median: took,
        min: took,
        max: took,
        peak_rss_kib,
    })
}

/// Starts (or reuses) the storage servers; returns their environment and the ones this call started.
fn start_services(root: &Path) -> Result<(HashMap<String, String>, Vec<&'static str>)> {
    let mut script = String::from("set -e\n. .ci/services.sh\n");
    for name in SERVICES {
        let _ = writeln!(script, "_svc_alive {name} || echo \"started={name}\" >&2");
    }
    for name in SERVICES {
        let _ = writeln!(script, "start_{name} >/dev/null");
    }
    script.push_str("env -0\n");
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(root)
        .output()
        .context("cannot run .ci/services.sh")?;
    let err = String::from_utf8_lossy(&out.stderr);
    let started: Vec<&'static str> = SERVICES
        .iter()
        .filter(|n| err.lines().any(|l| l == format!("started={n}")))
        .copied()
        .collect();
    if !out.status.success() {
        stop_services(root, &started);
        bail!("cannot start the storage services: {err}");
    }
    let env = out
        .stdout
        .split(|b| *b == 0)
        .filter_map(|kv| {
            let kv = String::from_utf8_lossy(kv);
            kv.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect();
    Ok((env, started))
}

fn stop_services(root: &Path, started: &[&str]) {
    for name in started {
        let _ = Command::new("bash")
            .arg("-c")
            .arg(format!(". .ci/services.sh; stop_{name}"))
            .current_dir(root)
            .status();
    }
}

fn measure_all(
    bench: &mut Bench,
    blobcp: &Path,
    env: &HashMap<String, String>,
    mib: u64,
    gcs_mib: u64,
) -> Result<()> {
    let dir = tempfile_dir("storage")?;
    let out = dir.join("out.bin");
    let mut sources: HashMap<u64, (PathBuf, String)> = HashMap::new();
    for n in [mib, gcs_mib] {
        if let std::collections::hash_map::Entry::Vacant(e) = sources.entry(n) {
            let src = dir.join(format!("src-{n}.bin"));
            write_pattern(&src, n)?;
            let want = sha256(&src)?;
            e.insert((src, want));
        }
    }
    let cmd = |program: &Path, args: &[&str]| {
        let mut c = Command::new(program);
        c.args(args).envs(env).env("RUST_LOG", "warn");
        c
    };
    let id = std::process::id();
    let targets = [
        ("file", format!("file://{}/bucket", dir.display()), mib),
        ("s3 (moto)", format!("s3://rh-bench-{id}"), mib),
        ("azure (Azurite)", format!("azure://rh-bench-{id}"), mib),
        (
            "gs (fake-gcs-server)",
            format!("gs://rh-bench-{id}"),
            gcs_mib,
        ),
    ];
    let mut s3_rh = None;
    for (label, bucket, n) in &targets {
        let (src, want) = &sources[n];
        let size = format!("{n} MiB");
        let obj = format!("{bucket}/bench.bin");
        if bucket.starts_with("file://") {
            std::fs::create_dir_all(dir.join("bucket"))?;
        } else {
            crate::run(&mut cmd(blobcp, &["mb", bucket]))?;
        }
        let up = measure_once(&cmd(blobcp, &["up", &obj, path_str(src)]))?;
        let down = measure_once(&cmd(blobcp, &["down", &obj, path_str(&out)]))?;
        if sha256(&out)? != *want {
            bail!("{label}: the downloaded bytes differ from the uploaded ones");
        }
        row(bench, &format!("{label}: write {size}, rh"), &up, *n);
        row(bench, &format!("{label}: read {size}, rh"), &down, *n);
        if label.starts_with("s3") {
            s3_rh = Some((up, down));
        }
        if !bucket.starts_with("file://") {
            crate::run(&mut cmd(blobcp, &["rb", bucket]))?;
        }
        let _ = std::fs::remove_file(&out);
    }
    let (src, _) = &sources[&mib];
    let size = format!("{mib} MiB");

    // awscli on the same S3 server, same file, same run.
    let aws = PathBuf::from(
        env.get("RH_BENCH_AWS")
            .map_or("/root/.pyenv/shims/aws", String::as_str),
    );
    let endpoint = env.get("AWS_ENDPOINT_URL").cloned().unwrap_or_default();
    let bucket = format!("s3://rh-bench-awscli-{id}");
    crate::run(&mut cmd(blobcp, &["mb", &bucket]))?;
    let obj = format!("{bucket}/bench.bin");
    let aws_cmd = |a: &str, b: &str| {
        let mut c = cmd(
            &aws,
            &[
                "s3",
                "cp",
                "--only-show-errors",
                "--endpoint-url",
                &endpoint,
                a,
                b,
            ],
        );
        c.env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        c
    };
    let up = measure_once(&aws_cmd(path_str(src), &obj));
    let down = measure_once(&aws_cmd(&obj, path_str(&out)));
    match (up, down) {
        (Ok(up), Ok(down)) => {
            row(
                bench,
                &format!("s3 (moto): write {size}, `aws s3 cp` (awscli)"),
                &up,
                mib,
            );
            row(
                bench,
                &format!("s3 (moto): read {size}, `aws s3 cp` (awscli)"),
                &down,
                mib,
            );
            if let Some((rh_up, rh_down)) = s3_rh {
                let ratio = |rh: &ProcStats, other: &ProcStats| {
                    other.median.as_secs_f64() / rh.median.as_secs_f64()
                };
                bench.row(
                    "storage",
                    "s3 (moto): rh vs awscli throughput",
                    format!(
                        "write {:.2}x, read {:.2}x",
                        ratio(&rh_up, &up),
                        ratio(&rh_down, &down)
                    ),
                    "target >= 1.5x",
                );
            }
        }
        (up, down) => {
            let e = up
                .err()
                .or(down.err())
                .map(|e| e.to_string())
                .unwrap_or_default();
            bench.row(
                "storage",
                "s3 (moto): awscli",
                "not measured",
                first_line(&e),
            );
        }
    }
    let _ = crate::run(&mut cmd(blobcp, &["rb", &bucket]));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

fn row(bench: &mut Bench, what: &str, stats: &ProcStats, mib: u64) {
    let secs = stats.median.as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "sizes in MiB are small")]
    let rate = mib as f64 / secs;
    bench.row(
        "storage",
        what,
        format!(
            "{rate:.0} MiB/s ({secs:.1} s); peak RSS {:.1} MiB",
            stats.peak_rss_kib as f64 / 1024.0
        ),
        if what.contains("awscli") {
            "1 run; the peer"
        } else {
            "1 run; rh's RSS target <= 64 MiB"
        },
    );
}

fn first_line(s: &str) -> String {
    s.lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(120)
        .collect()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

/// `mib` MiB of xorshift bytes (incompressible, reproducible).
fn write_pattern(path: &Path, mib: u64) -> Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut buf = vec![0u8; 1024 * 1024];
    for _ in 0..mib {
        for c in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            c.copy_from_slice(&x.to_le_bytes());
        }
        f.write_all(&buf)?;
    }
    f.flush()?;
    Ok(())
}

fn sha256(path: &Path) -> Result<String> {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .context("cannot run sha256sum")?;
    if !out.status.success() {
        bail!("sha256sum failed on {}", path.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned())
}
