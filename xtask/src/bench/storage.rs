//! Benchmarks of the storage area: a large file written to and read from every backend through the local
//! servers by `blobcp` (rh-storage's example, the code `rh blob` runs), next to `aws s3 cp` on the same S3 servers.
//!
//! S3 is measured on two servers, each with rh and awscli in the same run on the same file: moto (the CI's
//! server, one Python process) and s3s-fs (a Rust server from crates.io, `start_s3s` in `.ci/services.sh`, built
//! with cargo on first use). Every row gives the client's CPU (user + sys, from `/usr/bin/time`) and the
//! server's (from `/proc/PID/stat` before and after), so a reader can see which side bounds the figure.
//!
//! Sizes: `RH_BENCH_STORAGE_MIB` (default 1024) for file, S3, Azure and awscli; `RH_BENCH_STORAGE_GCS_MIB`
//! (default 1024 as well) for GCS, whose emulator takes writes at about 7-30 MiB/s depending on the machine's load:
//! lower it when the machine is busy (the storage bench took 144 s with 256 MiB for GCS on an idle 2-core machine).
//! Each transfer runs under `/usr/bin/time` for peak RSS, once (no warm-up: at these sizes a run is its own
//! warm-up), except the S3 writes: rh and awscli take turns `S3_WRITE_RUNS` times and each gives its median, as
//! one write varies by about 20% between runs. Every read is checked against the source's SHA-256. The servers come from `.ci/services.sh`: ones
//! already running are reused and left alone; ones the bench starts, it stops.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context as _, Result, bail};

use super::{Bench, ProcStats, tempfile_dir};

/// The services this bench needs, by their `.ci/services.sh` names (`start_NAME`, `stop_NAME`).
const SERVICES: [&str; 4] = ["s3", "s3s", "gcs", "azurite"];

/// Runs of each S3 write (rh and awscli in turn): a single 1 GiB write to moto varies by about 20% between runs.
const S3_WRITE_RUNS: usize = 3;

pub(crate) fn run(bench: &mut Bench) -> Result<()> {
    let mib = size_mib("RH_BENCH_STORAGE_MIB", 1024);
    let gcs_mib = size_mib("RH_BENCH_STORAGE_GCS_MIB", 1024);
    if !bench.options.no_build {
        crate::build_release()?;
    }
    let blobcp = bench.root.join("target/release/examples/blobcp");
    eprintln!(
        "[bench] starting the storage servers (s3s-fs is built with cargo on its first use, about 3 min)"
    );
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

/// One measured transfer: wall time and peak RSS, the client's CPU and the server's.
struct Transfer {
    /// Wall time (median, min and max when `runs` > 1) and the largest peak RSS.
    stats: ProcStats,
    runs: usize,
    user_s: f64,
    sys_s: f64,
    /// CPU seconds the server process used meanwhile (`None` for the file backend or an unknown pid).
    server_s: Option<f64>,
}

/// Runs `inner` once under `/usr/bin/time`, after a `sync`: wall time, peak RSS and CPU, and the CPU of `server`
/// (a pid) meanwhile.
fn measure_once(inner: &Command, server: Option<u32>) -> Result<Transfer> {
    let mut cmd = super::under_time(inner, "RHBENCH_RSS=%M\nRHBENCH_CPU=%U %S");
    // Dirty pages of the previous transfer (1 GiB and more) would be written back during this one: flush first.
    let _ = Command::new("sync").status();
    let server_before = server.and_then(cpu_seconds);
    let start = Instant::now();
    let out = cmd.output().context("cannot run /usr/bin/time")?;
    let took = start.elapsed();
    let server_after = server.and_then(cpu_seconds);
    let err = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        bail!("benchmarked command failed: {err}");
    }
    let field = |prefix: &str| err.lines().find_map(|l| l.strip_prefix(prefix));
    let peak_rss_kib = field("RHBENCH_RSS=")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    let cpu: Vec<f64> = field("RHBENCH_CPU=")
        .map(|v| {
            v.split_whitespace()
                .filter_map(|x| x.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    Ok(Transfer {
        stats: ProcStats {
            median: took,
            min: took,
            max: took,
            peak_rss_kib,
        },
        runs: 1,
        user_s: cpu.first().copied().unwrap_or(0.0),
        sys_s: cpu.get(1).copied().unwrap_or(0.0),
        server_s: server_before.zip(server_after).map(|(a, b)| b - a),
    })
}

/// The median run of `runs` (its CPU figures), with the min and max wall time and the largest peak RSS of all.
fn median_of(mut runs: Vec<Transfer>) -> Transfer {
    runs.sort_by_key(|t| t.stats.median);
    let n = runs.len();
    let (min, max) = (runs[0].stats.min, runs[n - 1].stats.max);
    let peak = runs.iter().map(|t| t.stats.peak_rss_kib).max().unwrap_or(0);
    let mut mid = runs.swap_remove(n / 2);
    mid.stats.min = min;
    mid.stats.max = max;
    mid.stats.peak_rss_kib = peak;
    mid.runs = n;
    mid
}

/// User + system CPU seconds of process `pid` so far (all its threads), from `/proc/PID/stat`.
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the `(comm)`, which may hold spaces: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    #[expect(clippy::cast_precision_loss, reason = "clock ticks of one bench run")]
    Some(ticks as f64 / clock_ticks())
}

fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
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
    script.push_str("export SVC_RUN\nenv -0\n");
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

/// One S3 server: its label, the variables that point `blobcp` and awscli at it, and its pid.
struct S3Server {
    label: &'static str,
    env: Vec<(&'static str, String)>,
    pid: Option<u32>,
}

/// The pid of service `name` of `.ci/services.sh` (from `$SVC_RUN/NAME.pid`).
fn service_pid(env: &HashMap<String, String>, name: &str) -> Option<u32> {
    let run = env.get("SVC_RUN")?;
    std::fs::read_to_string(Path::new(run).join(format!("{name}.pid")))
        .ok()
        .and_then(|s| s.trim().parse().ok())
}

fn s3_servers(env: &HashMap<String, String>) -> Vec<S3Server> {
    let get = |k: &str| env.get(k).cloned().unwrap_or_default();
    let pid = |name: &str| service_pid(env, name);
    vec![
        S3Server {
            label: "s3 (moto)",
            env: Vec::new(),
            pid: pid("s3"),
        },
        S3Server {
            label: "s3 (s3s-fs)",
            env: vec![
                ("AWS_ENDPOINT_URL", get("RH_S3S_ENDPOINT_URL")),
                ("AWS_ACCESS_KEY_ID", get("RH_S3S_ACCESS_KEY_ID")),
                ("AWS_SECRET_ACCESS_KEY", get("RH_S3S_SECRET_ACCESS_KEY")),
            ],
            pid: pid("s3s"),
        },
    ]
}

/// The file system under `path`, e.g. `ext4 (a disk, not tmpfs)` or `tmpfs (memory)`.
fn fs_kind(path: &Path) -> String {
    let fs = Command::new("df")
        .arg("--output=fstype")
        .arg(path)
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .nth(1)
                .map(|l| l.trim().to_owned())
        })
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    if fs == "tmpfs" {
        "tmpfs (memory)".to_owned()
    } else {
        format!("{fs} (a disk, not tmpfs)")
    }
}

struct Ctx<'a> {
    blobcp: &'a Path,
    env: &'a HashMap<String, String>,
    dir: PathBuf,
    out: PathBuf,
}

impl Ctx<'_> {
    fn cmd(&self, program: &Path, args: &[&str], extra: &[(&str, String)]) -> Command {
        let mut c = Command::new(program);
        c.args(args).envs(self.env).env("RUST_LOG", "warn");
        for (k, v) in extra {
            c.env(k, v);
        }
        c
    }

    fn blobcp(&self, args: &[&str], extra: &[(&str, String)]) -> Command {
        self.cmd(self.blobcp, args, extra)
    }

    /// Checks the last download against the source's SHA-256, then removes it.
    fn check_out(&self, label: &str, want: &str) -> Result<()> {
        let got = sha256(&self.out)?;
        let _ = std::fs::remove_file(&self.out);
        if got != want {
            bail!("{label}: the downloaded bytes differ from the uploaded ones");
        }
        Ok(())
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
    let ctx = Ctx {
        blobcp,
        env,
        out: dir.join("out.bin"),
        dir,
    };
    let mut sources: HashMap<u64, (PathBuf, String)> = HashMap::new();
    for n in [mib, gcs_mib] {
        if let std::collections::hash_map::Entry::Vacant(e) = sources.entry(n) {
            let src = ctx.dir.join(format!("src-{n}.bin"));
            write_pattern(&src, n)?;
            let want = sha256(&src)?;
            e.insert((src, want));
        }
    }
    let result = measure_backends(bench, &ctx, &sources, mib, gcs_mib);
    let _ = std::fs::remove_dir_all(&ctx.dir);
    result
}

fn measure_backends(
    bench: &mut Bench,
    ctx: &Ctx<'_>,
    sources: &HashMap<u64, (PathBuf, String)>,
    mib: u64,
    gcs_mib: u64,
) -> Result<()> {
    let id = std::process::id();
    let svc_run = ctx.env.get("SVC_RUN").cloned().unwrap_or_default();
    let s3s_data = Path::new(&svc_run).join("s3s-data");
    bench.row(
        "storage",
        "s3 servers",
        format!(
            "moto 5.2.5 (Python, objects in memory); s3s-fs 0.14.1 (Rust, objects as files in {} on {})",
            s3s_data.display(),
            fs_kind(&s3s_data)
        ),
        "both shown: moto (the CI's server) is one Python process whose GIL bounds both clients' writes; s3s-fs \
         takes less CPU per byte, so its ratio says more about the clients, though it bounds them too (it copies \
         the parts into the object at CompleteMultipartUpload and serves a GET in 4 KiB reads). Client and server \
         share the 2 cores: each row gives both CPUs",
    );
    for server in s3_servers(ctx.env) {
        let (src, want) = &sources[&mib];
        s3_compare(bench, ctx, &server, (src, want, mib))?;
    }
    let targets = [
        (
            "file",
            format!("file://{}/bucket", ctx.dir.display()),
            mib,
            None,
        ),
        (
            "azure (Azurite)",
            format!("azure://rh-bench-{id}"),
            mib,
            service_pid(ctx.env, "azurite"),
        ),
        (
            "gs (fake-gcs-server)",
            format!("gs://rh-bench-{id}"),
            gcs_mib,
            service_pid(ctx.env, "gcs"),
        ),
    ];
    for (label, bucket, n, pid) in &targets {
        let (src, want) = &sources[n];
        rh_round_trip(bench, ctx, label, bucket, (src, want, *n), &[], *pid)?;
    }
    Ok(())
}

/// rh writes then reads `src` through `bucket`; adds the two rows and returns the two transfers.
fn rh_round_trip(
    bench: &mut Bench,
    ctx: &Ctx<'_>,
    label: &str,
    bucket: &str,
    (src, want, n): (&Path, &str, u64),
    extra: &[(&str, String)],
    server: Option<u32>,
) -> Result<(Transfer, Transfer)> {
    let size = format!("{n} MiB");
    let obj = format!("{bucket}/bench.bin");
    let file = bucket.starts_with("file://");
    if file {
        std::fs::create_dir_all(ctx.dir.join("bucket"))?;
    } else {
        crate::run(&mut ctx.blobcp(&["mb", bucket], extra))?;
    }
    let up = measure_once(&ctx.blobcp(&["up", &obj, path_str(src)], extra), server)?;
    let down = measure_once(
        &ctx.blobcp(&["down", &obj, path_str(&ctx.out)], extra),
        server,
    )?;
    ctx.check_out(label, want)?;
    row(bench, &format!("{label}: write {size}, rh"), &up, n);
    row(bench, &format!("{label}: read {size}, rh"), &down, n);
    if file {
        let _ = std::fs::remove_dir_all(ctx.dir.join("bucket"));
    } else {
        crate::run(&mut ctx.blobcp(&["rb", bucket], extra))?;
    }
    Ok((up, down))
}

/// Writes of `src` to one S3 server, by rh and by `aws s3 cp` (its defaults) in turn, `S3_WRITE_RUNS` times each
/// (interleaved, so a change in the machine's load hits both), and one read by each after its last write; adds
/// their rows and the ratio.
fn s3_compare(
    bench: &mut Bench,
    ctx: &Ctx<'_>,
    server: &S3Server,
    (src, want, n): (&Path, &str, u64),
) -> Result<()> {
    let label = server.label;
    let size = format!("{n} MiB");
    let id = std::process::id();
    let (rh_bucket, aws_bucket) = (
        format!("s3://rh-bench-{id}"),
        format!("s3://rh-bench-awscli-{id}"),
    );
    let (rh_obj, aws_obj) = (
        format!("{rh_bucket}/bench.bin"),
        format!("{aws_bucket}/bench.bin"),
    );
    let aws = PathBuf::from(
        ctx.env
            .get("RH_BENCH_AWS")
            .map_or("/root/.pyenv/shims/aws", String::as_str),
    );
    let endpoint = server
        .env
        .iter()
        .find(|(k, _)| *k == "AWS_ENDPOINT_URL")
        .map(|(_, v)| v.clone())
        .or_else(|| ctx.env.get("AWS_ENDPOINT_URL").cloned())
        .unwrap_or_default();
    let aws_cmd = |a: &str, b: &str| {
        let mut c = ctx.cmd(
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
            &server.env,
        );
        c.env("AWS_CONFIG_FILE", "/dev/null")
            .env("AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
        c
    };
    let rh_cmd = |args: &[&str]| ctx.blobcp(args, &server.env);
    // Each write goes to an empty bucket and each object is removed once measured, so the server holds at most
    // one copy (s3s-fs keeps the parts and the object being assembled on disk meanwhile).
    let mut rh_up = Vec::new();
    let mut rh_down = None;
    // awscli's failure is reported in its row; rh's fails the section.
    let mut aws_up: Result<Vec<Transfer>> = Ok(Vec::new());
    let mut aws_down = None;
    for i in 0..S3_WRITE_RUNS {
        let last = i + 1 == S3_WRITE_RUNS;
        crate::run(&mut rh_cmd(&["mb", &rh_bucket]))?;
        let measured = (|| -> Result<()> {
            rh_up.push(measure_once(
                &rh_cmd(&["up", &rh_obj, path_str(src)]),
                server.pid,
            )?);
            if last {
                let down =
                    measure_once(&rh_cmd(&["down", &rh_obj, path_str(&ctx.out)]), server.pid)?;
                ctx.check_out(label, want)?;
                rh_down = Some(down);
            }
            Ok(())
        })();
        crate::run(&mut rh_cmd(&["rb", &rh_bucket]))?;
        measured?;
        if aws_up.is_err() {
            continue;
        }
        let measured = (|| -> Result<()> {
            crate::run(&mut rh_cmd(&["mb", &aws_bucket]))?;
            let up = measure_once(&aws_cmd(path_str(src), &aws_obj), server.pid)?;
            aws_up.as_mut().expect("checked above").push(up);
            if last {
                let down = measure_once(&aws_cmd(&aws_obj, path_str(&ctx.out)), server.pid)?;
                ctx.check_out(&format!("{label} awscli"), want)?;
                aws_down = Some(down);
            }
            Ok(())
        })();
        let _ = crate::run(&mut rh_cmd(&["rb", &aws_bucket]));
        if let Err(e) = measured {
            aws_up = Err(e);
        }
    }
    let (rh_up, rh_down) = (median_of(rh_up), rh_down.expect("the last run reads"));
    let aws = aws_up.map(|up| (median_of(up), aws_down.expect("the last run reads")));
    row(bench, &format!("{label}: write {size}, rh"), &rh_up, n);
    row(bench, &format!("{label}: read {size}, rh"), &rh_down, n);
    match aws {
        Ok((up, down)) => {
            row(
                bench,
                &format!("{label}: write {size}, `aws s3 cp` (awscli)"),
                &up,
                n,
            );
            row(
                bench,
                &format!("{label}: read {size}, `aws s3 cp` (awscli)"),
                &down,
                n,
            );
            let ratio = |rh: &Transfer, other: &Transfer| {
                other.stats.median.as_secs_f64() / rh.stats.median.as_secs_f64()
            };
            bench.row(
                "storage",
                format!("{label}: rh vs awscli throughput"),
                format!(
                    "write {:.2}x, read {:.2}x",
                    ratio(&rh_up, &up),
                    ratio(&rh_down, &down)
                ),
                format!(
                    "target >= 1.5x; same file, same server ({}), writes: medians of {S3_WRITE_RUNS}",
                    label.trim_start_matches("s3 (").trim_end_matches(')')
                ),
            );
        }
        Err(e) => bench.row(
            "storage",
            format!("{label}: awscli"),
            "not measured",
            first_line(&e.to_string()),
        ),
    }
    Ok(())
}

fn row(bench: &mut Bench, what: &str, t: &Transfer, mib: u64) {
    let secs = t.stats.median.as_secs_f64();
    #[allow(clippy::cast_precision_loss, reason = "sizes in MiB are small")]
    let rate = mib as f64 / secs;
    let client = if what.contains("awscli") {
        "awscli"
    } else {
        "rh"
    };
    let server = t
        .server_s
        .map(|s| format!(", server {s:.1} s"))
        .unwrap_or_default();
    let spread = if t.runs > 1 {
        format!(
            ", median of {}: min {:.1} s, max {:.1} s",
            t.runs,
            t.stats.min.as_secs_f64(),
            t.stats.max.as_secs_f64()
        )
    } else {
        String::new()
    };
    bench.row(
        "storage",
        what,
        format!(
            "{rate:.0} MiB/s ({secs:.1} s{spread}); peak RSS {:.1} MiB; CPU {client} {:.1} s user + {:.1} s sys{server}",
            t.stats.peak_rss_kib as f64 / 1024.0,
            t.user_s,
            t.sys_s,
        ),
        match (client, t.runs) {
            ("awscli", 1) => "1 run; the peer".to_owned(),
            ("awscli", n) => format!("{n} runs; the peer"),
            (_, 1) => "1 run; rh's RSS target <= 64 MiB".to_owned(),
            (_, n) => format!("{n} runs; rh's RSS target <= 64 MiB"),
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
