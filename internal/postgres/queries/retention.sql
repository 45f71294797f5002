-- How long a clinic keeps each kind of health data, and the sweep that
-- removes what is older.

-- name: RetentionSettings :one
SELECT recording_retention_days, transcript_retention_days, text_retention_days, access_log_retention_days, redact_identifiers
FROM organizations WHERE id = @id;

-- name: SetRetentionSettings :exec
UPDATE organizations
SET recording_retention_days = sqlc.narg(recording_days), transcript_retention_days = sqlc.narg(transcript_days),
    text_retention_days = sqlc.narg(text_days), access_log_retention_days = @access_log_days, redact_identifiers = @redact
WHERE id = @id;

-- name: CountExpiredTranscripts :one
SELECT count(*) FROM call_logs WHERE org_id = @org_id AND started_at < @before AND (transcript <> '' OR summary <> '');

-- name: ExpireTranscripts :execrows
UPDATE call_logs SET transcript = '', summary = '', updated_at = now()
WHERE org_id = @org_id AND started_at < @before AND (transcript <> '' OR summary <> '');

-- name: ExpireToolCalls :exec
UPDATE call_tool_calls t SET arguments = '{}', result = ''
FROM call_logs c
WHERE t.org_id = @org_id AND c.org_id = t.org_id AND c.id = t.call_id AND c.started_at < @before
  AND (t.arguments <> '{}'::jsonb OR t.result <> '');

-- name: CountExpiredTexts :one
SELECT ((SELECT count(*) FROM sms_confirmation_logs s WHERE s.org_id = @org_id AND s.send_at < @before AND s.body <> '' AND s.status <> 'pending')
     + (SELECT count(*) FROM sms_inbound i WHERE i.org_id = @org_id AND i.received_at < @before AND i.body <> ''))::bigint AS n;

-- name: ExpireSentTexts :execrows
UPDATE sms_confirmation_logs SET body = '', updated_at = now()
WHERE org_id = @org_id AND send_at < @before AND body <> '' AND status <> 'pending';

-- name: ExpireReceivedTexts :execrows
UPDATE sms_inbound SET body = '' WHERE org_id = @org_id AND received_at < @before AND body <> '';

-- name: ExpiredRecordings :many
SELECT id, recording_key FROM call_logs
WHERE org_id = @org_id AND recording_status = 'stored' AND started_at < @before
ORDER BY started_at
LIMIT 1000;

-- name: ExpireAccessLog :one
SELECT access_log_expire(@delete::boolean)::bigint;

-- name: SetCallRedactions :exec
UPDATE call_logs SET redactions = redactions + @n WHERE org_id = @org_id AND id = @id;

-- name: CountExpiredRecordings :one
SELECT count(*) FROM call_logs WHERE org_id = @org_id AND recording_status = 'stored' AND started_at < @before;

-- name: OrgRedacts :one
SELECT redact_identifiers FROM organizations WHERE id = @id;
