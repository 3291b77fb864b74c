//! The local audit trail: one JSON line in `~/.rh/audit.log` for every credential file rh writes or
//! deletes on this machine (provider saves, pulls and deletes; named secrets' create, write and rm).
//!
//! A line holds the time (UTC, RFC 3339), the command, what was done (`write`, `delete`, `backup`), the
//! provider (or the named secret), the file, and where the values came from (`argv`, `env`,
//! `vault secret/rh/alice/aws v7`, `server /alice/openai v3`, `local ~/openai`). Never a value: an
//! [`Entry`] has no field that could hold one. The file is 0600 in a 0700 directory and only appended
//! to (one `write` per line, `O_APPEND`), so concurrent rh processes never interleave a line.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use rh_config::RhPaths;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One line of `audit.log`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// When, UTC, RFC 3339 (`2026-12-03T12:48:40Z`).
    pub time: String,
    /// The command (`rh secrets save`, `rh secrets pull`, `rh secrets create`…).
    pub command: String,
    /// `write`, `delete` or `backup`.
    pub action: String,
    /// The provider (`-` for a named secret without one).
    pub provider: String,
    /// The named secret whose file this is (`~/openai`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// The file written or deleted.
    pub file: String,
    /// Where the values came from (`argv`, `env`, `file PATH`, `vault secret/rh/alice/aws v7`…).
    pub source: String,
}

/// Who is writing: the command, and where each provider's values came from.
#[derive(Debug, Clone)]
pub struct Origin {
    command: String,
    source: String,
    per_provider: BTreeMap<String, String>,
}

impl Default for Origin {
    fn default() -> Self {
        Self::new("rh", "unknown")
    }
}

impl Origin {
    /// `command` writing values that came from `source`.
    pub fn new(command: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            command: command.into(),
            source: source.into(),
            per_provider: BTreeMap::new(),
        }
    }

    /// `provider`'s values came from `source` (a pull: each provider has its own version).
    #[must_use]
    pub fn with_provider_source(mut self, provider: &str, source: impl Into<String>) -> Self {
        self.per_provider.insert(provider.to_owned(), source.into());
        self
    }

    /// The command.
    pub fn command(&self) -> &str {
        &self.command
    }

    /// Where `provider`'s values came from.
    pub fn source(&self, provider: &str) -> &str {
        self.per_provider.get(provider).unwrap_or(&self.source)
    }
}

/// `~/.rh/audit.log` (under `RH_CONFIG_DIR` when set): the one reader and writer of the file.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
}

impl AuditLog {
    /// The log of rh's directory in `paths`.
    pub fn new(paths: &RhPaths) -> Self {
        Self::at(paths.config_dir().join("audit.log"))
    }

    /// The log at `path`.
    pub fn at(path: PathBuf) -> Self {
        Self { path }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line for `action` on `file` by `origin` for `provider` (and the named secret
    /// `secret`). A failure is logged, not returned: the credential file is already written, and the
    /// command's result must say so.
    pub fn record(
        &self,
        origin: &Origin,
        action: &str,
        provider: &str,
        secret: Option<&str>,
        file: &Path,
    ) {
        let entry = Entry {
            time: now_rfc3339(),
            command: origin.command().to_owned(),
            action: action.to_owned(),
            provider: provider.to_owned(),
            secret: secret.map(str::to_owned),
            file: file.display().to_string(),
            source: origin.source(provider).to_owned(),
        };
        if let Err(e) = self.append(&entry) {
            tracing::warn!(
                "could not record {action} of {} in the audit log: {}",
                file.display(),
                rh_config::display_chain(&e)
            );
        }
    }

    /// Appends `entry` as one line (the file 0600, its directory 0700); a symlink at the path is refused.
    pub fn append(&self, entry: &Entry) -> Result<()> {
        let wrap = |source| {
            Error::Config(rh_config::Error::Write {
                path: self.path.clone(),
                source,
            })
        };
        if let Some(dir) = self.path.parent() {
            rh_config::ensure_private_dir(dir)?;
        }
        if std::fs::symlink_metadata(&self.path).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(wrap(std::io::Error::other(
                "is a symlink; refusing to append to it",
            )));
        }
        let mut line = serde_json::to_vec(entry).expect("an entry always serialises");
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(crate::fsio::FILE_MODE)
            .open(&self.path)
            .map_err(wrap)?;
        let meta = file.metadata().map_err(wrap)?;
        if meta.permissions().mode() & 0o777 != crate::fsio::FILE_MODE {
            file.set_permissions(std::fs::Permissions::from_mode(crate::fsio::FILE_MODE))
                .map_err(wrap)?;
        }
        file.write_all(&line).map_err(wrap)?;
        Ok(())
    }

    /// Every line, oldest first; a missing file is empty. A line that is not an entry is an error
    /// naming the file and line.
    pub fn read(&self) -> Result<Vec<Entry>> {
        let Some(text) = crate::fsio::read_optional(&self.path)? else {
            return Ok(Vec::new());
        };
        text.lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l).map_err(|_| Error::Malformed {
                    path: self.path.clone(),
                    line: i + 1,
                    message: "not an audit entry".to_owned(),
                })
            })
            .collect()
    }
}

/// The current time, UTC, as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc();
    now.replace_nanosecond(0)
        .unwrap_or(now)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        let now = now_rfc3339();
        assert_eq!(now.len(), 20, "{now}");
        assert!(now.ends_with('Z') && now.as_bytes()[10] == b'T', "{now}");
    }

    #[test]
    fn appends_private_lines_and_reads_them_back() {
        let tmp = tempfile::tempdir().unwrap();
        let log = AuditLog::at(tmp.path().join("rh/audit.log"));
        let origin = Origin::new("rh secrets save", "argv").with_provider_source("aws", "env");
        log.record(
            &origin,
            "write",
            "aws",
            None,
            Path::new("/h/.aws/credentials"),
        );
        log.record(
            &origin,
            "delete",
            "lambda",
            None,
            Path::new("/h/.lambda_cloud/lambda_keys"),
        );
        let entries = log.read().unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].source, "env");
        assert_eq!(entries[1].source, "argv");
        assert_eq!(entries[1].action, "delete");
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(log.path()), 0o600);
        assert_eq!(mode(&tmp.path().join("rh")), 0o700);
        std::fs::write(log.path(), "{not json\n").unwrap();
        let err = log.read().unwrap_err().to_string();
        assert!(err.contains("audit.log:1"), "{err}");
    }
}
