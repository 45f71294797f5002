-- Voice agent setup and Vapi webhooks. All run inside InTenant except
-- VapiRouteOrg, the fenced lookup of which clinic a webhook belongs to.

-- name: VapiRouteOrg :one
SELECT coalesce(vapi_route_org(@phone_number::text, @assistant_id::text), '00000000-0000-0000-0000-000000000000')::uuid AS org_id;

-- name: AddVoiceRoute :exec
INSERT INTO voice_routes (org_id, kind, value) VALUES (@org_id, @kind, @value);

-- name: ListVoiceRoutes :many
SELECT value, created_at FROM voice_routes WHERE org_id = @org_id AND kind = @kind ORDER BY value;

-- name: DeleteVoiceRoute :execrows
DELETE FROM voice_routes WHERE org_id = @org_id AND kind = @kind AND value = @value;

-- name: AddVoiceSecret :exec
INSERT INTO voice_secrets (org_id, ciphertext) VALUES (@org_id, @ciphertext);

-- name: ExpireVoiceSecrets :exec
-- Rotation: every secret still valid at @expires_at stops being valid then.
UPDATE voice_secrets SET expires_at = @expires_at
WHERE org_id = @org_id AND (expires_at IS NULL OR expires_at > @expires_at);

-- name: ActiveVoiceSecrets :many
SELECT ciphertext FROM voice_secrets
WHERE org_id = @org_id AND (expires_at IS NULL OR expires_at > now())
ORDER BY created_at DESC
LIMIT 5;

-- name: RecordWebhookEvent :execrows
-- No row affected: this event was applied before.
INSERT INTO webhook_events (org_id, provider, event_key, event_type)
VALUES (@org_id, @provider, @event_key, @event_type)
ON CONFLICT DO NOTHING;

-- name: ApplyCallStatus :exec
-- A status-update. Status only moves forward; numbers and names fill in
-- only where still empty; an in-progress update dates the call's start
-- unless the end-of-call report (which carries the real start) came first.
INSERT INTO call_logs AS c (org_id, provider, provider_call_id, direction, status, from_number, to_number,
                            caller_name, started_at)
VALUES (@org_id, 'vapi', @provider_call_id, @direction, @status, @from_number, @to_number, @caller_name, @started_at)
ON CONFLICT (org_id, provider, provider_call_id) DO UPDATE SET
    status = CASE WHEN array_position(ARRAY['queued', 'ringing', 'in-progress', 'forwarding', 'ended'], excluded.status)
                     > array_position(ARRAY['queued', 'ringing', 'in-progress', 'forwarding', 'ended'], c.status)
                  THEN excluded.status ELSE c.status END,
    started_at = CASE WHEN c.ended_at IS NULL AND excluded.status = 'in-progress' THEN excluded.started_at
                      ELSE c.started_at END,
    from_number = CASE WHEN c.from_number = '' THEN excluded.from_number ELSE c.from_number END,
    to_number = CASE WHEN c.to_number = '' THEN excluded.to_number ELSE c.to_number END,
    caller_name = CASE WHEN c.caller_name = '' THEN excluded.caller_name ELSE c.caller_name END,
    updated_at = now();

-- name: ApplyEndOfCallReport :one
-- The end-of-call report: the call is ended, with what the report says.
INSERT INTO call_logs AS c (org_id, provider, provider_call_id, direction, status, from_number, to_number,
                            caller_name, started_at, ended_at, duration_seconds, ended_reason, summary,
                            transcript, cost_usd, recording_url, outcome)
VALUES (@org_id, 'vapi', @provider_call_id, @direction, 'ended', @from_number, @to_number, @caller_name,
        @started_at, sqlc.narg(ended_at), sqlc.narg(duration_seconds), @ended_reason, @summary, @transcript,
        sqlc.narg(cost_usd), @recording_url, sqlc.narg(outcome))
ON CONFLICT (org_id, provider, provider_call_id) DO UPDATE SET
    status = 'ended',
    started_at = CASE WHEN sqlc.arg(started_at_known)::bool THEN excluded.started_at ELSE c.started_at END,
    ended_at = coalesce(excluded.ended_at, c.ended_at, now()),
    duration_seconds = coalesce(excluded.duration_seconds, c.duration_seconds),
    ended_reason = excluded.ended_reason,
    summary = excluded.summary,
    transcript = excluded.transcript,
    cost_usd = coalesce(excluded.cost_usd, c.cost_usd),
    outcome = coalesce(excluded.outcome, c.outcome),
    recording_url = CASE WHEN c.recording_status IN ('none', 'failed') THEN excluded.recording_url ELSE c.recording_url END,
    from_number = CASE WHEN c.from_number = '' THEN excluded.from_number ELSE c.from_number END,
    to_number = CASE WHEN c.to_number = '' THEN excluded.to_number ELSE c.to_number END,
    caller_name = CASE WHEN c.caller_name = '' THEN excluded.caller_name ELSE c.caller_name END,
    updated_at = now()
RETURNING id, recording_status, recording_url;

-- name: ApplyHang :exec
INSERT INTO call_logs AS c (org_id, provider, provider_call_id, direction, status, started_at, last_hang_at)
VALUES (@org_id, 'vapi', @provider_call_id, @direction, 'in-progress', @at, @at)
ON CONFLICT (org_id, provider, provider_call_id) DO UPDATE SET
    last_hang_at = greatest(c.last_hang_at, excluded.last_hang_at),
    updated_at = now();

-- name: PendingRecordings :one
SELECT count(*) FROM call_logs WHERE org_id = @org_id AND recording_status = 'pending';

-- name: MarkRecordingPending :execrows
UPDATE call_logs SET recording_status = 'pending', recording_error = '', updated_at = now()
WHERE org_id = @org_id AND id = @id AND recording_url <> '' AND recording_status IN ('none', 'failed');

-- name: RecordingTarget :one
SELECT recording_status, recording_url, recording_key FROM call_logs WHERE org_id = @org_id AND id = @id;

-- name: MarkRecordingStored :exec
UPDATE call_logs SET recording_status = 'stored', recording_key = @recording_key, recording_size = @recording_size,
       recording_sha256 = @recording_sha256, recording_stored_at = now(), recording_error = '', updated_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: MarkRecordingFailed :exec
UPDATE call_logs SET recording_status = 'failed', recording_error = @recording_error, updated_at = now()
WHERE org_id = @org_id AND id = @id AND recording_status <> 'stored';

-- name: StoredRecording :one
SELECT recording_status, recording_key, recording_size, recording_error, direction, from_number, to_number FROM call_logs
WHERE org_id = @org_id AND id = @id;

-- name: SweepOrgs :many
SELECT s.org_id::uuid AS org_id FROM sweep_orgs() AS s(org_id);

-- name: StoredRecordings :many
-- One page of a clinic's stored recordings, in id order.
SELECT id, recording_key, started_at FROM call_logs
WHERE org_id = @org_id AND recording_status = 'stored'
  AND (sqlc.narg(after)::uuid IS NULL OR id > sqlc.narg(after))
ORDER BY id
LIMIT @row_limit;

-- name: MarkRecordingDeleted :exec
UPDATE call_logs SET recording_status = 'deleted', recording_key = '', recording_size = NULL, recording_sha256 = '',
       recording_error = '', updated_at = now()
WHERE org_id = @org_id AND id = @id AND recording_status = 'stored';

-- name: MarkRecordingMissing :exec
-- The stored object is gone: failed, so that it can be fetched again.
UPDATE call_logs SET recording_status = 'failed', recording_error = 'the stored object is missing; fetching it again',
       updated_at = now()
WHERE org_id = @org_id AND id = @id AND recording_status = 'stored';

-- name: ExistingCalls :many
-- Which of these call ids the clinic has.
SELECT id FROM call_logs WHERE org_id = @org_id AND id = ANY(@ids::uuid[]);

-- name: SilentCallOrgs :many
SELECT silent_call_orgs::uuid AS org_id FROM silent_call_orgs(@idle_before::timestamptz);

-- name: CloseSilentCalls :execrows
-- Calls with no event since idle_before end as "no-report", at their last
-- event's time; their duration stays unknown.
UPDATE call_logs SET status = 'ended', ended_reason = 'no-report', ended_at = coalesce(ended_at, updated_at),
       updated_at = now()
WHERE org_id = @org_id AND status <> 'ended' AND updated_at < @idle_before;

-- name: StoredVapiAccount :many
SELECT api_key, key_hint, updated_at FROM vapi_accounts WHERE org_id = @org_id;

-- name: SaveVapiAccount :exec
INSERT INTO vapi_accounts (org_id, api_key, key_hint) VALUES (@org_id, @api_key, @key_hint)
ON CONFLICT (org_id) DO UPDATE SET api_key = excluded.api_key, key_hint = excluded.key_hint, updated_at = now();

-- name: DeleteVapiAccount :execrows
DELETE FROM vapi_accounts WHERE org_id = @org_id;
