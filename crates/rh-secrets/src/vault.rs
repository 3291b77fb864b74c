//! Provider secrets in a HashiCorp Vault / OpenBao KV v2 store, reached directly with vaultrs.
//!
//! Each provider's secrets are one KV v2 secret at `<mount>/<prefix>/<provider>` (the prefix is
//! `rh/<username or "local">`). Every write also stores, in the secret's *custom metadata*, a salted
//! fingerprint of each key's value, so drift checks read metadata only and never a value. Writes use
//! check-and-set, so two concurrent writers never silently overwrite each other.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use vaultrs::client::{VaultClient, VaultClientSettingsBuilder};
use vaultrs::error::ClientError;
use vaultrs::kv2;

/// A provider's secrets: key → value, values redacted in `Debug`.
pub type SecretMap = BTreeMap<String, SecretString>;

/// Custom-metadata key holding the per-secret salt.
const SALT_KEY: &str = "rh_salt";
/// Custom-metadata key holding the version the fingerprints describe.
const FP_VERSION_KEY: &str = "rh_fp_version";
/// Prefix of the custom-metadata keys holding one fingerprint each.
const FP_PREFIX: &str = "rh_fp:";

/// What can go wrong talking to Vault. No variant carries a secret value or the token.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The HTTP request to Vault failed before an answer (connection refused, DNS, TLS, timeout).
    #[error("cannot reach Vault at {addr}: {reason}")]
    Unreachable {
        /// The Vault address.
        addr: String,
        /// The innermost cause, on one line.
        reason: String,
    },
    /// Vault answered 403: the token is invalid or its policies do not allow the request.
    #[error(
        "Vault at {addr} refused the token (403) for {path}: check VAULT_TOKEN or ~/.vault-token"
    )]
    PermissionDenied {
        /// The Vault address.
        addr: String,
        /// The path the request was for.
        path: String,
    },
    /// The store has no secret (or no such version) at the path: Vault's 404, or rh-server's.
    #[error("no secret in Vault at {path}")]
    NotFound {
        /// The secret's location (`<mount>/<prefix>/<provider>`, or its place on rh-server).
        path: String,
    },
    /// A check-and-set write lost: the secret's current version is not the one the write expected.
    #[error(
        "{path} changed in Vault since it was read (expected version {expected}); pull, then retry"
    )]
    Conflict {
        /// The secret's location.
        path: String,
        /// The version the write expected (0: that no secret exists, or unknown).
        expected: u64,
    },
    /// Any other error answer from Vault, or a failure that is neither a transport error nor an error status.
    #[error("Vault returned status {code} for {path}: {message}")]
    Api {
        /// The HTTP status; 0 when the failure did not come with one.
        code: u16,
        /// The path the request was for.
        path: String,
        /// Vault's error messages joined with `; `, or a description of the failure, on one line.
        message: String,
    },
    /// An address that cannot be used: Vault's is rejected by the client, rh-server's lacks `http(s)://`.
    #[error("invalid Vault address {addr}")]
    BadAddress {
        /// The address as given.
        addr: String,
    },
    /// The secret in the store is not a flat map of strings (or an answer had an unexpected shape).
    #[error("secret at {path} is not a map of strings")]
    Malformed {
        /// The secret's location.
        path: String,
    },
    /// A username outside rh-server's grammar, so it could name a Vault path outside `rh/<username>`.
    #[error(
        "invalid username {name:?}: use 1-{max} letters, digits, '_', '-' or '.', starting with a letter or digit",
        max = rh_config::MAX_USERNAME
    )]
    InvalidUsername {
        /// The username as given.
        name: String,
    },
    /// The request to rh-server failed before an answer, or its client could not be built.
    #[error("cannot reach rh-server at {url}: {reason}")]
    ServerUnreachable {
        /// The rh-server URL.
        url: String,
        /// Why, as the HTTP client reports it.
        reason: String,
    },
    /// rh-server answered 401: the account token is missing, expired or revoked.
    #[error(
        "rh-server at {url} refused the token (401): log in again, or check RH_TOKEN / `token` in config.yaml"
    )]
    Unauthorized {
        /// The rh-server URL.
        url: String,
    },
    /// rh-server answered with an error status other than 401 (and other than those mapped to another variant).
    #[error("rh-server at {url} answered {status} for {what}: {detail}")]
    Server {
        /// The rh-server URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// What was asked for: a provider or secret name, or a list.
        what: String,
        /// The `detail` of the error body on one line, or `no detail`.
        detail: String,
    },
}

/// Result with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Checks a username with rh-server's grammar ([`rh_config::is_valid_username`]), so a name given to direct
/// Vault access (`--username`, `RH_USERNAME`) is one path segment under `rh/` and can name no other path.
pub fn validate_username(name: &str) -> Result<()> {
    if rh_config::is_valid_username(name) {
        Ok(())
    } else {
        Err(Error::InvalidUsername {
            name: name.to_owned(),
        })
    }
}

/// How to reach Vault.
#[derive(Debug, Clone)]
pub struct VaultOptions {
    /// `VAULT_ADDR`, e.g. `http://127.0.0.1:8200`.
    pub addr: String,
    /// `VAULT_TOKEN` or the contents of `~/.vault-token`.
    pub token: SecretString,
    /// `VAULT_NAMESPACE` (Vault Enterprise / OpenBao namespaces).
    pub namespace: Option<String>,
    /// The KV v2 mount, `secret` by default.
    pub mount: String,
    /// The folder under the mount, `rh/<username or "local">`.
    pub prefix: String,
    /// Per-request timeout.
    pub timeout: Duration,
}

impl VaultOptions {
    /// Options with the default mount (`secret`), prefix for `user` and a 10 s timeout.
    pub fn new(addr: impl Into<String>, token: SecretString, user: Option<&str>) -> Self {
        Self {
            addr: addr.into(),
            token,
            namespace: None,
            mount: "secret".to_owned(),
            prefix: format!("rh/{}", user.unwrap_or("local")),
            timeout: Duration::from_secs(10),
        }
    }
}

/// One version of a secret, as KV v2 metadata describes it: never a value.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct VersionInfo {
    /// The version number (1-based).
    pub version: u64,
    /// When it was written (RFC 3339).
    pub created_time: String,
    /// When it was soft-deleted, if it was.
    pub deletion_time: Option<String>,
    /// Whether its data was destroyed.
    pub destroyed: bool,
}

/// Metadata of a provider's secret: the current version and, when up to date, the fingerprints.
#[derive(Debug, Clone)]
pub struct Fingerprints {
    /// The current version.
    pub version: u64,
    /// Key → fingerprint, if the fingerprints describe the current version.
    pub keys: Option<BTreeMap<String, String>>,
    salt: Option<String>,
}

impl Fingerprints {
    /// Fingerprints as a store read them: the current version, the per-key fingerprints when they
    /// describe that version, and the salt they were made with.
    pub fn new(version: u64, keys: Option<BTreeMap<String, String>>, salt: Option<String>) -> Self {
        Self {
            version,
            keys,
            salt,
        }
    }

    /// The salt the fingerprints were made with (not secret: it only keeps them unguessable).
    pub fn salt(&self) -> Option<&str> {
        self.salt.as_deref()
    }

    /// The fingerprint a local value would have under this secret's salt.
    pub fn of(&self, key: &str, value: &SecretString) -> Option<String> {
        self.salt
            .as_deref()
            .map(|salt| fingerprint(salt, key, value))
    }
}

/// A KV v2 client for provider secrets.
pub struct VaultStore {
    client: VaultClient,
    addr: String,
    mount: String,
    prefix: String,
    requests: AtomicU64,
}

impl fmt::Debug for VaultStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // vaultrs's client Debug prints the token: never show it.
        f.debug_struct("VaultStore")
            .field("addr", &self.addr)
            .field("mount", &self.mount)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl VaultStore {
    /// A client for `options`; no request is made yet.
    pub fn new(options: &VaultOptions) -> Result<Self> {
        Ok(Self {
            client: client(options)?,
            addr: options.addr.clone(),
            mount: options.mount.trim_matches('/').to_owned(),
            prefix: options.prefix.trim_matches('/').to_owned(),
            requests: AtomicU64::new(0),
        })
    }

    /// How many HTTP requests this store has sent to Vault so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    fn count(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// The KV path of a provider's secret, relative to the mount.
    pub fn path_of(&self, provider: &str) -> String {
        format!("{}/{provider}", self.prefix)
    }

    pub(crate) fn display_path(&self, provider: &str) -> String {
        format!("{}/{}", self.mount, self.path_of(provider))
    }

    /// Writes `secrets` as a new version. With `expected = Some(v)` the write succeeds only if the
    /// current version is `v` (`Some(0)`: only if none exists); else [`Error::Conflict`].
    /// Returns the new version.
    pub async fn put(
        &self,
        provider: &str,
        secrets: &SecretMap,
        expected: Option<u64>,
    ) -> Result<u64> {
        let path = self.path_of(provider);
        let data: HashMap<&str, &str> = secrets
            .iter()
            .map(|(k, v)| (k.as_str(), v.expose_secret()))
            .collect();
        self.count();
        let written = match expected {
            Some(v) => {
                let cas = u32::try_from(v).unwrap_or(u32::MAX);
                kv2::set_with_options(
                    &self.client,
                    &self.mount,
                    &path,
                    &data,
                    vaultrs::api::kv2::requests::SetSecretRequestOptions { cas },
                )
                .await
            }
            None => kv2::set(&self.client, &self.mount, &path, &data).await,
        }
        .map_err(|e| self.map_err(provider, e, expected))?;
        self.write_fingerprints(provider, secrets, written.version)
            .await?;
        tracing::debug!(
            "wrote version {} of {}",
            written.version,
            self.display_path(provider)
        );
        Ok(written.version)
    }

    async fn write_fingerprints(
        &self,
        provider: &str,
        secrets: &SecretMap,
        version: u64,
    ) -> Result<()> {
        let salt = new_salt();
        let mut custom: HashMap<String, String> = secrets
            .iter()
            .map(|(k, v)| (format!("{FP_PREFIX}{k}"), fingerprint(&salt, k, v)))
            .collect();
        custom.insert(SALT_KEY.to_owned(), salt);
        custom.insert(FP_VERSION_KEY.to_owned(), version.to_string());
        let mut req = vaultrs::api::kv2::requests::SetSecretMetadataRequest::builder();
        req.custom_metadata(custom);
        self.count();
        kv2::set_metadata(
            &self.client,
            &self.mount,
            &self.path_of(provider),
            Some(&mut req),
        )
        .await
        .map_err(|e| self.map_err(provider, e, None))
    }

    /// The latest version of a provider's secrets, with its version number; `None` if there is none.
    pub async fn get(&self, provider: &str) -> Result<Option<(SecretMap, u64)>> {
        let path = self.path_of(provider);
        self.count();
        match vaultrs::api::exec_with_result(
            &self.client,
            vaultrs::api::kv2::requests::ReadSecretRequest::builder()
                .mount(&self.mount)
                .path(&path)
                .build()
                .expect("mount and path are set"),
        )
        .await
        {
            Ok(resp) => Ok(Some((
                self.to_map(provider, &resp.data)?,
                resp.metadata.version,
            ))),
            Err(e) => match self.map_err(provider, e, None) {
                Error::NotFound { .. } => Ok(None),
                other => Err(other),
            },
        }
    }

    /// A given version of a provider's secrets.
    pub async fn get_version(&self, provider: &str, version: u64) -> Result<SecretMap> {
        self.count();
        let value: serde_json::Value =
            kv2::read_version(&self.client, &self.mount, &self.path_of(provider), version)
                .await
                .map_err(|e| self.map_err(provider, e, None))?;
        self.to_map(provider, &value)
    }

    /// Every version's metadata, oldest first; empty if the secret does not exist.
    pub async fn history(&self, provider: &str) -> Result<Vec<VersionInfo>> {
        self.count();
        let meta =
            match kv2::read_metadata(&self.client, &self.mount, &self.path_of(provider)).await {
                Ok(m) => m,
                Err(e) => {
                    return match self.map_err(provider, e, None) {
                        Error::NotFound { .. } => Ok(Vec::new()),
                        other => Err(other),
                    };
                }
            };
        let mut out: Vec<VersionInfo> = meta
            .versions
            .iter()
            .filter_map(|(v, m)| {
                Some(VersionInfo {
                    version: v.parse().ok()?,
                    created_time: m.created_time.clone(),
                    deletion_time: Some(m.deletion_time.clone()).filter(|t| !t.is_empty()),
                    destroyed: m.destroyed,
                })
            })
            .collect();
        out.sort_by_key(|v| v.version);
        Ok(out)
    }

    /// The current version and fingerprints, from metadata alone (one request); `None` if absent.
    pub async fn fingerprints(&self, provider: &str) -> Result<Option<Fingerprints>> {
        self.count();
        let meta =
            match kv2::read_metadata(&self.client, &self.mount, &self.path_of(provider)).await {
                Ok(m) => m,
                Err(e) => {
                    return match self.map_err(provider, e, None) {
                        Error::NotFound { .. } => Ok(None),
                        other => Err(other),
                    };
                }
            };
        let custom = meta.custom_metadata.unwrap_or_default();
        let current = meta.current_version;
        let fresh = custom
            .get(FP_VERSION_KEY)
            .and_then(|v| v.parse::<u64>().ok())
            == Some(current);
        let keys = fresh.then(|| {
            custom
                .iter()
                .filter_map(|(k, v)| k.strip_prefix(FP_PREFIX).map(|k| (k.to_owned(), v.clone())))
                .collect()
        });
        Ok(Some(Fingerprints {
            version: current,
            keys,
            salt: custom.get(SALT_KEY).cloned(),
        }))
    }

    /// Writes the data of `version` again as the newest version (check-and-set on the current one).
    pub async fn rollback(&self, provider: &str, version: u64) -> Result<u64> {
        let old = self.get_version(provider, version).await?;
        let current = self.fingerprints(provider).await?.map_or(0, |f| f.version);
        self.put(provider, &old, Some(current)).await
    }

    /// Deletes every version and the metadata; returns whether anything was there.
    pub async fn delete(&self, provider: &str) -> Result<bool> {
        if self.fingerprints(provider).await?.is_none() {
            return Ok(false);
        }
        self.count();
        kv2::delete_metadata(&self.client, &self.mount, &self.path_of(provider))
            .await
            .map_err(|e| self.map_err(provider, e, None))?;
        Ok(true)
    }

    /// The providers that have secrets under the prefix.
    pub async fn list(&self) -> Result<Vec<String>> {
        self.count();
        match kv2::list(&self.client, &self.mount, &self.prefix).await {
            Ok(mut keys) => {
                keys.retain(|k| !k.ends_with('/'));
                keys.sort();
                Ok(keys)
            }
            Err(e) => match self.map_err("", e, None) {
                Error::NotFound { .. } => Ok(Vec::new()),
                other => Err(other),
            },
        }
    }

    fn to_map(&self, provider: &str, value: &serde_json::Value) -> Result<SecretMap> {
        let obj = value.as_object().ok_or_else(|| Error::Malformed {
            path: self.display_path(provider),
        })?;
        obj.iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => Ok((k.clone(), SecretString::from(s.clone()))),
                // Numbers and booleans written by other tools are kept as their text.
                serde_json::Value::Number(n) => Ok((k.clone(), SecretString::from(n.to_string()))),
                serde_json::Value::Bool(b) => Ok((k.clone(), SecretString::from(b.to_string()))),
                _ => Err(Error::Malformed {
                    path: self.display_path(provider),
                }),
            })
            .collect()
    }

    fn map_err(&self, provider: &str, e: ClientError, expected: Option<u64>) -> Error {
        classify(&self.addr, self.display_path(provider), e, expected)
    }
}

/// A vaultrs client with `options`' address, token, namespace and timeout; no request is made.
pub(crate) fn client(options: &VaultOptions) -> Result<VaultClient> {
    let mut builder = VaultClientSettingsBuilder::default();
    builder
        .address(options.addr.as_str())
        .token(options.token.expose_secret())
        .timeout(Some(options.timeout));
    if let Some(ns) = &options.namespace {
        builder.namespace(Some(ns.clone()));
    }
    let bad = || Error::BadAddress {
        addr: options.addr.clone(),
    };
    let settings = builder.build().map_err(|_| bad())?;
    VaultClient::new(settings).map_err(|_| bad())
}

/// What a vaultrs failure at `path` of the Vault at `addr` means to rh (`expected`: the check-and-set version
/// a write asked for).
pub(crate) fn classify(addr: &str, path: String, e: ClientError, expected: Option<u64>) -> Error {
    match e {
        ClientError::APIError { code: 404, .. } => Error::NotFound { path },
        ClientError::APIError { code: 403, .. } => Error::PermissionDenied {
            addr: addr.to_owned(),
            path,
        },
        ClientError::APIError { code: 400, errors }
            if errors.iter().any(|m| m.contains("check-and-set")) =>
        {
            Error::Conflict {
                path,
                expected: expected.unwrap_or_default(),
            }
        }
        ClientError::APIError { code, errors } => Error::Api {
            code,
            path,
            message: errors.join("; "),
        },
        ClientError::RestClientError { source } => Error::Unreachable {
            addr: addr.to_owned(),
            reason: root_cause(&source),
        },
        other => Error::Api {
            code: 0,
            path,
            message: one_line(&other),
        },
    }
}

fn one_line(e: &dyn std::error::Error) -> String {
    rh_config::display_chain(e).replace('\n', " ")
}

/// The innermost cause of `e` (`Connection refused (os error 111)`), on one line.
fn root_cause(e: &dyn std::error::Error) -> String {
    let mut last = e;
    while let Some(inner) = last.source() {
        last = inner;
    }
    last.to_string().replace('\n', " ")
}

/// A fresh 128-bit random salt, hex-encoded.
fn new_salt() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    hex::encode(bytes)
}

/// The salted fingerprint of one key's value: 16 hex digits of SHA-256(salt ‖ key ‖ 0 ‖ value).
pub fn fingerprint(salt: &str, key: &str, value: &SecretString) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update(key.as_bytes());
    h.update([0]);
    h.update(value.expose_secret().as_bytes());
    hex::encode(&h.finalize()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_salt_key_and_value() {
        let v = SecretString::from("value");
        let a = fingerprint("s1", "k", &v);
        assert_eq!(a.len(), 16);
        assert_eq!(a, fingerprint("s1", "k", &v));
        assert_ne!(a, fingerprint("s2", "k", &v));
        assert_ne!(a, fingerprint("s1", "k2", &v));
        assert_ne!(a, fingerprint("s1", "k", &SecretString::from("other")));
    }

    #[test]
    fn usernames_follow_the_server_grammar() {
        for ok in ["alice", "a", "bob-2", "x.y_z", "9lives", &"a".repeat(64)] {
            assert!(validate_username(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../alice",
            "a/b",
            ".hidden",
            "-x",
            "al ice",
            "é",
            &"a".repeat(65),
        ] {
            let e = validate_username(bad).unwrap_err().to_string();
            assert!(e.starts_with("invalid username"), "{e}");
        }
    }

    #[test]
    fn debug_hides_the_token() {
        let store = VaultStore::new(&VaultOptions::new(
            "http://127.0.0.1:1",
            SecretString::from("SENTINEL-TOKEN"),
            Some("alice"),
        ))
        .unwrap();
        let dbg = format!("{store:?}");
        assert!(!dbg.contains("SENTINEL"), "{dbg}");
        assert_eq!(store.path_of("aws"), "rh/alice/aws");
    }
}
