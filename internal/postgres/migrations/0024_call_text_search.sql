-- Words said on a call (its summary and transcript), searchable: a GIN
-- index over the whole table; the clinic's own rows are kept by RLS and
-- the org_id filter of every query.
ALTER TABLE call_logs ADD COLUMN said tsvector
    GENERATED ALWAYS AS (to_tsvector('english', summary || ' ' || transcript)) STORED;
CREATE INDEX call_logs_said_idx ON call_logs USING gin (said);
