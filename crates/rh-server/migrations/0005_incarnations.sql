-- rh-server schema, version 5: history belongs to one incarnation of a resource; who may read which versions;
-- who queued which notification. Portable SQL, as in version 1.
--
-- `resource_id` names one incarnation: a resource deleted and created again at the same address is a new
-- incarnation with a new id, and history is read by id, so the new one never shows its predecessor's versions.
-- New ids are random hex; the rows migrated here get `<uri>#<version of their create>`: every current resource
-- keeps the history of its own incarnation, and older incarnations' rows keep their own ids, which no current
-- resource carries (only the owner of a deleted address still sees its last incarnation).
--
-- `open_since` is the version from which everyone may read the resource (it became unlisted or public then;
-- NULL while private), `grants.since_version` the version current when the grant was made. A reader who is not
-- the owner sees only versions from there on. Existing public resources and grants start at their current
-- version: nobody is shown more than before, some readers less.

ALTER TABLE resources ADD COLUMN resource_id TEXT;
ALTER TABLE resources ADD COLUMN open_since BIGINT;
ALTER TABLE resource_history ADD COLUMN resource_id TEXT;
ALTER TABLE grants ADD COLUMN since_version BIGINT;
ALTER TABLE outbox ADD COLUMN queued_by TEXT;

UPDATE resource_history SET resource_id = uri || '#' || CAST((
    SELECT MAX(h.version) FROM resource_history h
    WHERE h.uri = resource_history.uri AND h.action = 'create' AND h.version <= resource_history.version
) AS TEXT);

UPDATE resources SET resource_id = COALESCE((
    SELECT h.resource_id FROM resource_history h WHERE h.uri = resources.uri AND h.version = resources.version
), uri || '#' || CAST(version AS TEXT));

UPDATE resources SET open_since = version WHERE visibility <> 'private';

UPDATE grants SET since_version = (SELECT r.version FROM resources r WHERE r.uri = grants.uri);

CREATE INDEX resource_history_incarnation ON resource_history (resource_id, version);
CREATE INDEX outbox_queued_by ON outbox (queued_by, created_at);
CREATE INDEX invitations_invited_by ON invitations (invited_by, created_at);
