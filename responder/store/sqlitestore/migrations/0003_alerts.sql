-- Alerts sent to officers (responder/alert): one row per sub-request and alert kind, written
-- before the alert is sent, so that each is sent once across restarts and replicas. kind is
-- the alert kind and channel, such as "deadline-2:email" or "failed:webhook". Timestamps as
-- in 0001.
CREATE TABLE alerts (
    subrequest_guid TEXT NOT NULL,
    kind            TEXT NOT NULL,
    sent_at         TEXT NOT NULL,
    PRIMARY KEY (subrequest_guid, kind)
) WITHOUT ROWID;
