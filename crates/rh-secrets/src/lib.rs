//! `rh-secrets`: provider credentials on this machine.
//!
//! The principal type is [`Secrets`]: it saves, loads, detects and deletes the secrets of the builtin
//! providers ([`builtin_providers`]: Runhouse's eight in its order, aws, azure, gcp, huggingface, lambda,
//! sky, ssh, github; the API-key providers anthropic, cohere, langchain, openai, pinecone, wandb, one
//! table row each; kubernetes and docker), each a [`Provider`] that knows its own credential files as
//! well as the provider's tools do. Values travel as [`ProviderSecrets`], whose leaves are `secrecy::SecretString`.
//!
//! Writes keep what the user had: INI files are edited in place (only the target keys change), JSON and
//! YAML files are merged, SSH keys are never replaced without `force`. Every check runs before the
//! first write; files are written atomically with mode 0600. Detection is offline.
//!
//! Custom providers (any other name) are values only: they live in Vault and are never written here.
//! [`vault::VaultStore`] keeps each provider's secrets in a Vault / OpenBao KV v2 store with
//! check-and-set writes and value-free fingerprints in custom metadata, behind the object-safe
//! [`store::SecretStore`] trait (conformance suite: `testing`, feature `testing`); [`sync`] compares local
//! files with a store key by key and plans push / pull; [`redact::Redactor`] masks
//! secret values in output streams. Local file I/O is synchronous; the Vault client is async and never
//! starts a runtime.

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
