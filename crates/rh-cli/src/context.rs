//! What every command needs: the operations session (environment, paths, settings resolved once from
//! flags, env and file, in `rh-ops`) and the CLI's own output choices.

use anyhow::Result;
use rh_config::Overrides;
use rh_ops::Session;

use crate::args::GlobalArgs;

/// The resolved inputs of one `rh` invocation.
pub(crate) struct Context {
    /// Env, paths, flags and the settings they resolve to; every operation runs over it.
    pub(crate) ops: Session,
    /// How many `-q` were given (progress bars stay hidden with any).
    pub(crate) quiet: u8,
}

impl Context {
    pub(crate) fn new(global: &GlobalArgs) -> Result<Self> {
        let overrides = Overrides {
            token: global.token.clone(),
            username: global.username.clone(),
            api_server_url: global.api_server_url.clone(),
        };
        Ok(Self {
            ops: Session::from_os(overrides)?,
            quiet: global.quiet,
        })
    }
}
