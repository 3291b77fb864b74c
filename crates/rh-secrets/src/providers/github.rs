//! GitHub: `~/.config/gh/hosts.yml` (`github.com: {oauth_token: …}`, merged), or `GH_TOKEN`.

use std::path::{Path, PathBuf};

use rh_config::EnvVars;
use serde_yaml::{Mapping, Value};

use super::yaml::{read_mapping, render};
use super::{single_line, yaml_path};

/// What `hosts.yml` must be.
const HOSTS: &str = "expected a YAML mapping of hosts";
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result};

const HOST: &str = "github.com";

/// GitHub (the `gh` CLI's token).
#[derive(Debug, Clone, Copy)]
pub struct GitHub;

impl Provider for GitHub {
    fn name(&self) -> &'static str {
        "github"
    }

    fn class(&self) -> &'static str {
        "GitHubSecret"
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
        let Some(doc) = read_mapping(path, HOSTS)? else {
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
    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let secrets = normalise(secrets);
        let path = self.paths(ctx).remove(0);
        let mut doc = read_mapping(&path, HOSTS)?.unwrap_or_default();
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
        plan.write(path.clone(), render(&path, &doc)?);
        Ok(plan)
    }

    /// Removes the `github.com` entry; a file left with no hosts is removed.
    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let path = self.paths(ctx).remove(0);
        let mut plan = Plan::default();
        let Some(mut doc) = read_mapping(&path, HOSTS)? else {
            return Ok(plan);
        };
        if doc.shift_remove(HOST).is_some() {
            if doc.is_empty() {
                plan.remove(path);
            } else {
                plan.write(path.clone(), render(&path, &doc)?);
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

#[cfg(test)]
mod tests {
    use super::*;

    // Fuzz finding (hosts_yml, fuzz/regressions/hosts_yml/crash-0ebed81f…): ` ? ? ? ` parses to a
    // mapping keyed by a mapping, which serde_yaml cannot emit; saving panicked on `expect`.
    #[test]
    fn a_mapping_used_as_a_key_is_refused_not_a_panic() {
        let doc: Mapping = serde_yaml::from_str(" ? ? ? ").unwrap();
        let err = render(Path::new("/h/hosts.yml"), &doc).unwrap_err();
        assert_eq!(
            err.to_string(),
            "/h/hosts.yml holds YAML that cannot be written back (a mapping used as a key); edit it by hand"
        );
        // Through the provider: the save is refused and the file left byte-identical.
        crate::fuzzing::provider_file_of("github", b" ? ? ? ");
    }
}
