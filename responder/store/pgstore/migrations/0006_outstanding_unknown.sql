-- A court act whose outstanding amount was not given (blank, not 0) is neither paid nor
-- unpaid: the decision sends it to a person (LEGAL-RULES §10.3). outstanding keeps 0 for
-- such an act; this flag tells that 0 from a known one.
ALTER TABLE court_acts ADD COLUMN outstanding_unknown boolean NOT NULL DEFAULT false;
