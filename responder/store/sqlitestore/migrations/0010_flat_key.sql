-- The flat number as the matcher compares it (match.FlatKey), so that a request for a house
-- and a flat reads that flat's premises, not the whole house. Go computes it: after this
-- file, the same transaction fills it for the premises already stored (backfillFlatKeys).
ALTER TABLE premises ADD COLUMN flat_key TEXT NOT NULL DEFAULT '';

-- The house-only indexes stay: SQLite's planner serves a whole house's OR of two GUIDs
-- (PremisesByHouses) by them, not by these.
CREATE INDEX premises_house_flat ON premises (house_guid, flat_key);
CREATE INDEX premises_fias_house_flat ON premises (fias_house_guid, flat_key);
