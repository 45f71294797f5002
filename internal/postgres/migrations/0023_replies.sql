-- Staff reply to a patient's text from the clinic's number (a text about
-- neither a booking nor a call), and mark the patient's texts handled.
ALTER TABLE sms_confirmation_logs
    DROP CONSTRAINT sms_confirmation_logs_kind_check,
    ADD CONSTRAINT sms_confirmation_logs_kind_check CHECK (kind IN ('confirmation', 'reminder', 'verification', 'reply')),
    DROP CONSTRAINT sms_confirmation_logs_subject_check,
    ADD CONSTRAINT sms_confirmation_logs_subject_check CHECK (CASE kind
        WHEN 'verification' THEN booking_id IS NULL AND call_id IS NOT NULL
        WHEN 'reply' THEN booking_id IS NULL AND call_id IS NULL
        ELSE booking_id IS NOT NULL END);
ALTER TABLE sms_inbound ADD COLUMN handled_at timestamptz, ADD COLUMN handled_by uuid;
GRANT UPDATE (handled_at, handled_by) ON sms_inbound TO frontdesk_app;
