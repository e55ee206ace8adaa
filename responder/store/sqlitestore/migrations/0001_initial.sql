-- Local data (imported), sub-requests, decisions and the audit trail.
-- Dates are TEXT 'YYYY-MM-DD' (NULL: unknown); timestamps are TEXT in UTC with microseconds
-- ('YYYY-MM-DDTHH:MM:SS.ffffffZ'), which sorts in time order.

CREATE TABLE premises (
    org_guid        TEXT NOT NULL DEFAULT '',
    premise_id      TEXT NOT NULL,
    hm_object_guid  TEXT NOT NULL DEFAULT '',
    house_guid      TEXT NOT NULL DEFAULT '',
    fias_house_guid TEXT NOT NULL DEFAULT '',
    flat            TEXT NOT NULL DEFAULT '',
    room            TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    address_key     TEXT NOT NULL DEFAULT '',
    account_number  TEXT NOT NULL DEFAULT '',
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (org_guid, premise_id)
) WITHOUT ROWID;

CREATE INDEX premises_hm_object ON premises (hm_object_guid);
CREATE INDEX premises_house ON premises (house_guid);
CREATE INDEX premises_fias_house ON premises (fias_house_guid);
CREATE INDEX premises_address_key ON premises (address_key);
CREATE INDEX premises_id ON premises (premise_id);

CREATE TABLE court_acts (
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
    balance_on          TEXT,
    cancelled_on        TEXT,
    doc_name            TEXT NOT NULL DEFAULT '',
    doc_path            TEXT NOT NULL DEFAULT '',
    doc_size            INTEGER NOT NULL DEFAULT 0,
    doc_hash            TEXT NOT NULL DEFAULT '',
    doc_attachment_guid TEXT NOT NULL DEFAULT '',
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (org_guid, act_id),
    FOREIGN KEY (premises_org, premise_id) REFERENCES premises (org_guid, premise_id)
) WITHOUT ROWID;

CREATE INDEX court_acts_premises ON court_acts (premise_id);
CREATE INDEX court_acts_premises_fk ON court_acts (premises_org, premise_id);

CREATE TABLE court_act_debtors (
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
    PRIMARY KEY (org_guid, act_id, debtor_key),
    FOREIGN KEY (org_guid, act_id) REFERENCES court_acts (org_guid, act_id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE sub_requests (
    guid            TEXT PRIMARY KEY,
    org_guid        TEXT NOT NULL DEFAULT '',
    request_guid    TEXT NOT NULL DEFAULT '',
    request_number  TEXT NOT NULL DEFAULT '',
    requester_guid  TEXT NOT NULL DEFAULT '',
    requester_name  TEXT NOT NULL DEFAULT '',
    house_guid      TEXT NOT NULL DEFAULT '',
    address_details TEXT NOT NULL DEFAULT '',
    hm_object_guid  TEXT NOT NULL DEFAULT '',
    address_type    TEXT NOT NULL DEFAULT '',
    fias_house_guid TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    period_from     TEXT,
    period_to       TEXT,
    sent_date       TEXT,
    response_date   TEXT,
    response_status TEXT NOT NULL DEFAULT '',
    state           TEXT NOT NULL CHECK (state IN ('new', 'review', 'ready', 'sending', 'answered', 'failed', 'auto_answered')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE INDEX sub_requests_state ON sub_requests (state, response_date, guid);
CREATE INDEX sub_requests_org_state ON sub_requests (org_guid, state, response_date, guid);

-- Every decision is kept; the latest (highest id) is the current one.
CREATE TABLE decisions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subrequest_guid TEXT NOT NULL REFERENCES sub_requests (guid),
    decided_at      TEXT NOT NULL,
    rule_version    TEXT NOT NULL DEFAULT '',
    has_debt        INTEGER NOT NULL,
    review          INTEGER NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '', -- set when a person decided
    comment         TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL             -- JSON: premises, debt info, evidence, reasons
);

CREATE INDEX decisions_subrequest ON decisions (subrequest_guid, id);

-- subrequest_guid is '' for store-wide events such as imports.
CREATE TABLE audit (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subrequest_guid TEXT NOT NULL DEFAULT '',
    at              TEXT NOT NULL,
    actor           TEXT NOT NULL,
    action          TEXT NOT NULL,
    detail          TEXT NOT NULL DEFAULT ''
);

CREATE INDEX audit_subrequest ON audit (subrequest_guid, id);
