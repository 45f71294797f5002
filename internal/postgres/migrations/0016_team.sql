-- Team management: owners and admins add people by email (a new account
-- gets a one-time password it must change at first sign-in), change roles,
-- remove members and reset passwords.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- Roles change and members leave within the acting clinic (RLS).
GRANT UPDATE (role), DELETE ON memberships TO frontdesk_app;

-- Sign-in also says whether the password is a one-time one.
DROP FUNCTION auth_login_lookup(text);
CREATE FUNCTION auth_login_lookup(p_email text)
RETURNS TABLE (user_id uuid, password_hash text, must_change_password boolean)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT u.id, u.password_hash, u.must_change_password FROM users u WHERE u.email = lower(p_email)
$$;
REVOKE ALL ON FUNCTION auth_login_lookup(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_login_lookup(text) TO frontdesk_app;

-- A user sets their own password (after proving the current one, which the
-- caller has checked): the one-time flag ends.
CREATE FUNCTION auth_set_own_password(p_user_id uuid, p_password_hash text)
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    UPDATE users SET password_hash = p_password_hash, must_change_password = false WHERE id = p_user_id
$$;
REVOKE ALL ON FUNCTION auth_set_own_password(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION auth_set_own_password(uuid, text) TO frontdesk_app;

-- team_add adds the person with this email to the acting clinic (app.org_id),
-- creating their account with a one-time password hash when there is none.
-- Only an admin or owner of the acting clinic (app.user_id) may, and only
-- an owner may add an owner. It never reveals anything of another clinic:
-- an existing account keeps its password, name and other clinics.
CREATE FUNCTION team_add(p_email text, p_name text, p_role text, p_password_hash text)
RETURNS TABLE (user_id uuid, created boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
    v_actor uuid := nullif(current_setting('app.user_id', true), '')::uuid;
    v_actor_role text;
    v_user uuid;
    v_created boolean := false;
BEGIN
    SELECT m.role INTO v_actor_role FROM memberships m WHERE m.org_id = v_org AND m.user_id = v_actor;
    IF v_actor_role IS NULL OR v_actor_role = 'staff' OR (p_role = 'owner' AND v_actor_role <> 'owner') THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = '42501';
    END IF;
    SELECT u.id INTO v_user FROM users u WHERE u.email = lower(p_email);
    IF v_user IS NULL THEN
        INSERT INTO users (email, name, password_hash, must_change_password)
        VALUES (lower(p_email), p_name, p_password_hash, true) RETURNING id INTO v_user;
        v_created := true;
    END IF;
    INSERT INTO memberships (org_id, user_id, role) VALUES (v_org, v_user, p_role);
    RETURN QUERY SELECT v_user, v_created;
END
$$;
REVOKE ALL ON FUNCTION team_add(text, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION team_add(text, text, text, text) TO frontdesk_app;

-- team_reset_password gives a member of the acting clinic a one-time
-- password, when the acting user is its admin or owner (an owner's, only
-- an owner) and the member belongs to no other clinic: a clinic must not
-- take over an account another clinic relies on. Returns 'reset',
-- 'not_member' or 'shared' (a member of another clinic too).
CREATE FUNCTION team_reset_password(p_user_id uuid, p_password_hash text)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    v_org uuid := nullif(current_setting('app.org_id', true), '')::uuid;
    v_actor uuid := nullif(current_setting('app.user_id', true), '')::uuid;
    v_actor_role text;
    v_target_role text;
BEGIN
    SELECT m.role INTO v_actor_role FROM memberships m WHERE m.org_id = v_org AND m.user_id = v_actor;
    SELECT m.role INTO v_target_role FROM memberships m WHERE m.org_id = v_org AND m.user_id = p_user_id;
    IF v_target_role IS NULL THEN
        RETURN 'not_member';
    END IF;
    IF v_actor_role IS NULL OR v_actor_role = 'staff' OR (v_target_role = 'owner' AND v_actor_role <> 'owner') THEN
        RAISE EXCEPTION 'not allowed' USING ERRCODE = '42501';
    END IF;
    IF EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = p_user_id AND m.org_id <> v_org) THEN
        RETURN 'shared';
    END IF;
    UPDATE users SET password_hash = p_password_hash, must_change_password = true WHERE id = p_user_id;
    RETURN 'reset';
END
$$;
REVOKE ALL ON FUNCTION team_reset_password(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION team_reset_password(uuid, text) TO frontdesk_app;
