-- rh-server schema, version 7: a secret's owner may let its `write` grantees share it further (owner-only by
-- default). Portable SQL, as in version 1. A row means "allowed"; it goes with the resource (a re-created secret
-- starts owner-only again).

CREATE TABLE reshare (
    uri        TEXT PRIMARY KEY REFERENCES resources (uri) ON DELETE CASCADE,
    allowed_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
