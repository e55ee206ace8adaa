-- The decide step's save checked, per decision, what it has just made sure of itself: it
-- locks every sub-request of the batch (FOR UPDATE) in the same transaction before it
-- inserts their decisions, a person's decision does the same (lockState), and no code
-- deletes or re-keys sub-requests. The foreign key's trigger added an index look-up and a
-- FOR KEY SHARE lock of the just-locked row per decision. The cost: rows written by hand
-- are not checked.
ALTER TABLE decisions DROP CONSTRAINT decisions_subrequest_guid_fkey;
-- Nothing queries into a decision's body (gisgw reads it whole and decodes it in Go), so
-- json, which only checks the syntax and keeps the text, does what jsonb did for less: no
-- parse into the binary form on insert, no conversion back to text on read. The change
-- rewrites the table once.
ALTER TABLE decisions ALTER COLUMN body TYPE json USING body::json;
