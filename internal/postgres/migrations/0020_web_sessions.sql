-- The dashboard's sign-in sessions. The cookie holds a random token; only
-- its SHA-256 is kept. A session ends after an idle time or an absolute
-- lifetime, on sign-out, and for every session of a user whose password
-- changes. The acting clinic lives here, never in a URL or a form.
-- The app role has no grant on the table: only the web_session_*
-- functions below touch it, one session (by its token) at a time.
CREATE TABLE web_sessions (
    token_hash   bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    user_id      uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id       uuid REFERENCES organizations (id) ON DELETE SET NULL,
    csrf         text NOT NULL CHECK (length(csrf) >= 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX web_sessions_user_idx ON web_sessions (user_id);
ALTER TABLE web_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE web_sessions FORCE ROW LEVEL SECURITY;

CREATE FUNCTION web_session_start(p_hash bytea, p_user uuid, p_csrf text, p_lifetime_seconds integer)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF random() < 0.01 THEN
        DELETE FROM web_sessions WHERE expires_at < now();
    END IF;
    INSERT INTO web_sessions (token_hash, user_id, csrf, expires_at)
    VALUES (p_hash, p_user, p_csrf, now() + make_interval(secs => p_lifetime_seconds));
END
$$;

-- web_session_get is the live session of this token, seen now (the time
-- kept to the minute, so most requests write nothing), with its user's
-- email, name and active memberships (as auth_user_memberships lists
-- them): a page's visitor in one round trip. An idle or expired session
-- is deleted and nothing comes back.
CREATE FUNCTION web_session_get(p_hash bytea, p_idle_seconds integer)
RETURNS TABLE (user_id uuid, org_id uuid, csrf text, email text, name text,
               member_org_ids uuid[], member_org_names text[], member_roles text[])
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    DELETE FROM web_sessions s WHERE s.token_hash = p_hash
        AND (s.expires_at <= now() OR s.last_seen_at <= now() - make_interval(secs => p_idle_seconds));
    UPDATE web_sessions s SET last_seen_at = now()
    WHERE s.token_hash = p_hash AND s.last_seen_at < now() - interval '1 minute';
    RETURN QUERY
    SELECT s.user_id, s.org_id, s.csrf, u.email, u.name,
           coalesce(ms.ids, '{}'), coalesce(ms.names, '{}'), coalesce(ms.roles, '{}')
    FROM web_sessions s JOIN users u ON u.id = s.user_id
    LEFT JOIN LATERAL (SELECT array_agg(m.org_id) AS ids, array_agg(m.org_name) AS names, array_agg(m.role) AS roles
                       FROM auth_user_memberships(s.user_id) m) ms ON true
    WHERE s.token_hash = p_hash;
END
$$;

-- web_session_set_org makes org the session's acting clinic, if the user
-- is a member of it; it reports whether it did.
CREATE FUNCTION web_session_set_org(p_hash bytea, p_org uuid)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH done AS (
        UPDATE web_sessions s SET org_id = p_org
        WHERE s.token_hash = p_hash
          AND EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.org_id
                      WHERE m.user_id = s.user_id AND m.org_id = p_org AND o.status = 'active')
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM done)
$$;

CREATE FUNCTION web_session_end(p_hash bytea)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM web_sessions WHERE token_hash = p_hash
$$;

-- web_session_end_user ends every session of the user (a changed or reset
-- password).
CREATE FUNCTION web_session_end_user(p_user uuid)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    DELETE FROM web_sessions WHERE user_id = p_user
$$;

REVOKE ALL ON FUNCTION web_session_start(bytea, uuid, text, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_get(bytea, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_set_org(bytea, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_end(bytea) FROM PUBLIC;
REVOKE ALL ON FUNCTION web_session_end_user(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION web_session_start(bytea, uuid, text, integer) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION web_session_get(bytea, integer) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION web_session_set_org(bytea, uuid) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION web_session_end(bytea) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION web_session_end_user(uuid) TO frontdesk_app;
