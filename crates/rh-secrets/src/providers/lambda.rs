//! Lambda Cloud: `~/.lambda_cloud/lambda_keys`, a text file of `key = value` lines (`api_key = …`).

use std::path::PathBuf;

use super::yaml_path;
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result, fsio};

/// Lambda Labs cloud.
#[derive(Debug, Clone, Copy)]
pub struct Lambda;

impl Provider for Lambda {
    fn name(&self) -> &'static str {
        "lambda"
    }

    fn class(&self) -> &'static str {
        "LambdaSecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["api_key"]
    }

    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        vec![ctx.home().join(".lambda_cloud/lambda_keys")]
    }

    fn native_key(&self, _key: &str) -> String {
        "api_key".to_owned()
    }

    /// Parses the file as SkyPilot does: every line with `=` is `key = value`; others are ignored.
    fn read_path(&self, path: &std::path::Path) -> Result<Option<ProviderSecrets>> {
        let Some(text) = fsio::read_optional(path)? else {
            return Ok(None);
        };
        let mut out = ProviderSecrets::new();
        if let Some((_, value)) = find_api_key(&text) {
            out.insert("api_key", value);
        }
        Ok(Some(out))
    }

    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_single_line_keys(self.name(), self.keys(), secrets)
    }

    /// Replaces the `api_key` line (or appends one), keeping every other line.
    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let path = self.paths(ctx).remove(0);
        let existing = fsio::read_optional(&path)?.unwrap_or_default();
        let line = format!(
            "api_key = {}",
            secrets.expose("api_key").expect("validated")
        );
        let text = set_api_key(&existing, Some(&line));
        let mut plan = Plan {
            record: Some(yaml_path(&path)),
            ..Plan::default()
        };
        plan.write(path, text);
        Ok(plan)
    }

    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let path = self.paths(ctx).remove(0);
        let mut plan = Plan::default();
        let Some(existing) = fsio::read_optional(&path)? else {
            return Ok(plan);
        };
        let text = set_api_key(&existing, None);
        if text.trim().is_empty() {
            plan.remove(path);
        } else if text != existing {
            plan.write(path, text);
        }
        Ok(plan)
    }
}

fn find_api_key(text: &str) -> Option<(usize, String)> {
    text.lines().enumerate().find_map(|(i, line)| {
        let (k, v) = line.split_once('=')?;
        (k.trim() == "api_key").then(|| (i, v.trim().to_owned()))
    })
}

/// The text with its `api_key` line replaced by `line` (or removed when `None`).
fn set_api_key(existing: &str, line: Option<&str>) -> String {
    let mut lines: Vec<String> = existing.lines().map(str::to_owned).collect();
    match (find_api_key(existing), line) {
        (Some((i, _)), Some(l)) => l.clone_into(&mut lines[i]),
        (Some((i, _)), None) => {
            lines.remove(i);
        }
        (None, Some(l)) => lines.push(l.to_owned()),
        (None, None) => {}
    }
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    text
}
