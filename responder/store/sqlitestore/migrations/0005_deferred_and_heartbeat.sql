-- A ready answer the pipeline put aside (DeferReady): the reason officers read, and the time
-- before which ClaimReady skips it. Both are cleared once the answer goes out. Timestamps as
-- in 0001.
ALTER TABLE sub_requests ADD COLUMN blocked_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE sub_requests ADD COLUMN blocked_until TEXT;

-- One row that CheckWritable rewrites, so that /readyz proves the database takes writes.
-- CheckWritable also stores and deletes a page of data in heartbeat_probe: a database that
-- cannot grow by one page (the disk or max_page_count is full) refuses it.
CREATE TABLE heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at TEXT NOT NULL
);
INSERT INTO heartbeat (id, at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
CREATE TABLE heartbeat_probe (pad BLOB NOT NULL);
