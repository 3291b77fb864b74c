//! Atomic, private file writes.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use crate::{Error, Result};

/// Creates `dir` and its missing parents with mode 0700. Existing directories keep their mode.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })
}

/// Writes `contents` to `path` atomically with the given mode.
///
/// The bytes go to a temporary file in the same directory, which is flushed to disk, given `mode`
/// and renamed over `path`. A reader therefore sees the old file or the new one, never a torn one;
/// a crash leaves at most a stray `.tmp` file that is never read. Missing parent directories are
/// created with mode 0700. A symlink at `path` is replaced by the regular file, never followed.
pub fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<()> {
    write_atomic_with(
        path,
        contents,
        AtomicWrite {
            mode,
            overwrite: true,
            private_dirs: true,
        },
    )
}

/// How [`write_atomic_with`] writes.
#[derive(Debug, Clone, Copy)]
pub struct AtomicWrite {
    /// The file's mode (set exactly, whatever the umask).
    pub mode: u32,
    /// Replace an existing file; without it an existing file is [`Error::Exists`], checked by the rename
    /// itself (a hard link that refuses an existing name), so two writers never both win.
    pub overwrite: bool,
    /// Create missing parent directories with mode 0700 (else with the umask's mode, for shared trees).
    pub private_dirs: bool,
}

/// [`write_atomic`] with its choices spelled out: the one atomic writer of rh (secrets, config.yaml and the
/// local RNS's `config.json` files all go through it).
pub fn write_atomic_with(path: &Path, contents: &[u8], how: AtomicWrite) -> Result<()> {
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if path.is_dir() {
        return Err(wrap(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )));
    }
    if !how.overwrite && std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::Exists {
            path: path.to_path_buf(),
        });
    }
    if how.private_dirs {
        ensure_private_dir(dir)?;
    } else {
        std::fs::create_dir_all(dir).map_err(|source| Error::Write {
            path: dir.to_path_buf(),
            source,
        })?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = TempFile::create(dir, &file_name, how.mode).map_err(wrap)?;
    let mut file = &tmp.file;
    file.write_all(contents).map_err(wrap)?;
    file.sync_all().map_err(wrap)?;
    // The umask may have narrowed the mode; set it exactly.
    file.set_permissions(std::fs::Permissions::from_mode(how.mode))
        .map_err(wrap)?;
    if how.overwrite {
        std::fs::rename(&tmp.path, path).map_err(wrap)?;
    } else {
        // link(2) refuses an existing name atomically; the temp name is removed by the guard.
        match std::fs::hard_link(&tmp.path, path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(Error::Exists {
                    path: path.to_path_buf(),
                });
            }
            Err(e) => return Err(wrap(e)),
        }
    }
    drop(tmp);
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename durable; a failure here is not worth failing the write for.
        let _ = d.sync_all();
    }
    remove_stale_temps(dir, &file_name);
    Ok(())
}

/// A `.<name>.<random>.tmp` file beside the target, removed on drop unless renamed away.
struct TempFile {
    path: std::path::PathBuf,
    file: std::fs::File,
}

impl TempFile {
    fn create(dir: &Path, file_name: &str, mode: u32) -> std::io::Result<Self> {
        use std::hash::{BuildHasher as _, Hasher as _};
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut last = None;
        for attempt in 0..16u32 {
            // RandomState is seeded per process from the OS; mixed with the pid and the attempt.
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u32(std::process::id());
            h.write_u32(attempt);
            let path = dir.join(format!(".{file_name}.{:016x}.tmp", h.finish()));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode & 0o600)
                .open(&path)
            {
                Ok(file) => return Ok(Self { path, file }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary file name")))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        // After a rename the name is gone (NotFound); after a link or a failure it is ours to remove.
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Removes temp files that a writer killed mid-write left beside `file_name` (they may hold secrets).
/// Only files older than a minute go, so a concurrent writer's temp file is never touched.
fn remove_stale_temps(dir: &Path, file_name: &str) {
    let prefix = format!(".{file_name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > std::time::Duration::from_mins(1));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_with_mode_and_creates_private_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("a/b/file");
        write_atomic(&path, b"hello", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let dmode = std::fs::metadata(tmp.path().join("a"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(dmode, 0o700);
        write_atomic(&path, b"again", 0o600).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"again");
        // No temp files are left behind.
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("a/b")).unwrap().collect();
        assert_eq!(names.len(), 1);
    }

    #[test]
    fn stale_temp_files_are_removed_fresh_ones_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("credentials");
        let stale = tmp.path().join(".credentials.abc.tmp");
        let fresh = tmp.path().join(".credentials.def.tmp");
        std::fs::write(&stale, "old").unwrap();
        std::fs::write(&fresh, "new").unwrap();
        let two_minutes_ago = std::time::SystemTime::now() - std::time::Duration::from_mins(2);
        std::fs::File::options()
            .write(true)
            .open(&stale)
            .unwrap()
            .set_modified(two_minutes_ago)
            .unwrap();
        write_atomic(&path, b"x", 0o600).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists());
    }

    #[test]
    fn without_overwrite_an_existing_file_is_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("shared/config.json");
        let how = AtomicWrite {
            mode: 0o644,
            overwrite: false,
            private_dirs: false,
        };
        write_atomic_with(&path, b"first", how).unwrap();
        let err = write_atomic_with(&path, b"second", how).unwrap_err();
        assert!(matches!(err, Error::Exists { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"first");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
        let names: Vec<_> = std::fs::read_dir(tmp.path().join("shared"))
            .unwrap()
            .collect();
        assert_eq!(names.len(), 1, "no temp file is left behind");
    }

    #[test]
    fn refuses_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let err = write_atomic(tmp.path(), b"x", 0o600).unwrap_err();
        let shown = crate::display_chain(&err);
        assert!(shown.contains("is a directory"), "{shown}");
    }
}
