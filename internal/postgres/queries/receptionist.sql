-- name: StoredReceptionistProfile :many
SELECT profile FROM receptionist_profiles WHERE org_id = @org_id;

-- name: SaveReceptionistProfile :exec
INSERT INTO receptionist_profiles (org_id, profile) VALUES (@org_id, @profile)
ON CONFLICT (org_id) DO UPDATE SET profile = excluded.profile, updated_at = now();

-- name: LatestVoiceSecret :many
-- The clinic's newest server secret (sealed), for the assistant it serves.
SELECT ciphertext FROM voice_secrets WHERE org_id = @org_id ORDER BY created_at DESC LIMIT 1;
