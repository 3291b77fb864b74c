-- rh-server schema, version 2: dashboard sign-in sessions.
-- Portable SQL, as in version 1. Only the SHA-256 of a session id is stored; the CSRF token is derived from the
-- id itself, so neither can be read back from the database.

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

CREATE INDEX sessions_username ON sessions (username);
