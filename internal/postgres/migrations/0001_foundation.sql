-- Foundation: organizations, users, memberships, call logs, audit events.
--
-- Runs as the owner role. The application role (frontdesk_app) must already
-- exist: it is created by whoever creates the database (frontdesk dev and the
-- test kit do it themselves; see README "Production database").
--
-- Tenancy rules (DESIGN.md "Tenancy"): every tenant table has org_id NOT NULL,
-- RLS enabled and forced, one policy on app.org_id for USING and WITH CHECK,
-- keys and unique constraints that include org_id, composite foreign keys.
-- The conformance test in internal/postgres enforces them.

REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO frontdesk_app;

-- Global by nature: a clinic. RLS lets the app role see only the acting clinic.
CREATE TABLE organizations (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    timezone   text NOT NULL,
    -- ISO 3166 region used to read phone numbers typed without a country code.
    country    text NOT NULL DEFAULT 'US' CHECK (country ~ '^[A-Z]{2}$'),
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
    USING (id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (id = nullif(current_setting('app.org_id', true), '')::uuid);

-- Global by nature: a person who can sign in. RLS lets the app role see the
-- acting user and the members of the acting clinic, nobody else.
CREATE TABLE users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name          text NOT NULL DEFAULT '',
    -- argon2id in PHC string form; NULL for users who only sign in through
    -- an external identity provider (FRONTDESK_JWKS_URL).
    password_hash text,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('owner', 'admin', 'staff')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);
ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON memberships
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (
        id = nullif(current_setting('app.user_id', true), '')::uuid
        OR id IN (SELECT m.user_id FROM memberships m
                  WHERE m.org_id = nullif(current_setting('app.org_id', true), '')::uuid))
    WITH CHECK (id = nullif(current_setting('app.user_id', true), '')::uuid);

CREATE TABLE call_logs (
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    provider         text NOT NULL DEFAULT 'vapi',
    provider_call_id text,
    direction        text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    -- The provider's lifecycle, in order; a status only moves forward.
    status           text NOT NULL CHECK (status IN ('queued', 'ringing', 'in-progress', 'forwarding', 'ended')),
    from_number      text NOT NULL DEFAULT '',
    to_number        text NOT NULL DEFAULT '',
    caller_name      text NOT NULL DEFAULT '',
    -- When the call started, or when we first heard of it: the dashboard's
    -- sort key, so never NULL.
    started_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    duration_seconds integer CHECK (duration_seconds >= 0),
    ended_reason     text NOT NULL DEFAULT '',
    summary          text NOT NULL DEFAULT '',
    transcript       text NOT NULL DEFAULT '',
    recording_status text NOT NULL DEFAULT 'none'
                     CHECK (recording_status IN ('none', 'pending', 'stored', 'failed')),
    recording_url    text NOT NULL DEFAULT '',
    recording_key    text NOT NULL DEFAULT '',
    cost_usd         numeric(10, 4),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, provider, provider_call_id)
);
-- The dashboard's default listing: one direction, newest first, keyset.
CREATE INDEX call_logs_direction_idx ON call_logs (org_id, direction, started_at DESC, id DESC);
-- "All directions" and date-bounded listings.
CREATE INDEX call_logs_started_idx ON call_logs (org_id, started_at DESC, id DESC);
CREATE INDEX call_logs_status_idx ON call_logs (org_id, status, direction, started_at DESC, id DESC);
-- Search: a caller's number (E.164 equality) or a caller-name prefix. The
-- name index uses pattern ops because ~>=~ / ~<~ are leakproof, so RLS lets
-- them be index conditions (LIKE is not leakproof and would scan the clinic).
CREATE INDEX call_logs_from_number_idx ON call_logs (org_id, from_number, started_at DESC);
CREATE INDEX call_logs_caller_name_idx ON call_logs (org_id, lower(caller_name) text_pattern_ops);
ALTER TABLE call_logs ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_logs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON call_logs
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- What the operator needs to see: requests for objects the acting clinic
-- does not have (another clinic's, or nobody's). Written by the app, read by
-- `frontdesk audit` as the owner role; the app role cannot read it back.
CREATE TABLE audit_events (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    user_id       uuid,
    action        text NOT NULL,
    resource_type text NOT NULL,
    resource_id   text NOT NULL,
    request_id    text NOT NULL DEFAULT '',
    remote_addr   text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id)
);
CREATE INDEX audit_events_occurred_idx ON audit_events (occurred_at DESC);
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- Identity lookups that must happen before a tenant is known. These are the
-- only cross-tenant reads the app role can make: SECURITY DEFINER (run as the
-- owner, which bypasses RLS), each returning the narrowest answer.

-- Login: the password hash of one email.
CREATE FUNCTION auth_login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.password_hash FROM users u WHERE u.email = lower(p_email)
$$;

-- The clinics a (token-verified) user belongs to, with their role.
CREATE FUNCTION auth_user_memberships(p_user_id uuid)
RETURNS TABLE (org_id uuid, org_name text, role text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT m.org_id, o.name, m.role
    FROM memberships m JOIN organizations o ON o.id = m.org_id
    WHERE m.user_id = p_user_id AND o.status = 'active'
    ORDER BY o.name, m.org_id
$$;

-- A (token-verified) user's own profile.
CREATE FUNCTION auth_user_profile(p_user_id uuid)
RETURNS TABLE (user_id uuid, email text, name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.email, u.name FROM users u WHERE u.id = p_user_id
$$;

REVOKE ALL ON FUNCTION auth_login_lookup(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_user_profile(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_user_memberships(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login_lookup(text) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION auth_user_memberships(uuid) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION auth_user_profile(uuid) TO frontdesk_app;

-- The app role's grants: exactly what the server uses, checked by the
-- conformance test.
GRANT SELECT ON organizations, users, memberships, call_logs TO frontdesk_app;
GRANT INSERT ON audit_events TO frontdesk_app;
