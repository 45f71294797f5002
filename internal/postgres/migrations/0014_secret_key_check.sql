-- A value sealed with FRONTDESK_SECRET_KEY when the first process starts:
-- every later start opens it, so a process given another key refuses to
-- start instead of answering every provider callback 401.
CREATE TABLE secret_key_check (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON secret_key_check TO frontdesk_app;
