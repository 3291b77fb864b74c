//! The resolved inputs of one invocation, and the stores built from them.
//!
//! A [`Session`] holds the environment, rh's paths and the front end's flags. Its [`Settings`] are
//! resolved once, on first use, by the one precedence table (*flag > env > file > default*,
//! [`Config::resolve`]); every store below is built from them: the secret store (rh-server's Vault
//! proxy when logged in, else Vault directly), the rh-server client, and [`Names`] (the local `rh/`
//! folder and rh-server for `/…` names).

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rh_config::{Config, Env, EnvVars, OsEnv, Overrides, RhPaths, Settings};
use rh_rns::local::{LocalRns, WorkdirOptions};
use rh_rns::remote::RemoteRns;
use rh_rns::{NameContext, ResourceName, Rns, Scope};
use rh_secrets::Secrets;
use rh_secrets::server::ServerSecretStore;
use rh_secrets::server_named::ServerNamedSecrets;
use rh_secrets::store::SecretStore;
use rh_secrets::vault::{VaultOptions, VaultStore};
use secrecy::SecretString;

use crate::{Error, Result};

/// The resolved inputs of one front-end invocation (one `rh` command, one Python call).
pub struct Session {
    env: Arc<dyn Env>,
    paths: RhPaths,
    overrides: Overrides,
    settings: OnceLock<Settings>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The overrides may hold a token: only whether one was given is shown.
        f.debug_struct("Session")
            .field("paths", &self.paths)
            .field("token_given", &self.overrides.token.is_some())
            .field("username", &self.overrides.username)
            .field("api_server_url", &self.overrides.api_server_url)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session over `env`, with rh's paths taken from it.
    pub fn new(env: Arc<dyn Env>, overrides: Overrides) -> Result<Self> {
        let paths = RhPaths::from_env(env.as_ref())?;
        Ok(Self::with_paths(env, paths, overrides))
    }

    /// A session over the process environment.
    pub fn from_os(overrides: Overrides) -> Result<Self> {
        Self::new(Arc::new(OsEnv), overrides)
    }

    /// A session with explicit paths.
    pub fn with_paths(env: Arc<dyn Env>, paths: RhPaths, overrides: Overrides) -> Self {
        Self {
            env,
            paths,
            overrides,
            settings: OnceLock::new(),
        }
    }

    /// This session as it will be once logged in to `url` with `token` (`rh login`): the token and URL
    /// beat `--token`, `RH_TOKEN` and config.yaml, so the secret store is the server being logged into,
    /// whatever an old token or `VAULT_ADDR` says. Its settings are resolved afresh (from config.yaml as
    /// it is when first asked).
    #[must_use]
    pub fn logged_in(&self, url: &str, token: &SecretString) -> Self {
        Self::with_paths(
            Arc::clone(&self.env),
            self.paths.clone(),
            Overrides {
                token: Some(token.clone()),
                api_server_url: Some(url.to_owned()),
                ..self.overrides.clone()
            },
        )
    }

    /// The environment variables this session reads (the process's, or a map in tests).
    pub fn env(&self) -> &dyn Env {
        self.env.as_ref()
    }

    /// rh's paths for this session: the home directory and the config dir (`RH_CONFIG_DIR`, else `~/.rh`).
    pub fn paths(&self) -> &RhPaths {
        &self.paths
    }

    /// The values the front end was given (flags), which beat env and file.
    pub fn overrides(&self) -> &Overrides {
        &self.overrides
    }

    /// Loads `config.yaml` as it is on disk now (missing is empty; malformed is an error naming the file),
    /// for reading keys or changing it.
    pub fn config(&self) -> Result<Config> {
        Ok(Config::load(&self.paths)?)
    }

    /// The settings after *flag > env > file > default*, resolved on first use and kept.
    pub fn settings(&self) -> Result<&Settings> {
        if let Some(s) = self.settings.get() {
            return Ok(s);
        }
        let resolved = self.config()?.resolve(self.env.as_ref(), &self.overrides);
        Ok(self.settings.get_or_init(|| resolved))
    }

    /// The local provider secrets (credentials files and config.yaml's `secrets:`).
    pub fn secrets(&self) -> Secrets<'_> {
        Secrets::new(&self.paths, self.env.as_ref())
    }

    /// The direct Vault store from `VAULT_ADDR` / config `vault_addr`, `VAULT_TOKEN` / `~/.vault-token`,
    /// `VAULT_NAMESPACE` and config `vault_mount`, under `rh/<username or "local">`.
    pub fn vault(&self) -> Result<VaultStore> {
        let config = self.config()?;
        let settings = self.settings()?;
        let Some(addr) = self
            .env
            .non_empty(EnvVars::VAULT_ADDR)
            .or_else(|| config.get_str("vault_addr"))
        else {
            return Err(Error::NoSecretStore);
        };
        let token = if let Some(t) = self.env.non_empty(EnvVars::VAULT_TOKEN) {
            t
        } else {
            let path = self.paths.home().join(".vault-token");
            match std::fs::read_to_string(&path) {
                Ok(t) if !t.trim().is_empty() => t.trim().to_owned(),
                _ => return Err(Error::NoVaultToken { path }),
            }
        };
        // The username is a path segment under `rh/`: the server's grammar keeps it one (no `../bob`).
        // Which user's path a token may reach is Vault's policy to decide (README, Secrets in Vault).
        if let Some(user) = settings.username.as_deref() {
            rh_secrets::vault::validate_username(user)?;
        }
        let mut options = VaultOptions::new(
            addr,
            SecretString::from(token),
            settings.username.as_deref(),
        );
        options.namespace = self.env.non_empty(EnvVars::VAULT_NAMESPACE);
        if let Some(mount) = config.get_str("vault_mount").filter(|m| !m.is_empty()) {
            options.mount = mount;
        }
        Ok(VaultStore::new(&options)?)
    }

    /// The secret store: logged in (a token, from the flag, `RH_TOKEN` or config.yaml) → rh-server at
    /// `api_server_url`; else Vault directly.
    pub fn secret_store(&self) -> Result<Box<dyn SecretStore>> {
        let settings = self.settings()?;
        if let Some(token) = &settings.token {
            let store = ServerSecretStore::new(&settings.api_server_url, token.clone())?;
            tracing::debug!(
                "secrets go through rh-server at {}",
                settings.api_server_url
            );
            return Ok(Box::new(store));
        }
        Ok(Box::new(self.vault()?))
    }

    /// rh-server's named secrets for the logged-in account, or [`Error::NotLoggedIn`].
    pub fn named_secret_store(&self) -> Result<ServerNamedSecrets> {
        let settings = self.settings()?;
        let token = settings.token.as_ref().ok_or(Error::NotLoggedIn)?;
        Ok(ServerNamedSecrets::new(
            &settings.api_server_url,
            token.clone(),
        )?)
    }

    /// The rh-server client for the logged-in account; `None` when there is no token.
    pub fn client(&self) -> Result<Option<RemoteRns>> {
        let settings = self.settings()?;
        match &settings.token {
            Some(token) => Ok(Some(RemoteRns::new(
                &settings.api_server_url,
                token.clone(),
            )?)),
            None => Ok(None),
        }
    }

    /// The rh-server client, or [`Error::NotLoggedIn`].
    pub fn require_client(&self) -> Result<RemoteRns> {
        self.client()?.ok_or(Error::NotLoggedIn)
    }

    /// Name resolution and the stores holding names, for the current directory.
    pub fn names(&self) -> Result<Names> {
        Names::new(self)
    }
}

/// The stores and name resolution for one invocation: the local `rh/` folder, and rh-server when logged in.
pub struct Names {
    rns: LocalRns,
    remote: Option<std::result::Result<RemoteRns, String>>,
    context: NameContext,
    home: PathBuf,
}

impl Names {
    fn new(session: &Session) -> Result<Self> {
        let settings = session.settings()?;
        let cwd = std::env::current_dir().map_err(Error::CurrentDir)?;
        let home = session.paths.home().to_path_buf();
        let rns = LocalRns::discover(&WorkdirOptions {
            cwd,
            home: Some(home.clone()),
            workdir_override: session
                .env
                .non_empty(EnvVars::RH_WORKDIR)
                .map(PathBuf::from),
        });
        tracing::debug!("working dir {}", rns.workdir().display());
        let default_folder: ResourceName =
            settings
                .default_folder
                .parse()
                .map_err(|source| Error::DefaultFolder {
                    folder: settings.default_folder.clone(),
                    source,
                })?;
        let remote = settings.token.clone().map(|token| {
            RemoteRns::new(&settings.api_server_url, token).map_err(|e| crate::error::chain(&e))
        });
        Ok(Self {
            rns,
            remote,
            context: NameContext::with_default_folder(default_folder),
            home,
        })
    }

    /// The local store (the working dir's `rh/`).
    pub fn local(&self) -> &LocalRns {
        &self.rns
    }

    /// The folder bare names resolve in.
    pub fn current_folder(&self) -> &ResourceName {
        &self.context.current_folder
    }

    /// The home directory `~/…` paths expand against.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The store holding `name`: rh-server for `/…` names (when logged in), else the local one.
    pub fn store(&self, name: &ResourceName) -> Result<&dyn Rns> {
        if name.scope() != Scope::Remote {
            return Ok(&self.rns);
        }
        match &self.remote {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(Error::Remote(e.clone())),
            None => Err(Error::RemoteNameLoggedOut {
                name: name.to_string(),
            }),
        }
    }

    /// The rh-server client for a remote name (sharing).
    pub fn remote(&self, name: &ResourceName) -> Result<&RemoteRns> {
        if name.scope() != Scope::Remote {
            return Err(Error::LocalNameNotShareable {
                name: name.to_string(),
            });
        }
        match &self.remote {
            Some(Ok(r)) => Ok(r),
            Some(Err(e)) => Err(Error::Remote(e.clone())),
            None => Err(Error::ShareLoggedOut {
                name: name.to_string(),
            }),
        }
    }

    /// Parses a name. The shell turns an unquoted `~/x` into `$HOME/x`; that is taken back to `~/x`.
    pub fn name(&self, input: &str) -> Result<ResourceName> {
        let home = self.home.to_string_lossy();
        let input = if input == home {
            "~".to_owned()
        } else if let Some(rest) = input.strip_prefix(&*home).and_then(|r| r.strip_prefix('/')) {
            format!("~/{rest}")
        } else {
            input.to_owned()
        };
        Ok(ResourceName::parse_with(&input, &self.context)?)
    }

    /// The working dir's `rh/` parent and the home directory, for `file` paths.
    pub fn local_paths(&self) -> rh_resources::LocalPaths {
        rh_resources::LocalPaths {
            workdir: self.rns.workdir().to_path_buf(),
            home: self.home.clone(),
        }
    }

    /// A name and the store that holds it.
    pub fn resolve(&self, input: &str) -> Result<(ResourceName, &dyn Rns)> {
        let name = self.name(input)?;
        let rns = self.store(&name)?;
        Ok((name, rns))
    }

    /// Commits the local ones of `names` to the git repository around the working dir, with `message`.
    pub async fn commit(&self, names: &[ResourceName], message: &str) -> Result<()> {
        let names: Vec<ResourceName> = names
            .iter()
            .filter(|n| n.scope() != Scope::Remote)
            .cloned()
            .collect();
        if names.is_empty() {
            tracing::warn!("--commit applies to local names only; rh-server keeps its own history");
            return Ok(());
        }
        if let Some(info) = self.rns.commit(&names, message).await? {
            tracing::info!("Committed {} to git: {message}", info.short_id);
        } else {
            tracing::info!("Nothing to commit for {}", join(&names));
        }
        Ok(())
    }
}

/// Names joined by `, `.
pub fn join(names: &[ResourceName]) -> String {
    names
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use rh_config::MapEnv;
    use secrecy::ExposeSecret as _;

    use super::*;

    fn session(dir: &Path, vars: &[(&str, &str)], token_flag: Option<&str>) -> Session {
        let env = MapEnv(
            vars.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<HashMap<_, _>>(),
        );
        Session::with_paths(
            Arc::new(env),
            RhPaths::new(dir, dir.join(".rh")),
            Overrides {
                token: token_flag.map(|t| SecretString::from(t.to_owned())),
                ..Overrides::default()
            },
        )
    }

    #[test]
    fn settings_follow_flag_env_file_default_and_are_resolved_once() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".rh")).unwrap();
        std::fs::write(
            dir.path().join(".rh/config.yaml"),
            "token: from-file\nusername: alice\napi_server_url: http://127.0.0.1:1/file\n",
        )
        .unwrap();
        let s = session(
            dir.path(),
            &[("RH_API_SERVER_URL", "http://127.0.0.1:1/env")],
            Some("from-flag"),
        );
        let settings = s.settings().unwrap();
        assert_eq!(
            settings.token.as_ref().unwrap().expose_secret(),
            "from-flag"
        );
        assert_eq!(settings.api_server_url, "http://127.0.0.1:1/env");
        assert_eq!(settings.username.as_deref(), Some("alice"));
        assert_eq!(settings.default_folder, "/alice");
        // Resolved once: a later change to the file does not change this session's settings.
        std::fs::write(dir.path().join(".rh/config.yaml"), "username: bob\n").unwrap();
        assert_eq!(s.settings().unwrap().username.as_deref(), Some("alice"));
        // A logged-in session resolves afresh, its token and URL beating every other source.
        let after = s.logged_in("http://127.0.0.1:1/login", &SecretString::from("t2"));
        let settings = after.settings().unwrap();
        assert_eq!(settings.username.as_deref(), Some("bob"));
        assert_eq!(settings.token.as_ref().unwrap().expose_secret(), "t2");
        assert_eq!(settings.api_server_url, "http://127.0.0.1:1/login");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path(), &[], Some("sekrit-token-value"));
        let shown = format!("{s:?}");
        assert!(!shown.contains("sekrit-token-value"), "{shown}");
        assert!(shown.contains("token_given: true"), "{shown}");
    }

    #[test]
    fn malformed_config_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".rh")).unwrap();
        std::fs::write(dir.path().join(".rh/config.yaml"), "token: [unclosed\n").unwrap();
        let s = session(dir.path(), &[], None);
        let err = s.settings().unwrap_err().to_string();
        assert!(err.contains("config.yaml"), "{err}");
        assert!(!err.contains("unclosed"), "{err}");
    }
}
