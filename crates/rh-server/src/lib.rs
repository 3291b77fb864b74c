//! `rh-server`: the self-hostable RNS, accounts and secrets-proxy HTTP service (filled by issue 5).
