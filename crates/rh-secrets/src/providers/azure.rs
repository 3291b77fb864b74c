//! Azure: `~/.azure/clouds.config` (INI, `[AzureCloud] subscription`), or `AZURE_SUBSCRIPTION_ID`.

use std::path::PathBuf;

use rh_config::EnvVars;

use super::aws::{plan_ini_delete, plan_ini_write, read_ini};
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result};

const SECTION: &str = "AzureCloud";
const FILE_KEYS: [(&str, &str); 1] = [("subscription_id", "subscription")];

/// Microsoft Azure.
#[derive(Debug, Clone, Copy)]
pub struct Azure;

impl Provider for Azure {
    fn name(&self) -> &'static str {
        "azure"
    }

    fn class(&self) -> &'static str {
        "AzureSecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["subscription_id"]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &[EnvVars::AZURE_SUBSCRIPTION_ID]
    }

    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        vec![ctx.home().join(".azure/clouds.config")]
    }

    fn native_key(&self, _key: &str) -> String {
        format!("[{SECTION}] subscription")
    }

    fn read_path(&self, path: &std::path::Path) -> Result<Option<ProviderSecrets>> {
        read_ini(path, SECTION, &FILE_KEYS)
    }

    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_single_line_keys(self.name(), self.keys(), secrets)
    }

    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        plan_ini_write(&self.paths(ctx)[0], SECTION, &FILE_KEYS, secrets)
    }

    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        plan_ini_delete(&self.paths(ctx)[0], SECTION, &FILE_KEYS)
    }
}
