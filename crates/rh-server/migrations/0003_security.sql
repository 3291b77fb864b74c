-- rh-server schema, version 3: token expiry and revocation, and the audit log.
-- Portable SQL, as in version 1. A revoked token's hash is replaced by an unusable value, so the old token
-- matches nothing; token_revoked_at only records when that happened.

ALTER TABLE users ADD COLUMN token_expires_at TEXT;
ALTER TABLE users ADD COLUMN token_revoked_at TEXT;

-- One row per change: who, what, which resource, when, from where. Never values, configs or tokens.
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    created_at TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    detail     TEXT,
    client_ip  TEXT
);

CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE INDEX audit_log_actor ON audit_log (actor, created_at);
