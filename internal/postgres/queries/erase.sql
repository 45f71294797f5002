-- Erasing one patient (by number) on request; see 0028_patient_erasure.sql.

-- name: GetErasure :one
SELECT id, finished_at FROM patient_erasures WHERE org_id = @org_id AND patient_key = @patient_key;

-- name: StartErasure :one
INSERT INTO patient_erasures (org_id, patient_key, user_id, operator)
VALUES (@org_id, @patient_key, @user_id, @operator)
RETURNING id;

-- name: FinishErasure :exec
UPDATE patient_erasures SET finished_at = now(), calls = @calls, recordings = @recordings, bookings = @bookings, texts = @texts
WHERE org_id = @org_id AND id = @id;

-- name: PatientRecordingKeys :many
SELECT recording_key FROM call_logs
WHERE org_id = @org_id AND recording_key <> ''
  AND ((direction <> 'outbound' AND from_number = @phone) OR (direction = 'outbound' AND to_number = @phone));

-- name: PatientUpcomingBookings :many
SELECT id FROM bookings
WHERE org_id = @org_id AND patient_phone = @phone AND status IN ('confirmed', 'held') AND starts_at > now();

-- name: EraseCalls :execrows
UPDATE call_logs
SET caller_name = 'erased', summary = '', transcript = '', recording_key = '', recording_url = '', recording_sha256 = '',
    recording_status = CASE WHEN recording_status = 'none' THEN 'none' ELSE 'deleted' END,
    recording_error = '', recording_size = NULL, recording_stored_at = NULL,
    from_number = CASE WHEN direction <> 'outbound' THEN @patient_key ELSE from_number END,
    to_number = CASE WHEN direction = 'outbound' THEN @patient_key ELSE to_number END,
    updated_at = now()
WHERE org_id = @org_id
  AND ((direction <> 'outbound' AND from_number = @phone) OR (direction = 'outbound' AND to_number = @phone));

-- name: EraseToolCalls :exec
UPDATE call_tool_calls t SET arguments = '{}', result = ''
FROM call_logs c
WHERE t.org_id = @org_id AND c.org_id = t.org_id AND c.id = t.call_id
  AND (c.from_number = @patient_key OR c.to_number = @patient_key);

-- name: EraseVerifications :exec
UPDATE call_verifications SET phone = @patient_key WHERE org_id = @org_id AND phone = @phone;

-- name: EraseBookings :execrows
UPDATE bookings SET patient_name = 'erased', patient_phone = @patient_key WHERE org_id = @org_id AND patient_phone = @phone;

-- name: EraseTexts :execrows
UPDATE sms_confirmation_logs
SET body = '', to_number = @patient_key, status = CASE WHEN status = 'pending' THEN 'canceled' ELSE status END, updated_at = now()
WHERE org_id = @org_id AND to_number = @phone;

-- name: EraseInbound :execrows
UPDATE sms_inbound SET body = '', from_number = @patient_key WHERE org_id = @org_id AND from_number = @phone;

-- name: EraseCallbacks :exec
UPDATE callback_requests
SET reason = 'erased', note = '',
    caller_number = CASE WHEN caller_number = @phone THEN @patient_key ELSE caller_number END,
    callback_number = CASE WHEN callback_number = @phone THEN @patient_key ELSE callback_number END
WHERE org_id = @org_id AND (caller_number = @phone OR callback_number = @phone);

-- name: EraseOptOut :exec
WITH gone AS (DELETE FROM sms_opt_outs o WHERE o.org_id = @org_id AND o.phone = @phone RETURNING o.org_id AS gone_org)
INSERT INTO sms_opt_outs (org_id, phone) SELECT gone_org, @patient_key FROM gone ON CONFLICT DO NOTHING;
