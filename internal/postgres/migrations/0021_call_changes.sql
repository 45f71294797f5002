-- The dashboard's live calls list reads the calls changed since its last
-- look, per clinic, in the order they changed.
CREATE INDEX call_logs_updated_idx ON call_logs (org_id, updated_at, id);
