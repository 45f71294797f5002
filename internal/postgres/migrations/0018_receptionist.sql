-- Each clinic's receptionist profile: who the assistant is, what it may
-- do, where it transfers. A JSON document validated by the service (the
-- defaults apply until an admin saves one).
CREATE TABLE receptionist_profiles (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    profile    jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id)
);
ALTER TABLE receptionist_profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE receptionist_profiles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON receptionist_profiles
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT, UPDATE ON receptionist_profiles TO frontdesk_app;
