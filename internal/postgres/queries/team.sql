-- Team management, inside the acting clinic's transaction.

-- name: TeamMembers :many
SELECT m.user_id, u.email, u.name, m.role, u.must_change_password, m.created_at
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = @org_id
ORDER BY m.role = 'staff', m.role = 'admin', u.email;

-- name: TeamMember :one
SELECT m.user_id, u.email, u.name, m.role
FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = @org_id AND m.user_id = @user_id;

-- name: TeamOwners :one
SELECT count(*) FROM memberships WHERE org_id = @org_id AND role = 'owner';

-- name: TeamAdd :one
SELECT t.user_id::uuid AS user_id, t.created::boolean AS created
FROM team_add(@email::text, @name::text, @role::text, @password_hash::text) AS t;

-- name: TeamSetRole :execrows
UPDATE memberships SET role = @role WHERE org_id = @org_id AND user_id = @user_id;

-- name: TeamRemove :execrows
DELETE FROM memberships WHERE org_id = @org_id AND user_id = @user_id;

-- name: TeamResetPassword :one
SELECT team_reset_password(@user_id::uuid, @password_hash::text)::text AS outcome;
