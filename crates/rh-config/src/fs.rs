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
    let wrap = |source| Error::Write {
        path: path.to_path_buf(),
        source: without_temp_path(source),
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
    ensure_private_dir(dir)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .permissions(std::fs::Permissions::from_mode(mode))
        .tempfile_in(dir)
        .map_err(wrap)?;
    tmp.write_all(contents).map_err(wrap)?;
    tmp.as_file().sync_all().map_err(wrap)?;
    // The umask may have narrowed the mode; set it exactly.
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(wrap)?;
    tmp.persist(path).map_err(|e| wrap(e.error))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Make the rename durable; a failure here is not worth failing the write for.
        let _ = d.sync_all();
    }
    remove_stale_temps(dir, &file_name);
    Ok(())
}

fn without_temp_path(e: std::io::Error) -> std::io::Error {
    // tempfile wraps an I/O error with the temp file's path; `Error::Write` names the real file.
    let text = e.to_string();
    match text.rfind(" at path \"") {
        Some(i) if e.raw_os_error().is_none() => std::io::Error::new(e.kind(), &text[..i]),
        _ => e,
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
    fn refuses_a_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let err = write_atomic(tmp.path(), b"x", 0o600).unwrap_err();
        let shown = crate::display_chain(&err);
        assert!(shown.contains("is a directory"), "{shown}");
    }
}
