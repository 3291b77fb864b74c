-- rh-server schema, version 4: delivery state of outbox notifications (sent by SMTP when --smtp-url is set).
-- Portable SQL, as in version 1. `next_attempt_at` is both the retry time after a failure and the lease a
-- sender takes before it sends, so several server processes on one database never send a row twice at once.

ALTER TABLE outbox ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;

CREATE INDEX outbox_pending ON outbox (sent_at, next_attempt_at);
