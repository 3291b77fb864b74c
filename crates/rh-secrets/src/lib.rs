//! `rh-secrets`: provider credential files and env vars, and their sync with Vault.
//!
//! [`vault::VaultStore`] keeps each provider's secrets in a Vault / OpenBao KV v2 store with
//! check-and-set writes and value-free fingerprints in custom metadata.

#[cfg(feature = "vault")]
pub mod vault;

pub mod redact;
