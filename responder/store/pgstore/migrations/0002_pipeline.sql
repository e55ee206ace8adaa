-- The daemon's pipeline: leases on sub-requests, the outbox (messages and their actions),
-- the last GIS error of a sub-request, and pull watermarks.

-- A lease is free when lease_until is NULL or in the past; lease_owner names the replica.
ALTER TABLE sub_requests
    ADD COLUMN lease_owner text NOT NULL DEFAULT '',
    ADD COLUMN lease_until timestamptz,
    ADD COLUMN error_code  text NOT NULL DEFAULT '', -- last GIS error, for reports
    ADD COLUMN error_text  text NOT NULL DEFAULT '';

-- One importDSRResponsesRequest. The row exists before the HTTP request is made.
CREATE TABLE messages (
    id               text PRIMARY KEY, -- our id, also the first MessageGUID it is sent with
    org_guid         text NOT NULL,
    created_at       timestamptz NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'acked', 'done')),
    gis_message_guid text NOT NULL DEFAULT '', -- from GIS's Ack
    attempts         integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    last_attempt_at  timestamptz,
    lease_owner      text NOT NULL DEFAULT '',
    lease_until      timestamptz
);

-- Recovery claims unfinished messages only; done ones are history.
CREATE INDEX messages_unfinished ON messages (created_at, id) WHERE status <> 'done';

CREATE TABLE message_actions (
    message_id      text NOT NULL REFERENCES messages (id),
    position        integer NOT NULL,
    transport_guid  text NOT NULL UNIQUE,
    subrequest_guid text NOT NULL REFERENCES sub_requests (guid),
    kind            text NOT NULL CHECK (kind IN ('Send', 'Revoke')),
    decision        jsonb NOT NULL, -- what was sent
    outcome         text NOT NULL DEFAULT '' CHECK (outcome IN ('', 'answered', 'failed', 'auto_answered', 'ready')),
    error_code      text NOT NULL DEFAULT '',
    error_text      text NOT NULL DEFAULT '',
    PRIMARY KEY (message_id, position)
);

CREATE INDEX message_actions_subrequest ON message_actions (subrequest_guid);

-- The end (a calendar date) of the last successful pull of each organization.
CREATE TABLE watermarks (
    org_guid       text PRIMARY KEY,
    pulled_through date NOT NULL,
    updated_at     timestamptz NOT NULL
);
