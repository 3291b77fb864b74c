//! AWS: `~/.aws/credentials` (INI, `[default]`), or `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY`.

use std::path::{Path, PathBuf};

use rh_config::EnvVars;

use super::yaml_path;
use crate::ini::Ini;
use crate::provider::{Ctx, Plan, WriteOptions};
use crate::{Provider, ProviderSecrets, Result, fsio};

const SECTION: &str = "default";
const FILE_KEYS: [(&str, &str); 2] = [
    ("access_key", "aws_access_key_id"),
    ("secret_key", "aws_secret_access_key"),
];

/// Amazon Web Services.
#[derive(Debug, Clone, Copy)]
pub struct Aws;

impl Aws {
    /// The keys of `[profile]` in an AWS shared credentials file, read the way botocore reads it:
    /// `access_key`, `secret_key` and, when the profile has one, `session_token`. `None` when the file
    /// does not exist; a malformed file is [`crate::Error::Malformed`] with its line.
    pub fn read_profile(path: &Path, profile: &str) -> Result<Option<ProviderSecrets>> {
        read_ini(
            path,
            profile,
            &[
                FILE_KEYS[0],
                FILE_KEYS[1],
                ("session_token", "aws_session_token"),
            ],
        )
    }
}

impl Provider for Aws {
    fn name(&self) -> &'static str {
        "aws"
    }

    fn class(&self) -> &'static str {
        "AWSSecret"
    }

    fn keys(&self) -> &'static [&'static str] {
        &["access_key", "secret_key"]
    }

    fn env_vars(&self) -> &'static [&'static str] {
        &[EnvVars::AWS_ACCESS_KEY_ID, EnvVars::AWS_SECRET_ACCESS_KEY]
    }

    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    fn paths(&self, ctx: &Ctx<'_>) -> Vec<PathBuf> {
        vec![
            ctx.env_path(EnvVars::AWS_SHARED_CREDENTIALS_FILE)
                .unwrap_or_else(|| ctx.home().join(".aws/credentials")),
        ]
    }

    fn native_key(&self, key: &str) -> String {
        let file_key = FILE_KEYS
            .iter()
            .find(|(k, _)| *k == key)
            .map_or(key, |(_, f)| *f);
        format!("[{SECTION}] {file_key}")
    }

    fn read_path(&self, path: &Path) -> Result<Option<ProviderSecrets>> {
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

/// Reads `keys` (`(our key, file key)`) from `[section]` of an INI file.
pub(crate) fn read_ini(
    path: &Path,
    section: &str,
    keys: &[(&str, &str)],
) -> Result<Option<ProviderSecrets>> {
    let Some(text) = fsio::read_optional(path)? else {
        return Ok(None);
    };
    let ini = Ini::parse(path, &text)?;
    let mut out = ProviderSecrets::new();
    for (ours, theirs) in keys {
        if let Some(v) = ini.get(section, theirs) {
            out.insert(*ours, v);
        }
    }
    Ok(Some(out))
}

/// Plans setting `keys` in `[section]`, keeping the rest of the file byte for byte.
pub(crate) fn plan_ini_write(
    path: &Path,
    section: &str,
    keys: &[(&str, &str)],
    secrets: &ProviderSecrets,
) -> Result<Plan> {
    let existing = fsio::read_optional(path)?.unwrap_or_default();
    let mut ini = Ini::parse(path, &existing)?;
    for (ours, theirs) in keys {
        if let Some(v) = secrets.expose(ours) {
            ini.set(section, theirs, v)?;
        }
    }
    let mut plan = Plan {
        record: Some(yaml_path(path)),
        ..Plan::default()
    };
    plan.write(path.to_path_buf(), ini.render());
    Ok(plan)
}

/// Plans removing `keys` from `[section]`; a file left empty is removed.
pub(crate) fn plan_ini_delete(path: &Path, section: &str, keys: &[(&str, &str)]) -> Result<Plan> {
    let mut plan = Plan::default();
    let Some(existing) = fsio::read_optional(path)? else {
        return Ok(plan);
    };
    let mut ini = Ini::parse(path, &existing)?;
    let mut changed = false;
    for (_, theirs) in keys {
        changed |= ini.remove(section, theirs)?;
    }
    if ini.is_blank() {
        plan.remove(path.to_path_buf());
    } else if changed {
        plan.write(path.to_path_buf(), ini.render());
    }
    Ok(plan)
}

#[cfg(test)]
mod tests {
    use super::Aws;

    /// botocore lower-cases option names and reads only the named section; so does `read_profile`.
    #[test]
    fn read_profile_reads_one_profile_as_botocore_does() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("credentials");
        std::fs::write(
            &file,
            "[default]\naws_access_key_id = D\naws_secret_access_key = d\n\n\
             [work]\nAWS_Access_Key_Id = W\naws_secret_access_key = w=\naws_session_token = t\n",
        )
        .expect("write");
        let work = Aws::read_profile(&file, "work")
            .expect("read")
            .expect("file");
        assert_eq!(work.expose("access_key"), Some("W"));
        assert_eq!(work.expose("secret_key"), Some("w="));
        assert_eq!(work.expose("session_token"), Some("t"));
        let default = Aws::read_profile(&file, "default")
            .expect("read")
            .expect("file");
        assert_eq!(default.expose("access_key"), Some("D"));
        assert_eq!(default.expose("session_token"), None);
        assert_eq!(
            Aws::read_profile(&file, "none")
                .expect("read")
                .expect("file")
                .len(),
            0
        );
        assert!(
            Aws::read_profile(&dir.path().join("absent"), "default")
                .expect("read")
                .is_none()
        );
        std::fs::write(&file, "aws_access_key_id = X\n").expect("write");
        let e = Aws::read_profile(&file, "default").expect_err("malformed");
        assert!(
            e.to_string()
                .ends_with(":1: a key comes before any `[section]` header"),
            "{e}"
        );
    }
}
