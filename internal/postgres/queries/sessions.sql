-- Dashboard sessions, only through their fenced functions (0020).

-- name: WebSessionStart :exec
SELECT web_session_start(@token_hash::bytea, @user_id::uuid, @csrf::text, @lifetime_seconds::integer);

-- name: WebSessionGet :many
SELECT s.user_id::uuid AS user_id, s.org_id::uuid AS org_id, s.csrf::text AS csrf
FROM web_session_get(@token_hash::bytea, @idle_seconds::integer) AS s;

-- name: WebSessionSetOrg :one
SELECT web_session_set_org(@token_hash::bytea, @org_id::uuid);

-- name: WebSessionEnd :exec
SELECT web_session_end(@token_hash::bytea);

-- name: WebSessionEndUser :exec
SELECT web_session_end_user(@user_id::uuid);
