-- The daemon's pipeline: leases on sub-requests, the outbox (messages and their actions),
-- the last GIS error of a sub-request, and pull watermarks. Timestamps as in 0001.

-- A lease is free when lease_until is NULL or in the past; lease_owner names the owner.
ALTER TABLE sub_requests ADD COLUMN lease_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE sub_requests ADD COLUMN lease_until TEXT;
ALTER TABLE sub_requests ADD COLUMN error_code TEXT NOT NULL DEFAULT ''; -- last GIS error, for reports
ALTER TABLE sub_requests ADD COLUMN error_text TEXT NOT NULL DEFAULT '';

-- One importDSRResponsesRequest. The row exists before the HTTP request is made.
CREATE TABLE messages (
    id               TEXT PRIMARY KEY, -- our id, also the first MessageGUID it is sent with
    org_guid         TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'acked', 'done')),
    gis_message_guid TEXT NOT NULL DEFAULT '', -- from GIS's Ack
    attempts         INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    last_attempt_at  TEXT,
    lease_owner      TEXT NOT NULL DEFAULT '',
    lease_until      TEXT
);

-- Recovery claims unfinished messages only; done ones are history.
CREATE INDEX messages_unfinished ON messages (created_at, id) WHERE status <> 'done';

CREATE TABLE message_actions (
    message_id      TEXT NOT NULL REFERENCES messages (id),
    position        INTEGER NOT NULL,
    transport_guid  TEXT NOT NULL UNIQUE,
    subrequest_guid TEXT NOT NULL REFERENCES sub_requests (guid),
    kind            TEXT NOT NULL CHECK (kind IN ('Send', 'Revoke')),
    decision        TEXT NOT NULL, -- JSON: what was sent
    outcome         TEXT NOT NULL DEFAULT '' CHECK (outcome IN ('', 'answered', 'failed', 'auto_answered', 'ready')),
    error_code      TEXT NOT NULL DEFAULT '',
    error_text      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (message_id, position)
) WITHOUT ROWID;

CREATE INDEX message_actions_subrequest ON message_actions (subrequest_guid);

-- The end (a calendar date) of the last successful pull of each organization.
CREATE TABLE watermarks (
    org_guid       TEXT PRIMARY KEY,
    pulled_through TEXT NOT NULL,
    updated_at     TEXT NOT NULL
) WITHOUT ROWID;
