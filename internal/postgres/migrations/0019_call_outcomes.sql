-- What the receptionist did on a call: the outcome its analysis reports,
-- the transfers it asked for, the one-time codes it texted to let a
-- caller act for a number they are not calling from; and the clinic's
-- Vapi API key, which proves that a number or assistant is the clinic's.

ALTER TABLE call_logs ADD COLUMN outcome text CHECK (outcome IN
    ('booked', 'rescheduled', 'cancelled', 'question_answered', 'message_taken', 'transferred', 'spam', 'other'));

-- A transfer the assistant asked for: put through to the front desk or
-- the on-call number, or refused because the front desk was closed.
CREATE TABLE call_transfers (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    call_id     uuid NOT NULL,
    destination text NOT NULL CHECK (destination IN ('front_desk', 'on_call', 'none')),
    number      text NOT NULL DEFAULT '',
    outcome     text NOT NULL CHECK (outcome IN ('put_through', 'closed', 'no_number')),
    -- The provider's request it answers: a redelivery records nothing new.
    event_key   text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, event_key),
    FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX call_transfers_call_idx ON call_transfers (org_id, call_id, created_at);
ALTER TABLE call_transfers ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_transfers FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON call_transfers
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON call_transfers TO frontdesk_app;

-- Texts that are not about a booking: one-time codes sent on a call.
ALTER TABLE sms_confirmation_logs
    ALTER COLUMN booking_id DROP NOT NULL,
    ADD COLUMN call_id uuid,
    ADD FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id) ON DELETE CASCADE,
    DROP CONSTRAINT sms_confirmation_logs_kind_check,
    ADD CONSTRAINT sms_confirmation_logs_kind_check CHECK (kind IN ('confirmation', 'reminder', 'verification')),
    ADD CONSTRAINT sms_confirmation_logs_subject_check
        CHECK (CASE WHEN kind = 'verification' THEN booking_id IS NULL AND call_id IS NOT NULL ELSE booking_id IS NOT NULL END);

-- One-time codes texted on a call (sendVerificationCode) so a caller can
-- act for a number they are not calling from: kept as an HMAC under the
-- server's key; the code itself only sealed, and only until its text is
-- sent. 10 minutes, 5 tries; verified_at once entered.
CREATE TABLE call_verifications (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    call_id     uuid NOT NULL,
    phone       text NOT NULL,
    code_hash   bytea NOT NULL,
    code_sealed bytea,
    sms_log_id  uuid,
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),
    expires_at  timestamptz NOT NULL,
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, sms_log_id),
    FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, sms_log_id) REFERENCES sms_confirmation_logs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX call_verifications_call_idx ON call_verifications (org_id, call_id, created_at DESC);
ALTER TABLE call_verifications ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_verifications FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON call_verifications
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON call_verifications TO frontdesk_app;
GRANT UPDATE (attempts, verified_at, code_sealed) ON call_verifications TO frontdesk_app;

-- The clinic's Vapi private API key, sealed like every provider secret.
CREATE TABLE vapi_accounts (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    api_key    bytea NOT NULL,
    key_hint   text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id)
);
ALTER TABLE vapi_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE vapi_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON vapi_accounts
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE, DELETE ON vapi_accounts TO frontdesk_app;
