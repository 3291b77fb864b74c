//! Hugging Face: the token file (`$HF_TOKEN_PATH`, `$HF_HOME/token`, `~/.cache/huggingface/token`), or `HF_TOKEN`.

use std::path::PathBuf;

use rh_config::EnvVars;

use super::{read_trimmed, remove_if_present, yaml_path};
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result};

/// Hugging Face Hub.
#[derive(Debug, Clone, Copy)]
pub struct HuggingFace;

impl Provider for HuggingFace {
    fn name(&self) -> &'static str {
        "huggingface"
    }

    fn class(&self) -> &'static str {
        "HuggingFaceSecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["token"]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &[EnvVars::HF_TOKEN]
    }

    /// Where `huggingface_hub` looks: `HF_TOKEN_PATH`, else `$HF_HOME/token`, else
    /// `$XDG_CACHE_HOME/huggingface/token`, else `~/.cache/huggingface/token`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        let path = ctx
            .env_path(EnvVars::HF_TOKEN_PATH)
            .or_else(|| ctx.env_path(EnvVars::HF_HOME).map(|h| h.join("token")))
            .or_else(|| {
                ctx.env_path(EnvVars::XDG_CACHE_HOME)
                    .map(|c| c.join("huggingface/token"))
            })
            .unwrap_or_else(|| ctx.home().join(".cache/huggingface/token"));
        vec![path]
    }

    fn read_path(&self, path: &std::path::Path) -> Result<Option<ProviderSecrets>> {
        Ok(read_trimmed(path)?.map(|token| {
            let mut s = ProviderSecrets::new();
            if !token.is_empty() {
                s.insert("token", token);
            }
            s
        }))
    }

    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_single_line_keys(self.name(), self.keys(), secrets)
    }

    /// Writes the token as `huggingface_hub`'s own login does: the bare token, no newline.
    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let path = self.paths(ctx).remove(0);
        let mut plan = Plan {
            record: Some(yaml_path(&path)),
            ..Plan::default()
        };
        plan.write(path, secrets.expose("token").expect("validated").to_owned());
        Ok(plan)
    }

    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let mut plan = Plan::default();
        remove_if_present(&mut plan, &self.paths(ctx)[0])?;
        Ok(plan)
    }
}
