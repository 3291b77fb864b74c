//! [`LocalRns`]: resources in `<workdir>/rh/<name>/config.json`, with history from the git repository.
//!
//! The file and git work is synchronous (in `store` and `git`, testable without a runtime); the
//! [`Rns`] impl moves each call onto tokio's blocking pool.

use std::path::{Path, PathBuf};

use async_trait::async_trait;

use crate::{Error, HistoryEntry, Listing, ResourceName, ResourceRecord, Result, Rns, Scope};

mod builtins;
pub(crate) mod diff;
mod git;
mod store;
mod workdir;

pub use git::CommitInfo;
pub use workdir::{MARKERS, find_workdir};

/// The local store of one working dir.
#[derive(Debug, Clone)]
pub struct LocalRns {
    workdir: PathBuf,
    rh_dir: PathBuf,
}

/// How to pick the working dir (see [`find_workdir`]).
#[derive(Debug, Clone, Default)]
pub struct WorkdirOptions {
    /// Where the search starts (the process's current dir).
    pub cwd: PathBuf,
    /// The search stops here without checking it (`$HOME`).
    pub home: Option<PathBuf>,
    /// Use this dir and skip the search (`RH_WORKDIR`).
    pub workdir_override: Option<PathBuf>,
}

impl LocalRns {
    /// A store rooted at `workdir` (resources in `workdir/rh/`).
    pub fn new(workdir: impl Into<PathBuf>) -> Self {
        let workdir = workdir.into();
        let rh_dir = workdir.join("rh");
        Self { workdir, rh_dir }
    }

    /// A store in the working dir found from `options`.
    pub fn discover(options: &WorkdirOptions) -> Self {
        let workdir = match &options.workdir_override {
            Some(dir) if dir.is_absolute() => dir.clone(),
            Some(dir) => options.cwd.join(dir),
            None => find_workdir(&options.cwd, options.home.as_deref()),
        };
        Self::new(workdir)
    }

    /// The working dir.
    pub fn workdir(&self) -> &Path {
        &self.workdir
    }

    /// `<workdir>/rh`.
    pub fn rh_dir(&self) -> &Path {
        &self.rh_dir
    }

    /// The `config.json` path of a local name (which need not exist).
    pub fn config_path(&self, name: &ResourceName) -> Result<PathBuf> {
        store::config_path(self, name)
    }

    /// Commits the current state of these resources' configs (saved, changed or deleted) to the git
    /// repository around the working dir, touching nothing else; the index is updated to match.
    /// Returns `None` when there was nothing to commit.
    pub async fn commit(
        &self,
        names: &[ResourceName],
        message: &str,
    ) -> Result<Option<CommitInfo>> {
        let this = self.clone();
        let names = names.to_vec();
        let message = message.to_owned();
        blocking(move || git::commit(&this, &names, &message)).await
    }
}

async fn blocking<T, F>(f: F) -> Result<T>
where
    F: FnOnce() -> Result<T> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Backend {
            backend: "local rns",
            source: Box::new(e),
        })?
}

fn not_local(name: &ResourceName) -> Error {
    Error::NotSupported {
        name: name.to_string(),
        what: "the local store (use a `~/` name)".to_owned(),
    }
}

pub(crate) fn require_local(name: &ResourceName, what: &str) -> Result<()> {
    match name.scope() {
        Scope::Local if name.is_root() => Err(Error::NotSupported {
            name: name.to_string(),
            what: format!("{what} of the `~` folder itself"),
        }),
        Scope::Local => Ok(()),
        Scope::Builtin => Err(Error::NotSupported {
            name: name.to_string(),
            what: format!("{what} (builtins are read-only)"),
        }),
        Scope::Remote => Err(not_local(name)),
    }
}

#[async_trait]
impl Rns for LocalRns {
    async fn save(&self, record: &ResourceRecord, overwrite: bool) -> Result<()> {
        let this = self.clone();
        let record = record.clone();
        blocking(move || store::save(&this, &record, overwrite)).await
    }

    async fn load(&self, name: &ResourceName) -> Result<ResourceRecord> {
        let this = self.clone();
        let name = name.clone();
        blocking(move || store::load(&this, &name)).await
    }

    async fn exists(&self, name: &ResourceName) -> Result<bool> {
        let this = self.clone();
        let name = name.clone();
        blocking(move || store::exists(&this, &name)).await
    }

    async fn delete(&self, name: &ResourceName) -> Result<()> {
        let this = self.clone();
        let name = name.clone();
        blocking(move || store::delete(&this, &name)).await
    }

    async fn list(&self, folder: &ResourceName, recursive: bool) -> Result<Listing> {
        let this = self.clone();
        let folder = folder.clone();
        blocking(move || store::list(&this, &folder, recursive)).await
    }

    async fn locate(&self, name: &ResourceName) -> Result<Option<PathBuf>> {
        match name.scope() {
            Scope::Local => Ok(Some(store::config_path(self, name)?)),
            Scope::Builtin | Scope::Remote => Ok(None),
        }
    }

    async fn rename(&self, from: &ResourceName, to: &ResourceName, overwrite: bool) -> Result<()> {
        let this = self.clone();
        let (from, to) = (from.clone(), to.clone());
        blocking(move || store::rename(&this, &from, &to, overwrite)).await
    }

    async fn history(
        &self,
        name: &ResourceName,
        limit: Option<usize>,
    ) -> Result<Vec<HistoryEntry>> {
        let this = self.clone();
        let name = name.clone();
        blocking(move || git::history(&this, &name, limit)).await
    }

    async fn diff(&self, name: &ResourceName, rev: Option<&str>) -> Result<String> {
        let this = self.clone();
        let name = name.clone();
        let rev = rev.map(str::to_owned);
        blocking(move || git::diff(&this, &name, rev.as_deref())).await
    }

    async fn restore(&self, name: &ResourceName, rev: &str) -> Result<ResourceRecord> {
        let this = self.clone();
        let name = name.clone();
        let rev = rev.to_owned();
        blocking(move || git::restore(&this, &name, &rev)).await
    }
}
