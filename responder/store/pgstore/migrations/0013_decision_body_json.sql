-- Nothing queries into a decision's body (gisgw reads it whole and decodes it in Go), so
-- json, which only checks the syntax and keeps the text, does what jsonb did for less: no
-- parse into the binary form on each of the decide step's inserts (3-4 % of the
-- server's CPU per decision), no conversion back to text on read. The change rewrites the
-- table once. (SQLite keeps the body as TEXT already.)
ALTER TABLE decisions ALTER COLUMN body TYPE json USING body::json;
