-- Texts go only where the clinic allows: the countries it texts (NULL: its
-- own country). And indexes for the foreign keys of bookings that had
-- none, so deleting a service or finding a call's bookings reads an index
-- instead of the clinic's bookings.
ALTER TABLE twilio_accounts ADD COLUMN allowed_countries text[]
    CHECK (allowed_countries IS NULL OR cardinality(allowed_countries) BETWEEN 1 AND 50);

CREATE INDEX bookings_service_idx ON bookings (org_id, service_id);
CREATE INDEX bookings_call_idx ON bookings (org_id, call_id) WHERE call_id IS NOT NULL;
CREATE INDEX sms_logs_to_number_idx ON sms_confirmation_logs (org_id, to_number, created_at);
