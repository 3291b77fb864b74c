//! [`Blob`] and [`Folder`]: data resources. Their bytes are reachable here on the `file` system only
//! (object stores are rh-storage's).

use std::path::{Path, PathBuf};

use rh_rns::{ResourceName, Rns};
use serde_json::{Map, Value};

use crate::fields::{Fields, overlay};
use crate::{Error, Resource, Result};

/// Where a data resource's bytes live: a system name (`file`, `s3`, `gs`, a cluster address) or an
/// embedded cluster config (an unnamed cluster, as Runhouse stored it).
#[derive(Debug, Clone, PartialEq)]
pub enum System {
    /// `file`, `s3`, `gs`, `azure`, or a cluster's address.
    Name(String),
    /// An unnamed cluster's whole config.
    Config(Map<String, Value>),
}

impl System {
    /// The local file system.
    pub fn file() -> Self {
        Self::Name("file".to_owned())
    }

    fn is_file(&self) -> bool {
        matches!(self, Self::Name(n) if n == "file")
    }

    fn label(&self) -> String {
        match self {
            Self::Name(n) => n.clone(),
            Self::Config(_) => "an embedded cluster".to_owned(),
        }
    }

    fn to_value(&self) -> Value {
        match self {
            Self::Name(n) => Value::String(n.clone()),
            Self::Config(m) => Value::Object(m.clone()),
        }
    }

    fn from_config(config: &Map<String, Value>, location: &str) -> Result<Self> {
        match config.get("system") {
            None | Some(Value::Null) => Ok(Self::file()),
            Some(Value::String(s)) => Ok(Self::Name(s.clone())),
            Some(Value::Object(m)) => Ok(Self::Config(m.clone())),
            Some(_) => Err(Error::InvalidConfig {
                location: location.to_owned(),
                reason: "`system` must be a name or a cluster config".to_owned(),
            }),
        }
    }
}

/// How relative and `~` paths of `file` resources resolve: relative to the working dir (Runhouse's rule,
/// not the current dir), `~` to the home dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalPaths {
    /// The RNS working dir.
    pub workdir: PathBuf,
    /// The user's home.
    pub home: PathBuf,
}

impl LocalPaths {
    /// The absolute path of a stored `path`.
    pub fn resolve(&self, path: &str) -> PathBuf {
        if path == "~" {
            self.home.clone()
        } else if let Some(rest) = path.strip_prefix("~/") {
            self.home.join(rest)
        } else {
            self.workdir.join(path)
        }
    }
}

/// A file-backed blob (Runhouse's `Blob`, later `File`).
#[derive(Debug, Clone, PartialEq)]
pub struct Blob {
    /// The address.
    pub name: ResourceName,
    /// Where the bytes are on the system.
    pub path: String,
    /// The system.
    pub system: System,
    subtype: String,
    base: Map<String, Value>,
}

impl Blob {
    /// A new, unsaved blob.
    pub fn new(name: ResourceName, path: impl Into<String>, system: System) -> Self {
        Self {
            name,
            path: path.into(),
            system,
            subtype: "Blob".to_owned(),
            base: Map::new(),
        }
    }

    pub(crate) fn from_config(
        name: ResourceName,
        subtype: &str,
        config: &Map<String, Value>,
        location: &str,
    ) -> Result<Self> {
        let f = Fields {
            map: config,
            name: location,
        };
        let path = f.opt_str("path")?.ok_or_else(|| Error::InvalidConfig {
            location: location.to_owned(),
            reason: "`path` is missing".to_owned(),
        })?;
        Ok(Self {
            name,
            path,
            system: System::from_config(config, location)?,
            subtype: subtype.to_owned(),
            base: config.clone(),
        })
    }

    /// The config (`name`, `resource_type`, `resource_subtype`, `path`, `system`).
    pub fn to_config(&self) -> Map<String, Value> {
        overlay(
            &self.base,
            vec![
                ("name", Some(Value::String(self.name.to_string()))),
                ("resource_type", Some("blob".into())),
                (
                    "resource_subtype",
                    Some(Value::String(self.subtype.clone())),
                ),
                ("path", Some(Value::String(self.path.clone()))),
                ("system", Some(self.system.to_value())),
            ],
        )
    }

    /// Loads `name`, which must be a blob.
    pub async fn from_name(rns: &dyn Rns, name: &ResourceName) -> Result<Self> {
        match Resource::load(rns, name).await? {
            Resource::Blob(b) => Ok(b),
            other => Err(other.wrong_type("a blob")),
        }
    }

    fn local(&self, paths: &LocalPaths, what: &'static str) -> Result<PathBuf> {
        local_path(&self.name, &self.system, &self.path, paths, what)
    }

    /// Writes the bytes (creating parent dirs).
    pub async fn write(&self, paths: &LocalPaths, data: &[u8]) -> Result<()> {
        let path = self.local(paths, "write")?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|e| Error::io("create", dir, e))?;
        }
        tokio::fs::write(&path, data)
            .await
            .map_err(|e| Error::io("write", &path, e))
    }

    /// Reads the bytes.
    pub async fn fetch(&self, paths: &LocalPaths) -> Result<Vec<u8>> {
        let path = self.local(paths, "fetch")?;
        tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io("read", &path, e))
    }

    /// Deletes the file (only the file, as Runhouse did).
    pub async fn rm(&self, paths: &LocalPaths) -> Result<()> {
        let path = self.local(paths, "rm")?;
        tokio::fs::remove_file(&path)
            .await
            .map_err(|e| Error::io("remove", &path, e))
    }

    /// True when the file exists.
    pub async fn exists_in_system(&self, paths: &LocalPaths) -> Result<bool> {
        let path = self.local(paths, "exists")?;
        Ok(tokio::fs::try_exists(&path).await.unwrap_or(false))
    }
}

/// A folder of files (Runhouse's `Folder`; `S3Folder`/`GCSFolder` keep their subtype).
#[derive(Debug, Clone, PartialEq)]
pub struct Folder {
    /// The address.
    pub name: ResourceName,
    /// The folder's path on the system.
    pub path: String,
    /// The system.
    pub system: System,
    /// Runhouse's `local_mount` flag, carried as stored.
    pub local_mount: bool,
    subtype: String,
    base: Map<String, Value>,
}

impl Folder {
    /// A new, unsaved folder.
    pub fn new(name: ResourceName, path: impl Into<String>, system: System) -> Self {
        Self {
            name,
            path: path.into(),
            system,
            local_mount: false,
            subtype: "Folder".to_owned(),
            base: Map::new(),
        }
    }

    pub(crate) fn from_config(
        name: ResourceName,
        subtype: &str,
        config: &Map<String, Value>,
        location: &str,
    ) -> Result<Self> {
        let f = Fields {
            map: config,
            name: location,
        };
        let path = f.opt_str("path")?.ok_or_else(|| Error::InvalidConfig {
            location: location.to_owned(),
            reason: "`path` is missing".to_owned(),
        })?;
        Ok(Self {
            name,
            path,
            system: System::from_config(config, location)?,
            local_mount: f.opt_bool("local_mount")?.unwrap_or(false),
            subtype: subtype.to_owned(),
            base: config.clone(),
        })
    }

    /// The config (`name`, `resource_type`, `resource_subtype`, `local_mount`, `path`, `system`).
    pub fn to_config(&self) -> Map<String, Value> {
        overlay(
            &self.base,
            vec![
                ("name", Some(Value::String(self.name.to_string()))),
                ("resource_type", Some("folder".into())),
                (
                    "resource_subtype",
                    Some(Value::String(self.subtype.clone())),
                ),
                ("local_mount", Some(Value::Bool(self.local_mount))),
                ("path", Some(Value::String(self.path.clone()))),
                ("system", Some(self.system.to_value())),
            ],
        )
    }

    /// Loads `name`, which must be a folder.
    pub async fn from_name(rns: &dyn Rns, name: &ResourceName) -> Result<Self> {
        match Resource::load(rns, name).await? {
            Resource::Folder(f) => Ok(f),
            other => Err(other.wrong_type("a folder")),
        }
    }

    fn local(&self, paths: &LocalPaths, what: &'static str) -> Result<PathBuf> {
        local_path(&self.name, &self.system, &self.path, paths, what)
    }

    /// The folder's entries, sorted by name (full paths, or names only).
    pub async fn ls(&self, paths: &LocalPaths, full_paths: bool) -> Result<Vec<PathBuf>> {
        let dir = self.local(paths, "ls")?;
        let mut rd = tokio::fs::read_dir(&dir)
            .await
            .map_err(|e| Error::io("list", &dir, e))?;
        let mut out = Vec::new();
        while let Some(entry) = rd
            .next_entry()
            .await
            .map_err(|e| Error::io("list", &dir, e))?
        {
            out.push(if full_paths {
                entry.path()
            } else {
                PathBuf::from(entry.file_name())
            });
        }
        out.sort();
        Ok(out)
    }

    /// Writes files into the folder (creating it). Without `overwrite`, an existing entry of the same
    /// name stops the whole put before anything is written.
    pub async fn put(
        &self,
        paths: &LocalPaths,
        contents: &[(String, Vec<u8>)],
        overwrite: bool,
    ) -> Result<()> {
        let dir = self.local(paths, "put")?;
        for (file, _) in contents {
            check_child(&self.name, file)?;
        }
        if !overwrite {
            let mut existing = Vec::new();
            for (file, _) in contents {
                if tokio::fs::try_exists(dir.join(file)).await.unwrap_or(false) {
                    existing.push(file.as_str());
                }
            }
            if !existing.is_empty() {
                return Err(Error::FileExists {
                    path: dir,
                    names: existing.join(", "),
                });
            }
        }
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::io("create", &dir, e))?;
        for (file, data) in contents {
            let path = dir.join(file);
            tokio::fs::write(&path, data)
                .await
                .map_err(|e| Error::io("write", &path, e))?;
        }
        Ok(())
    }

    /// Reads one file of the folder.
    pub async fn get(&self, paths: &LocalPaths, file: &str) -> Result<Vec<u8>> {
        check_child(&self.name, file)?;
        let path = self.local(paths, "get")?.join(file);
        tokio::fs::read(&path)
            .await
            .map_err(|e| Error::io("read", &path, e))
    }

    /// Deletes the listed entries (missing ones are ignored), or the whole folder when `contents` is `None`.
    pub async fn rm(&self, paths: &LocalPaths, contents: Option<&[String]>) -> Result<()> {
        let dir = self.local(paths, "rm")?;
        let Some(contents) = contents else {
            return match tokio::fs::remove_dir_all(&dir).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(Error::io("remove", &dir, e))
                }
                _ => Ok(()),
            };
        };
        for file in contents {
            check_child(&self.name, file)?;
            let path = dir.join(file);
            let result = if tokio::fs::metadata(&path).await.is_ok_and(|m| m.is_dir()) {
                tokio::fs::remove_dir_all(&path).await
            } else {
                tokio::fs::remove_file(&path).await
            };
            match result {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(Error::io("remove", &path, e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// A child entry name must stay inside the folder.
fn check_child(name: &ResourceName, file: &str) -> Result<()> {
    let p = Path::new(file);
    let ok = !file.is_empty()
        && !p.is_absolute()
        && p.components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument {
            name: name.to_string(),
            field: "file name",
            reason: format!("`{}` is not a path inside the folder", file.escape_debug()),
        })
    }
}

/// The local path of a `file`-system blob or folder; any other system cannot do `what` here.
fn local_path(
    name: &ResourceName,
    system: &System,
    path: &str,
    paths: &LocalPaths,
    what: &'static str,
) -> Result<PathBuf> {
    if !system.is_file() {
        return Err(Error::NotSupported {
            name: name.to_string(),
            what,
            system: system.label(),
        });
    }
    Ok(paths.resolve(path))
}
