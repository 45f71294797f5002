-- Contacts: one per phone number per clinic (E.164), from imports (and,
-- later, calls, bookings and texts): a name, an email, tags, notes,
-- consent to be called and to be texted (when and how given), and where
-- the contact came from.
CREATE TABLE contacts (
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    phone            text NOT NULL,
    name             text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    email            text NOT NULL DEFAULT '' CHECK (length(email) <= 254),
    tags             text[] NOT NULL DEFAULT '{}',
    notes            text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    call_consent_at  timestamptz,
    call_consent_how text NOT NULL DEFAULT '',
    text_consent_at  timestamptz,
    text_consent_how text NOT NULL DEFAULT '',
    source           text NOT NULL CHECK (source IN ('import', 'staff', 'call', 'booking', 'text')),
    -- The last campaign call's outcome (answered, booked, no_answer...).
    last_outcome     text NOT NULL DEFAULT '',
    last_called_at   timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, phone)
);
CREATE INDEX contacts_tags_idx ON contacts USING gin (tags);
ALTER TABLE contacts ENABLE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON contacts
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON contacts TO frontdesk_app;

-- Numbers the clinic never calls or texts: a STOP text, a caller asking
-- on a call, the staff, an import. Checked before every outbound call and
-- text. Only the patient undoes their own STOP (by texting START).
CREATE TABLE do_not_call (
    org_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    phone    text NOT NULL,
    source   text NOT NULL CHECK (source IN ('text', 'call', 'staff', 'import')),
    reason   text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
    added_by uuid,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, phone)
);
ALTER TABLE do_not_call ENABLE ROW LEVEL SECURITY;
ALTER TABLE do_not_call FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON do_not_call
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, DELETE ON do_not_call TO frontdesk_app;
-- Erasing a patient puts the number's hash in place of the number.
GRANT UPDATE (phone, reason) ON do_not_call TO frontdesk_app;
