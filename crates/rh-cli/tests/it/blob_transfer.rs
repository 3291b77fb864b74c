//! `rh blob` transfers as a user sees them: the progress bar on a terminal (and its absence elsewhere), and an
//! upload stopped by SIGKILL or SIGTERM while its parts are in flight, against moto S3, fake-gcs-server and Azurite.

use std::io::{Read as _, Write as _};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rh_storage::BlobStore as _;
use rh_storage::s3::{S3Credentials, S3Options, S3Store};
use rh_test::{CliTest, stderr, stdout};
use rustix::process::{Pid, Signal, kill_process};

use crate::fixtures::{rh, unique_bucket, with_services};

const SERVICE_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_ENDPOINT_URL",
    "AWS_REGION",
    "STORAGE_EMULATOR_HOST",
    "AZURE_STORAGE_CONNECTION_STRING",
];

/// Bytes fed before the kill: three 8 MiB parts, so the upload is multipart (S3), resumable (GCS) or in blocks
/// (Azure) and parts are in flight. stdin stays open, so the upload cannot complete before the signal.
const FED: usize = 24 * 1024 * 1024;

fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 0x9E37_79B9;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x.to_le_bytes()[0]
        })
        .collect()
}

/// Runs `rh ARGS` with stdin, stdout and stderr on a 24×100 pseudo-terminal; returns the exit status and
/// everything it drew.
fn on_pty(t: &CliTest, args: &[&str]) -> (ExitStatus, String) {
    let (pty, pts) = pty_process::blocking::open().expect("open a pty");
    pty.resize(pty_process::Size::new(24, 100))
        .expect("size the pty");
    let std_cmd = t.command();
    let cmd = pty_process::blocking::Command::new(env!("CARGO_BIN_EXE_rh"))
        .args(args)
        .env_clear()
        .envs(
            std_cmd
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .current_dir(t.work_dir());
    let mut child = cmd.spawn(pts).expect("spawn rh on a pty");
    let reader = std::thread::spawn(move || {
        let mut seen = Vec::new();
        let mut buf = [0u8; 8192];
        let mut r = &pty;
        // EIO once the child is gone and its side of the pty closed.
        while let Ok(n) = r.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        seen
    });
    let status = child.wait().expect("wait");
    let seen = reader.join().expect("reader");
    (status, String::from_utf8_lossy(&seen).into_owned())
}

#[test]
fn progress_bar_is_drawn_on_a_terminal_only() {
    let mut t = rh();
    // As a terminal emulator sets it; with TERM unset or `dumb`, indicatif draws nothing.
    t.env("TERM", "xterm");
    let src = t.root().join("big.bin");
    let data = pattern(16 * 1024 * 1024);
    std::fs::write(&src, &data).expect("write");
    let src = src.to_str().expect("utf8");

    let (status, screen) = on_pty(&t, &["blob", "write", "big", "--system", "file", src]);
    assert!(status.success(), "{screen}");
    assert!(
        screen.contains("write ~/big") && screen.contains("16.00 MiB/16.00 MiB"),
        "no progress bar with the bytes moved: {screen}"
    );
    assert!(screen.contains("MiB/s"), "no rate: {screen}");

    let dst = t.root().join("out.bin");
    let dst = dst.to_str().expect("utf8");
    let (status, screen) = on_pty(&t, &["blob", "read", "big", "-o", dst]);
    assert!(status.success(), "{screen}");
    assert!(
        screen.contains("read ~/big") && screen.contains("16.00 MiB/16.00 MiB"),
        "{screen}"
    );
    assert_eq!(std::fs::read(dst).expect("read back"), data);

    // -q: no bar, even on a terminal.
    let (status, screen) = on_pty(
        &t,
        &["-q", "blob", "write", "quiet", "--system", "file", src],
    );
    assert!(status.success(), "{screen}");
    assert!(!screen.contains("MiB"), "a bar despite -q: {screen}");
    let (status, screen) = on_pty(&t, &["-q", "blob", "read", "quiet", "-o", dst]);
    assert!(status.success(), "{screen}");
    assert!(!screen.contains("MiB"), "a bar despite -q: {screen}");

    // stderr piped: only the log lines.
    let out = t.run(["blob", "write", "piped", "--system", "file", src]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("MiB") && !err.contains('\x1b') && !err.contains('\r'),
        "progress output on a pipe: {err:?}"
    );
    assert!(err.contains("Saved ~/piped (16777216 bytes"), "{err}");
    let out = t.run(["blob", "read", "piped", "-o", dst]);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        !err.contains("MiB") && !err.contains('\x1b') && !err.contains('\r'),
        "progress output on a pipe: {err:?}"
    );
    assert!(stdout(&out).is_empty());
}

/// An `rh blob write NAME --system SYSTEM --path BUCKET/big.bin -` fed [`FED`] bytes on stdin, which it keeps open.
struct Upload {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    stderr_file: std::path::PathBuf,
}

impl Upload {
    fn start(t: &CliTest, name: &str, system: &str, bucket: &str) -> Self {
        let stderr_file = t
            .root()
            .join(format!("{}.stderr", name.replace(['/', '~'], "_")));
        let path = format!("{bucket}/big.bin");
        let mut child = t
            .command()
            .args([
                "blob", "write", name, "--system", system, "--path", &path, "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_file).expect("stderr file"))
            .spawn()
            .expect("spawn rh");
        let mut stdin = child.stdin.take().expect("stdin");
        // Returns once rh has read all but a pipe buffer of it.
        stdin.write_all(&pattern(FED)).expect("feed stdin");
        Self {
            child,
            stdin: Some(stdin),
            stderr_file,
        }
    }

    fn signal(&self, sig: Signal) {
        let pid = Pid::from_child(&self.child);
        kill_process(pid, sig).expect("signal rh");
    }

    /// Waits for the exit (closing stdin only afterwards), returns the status and stderr.
    fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_mins(1);
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("wait") {
                break s;
            }
            assert!(
                Instant::now() < deadline,
                "rh did not exit after the signal"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        drop(self.stdin.take());
        let err = std::fs::read_to_string(&self.stderr_file).unwrap_or_default();
        (status, err)
    }
}

/// The config of `name` was not saved: no `rh/NAME/config.json`, and `rh blob exists` does not say true.
fn assert_no_metadata(t: &CliTest, name: &str) {
    assert!(
        !t.work_dir().join("rh").join(name).exists(),
        "metadata saved for {name}"
    );
    let out = t.run(["blob", "exists", name]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_ne!(stdout(&out), "true\n");
}

/// `rh blob ls` of the bucket prints nothing: no object, not even a partial one.
fn assert_no_object(t: &CliTest, system: &str, bucket: &str) {
    let out = t.run(["blob", "ls", "--system", system, "--bucket", bucket]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "", "{system}: an object appeared");
}

fn s3_store(bucket: &str) -> S3Store {
    let var = |k: &str| rh_test::service_env(k).unwrap_or_else(|| panic!("{k} is not set"));
    let creds = S3Credentials::new(
        var("AWS_ACCESS_KEY_ID"),
        var("AWS_SECRET_ACCESS_KEY").into(),
        None,
        "test",
    );
    let region = rh_test::service_env("AWS_REGION").unwrap_or_else(|| "us-east-1".into());
    S3Store::new(S3Options::new(
        bucket,
        region,
        Some(var("AWS_ENDPOINT_URL")),
        creds,
    ))
    .expect("s3 store")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Waits until the S3 multipart upload of `big.bin` exists on the server: parts are in flight.
fn wait_for_multipart(rt: &tokio::runtime::Runtime, store: &S3Store) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let uploads = rt
            .block_on(store.incomplete_uploads(""))
            .expect("list uploads");
        if !uploads.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no multipart upload started after {FED} bytes"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn s3_upload_killed_or_terminated_mid_way_leaves_no_object_and_no_metadata() {
    let Some(t) = with_services(SERVICE_VARS) else {
        return;
    };
    let rt = runtime();
    let b = unique_bucket("rh-xfer", "s3");
    let store = s3_store(&b);
    rt.block_on(store.create_bucket()).expect("bucket");
    let key = rh_storage::BlobPath::new("big.bin").expect("key");

    // SIGKILL: nothing can run, so the object and the config never appear; the started multipart upload stays
    // on the server (invisible to reads and lists) until a lifecycle rule or an abort removes it.
    let up = Upload::start(&t, "~/killed", "s3", &b);
    wait_for_multipart(&rt, &store);
    up.signal(Signal::KILL);
    let (status, _) = up.wait();
    assert!(!status.success());
    assert!(matches!(
        rt.block_on(store.head(&key)),
        Err(rh_storage::Error::NotFound { .. })
    ));
    assert_no_object(&t, "s3", &b);
    assert_no_metadata(&t, "~/killed");
    let left = rt
        .block_on(store.incomplete_uploads(""))
        .expect("list uploads");
    assert_eq!(
        left.len(),
        1,
        "a SIGKILL leaves its multipart upload: {left:?}"
    );
    assert_eq!(
        rt.block_on(store.abort_incomplete_uploads(""))
            .expect("abort"),
        1
    );

    // SIGTERM: rh aborts the multipart upload before it exits.
    let up = Upload::start(&t, "~/terminated", "s3", &b);
    wait_for_multipart(&rt, &store);
    up.signal(Signal::TERM);
    let (status, err) = up.wait();
    assert_eq!(status.code(), Some(143), "{err}");
    assert!(
        err.contains(&format!(
            "interrupted: the upload to s3://{b}/big.bin was aborted; ~/terminated was not saved"
        )),
        "{err}"
    );
    assert!(
        rt.block_on(store.incomplete_uploads(""))
            .expect("list uploads")
            .is_empty(),
        "SIGTERM left a multipart upload"
    );
    assert_no_object(&t, "s3", &b);
    assert_no_metadata(&t, "~/terminated");
    rt.block_on(store.delete_bucket()).expect("delete bucket");
}

#[test]
fn gcs_and_azure_uploads_killed_or_terminated_mid_way_leave_no_object_and_no_metadata() {
    let Some(t) = with_services(SERVICE_VARS) else {
        return;
    };
    for system in ["azure", "gs"] {
        let b = unique_bucket("rh-xfer", system);
        let out = t.run([
            "blob",
            "write",
            "seed",
            "--system",
            system,
            "--path",
            &format!("{b}/seed"),
            "--create-bucket",
            "/dev/null",
        ]);
        assert!(out.status.success(), "{system}: {}", stderr(&out));
        t.ok(["blob", "rm", "seed"]);

        let name = format!("~/{system}_killed");
        let up = Upload::start(&t, &name, system, &b);
        // The parts fed so far are on their way; stdin is still open, so none can be the last.
        std::thread::sleep(Duration::from_millis(300));
        up.signal(Signal::KILL);
        let (status, _) = up.wait();
        assert!(!status.success());
        assert_no_object(&t, system, &b);
        assert_no_metadata(&t, &name);

        let name = format!("~/{system}_terminated");
        let up = Upload::start(&t, &name, system, &b);
        std::thread::sleep(Duration::from_millis(300));
        up.signal(Signal::TERM);
        let (status, err) = up.wait();
        assert_eq!(status.code(), Some(143), "{system}: {err}");
        assert!(err.contains("interrupted: the upload to"), "{err}");
        assert_no_object(&t, system, &b);
        assert_no_metadata(&t, &name);
    }
}

#[test]
fn s3_multipart_round_trip_reads_back_without_sdk_warnings() {
    let Some(t) = with_services(SERVICE_VARS) else {
        return;
    };
    let b = unique_bucket("rh-xfer", "mp");
    let src = t.root().join("mp.bin");
    // Three parts: a multipart object, whose part-level checksums the SDK cannot validate on a whole GET.
    let data = pattern(17 * 1024 * 1024);
    std::fs::write(&src, &data).expect("write");
    let path = format!("{b}/mp.bin");
    let src = src.to_str().expect("utf8");
    let out = t.run([
        "blob",
        "write",
        "mp",
        "--system",
        "s3",
        "--path",
        &path,
        "--create-bucket",
        src,
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = t.run(["blob", "read", "mp"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(out.stdout == data, "the bytes read back differ");
    let err = stderr(&out);
    assert!(
        !err.contains("WARNING") && !err.contains("checksum"),
        "{err}"
    );
    t.ok(["blob", "rm", "mp"]);
}
