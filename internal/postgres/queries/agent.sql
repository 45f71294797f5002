-- The voice agent's tool calls and the knowledge base.

-- name: CallIDByProvider :one
SELECT id FROM call_logs WHERE org_id = @org_id AND provider = 'vapi' AND provider_call_id = @provider_call_id;

-- name: RecordedToolCall :one
SELECT name, result, error FROM call_tool_calls WHERE org_id = @org_id AND tool_call_id = @tool_call_id;

-- name: RecordToolCall :exec
INSERT INTO call_tool_calls (org_id, call_id, tool_call_id, name, arguments, result, error, latency_ms)
VALUES (@org_id, @call_id, @tool_call_id, @name, @arguments, @result, @error, @latency_ms);

-- name: CallToolCalls :many
SELECT tool_call_id, name, arguments, result, error, latency_ms, created_at
FROM call_tool_calls WHERE org_id = @org_id AND call_id = @call_id ORDER BY created_at, id;

-- name: UpcomingBookingsByPhone :many
SELECT b.id, b.service_id, s.name AS service_name, b.resource_id, b.starts_at
FROM bookings b JOIN services s ON s.org_id = b.org_id AND s.id = b.service_id
WHERE b.org_id = @org_id AND b.patient_phone = @phone AND b.status = 'confirmed' AND b.starts_at > now()
ORDER BY b.starts_at
LIMIT 10;

-- name: HeldByCall :one
-- A live hold this call made for this time, to confirm.
SELECT id FROM bookings
WHERE org_id = @org_id AND call_id = @call_id AND status = 'held' AND held_until > now()
  AND starts_at = @starts_at AND service_id = @service_id
LIMIT 1;

-- name: ListKnowledge :many
SELECT id, title, body, active, updated_at FROM kb_articles WHERE org_id = @org_id ORDER BY title, id LIMIT 1000;

-- name: CreateKnowledge :one
INSERT INTO kb_articles (org_id, title, body, active) VALUES (@org_id, @title, @body, @active) RETURNING id;

-- name: UpdateKnowledge :execrows
UPDATE kb_articles SET title = @title, body = @body, active = @active, updated_at = now()
WHERE org_id = @org_id AND id = @id;

-- name: DeleteKnowledge :execrows
DELETE FROM kb_articles WHERE org_id = @org_id AND id = @id;

-- name: SearchKnowledge :many
SELECT k.id::uuid AS id, k.title::text AS title, k.body::text AS body, k.rank::real AS rank
FROM kb_search(@query::text, @max_results::integer) AS k;

-- name: EnsureCall :exec
-- A tool call can arrive before any status update: the call row must
-- exist for bookings and the tool-call record to point at.
INSERT INTO call_logs (org_id, provider, provider_call_id, direction, status, from_number, to_number, started_at)
VALUES (@org_id, 'vapi', @provider_call_id, @direction, 'in-progress', @from_number, @to_number, @started_at)
ON CONFLICT (org_id, provider, provider_call_id) DO NOTHING;
