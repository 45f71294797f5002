-- One patient's data (by phone number): the timeline, the export.

-- name: PatientCalls :many
-- A page of the patient's calls, newest first, after a keyset position.
SELECT id, direction, status, from_number, to_number, caller_name, started_at, ended_at, duration_seconds,
       outcome, summary, transcript, recording_status, recording_key
FROM call_logs
WHERE org_id = @org_id
  AND ((direction <> 'outbound' AND from_number = @phone) OR (direction = 'outbound' AND to_number = @phone))
  AND (started_at, id) < (@before_at::timestamptz, @before_id::uuid)
ORDER BY started_at DESC, id DESC
LIMIT @row_limit;

-- name: PatientBookings :many
SELECT b.id, b.status, b.starts_at, b.ends_at, b.patient_name, b.source, b.call_id, b.patient_confirmed_at, b.created_at,
       s.name AS service_name, r.name AS resource_name
FROM bookings b
JOIN services s ON s.org_id = b.org_id AND s.id = b.service_id
JOIN resources r ON r.org_id = b.org_id AND r.id = b.resource_id
WHERE b.org_id = @org_id AND b.patient_phone = @phone
ORDER BY b.starts_at DESC
LIMIT 1000;

-- name: PatientTexts :many
SELECT id, kind, body, status, error_message, created_at
FROM sms_confirmation_logs
WHERE org_id = @org_id AND to_number = @phone
ORDER BY created_at DESC
LIMIT 1000;

-- name: PatientInbound :many
SELECT id, body, action, received_at
FROM sms_inbound
WHERE org_id = @org_id AND from_number = @phone
ORDER BY received_at DESC
LIMIT 1000;

-- name: PatientCallbacks :many
SELECT id, call_id, callback_number, reason, urgency, status, note, created_at, done_at
FROM callback_requests
WHERE org_id = @org_id AND (caller_number = @phone OR callback_number = @phone)
ORDER BY created_at DESC
LIMIT 1000;

-- name: PatientOptOut :one
SELECT opted_out_at FROM sms_opt_outs WHERE org_id = @org_id AND phone = @phone;
