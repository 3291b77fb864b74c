//! GitHub: `~/.config/gh/hosts.yml` (`github.com: {oauth_token: …}`, merged), or `GH_TOKEN`.

use std::path::{Path, PathBuf};

use rh_config::EnvVars;
use serde_yaml::{Mapping, Value};

use super::{single_line, yaml_path};
use crate::provider::{Ctx, Plan};
use crate::{Error, Provider, ProviderSecrets, Result, fsio};

const HOST: &str = "github.com";

/// GitHub (the `gh` CLI's token).
#[derive(Debug, Clone, Copy)]
pub struct GitHub;

impl Provider for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["token"]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &[EnvVars::GH_TOKEN]
    }

    /// `$GH_CONFIG_DIR/hosts.yml`, else `$XDG_CONFIG_HOME/gh/hosts.yml`, else `~/.config/gh/hosts.yml`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        let dir = ctx
            .env_path(EnvVars::GH_CONFIG_DIR)
            .unwrap_or_else(|| ctx.config_home().join("gh"));
        vec![dir.join("hosts.yml")]
    }

    fn native_key(&self, _key: &str) -> String {
        format!("{HOST} oauth_token")
    }

    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>> {
        let Some(doc) = read_mapping(path)? else {
            return Ok(None);
        };
        let mut out = ProviderSecrets::new();
        if let Some(Value::String(t)) = doc
            .get(HOST)
            .and_then(Value::as_mapping)
            .and_then(|h| h.get("oauth_token"))
        {
            out.insert("token", t.clone());
        }
        Ok(Some(out))
    }

    /// `token` (Runhouse's legacy name) or `oauth_token` (its later name) are both accepted.
    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        let normalised = normalise(secrets);
        super::require_keys(self.name(), self.keys(), &[], &normalised)?;
        single_line(self.name(), &normalised)
    }

    /// Sets `github.com.oauth_token`, keeping the host's other keys (`user`, `git_protocol`) and other hosts.
    fn plan_write(&self, ctx: &Ctx<'_>, secrets: &ProviderSecrets, _force: bool) -> Result<Plan> {
        self.validate(secrets)?;
        let secrets = normalise(secrets);
        let path = self.paths(ctx).remove(0);
        let mut doc = read_mapping(&path)?.unwrap_or_default();
        let host = doc
            .entry(Value::String(HOST.to_owned()))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if !host.is_mapping() {
            *host = Value::Mapping(Mapping::new());
        }
        host.as_mapping_mut().expect("just made a mapping").insert(
            Value::String("oauth_token".to_owned()),
            Value::String(secrets.expose("token").expect("validated").to_owned()),
        );
        let mut plan = Plan {
            record: Some(yaml_path(&path)),
            ..Plan::default()
        };
        plan.write(path, render(&doc));
        Ok(plan)
    }

    /// Removes the `github.com` entry; a file left with no hosts is removed.
    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let path = self.paths(ctx).remove(0);
        let mut plan = Plan::default();
        let Some(mut doc) = read_mapping(&path)? else {
            return Ok(plan);
        };
        if doc.shift_remove(HOST).is_some() {
            if doc.is_empty() {
                plan.remove(path);
            } else {
                plan.write(path, render(&doc));
            }
        } else if doc.is_empty() {
            plan.remove(path);
        }
        Ok(plan)
    }
}

fn normalise(secrets: &ProviderSecrets) -> ProviderSecrets {
    let mut out = secrets.clone();
    if let Some(v) = out.remove("oauth_token")
        && !out.contains_key("token")
    {
        out.insert_secret("token", v);
    }
    out
}

fn render(doc: &Mapping) -> String {
    serde_yaml::to_string(doc).expect("a YAML mapping always serialises")
}

/// Reads a YAML mapping; an error names the file and line and quotes nothing from it.
fn read_mapping(path: &Path) -> Result<Option<Mapping>> {
    let Some(text) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(Some(Mapping::new()));
    }
    match serde_yaml::from_str::<Value>(&text) {
        Ok(Value::Mapping(m)) => Ok(Some(m)),
        Ok(Value::Null) => Ok(Some(Mapping::new())),
        Ok(_) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: 1,
            message: "expected a YAML mapping of hosts".to_owned(),
        }),
        Err(e) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: e.location().map_or(1, |l| l.line()),
            message: "not valid YAML".to_owned(),
        }),
    }
}
