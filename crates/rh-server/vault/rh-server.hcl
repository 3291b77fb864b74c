# rh-server's own Vault token (policy `rh-server`), installed by `rh-server vault setup`.
#
# It reads and writes no secret itself: every Vault call made for a user runs with that user's child token
# (policy `rh-user`, below in rh-user.hcl), which this policy lets the server mint through the token role
# `rh-user`. It cannot write policies, roles or auth methods, nor read any path outside rh's.
# lookup-self, renew-self and revoke-self come with Vault's `default` policy.
# @MOUNT@ is the KV v2 mount (`secret` unless `--vault-mount` says otherwise).

path "auth/token/create/rh-user" {
  capabilities = ["create", "update"]
}

# `serve` checks at start that `vault setup` has run.
path "auth/token/roles/rh-user" {
  capabilities = ["read"]
}
