-- SMS over each clinic's own Twilio account: credentials, message log,
-- opt-outs and inbound replies.

-- A clinic's sending number routes inbound SMS and status callbacks to it:
-- registered in the global routing registry like its Vapi numbers.
ALTER TABLE voice_routes DROP CONSTRAINT voice_routes_kind_check;
ALTER TABLE voice_routes ADD CONSTRAINT voice_routes_kind_check CHECK (kind IN ('phone_number', 'assistant', 'sms_number'));

CREATE TABLE twilio_accounts (
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    account_sid           text NOT NULL CHECK (account_sid ~ '^AC[0-9a-fA-F]{32}$'),
    -- AES-GCM under FRONTDESK_SECRET_KEY, bound to the clinic.
    auth_token_ciphertext bytea NOT NULL,
    from_number           text NOT NULL,
    confirmation_template text NOT NULL,
    reminder_template     text NOT NULL,
    -- 0 turns reminders off.
    reminder_hours_before integer NOT NULL DEFAULT 24 CHECK (reminder_hours_before BETWEEN 0 AND 336),
    -- No text is sent between quiet_start and quiet_end, clinic time.
    quiet_start           time NOT NULL DEFAULT '21:00',
    quiet_end             time NOT NULL DEFAULT '08:00',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id)
);
ALTER TABLE twilio_accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE twilio_accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON twilio_accounts
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- Every message Frontdesk sends, before it is sent: the row is the
-- outbox and the idempotency key (one confirmation per booking).
CREATE TABLE sms_confirmation_logs (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    booking_id    uuid NOT NULL,
    kind          text NOT NULL CHECK (kind IN ('confirmation', 'reminder')),
    -- When a reminder is due (after quiet hours are applied).
    send_at       timestamptz NOT NULL DEFAULT now(),
    to_number     text NOT NULL,
    body          text NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'queued', 'sending', 'sent', 'delivered', 'read',
                                    'undelivered', 'failed', 'canceled', 'skipped')),
    message_sid   text,
    error_code    integer,
    error_message text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, booking_id, kind),
    UNIQUE (org_id, message_sid),
    FOREIGN KEY (org_id, booking_id) REFERENCES bookings (org_id, id) ON DELETE CASCADE
);
ALTER TABLE sms_confirmation_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_confirmation_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_confirmation_logs
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- Numbers that texted STOP to the clinic: nothing is sent to them again
-- until they text START.
CREATE TABLE sms_opt_outs (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    phone         text NOT NULL,
    opted_out_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, phone)
);
ALTER TABLE sms_opt_outs ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_opt_outs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_opt_outs
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- What patients text the clinic, kept for staff; redeliveries are one row.
CREATE TABLE sms_inbound (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    message_sid text NOT NULL,
    from_number text NOT NULL,
    body        text NOT NULL,
    action      text NOT NULL CHECK (action IN ('opt_out', 'opt_in', 'confirm', 'message')),
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, message_sid)
);
ALTER TABLE sms_inbound ENABLE ROW LEVEL SECURITY;
ALTER TABLE sms_inbound FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sms_inbound
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- A patient's "C"/"CONFIRM" reply.
ALTER TABLE bookings ADD COLUMN patient_confirmed_at timestamptz;

-- The fenced read of a Twilio webhook: the clinic whose sending number
-- this is and whose account sent it. Only an id comes back.
CREATE FUNCTION twilio_route_org(p_number text, p_account_sid text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT r.org_id FROM voice_routes r
    JOIN twilio_accounts a ON a.org_id = r.org_id
    WHERE r.kind = 'sms_number' AND r.value = p_number AND a.account_sid = p_account_sid
$$;
REVOKE ALL ON FUNCTION twilio_route_org(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION twilio_route_org(text, text) TO frontdesk_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON twilio_accounts TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE ON sms_confirmation_logs TO frontdesk_app;
GRANT SELECT, INSERT, DELETE ON sms_opt_outs TO frontdesk_app;
GRANT SELECT, INSERT ON sms_inbound TO frontdesk_app;
