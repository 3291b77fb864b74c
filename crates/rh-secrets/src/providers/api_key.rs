//! API-key providers (anthropic, cohere, langchain, openai, pinecone, wandb): one row of [`TABLE`] each.
//!
//! Their values are `{api_key}`, read from `<PROVIDER>_API_KEY` as Runhouse 0.0.14's `ApiKeySecret`
//! classes did. The providers' own SDKs read only that variable, so there is no file of theirs to
//! write: a save goes to rh's own `~/.rh/secrets/<provider>.json`, the local named secret `~/<provider>`
//! (path and format: [`crate::named_local`]; this adds `env_vars`), and `rh run` hands the key to a
//! command as the variable.

use std::path::{Path, PathBuf};

use super::gcp::{read_object, render};
use super::{remove_if_present, yaml_path};
use crate::named_local;
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result};

/// The API-key providers: adding one is adding a row.
pub(crate) static TABLE: [ApiKey; 6] = [
    ApiKey::row("anthropic", &["ANTHROPIC_API_KEY"], "AnthropicSecret"),
    ApiKey::row("cohere", &["COHERE_API_KEY"], "CohereSecret"),
    ApiKey::row("langchain", &["LANGCHAIN_API_KEY"], "LangChainSecret"),
    ApiKey::row("openai", &["OPENAI_API_KEY"], "OpenAISecret"),
    ApiKey::row("pinecone", &["PINECONE_API_KEY"], "PineconeSecret"),
    ApiKey::row("wandb", &["WANDB_API_KEY"], "WandBSecret"),
];

const KEYS: &[&str] = &["api_key"];

/// A provider whose one secret is an API key in an environment variable.
#[derive(Debug)]
pub struct ApiKey {
    name: &'static str,
    env_var: &'static [&'static str; 1],
    class: &'static str,
}

impl ApiKey {
    const fn row(
        name: &'static str,
        env_var: &'static [&'static str; 1],
        class: &'static str,
    ) -> Self {
        Self {
            name,
            env_var,
            class,
        }
    }
}

impl Provider for ApiKey {
    fn name(&self) -> &'static str {
        self.name
    }

    fn class(&self) -> &'static str {
        self.class
    }

    fn keys(&self) -> &'static [&'static str] {
        KEYS
    }

    fn env_vars(&self) -> &'static [&'static str] {
        self.env_var
    }

    /// `~/.rh/secrets/<provider>.json` (under `RH_CONFIG_DIR` when set).
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        vec![named_local::file_for(
            &named_local::secrets_dir(&ctx.rh_dir()),
            self.name,
        )]
    }

    fn native_key(&self, _key: &str) -> String {
        "values.api_key".to_owned()
    }

    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>> {
        let Some(doc) = read_object(path)? else {
            return Ok(None);
        };
        let mut out = ProviderSecrets::new();
        if let Some(key) = named_local::values_of(path, &doc)?.remove("api_key") {
            out.insert_secret("api_key", key);
        }
        Ok(Some(out))
    }

    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_single_line_keys(self.name, KEYS, secrets)
    }

    /// Sets `values.api_key`, keeping every other key of the file.
    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let path = self.paths(ctx).remove(0);
        let mut doc = named_local::doc_with_values(
            read_object(&path)?,
            self.name,
            Some(self.name),
            secrets,
            false,
        );
        doc.entry("env_vars")
            .or_insert_with(|| serde_json::json!({"api_key": self.env_var[0]}));
        let mut plan = Plan {
            record: Some(yaml_path(&path)),
            ..Plan::default()
        };
        plan.write(path, render(&doc));
        Ok(plan)
    }

    /// The file is rh's own and holds this provider only: it is removed.
    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let mut plan = Plan::default();
        remove_if_present(&mut plan, &self.paths(ctx)[0])?;
        Ok(plan)
    }
}
