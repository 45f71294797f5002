-- Outbound campaigns, their targets and their attempts.

-- name: CreateCampaign :one
INSERT INTO campaigns (org_id, name, audience_tags, require_call_consent, assistant_id, greeting, goal, phone_number_id,
                       hours_start, hours_end, days, max_concurrent, max_attempts, retry_minutes, stop_on)
VALUES (@org_id, @name, @audience_tags::text[], @require_call_consent, @assistant_id, @greeting, @goal, @phone_number_id,
        @hours_start, @hours_end, @days::integer[], @max_concurrent, @max_attempts, @retry_minutes, @stop_on::text[])
RETURNING id;

-- name: GetCampaign :one
SELECT * FROM campaigns WHERE org_id = @org_id AND id = @id;

-- name: ListCampaigns :many
SELECT * FROM campaigns WHERE org_id = @org_id ORDER BY created_at DESC LIMIT 200;

-- name: SetCampaignState :execrows
UPDATE campaigns SET state = @state, updated_at = now() WHERE org_id = @org_id AND id = @id AND state = ANY(@from_states::text[]);

-- name: AddCampaignTargets :execrows
-- The audience at the start: contacts with any of the tags (all contacts
-- when none), erased ones never.
INSERT INTO campaign_targets (org_id, campaign_id, phone, name)
SELECT c.org_id, @campaign_id, c.phone, c.name FROM contacts c
WHERE c.org_id = @org_id AND c.phone NOT LIKE 'p:%'
  AND (cardinality(@tags::text[]) = 0 OR c.tags && @tags::text[])
ON CONFLICT DO NOTHING;

-- name: CampaignCounts :many
-- Targets by state and outcome, of one campaign or (no id) all of them.
SELECT campaign_id, state, outcome, count(*)::bigint AS n FROM campaign_targets
WHERE org_id = @org_id AND (sqlc.narg('campaign_id')::uuid IS NULL OR campaign_id = sqlc.narg('campaign_id')::uuid)
GROUP BY campaign_id, state, outcome ORDER BY campaign_id, state, outcome;

-- name: RunningCampaigns :many
-- Locked, so that two dialers never fill one campaign's slots twice.
SELECT * FROM campaigns WHERE org_id = @org_id AND state = 'running' ORDER BY created_at FOR UPDATE;

-- name: LiveAttempts :one
SELECT count(*) FROM campaign_attempts WHERE org_id = @org_id AND campaign_id = @campaign_id AND state IN ('placing', 'placed');

-- name: DueTargets :many
SELECT t.phone, t.name, t.attempts,
       (c.call_consent_at IS NOT NULL)::boolean AS consent,
       EXISTS (SELECT 1 FROM do_not_call d WHERE d.org_id = t.org_id AND d.phone = t.phone)::boolean AS do_not_call
FROM campaign_targets t
LEFT JOIN contacts c ON c.org_id = t.org_id AND c.phone = t.phone
WHERE t.org_id = @org_id AND t.campaign_id = @campaign_id AND t.state = 'pending' AND t.next_at <= @now::timestamptz
ORDER BY t.next_at, t.phone
LIMIT @row_limit
FOR UPDATE OF t SKIP LOCKED;

-- name: SetTarget :exec
UPDATE campaign_targets SET state = @state, outcome = @outcome, attempts = @attempts, next_at = @next_at, updated_at = now()
WHERE org_id = @org_id AND campaign_id = @campaign_id AND phone = @phone;

-- name: AddAttempt :one
-- The target's next attempt, numbered after every earlier one (those that
-- placed no call included).
INSERT INTO campaign_attempts (org_id, campaign_id, phone, attempt, created_at)
SELECT @org_id, @campaign_id, @phone, coalesce(max(a.attempt), 0) + 1, @now::timestamptz
FROM campaign_attempts a WHERE a.org_id = @org_id AND a.campaign_id = @campaign_id AND a.phone = @phone
RETURNING id;

-- name: GetAttempt :one
SELECT a.id, a.campaign_id, a.phone, a.attempt, a.state, a.posted_at, a.vapi_call_id, a.created_at,
       c.assistant_id, c.greeting, c.goal, c.phone_number_id, c.state AS campaign_state, t.name
FROM campaign_attempts a
JOIN campaigns c ON c.org_id = a.org_id AND c.id = a.campaign_id
JOIN campaign_targets t ON t.org_id = a.org_id AND t.campaign_id = a.campaign_id AND t.phone = a.phone
WHERE a.org_id = @org_id AND a.id = @id;

-- name: SetAttemptPosted :exec
UPDATE campaign_attempts SET posted_at = @now::timestamptz WHERE org_id = @org_id AND id = @id;

-- name: SetAttemptPlaced :exec
UPDATE campaign_attempts SET state = 'placed', vapi_call_id = @vapi_call_id, posted_at = NULL
WHERE org_id = @org_id AND id = @id AND state = 'placing';

-- name: SetAttemptFailed :one
UPDATE campaign_attempts SET state = 'failed', error = @error, posted_at = NULL
WHERE org_id = @org_id AND id = @id AND state = 'placing'
RETURNING campaign_id, phone;

-- name: EndAttemptByCall :one
UPDATE campaign_attempts SET state = 'ended'
WHERE org_id = @org_id AND vapi_call_id = @vapi_call_id AND state = 'placed'
RETURNING campaign_id, phone;

-- name: CompleteCampaign :execrows
UPDATE campaigns c SET state = 'completed', updated_at = now()
WHERE c.org_id = @org_id AND c.id = @id AND c.state = 'running'
  AND NOT EXISTS (SELECT 1 FROM campaign_targets t WHERE t.org_id = c.org_id AND t.campaign_id = c.id AND t.state <> 'done');

-- name: TargetOf :one
SELECT t.attempts, c.max_attempts, c.retry_minutes, c.stop_on FROM campaign_targets t
JOIN campaigns c ON c.org_id = t.org_id AND c.id = t.campaign_id
WHERE t.org_id = @org_id AND t.campaign_id = @campaign_id AND t.phone = @phone;

-- name: CampaignOrgs :many
SELECT s.org_id::uuid AS org_id FROM campaign_orgs() AS s(org_id);

-- name: ClearAttemptPosted :exec
UPDATE campaign_attempts SET posted_at = NULL WHERE org_id = @org_id AND id = @id AND state = 'placing';

-- name: ScheduleCampaign :execrows
UPDATE campaigns SET state = 'scheduled', starts_at = @starts_at, updated_at = now()
WHERE org_id = @org_id AND id = @id AND state IN ('draft', 'scheduled');

-- name: DueScheduledCampaigns :many
SELECT id, audience_tags FROM campaigns WHERE org_id = @org_id AND state = 'scheduled' AND starts_at <= @now::timestamptz;

-- name: LiveAttemptsOnNumber :one
-- A clinic's calls in flight from one Vapi number, across its campaigns.
SELECT count(*) FROM campaign_attempts a JOIN campaigns c ON c.org_id = a.org_id AND c.id = a.campaign_id
WHERE a.org_id = @org_id AND c.phone_number_id = @phone_number_id AND a.state IN ('placing', 'placed');

-- name: CampaignOfCall :one
SELECT c.id, c.name, a.attempt, a.phone FROM campaign_attempts a JOIN campaigns c ON c.org_id = a.org_id AND c.id = a.campaign_id
WHERE a.org_id = @org_id AND a.vapi_call_id = @vapi_call_id;

-- name: ExpireStaleAttempts :many
-- Attempts that never settled: placed calls whose end never came, and
-- attempts whose placing stopped (its job gave up).
UPDATE campaign_attempts SET state = CASE WHEN state = 'placed' THEN 'ended' ELSE 'failed' END,
       error = CASE WHEN state = 'placed' THEN 'no end-of-call report' ELSE 'placing stopped' END
WHERE org_id = @org_id AND campaign_id = @campaign_id AND state IN ('placing', 'placed') AND created_at < @before::timestamptz
RETURNING phone;
