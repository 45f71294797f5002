-- Failed sign-ins, counted in PostgreSQL so that every `serve` process
-- shares the counts and a restart does not clear them. Three limits, each a
-- fixed window:
--   account_address  one account from one client address: 5 per 15 minutes
--   address          one client address, any account: 30 per 15 minutes
--   account          one account, any address: 100 per hour
-- A stranger's failures lock an account out only from the stranger's
-- address; the account limit stops a distributed guess without locking the
-- account's owner out at the first failures.
CREATE TABLE login_failures (
    scope        text NOT NULL CHECK (scope IN ('account_address', 'address', 'account')),
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    failures     integer NOT NULL CHECK (failures >= 0),
    PRIMARY KEY (scope, key, window_start)
);
CREATE INDEX login_failures_window_idx ON login_failures (window_start);

-- The limits, one row each (the window's length in seconds).
CREATE FUNCTION login_limits(p_email text, p_address text)
RETURNS TABLE (scope text, key text, max_failures integer, window_start timestamptz, window_end timestamptz)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
    SELECT l.scope, l.key, l.max_failures,
           to_timestamp(floor(extract(epoch FROM now()) / l.seconds) * l.seconds),
           to_timestamp(floor(extract(epoch FROM now()) / l.seconds) * l.seconds + l.seconds)
    FROM (VALUES ('account_address', lower(p_email) || ' ' || p_address, 5, 900),
                 ('address', p_address, 30, 900),
                 ('account', lower(p_email), 100, 3600)) AS l(scope, key, max_failures, seconds)
    ORDER BY 1
$$;

-- auth_login_reserve counts this attempt against every limit before the
-- password is checked, atomically (row locks, always taken in the same
-- order): it returns 0 when the attempt may go ahead, else the seconds to
-- wait, and a refused attempt is not counted. N parallel attempts past a
-- limit of 5 make 5 password checks, not N.
CREATE FUNCTION auth_login_reserve(p_email text, p_address text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    l record;
    n integer;
    wait integer := 0;
BEGIN
    IF random() < 0.01 THEN
        DELETE FROM login_failures WHERE window_start < now() - interval '1 day';
    END IF;
    FOR l IN SELECT * FROM login_limits(p_email, p_address) LOOP
        INSERT INTO login_failures AS f (scope, key, window_start, failures)
        VALUES (l.scope, l.key, l.window_start, 1)
        ON CONFLICT (scope, key, window_start) DO UPDATE SET failures = f.failures + 1
        RETURNING f.failures INTO n;
        IF n > l.max_failures THEN
            wait := greatest(wait, ceil(extract(epoch FROM l.window_end - now()))::integer, 1);
        END IF;
    END LOOP;
    IF wait > 0 THEN
        UPDATE login_failures f SET failures = f.failures - 1
        FROM login_limits(p_email, p_address) lim
        WHERE f.scope = lim.scope AND f.key = lim.key AND f.window_start = lim.window_start;
    END IF;
    RETURN wait;
END
$$;

-- auth_login_release gives back a reserved attempt whose password was
-- right: only failures count.
CREATE FUNCTION auth_login_release(p_email text, p_address text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE login_failures f SET failures = greatest(f.failures - 1, 0)
    FROM login_limits(p_email, p_address) l
    WHERE f.scope = l.scope AND f.key = l.key AND f.window_start = l.window_start
$$;

REVOKE ALL ON FUNCTION login_limits(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_login_reserve(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION auth_login_release(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login_reserve(text, text) TO frontdesk_app;
GRANT EXECUTE ON FUNCTION auth_login_release(text, text) TO frontdesk_app;
