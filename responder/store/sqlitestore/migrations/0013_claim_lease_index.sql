-- A claim walks the new sub-requests in deadline order and skips those leased to the other
-- decide batches in flight (up to 300 with DecideConcurrency 4): with lease_until in the
-- index it skips them by the index entry instead of reading each row, and the read pool's
-- look for a free one (anyFree) reads the index alone. A lease then rewrites the entry
-- (the state changes of a decision rewrote it already).
DROP INDEX sub_requests_state;
CREATE INDEX sub_requests_state ON sub_requests (state, response_date IS NULL, response_date, guid, lease_until);
