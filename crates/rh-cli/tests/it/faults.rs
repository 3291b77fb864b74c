//! Read-only HOME, full disk, permission-denied files and a parent that is a file: `rh config set`,
//! `rh secrets save` and `rh resource save` fail with a one-line error naming the path, exit
//! non-zero, and leave every file as it was (no file changed, none added, no temp file left).
//!
//! Tests run as root here, where file modes do not stop writes, so each fault is made real:
//! - full disk and read-only: a 64 KiB tmpfs mounted over the test root (filled up, or remounted
//!   read-only); the kernel refuses the writes even for root. Skipped when `mount` is not permitted.
//! - permission denied: modes 0555 on directories and 0000 on the credentials file; as root, `rh`
//!   runs as `nobody` (uid 65534) so the modes apply.
//! - parent is a file: `~/.rh`, `~/.aws` and the working dir's `rh/` are regular files (ENOTDIR).

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rh_test::{CliTest, stderr};

const RESOURCE: &str = r#"{
    "name": "~/x",
    "resource_type": "blob",
    "resource_subtype": "Blob",
    "path": "/data/x"
}
"#;

/// A tmpfs mounted over a directory for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path) -> Option<Self> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs"])
            .arg(at)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            #[expect(clippy::print_stderr, reason = "a skipped test says why")]
            {
                eprintln!("skipped: mounting a tmpfs is not permitted here (needs root)");
            }
            return None;
        }
        Some(Self(at.to_path_buf()))
    }

    fn remount_read_only(&self) {
        let status = Command::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A test home whose root is a fresh tmpfs (`None` when mounting is not permitted). The mount is
/// returned second so it is dropped (unmounted) before the temp dir is removed.
fn on_tmpfs() -> Option<(CliTest, Tmpfs)> {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let m = Tmpfs::mount(t.root())?;
    std::fs::create_dir_all(t.home()).unwrap();
    std::fs::create_dir_all(t.work_dir()).unwrap();
    Some((t, m))
}

/// Seeds a config.yaml, an AWS credentials file and a saved resource `~/x`; returns the JSON source.
fn seed(t: &CliTest) -> PathBuf {
    std::fs::write(t.work_dir().join("pyproject.toml"), "").unwrap();
    t.ok(["config", "set", "default_autostop", "30"]);
    t.ok([
        "secrets",
        "save",
        "aws",
        "access_key=AKIAOLDOLDOLDOLD",
        "secret_key=old-secret",
    ]);
    let src = t.root().join("x.json");
    std::fs::write(&src, RESOURCE).unwrap();
    t.ok([
        "resource",
        "save",
        "~/x",
        "--from-json",
        src.to_str().unwrap(),
    ]);
    src
}

/// Every file under `dir` with its bytes (unreadable files as `None`).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).ok());
            }
        }
    }
    out
}

/// The three writes, each with the directory its error must name.
fn writes(t: &CliTest, src: &Path) -> Vec<(Vec<String>, PathBuf)> {
    let src = src.to_str().unwrap();
    let owned = |a: &[&str]| a.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    vec![
        (
            owned(&["config", "set", "default_autostop", "45"]),
            t.config_dir(),
        ),
        (
            owned(&[
                "secrets",
                "save",
                "aws",
                "access_key=AKIANEWNEWNEWNEW",
                "secret_key=new-secret",
                "--force",
            ]),
            t.home().join(".aws"),
        ),
        (
            owned(&["resource", "save", "~/x", "--from-json", src, "--overwrite"]),
            t.work_dir().join("rh"),
        ),
    ]
}

/// Runs each write (as `uid` when given); see [`write_fails_cleanly`].
fn each_write_fails_cleanly(t: &CliTest, src: &Path, uid: Option<u32>, fault: &str) {
    for (args, dir) in writes(t, src) {
        write_fails_cleanly(t, &args, &dir, uid, fault);
    }
}

/// Runs `rh args`: it must exit 1 with one `error:` line naming `dir` (other stderr lines may only
/// be the INFO log lines Runhouse printed too), and leave every file under the test root as it was.
fn write_fails_cleanly(t: &CliTest, args: &[String], dir: &Path, uid: Option<u32>, fault: &str) {
    let before = snapshot(t.root());
    let mut cmd = t.command();
    cmd.args(args);
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    let out = cmd.output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{fault}: rh {args:?}: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("INFO | ")).collect();
    assert!(
        lines.len() == 1 && lines[0].starts_with("error: "),
        "{fault}: rh {args:?}: not one error line: {err}"
    );
    let line = lines[0];
    assert!(
        line.contains(&dir.display().to_string()),
        "{fault}: rh {args:?}: does not name {}: {line}",
        dir.display()
    );
    assert!(!line.contains(".tmp"), "{fault}: names a temp file: {line}");
    assert!(
        !line.contains("SECRET") && !line.contains("secret-"),
        "{fault}: {line}"
    );
    assert_eq!(
        snapshot(t.root()),
        before,
        "{fault}: rh {args:?} changed files"
    );
}

#[test]
fn full_disk_fails_cleanly() {
    let Some((t, _mount)) = on_tmpfs() else {
        return;
    };
    let src = seed(&t);
    // Fill the 64 KiB tmpfs to the last byte.
    let mut filler = std::fs::File::create(t.root().join("filler")).unwrap();
    let chunk = [0u8; 1024];
    while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
    while std::io::Write::write_all(&mut filler, &chunk[..1]).is_ok() {}
    drop(filler);
    each_write_fails_cleanly(&t, &src, None, "full disk");
}

#[test]
fn read_only_home_fails_cleanly() {
    let Some((t, mount)) = on_tmpfs() else {
        return;
    };
    let src = seed(&t);
    mount.remount_read_only();
    each_write_fails_cleanly(&t, &src, None, "read-only file system");
    // Reading still works.
    assert_eq!(t.ok(["config", "get", "default_autostop"]).trim(), "30");
}

#[test]
fn permission_denied_fails_cleanly() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    let src = seed(&t);
    let chmod =
        |p: PathBuf, m: u32| std::fs::set_permissions(p, PermissionsExt::from_mode(m)).unwrap();
    // Let `nobody` reach the test root, then take away write access.
    for p in [t.root().to_path_buf(), t.home(), t.work_dir()] {
        chmod(p, 0o755);
    }
    chmod(t.config_file(), 0o644);
    chmod(t.config_dir(), 0o555);
    chmod(t.home().join(".aws/credentials"), 0o000);
    chmod(t.work_dir().join("rh/x/config.json"), 0o644);
    for d in ["rh", "rh/x"] {
        chmod(t.work_dir().join(d), 0o555);
    }
    // SAFETY-free: getuid has no preconditions; read through /proc to avoid libc.
    let root = std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"));
    each_write_fails_cleanly(&t, &src, root.then_some(65534), "permission denied");
    // Give the temp dir back to its owner so it can be removed.
    for d in [
        t.config_dir(),
        t.work_dir().join("rh"),
        t.work_dir().join("rh/x"),
    ] {
        chmod(d, 0o755);
    }
}

#[test]
fn parent_that_is_a_file_fails_cleanly() {
    let t = CliTest::new(env!("CARGO_BIN_EXE_rh"));
    std::fs::write(t.work_dir().join("pyproject.toml"), "").unwrap();
    let src = t.root().join("x.json");
    std::fs::write(&src, RESOURCE).unwrap();
    // One at a time: `rh resource save` reads ~/.rh/config.yaml too, and would fail there first.
    for (args, dir) in writes(&t, &src) {
        std::fs::write(&dir, "a file where a directory belongs\n").unwrap();
        write_fails_cleanly(&t, &args, &dir, None, "parent is a file");
        std::fs::remove_file(&dir).unwrap();
    }
}
