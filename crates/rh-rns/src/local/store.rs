//! The synchronous file operations of [`LocalRns`].

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::{LocalRns, builtins, require_local};
use crate::{Error, ListEntry, Listing, ResourceName, ResourceRecord, Result, Scope, Skipped};

const CONFIG: &str = "config.json";

pub(crate) fn config_path(rns: &LocalRns, name: &ResourceName) -> Result<PathBuf> {
    match name.scope() {
        Scope::Local => {
            let mut path = rns.rh_dir.clone();
            path.extend(name.segments());
            path.push(CONFIG);
            Ok(path)
        }
        Scope::Builtin | Scope::Remote => Err(Error::NotSupported {
            name: name.to_string(),
            what: "a file path".to_owned(),
        }),
    }
}

/// The `config.json` of a local name, after checking that nothing below `rh/` on the way to it is a symlink.
pub(crate) fn resource_file(
    rns: &LocalRns,
    name: &ResourceName,
    action: &'static str,
) -> Result<PathBuf> {
    let path = config_path(rns, name)?;
    refuse_links(rns, &path, action)?;
    Ok(path)
}

/// Refuses a symlink at any component below `rh/` down to `path` (a resource dir, a nested dir,
/// `config.json` itself): a cloned repo's `rh/gcp/config.json -> ~/.config/gcloud/…` must not be read,
/// uploaded or written through. The error names the link. `rh/` itself must not be a link either: a cloned
/// repo's `rh -> ../..` would make every name reach into the home directory.
pub(crate) fn refuse_links(rns: &LocalRns, path: &Path, action: &'static str) -> Result<()> {
    let Ok(rel) = path.strip_prefix(&rns.rh_dir) else {
        return Ok(());
    };
    if std::fs::symlink_metadata(&rns.rh_dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::io(action, rns.rh_dir.clone(), symlink_error()));
    }
    let mut here = rns.rh_dir.clone();
    for part in rel.components() {
        here.push(part);
        match std::fs::symlink_metadata(&here) {
            Ok(m) if m.file_type().is_symlink() => {
                return Err(Error::io(action, here, symlink_error()));
            }
            Ok(_) => {}
            // Missing (or unreadable): nothing further down exists to follow.
            Err(_) => break,
        }
    }
    Ok(())
}

fn symlink_error() -> std::io::Error {
    std::io::Error::other("it is a symbolic link, and rh never follows links below rh/")
}

/// Temp files older than this, beside a config, were left by a writer that was killed; newer ones may
/// belong to a writer still running. The rule is rh-config's for its own temp files.
const STALE_TEMP_AGE: std::time::Duration = std::time::Duration::from_mins(1);

/// Removes the `.config.json.*.tmp` files a killed save left in `dir` (only stale ones, only regular
/// files), so they never end up committed to the work tree.
fn remove_stale_temps(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if !(file_name.starts_with(".config.json.") && file_name.ends_with(".tmp")) {
            continue;
        }
        let stale = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if stale {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn folder_path(rns: &LocalRns, folder: &ResourceName) -> PathBuf {
    let mut path = rns.rh_dir.clone();
    path.extend(folder.segments());
    path
}

pub(crate) fn save(rns: &LocalRns, record: &ResourceRecord, overwrite: bool) -> Result<()> {
    let name = record.name();
    require_local(name, "saving")?;
    let path = resource_file(rns, name, "write")?;
    tracing::info!("Saving config for {name} to: {}", path.display());
    write_config(&path, &record.to_json_bytes(), overwrite).map_err(|e| match e {
        WriteError::Exists => Error::AlreadyExists {
            name: name.to_string(),
        },
        WriteError::Io(action, p, source) => Error::io(action, p, source),
    })
}

pub(crate) enum WriteError {
    Exists,
    Io(&'static str, PathBuf, std::io::Error),
}

/// Writes `bytes` to `path` through rh-config's atomic writer, so readers never see a torn file. Without
/// `overwrite` the rename refuses to replace an existing file (atomically, no race). Config files are meant
/// to be committed and shared: plain 0644 in directories of the usual mode.
pub(crate) fn write_config(
    path: &Path,
    bytes: &[u8],
    overwrite: bool,
) -> std::result::Result<(), WriteError> {
    let how = rh_config::AtomicWrite {
        mode: 0o644,
        overwrite,
        private_dirs: false,
    };
    rh_config::write_atomic_with(path, bytes, how).map_err(|e| match e {
        rh_config::Error::Exists { .. } => WriteError::Exists,
        // An error naming another path is the creation of a missing directory.
        rh_config::Error::Write { path: p, source } => {
            let action = if p == path { "write" } else { "create" };
            WriteError::Io(action, p, source)
        }
        other => WriteError::Io("write", path.to_path_buf(), std::io::Error::other(other)),
    })
}

pub(crate) fn load(rns: &LocalRns, name: &ResourceName) -> Result<ResourceRecord> {
    match name.scope() {
        Scope::Builtin => {
            let bytes = builtins::get(name.basename()).ok_or_else(|| Error::NotFound {
                name: name.to_string(),
            })?;
            ResourceRecord::from_json(name.clone(), bytes.as_bytes(), &format!("builtin {name}"))
        }
        Scope::Local if name.is_root() => Err(Error::NotFound {
            name: name.to_string(),
        }),
        Scope::Local => {
            let path = resource_file(rns, name, "read")?;
            let bytes = match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(Error::NotFound {
                        name: name.to_string(),
                    });
                }
                Err(e) => return Err(Error::io("read", path, e)),
            };
            tracing::info!("Loading config from local file {}", path.display());
            ResourceRecord::from_json(name.clone(), &bytes, &path.display().to_string())
        }
        Scope::Remote => Err(super::not_local(name)),
    }
}

pub(crate) fn exists(rns: &LocalRns, name: &ResourceName) -> Result<bool> {
    match name.scope() {
        Scope::Builtin => Ok(builtins::get(name.basename()).is_some()),
        Scope::Local if name.is_root() => Ok(false),
        Scope::Local => Ok(resource_file(rns, name, "read")?.is_file()),
        Scope::Remote => Err(super::not_local(name)),
    }
}

pub(crate) fn delete(rns: &LocalRns, name: &ResourceName) -> Result<()> {
    require_local(name, "deleting")?;
    let path = resource_file(rns, name, "remove")?;
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound {
                name: name.to_string(),
            });
        }
        Err(e) => return Err(Error::io("remove", path, e)),
    }
    if let Some(dir) = path.parent() {
        remove_stale_temps(dir);
    }
    prune_empty_dirs(rns, path.parent());
    Ok(())
}

/// Removes now-empty resource dirs up to (not including) `rh/`; nested resources keep theirs.
fn prune_empty_dirs(rns: &LocalRns, mut dir: Option<&Path>) {
    while let Some(d) = dir {
        if d == rns.rh_dir || !d.starts_with(&rns.rh_dir) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

pub(crate) fn rename(
    rns: &LocalRns,
    from: &ResourceName,
    to: &ResourceName,
    overwrite: bool,
) -> Result<()> {
    require_local(from, "moving")?;
    require_local(to, "moving")?;
    if from == to {
        return Ok(());
    }
    let record = load(rns, from)?;
    save(rns, &record.renamed(to.clone()), overwrite)?;
    delete(rns, from)
}

pub(crate) fn list(rns: &LocalRns, folder: &ResourceName, recursive: bool) -> Result<Listing> {
    let mut listing = Listing::default();
    match folder.scope() {
        Scope::Builtin => return Ok(listing),
        Scope::Remote => return Err(super::not_local(folder)),
        Scope::Local => {}
    }
    let dir = folder_path(rns, folder);
    refuse_links(rns, &dir, "list")?;
    if !dir.is_dir() {
        if folder.is_root() {
            return Ok(listing);
        }
        return Err(Error::NotFound {
            name: folder.to_string(),
        });
    }
    walk(&dir, folder, recursive, &mut listing)?;
    listing.entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(listing)
}

fn walk(dir: &Path, folder: &ResourceName, recursive: bool, out: &mut Listing) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("list", dir, e))?;
    // A link to a dir is reported (it would have been listed); the link itself is never followed, only
    // stat'ed. Links to files are not resources and are left alone (`config.json` is checked below).
    let mut children: Vec<_> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| {
            e.file_type()
                .is_ok_and(|t| t.is_dir() || (t.is_symlink() && e.path().is_dir()))
        })
        .collect();
    children.sort_by_key(std::fs::DirEntry::file_name);
    for child in children {
        let path = child.path();
        if child.file_type().is_ok_and(|t| t.is_symlink()) {
            out.skipped.push(Skipped {
                location: path.display().to_string(),
                reason: symlink_error().to_string(),
            });
            continue;
        }
        let Some(segment) = child.file_name().to_str().map(str::to_owned) else {
            out.skipped.push(Skipped {
                location: path.display().to_string(),
                reason: "the directory name is not UTF-8".to_owned(),
            });
            continue;
        };
        let Ok(name) = folder.join(&segment) else {
            out.skipped.push(Skipped {
                location: path.display().to_string(),
                reason: format!("`{}` is not a valid resource name", segment.escape_debug()),
            });
            continue;
        };
        let config = path.join(CONFIG);
        let config_type = std::fs::symlink_metadata(&config).map(|m| m.file_type());
        if config_type
            .as_ref()
            .is_ok_and(std::fs::FileType::is_symlink)
        {
            out.skipped.push(Skipped {
                location: config.display().to_string(),
                reason: symlink_error().to_string(),
            });
        } else if config_type.is_ok_and(|t| t.is_file()) {
            match read_entry(&name, &config) {
                Ok(entry) => out.entries.push(entry),
                Err(reason) => out.skipped.push(Skipped {
                    location: config.display().to_string(),
                    reason,
                }),
            }
        }
        if recursive {
            walk(&path, &name, true, out)?;
        }
    }
    Ok(())
}

fn read_entry(name: &ResourceName, path: &Path) -> std::result::Result<ListEntry, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    let record = ResourceRecord::from_json(name.clone(), &bytes, "").map_err(|e| match e {
        Error::Corrupt { reason, .. } => reason,
        other => other.to_string(),
    })?;
    Ok(ListEntry {
        name: name.clone(),
        resource_type: record.resource_type().to_owned(),
        resource_subtype: record
            .config()
            .get("resource_subtype")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}
