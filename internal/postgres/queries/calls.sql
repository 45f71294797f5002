-- The calls dashboard. Every filter is optional (NULL = not filtering);
-- run through Tx.OneShot, each execution is planned with its actual values,
-- so the NULL branches fold away and each shape uses the index that fits.

-- name: ListCalls :many
SELECT id, direction, status, from_number, to_number, caller_name, started_at,
       ended_at, duration_seconds, ended_reason, recording_status, cost_usd, outcome
FROM call_logs
WHERE org_id = @org_id
  AND (sqlc.narg(direction)::text IS NULL OR direction = sqlc.narg(direction))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(outcome)::text IS NULL OR outcome = sqlc.narg(outcome))
  AND (sqlc.narg(words)::text IS NULL OR said @@ websearch_to_tsquery('english', sqlc.narg(words)))
  AND (sqlc.narg(started_from)::timestamptz IS NULL OR started_at >= sqlc.narg(started_from))
  AND (sqlc.narg(started_before)::timestamptz IS NULL OR started_at < sqlc.narg(started_before))
  AND (sqlc.narg(from_number)::text IS NULL OR from_number = sqlc.narg(from_number))
  AND (sqlc.narg(name_prefix)::text IS NULL
       OR (caller_name_key ~>=~ lower(sqlc.narg(name_prefix))
           AND caller_name_key ~<~ (lower(sqlc.narg(name_prefix)) || chr(1114111))))
  AND (sqlc.narg(after_started_at)::timestamptz IS NULL
       OR (started_at, id) < (sqlc.narg(after_started_at), sqlc.narg(after_id)::uuid))
ORDER BY started_at DESC, id DESC
LIMIT @row_limit;

-- name: CountCalls :one
SELECT count(*)
FROM call_logs
WHERE org_id = @org_id
  AND (sqlc.narg(direction)::text IS NULL OR direction = sqlc.narg(direction))
  AND (sqlc.narg(status)::text IS NULL OR status = sqlc.narg(status))
  AND (sqlc.narg(outcome)::text IS NULL OR outcome = sqlc.narg(outcome))
  AND (sqlc.narg(words)::text IS NULL OR said @@ websearch_to_tsquery('english', sqlc.narg(words)))
  AND (sqlc.narg(started_from)::timestamptz IS NULL OR started_at >= sqlc.narg(started_from))
  AND (sqlc.narg(started_before)::timestamptz IS NULL OR started_at < sqlc.narg(started_before))
  AND (sqlc.narg(from_number)::text IS NULL OR from_number = sqlc.narg(from_number))
  AND (sqlc.narg(name_prefix)::text IS NULL
       OR (caller_name_key ~>=~ lower(sqlc.narg(name_prefix))
           AND caller_name_key ~<~ (lower(sqlc.narg(name_prefix)) || chr(1114111))));

-- name: GetCall :one
SELECT id, provider, provider_call_id, direction, status, from_number, to_number, caller_name, started_at,
       ended_at, duration_seconds, ended_reason, summary, transcript, recording_status, recording_error,
       recording_size, cost_usd, last_hang_at, created_at, updated_at, outcome, redactions
FROM call_logs WHERE org_id = @org_id AND id = @id;

-- name: CallStats :many
SELECT direction, status, count(*) AS calls, count(duration_seconds) AS timed_calls,
       coalesce(sum(duration_seconds), 0)::bigint AS duration_seconds
FROM call_logs
WHERE org_id = @org_id
  AND (sqlc.narg(started_from)::timestamptz IS NULL OR started_at >= sqlc.narg(started_from))
  AND (sqlc.narg(started_before)::timestamptz IS NULL OR started_at < sqlc.narg(started_before))
GROUP BY direction, status
ORDER BY direction, status;

-- name: InsertAuditEvent :exec
INSERT INTO audit_events (org_id, user_id, action, resource_type, resource_id, request_id, remote_addr)
VALUES (@org_id, sqlc.narg(user_id), @action, @resource_type, @resource_id, @request_id, @remote_addr);

-- name: CountCallsHourly :one
-- The exact total of a listing without a search term: whole UTC hours from
-- call_counts (kept by triggers), plus the partial hours at the ends of the
-- range (head, tail) counted in call_logs. See calls.SplitHours.
SELECT ((SELECT coalesce(sum(cc.calls), 0) FROM call_counts cc
         WHERE cc.org_id = @org_id
           AND (sqlc.narg(direction)::text IS NULL OR cc.direction = sqlc.narg(direction))
           AND (sqlc.narg(status)::text IS NULL OR cc.status = sqlc.narg(status))
           AND (sqlc.narg(hours_from)::timestamptz IS NULL OR cc.hour_start >= sqlc.narg(hours_from))
           AND (sqlc.narg(hours_before)::timestamptz IS NULL OR cc.hour_start < sqlc.narg(hours_before)))
      + (SELECT count(*) FROM call_logs h
         WHERE h.org_id = @org_id
           AND (sqlc.narg(direction)::text IS NULL OR h.direction = sqlc.narg(direction))
           AND (sqlc.narg(status)::text IS NULL OR h.status = sqlc.narg(status))
           AND sqlc.narg(head_from)::timestamptz IS NOT NULL
           AND h.started_at >= sqlc.narg(head_from) AND h.started_at < sqlc.narg(head_before)::timestamptz)
      + (SELECT count(*) FROM call_logs t
         WHERE t.org_id = @org_id
           AND (sqlc.narg(direction)::text IS NULL OR t.direction = sqlc.narg(direction))
           AND (sqlc.narg(status)::text IS NULL OR t.status = sqlc.narg(status))
           AND sqlc.narg(tail_from)::timestamptz IS NOT NULL
           AND t.started_at >= sqlc.narg(tail_from) AND t.started_at < sqlc.narg(tail_before)::timestamptz))::bigint AS total;

-- name: CallBookings :many
-- The bookings and holds a call made or moved.
SELECT b.id, s.name AS service_name, r.name AS resource_name, b.status, b.starts_at, b.patient_name
FROM bookings b
JOIN services s ON s.org_id = b.org_id AND s.id = b.service_id
JOIN resources r ON r.org_id = b.org_id AND r.id = b.resource_id
WHERE b.org_id = @org_id AND b.call_id = @call_id
ORDER BY b.created_at, b.id;

-- name: NotifyCallsChanged :exec
-- Wakes the clinic's live calls pages, at commit (a hint: they read what
-- changed themselves).
SELECT pg_notify('frontdesk_calls', @org_id::text);

-- name: CallsChangedSince :many
-- The clinic's calls changed after a position (updated_at, id), oldest
-- change first.
SELECT id, direction, status, from_number, to_number, caller_name, started_at,
       ended_at, duration_seconds, ended_reason, recording_status, cost_usd, outcome, updated_at
FROM call_logs
WHERE org_id = @org_id AND (updated_at, id) > (@after_updated_at::timestamptz, @after_id::uuid)
ORDER BY updated_at, id
LIMIT 100;

-- name: CallsByDay :many
-- Calls per day of the clinic's zone in a range.
SELECT (started_at AT TIME ZONE @tz::text)::date AS day, count(*) AS calls
FROM call_logs
WHERE org_id = @org_id AND started_at >= @from_at AND started_at < @to_at
GROUP BY 1 ORDER BY 1;

-- name: CallsByHour :many
-- Calls per hour of the day, clinic time, in a range.
SELECT extract(hour FROM started_at AT TIME ZONE @tz::text)::int AS hour, count(*) AS calls
FROM call_logs
WHERE org_id = @org_id AND started_at >= @from_at AND started_at < @to_at
GROUP BY 1 ORDER BY 1;

-- name: CallsByOutcome :many
SELECT coalesce(outcome, 'not reported')::text AS outcome, count(*) AS calls
FROM call_logs
WHERE org_id = @org_id AND started_at >= @from_at AND started_at < @to_at
GROUP BY 1 ORDER BY 2 DESC;

-- name: CallTotals :one
-- Calls in a range, their average length, and how many made a booking.
SELECT count(*) AS calls, coalesce(avg(duration_seconds), 0)::float8 AS avg_seconds,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM bookings b WHERE b.org_id = c.org_id AND b.call_id = c.id
                                       AND b.status <> 'held')) AS booked
FROM call_logs c
WHERE c.org_id = @org_id AND c.started_at >= @from_at AND c.started_at < @to_at;

-- name: CallFollowUps :many
-- Which of these calls made a booking (still confirmed) and which left a
-- message still open: one query for a page of calls.
SELECT c.id,
       EXISTS (SELECT 1 FROM bookings b WHERE b.org_id = c.org_id AND b.call_id = c.id AND b.status = 'confirmed') AS booked,
       EXISTS (SELECT 1 FROM callback_requests r WHERE r.org_id = c.org_id AND r.call_id = c.id AND r.status = 'open') AS open_callback
FROM call_logs c
WHERE c.org_id = @org_id AND c.id = ANY(@ids::uuid[]);
