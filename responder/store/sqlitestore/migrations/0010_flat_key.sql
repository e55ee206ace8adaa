-- The flat number as the matcher compares it (match.FlatKey), so that a request for a house
-- and a flat reads that flat's premises, not the whole house. Go computes it: after this
-- file, the same transaction fills it for the premises already stored (backfillFlatKeys).
ALTER TABLE premises ADD COLUMN flat_key TEXT NOT NULL DEFAULT '';

-- A house alone is the prefix of these: the house-only indexes would be redundant.
DROP INDEX premises_house;
DROP INDEX premises_fias_house;
CREATE INDEX premises_house_flat ON premises (house_guid, flat_key);
CREATE INDEX premises_fias_house_flat ON premises (fias_house_guid, flat_key);
