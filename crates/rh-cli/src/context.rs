//! What every command needs: the environment, rh's paths, and the settings resolved from flags, env and file.

use anyhow::Result;
use rh_config::{Config, Env, OsEnv, Overrides, RhPaths, Settings};

use crate::args::GlobalArgs;

/// The resolved inputs of one `rh` invocation.
pub(crate) struct Context {
    pub(crate) env: Box<dyn Env>,
    pub(crate) paths: RhPaths,
    pub(crate) overrides: Overrides,
    /// How many `-q` were given (progress bars stay hidden with any).
    pub(crate) quiet: u8,
}

impl Context {
    pub(crate) fn new(global: &GlobalArgs) -> Result<Self> {
        let env: Box<dyn Env> = Box::new(OsEnv);
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
