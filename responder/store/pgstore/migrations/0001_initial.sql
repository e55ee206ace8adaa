-- Local data (imported), sub-requests, decisions and the audit trail.
-- Tables are created unqualified: they land in the first schema of search_path.

CREATE TABLE premises (
    org_guid        text NOT NULL DEFAULT '',
    premise_id      text NOT NULL,
    hm_object_guid  text NOT NULL DEFAULT '',
    house_guid      text NOT NULL DEFAULT '',
    fias_house_guid text NOT NULL DEFAULT '',
    flat            text NOT NULL DEFAULT '',
    room            text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    address_key     text NOT NULL DEFAULT '',
    account_number  text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (org_guid, premise_id)
);

CREATE INDEX premises_hm_object ON premises (hm_object_guid);
CREATE INDEX premises_house ON premises (house_guid);
CREATE INDEX premises_fias_house ON premises (fias_house_guid);
CREATE INDEX premises_address_key ON premises (address_key);
CREATE INDEX premises_id ON premises (premise_id);

CREATE TABLE court_acts (
    org_guid            text NOT NULL DEFAULT '',
    act_id              text NOT NULL,
    premises_org        text NOT NULL,
    premise_id          text NOT NULL,
    case_number         text NOT NULL DEFAULT '',
    kind                text NOT NULL CHECK (kind IN ('court_order', 'judgment')),
    pronounced_on       date,
    effective_on        date,
    debt_from           date,
    debt_to             date,
    amount              bigint NOT NULL DEFAULT 0,
    outstanding         bigint NOT NULL DEFAULT 0,
    balance_on          date,
    cancelled_on        date,
    doc_name            text NOT NULL DEFAULT '',
    doc_path            text NOT NULL DEFAULT '',
    doc_size            bigint NOT NULL DEFAULT 0,
    doc_hash            text NOT NULL DEFAULT '',
    doc_attachment_guid text NOT NULL DEFAULT '',
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (org_guid, act_id),
    FOREIGN KEY (premises_org, premise_id) REFERENCES premises (org_guid, premise_id)
);

CREATE INDEX court_acts_premises ON court_acts (premise_id);
CREATE INDEX court_acts_premises_fk ON court_acts (premises_org, premise_id);

CREATE TABLE court_act_debtors (
    org_guid    text NOT NULL,
    act_id      text NOT NULL,
    debtor_key  text NOT NULL,
    position    integer NOT NULL,
    last_name   text NOT NULL DEFAULT '',
    first_name  text NOT NULL DEFAULT '',
    middle_name text NOT NULL DEFAULT '',
    snils       text NOT NULL DEFAULT '',
    doc_type    text NOT NULL DEFAULT '',
    doc_series  text NOT NULL DEFAULT '',
    doc_number  text NOT NULL DEFAULT '',
    PRIMARY KEY (org_guid, act_id, debtor_key),
    FOREIGN KEY (org_guid, act_id) REFERENCES court_acts (org_guid, act_id) ON DELETE CASCADE
);

CREATE TABLE sub_requests (
    guid            text PRIMARY KEY,
    org_guid        text NOT NULL DEFAULT '',
    request_guid    text NOT NULL DEFAULT '',
    request_number  text NOT NULL DEFAULT '',
    requester_guid  text NOT NULL DEFAULT '',
    requester_name  text NOT NULL DEFAULT '',
    house_guid      text NOT NULL DEFAULT '',
    address_details text NOT NULL DEFAULT '',
    hm_object_guid  text NOT NULL DEFAULT '',
    address_type    text NOT NULL DEFAULT '',
    fias_house_guid text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    period_from     date,
    period_to       date,
    sent_date       date,
    response_date   date,
    response_status text NOT NULL DEFAULT '',
    state           text NOT NULL CHECK (state IN ('new', 'review', 'ready', 'sending', 'answered', 'failed', 'auto_answered')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX sub_requests_state ON sub_requests (state, response_date, guid);
CREATE INDEX sub_requests_org_state ON sub_requests (org_guid, state, response_date, guid);

-- Every decision is kept; the latest (highest id) is the current one.
CREATE TABLE decisions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subrequest_guid text NOT NULL REFERENCES sub_requests (guid),
    decided_at      timestamptz NOT NULL,
    rule_version    text NOT NULL DEFAULT '',
    has_debt        boolean NOT NULL,
    review          boolean NOT NULL,
    decided_by      text NOT NULL DEFAULT '', -- set when a person decided
    comment         text NOT NULL DEFAULT '',
    body            jsonb NOT NULL            -- premises, debt info, evidence, reasons
);

CREATE INDEX decisions_subrequest ON decisions (subrequest_guid, id);

-- subrequest_guid is '' for store-wide events such as imports.
CREATE TABLE audit (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subrequest_guid text NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    action          text NOT NULL,
    detail          text NOT NULL DEFAULT ''
);

CREATE INDEX audit_subrequest ON audit (subrequest_guid, id);
