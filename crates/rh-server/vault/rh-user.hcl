# One user's child token (policy `rh-user`), minted by rh-server through the token role `rh-user` with the
# user's rh username as its entity alias, for at most 5 minutes.
#
# The templated paths resolve to `rh/<that username>/…` only, so a bug that builds another user's path gets
# "permission denied" from Vault instead of their data. @TOKEN_ACCESSOR@ is the accessor of the token auth
# method (`token/` in `sys/auth`); @MOUNT@ the KV v2 mount.

path "@MOUNT@/data/rh/{{identity.entity.aliases.@TOKEN_ACCESSOR@.name}}/*" {
  capabilities = ["create", "read", "update", "delete", "patch"]
}

path "@MOUNT@/metadata/rh/{{identity.entity.aliases.@TOKEN_ACCESSOR@.name}}/*" {
  capabilities = ["read", "list", "update", "delete", "patch"]
}

path "@MOUNT@/delete/rh/{{identity.entity.aliases.@TOKEN_ACCESSOR@.name}}/*" {
  capabilities = ["update"]
}

path "@MOUNT@/undelete/rh/{{identity.entity.aliases.@TOKEN_ACCESSOR@.name}}/*" {
  capabilities = ["update"]
}

path "@MOUNT@/destroy/rh/{{identity.entity.aliases.@TOKEN_ACCESSOR@.name}}/*" {
  capabilities = ["update"]
}
