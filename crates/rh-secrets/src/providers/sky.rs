//! SkyPilot: the key pair `~/.ssh/sky-key` and `~/.ssh/sky-key.pub`.

use std::path::PathBuf;

use super::{plan_key_group, read_trimmed, remove_if_present};
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result};

/// SkyPilot's own SSH key pair.
#[derive(Debug, Clone, Copy)]
pub struct Sky;

impl Provider for Sky {
    fn name(&self) -> &'static str {
        "sky"
    }

    fn class(&self) -> &'static str {
        "SkySecret"
    }

    fn exports_env(&self) -> bool {
        false
    }

    fn keys(&self) -> &'static [&'static str] {
        &["ssh_private_key", "ssh_public_key"]
    }

    /// The private key, then the public key.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        let dir = ctx.home().join(".ssh");
        vec![dir.join("sky-key"), dir.join("sky-key.pub")]
    }

    fn native_key(&self, key: &str) -> String {
        if key == "ssh_public_key" {
            "sky-key.pub".to_owned()
        } else {
            "sky-key".to_owned()
        }
    }

    /// `path` is the private key; the public key is next to it as `path.pub` (Runhouse wrongly used
    /// the same path for both).
    fn read_path(&self, path: &std::path::Path) -> Result<Option<ProviderSecrets>> {
        let mut pub_name = path.as_os_str().to_owned();
        pub_name.push(".pub");
        let private = read_trimmed(path)?;
        let public = read_trimmed(std::path::Path::new(&pub_name))?;
        if private.is_none() && public.is_none() {
            return Ok(None);
        }
        let mut out = ProviderSecrets::new();
        if let Some(k) = private.filter(|k| !k.is_empty()) {
            out.insert("ssh_private_key", format!("{k}\n"));
        }
        if let Some(k) = public.filter(|k| !k.is_empty()) {
            out.insert("ssh_public_key", format!("{k}\n"));
        }
        Ok(Some(out))
    }

    fn plan_write(
        &self,
        ctx: &Ctx<'_>,
        secrets: &ProviderSecrets,
        opts: WriteOptions,
    ) -> Result<Plan> {
        self.validate(secrets)?;
        let paths = self.paths(ctx);
        let mut plan = Plan {
            record: Some(serde_yaml::Value::Sequence(
                paths.iter().map(|p| super::yaml_path(p)).collect(),
            )),
            ..Plan::default()
        };
        let files = [
            (
                "sky-key".to_owned(),
                paths[0].clone(),
                secrets.expose("ssh_private_key").expect("validated"),
            ),
            (
                "sky-key.pub".to_owned(),
                paths[1].clone(),
                secrets.expose("ssh_public_key").expect("validated"),
            ),
        ];
        plan_key_group(&mut plan, &files, opts.force)?;
        Ok(plan)
    }

    fn plan_delete(&self, ctx: &Ctx<'_>) -> Result<Plan> {
        let mut plan = Plan::default();
        for p in self.paths(ctx) {
            remove_if_present(&mut plan, &p)?;
        }
        Ok(plan)
    }
}
