//! The builtin providers: one module each, or one row of the API-key table.

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use crate::provider::{Plan, join_and};
use crate::{Error, Provider, ProviderSecrets, Result, fsio};

pub(crate) mod api_key;
pub(crate) mod aws;
pub(crate) mod azure;
pub(crate) mod docker;
pub(crate) mod gcp;
pub(crate) mod github;
pub(crate) mod huggingface;
pub(crate) mod kubernetes;
pub(crate) mod lambda;
pub(crate) mod sky;
pub(crate) mod ssh;
mod yaml;

/// The registry: Runhouse's eight in its order, the API-key providers of [`api_key::TABLE`], then
/// kubernetes and docker. A provider with a module is one line here.
static BUILTIN: LazyLock<Vec<&'static dyn Provider>> = LazyLock::new(|| {
    let mut all: Vec<&'static dyn Provider> = vec![
        &aws::Aws,
        &azure::Azure,
        &gcp::Gcp,
        &huggingface::HuggingFace,
        &lambda::Lambda,
        &sky::Sky,
        &ssh::Ssh,
        &github::GitHub,
    ];
    all.extend(api_key::TABLE.iter().map(|p| p as &dyn Provider));
    all.push(&kubernetes::Kubernetes);
    all.push(&docker::Docker);
    all
});

/// The builtin providers: aws, azure, gcp, huggingface, lambda, sky, ssh, github (Runhouse's order),
/// anthropic, cohere, langchain, openai, pinecone, wandb, kubernetes, docker.
pub fn builtin_providers() -> &'static [&'static dyn Provider] {
    BUILTIN.as_slice()
}

/// The builtin provider called `name` (case-insensitive); `None` means a custom provider.
pub fn builtin_provider(name: &str) -> Option<&'static dyn Provider> {
    let lower = name.to_ascii_lowercase();
    BUILTIN.iter().copied().find(|p| p.name() == lower)
}

/// The builtin provider names, comma-separated, for messages.
pub(crate) fn builtin_list() -> String {
    BUILTIN
        .iter()
        .map(|p| p.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Checks that `secrets` holds every key of `required`, no key outside `required` and `optional`
/// (unless `optional` is `["*"]`), and no empty value.
pub(crate) fn require_keys(
    provider: &str,
    required: &'static [&'static str],
    optional: &[&str],
    secrets: &ProviderSecrets,
) -> Result<()> {
    let expected = || join_and(required);
    for key in required {
        if !secrets.contains_key(key) {
            return Err(Error::MissingKey {
                provider: provider.to_owned(),
                key,
                expected: expected(),
            });
        }
    }
    for (key, value) in secrets.iter() {
        let known = required.contains(&key) || optional.contains(&key) || optional == ["*"];
        if !known {
            return Err(Error::UnknownKey {
                provider: provider.to_owned(),
                key: key.to_owned(),
                expected: expected(),
            });
        }
        if secrecy::ExposeSecret::expose_secret(value)
            .trim()
            .is_empty()
        {
            return Err(Error::InvalidValue {
                provider: provider.to_owned(),
                key: key.to_owned(),
                reason: "it is empty",
            });
        }
    }
    Ok(())
}

/// The `validate` of a provider whose file holds one `key = value` line a key: exactly `keys`
/// ([`require_keys`]), each value on one line ([`single_line`]).
pub(crate) fn require_single_line_keys(
    provider: &str,
    keys: &'static [&'static str],
    secrets: &ProviderSecrets,
) -> Result<()> {
    require_keys(provider, keys, &[], secrets)?;
    single_line(provider, secrets)
}

/// Rejects values that cannot sit on one line of an INI or key file.
pub(crate) fn single_line(provider: &str, secrets: &ProviderSecrets) -> Result<()> {
    for (key, value) in secrets.iter() {
        let v = secrecy::ExposeSecret::expose_secret(value);
        if v.contains(['\n', '\r']) {
            return Err(Error::InvalidValue {
                provider: provider.to_owned(),
                key: key.to_owned(),
                reason: "it spans several lines",
            });
        }
        if v.trim() != v {
            return Err(Error::InvalidValue {
                provider: provider.to_owned(),
                key: key.to_owned(),
                reason: "it has leading or trailing whitespace",
            });
        }
    }
    Ok(())
}

/// Plans writing a group of key files that belong together (a private key and its `.pub`).
///
/// A file that already holds the same key is left alone. If any file of the group holds a different
/// key, the whole group is skipped with a warning, unless `force`, in which case each differing file is
/// backed up first. Key files always end with a newline, as OpenSSH expects.
pub(crate) fn plan_key_group(
    plan: &mut Plan,
    files: &[(String, PathBuf, &str)],
    force: bool,
) -> Result<()> {
    let mut conflicts = Vec::new();
    let mut to_write = Vec::new();
    for (name, path, contents) in files {
        let mut contents = (*contents).to_owned();
        if !contents.ends_with('\n') {
            contents.push('\n');
        }
        match fsio::read_optional(path)? {
            Some(existing) if existing.trim_end() == contents.trim_end() => {
                tracing::debug!("key {name} already holds the same content");
            }
            Some(_) => {
                conflicts.push((name.clone(), path.clone()));
                to_write.push((path.clone(), contents));
            }
            None => to_write.push((path.clone(), contents)),
        }
    }
    if !conflicts.is_empty() && !force {
        for (name, _) in &conflicts {
            plan.warn(format!("Key {name} already exists, skipping."));
        }
        plan.skipped.extend(files.iter().map(|(_, p, _)| p.clone()));
        return Ok(());
    }
    for (_, path) in &conflicts {
        plan.ops.push(crate::provider::FileOp::Backup {
            from: fsio::write_target(path)?,
            to: fsio::backup_path(path),
        });
    }
    for (path, contents) in to_write {
        plan.write(path, contents);
    }
    Ok(())
}

/// Reads a whole file and trims trailing whitespace; `None` when missing.
pub(crate) fn read_trimmed(path: &Path) -> Result<Option<String>> {
    Ok(fsio::read_optional(path)?.map(|s| s.trim_end().to_owned()))
}

/// Plans a file removal if the file exists.
pub(crate) fn remove_if_present(plan: &mut Plan, path: &Path) -> Result<()> {
    if fsio::check_file(path)? {
        plan.remove(path.to_path_buf());
    }
    Ok(())
}

/// The path as a YAML string, for the `secrets` map.
pub(crate) fn yaml_path(path: &Path) -> serde_yaml::Value {
    serde_yaml::Value::String(path.display().to_string())
}
