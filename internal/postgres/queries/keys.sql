-- The keys that seal secrets: the stable hashing key, the versions in
-- use, and re-sealing under the current key (`frontdesk keys rotate`, as
-- the owner role, across clinics, a batch at a time; each row changes
-- only if it still holds what was read).

-- name: AddHashKey :exec
INSERT INTO secret_hash_key (sealed) VALUES (@sealed) ON CONFLICT (id) DO NOTHING;

-- name: SealedHashKey :one
SELECT sealed FROM secret_hash_key;

-- name: SealedKeyVersions :many
SELECT version::integer AS version, n::bigint AS n FROM sealed_key_versions();

-- name: StaleVoiceSecrets :many
SELECT org_id, id, ciphertext AS sealed FROM voice_secrets
WHERE NOT (length(ciphertext) > 2 AND get_byte(ciphertext, 0) = 253 AND get_byte(ciphertext, 1) = @current::integer)
LIMIT @row_limit;

-- name: ResealVoiceSecret :execrows
UPDATE voice_secrets SET ciphertext = @new WHERE org_id = @org_id AND id = @id AND ciphertext = @old;

-- name: StaleTwilioTokens :many
SELECT org_id, auth_token_ciphertext AS sealed FROM twilio_accounts
WHERE NOT (length(auth_token_ciphertext) > 2 AND get_byte(auth_token_ciphertext, 0) = 253 AND get_byte(auth_token_ciphertext, 1) = @current::integer)
LIMIT @row_limit;

-- name: ResealTwilioToken :execrows
UPDATE twilio_accounts SET auth_token_ciphertext = @new WHERE org_id = @org_id AND auth_token_ciphertext = @old;

-- name: StaleOAuthVerifiers :many
SELECT org_id, id, verifier AS sealed FROM oauth_pending
WHERE NOT (length(verifier) > 2 AND get_byte(verifier, 0) = 253 AND get_byte(verifier, 1) = @current::integer)
LIMIT @row_limit;

-- name: ResealOAuthVerifier :execrows
UPDATE oauth_pending SET verifier = @new WHERE org_id = @org_id AND id = @id AND verifier = @old;

-- name: StaleCalendarTokens :many
SELECT org_id, id, token AS sealed FROM calendar_connections
WHERE NOT (length(token) > 2 AND get_byte(token, 0) = 253 AND get_byte(token, 1) = @current::integer)
LIMIT @row_limit;

-- name: ResealCalendarToken :execrows
UPDATE calendar_connections SET token = @new WHERE org_id = @org_id AND id = @id AND token = @old;

-- name: StaleVerificationCodes :many
SELECT org_id, id, code_sealed AS sealed FROM call_verifications
WHERE code_sealed IS NOT NULL
  AND NOT (length(code_sealed) > 2 AND get_byte(code_sealed, 0) = 253 AND get_byte(code_sealed, 1) = @current::integer)
LIMIT @row_limit;

-- name: ResealVerificationCode :execrows
UPDATE call_verifications SET code_sealed = @new WHERE org_id = @org_id AND id = @id AND code_sealed = @old;

-- name: StaleVapiKeys :many
SELECT org_id, api_key AS sealed FROM vapi_accounts
WHERE NOT (length(api_key) > 2 AND get_byte(api_key, 0) = 253 AND get_byte(api_key, 1) = @current::integer)
LIMIT @row_limit;

-- name: ResealVapiKey :execrows
UPDATE vapi_accounts SET api_key = @new WHERE org_id = @org_id AND api_key = @old;

-- name: StaleKeyChecks :many
SELECT sealed FROM secret_key_check
WHERE NOT (length(sealed) > 2 AND get_byte(sealed, 0) = 253 AND get_byte(sealed, 1) = @current::integer)
UNION ALL
SELECT sealed FROM secret_hash_key
WHERE NOT (length(sealed) > 2 AND get_byte(sealed, 0) = 253 AND get_byte(sealed, 1) = @current::integer);

-- name: ResealKeyCheck :execrows
UPDATE secret_key_check SET sealed = @new WHERE sealed = @old;

-- name: ResealHashKey :execrows
UPDATE secret_hash_key SET sealed = @new WHERE sealed = @old;
