//! Integration tests of rh-secrets against real files and a real OpenBao dev server.

#[cfg(feature = "vault")]
mod vault;
