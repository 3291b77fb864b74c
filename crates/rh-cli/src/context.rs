//! What every command needs: the environment, rh's paths, and the settings resolved from flags, env and file.

use std::sync::Arc;

use anyhow::Result;
use rh_config::{Config, Env, OsEnv, Overrides, RhPaths, Settings};
use secrecy::{ExposeSecret as _, SecretString};

use crate::args::GlobalArgs;

/// The resolved inputs of one `rh` invocation.
pub(crate) struct Context {
    pub(crate) env: Arc<dyn Env>,
    pub(crate) paths: RhPaths,
    pub(crate) overrides: Overrides,
    /// How many `-q` were given (progress bars stay hidden with any).
    pub(crate) quiet: u8,
}

impl Context {
    pub(crate) fn new(global: &GlobalArgs) -> Result<Self> {
        let env: Arc<dyn Env> = Arc::new(OsEnv);
        let paths = RhPaths::from_env(env.as_ref())?;
        let overrides = Overrides {
            token: global.token.clone(),
            username: global.username.clone(),
            api_server_url: global.api_server_url.clone(),
        };
        Ok(Self {
            env,
            paths,
            overrides,
            quiet: global.quiet,
        })
    }

    /// This invocation as it will be once logged in to `url` with `token` (`rh login`): the token and URL
    /// beat `--token`, `RH_TOKEN` and config.yaml, so the secret store is the server being logged into,
    /// whatever an old token or `VAULT_ADDR` says.
    pub(crate) fn logged_in(&self, url: &str, token: &SecretString) -> Self {
        Self {
            env: Arc::clone(&self.env),
            paths: self.paths.clone(),
            overrides: Overrides {
                token: Some(token.expose_secret().to_owned()),
                api_server_url: Some(url.to_owned()),
                ..self.overrides.clone()
            },
            quiet: self.quiet,
        }
    }

    /// Loads `config.yaml` (missing is empty; malformed is an error naming the file).
    pub(crate) fn config(&self) -> Result<Config> {
        Ok(Config::load(&self.paths)?)
    }

    /// Settings after *flag > env > file > default*.
    #[allow(dead_code, reason = "used by the commands of later areas")]
    pub(crate) fn settings(&self) -> Result<Settings> {
        Ok(self.config()?.resolve(self.env.as_ref(), &self.overrides))
    }
}
