-- A clinic's owners read its own audit trail on the dashboard: who asked
-- for objects the clinic does not have, and the changes to its team.
-- Forced RLS keeps each clinic to its own rows.
GRANT SELECT ON audit_events TO frontdesk_app;
CREATE INDEX audit_events_org_idx ON audit_events (org_id, occurred_at DESC);
