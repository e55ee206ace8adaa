-- The outstanding amount of each court act as each import gave it, with the date it is
-- valid for (balance_on, or the import date when the file had none), so that a past month
-- can be reported as it was (the monthly inventory). One row per act and date; a later
-- import with the same date corrects that row.
CREATE TABLE balance_history (
    org_guid            text NOT NULL,
    act_id              text NOT NULL,
    balance_on          date NOT NULL,
    outstanding         bigint NOT NULL,
    outstanding_unknown boolean NOT NULL,
    recorded_at         timestamptz NOT NULL,
    PRIMARY KEY (org_guid, act_id, balance_on),
    FOREIGN KEY (org_guid, act_id) REFERENCES court_acts (org_guid, act_id) ON DELETE CASCADE
);

-- Acts imported before this table existed start their history with the balance they have.
INSERT INTO balance_history (org_guid, act_id, balance_on, outstanding, outstanding_unknown, recorded_at)
SELECT org_guid, act_id, COALESCE(balance_on, updated_at::date), outstanding, outstanding_unknown, updated_at
FROM court_acts;
