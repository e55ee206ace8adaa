-- The foreign keys of the court-act tables checked, per imported row, what the store
-- already guarantees in the same transaction: an import of acts looks up every act's
-- premises and refuses the whole file when one is missing, an import of agreements refuses
-- acts that are not stored, debtors and balance history are written only with their act,
-- and no code deletes or re-keys premises or acts. The cost: rows written by hand are not
-- checked. SQLite cannot drop a constraint, so each table is rebuilt without it, the
-- children first: dropping court_acts then checks no reference (foreign_keys is on and
-- cannot change inside the migration's transaction).
CREATE TABLE court_act_debtors_new (
    org_guid    TEXT NOT NULL,
    act_id      TEXT NOT NULL,
    debtor_key  TEXT NOT NULL,
    position    INTEGER NOT NULL,
    last_name   TEXT NOT NULL DEFAULT '',
    first_name  TEXT NOT NULL DEFAULT '',
    middle_name TEXT NOT NULL DEFAULT '',
    snils       TEXT NOT NULL DEFAULT '',
    doc_type    TEXT NOT NULL DEFAULT '',
    doc_series  TEXT NOT NULL DEFAULT '',
    doc_number  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (org_guid, act_id, debtor_key)
) WITHOUT ROWID;
INSERT INTO court_act_debtors_new (org_guid, act_id, debtor_key, position, last_name, first_name, middle_name,
    snils, doc_type, doc_series, doc_number)
SELECT org_guid, act_id, debtor_key, position, last_name, first_name, middle_name,
    snils, doc_type, doc_series, doc_number FROM court_act_debtors;
DROP TABLE court_act_debtors;
ALTER TABLE court_act_debtors_new RENAME TO court_act_debtors;

CREATE TABLE balance_history_new (
    org_guid            TEXT NOT NULL,
    act_id              TEXT NOT NULL,
    balance_on          TEXT NOT NULL,
    outstanding         INTEGER NOT NULL,
    outstanding_unknown INTEGER NOT NULL,
    recorded_at         TEXT NOT NULL,
    PRIMARY KEY (org_guid, act_id, balance_on)
) WITHOUT ROWID;
INSERT INTO balance_history_new (org_guid, act_id, balance_on, outstanding, outstanding_unknown, recorded_at)
SELECT org_guid, act_id, balance_on, outstanding, outstanding_unknown, recorded_at FROM balance_history;
DROP TABLE balance_history;
ALTER TABLE balance_history_new RENAME TO balance_history;

CREATE TABLE agreements_new (
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
    PRIMARY KEY (org_guid, act_id, agreement_number)
) WITHOUT ROWID;
INSERT INTO agreements_new (org_guid, act_id, agreement_number, agreement_date, kind, schedule_end, amount, paid,
    status, updated_at)
SELECT org_guid, act_id, agreement_number, agreement_date, kind, schedule_end, amount, paid,
    status, updated_at FROM agreements;
DROP TABLE agreements;
ALTER TABLE agreements_new RENAME TO agreements;

CREATE TABLE court_acts_new (
    org_guid            TEXT NOT NULL DEFAULT '',
    act_id              TEXT NOT NULL,
    premises_org        TEXT NOT NULL,
    premise_id          TEXT NOT NULL,
    case_number         TEXT NOT NULL DEFAULT '',
    kind                TEXT NOT NULL CHECK (kind IN ('court_order', 'judgment')),
    pronounced_on       TEXT,
    effective_on        TEXT,
    debt_from           TEXT,
    debt_to             TEXT,
    amount              INTEGER NOT NULL DEFAULT 0,
    outstanding         INTEGER NOT NULL DEFAULT 0,
    outstanding_unknown INTEGER NOT NULL DEFAULT 0,
    balance_on          TEXT,
    cancelled_on        TEXT,
    doc_name            TEXT NOT NULL DEFAULT '',
    doc_path            TEXT NOT NULL DEFAULT '',
    doc_size            INTEGER NOT NULL DEFAULT 0,
    doc_hash            TEXT NOT NULL DEFAULT '',
    doc_attachment_guid TEXT NOT NULL DEFAULT '',
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (org_guid, act_id)
) WITHOUT ROWID;
INSERT INTO court_acts_new (org_guid, act_id, premises_org, premise_id, case_number, kind, pronounced_on,
    effective_on, debt_from, debt_to, amount, outstanding, outstanding_unknown, balance_on, cancelled_on,
    doc_name, doc_path, doc_size, doc_hash, doc_attachment_guid, updated_at)
SELECT org_guid, act_id, premises_org, premise_id, case_number, kind, pronounced_on,
    effective_on, debt_from, debt_to, amount, outstanding, outstanding_unknown, balance_on, cancelled_on,
    doc_name, doc_path, doc_size, doc_hash, doc_attachment_guid, updated_at FROM court_acts;
DROP TABLE court_acts;
ALTER TABLE court_acts_new RENAME TO court_acts;
CREATE INDEX court_acts_premises ON court_acts (premise_id);
