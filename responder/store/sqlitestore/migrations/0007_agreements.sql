-- Repayment agreements and court-granted instalments on the debt of a court act
-- (LEGAL-RULES §7, §10.6): the answer stays "debt" and its description names them.
CREATE TABLE agreements (
    org_guid         TEXT NOT NULL,
    act_id           TEXT NOT NULL,
    agreement_number TEXT NOT NULL,
    agreement_date   TEXT,
    kind             TEXT NOT NULL CHECK (kind IN ('agreement', 'instalment')),
    schedule_end     TEXT,
    amount           INTEGER NOT NULL DEFAULT 0,
    paid             INTEGER NOT NULL DEFAULT 0,
    status           TEXT NOT NULL CHECK (status IN ('active', 'broken', 'fulfilled')),
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (org_guid, act_id, agreement_number),
    FOREIGN KEY (org_guid, act_id) REFERENCES court_acts (org_guid, act_id) ON DELETE CASCADE
) WITHOUT ROWID;
