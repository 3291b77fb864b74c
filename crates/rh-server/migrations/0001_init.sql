-- rh-server schema, version 1.
-- Portable SQL: the same file runs on SQLite and PostgreSQL (TEXT, BIGINT, no serial ids, no JSON types).
-- Timestamps are RFC 3339 UTC strings with microseconds, so they sort as text.

CREATE TABLE users (
    username   TEXT PRIMARY KEY,
    email      TEXT UNIQUE,
    token_hash TEXT NOT NULL UNIQUE,
    config     TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE resources (
    uri           TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    owner         TEXT NOT NULL REFERENCES users (username),
    resource_type TEXT,
    visibility    TEXT NOT NULL,
    config        TEXT NOT NULL,
    version       BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

CREATE INDEX resources_owner ON resources (owner);

-- Every change of a resource, kept after the resource is deleted.
CREATE TABLE resource_history (
    uri        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    action     TEXT NOT NULL,
    author     TEXT NOT NULL,
    config     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (uri, version)
);

CREATE TABLE grants (
    uri          TEXT NOT NULL REFERENCES resources (uri) ON DELETE CASCADE,
    username     TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    access_level TEXT NOT NULL,
    granted_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (uri, username)
);

CREATE INDEX grants_username ON grants (username);

-- Shares to an email address with no account yet; they become grants when that account is created.
CREATE TABLE invitations (
    uri          TEXT NOT NULL REFERENCES resources (uri) ON DELETE CASCADE,
    email        TEXT NOT NULL,
    access_level TEXT NOT NULL,
    invited_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (uri, email)
);

CREATE INDEX invitations_email ON invitations (email);

-- Notifications to send (by SMTP, when configured); rows stay as a record.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    sent_at    TEXT
);
