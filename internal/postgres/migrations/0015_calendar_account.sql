-- Which Google account a connected calendar belongs to, shown to admins and
-- checked before a connection is replaced by another account's.
ALTER TABLE calendar_connections ADD COLUMN account text NOT NULL DEFAULT '';
