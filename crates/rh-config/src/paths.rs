//! Where rh keeps its own files.

use std::path::{Path, PathBuf};

use crate::{Env, EnvVars, Error, Result};

/// The paths rh uses, resolved once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RhPaths {
    home: PathBuf,
    config_dir: PathBuf,
}

impl RhPaths {
    /// `RH_CONFIG_DIR` if set, else `$HOME/.rh`.
    pub fn from_env(env: &dyn Env) -> Result<Self> {
        let home = env
            .non_empty(EnvVars::HOME)
            .map(PathBuf::from)
            .ok_or(Error::NoHome)?;
        let config_dir = env
            .non_empty(EnvVars::RH_CONFIG_DIR)
            .map_or_else(|| home.join(".rh"), PathBuf::from);
        Ok(Self { home, config_dir })
    }

    /// Paths rooted at explicit directories.
    pub fn new(home: impl Into<PathBuf>, config_dir: impl Into<PathBuf>) -> Self {
        Self {
            home: home.into(),
            config_dir: config_dir.into(),
        }
    }

    /// The user's home directory.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// `~/.rh` (or `RH_CONFIG_DIR`).
    pub fn config_dir(&self) -> &Path {
        &self.config_dir
    }

    /// `~/.rh/config.yaml`.
    pub fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.yaml")
    }

    /// `~/.rh/server`: the embedded rh-server data directory.
    pub fn server_dir(&self) -> PathBuf {
        self.config_dir.join("server")
    }

    /// Expands a leading `~/` against the home directory.
    pub fn expand_tilde(&self, path: &str) -> PathBuf {
        if path == "~" {
            self.home.clone()
        } else if let Some(rest) = path.strip_prefix("~/") {
            self.home.join(rest)
        } else {
            PathBuf::from(path)
        }
    }
}
