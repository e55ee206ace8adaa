-- A ready answer the pipeline put aside (DeferReady): the reason officers read, and the time
-- before which ClaimReady skips it. Both are cleared once the answer goes out.
ALTER TABLE sub_requests
    ADD COLUMN blocked_reason text NOT NULL DEFAULT '',
    ADD COLUMN blocked_until  timestamptz;

-- One row that CheckWritable rewrites, so that /readyz proves the database takes writes.
CREATE TABLE heartbeat (
    id integer PRIMARY KEY CHECK (id = 1),
    at timestamptz NOT NULL
);
INSERT INTO heartbeat (id, at) VALUES (1, now());
