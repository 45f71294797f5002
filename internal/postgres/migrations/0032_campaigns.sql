-- Outbound call campaigns (recalls, reminders, reactivation): an audience
-- of the clinic's contacts, the Vapi assistant and number to call with,
-- calling hours in the callee's time, how many calls at once, how many
-- attempts each. Each contact in the audience is a target; each dial is
-- an attempt, recorded before Vapi is asked to call, so that a retry
-- finds the call Vapi already made instead of calling twice.
CREATE TABLE campaigns (
    org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    state                text NOT NULL DEFAULT 'draft'
                         CHECK (state IN ('draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled')),
    audience_tags        text[] NOT NULL DEFAULT '{}',
    require_call_consent boolean NOT NULL DEFAULT true,
    -- A fixed Vapi assistant, or (empty) the clinic's receptionist with
    -- the campaign's own greeting and goal.
    assistant_id         text NOT NULL DEFAULT '' CHECK (length(assistant_id) <= 100),
    greeting             text NOT NULL DEFAULT '' CHECK (length(greeting) <= 500),
    goal                 text NOT NULL DEFAULT '' CHECK (length(goal) <= 1000),
    phone_number_id      text NOT NULL CHECK (length(phone_number_id) BETWEEN 1 AND 100),
    -- Minutes after midnight in the callee's time, never outside 8:00-21:00.
    hours_start          integer NOT NULL DEFAULT 540,
    hours_end            integer NOT NULL DEFAULT 1200,
    days                 integer[] NOT NULL DEFAULT '{1,2,3,4,5}',
    max_concurrent       integer NOT NULL DEFAULT 2 CHECK (max_concurrent BETWEEN 1 AND 20),
    max_attempts         integer NOT NULL DEFAULT 2 CHECK (max_attempts BETWEEN 1 AND 5),
    retry_minutes        integer NOT NULL DEFAULT 240 CHECK (retry_minutes BETWEEN 30 AND 10080),
    -- What a call's end must be to end its contact's attempts; any other
    -- end (no answer, busy, voicemail...) tries again while attempts last.
    stop_on              text[] NOT NULL DEFAULT '{answered,booked,number_invalid}'
                         CHECK (stop_on <@ '{answered,booked,number_invalid,voicemail}'::text[]),
    starts_at            timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    CHECK (hours_start >= 480 AND hours_end <= 1260 AND hours_start < hours_end),
    CHECK (assistant_id <> '' OR greeting <> '')
);
ALTER TABLE campaigns ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaigns FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaigns
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON campaigns TO frontdesk_app;
GRANT UPDATE (state, starts_at, updated_at) ON campaigns TO frontdesk_app;

CREATE TABLE campaign_targets (
    org_id      uuid NOT NULL,
    campaign_id uuid NOT NULL,
    phone       text NOT NULL,
    name        text NOT NULL DEFAULT '',
    state       text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dialling', 'done')),
    outcome     text NOT NULL DEFAULT '',
    attempts    integer NOT NULL DEFAULT 0,
    next_at     timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, campaign_id, phone),
    FOREIGN KEY (org_id, campaign_id) REFERENCES campaigns (org_id, id) ON DELETE CASCADE
);
CREATE INDEX campaign_targets_due_idx ON campaign_targets (org_id, campaign_id, next_at) WHERE state = 'pending';
ALTER TABLE campaign_targets ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign_targets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaign_targets
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON campaign_targets TO frontdesk_app;
GRANT UPDATE (state, outcome, attempts, next_at, updated_at) ON campaign_targets TO frontdesk_app;
-- Erasing a patient puts the number's hash in place of the number (the
-- attempts follow) and the name.
GRANT UPDATE (phone, name) ON campaign_targets TO frontdesk_app;

CREATE TABLE campaign_attempts (
    org_id       uuid NOT NULL,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id  uuid NOT NULL,
    phone        text NOT NULL,
    attempt      integer NOT NULL,
    state        text NOT NULL DEFAULT 'placing' CHECK (state IN ('placing', 'placed', 'failed', 'ended')),
    -- When Vapi was last asked to call (and did not answer for sure):
    -- a retry must look for the call before asking again.
    posted_at    timestamptz,
    vapi_call_id text,
    error        text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, campaign_id, phone, attempt),
    UNIQUE (org_id, vapi_call_id),
    FOREIGN KEY (org_id, campaign_id, phone) REFERENCES campaign_targets (org_id, campaign_id, phone)
        ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX campaign_attempts_live_idx ON campaign_attempts (org_id, campaign_id) WHERE state IN ('placing', 'placed');
ALTER TABLE campaign_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE campaign_attempts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON campaign_attempts
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON campaign_attempts TO frontdesk_app;
GRANT UPDATE (state, posted_at, vapi_call_id, error) ON campaign_attempts TO frontdesk_app;

-- The clinics with running campaigns, or scheduled ones due to start,
-- for the dialer's fan-out.
CREATE FUNCTION campaign_orgs()
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT c.org_id FROM campaigns c JOIN organizations o ON o.id = c.org_id
    WHERE (c.state = 'running' OR (c.state = 'scheduled' AND c.starts_at <= now())) AND o.status = 'active'
$$;
REVOKE ALL ON FUNCTION campaign_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION campaign_orgs() TO frontdesk_app;
