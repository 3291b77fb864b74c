-- rh-server schema, version 6: a dashboard session is bound to the token it was opened with.
-- Portable SQL, as in version 1. A session works only while users.token_hash still equals its token_hash (the
-- SHA-256 the users table already keeps, never the token), so rotating or revoking the token ends it on the
-- next request; its expires_at is at most the token's expiry. Sessions from before this version carry no
-- binding: they end here, and their users sign in again.

DELETE FROM sessions;
ALTER TABLE sessions ADD COLUMN token_hash TEXT NOT NULL DEFAULT '';
