-- Operator queries, run by the owner role (which bypasses RLS) from admin
-- commands, demo data and tests. Never reachable from an HTTP request.

-- name: CreateOrg :one
INSERT INTO organizations (name, timezone, country) VALUES (@name, @timezone, @country)
RETURNING id;

-- name: CreateUser :one
INSERT INTO users (email, name, password_hash) VALUES (lower(@email), @name, sqlc.narg(password_hash))
RETURNING id;

-- name: AddMember :exec
INSERT INTO memberships (org_id, user_id, role) VALUES (@org_id, @user_id, @role)
ON CONFLICT (org_id, user_id) DO UPDATE SET role = excluded.role;

-- name: UserByEmail :one
SELECT id, email, name FROM users WHERE email = lower(@email);

-- name: OrgExists :one
SELECT EXISTS (SELECT 1 FROM organizations WHERE id = @id);

-- name: CountOrgs :one
SELECT count(*) FROM organizations;

-- name: InsertCalls :copyfrom
INSERT INTO call_logs (org_id, id, provider, provider_call_id, direction, status, from_number, to_number,
                       caller_name, started_at, ended_at, duration_seconds, ended_reason, summary,
                       transcript, recording_status, cost_usd, outcome)
VALUES (@org_id, @id, @provider, @provider_call_id, @direction, @status, @from_number, @to_number,
        @caller_name, @started_at, @ended_at, @duration_seconds, @ended_reason, @summary,
        @transcript, @recording_status, @cost_usd, @outcome);

-- name: DemoCallsToRecord :many
-- The clinic's latest ended calls with a transcript, to give recordings:
-- the latest that made a booking among them.
SELECT id, outcome, started_at, from_number, caller_name, summary FROM call_logs
WHERE org_id = @org_id AND status = 'ended' AND transcript <> '' AND recording_status = 'none'
ORDER BY outcome IS NOT DISTINCT FROM 'booked' AND started_at > now() - interval '7 days' DESC, started_at DESC
LIMIT @row_limit;

-- name: ListAuditEvents :many
-- Newest first. cross_tenant says whether the object asked for exists in
-- another clinic (as opposed to nowhere): only the operator may know that.
SELECT a.occurred_at, a.org_id, o.name AS org_name, a.user_id, coalesce(u.email, '') AS user_email,
       a.action, a.resource_type, a.resource_id, a.request_id, a.remote_addr,
       CASE a.resource_type
         WHEN 'call' THEN EXISTS (SELECT 1 FROM call_logs x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'booking' THEN EXISTS (SELECT 1 FROM bookings x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'service' THEN EXISTS (SELECT 1 FROM services x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'resource' THEN EXISTS (SELECT 1 FROM resources x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'closure' THEN EXISTS (SELECT 1 FROM closures x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'article' THEN EXISTS (SELECT 1 FROM kb_articles x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'connection' THEN EXISTS (SELECT 1 FROM calendar_connections x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'phone-number' THEN EXISTS (SELECT 1 FROM voice_routes x WHERE x.kind = 'phone_number' AND x.value = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'assistant' THEN EXISTS (SELECT 1 FROM voice_routes x WHERE x.kind = 'assistant' AND x.value = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'callback' THEN EXISTS (SELECT 1 FROM callback_requests x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'campaign' THEN EXISTS (SELECT 1 FROM campaigns x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'inbound' THEN EXISTS (SELECT 1 FROM sms_inbound x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'text' THEN EXISTS (SELECT 1 FROM sms_confirmation_logs x WHERE x.id::text = a.resource_id AND x.org_id <> a.org_id)
         WHEN 'user' THEN EXISTS (SELECT 1 FROM memberships x WHERE x.user_id::text = a.resource_id AND x.org_id <> a.org_id)
         ELSE false
       END::boolean AS cross_tenant
FROM audit_events a
JOIN organizations o ON o.id = a.org_id
LEFT JOIN users u ON u.id = a.user_id
WHERE a.occurred_at >= @since
ORDER BY a.occurred_at DESC
LIMIT @row_limit;

-- name: OrgsOfUser :many
SELECT o.id, o.name, m.role
FROM memberships m JOIN organizations o ON o.id = m.org_id
WHERE m.user_id = @user_id
ORDER BY o.name;

-- name: RecentCallIDs :many
SELECT id FROM call_logs WHERE org_id = @org_id ORDER BY started_at DESC, id DESC LIMIT @row_limit;

-- name: ListUsers :many
SELECT u.id, u.email, u.name, u.password_hash IS NOT NULL AS has_password, u.must_change_password,
       coalesce(string_agg(o.name || ' (' || m.role || ')', ', ' ORDER BY o.name), '')::text AS clinics
FROM users u
LEFT JOIN memberships m ON m.user_id = u.id
LEFT JOIN organizations o ON o.id = m.org_id
GROUP BY u.id ORDER BY u.email;

-- name: SetUserPassword :execrows
-- The operator sets a password; a generated one must be changed at the
-- next sign-in.
UPDATE users SET password_hash = @password_hash, must_change_password = @must_change WHERE email = lower(@email);

-- name: ListOrgs :many
SELECT o.id, o.name, o.timezone, o.country, o.status,
       (SELECT count(*) FROM memberships m WHERE m.org_id = o.id) AS members
FROM organizations o ORDER BY o.name;

-- name: ListMembers :many
SELECT u.id, u.email, u.name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
WHERE m.org_id = @org_id ORDER BY m.role = 'staff', m.role = 'admin', u.email;

-- name: RemoveMember :execrows
DELETE FROM memberships WHERE org_id = @org_id AND user_id = @user_id;
