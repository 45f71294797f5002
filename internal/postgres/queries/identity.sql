-- Identity lookups. The auth_* functions are the fenced cross-tenant reads
-- (see migrations/0001_foundation.sql); the rest run inside InTenant.

-- name: LoginLookup :one
SELECT l.user_id::uuid AS user_id, coalesce(l.password_hash, '')::text AS password_hash,
       l.must_change_password::boolean AS must_change_password
FROM auth_login_lookup(@email::text) AS l;

-- name: UserMemberships :many
SELECT m.org_id::uuid AS org_id, m.org_name::text AS org_name, m.role::text AS role
FROM auth_user_memberships(@user_id::uuid) AS m;

-- name: ActingMember :one
-- The acting clinic and the acting user's role in it, read when a tenant
-- transaction opens: no row means "not a member".
SELECT m.role, o.name, o.timezone, o.country
FROM memberships m
JOIN organizations o ON o.id = m.org_id
WHERE m.org_id = @org_id AND m.user_id = @user_id AND o.status = 'active';

-- name: UserProfile :one
SELECT p.user_id::uuid AS user_id, p.email::text AS email, p.name::text AS name
FROM auth_user_profile(@user_id::uuid) AS p;

-- name: TenantOrg :one
-- The clinic of a tenant transaction that no user acts in (a job); the
-- same columns as ActingMember, with no role.
SELECT ''::text AS role, name, timezone, country FROM organizations WHERE id = @id AND status = 'active';

-- name: LoginReserve :one
SELECT auth_login_reserve(@email::text, @address::text)::integer AS wait_seconds;

-- name: LoginRelease :exec
SELECT auth_login_release(@email::text, @address::text);

-- name: UnlockLogin :execrows
-- The operator lifts an account's locks (every address).
DELETE FROM login_failures
WHERE (scope = 'account' AND key = lower(@email::text))
   OR (scope = 'account_address' AND starts_with(key, lower(@email::text) || ' '));

-- name: SealedKeyCheck :many
SELECT sealed FROM secret_key_check;

-- name: AddSecretKeyCheck :exec
INSERT INTO secret_key_check (sealed) VALUES (@sealed) ON CONFLICT (id) DO NOTHING;

-- name: SetOwnPassword :exec
SELECT auth_set_own_password(@user_id::uuid, @password_hash::text);

-- name: ClinicAuditEvents :many
-- The clinic's audit trail, newest first.
SELECT a.occurred_at, coalesce(u.email, '')::text AS user_email, a.action, a.resource_type, a.resource_id, a.remote_addr
FROM audit_events a LEFT JOIN users u ON u.id = a.user_id
WHERE a.org_id = @org_id
ORDER BY a.occurred_at DESC
LIMIT 300;

-- name: RenameOrg :execrows
UPDATE organizations SET name = @name WHERE id = @id;
