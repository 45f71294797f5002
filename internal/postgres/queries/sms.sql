-- SMS over the clinic's Twilio account.

-- name: TwilioRouteOrg :one
SELECT coalesce(twilio_route_org(@number::text, @account_sid::text), '00000000-0000-0000-0000-000000000000')::uuid AS org_id;

-- name: GetTwilioAccount :one
SELECT account_sid, auth_token_ciphertext, from_number, confirmation_template, reminder_template,
       reminder_hours_before, quiet_start, quiet_end, updated_at, allowed_countries
FROM twilio_accounts WHERE org_id = @org_id;

-- name: UpsertTwilioAccount :exec
INSERT INTO twilio_accounts (org_id, account_sid, auth_token_ciphertext, from_number, confirmation_template,
                             reminder_template, reminder_hours_before, quiet_start, quiet_end, allowed_countries)
VALUES (@org_id, @account_sid, @auth_token_ciphertext, @from_number, @confirmation_template,
        @reminder_template, @reminder_hours_before, @quiet_start, @quiet_end, sqlc.narg('allowed_countries')::text[])
ON CONFLICT (org_id) DO UPDATE SET account_sid = excluded.account_sid,
    auth_token_ciphertext = excluded.auth_token_ciphertext, from_number = excluded.from_number,
    confirmation_template = excluded.confirmation_template, reminder_template = excluded.reminder_template,
    reminder_hours_before = excluded.reminder_hours_before, quiet_start = excluded.quiet_start,
    quiet_end = excluded.quiet_end, allowed_countries = excluded.allowed_countries, updated_at = now();

-- name: DeleteTwilioAccount :execrows
DELETE FROM twilio_accounts WHERE org_id = @org_id;

-- name: DeleteSMSRoutes :exec
DELETE FROM voice_routes WHERE org_id = @org_id AND kind = 'sms_number';

-- name: AddSMSLog :one
-- One confirmation per booking: a second attempt finds the first and adds
-- nothing (no row returned).
INSERT INTO sms_confirmation_logs (org_id, booking_id, kind, to_number, body, send_at)
VALUES (@org_id, @booking_id, @kind, @to_number, @body, @send_at)
ON CONFLICT (org_id, booking_id, kind) DO NOTHING
RETURNING id;

-- name: SMSLog :one
SELECT l.id, l.booking_id, l.kind, l.to_number, l.body, l.status, l.message_sid, l.send_at,
       coalesce(b.status, '')::text AS booking_status
FROM sms_confirmation_logs l LEFT JOIN bookings b ON b.org_id = l.org_id AND b.id = l.booking_id
WHERE l.org_id = @org_id AND l.id = @id;

-- name: AddCallSMSLog :one
-- A text not about a booking: a one-time code on a call, or a reply of
-- the staff (no call); status 'skipped' with the reason when the rules
-- refused it.
INSERT INTO sms_confirmation_logs (org_id, call_id, kind, to_number, body, status, error_message)
VALUES (@org_id, @call_id, @kind, @to_number, @body, @status, @reason)
RETURNING id;

-- name: MarkSMSSent :exec
UPDATE sms_confirmation_logs SET message_sid = @message_sid, status = @status, updated_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: MarkSMSFailed :exec
UPDATE sms_confirmation_logs SET status = @status, error_code = sqlc.narg(error_code), error_message = @error_message,
       updated_at = now()
WHERE org_id = @org_id AND id = @id AND message_sid IS NULL;

-- name: ApplySMSStatus :execrows
-- A status callback. Statuses arrive repeated and out of order: they only
-- move forward, and a final failure is never undone.
UPDATE sms_confirmation_logs SET status = @status, error_code = coalesce(sqlc.narg(error_code), error_code), updated_at = now()
WHERE org_id = @org_id AND message_sid = @message_sid
  AND status NOT IN ('undelivered', 'failed', 'canceled', 'skipped')
  AND (@status IN ('undelivered', 'failed', 'canceled')
       OR array_position(ARRAY['pending', 'queued', 'sending', 'sent', 'delivered', 'read'], @status::text)
          > array_position(ARRAY['pending', 'queued', 'sending', 'sent', 'delivered', 'read'], status));

-- name: ListSMSLogs :many
SELECT id, booking_id, kind, to_number, body, status, message_sid, error_code, error_message, send_at, created_at
FROM sms_confirmation_logs WHERE org_id = @org_id ORDER BY created_at DESC LIMIT 200;

-- name: OptedOut :one
-- Texted STOP, or on the do-not-call list: by the number, or by its hash
-- once its patient was erased.
SELECT (EXISTS (SELECT 1 FROM sms_opt_outs o WHERE o.org_id = @org_id AND o.phone IN (@phone, @patient_key))
    OR EXISTS (SELECT 1 FROM do_not_call d WHERE d.org_id = @org_id AND d.phone IN (@phone, @patient_key)))::boolean AS opted_out;

-- name: OptOut :exec
INSERT INTO sms_opt_outs (org_id, phone) VALUES (@org_id, @phone) ON CONFLICT DO NOTHING;

-- name: ListOptOuts :many
SELECT phone, opted_out_at FROM sms_opt_outs WHERE org_id = @org_id ORDER BY opted_out_at DESC, phone LIMIT 500;

-- name: OptIn :exec
DELETE FROM sms_opt_outs WHERE org_id = @org_id AND phone = @phone;

-- name: RecordInboundSMS :execrows
INSERT INTO sms_inbound (org_id, message_sid, from_number, body, action)
VALUES (@org_id, @message_sid, @from_number, @body, @action)
ON CONFLICT (org_id, message_sid) DO NOTHING;

-- name: ConfirmNextBooking :one
-- A patient's CONFIRM: their next upcoming booking.
UPDATE bookings AS b SET patient_confirmed_at = now()
WHERE b.org_id = @org_id AND b.id = (
    SELECT n.id FROM bookings n
    WHERE n.org_id = @org_id AND n.patient_phone = @phone AND n.status = 'confirmed' AND n.starts_at > now()
    ORDER BY n.starts_at LIMIT 1)
RETURNING b.starts_at;

-- name: AddSMSRoute :exec
INSERT INTO voice_routes (org_id, kind, value) VALUES (@org_id, 'sms_number', @value);

-- name: ListInboundSMS :many
SELECT id, from_number, body, action, received_at, handled_at FROM sms_inbound
WHERE org_id = @org_id ORDER BY received_at DESC LIMIT 200;

-- name: MarkInboundHandled :execrows
UPDATE sms_inbound SET handled_at = now(), handled_by = @handled_by
WHERE org_id = @org_id AND id = @id AND handled_at IS NULL;

-- name: InboundExists :one
SELECT EXISTS (SELECT 1 FROM sms_inbound WHERE org_id = @org_id AND id = @id);

-- name: AddSkippedSMSLog :exec
-- A text the rules did not send, logged with why (at most one per booking
-- and kind, like the sent ones).
INSERT INTO sms_confirmation_logs (org_id, booking_id, kind, to_number, body, status, error_message)
VALUES (@org_id, @booking_id, @kind, @to_number, @body, 'skipped', @reason)
ON CONFLICT (org_id, booking_id, kind) DO NOTHING;

-- name: TextsOnCall :one
-- Texts logged (and not skipped) for the bookings a call made.
SELECT count(*) FROM sms_confirmation_logs l
JOIN bookings b ON b.org_id = l.org_id AND b.id = l.booking_id
WHERE l.org_id = @org_id AND b.call_id = @call_id AND l.status <> 'skipped';

-- name: TextsToNumberSince :one
SELECT count(*) FROM sms_confirmation_logs
WHERE org_id = @org_id AND to_number = @to_number AND created_at >= @since AND status <> 'skipped';

-- name: InboundFrom :one
SELECT from_number FROM sms_inbound WHERE org_id = @org_id AND id = @id;

-- name: RetrySMS :execrows
-- A failed text (never accepted by Twilio) back in the queue.
UPDATE sms_confirmation_logs SET status = 'pending', error_code = NULL, error_message = '', updated_at = now()
WHERE org_id = @org_id AND id = @id AND status = 'failed' AND message_sid IS NULL AND kind <> 'verification';

-- name: SMSLogExists :one
SELECT EXISTS (SELECT 1 FROM sms_confirmation_logs WHERE org_id = @org_id AND id = @id);
