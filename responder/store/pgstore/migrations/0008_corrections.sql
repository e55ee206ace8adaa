-- Corrections of sent answers (LEGAL-RULES §10.7): the step a correction is at. '' none;
-- 'proposed' the re-check found the sent answer no longer matches the data (in review);
-- 'approved' a person chose a new answer, the sent one is to be revoked; 'revoked' GIS
-- confirmed the revoke, the new answer is to be sent. The proposal and the person's answer
-- are decisions marked as corrections (in their body); the sent answer stays in
-- message_actions.
ALTER TABLE sub_requests
    ADD COLUMN correction text NOT NULL DEFAULT '' CHECK (correction IN ('', 'proposed', 'approved', 'revoked'));

-- The re-check reads the answered sub-requests of an organization.
CREATE INDEX sub_requests_recheck ON sub_requests (org_guid, state) WHERE state IN ('answered', 'auto_answered');
