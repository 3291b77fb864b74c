//! Crash safety: `rh` killed with SIGKILL at arbitrary points while it writes leaves every file either
//! as it was or as it was meant to become, never torn, and still private.

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
    let expect_b = std::fs::read_to_string(t.config_file()).unwrap();
    t.ok(["config", "set", "blob", a]);
    let expect_a = std::fs::read_to_string(t.config_file()).unwrap();
    let mut rng = Rng::new();
    let mut completed = 0;
    for i in 0..200 {
        run_and_kill(&t, &["config", "set", "blob", b], &mut rng, 120_000);
        let text = std::fs::read_to_string(t.config_file()).unwrap();
        let is_a = text == expect_a;
        let is_b = text == expect_b;
        assert!(
            is_a || is_b,
            "iteration {i}: config.yaml is torn ({} bytes)",
            text.len()
        );
        assert_eq!(mode(&t.config_file()), 0o600);
        if is_b {
            completed += 1;
            // Back to the old version, so every iteration starts from `a`.
            t.ok(["config", "set", "blob", a]);
        }
    }
    // Stray temp files from killed writers are hidden dot-files; the config itself stays readable.
    t.ok(["config", "get", "use_spot"]);

    // Both outcomes must occur, or the kill points did not cover the write.
    assert!(
        completed > 0 && completed < 200,
        "{completed} of 200 completed"
    );
}
