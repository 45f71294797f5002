-- Erasing a patient on request: their recordings deleted, transcripts,
-- summaries and text bodies removed, names replaced by "erased", their
-- number replaced everywhere by its keyed one-way hash (the access log's
-- patient_key), so counts and opt-outs still work. A tombstone says who
-- erased whom (by that hash) and when; the access log keeps its rows,
-- which point at it by the same hash. Started, then finished: a run cut
-- short is finished by the next.
CREATE TABLE patient_erasures (
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    patient_key  text NOT NULL,
    user_id      uuid,
    operator     text NOT NULL DEFAULT '',
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    calls        integer NOT NULL DEFAULT 0,
    recordings   integer NOT NULL DEFAULT 0,
    bookings     integer NOT NULL DEFAULT 0,
    texts        integer NOT NULL DEFAULT 0,
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, patient_key),
    CHECK (user_id IS NOT NULL OR operator <> '')
);
ALTER TABLE patient_erasures ENABLE ROW LEVEL SECURITY;
ALTER TABLE patient_erasures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON patient_erasures
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON patient_erasures TO frontdesk_app;
GRANT UPDATE (finished_at, calls, recordings, bookings, texts) ON patient_erasures TO frontdesk_app;

-- What erasing changes, and nothing more, where the app could not already.
GRANT UPDATE (from_number, body) ON sms_inbound TO frontdesk_app;
GRANT UPDATE (caller_number, callback_number, reason) ON callback_requests TO frontdesk_app;
GRANT UPDATE (arguments, result) ON call_tool_calls TO frontdesk_app;
GRANT UPDATE (phone) ON call_verifications TO frontdesk_app;

-- A patient's rows by number: outbound calls, bookings.
CREATE INDEX call_logs_to_number_idx ON call_logs (org_id, to_number, started_at DESC) WHERE direction = 'outbound';
CREATE INDEX bookings_patient_phone_idx ON bookings (org_id, patient_phone);
