//! Local named secrets: `~/.rh/secrets/<name>.json`, the one place that knows that path and its format.
//!
//! The file is Runhouse 0.0.14's local secret config, values included: `name` (without `~/`),
//! `resource_type: "secret"`, `resource_subtype` (the provider's class, `Secret` without a provider),
//! `provider`, and `values` (`{key: value}` strings); other keys (the API-key providers' `env_vars`) are
//! kept on rewrite. The API-key providers' saves (`rh secrets save openai …`) write this same file through
//! [`doc_with_values`], so `~/.rh/secrets/openai.json` is at once their credential file and the local
//! named secret `~/openai`.
//!
//! A name is the RNS grammar's ([`rh_wire::name::check_segment`] for each `/`-separated segment, at
//! most [`rh_wire::name::MAX_ADDRESS`] bytes), with a leading `~/` stripped as Runhouse did; `a/b` is
//! `secrets/a/b.json`. Files are written atomically with mode 0600 (directories 0700) and every write
//! and delete is a line in the audit log ([`crate::audit`]).

use std::path::{Path, PathBuf};

#[cfg(feature = "vault")]
use rh_config::RhPaths;
use serde_json::{Map, Value};

#[cfg(feature = "vault")]
use crate::audit::{AuditLog, Origin};
#[cfg(feature = "vault")]
use crate::fsio;
#[cfg(feature = "vault")]
use crate::providers::gcp::read_object;
#[cfg(feature = "vault")]
use crate::providers::gcp::render;
use crate::{Error, ProviderSecrets, Result, builtin_provider};

/// The `resource_subtype` of a named secret without a provider.
pub const PLAIN_CLASS: &str = "Secret";

/// `<rh dir>/secrets`.
pub(crate) fn secrets_dir(rh_dir: &Path) -> PathBuf {
    rh_dir.join("secrets")
}

/// The local name of `input`: `~/` stripped, each segment checked by the RNS grammar.
pub fn local_name(input: &str) -> Result<String> {
    let name = input
        .strip_prefix("~/")
        .unwrap_or(input)
        .trim_end_matches('/');
    let bad = |reason: String| Error::Input {
        message: format!("invalid secret name `{}`: {reason}", input.escape_debug()),
    };
    if name.is_empty() || name == "~" {
        return Err(bad("it is empty".to_owned()));
    }
    if name.starts_with('/') {
        return Err(bad(
            "a `/…` name lives on rh-server, not on this machine".to_owned()
        ));
    }
    for segment in name.split('/') {
        rh_wire::name::check_segment(segment).map_err(|r| bad(r.to_string()))?;
    }
    if name.len() + 1 > rh_wire::name::MAX_ADDRESS {
        return Err(bad(format!(
            "it is longer than {} bytes",
            rh_wire::name::MAX_ADDRESS
        )));
    }
    Ok(name.to_owned())
}

/// The file of the local secret `name` (already a [`local_name`]) under `dir`.
pub(crate) fn file_for(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.json"))
}

/// The class of `provider` (`None`: a plain secret).
pub(crate) fn class_of(provider: Option<&str>) -> &'static str {
    match provider {
        None => PLAIN_CLASS,
        Some(p) => builtin_provider(p).map_or("ProviderSecret", |p| p.class()),
    }
}

/// The config `existing` (or a new one) for secret `name` of `provider`, with `values` merged into its
/// `values` (`replace`: instead of them). Identity keys already there are kept.
pub(crate) fn doc_with_values(
    existing: Option<Map<String, Value>>,
    name: &str,
    provider: Option<&str>,
    values: &ProviderSecrets,
    replace: bool,
) -> Map<String, Value> {
    let mut doc = existing.unwrap_or_default();
    let text = |s: &str| Value::String(s.to_owned());
    doc.entry("name").or_insert_with(|| text(name));
    doc.insert("resource_type".to_owned(), text("secret"));
    doc.insert("resource_subtype".to_owned(), text(class_of(provider)));
    match provider {
        Some(p) => doc.insert("provider".to_owned(), text(p)),
        None => doc.remove("provider"),
    };
    let slot = doc
        .entry("values")
        .or_insert_with(|| Value::Object(Map::new()));
    if replace || !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    let map = slot.as_object_mut().expect("just made an object");
    for (k, v) in values.iter() {
        map.insert(k.to_owned(), text(secrecy::ExposeSecret::expose_secret(v)));
    }
    doc
}

/// The `values` of a config read from `path` (strings only; anything else is an error naming the key).
pub(crate) fn values_of(path: &Path, doc: &Map<String, Value>) -> Result<ProviderSecrets> {
    match doc.get("values") {
        None => Ok(ProviderSecrets::new()),
        Some(Value::Object(v)) => ProviderSecrets::from_json_object(&path.display().to_string(), v),
        Some(_) => Err(Error::Malformed {
            path: path.to_path_buf(),
            line: 1,
            message: "`values` must be an object of key: value strings".to_owned(),
        }),
    }
}

#[cfg(feature = "vault")]
fn provider_of(doc: &Map<String, Value>) -> Option<String> {
    doc.get("provider")
        .and_then(Value::as_str)
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
}

/// The local store of named secrets: `~/.rh/secrets/<name>.json` (under `RH_CONFIG_DIR` when set).
#[cfg(feature = "vault")]
#[derive(Debug, Clone)]
pub struct LocalNamedSecrets {
    dir: PathBuf,
    owner: String,
    audit: AuditLog,
    origin: Origin,
}

#[cfg(feature = "vault")]
impl LocalNamedSecrets {
    /// The store of rh's directory in `paths`; `owner` is what listings show (the username or `local`).
    pub fn new(paths: &RhPaths, owner: Option<&str>) -> Self {
        Self {
            dir: secrets_dir(paths.config_dir()),
            owner: owner.unwrap_or("local").to_owned(),
            audit: AuditLog::new(paths),
            origin: Origin::default(),
        }
    }

    /// The same store, recording its writes and deletes in the audit log as done by `origin`.
    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }

    /// The file of secret `name` (`~/openai` or `openai`).
    pub fn path(&self, name: &str) -> Result<PathBuf> {
        Ok(file_for(&self.dir, &local_name(name)?))
    }

    /// Reads the secret `name`: its provider and values, `None` if there is no file.
    pub fn read(&self, name: &str) -> Result<Option<crate::named::NamedSecret>> {
        let name = local_name(name)?;
        let path = file_for(&self.dir, &name);
        let Some(doc) = read_object(&path)? else {
            return Ok(None);
        };
        Ok(Some(crate::named::NamedSecret {
            values: values_of(&path, &doc)?,
            provider: provider_of(&doc),
            name,
        }))
    }

    /// Writes `secret` (its values replace the file's); with `create_only`, an existing one is
    /// [`crate::named::Error::Exists`] and its file is left untouched.
    pub fn write(
        &self,
        secret: &crate::named::NamedSecret,
        create_only: bool,
    ) -> crate::named::Result<()> {
        let name = local_name(&secret.name)?;
        if secret.values.is_empty() {
            return Err(Error::Input {
                message: format!("the secret `{name}` has no values"),
            }
            .into());
        }
        for (key, _) in secret.values.iter() {
            if key.trim().is_empty() {
                return Err(Error::Input {
                    message: format!("the secret `{name}` has an empty key"),
                }
                .into());
            }
        }
        let provider = secret
            .provider
            .as_deref()
            .map(|p| builtin_provider(p).map_or_else(|| p.to_owned(), |b| b.name().to_owned()));
        if let Some(p) = provider.as_deref() {
            match builtin_provider(p) {
                Some(b) => b.validate(&secret.values)?,
                None => crate::secrets::validate_custom_name(p)?,
            }
        }
        let path = file_for(&self.dir, &name);
        let existing = read_object(&path)?;
        if create_only && existing.is_some() {
            return Err(crate::named::Error::Exists { name });
        }
        let doc = doc_with_values(existing, &name, provider.as_deref(), &secret.values, true);
        fsio::write_private(&path, render(&doc).as_bytes())?;
        self.audit.record(
            &self.origin,
            "write",
            provider.as_deref().unwrap_or("-"),
            Some(&format!("~/{name}")),
            &path,
        );
        Ok(())
    }

    /// The env file `rh secrets write NAME --env` writes: `~/.rh/secrets/<name>.env`.
    pub fn env_file(&self, name: &str) -> Result<PathBuf> {
        Ok(self.dir.join(format!("{}.env", local_name(name)?)))
    }

    /// Writes `bytes` (rendered from `secret`'s values) to `path` atomically with mode 0600, and records
    /// it in the audit log as the secret `address`'s.
    pub fn write_file(
        &self,
        path: &Path,
        bytes: &[u8],
        secret: &crate::named::NamedSecret,
        address: &str,
    ) -> Result<()> {
        fsio::write_private(path, bytes)?;
        self.audit.record(
            &self.origin,
            "write",
            secret.provider.as_deref().unwrap_or("-"),
            Some(address),
            path,
        );
        Ok(())
    }

    /// Deletes the secret `name`; returns whether it existed.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let name = local_name(name)?;
        let path = file_for(&self.dir, &name);
        let provider = read_object(&path)
            .ok()
            .flatten()
            .and_then(|d| provider_of(&d))
            .unwrap_or_else(|| "-".to_owned());
        let removed = fsio::remove(&path)?;
        if removed {
            self.audit.record(
                &self.origin,
                "delete",
                &provider,
                Some(&format!("~/{name}")),
                &path,
            );
        }
        Ok(removed)
    }

    /// The secrets under `folder` (`~`, `~/team`; `None`: all), sorted by name; never values. A file
    /// that cannot be read is skipped with a warning naming it.
    pub fn infos(&self, folder: Option<&str>) -> Result<Vec<crate::named::NamedSecretInfo>> {
        let prefix = match folder.map(|f| f.trim_end_matches('/')) {
            None | Some("~" | "") => None,
            Some(f) => Some(local_name(f)?),
        };
        let mut out = Vec::new();
        let mut stack = vec![self.dir.clone()];
        while let Some(dir) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => return Err(Error::Read { path: dir, source }),
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    stack.push(path);
                    continue;
                }
                let Some(rel) = path
                    .strip_prefix(&self.dir)
                    .ok()
                    .and_then(|r| r.to_str())
                    .and_then(|r| r.strip_suffix(".json"))
                else {
                    continue;
                };
                if local_name(rel).is_err() {
                    continue;
                }
                if let Some(p) = &prefix
                    && !(rel == p || rel.starts_with(&format!("{p}/")))
                {
                    continue;
                }
                match read_object(&path) {
                    Ok(Some(doc)) => out.push(crate::named::NamedSecretInfo {
                        name: rel.to_owned(),
                        provider: provider_of(&doc),
                        owner: self.owner.clone(),
                        access: crate::named::Access::Owner,
                        version: None,
                    }),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(
                        "skipping {}: {}",
                        path.display(),
                        rh_config::display_chain(&e)
                    ),
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[cfg(feature = "vault")]
#[async_trait::async_trait]
impl crate::named::NamedSecretStore for LocalNamedSecrets {
    fn location(&self, name: &str) -> String {
        self.path(name).map_or_else(
            |_| format!("~/.rh/secrets/{name}.json"),
            |p| p.display().to_string(),
        )
    }

    async fn put(
        &self,
        secret: &crate::named::NamedSecret,
        expected: Option<u64>,
    ) -> crate::named::Result<u64> {
        match expected {
            Some(0) => self.write(secret, true)?,
            None => self.write(secret, false)?,
            Some(v) => {
                // A local secret has one version, 1, while it exists.
                if v != 1 || self.read(&secret.name)?.is_none() {
                    return Err(crate::vault::Error::Conflict {
                        path: self.location(&secret.name),
                        expected: v,
                    }
                    .into());
                }
                self.write(secret, false)?;
            }
        }
        Ok(1)
    }

    async fn get(
        &self,
        name: &str,
    ) -> crate::named::Result<Option<(crate::named::NamedSecret, u64)>> {
        Ok(self.read(name)?.map(|s| (s, 1)))
    }

    async fn list(
        &self,
        folder: Option<&str>,
    ) -> crate::named::Result<Vec<crate::named::NamedSecretInfo>> {
        Ok(self.infos(folder)?)
    }

    async fn delete(&self, name: &str) -> crate::named::Result<bool> {
        Ok(self.remove(name)?)
    }
}

#[cfg(all(test, feature = "vault"))]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_rns_grammar() {
        assert_eq!(local_name("~/openai").unwrap(), "openai");
        assert_eq!(local_name("team/db").unwrap(), "team/db");
        for bad in [
            "", "~", "~/", "/alice/x", "a/../b", "a:b", "a\\b", "x/./y", " a",
        ] {
            assert!(local_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn write_read_list_remove() {
        let tmp = tempfile::tempdir().unwrap();
        let paths = RhPaths::new(tmp.path(), tmp.path().join(".rh"));
        let store = LocalNamedSecrets::new(&paths, None).with_origin(Origin::new("test", "argv"));
        let secret = crate::named::NamedSecret {
            name: "~/db".to_owned(),
            provider: None,
            values: [("PASSWORD", "pw-SENTINEL")].into_iter().collect(),
        };
        store.write(&secret, true).unwrap();
        let err = store.write(&secret, true).unwrap_err();
        assert!(matches!(err, crate::named::Error::Exists { .. }), "{err}");
        let read = store.read("db").unwrap().unwrap();
        assert_eq!(read.values.expose("PASSWORD"), Some("pw-SENTINEL"));
        let text = std::fs::read_to_string(store.path("db").unwrap()).unwrap();
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["resource_type"], "secret");
        assert_eq!(doc["resource_subtype"], "Secret");
        assert_eq!(doc["name"], "db");
        let infos = store.infos(None).unwrap();
        assert_eq!(infos.len(), 1);
        assert_eq!(infos[0].owner, "local");
        assert!(store.remove("~/db").unwrap());
        assert!(!store.remove("~/db").unwrap());
        let log = std::fs::read_to_string(tmp.path().join(".rh/audit.log")).unwrap();
        assert_eq!(log.lines().count(), 2, "{log}");
        assert!(!log.contains("pw-SENTINEL"), "{log}");
    }
}
