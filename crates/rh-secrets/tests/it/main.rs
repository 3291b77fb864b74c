//! rh-secrets against real files in a temporary HOME: every provider's read, write, detect and delete,
//! and the bad inputs that must leave files untouched.

mod bad_input;
mod more_providers;
mod providers;
#[cfg(feature = "vault")]
mod vault;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rh_config::{MapEnv, RhPaths};
use rh_secrets::{ProviderSecrets, SaveOptions, SaveReport, Secrets, SecretsMap};

/// A throwaway HOME with its own environment.
pub(crate) struct Home {
    _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) paths: RhPaths,
    pub(crate) env: MapEnv,
}

impl Home {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let home = dir.path().join("home");
        std::fs::create_dir_all(&home).expect("create home");
        let paths = RhPaths::new(&home, home.join(".rh"));
        Self {
            _dir: dir,
            root: home,
            paths,
            env: MapEnv::default(),
        }
    }

    pub(crate) fn set_env(&mut self, key: &str, value: impl AsRef<str>) {
        self.env.0.insert(key.to_owned(), value.as_ref().to_owned());
    }

    pub(crate) fn secrets(&self) -> Secrets<'_> {
        Secrets::new(&self.paths, &self.env)
    }

    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Writes a file as a user would (mode 0644), creating parents.
    pub(crate) fn put(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
        p
    }

    pub(crate) fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub(crate) fn save(
        &self,
        provider: &str,
        pairs: &[(&str, &str)],
    ) -> rh_secrets::Result<SaveReport> {
        self.save_opts(provider, pairs, SaveOptions::default())
    }

    pub(crate) fn save_opts(
        &self,
        provider: &str,
        pairs: &[(&str, &str)],
        options: SaveOptions,
    ) -> rh_secrets::Result<SaveReport> {
        let mut map = SecretsMap::new();
        map.insert(provider.to_owned(), secrets_of(pairs));
        self.secrets().save_provider_secrets(&map, options)
    }

    pub(crate) fn config(&self) -> String {
        std::fs::read_to_string(self.paths.config_file()).unwrap_or_default()
    }
}

pub(crate) fn secrets_of(pairs: &[(&str, &str)]) -> ProviderSecrets {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

pub(crate) fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
}
