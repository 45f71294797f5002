-- Google Calendar connections.

-- name: AddOAuthPending :one
INSERT INTO oauth_pending (org_id, user_id, resource_id, verifier, expires_at)
VALUES (@org_id, @user_id, @resource_id, @verifier, @expires_at) RETURNING id;

-- name: TakeOAuthPending :one
-- Single use: the flow's row is consumed by its callback.
DELETE FROM oauth_pending WHERE org_id = @org_id AND id = @id AND user_id = @user_id AND expires_at > now()
RETURNING resource_id, verifier;

-- name: SaveCalendarConnection :exec
INSERT INTO calendar_connections (org_id, resource_id, token, connected_by, account)
VALUES (@org_id, @resource_id, @token, @connected_by, @account)
ON CONFLICT (org_id, resource_id) DO UPDATE SET token = excluded.token, status = 'active', status_reason = '',
    connected_by = excluded.connected_by, account = excluded.account, updated_at = now();

-- name: ListCalendarConnections :many
SELECT c.id, c.resource_id, r.name AS resource_name, c.calendar_id, c.status, c.status_reason, c.created_at, c.updated_at, c.account
FROM calendar_connections c JOIN resources r ON r.org_id = c.org_id AND r.id = c.resource_id
WHERE c.org_id = @org_id ORDER BY r.name;

-- name: CalendarConnectionByResource :one
SELECT id, calendar_id, token, status, account FROM calendar_connections WHERE org_id = @org_id AND resource_id = @resource_id;

-- name: ActiveCalendarConnections :many
SELECT resource_id, calendar_id, token FROM calendar_connections WHERE org_id = @org_id AND status = 'active';

-- name: DeleteCalendarConnection :one
DELETE FROM calendar_connections WHERE org_id = @org_id AND id = @id RETURNING token;

-- name: MarkCalendarNeedsReconnect :exec
UPDATE calendar_connections SET status = 'needs_reconnect', status_reason = @status_reason, updated_at = now()
WHERE org_id = @org_id AND resource_id = @resource_id;

-- name: FutureBookingsOfResource :many
SELECT id FROM bookings WHERE org_id = @org_id AND resource_id = @resource_id AND status = 'confirmed' AND ends_at > now();
