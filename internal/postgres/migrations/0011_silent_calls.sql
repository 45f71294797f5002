-- Calls that never get their end-of-call report (a web test call, a lost
-- delivery) are closed by a periodic sweep. This fenced function is how
-- the sweep finds the clinics that have such calls: only ids come back, and
-- each clinic's calls are then closed in its own tenant transaction.
CREATE FUNCTION silent_call_orgs(idle_before timestamptz)
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT DISTINCT c.org_id FROM call_logs c
    JOIN organizations o ON o.id = c.org_id AND o.status = 'active'
    WHERE c.status <> 'ended' AND c.updated_at < idle_before
$$;
REVOKE ALL ON FUNCTION silent_call_orgs(timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION silent_call_orgs(timestamptz) TO frontdesk_app;

-- Open calls are few: the sweep reads them through a small partial index.
CREATE INDEX call_logs_open_idx ON call_logs (org_id, updated_at) WHERE status <> 'ended';
