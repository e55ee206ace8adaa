-- The decide step's save checked, per decision, what it has just made sure of itself: in
-- the same transaction it reads every sub-request of the batch and refuses the batch when
-- one is missing, a person's decision does the same, and no code deletes or re-keys
-- sub-requests. The cost: rows written by hand are not checked. SQLite cannot drop a
-- constraint, so the table is rebuilt without it; its ids are kept (nothing deletes a
-- decision, so AUTOINCREMENT continues from the highest).
CREATE TABLE decisions_new (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subrequest_guid TEXT NOT NULL,
    decided_at      TEXT NOT NULL,
    rule_version    TEXT NOT NULL DEFAULT '',
    has_debt        INTEGER NOT NULL,
    review          INTEGER NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '', -- set when a person decided
    comment         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL             -- JSON: premises, debt info, evidence, reasons
);
INSERT INTO decisions_new (id, subrequest_guid, decided_at, rule_version, has_debt, review, decided_by, comment, body)
SELECT id, subrequest_guid, decided_at, rule_version, has_debt, review, decided_by, comment, body FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_subrequest ON decisions (subrequest_guid, id);
