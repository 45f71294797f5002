-- Contacts and the do-not-call list.

-- name: ContactsByPhone :many
SELECT phone, name, email, tags, call_consent_at, text_consent_at FROM contacts
WHERE org_id = @org_id AND phone = ANY(@phones::text[]);

-- name: DoNotCallPhones :many
SELECT phone FROM do_not_call WHERE org_id = @org_id AND phone = ANY(@phones::text[]);

-- name: UpsertContacts :many
-- A batch of contacts from an import, one row per number (at most once
-- each): new, or the existing one with what the row adds (a name or an
-- email where there was none, more tags, consent given); a row that adds
-- nothing changes nothing (not even updated_at) and is not returned;
-- the others say whether they were inserted. The rows come as one
-- JSON array of {phone, name, email, tags (comma-separated), may_call,
-- may_text}.
INSERT INTO contacts AS c (org_id, phone, name, email, tags, call_consent_at, call_consent_how, text_consent_at, text_consent_how, source)
SELECT @org_id, r.phone, r.name, r.email, CASE WHEN r.tags = '' THEN '{}'::text[] ELSE string_to_array(r.tags, ',') END,
       CASE WHEN r.may_call THEN now() END, CASE WHEN r.may_call THEN 'import' ELSE '' END,
       CASE WHEN r.may_text THEN now() END, CASE WHEN r.may_text THEN 'import' ELSE '' END, 'import'
FROM jsonb_to_recordset(@rows::jsonb) AS r(phone text, name text, email text, tags text, may_call boolean, may_text boolean)
ON CONFLICT (org_id, phone) DO UPDATE SET
    name = CASE WHEN c.name = '' THEN EXCLUDED.name ELSE c.name END,
    email = CASE WHEN c.email = '' THEN EXCLUDED.email ELSE c.email END,
    tags = ARRAY(SELECT DISTINCT t FROM unnest(c.tags || EXCLUDED.tags) t ORDER BY t),
    call_consent_at = coalesce(c.call_consent_at, EXCLUDED.call_consent_at),
    call_consent_how = CASE WHEN c.call_consent_at IS NULL THEN EXCLUDED.call_consent_how ELSE c.call_consent_how END,
    text_consent_at = coalesce(c.text_consent_at, EXCLUDED.text_consent_at),
    text_consent_how = CASE WHEN c.text_consent_at IS NULL THEN EXCLUDED.text_consent_how ELSE c.text_consent_how END,
    updated_at = now()
WHERE (c.name = '' AND EXCLUDED.name <> '') OR (c.email = '' AND EXCLUDED.email <> '')
   OR NOT (EXCLUDED.tags <@ c.tags)
   OR (c.call_consent_at IS NULL AND EXCLUDED.call_consent_at IS NOT NULL)
   OR (c.text_consent_at IS NULL AND EXCLUDED.text_consent_at IS NOT NULL)
RETURNING c.phone, (c.xmax = 0) AS inserted;

-- name: AddDoNotCalls :exec
INSERT INTO do_not_call (org_id, phone, source, reason)
SELECT @org_id, p, 'import', 'marked do-not-call in an import' FROM unnest(@phones::text[]) p
ON CONFLICT (org_id, phone) DO NOTHING;

-- name: AddDoNotCall :execrows
INSERT INTO do_not_call (org_id, phone, source, reason, added_by) VALUES (@org_id, @phone, @source, @reason, @added_by)
ON CONFLICT (org_id, phone) DO NOTHING;

-- name: RemoveTextDoNotCall :exec
-- A START text undoes the patient's own STOP, and nothing else.
DELETE FROM do_not_call WHERE org_id = @org_id AND phone = @phone AND source = 'text';

-- name: ListDoNotCall :many
SELECT phone, source, reason, added_at FROM do_not_call WHERE org_id = @org_id ORDER BY added_at DESC, phone LIMIT 1000;

-- name: ContactsPage :many
-- A page of the clinic's contacts by phone, after a phone, narrowed to a
-- tag when given.
SELECT c.phone, c.name, c.email, c.tags, c.notes, c.call_consent_at, c.call_consent_how, c.text_consent_at, c.text_consent_how,
       c.source, c.created_at, EXISTS (SELECT 1 FROM do_not_call d WHERE d.org_id = c.org_id AND d.phone = c.phone) AS do_not_call
FROM contacts c
WHERE c.org_id = @org_id AND c.phone > @after
  AND (sqlc.narg('tag')::text IS NULL OR sqlc.narg('tag')::text = ANY(c.tags))
ORDER BY c.phone
LIMIT @row_limit;

-- name: EraseContact :exec
UPDATE contacts SET name = 'erased', email = '', notes = '', phone = @patient_key, updated_at = now()
WHERE org_id = @org_id AND phone = @phone;

-- name: EraseDoNotCall :exec
UPDATE do_not_call SET phone = @patient_key, reason = '' WHERE org_id = @org_id AND phone = @phone;

-- name: EraseCampaignTargets :exec
UPDATE campaign_targets SET phone = @patient_key, name = 'erased', updated_at = now() WHERE org_id = @org_id AND phone = @phone;

-- name: NoteContact :exec
-- A number seen on a call, a booking or a text becomes a contact (its name
-- filled in when the contact has none); nothing else changes.
INSERT INTO contacts AS c (org_id, phone, name, source) VALUES (@org_id, @phone, @name, @source)
ON CONFLICT (org_id, phone) DO UPDATE SET name = EXCLUDED.name, updated_at = now()
WHERE c.name = '' AND EXCLUDED.name <> '';

-- name: ContactByPhone :one
SELECT c.phone, c.name, c.email, c.tags, c.notes, c.call_consent_at, c.call_consent_how, c.text_consent_at, c.text_consent_how,
       c.source, c.created_at, c.last_outcome, c.last_called_at, EXISTS (SELECT 1 FROM do_not_call d WHERE d.org_id = c.org_id AND d.phone = c.phone)::boolean AS do_not_call
FROM contacts c WHERE c.org_id = @org_id AND c.phone = @phone;

-- name: SetContactOutcome :exec
UPDATE contacts SET last_outcome = @outcome, last_called_at = @at::timestamptz, updated_at = now()
WHERE org_id = @org_id AND phone = @phone;
