//! `rh-secrets`: provider credentials on this machine, in Vault / OpenBao, and through rh-server.
//!
//! The principal type is [`Secrets`]: it saves, loads, detects and deletes the secrets of the builtin providers
//! ([`builtin_providers`]), each a [`Provider`] that knows its own credential files and env vars as well as the
//! provider's tools do. Values travel as [`ProviderSecrets`], whose leaves are `secrecy::SecretString`. Every
//! check runs before the first write; files are written atomically with mode 0600 and only the target keys
//! change; detection is offline. Custom providers (any other name) are values only, never written here.
//!
//! Modules:
//! - providers (private; re-exported): [`Aws`], [`Azure`], [`Gcp`], [`HuggingFace`], [`Lambda`], [`Sky`],
//!   [`Ssh`], [`GitHub`], [`Kubernetes`], [`Docker`], and [`ApiKey`] (one table row per `<PROVIDER>_API_KEY`
//!   provider); the registry behind [`builtin_providers`] is the one list front ends iterate.
//! - [`store`] (feature `vault`): the object-safe async [`store::SecretStore`]; [`vault`]: `VaultStore` over KV
//!   v2 (check-and-set writes, value-free fingerprints in custom metadata); [`server`] (feature `server`): the
//!   same contract through rh-server's `/user/secret` proxy; [`testing`] (feature `testing`): its conformance suite.
//! - [`sync`]: local files against a store, key by key; push and pull plans applied separately.
//! - [`named`]: the contract of named secrets' stores; [`named_local`]: `~/.rh/secrets/<name>.json`;
//!   [`server_named`] (feature `server`): named secrets on rh-server.
//! - [`audit`]: `~/.rh/audit.log`, one JSON line per credential file written or deleted (never a value).
//! - [`redact`]: [`redact::Redactor`], masking secret values in output streams.
//! - [`vault_admin`]: the policies and tokens rh-server's least-privilege Vault access needs.
//!
//! Local file I/O is synchronous; the stores are async and never start a runtime.

pub mod audit;
mod error;
mod fsio;
mod ini;
mod provider;
mod providers;
mod secret;
mod secrets;

pub use error::{Error, Result};
pub use mask::mask;
pub use provider::{Applied, Ctx, Detection, Plan, Provider, Source, WriteOptions};
pub use providers::api_key::ApiKey;
pub use providers::aws::Aws;
pub use providers::azure::Azure;
pub use providers::docker::Docker;
pub use providers::gcp::Gcp;
pub use providers::github::GitHub;
pub use providers::huggingface::HuggingFace;
pub use providers::kubernetes::{Kubernetes, read_context as read_kube_context};
pub use providers::lambda::Lambda;
pub use providers::sky::Sky;
pub use providers::ssh::Ssh;
pub use providers::{builtin_provider, builtin_providers};
pub use secret::{ProviderSecrets, SecretsMap, parse_provider_json, parse_secrets_json};
pub use secrets::{
    CustomProviders, DeletePlan, DeleteReport, ProviderStatus, SaveOptions, SaveReport, Secrets,
};

// Compiled for unit tests too, which replay `fuzz/regressions/`.
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod mask;
#[cfg(feature = "vault")]
pub mod named;
pub mod named_local;
pub mod redact;
#[cfg(feature = "server")]
pub mod server;
#[cfg(feature = "server")]
pub mod server_named;
#[cfg(feature = "vault")]
pub mod store;
#[cfg(feature = "vault")]
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "vault")]
pub mod vault;
#[cfg(feature = "vault")]
pub mod vault_admin;
