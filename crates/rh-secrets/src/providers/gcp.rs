//! GCP: `~/.config/gcloud/application_default_credentials.json` (JSON, merged), or `CLIENT_ID` / `CLIENT_SECRET`.

use std::path::{Path, PathBuf};

use rh_config::EnvVars;
use serde_json::{Map, Value};

use super::yaml_path;
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Error, Provider, ProviderSecrets, Result, fsio};

/// The one credential `type` rh writes: what `gcloud auth application-default login` creates.
const AUTHORIZED_USER: &str = "authorized_user";

/// The keys of an `authorized_user` credential file, the only ones written into it. Endpoint keys
/// (`token_uri`, …) are not among them: google-auth would send the refresh token to such a URL.
const AUTHORIZED_USER_KEYS: &[&str] = &[
    "type",
    "client_id",
    "client_secret",
    "refresh_token",
    "quota_project_id",
    "account",
    "universe_domain",
];

/// Google Cloud Platform (application-default credentials).
#[derive(Debug, Clone, Copy)]
pub struct Gcp;

impl Provider for Gcp {
    fn name(&self) -> &'static str {
        "gcp"
    }

    fn class(&self) -> &'static str {
        "GCPSecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["client_id", "client_secret"]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &[EnvVars::CLIENT_ID, EnvVars::CLIENT_SECRET]
    }

    /// `GOOGLE_APPLICATION_CREDENTIALS`, else `~/.config/gcloud/application_default_credentials.json`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        vec![
            ctx.env_path(EnvVars::GOOGLE_APPLICATION_CREDENTIALS)
                .unwrap_or_else(|| {
                    ctx.home()
                        .join(".config/gcloud/application_default_credentials.json")
                }),
        ]
    }

    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>> {
        let Some(doc) = read_object(path)? else {
            return Ok(None);
        };
        let mut out = ProviderSecrets::new();
        for key in self.keys() {
            if let Some(Value::String(v)) = doc.get(*key) {
                out.insert(*key, v.clone());
            }
        }
        Ok(Some(out))
    }

    /// `client_id` and `client_secret` are required; the other keys of an `authorized_user`
    /// credential (`refresh_token`, `type`, `quota_project_id`, …) are allowed and merged into the file
    /// too, since the whole file is the credential. Any other key, another `type`, or a
    /// `universe_domain` other than `googleapis.com` is refused.
    fn validate(&self, secrets: &ProviderSecrets) -> Result<()> {
        super::require_keys(self.name(), self.keys(), AUTHORIZED_USER_KEYS, secrets).map_err(
            |e| match e {
                Error::UnknownKey { provider, key, .. } => Error::UnknownKey {
                    provider,
                    key,
                    expected: format!(
                        "the keys of an {AUTHORIZED_USER} credential: {}",
                        AUTHORIZED_USER_KEYS.join(", ")
                    ),
                },
                other => other,
            },
        )?;
        let invalid = |key: &str, reason| Error::InvalidValue {
            provider: self.name().to_owned(),
            key: key.to_owned(),
            reason,
        };
        if secrets.expose("type").is_some_and(|t| t != AUTHORIZED_USER) {
            return Err(invalid(
                "type",
                "rh writes only `authorized_user` credentials",
            ));
        }
        if secrets
            .expose("universe_domain")
            .is_some_and(|u| u != "googleapis.com")
        {
            return Err(invalid(
                "universe_domain",
                "only googleapis.com is accepted",
            ));
        }
        Ok(())
    }

    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        _opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let path = &self.paths(ctx)[0];
        let mut doc = read_object(path)?.unwrap_or_default();
        // Merging an authorized_user secret into another kind of credential would mix the two.
        match doc.get("type") {
            None => {}
            Some(Value::String(t)) if t == AUTHORIZED_USER => {}
            Some(other) => {
                let kind = other.as_str().unwrap_or("non-string").to_owned();
                return Err(Error::NotSupported {
                    provider: self.name().to_owned(),
                    what: format!(
                        "merging an {AUTHORIZED_USER} credential into {} (a `{kind}` credential)",
                        path.display()
                    ),
                });
            }
        }
        for (key, value) in secrets.iter() {
            doc.insert(
                key.to_owned(),
                Value::String(secrecy::ExposeSecret::expose_secret(value).to_owned()),
            );
        }
        let mut plan = Plan {
            record: Some(yaml_path(path)),
            ..Plan::default()
        };
        plan.write(path.clone(), render(&doc));
        Ok(plan)
    }

    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let path = &self.paths(ctx)[0];
        let mut plan = Plan::default();
        let Some(mut doc) = read_object(path)? else {
            return Ok(plan);
        };
        let before = doc.len();
        for key in self.keys() {
            doc.shift_remove(*key);
        }
        if doc.is_empty() {
            plan.remove(path.clone());
        } else if doc.len() != before {
            plan.write(path.clone(), render(&doc));
        }
        Ok(plan)
    }
}

pub(crate) fn render(doc: &Map<String, Value>) -> String {
    let mut text = serde_json::to_string_pretty(doc).expect("a JSON map always serialises");
    text.push('\n');
    text
}

/// Reads a JSON object; an error names the file and line and quotes nothing from it.
pub(crate) fn read_object(path: &Path) -> Result<Option<Map<String, Value>>> {
    let Some(text) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    if text.trim().is_empty() {
        return Ok(Some(Map::new()));
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(Some(map)),
        Ok(_) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: 1,
            message: "expected a JSON object".to_owned(),
        }),
        Err(e) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: e.line(),
            message: format!("not valid JSON (column {})", e.column()),
        }),
    }
}
