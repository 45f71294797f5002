-- Calls arrive from the voice agent (Vapi): which phone numbers and
-- assistants are each clinic's, the server credential Vapi must present,
-- the events already applied, and the recording pipeline's state.
-- River's own tables are created by `frontdesk migrate` just before the
-- numbered migrations (postgres.Migrate), so they exist here.

-- A phone number or assistant routes to exactly one clinic, so (kind, value)
-- is unique across clinics: a global table in the conformance sense, still
-- under forced RLS, so a clinic sees and deletes only its own rows.
-- Registering another clinic's number fails on the primary key, a 409 that
-- names no clinic.
CREATE TABLE voice_routes (
    kind       text NOT NULL CHECK (kind IN ('phone_number', 'assistant')),
    value      text NOT NULL CHECK (length(value) BETWEEN 1 AND 200),
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, value)
);
CREATE INDEX voice_routes_org_idx ON voice_routes (org_id, kind, value);
ALTER TABLE voice_routes ENABLE ROW LEVEL SECURITY;
ALTER TABLE voice_routes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON voice_routes
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- The clinic's Vapi server credentials, encrypted (AES-GCM under
-- FRONTDESK_SECRET_KEY). The current one has no expiry; a rotated-out one
-- keeps working until expires_at.
CREATE TABLE voice_secrets (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    ciphertext bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    PRIMARY KEY (org_id, id)
);
ALTER TABLE voice_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE voice_secrets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON voice_secrets
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- One row per provider event already applied, keyed by the provider's
-- stable ids (never a hash of the body: Vapi's pre-signed URLs change
-- between deliveries). A redelivery finds its row and changes nothing.
CREATE TABLE webhook_events (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    provider    text NOT NULL,
    event_key   text NOT NULL,
    event_type  text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, provider, event_key)
);
ALTER TABLE webhook_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_events
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- The recording pipeline: what was stored, or why it failed.
ALTER TABLE call_logs
    ADD COLUMN recording_size      bigint CHECK (recording_size >= 0),
    ADD COLUMN recording_sha256    text NOT NULL DEFAULT '',
    ADD COLUMN recording_error     text NOT NULL DEFAULT '',
    ADD COLUMN recording_stored_at timestamptz,
    -- Vapi's "hang": the assistant stalled during the call.
    ADD COLUMN last_hang_at        timestamptz;
CREATE INDEX call_logs_recording_pending_idx ON call_logs (org_id) WHERE recording_status = 'pending';
CREATE INDEX call_logs_recording_stored_idx ON call_logs (org_id, recording_stored_at) WHERE recording_status = 'stored';

-- Recordings older than this many days are deleted; NULL keeps them.
ALTER TABLE organizations ADD COLUMN recording_retention_days integer CHECK (recording_retention_days > 0);

-- The fenced cross-tenant read of a Vapi webhook: which clinic holds this
-- phone number and/or assistant. Only a clinic id comes back, and nothing
-- when the two name different clinics.
CREATE FUNCTION vapi_route_org(p_phone_number text, p_assistant_id text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE WHEN count(DISTINCT r.org_id) = 1 THEN (array_agg(r.org_id))[1] END
    FROM voice_routes r
    WHERE (r.kind = 'phone_number' AND r.value = p_phone_number)
       OR (r.kind = 'assistant' AND r.value = p_assistant_id)
$$;
REVOKE ALL ON FUNCTION vapi_route_org(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vapi_route_org(text, text) TO frontdesk_app;

GRANT SELECT, INSERT, DELETE ON voice_routes TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE ON voice_secrets TO frontdesk_app;
GRANT SELECT, INSERT ON webhook_events TO frontdesk_app;
GRANT INSERT, UPDATE ON call_logs TO frontdesk_app;
-- The call_counts triggers write as the writer of call_logs.
GRANT INSERT, UPDATE ON call_counts TO frontdesk_app;

-- The job queue (River) is global by nature: the worker claims jobs for all
-- clinics in one query, then runs each job inside its clinic's InTenant.
GRANT SELECT, INSERT, UPDATE, DELETE ON river_job, river_leader, river_queue, river_notification TO frontdesk_app;
GRANT USAGE, SELECT ON SEQUENCE river_job_id_seq, river_notification_id_seq TO frontdesk_app;
