-- Dashboard sessions, only through their fenced functions (0020).

-- name: WebSessionStart :exec
SELECT web_session_start(@token_hash::bytea, @user_id::uuid, @csrf::text, @lifetime_seconds::integer);

-- name: WebSessionGet :many
SELECT s.user_id::uuid AS user_id, s.org_id::uuid AS org_id, s.csrf::text AS csrf, s.email::text AS email, s.name::text AS name,
       s.member_org_ids::uuid[] AS member_org_ids, s.member_org_names::text[] AS member_org_names, s.member_roles::text[] AS member_roles
FROM web_session_get(@token_hash::bytea, @idle_seconds::integer) AS s;

-- name: WebSessionSetOrg :one
SELECT web_session_set_org(@token_hash::bytea, @org_id::uuid);

-- name: WebSessionEnd :exec
SELECT web_session_end(@token_hash::bytea);

-- name: WebSessionEndUser :exec
SELECT web_session_end_user(@user_id::uuid);
