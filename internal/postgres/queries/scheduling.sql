-- Scheduling: clinic setup, availability inputs, bookings and holds.

-- name: BookingSettings :one
SELECT timezone, min_notice_minutes, max_days_ahead, hold_minutes FROM organizations WHERE id = @id;

-- name: UpdateBookingSettings :exec
UPDATE organizations SET timezone = @timezone, min_notice_minutes = @min_notice_minutes,
       max_days_ahead = @max_days_ahead, hold_minutes = @hold_minutes
WHERE id = @id;

-- name: ListServices :many
SELECT id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, active
FROM services WHERE org_id = @org_id ORDER BY name;

-- name: GetService :one
SELECT id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, active
FROM services WHERE org_id = @org_id AND id = @id;

-- name: FindServiceByName :one
-- For the voice agent, which names services in words.
SELECT id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, active
FROM services WHERE org_id = @org_id AND active AND lower(name) = lower(@name);

-- name: CreateService :one
INSERT INTO services (org_id, name, duration_minutes, buffer_before_minutes, buffer_after_minutes, active)
VALUES (@org_id, @name, @duration_minutes, @buffer_before_minutes, @buffer_after_minutes, @active)
RETURNING id;

-- name: UpdateService :execrows
UPDATE services SET name = @name, duration_minutes = @duration_minutes, buffer_before_minutes = @buffer_before_minutes,
       buffer_after_minutes = @buffer_after_minutes, active = @active
WHERE org_id = @org_id AND id = @id;

-- name: DeleteService :execrows
DELETE FROM services WHERE org_id = @org_id AND id = @id;

-- name: ListResources :many
SELECT r.id, r.name, r.kind, r.active,
       coalesce(array_agg(rs.service_id ORDER BY rs.service_id) FILTER (WHERE rs.service_id IS NOT NULL), '{}')::uuid[] AS service_ids
FROM resources r
LEFT JOIN resource_services rs ON rs.org_id = r.org_id AND rs.resource_id = r.id
WHERE r.org_id = @org_id
GROUP BY r.org_id, r.id
ORDER BY r.name;

-- name: CreateResource :one
INSERT INTO resources (org_id, name, kind, active) VALUES (@org_id, @name, @kind, @active) RETURNING id;

-- name: UpdateResource :execrows
UPDATE resources SET name = @name, kind = @kind, active = @active WHERE org_id = @org_id AND id = @id;

-- name: DeleteResource :execrows
DELETE FROM resources WHERE org_id = @org_id AND id = @id;

-- name: ClearResourceServices :exec
DELETE FROM resource_services WHERE org_id = @org_id AND resource_id = @resource_id;

-- name: AddResourceService :exec
INSERT INTO resource_services (org_id, resource_id, service_id) VALUES (@org_id, @resource_id, @service_id);

-- name: ResourcesForService :many
SELECT r.id, r.name FROM resources r
JOIN resource_services rs ON rs.org_id = r.org_id AND rs.resource_id = r.id
WHERE r.org_id = @org_id AND r.active AND rs.service_id = @service_id
ORDER BY r.name, r.id;

-- name: ListOpeningHours :many
SELECT resource_id, weekday, opens, closes FROM opening_hours
WHERE org_id = @org_id ORDER BY resource_id NULLS FIRST, weekday, opens;

-- name: ClearOpeningHours :exec
DELETE FROM opening_hours WHERE org_id = @org_id AND resource_id IS NOT DISTINCT FROM sqlc.narg(resource_id)::uuid;

-- name: AddOpeningHours :exec
INSERT INTO opening_hours (org_id, resource_id, weekday, opens, closes)
VALUES (@org_id, sqlc.narg(resource_id)::uuid, @weekday, @opens, @closes);

-- name: ListClosures :many
SELECT id, resource_id, first_day, last_day, reason FROM closures
WHERE org_id = @org_id AND last_day >= @from_day ORDER BY first_day, id;

-- name: CreateClosure :one
INSERT INTO closures (org_id, resource_id, first_day, last_day, reason)
VALUES (@org_id, sqlc.narg(resource_id)::uuid, @first_day, @last_day, @reason) RETURNING id;

-- name: DeleteClosure :execrows
DELETE FROM closures WHERE org_id = @org_id AND id = @id;

-- name: BusyIntervals :many
-- What takes the clinic's time in a range: bookings and holds that have
-- not lapsed, buffers included.
SELECT resource_id, lower(blocked)::timestamptz AS starts, upper(blocked)::timestamptz AS ends
FROM bookings
WHERE org_id = @org_id AND blocked && tstzrange(@range_start::timestamptz, @range_end::timestamptz)
  AND (status = 'confirmed' OR (status = 'held' AND held_until > now()));

-- name: ClearLapsedHolds :exec
-- Lapsed holds in a new booking's way go, in the booking's transaction:
-- correctness never waits for a sweeper.
DELETE FROM bookings
WHERE org_id = @org_id AND resource_id = @resource_id AND status = 'held' AND held_until <= now()
  AND blocked && tstzrange(@blocked_start::timestamptz, @blocked_end::timestamptz);

-- name: InsertBooking :one
INSERT INTO bookings (org_id, resource_id, service_id, status, starts_at, ends_at, blocked, held_until,
                      patient_name, patient_phone, source, call_id, tool_call_id)
VALUES (@org_id, @resource_id, @service_id, @status, @starts_at, @ends_at,
        tstzrange(@blocked_start::timestamptz, @blocked_end::timestamptz), sqlc.narg(held_until),
        @patient_name, @patient_phone, @source, sqlc.narg(call_id), sqlc.narg(tool_call_id))
RETURNING id;

-- name: GetBooking :one
SELECT b.id, b.resource_id, r.name AS resource_name, b.service_id, s.name AS service_name, b.status, b.starts_at,
       b.ends_at, b.held_until, b.patient_name, b.patient_phone, b.source, b.call_id, b.created_at, b.patient_confirmed_at
FROM bookings b
JOIN resources r ON r.org_id = b.org_id AND r.id = b.resource_id
JOIN services s ON s.org_id = b.org_id AND s.id = b.service_id
WHERE b.org_id = @org_id AND b.id = @id;

-- name: BookingByToolCall :one
SELECT id FROM bookings WHERE org_id = @org_id AND tool_call_id = @tool_call_id;

-- name: ListBookings :many
SELECT b.id, b.resource_id, r.name AS resource_name, b.service_id, s.name AS service_name, b.status, b.starts_at,
       b.ends_at, b.held_until, b.patient_name, b.patient_phone, b.source, b.call_id, b.created_at, b.patient_confirmed_at
FROM bookings b
JOIN resources r ON r.org_id = b.org_id AND r.id = b.resource_id
JOIN services s ON s.org_id = b.org_id AND s.id = b.service_id
WHERE b.org_id = @org_id AND b.starts_at >= @range_start AND b.starts_at < @range_end
  AND (sqlc.narg(status)::text IS NULL OR b.status = sqlc.narg(status))
  AND (sqlc.narg(resource_id)::uuid IS NULL OR b.resource_id = sqlc.narg(resource_id))
  AND (sqlc.narg(patient_phone)::text IS NULL OR b.patient_phone = sqlc.narg(patient_phone))
ORDER BY b.starts_at, b.id
LIMIT 500;

-- name: CancelBooking :execrows
UPDATE bookings SET status = 'cancelled', held_until = NULL, updated_at = now()
WHERE org_id = @org_id AND id = @id AND status <> 'cancelled';

-- name: ConfirmHold :execrows
-- A live hold becomes the booking.
UPDATE bookings SET status = 'confirmed', held_until = NULL, patient_name = @patient_name,
       patient_phone = @patient_phone, updated_at = now()
WHERE org_id = @org_id AND id = @id AND status = 'held' AND held_until > now();

-- name: ResourceExists :one
SELECT EXISTS (SELECT 1 FROM resources WHERE org_id = @org_id AND id = @id);
