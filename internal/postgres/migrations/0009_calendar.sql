-- Google Calendar: a clinician's or room's calendar, connected by an
-- admin through OAuth, kept in step with bookings and consulted for busy
-- times.

-- An OAuth flow in progress: the PKCE verifier stays here (sealed), only
-- a signed, short-lived state travels through the browser. Single use.
CREATE TABLE oauth_pending (
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    resource_id  uuid NOT NULL,
    verifier     bytea NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id) ON DELETE CASCADE
);
ALTER TABLE oauth_pending ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_pending FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_pending
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

CREATE TABLE calendar_connections (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    resource_id   uuid NOT NULL,
    calendar_id   text NOT NULL DEFAULT 'primary',
    -- The OAuth token (JSON), AES-GCM under FRONTDESK_SECRET_KEY.
    token         bytea NOT NULL,
    status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'needs_reconnect')),
    status_reason text NOT NULL DEFAULT '',
    connected_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, resource_id),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id) ON DELETE CASCADE
);
ALTER TABLE calendar_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE calendar_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calendar_connections
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

GRANT SELECT, INSERT, DELETE ON oauth_pending TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON calendar_connections TO frontdesk_app;
