//! Crash safety: `rh` killed with SIGKILL at arbitrary points while it writes leaves every file either
//! as it was or as it was meant to become, never torn, and still private.

use std::fmt::Write as _;
use std::process::Stdio;
use std::time::Duration;

use rh_test::{CliTest, mode};

/// A small xorshift generator: the kill points only need to spread, not to be unpredictable.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        #[expect(
            clippy::cast_possible_truncation,
            reason = "any 64 bits of the clock make a seed"
        )]
        Self(seed as u64 | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// Runs `args` and SIGKILLs it after a random delay of up to `max_us` microseconds.
fn run_and_kill(t: &CliTest, args: &[&str], rng: &mut Rng, max_us: u64) {
    let mut child = t
        .command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_micros(rng.below(max_us)));
    let _ = child.kill();
    let _ = child.wait();
}

/// Runs `rh args` once to completion and returns how long it took, to place the kill points.
fn timed(t: &CliTest, args: &[&str]) -> Duration {
    let start = std::time::Instant::now();
    t.ok(args);
    start.elapsed()
}

/// Kills `rh args` at random points `n` times; after each kill the file at `path` must be `old` or
/// `new` byte for byte with mode `want_mode` (if given). `reset` brings the file back to `old`.
/// Returns how many runs completed before the kill.
fn kill_loop(
    t: &CliTest,
    args: &[&str],
    path: &std::path::Path,
    (old, new): (&[u8], &[u8]),
    want_mode: Option<u32>,
    n: usize,
    reset: &dyn Fn(),
) -> usize {
    // Kill points spread over 1.5 times a full run, so some runs finish and most are cut.
    let full = timed(t, args);
    reset();
    let max_us = u64::try_from(full.as_micros() * 3 / 2).unwrap().max(1000);
    let mut rng = Rng::new();
    let mut completed = 0;
    for i in 0..n {
        run_and_kill(t, args, &mut rng, max_us);
        let now = std::fs::read(path).unwrap();
        let is_old = now == old;
        let is_new = now == new;
        assert!(
            is_old || is_new,
            "iteration {i}: {} is torn ({} bytes)",
            path.display(),
            now.len()
        );
        if let Some(m) = want_mode {
            assert_eq!(mode(path), m, "iteration {i}");
        }
        if is_new {
            completed += 1;
            reset();
        }
    }
    completed
}

#[test]
fn config_yaml_is_old_or_new_after_sigkill() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    // A large file (256 KiB of other keys) makes each rewrite take long enough to be cut in the middle.
    std::fs::create_dir_all(t.config_dir()).unwrap();
    let filler = "x".repeat(1000);
    let filler: String = (0..256)
        .map(|i| format!("key{i}: {filler}\n"))
        .collect::<Vec<_>>()
        .concat();
    std::fs::write(t.config_file(), &filler).unwrap();
    let (a, b) = ("value-a", "value-b");
    t.ok(["config", "set", "blob", b]);
    let expect_b = std::fs::read(t.config_file()).unwrap();
    t.ok(["config", "set", "blob", a]);
    let expect_a = std::fs::read(t.config_file()).unwrap();
    // Both outcomes must occur, or the kill points did not cover the write.
    let completed = kill_loop(
        &t,
        &["config", "set", "blob", b],
        &t.config_file(),
        (&expect_a, &expect_b),
        Some(0o600),
        100,
        // Back to the old version, so every iteration starts from `a`.
        &|| std::fs::write(t.config_file(), &expect_a).unwrap(),
    );
    assert!(
        completed > 0 && completed < 100,
        "{completed} of 100 completed"
    );
    // Stray temp files from killed writers are hidden dot-files; the config itself stays readable.
    t.ok(["config", "get", "use_spot"]);
}

#[test]
fn credentials_file_is_old_or_new_after_sigkill() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    // ~/.aws/credentials with 500 other profiles (about 50 KiB) and a [default] to overwrite.
    let aws = t.home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    let path = aws.join("credentials");
    let mut old = String::from(
        "[default]\naws_access_key_id = AKIAOLDOLDOLDOLD\naws_secret_access_key = old/secret\n",
    );
    for i in 0..500 {
        writeln!(
            old,
            "\n[profile-{i}]\naws_access_key_id = AKIA{i:016}\naws_secret_access_key = s{i}"
        )
        .unwrap();
    }
    let write_old = || {
        std::fs::write(&path, &old).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .unwrap();
    };
    write_old();
    let args = [
        "secrets",
        "save",
        "aws",
        "access_key=AKIANEWNEWNEWNEW",
        "secret_key=new/secret",
        "--force",
    ];
    t.ok(args);
    let new = std::fs::read(&path).unwrap();
    assert_eq!(
        String::from_utf8(new.clone()).unwrap(),
        old.replacen("AKIAOLDOLDOLDOLD", "AKIANEWNEWNEWNEW", 1)
            .replacen("old/secret", "new/secret", 1),
        "only [default] changes"
    );
    write_old();
    let completed = kill_loop(
        &t,
        &args,
        &path,
        (old.as_bytes(), &new),
        Some(0o600),
        100,
        &write_old,
    );
    assert!(
        completed > 0 && completed < 100,
        "{completed} of 100 completed"
    );
    t.ok(["secrets", "show", "aws"]);
}

#[test]
fn config_json_is_old_or_new_after_sigkill() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    std::fs::write(t.work_dir().join("pyproject.toml"), "").unwrap();
    // Two large resource configs (about 256 KiB each) saved over one another.
    let blob = |tag: &str| {
        let filler: Vec<String> = (0..2000).map(|i| format!("{tag}-{i:0>120}")).collect();
        serde_json::to_vec_pretty(&serde_json::json!({
            "name": "~/x",
            "resource_type": "blob",
            "resource_subtype": "Blob",
            "path": format!("/data/{tag}"),
            "metadata": { "lines": filler },
        }))
        .unwrap()
    };
    let (src_old, src_new) = (t.root().join("old.json"), t.root().join("new.json"));
    std::fs::write(&src_old, blob("old")).unwrap();
    std::fs::write(&src_new, blob("new")).unwrap();
    let save = |src: &std::path::Path| {
        t.ok([
            "resource",
            "save",
            "~/x",
            "--from-json",
            src.to_str().unwrap(),
            "--overwrite",
        ]);
    };
    let path = t.work_dir().join("rh/x/config.json");
    save(&src_new);
    let new = std::fs::read(&path).unwrap();
    save(&src_old);
    let old = std::fs::read(&path).unwrap();
    assert_ne!(old, new);
    let args = [
        "resource",
        "save",
        "~/x",
        "--from-json",
        src_new.to_str().unwrap(),
        "--overwrite",
    ];
    let completed = kill_loop(&t, &args, &path, (&old, &new), None, 100, &|| {
        std::fs::write(&path, &old).unwrap();
    });
    assert!(
        completed > 0 && completed < 100,
        "{completed} of 100 completed"
    );
    t.ok(["resource", "show", "~/x"]);
}
