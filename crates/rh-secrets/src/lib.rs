//! `rh-secrets`: provider credential files and env vars, and their sync with Vault (filled by issues 3 and 6).
