-- Who read a patient's health data: every opening of a call's transcript
-- and summary, every playback of its recording, every patient timeline
-- and export, written in the transaction of the read. The app role may
-- add rows and read them, never change or remove them. The patient is
-- kept as a keyed one-way hash of the phone number (patient_key), so the
-- log outlives an erasure and still points at its tombstone.
CREATE TABLE access_log (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    at          timestamptz NOT NULL DEFAULT now(),
    user_id     uuid,
    operator    text NOT NULL DEFAULT '',
    via         text NOT NULL CHECK (via IN ('api', 'dashboard', 'export', 'agent', 'cli')),
    what        text NOT NULL CHECK (what IN ('call', 'recording', 'patient', 'export')),
    call_id     uuid,
    patient_key text NOT NULL DEFAULT '',
    remote_addr text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id),
    CHECK (user_id IS NOT NULL OR operator <> '' OR via = 'agent')
);
CREATE INDEX access_log_at_idx ON access_log (org_id, at DESC);
CREATE INDEX access_log_patient_idx ON access_log (org_id, patient_key, at DESC);
CREATE INDEX access_log_user_idx ON access_log (org_id, user_id, at DESC);
ALTER TABLE access_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE access_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON access_log
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON access_log TO frontdesk_app;
