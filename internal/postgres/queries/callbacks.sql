-- Callback requests the agent takes for the staff.

-- name: AddCallbackRequest :one
INSERT INTO callback_requests (org_id, call_id, caller_number, callback_number, reason, urgency)
VALUES (@org_id, @call_id, @caller_number, @callback_number, @reason, @urgency)
RETURNING id;

-- name: ListCallbackRequests :many
SELECT id, call_id, caller_number, callback_number, reason, urgency, status, created_at, done_at
FROM callback_requests
WHERE org_id = @org_id AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
ORDER BY status = 'done', urgency = 'routine', created_at DESC
LIMIT 500;

-- name: MarkCallbackDone :execrows
UPDATE callback_requests SET status = 'done', done_at = now(), done_by = @done_by
WHERE org_id = @org_id AND id = @id AND status = 'open';

-- name: CallbackRequestExists :one
SELECT EXISTS (SELECT 1 FROM callback_requests WHERE org_id = @org_id AND id = @id);
