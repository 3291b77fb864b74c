//! File access for credential files: clear errors for directories and dangling symlinks, private atomic writes.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Mode of every credential file rh writes.
pub(crate) const FILE_MODE: u32 = 0o600;

/// Checks what is at `path`: `Ok(false)` if nothing, `Ok(true)` for a file (or a symlink to one).
pub(crate) fn check_file(path: &Path) -> Result<bool> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(source) => {
            return Err(Error::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let meta = if meta.file_type().is_symlink() {
        match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return Err(Error::DanglingSymlink {
                    path: path.to_path_buf(),
                    target: std::fs::read_link(path).unwrap_or_default(),
                });
            }
            Err(source) => {
                return Err(Error::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        }
    } else {
        meta
    };
    if meta.is_dir() {
        return Err(Error::IsDirectory {
            path: path.to_path_buf(),
        });
    }
    Ok(true)
}

/// Reads a credential file; `None` when it does not exist.
pub(crate) fn read_optional(path: &Path) -> Result<Option<String>> {
    if !check_file(path)? {
        return Ok(None);
    }
    let bytes = std::fs::read(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::NotUtf8 {
            path: path.to_path_buf(),
        })
}

/// The file a write to `path` should replace: a symlink to a file is followed, so a user's
/// dotfiles link keeps pointing at the updated file.
pub(crate) fn write_target(path: &Path) -> Result<PathBuf> {
    check_file(path)?;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => {
            std::fs::canonicalize(path).map_err(|source| Error::Read {
                path: path.to_path_buf(),
                source,
            })
        }
        _ => Ok(path.to_path_buf()),
    }
}

/// Writes `contents` atomically with mode 0600, creating missing parent dirs with mode 0700.
pub(crate) fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    let target = write_target(path)?;
    rh_config::write_atomic(&target, contents, FILE_MODE)?;
    Ok(())
}

/// Removes a file; a missing file is fine. Returns whether something was removed.
pub(crate) fn remove(path: &Path) -> Result<bool> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
        Err(source) => Err(Error::Delete {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The first free backup name next to `path`: `<name>.bak`, then `<name>.bak.1`, `<name>.bak.2`, …
pub(crate) fn backup_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let first = path.with_file_name(format!("{name}.bak"));
    if std::fs::symlink_metadata(&first).is_err() {
        return first;
    }
    (1..=u32::MAX)
        .map(|i| path.with_file_name(format!("{name}.bak.{i}")))
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .expect("some backup name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_and_dangling_symlink_are_clear_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("credentials");
        std::fs::create_dir(&dir).unwrap();
        let err = read_optional(&dir).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("credentials is a directory, expected a credentials file"),
            "{err}"
        );
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(tmp.path().join("nowhere"), &link).unwrap();
        let err = read_optional(&link).unwrap_err();
        assert!(err.to_string().contains("is a dangling symlink"), "{err}");
        assert!(write_private(&link, b"x").is_err());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn writes_through_a_symlink_to_its_target() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        std::fs::write(&real, "old").unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        write_private(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&real).unwrap(), "new");
    }

    #[test]
    fn backup_names_do_not_collide() {
        let tmp = tempfile::tempdir().unwrap();
        let key = tmp.path().join("id_rsa");
        assert_eq!(backup_path(&key), tmp.path().join("id_rsa.bak"));
        std::fs::write(tmp.path().join("id_rsa.bak"), "").unwrap();
        assert_eq!(backup_path(&key), tmp.path().join("id_rsa.bak.1"));
    }
}
