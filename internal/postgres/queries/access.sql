-- The access log: reads of patients' health data.

-- name: AddAccess :exec
INSERT INTO access_log (org_id, user_id, operator, via, what, call_id, patient_key, remote_addr)
VALUES (@org_id, @user_id, @operator, @via, @what, @call_id, @patient_key, @remote_addr);

-- name: ListAccess :many
-- Newest first, in a range, narrowed to one patient or one user when
-- given; the user's email and the call's number for the reader.
SELECT a.at, a.user_id, coalesce(u.email, '')::text AS user_email, a.operator, a.via, a.what, a.call_id,
       a.patient_key, a.remote_addr
FROM access_log a
LEFT JOIN users u ON u.id = a.user_id
WHERE a.org_id = @org_id AND a.at >= @since AND a.at < @until
  AND (sqlc.narg('patient_key')::text IS NULL OR a.patient_key = sqlc.narg('patient_key')::text)
  AND (sqlc.narg('user_email')::text IS NULL OR lower(u.email) = lower(sqlc.narg('user_email')::text))
ORDER BY a.at DESC, a.id
LIMIT @row_limit;
