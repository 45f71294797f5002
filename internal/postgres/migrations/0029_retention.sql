-- How long a clinic keeps each kind of health data (recordings already
-- have recording_retention_days): transcripts and summaries, text bodies,
-- and the access log, which no clinic may keep for less than six years.
-- Null keeps that kind for ever. And whether card numbers and US social
-- security numbers are redacted from transcripts and summaries before
-- they are stored (each call counts its redactions).
ALTER TABLE organizations
    ADD COLUMN transcript_retention_days integer CHECK (transcript_retention_days BETWEEN 1 AND 36500),
    ADD COLUMN text_retention_days       integer CHECK (text_retention_days BETWEEN 1 AND 36500),
    ADD COLUMN access_log_retention_days integer NOT NULL DEFAULT 2192
                                         CHECK (access_log_retention_days BETWEEN 2192 AND 36500),
    ADD COLUMN redact_identifiers        boolean NOT NULL DEFAULT false;
GRANT UPDATE (transcript_retention_days, text_retention_days, access_log_retention_days, redact_identifiers)
    ON organizations TO frontdesk_app;
ALTER TABLE call_logs ADD COLUMN redactions integer NOT NULL DEFAULT 0 CHECK (redactions >= 0);

-- The access log's rows past the clinic's retention (never under six
-- years), counted or deleted: the only way rows leave it. It acts only
-- on the clinic the transaction is scoped to.
CREATE FUNCTION access_log_expire(p_delete boolean)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_org  uuid := nullif(current_setting('app.org_id', true), '')::uuid;
    v_days integer;
    v_n    bigint;
BEGIN
    SELECT greatest(access_log_retention_days, 2192) INTO v_days FROM organizations WHERE id = v_org;
    IF v_days IS NULL THEN
        RETURN 0;
    END IF;
    IF p_delete THEN
        DELETE FROM access_log WHERE org_id = v_org AND at < now() - make_interval(days => v_days);
        GET DIAGNOSTICS v_n = ROW_COUNT;
    ELSE
        SELECT count(*) INTO v_n FROM access_log WHERE org_id = v_org AND at < now() - make_interval(days => v_days);
    END IF;
    RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION access_log_expire(boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION access_log_expire(boolean) TO frontdesk_app;

-- The clinics the periodic sweeps visit: every active one.
CREATE FUNCTION sweep_orgs()
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT id FROM organizations WHERE status = 'active'
$$;
REVOKE ALL ON FUNCTION sweep_orgs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sweep_orgs() TO frontdesk_app;
