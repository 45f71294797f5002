-- Callback requests the agent takes for the staff.

-- name: AddCallbackRequest :one
INSERT INTO callback_requests (org_id, call_id, caller_number, callback_number, reason, urgency)
VALUES (@org_id, @call_id, @caller_number, @callback_number, @reason, @urgency)
RETURNING id;

-- name: ListCallbackRequests :many
SELECT id, call_id, caller_number, callback_number, reason, urgency, status, created_at, done_at, note, note_at
FROM callback_requests
WHERE org_id = @org_id AND (sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text)
ORDER BY status = 'done', urgency = 'routine', created_at DESC
LIMIT 500;

-- name: MarkCallbackDone :execrows
UPDATE callback_requests SET status = 'done', done_at = now(), done_by = @done_by
WHERE org_id = @org_id AND id = @id AND status = 'open';

-- name: SetCallbackNote :execrows
UPDATE callback_requests SET note = @note, note_at = now(), note_by = @note_by
WHERE org_id = @org_id AND id = @id;

-- name: CallbackRequestExists :one
SELECT EXISTS (SELECT 1 FROM callback_requests WHERE org_id = @org_id AND id = @id);

-- name: CallCallbackRequests :many
SELECT id, call_id, caller_number, callback_number, reason, urgency, status, created_at, done_at, note, note_at
FROM callback_requests WHERE org_id = @org_id AND call_id = @call_id ORDER BY created_at, id;

-- name: AddCallTransfer :exec
INSERT INTO call_transfers (org_id, call_id, destination, number, outcome, event_key)
VALUES (@org_id, @call_id, @destination, @number, @outcome, @event_key)
ON CONFLICT (org_id, event_key) DO NOTHING;

-- name: CallTransfers :many
SELECT destination, number, outcome, created_at
FROM call_transfers WHERE org_id = @org_id AND call_id = @call_id ORDER BY created_at, id;

-- name: AddCallVerification :one
-- A code texted on a call; at most three per call (the caller checks the
-- count first, in the same transaction, under the call's row lock).
INSERT INTO call_verifications (org_id, call_id, phone, code_hash, code_sealed, sms_log_id, expires_at)
VALUES (@org_id, @call_id, @phone, @code_hash, @code_sealed, @sms_log_id, @expires_at)
RETURNING id;

-- name: VerificationCodeOfText :one
-- The sealed code a verification text carries, until it is sent.
SELECT code_sealed FROM call_verifications WHERE org_id = @org_id AND sms_log_id = @sms_log_id::uuid;

-- name: ForgetVerificationCode :exec
UPDATE call_verifications SET code_sealed = NULL WHERE org_id = @org_id AND sms_log_id = @sms_log_id::uuid;

-- name: CallVerifications :many
-- The call's codes, newest first, its row locked so tries are counted once.
SELECT id, phone, code_hash, attempts, expires_at, verified_at, created_at
FROM call_verifications WHERE org_id = @org_id AND call_id = @call_id
ORDER BY created_at DESC, id
FOR UPDATE;

-- name: RecordVerificationTry :exec
UPDATE call_verifications
SET attempts = attempts + 1,
    verified_at = CASE WHEN sqlc.arg(matched)::bool THEN now() ELSE verified_at END
WHERE org_id = @org_id AND id = @id;

-- name: LockCall :one
SELECT id FROM call_logs WHERE org_id = @org_id AND id = @id FOR UPDATE;
