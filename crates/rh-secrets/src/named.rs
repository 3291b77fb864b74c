//! Named secrets: a secret that is a resource of its own (`resource_type: "secret"`), with a name in the
//! RNS grammar, an optional provider, and values that never leave their store.
//!
//! This module is the contract between the front ends and the two stores of named secrets: the local one
//! (`~/.rh/secrets/<name>.json`, mode 0600) and rh-server (`/user/secret/{uri}`, values in Vault, shared by
//! the resource grants). Both implement [`NamedSecretStore`], so the CLI and the Python package resolve a
//! name once and call one operation whichever store holds it.

use crate::ProviderSecrets;

/// One named secret: its name, the provider whose class it is (`None`: a plain `Secret`), and its values.
///
/// `Debug` shows the keys of `values` only (see [`ProviderSecrets`]).
#[derive(Debug, Clone)]
pub struct NamedSecret {
    /// The name as its store knows it: `/alice/openai` on rh-server, `openai` (no `~/`) locally.
    pub name: String,
    /// The provider (`openai`, `aws`…), or `None` for a plain secret.
    pub provider: Option<String>,
    /// The values, redacted at the leaf.
    pub values: ProviderSecrets,
}

/// Who may do what with a named secret, as its store reports it to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// The caller owns it (a local secret is always the caller's).
    Owner,
    /// A `read` grantee: may read the values, never change them.
    Read,
    /// A `write` grantee: may write new versions.
    Write,
}

impl Access {
    /// `owner`, `read` or `write`, as the CLI prints it and the wire carries it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Read => "read",
            Self::Write => "write",
        }
    }
}

/// A named secret without its values, for listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedSecretInfo {
    /// The name as its store knows it.
    pub name: String,
    /// The provider, or `None` for a plain secret.
    pub provider: Option<String>,
    /// The owner's username (locally, the local user or `local`).
    pub owner: String,
    /// What the caller may do with it.
    pub access: Access,
    /// The current version, when the store keeps versions.
    pub version: Option<u64>,
}

/// Why an operation on a named secret failed. Messages name the secret, never a value.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No secret of that name (or none the caller may see).
    #[error("no secret named `{name}`")]
    NotFound {
        /// The name as given.
        name: String,
    },
    /// `create` of a name that is taken, without overwrite.
    #[error("a secret named `{name}` already exists; pass --overwrite to replace it")]
    Exists {
        /// The name that is taken.
        name: String,
    },
    /// The caller may not do this (a `read` grantee writing, a grantee deleting…).
    #[error("not allowed to {action} the secret `{name}`")]
    Forbidden {
        /// The secret's name.
        name: String,
        /// The refused operation: `read`, `write` or `delete`.
        action: &'static str,
    },
    /// A local file could not be read or written, or the values are invalid.
    #[error(transparent)]
    Local(#[from] crate::Error),
    /// Vault or rh-server failed (unreachable, refused the token, a version conflict…).
    #[error(transparent)]
    Remote(#[from] crate::vault::Error),
}

/// Result with [`enum@Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A store of named secrets.
///
/// Semantics every implementation keeps:
/// - `put` with `expected = Some(0)` creates only ([`Error::Exists`] if the name is taken); `Some(v)` writes
///   only if the current version is `v`; `None` writes unconditionally. It returns the new version (a local
///   store without versions returns 1).
/// - `get` of an unknown name is `Ok(None)`; `delete` of one is `Ok(false)`.
/// - `list` never returns values.
#[async_trait::async_trait]
pub trait NamedSecretStore: Send + Sync + std::fmt::Debug {
    /// Where a secret lives, for messages (`~/.rh/secrets/openai.json`, `rh-server /alice/openai`).
    fn location(&self, name: &str) -> String;

    /// Writes `secret` (see the trait docs for `expected`); returns the new version.
    async fn put(&self, secret: &NamedSecret, expected: Option<u64>) -> Result<u64>;

    /// The secret with its values and current version; `None` if there is no such secret.
    async fn get(&self, name: &str) -> Result<Option<(NamedSecret, u64)>>;

    /// The secrets under `folder` (all the caller's and those shared with them when `None`), sorted by name.
    async fn list(&self, folder: Option<&str>) -> Result<Vec<NamedSecretInfo>>;

    /// Deletes the secret and its values; returns whether it existed.
    async fn delete(&self, name: &str) -> Result<bool>;
}
