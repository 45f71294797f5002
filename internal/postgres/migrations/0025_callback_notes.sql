-- A note staff keep on a message the receptionist took ("left a
-- voicemail", "rebooked for Tuesday"), with who wrote it last and when.
ALTER TABLE callback_requests
    ADD COLUMN note    text NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    ADD COLUMN note_at timestamptz,
    ADD COLUMN note_by uuid;
GRANT UPDATE (note, note_at, note_by) ON callback_requests TO frontdesk_app;
