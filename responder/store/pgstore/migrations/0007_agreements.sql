-- Repayment agreements and court-granted instalments on the debt of a court act
-- (LEGAL-RULES §7, §10.6): the answer stays "debt" and its description names them.
CREATE TABLE agreements (
    org_guid         text NOT NULL,
    act_id           text NOT NULL,
    agreement_number text NOT NULL,
    agreement_date   date,
    kind             text NOT NULL CHECK (kind IN ('agreement', 'instalment')),
    schedule_end     date,
    amount           bigint NOT NULL DEFAULT 0,
    paid             bigint NOT NULL DEFAULT 0,
    status           text NOT NULL CHECK (status IN ('active', 'broken', 'fulfilled')),
    updated_at       timestamptz NOT NULL,
    PRIMARY KEY (org_guid, act_id, agreement_number),
    FOREIGN KEY (org_guid, act_id) REFERENCES court_acts (org_guid, act_id) ON DELETE CASCADE
);
