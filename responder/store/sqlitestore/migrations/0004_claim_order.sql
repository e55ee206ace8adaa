-- Claims and lists order sub-requests by deadline with missing deadlines last
-- (response_date IS NULL, response_date, guid). An index on the bare columns cannot give
-- that order, so every claim sorted all new sub-requests; these give it directly, and a
-- claim reads just the rows it takes.
DROP INDEX sub_requests_state;
DROP INDEX sub_requests_org_state;
CREATE INDEX sub_requests_state ON sub_requests (state, response_date IS NULL, response_date, guid);
CREATE INDEX sub_requests_org_state ON sub_requests (org_guid, state, response_date IS NULL, response_date, guid);
