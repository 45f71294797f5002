-- The key that signs and hashes (OAuth state, one-time codes, patients'
-- numbers in the access log and after erasure), kept sealed here so it
-- stays the same while the keys that seal secrets are rotated.
CREATE TABLE secret_hash_key (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    sealed     bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT ON secret_hash_key TO frontdesk_app;

-- How many sealed values each key version holds, across every clinic
-- (0: sealed before versions were marked): counts only, for the startup
-- check and `frontdesk keys rotate`.
CREATE FUNCTION sealed_key_versions()
RETURNS TABLE (version integer, n bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH sealed(v) AS (
        SELECT ciphertext FROM voice_secrets
        UNION ALL SELECT auth_token_ciphertext FROM twilio_accounts
        UNION ALL SELECT verifier FROM oauth_pending
        UNION ALL SELECT token FROM calendar_connections
        UNION ALL SELECT code_sealed FROM call_verifications WHERE code_sealed IS NOT NULL
        UNION ALL SELECT api_key FROM vapi_accounts
        UNION ALL SELECT sealed FROM secret_key_check
        UNION ALL SELECT sealed FROM secret_hash_key
    )
    SELECT CASE WHEN length(v) > 2 AND get_byte(v, 0) = 253 THEN get_byte(v, 1) ELSE 0 END, count(*)
    FROM sealed GROUP BY 1 ORDER BY 1
$$;
REVOKE ALL ON FUNCTION sealed_key_versions() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sealed_key_versions() TO frontdesk_app;
