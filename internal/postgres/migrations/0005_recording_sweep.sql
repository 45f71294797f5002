-- Periodic recording maintenance: orphan cleanup and retention.

-- A recording removed by the clinic's retention setting.
ALTER TABLE call_logs DROP CONSTRAINT call_logs_recording_status_check;
ALTER TABLE call_logs ADD CONSTRAINT call_logs_recording_status_check
    CHECK (recording_status IN ('none', 'pending', 'stored', 'failed', 'deleted'));

-- The fenced read behind the periodic sweep: which clinics have stored
-- recordings to check. Only ids come back; each clinic's sweep then runs in
-- its own InTenant. Run once per sweep interval, never as polling.
CREATE FUNCTION recording_sweep_orgs()
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT o.id FROM organizations o
    WHERE o.status = 'active'
      AND EXISTS (SELECT 1 FROM call_logs c WHERE c.org_id = o.id AND c.recording_status = 'stored')
$$;
REVOKE ALL ON FUNCTION recording_sweep_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION recording_sweep_orgs() TO frontdesk_app;

-- Admins set their clinic's retention through the API.
GRANT UPDATE (recording_retention_days) ON organizations TO frontdesk_app;
