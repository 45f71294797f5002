-- Caller-name prefix search as an index condition under RLS. lower() is not
-- leakproof, so a policy-protected scan may not evaluate
-- lower(caller_name) ~>=~ ... inside an index: it became a filter over the
-- whole clinic. A stored lower-cased copy compares with the leakproof
-- pattern operators directly.
ALTER TABLE call_logs ADD COLUMN caller_name_key text GENERATED ALWAYS AS (lower(caller_name)) STORED;
DROP INDEX call_logs_caller_name_idx;
CREATE INDEX call_logs_caller_name_idx ON call_logs (org_id, caller_name_key text_pattern_ops);
