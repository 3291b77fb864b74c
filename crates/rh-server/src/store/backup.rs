//! `rh-server backup FILE`: an online copy of the embedded SQLite database.
//!
//! The copy is SQLite's `VACUUM INTO`, run on a read-only connection of its own: it reads one consistent
//! snapshot of the database (a single read transaction, so writes committed meanwhile by a running server are
//! either all in the copy or not at all), never blocks the server's writer in WAL mode, and writes a compact,
//! self-contained file (no `-wal` beside it). It is written to a new temporary file in FILE's directory, made
//! 0600 (it holds token hashes and every resource), and then linked to FILE, so FILE is either complete or
//! absent, and an existing FILE is never replaced. Restoring is starting a server on the copy: put it as
//! `rh-server.db` in an empty `--data-dir`.
//!
//! PostgreSQL has its own tools (`pg_dump`), and `backup` refuses a `postgres://` target.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result, bail};

use super::{DatabaseTarget, SQLITE_FILE};

/// The SQLite file a target names, or an error for PostgreSQL.
pub fn sqlite_file(target: &DatabaseTarget) -> Result<PathBuf> {
    match target {
        DatabaseTarget::DataDir(dir) => Ok(dir.join(SQLITE_FILE)),
        DatabaseTarget::Url(url) => {
            let Some(rest) = url.strip_prefix("sqlite:") else {
                bail!(
                    "`rh-server backup` copies the embedded SQLite database; back up PostgreSQL with pg_dump"
                );
            };
            let rest = rest.strip_prefix("//").unwrap_or(rest);
            let path = rest.split_once('?').map_or(rest, |(p, _)| p);
            if path.is_empty() || path == ":memory:" {
                bail!("{url} names no database file to back up");
            }
            Ok(PathBuf::from(path))
        }
    }
}

/// Copies the SQLite database `source` to `dest` (which must not exist); returns the bytes written.
pub fn backup_sqlite(source: &Path, dest: &Path) -> Result<u64> {
    if !source.is_file() {
        bail!("no database at {}", source.display());
    }
    if dest.symlink_metadata().is_ok() {
        bail!(
            "{} already exists; backup never replaces a file",
            dest.display()
        );
    }
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        bail!("the directory of {} does not exist", dest.display());
    }
    let name = dest
        .file_name()
        .with_context(|| format!("{} is not a file name", dest.display()))?;
    let tmp = dir.join(format!(
        ".{}.{}.partial",
        name.to_string_lossy(),
        std::process::id()
    ));
    let _ = std::fs::remove_file(&tmp);
    let result = copy_into(source, &tmp).and_then(|()| {
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot make {} private", tmp.display()))?;
        std::fs::File::open(&tmp)
            .and_then(|f| f.sync_all())
            .with_context(|| format!("cannot flush {}", tmp.display()))?;
        // A hard link fails if `dest` appeared meanwhile: never clobbered.
        std::fs::hard_link(&tmp, dest).with_context(|| format!("cannot create {}", dest.display()))
    });
    let _ = std::fs::remove_file(&tmp);
    result?;
    Ok(std::fs::metadata(dest)
        .with_context(|| format!("cannot read {}", dest.display()))?
        .len())
}

fn copy_into(source: &Path, tmp: &Path) -> Result<()> {
    use rusqlite::OpenFlags;
    let conn = rusqlite::Connection::open_with_flags(
        source,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("cannot open {}", source.display()))?;
    // A server's write holds the lock briefly; wait for it rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = tmp
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", tmp.display()))?;
    conn.execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("cannot copy {} to {}", source.display(), tmp.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_is_refused_and_sqlite_urls_name_their_file() {
        let pg = DatabaseTarget::Url("postgres://u:p@h/db".into());
        let e = sqlite_file(&pg).unwrap_err().to_string();
        assert!(e.contains("pg_dump"), "{e}");
        assert!(!e.contains("u:p@"), "{e}");
        let url = DatabaseTarget::Url("sqlite:///srv/rh/rh.db?mode=rwc".into());
        assert_eq!(sqlite_file(&url).unwrap(), PathBuf::from("/srv/rh/rh.db"));
        let dir = DatabaseTarget::DataDir("/srv/rh".into());
        assert_eq!(
            sqlite_file(&dir).unwrap(),
            PathBuf::from("/srv/rh/rh-server.db")
        );
    }

    #[test]
    fn an_existing_file_is_never_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let src = tmp.path().join("src.db");
        rusqlite::Connection::open(&src)
            .unwrap()
            .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
            .unwrap();
        let dest = tmp.path().join("copy.db");
        std::fs::write(&dest, b"keep").unwrap();
        let e = backup_sqlite(&src, &dest).unwrap_err().to_string();
        assert!(e.contains("already exists"), "{e}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"keep");
        let fresh = tmp.path().join("fresh.db");
        assert!(backup_sqlite(&src, &fresh).unwrap() > 0);
        let mode = std::fs::metadata(&fresh).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let n: i64 = rusqlite::Connection::open(&fresh)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().ends_with(".partial"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}
