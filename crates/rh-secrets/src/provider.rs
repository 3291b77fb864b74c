//! The [`Provider`] trait, the context providers read paths and env from, and the plans they return.

use std::path::{Path, PathBuf};

use rh_config::{Env, RhPaths};
use secrecy::{ExposeSecret, SecretSlice};

use crate::{Error, ProviderSecrets, Result, fsio};

/// Where a provider looks: the home directory and the environment (for path overrides and env secrets).
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    home: &'a Path,
    env: &'a dyn Env,
    paths: Option<&'a RhPaths>,
}

impl std::fmt::Debug for Ctx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx")
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl<'a> Ctx<'a> {
    /// A context rooted at `home`, reading overrides from `env`.
    pub fn new(home: &'a Path, env: &'a dyn Env) -> Self {
        Self {
            home,
            env,
            paths: None,
        }
    }

    /// A context rooted at `paths.home()` that also knows where rh's `config.yaml` is (its `secrets:`
    /// map says which SSH key names were saved before).
    pub fn with_paths(paths: &'a RhPaths, env: &'a dyn Env) -> Self {
        Self {
            home: paths.home(),
            env,
            paths: Some(paths),
        }
    }

    /// rh's paths, when known.
    pub(crate) fn paths(&self) -> Option<&'a RhPaths> {
        self.paths
    }

    /// The home directory.
    pub fn home(&self) -> &Path {
        self.home
    }

    /// The environment.
    pub fn env(&self) -> &dyn Env {
        self.env
    }

    /// A path from an env var (a leading `~/` expands to the home directory), if set and not empty.
    pub(crate) fn env_path(&self, var: &str) -> Option<PathBuf> {
        self.env.non_empty(var).map(|p| self.expand(&p))
    }

    /// `path` with a leading `~/` expanded to the home directory.
    pub(crate) fn expand(&self, path: &str) -> PathBuf {
        if path == "~" {
            self.home.to_path_buf()
        } else if let Some(rest) = path.strip_prefix("~/") {
            self.home.join(rest)
        } else {
            PathBuf::from(path)
        }
    }

    /// rh's own directory (`~/.rh`, or `RH_CONFIG_DIR`).
    pub(crate) fn rh_dir(&self) -> PathBuf {
        self.paths
            .map_or_else(|| self.home.join(".rh"), |p| p.config_dir().to_path_buf())
    }

    /// `$XDG_CONFIG_HOME`, else `~/.config`.
    pub(crate) fn config_home(&self) -> PathBuf {
        self.env_path(rh_config::EnvVars::XDG_CONFIG_HOME)
            .unwrap_or_else(|| self.home.join(".config"))
    }
}

/// Where a provider's secrets were found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The provider's credential file(s); the first is the main one.
    File(Vec<PathBuf>),
    /// Environment variables.
    Env(Vec<&'static str>),
}

impl Source {
    /// `file` or `env`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::File(_) => "file",
            Self::Env(_) => "env",
        }
    }

    /// The file paths, or the variable names, as text.
    pub fn locations(&self) -> Vec<String> {
        match self {
            Self::File(p) => p.iter().map(|p| p.display().to_string()).collect(),
            Self::Env(v) => v.iter().map(|v| (*v).to_owned()).collect(),
        }
    }
}

/// Whether a provider is configured on this machine, decided offline, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detection {
    /// True when the provider's own tools would find usable credentials.
    pub configured: bool,
    /// Where they were found.
    pub source: Option<Source>,
    /// One line saying what was found or what is missing. Never holds a value.
    pub reason: String,
}

impl Detection {
    pub(crate) fn yes(source: Source, reason: impl Into<String>) -> Self {
        Self {
            configured: true,
            source: Some(source),
            reason: reason.into(),
        }
    }

    pub(crate) fn no(reason: impl Into<String>) -> Self {
        Self {
            configured: false,
            source: None,
            reason: reason.into(),
        }
    }
}

/// One file change of a plan.
pub(crate) enum FileOp {
    /// Copy the current file to a backup path before it is replaced.
    Backup { from: PathBuf, to: PathBuf },
    /// Write these bytes (atomically, 0600).
    Write {
        path: PathBuf,
        bytes: SecretSlice<u8>,
    },
    /// Remove the file.
    Remove { path: PathBuf },
}

impl std::fmt::Debug for FileOp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Backup { from, to } => {
                write!(f, "Backup({} -> {})", from.display(), to.display())
            }
            Self::Write { path, .. } => write!(f, "Write({})", path.display()),
            Self::Remove { path } => write!(f, "Remove({})", path.display()),
        }
    }
}

/// File changes computed and checked before anything is written, so bad input or a malformed existing
/// file stops a save with nothing half-written.
#[derive(Debug, Default)]
pub struct Plan {
    pub(crate) ops: Vec<FileOp>,
    /// Warnings to show (`Key id_rsa already exists, skipping.`).
    pub warnings: Vec<String>,
    /// Files left alone because they hold a different key and `force` was not given.
    pub skipped: Vec<PathBuf>,
    /// What to record under `secrets.<provider>` in `config.yaml` (none: leave the entry alone).
    pub record: Option<serde_yaml::Value>,
}

/// What applying a plan did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Applied {
    /// Files written.
    pub written: Vec<PathBuf>,
    /// Files removed.
    pub removed: Vec<PathBuf>,
    /// `(file, backup)` pairs: old contents kept before a forced overwrite.
    pub backups: Vec<(PathBuf, PathBuf)>,
    /// Files left alone.
    pub skipped: Vec<PathBuf>,
}

impl Plan {
    pub(crate) fn write(&mut self, path: PathBuf, bytes: impl Into<Vec<u8>>) {
        self.ops.push(FileOp::Write {
            path,
            bytes: SecretSlice::from(bytes.into()),
        });
    }

    pub(crate) fn remove(&mut self, path: PathBuf) {
        self.ops.push(FileOp::Remove { path });
    }

    pub(crate) fn warn(&mut self, message: String) {
        self.warnings.push(message);
    }

    /// The paths this plan writes or removes.
    pub fn touched(&self) -> Vec<&Path> {
        self.ops
            .iter()
            .filter_map(|op| match op {
                FileOp::Write { path, .. } | FileOp::Remove { path } => Some(path.as_path()),
                FileOp::Backup { .. } => None,
            })
            .collect()
    }

    /// True when the plan changes no file.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Carries the plan out: backups first, then writes and removals, each recorded in `audit` as
    /// `origin` doing it for `provider`.
    pub(crate) fn apply(
        self,
        audit: &crate::audit::AuditLog,
        origin: &crate::audit::Origin,
        provider: &str,
    ) -> Result<Applied> {
        let mut done = Applied {
            skipped: self.skipped,
            ..Applied::default()
        };
        for op in self.ops {
            match op {
                FileOp::Backup { from, to } => {
                    let old = std::fs::read(&from).map_err(|source| Error::Read {
                        path: from.clone(),
                        source,
                    })?;
                    fsio::write_private(&to, &old)?;
                    audit.record(origin, "backup", provider, None, &to);
                    done.backups.push((from, to));
                }
                FileOp::Write { path, bytes } => {
                    fsio::write_private(&path, bytes.expose_secret())?;
                    audit.record(origin, "write", provider, None, &path);
                    done.written.push(path);
                }
                FileOp::Remove { path } => {
                    if fsio::remove(&path)? {
                        audit.record(origin, "delete", provider, None, &path);
                        done.removed.push(path);
                    }
                }
            }
        }
        Ok(done)
    }
}

/// How a provider's write may change what is already there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteOptions {
    /// Replace a different existing SSH or sky key (after a backup).
    pub force: bool,
    /// Make the saved kubeconfig context the `current-context` (else only a file without one gets it).
    pub set_current_context: bool,
}

/// A builtin provider: knows its credential files, their format, its env vars, and how to tell
/// whether it is configured.
///
/// Reading never fails for a missing file (that is `Ok(None)`); a malformed file, a directory or a
/// dangling symlink at the path is an error naming it. Writes are planned first ([`Provider::plan_write`])
/// and applied by [`crate::Secrets`], so every check happens before the first byte is written.
pub trait Provider: Send + Sync + std::fmt::Debug {
    /// The lower-case name (`aws`).
    fn name(&self) -> &'static str;

    /// Its Runhouse class (`AWSSecret`), the `resource_subtype` of its named secrets.
    fn class(&self) -> &'static str {
        "ProviderSecret"
    }

    /// The keys of its secrets map, required for a save. Empty for `ssh`, whose keys are file names.
    fn keys(&self) -> &'static [&'static str];

    /// The env var of each key, in the order of [`Provider::keys`]; empty when env is not supported.
    fn env_vars(&self) -> &'static [&'static str] {
        &[]
    }

    /// The credential files (or directory, for `ssh`), after env overrides.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf>;

    /// How the file names a key, for messages (`[default] aws_secret_access_key`).
    fn native_key(&self, key: &str) -> String {
        key.to_owned()
    }

    /// The secrets in the provider's file(s), possibly incomplete; `None` when there is no file.
    fn read_file(&self, ctx: &Ctx<'_>) -> Result<Option<ProviderSecrets>> {
        self.read_path(&self.paths(ctx)[0])
    }

    /// The secrets in a file of this provider's format at an explicit `path` (Runhouse's `file_path`).
    /// For `sky` it is the private key (the public key is `path.pub`); for `ssh`, a key directory.
    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>>;

    /// The secrets in the provider's env vars; all of them must be set.
    fn read_env(&self, ctx: &Ctx<'_>) -> Result<ProviderSecrets> {
        let vars = self.env_vars();
        if vars.is_empty() {
            return Err(Error::EnvNotSupported {
                provider: self.name().to_owned(),
            });
        }
        let mut out = ProviderSecrets::new();
        for (key, var) in self.keys().iter().zip(vars) {
            match ctx.env().non_empty(var) {
                Some(v) => out.insert(*key, v),
                None => {
                    return Err(Error::EnvNotSet {
                        provider: self.name().to_owned(),
                        vars: join_and(vars),
                    });
                }
            }
        }
        Ok(out)
    }

    /// Checks that `secrets` has exactly the keys this provider needs, with usable values.
    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        crate::providers::require_keys(self.name(), self.keys(), &[], secrets)
    }

    /// Computes the file changes that store `secrets`, reading and checking existing files first.
    /// `opts.force` lets a different existing SSH key be replaced (after a backup).
    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        opts: WriteOptions,
    ) -> Result<Plan>;

    /// Whether `rh run` passes these secrets as environment variables (its own, else
    /// `<PROVIDER>_<KEY>`); false for providers whose values are files (ssh, sky, kubernetes).
    fn exports_env(&self) -> bool {
        true
    }

    /// Computes the file changes that remove what rh manages for this provider.
    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan>;

    /// Decides offline whether the provider is configured: its file has every key, else its env vars
    /// are all set.
    fn detect(&self, ctx: &Ctx<'_>) -> Detection {
        let paths = self.paths(ctx);
        let main = paths
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let file_reason = match self.read_file(ctx) {
            Ok(Some(found)) => {
                let missing: Vec<&str> = self
                    .keys()
                    .iter()
                    .copied()
                    .filter(|k| found.expose(k).is_none_or(|v| v.trim().is_empty()))
                    .collect();
                if missing.is_empty() {
                    let have: Vec<String> =
                        self.keys().iter().map(|k| self.native_key(k)).collect();
                    return Detection::yes(
                        Source::File(paths),
                        format!("{main} has {}", join_and(&have)),
                    );
                }
                let missing: Vec<String> = missing.iter().map(|k| self.native_key(k)).collect();
                format!("{main} lacks {}", join_and(&missing))
            }
            Ok(None) => format!("no {main}"),
            Err(e) => rh_config::display_chain(&e),
        };
        let vars = self.env_vars();
        if !vars.is_empty() {
            let set: Vec<&str> = vars
                .iter()
                .copied()
                .filter(|v| ctx.env().non_empty(v).is_some())
                .collect();
            if set.len() == vars.len() {
                return Detection::yes(
                    Source::Env(vars.to_vec()),
                    format!("{} set", join_and(vars)),
                );
            }
            return Detection::no(format!("{file_reason}; {} not set", join_and(vars)));
        }
        Detection::no(file_reason)
    }
}

/// `a`, `a and b`, `a, b and c`.
pub(crate) fn join_and<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [rest @ .., last] => format!(
            "{} and {}",
            rest.iter()
                .map(AsRef::as_ref)
                .collect::<Vec<_>>()
                .join(", "),
            last.as_ref()
        ),
    }
}
