-- Messages the voice agent takes for the staff (takeMessage): who to call
-- back, why, how urgently; staff mark them done.
CREATE TABLE callback_requests (
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    call_id         uuid NOT NULL,
    caller_number   text NOT NULL DEFAULT '',
    callback_number text NOT NULL,
    reason          text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    urgency         text NOT NULL CHECK (urgency IN ('routine', 'urgent')),
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
    created_at      timestamptz NOT NULL DEFAULT now(),
    done_at         timestamptz,
    done_by         uuid,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX callback_requests_open_idx ON callback_requests (org_id, status, created_at DESC);
CREATE INDEX callback_requests_call_idx ON callback_requests (org_id, call_id);
ALTER TABLE callback_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE callback_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON callback_requests
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
GRANT SELECT, INSERT ON callback_requests TO frontdesk_app;
GRANT UPDATE (status, done_at, done_by) ON callback_requests TO frontdesk_app;
