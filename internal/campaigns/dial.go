package campaigns

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/runes"
	"frontdesk/internal/tel"
)

// Dial is one turn of the dialer for one clinic: for each running
// campaign, as many due targets as it has free slots become attempts
// (each enqueued to be placed), in one transaction that holds the
// clinic's running campaigns, so that dialers in several processes never
// exceed a campaign's cap between them. A target on the do-not-call list,
// or without consent when the campaign needs it, is finished without a
// call; one outside its calling hours waits for them.
func (s *Service) Dial(ctx context.Context, org frontdesk.OrgID) (int, error) {
	placed := 0
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		now := s.now()
		due, err := tx.DueScheduledCampaigns(ctx, db.DueScheduledCampaignsParams{OrgID: org, Now: now})
		if err != nil {
			return err
		}
		for _, c := range due { // scheduled campaigns whose time has come start
			if _, err := tx.SetCampaignState(ctx, db.SetCampaignStateParams{OrgID: org, ID: c.ID, State: "running", FromStates: []string{"scheduled"}}); err != nil {
				return err
			}
			if _, err := tx.AddCampaignTargets(ctx, db.AddCampaignTargetsParams{OrgID: org, CampaignID: c.ID, Tags: c.AudienceTags}); err != nil {
				return err
			}
		}
		running, err := tx.RunningCampaigns(ctx, org)
		if err != nil {
			return err
		}
		for _, c := range running {
			stale, err := tx.ExpireStaleAttempts(ctx, db.ExpireStaleAttemptsParams{OrgID: org, CampaignID: c.ID, Before: now.Add(-staleAfter)})
			if err != nil {
				return err
			}
			for _, phone := range stale {
				if err := s.nextTx(ctx, tx, c.ID, phone, "no_report", true); err != nil {
					return err
				}
			}
			live, err := tx.LiveAttempts(ctx, db.LiveAttemptsParams{OrgID: org, CampaignID: c.ID})
			if err != nil {
				return err
			}
			onNumber, err := tx.LiveAttemptsOnNumber(ctx, db.LiveAttemptsOnNumberParams{OrgID: org, PhoneNumberID: c.PhoneNumberID})
			if err != nil {
				return err
			}
			free := min(int(c.MaxConcurrent)-int(live), MaxPerNumber-int(onNumber))
			for free > 0 {
				due, err := tx.DueTargets(ctx, db.DueTargetsParams{OrgID: org, CampaignID: c.ID, RowLimit: int32(free), Now: now})
				if err != nil {
					return err
				}
				for _, t := range due {
					target := db.SetTargetParams{OrgID: org, CampaignID: c.ID, Phone: t.Phone, State: "done", Attempts: t.Attempts, NextAt: now}
					zone := tel.Zone(t.Phone, tx.Org.Country, tx.Org.Location)
					switch {
					case t.DoNotCall:
						target.Outcome = "do_not_call"
					case c.RequireCallConsent && !t.Consent:
						target.Outcome = "no_consent"
					case !within(c, now.In(zone)):
						target.State, target.NextAt = "pending", nextWindow(c, now.In(zone))
					default:
						id, err := tx.AddAttempt(ctx, db.AddAttemptParams{OrgID: org, CampaignID: c.ID, Phone: t.Phone, Now: now})
						if err != nil {
							return err
						}
						target.State, target.Attempts = "dialling", t.Attempts+1
						if err := s.outbox.EnqueueCampaignCall(ctx, tx, id); err != nil {
							return err
						}
						placed++
						free--
					}
					if err := tx.SetTarget(ctx, target); err != nil {
						return err
					}
				}
				if len(due) == 0 {
					break
				}
			}
			if _, err := tx.CompleteCampaign(ctx, db.CompleteCampaignParams{OrgID: org, ID: c.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	return placed, err
}

// staleAfter is how long an attempt may stay unsettled (its call's end
// not reported, or its placing stopped) before it stops holding a slot.
const staleAfter = 2 * time.Hour

// MaxPerNumber is the most calls in flight from one Vapi number, across
// the clinic's campaigns (Vapi's default concurrency for an organization
// is 10, shared with inbound calls: some stay free for them).
const MaxPerNumber = 8

// within says whether t (the callee's time) is in the campaign's calling
// hours and days.
func within(c db.Campaign, t time.Time) bool {
	m := int32(t.Hour()*60 + t.Minute())
	return slices.Contains(c.Days, int32(t.Weekday())) && m >= c.HoursStart && m < c.HoursEnd
}

// nextWindow is when the campaign's calling hours next open after t, in
// t's zone (a DST day's skipped or repeated hour taken as the clock says).
func nextWindow(c db.Campaign, t time.Time) time.Time {
	for d := range 8 {
		day := t.AddDate(0, 0, d)
		y, mo, dd := day.Date()
		open := time.Date(y, mo, dd, int(c.HoursStart/60), int(c.HoursStart%60), 0, 0, t.Location())
		if slices.Contains(c.Days, int32(open.Weekday())) && open.After(t) {
			return open
		}
	}
	return t.Add(24 * time.Hour)
}

// doubtGrace is how long after an unanswered request to place a call the
// dialer looks for it before asking Vapi again.
const doubtGrace = time.Minute

// ErrLater asks the job to run again later, after Wait.
type ErrLater struct {
	Wait   time.Duration
	Reason string
}

func (e *ErrLater) Error() string { return e.Reason }

// Place asks Vapi to call one attempt's contact, exactly once: the
// request is recorded before it is sent; after a request whose answer
// was lost (a timeout, a 5xx, a crash), the next run looks for the call
// by its name and adopts it, and asks again only when Vapi has none a
// minute later. A refusal (400, 401) fails the attempt; a 429 waits.
// A paused or cancelled campaign places nothing. No transaction is open
// while Vapi is asked.
func (s *Service) Place(ctx context.Context, org frontdesk.OrgID, attempt uuid.UUID) error {
	var (
		a   db.GetAttemptRow
		key string
	)
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if a, err = tx.GetAttempt(ctx, db.GetAttemptParams{OrgID: org, ID: attempt}); err != nil || a.State != "placing" {
			return err
		}
		if a.CampaignState != "running" {
			return s.failTx(ctx, tx, attempt, "the campaign is "+a.CampaignState, a.CampaignState == "paused")
		}
		// The do-not-call list again, as it is now: a number added since
		// the dialer's turn is not dialled either.
		if blocked, err := tx.DoNotCallPhones(ctx, db.DoNotCallPhonesParams{OrgID: org, Phones: []string{a.Phone}}); err != nil || len(blocked) > 0 {
			if err == nil {
				a.State = "blocked"
				err = s.blockTx(ctx, tx, attempt)
			}
			return err
		}
		if key, err = s.keys(ctx, tx); err != nil || key == "" {
			if err == nil {
				err = s.failTx(ctx, tx, attempt, ErrNoKey.Error(), false)
			}
			return err
		}
		if a.PostedAt == nil {
			return tx.SetAttemptPosted(ctx, db.SetAttemptPostedParams{OrgID: org, ID: attempt, Now: s.now()})
		}
		return nil
	})
	if err != nil || a.State != "placing" || a.CampaignState != "running" || key == "" {
		return err
	}
	name := "fd-" + attempt.String()
	if a.PostedAt != nil { // asked before, answer unknown: look before asking again
		id, found, err := s.api.FindCall(ctx, key, a.PhoneNumberID, name, a.PostedAt.Add(-doubtGrace))
		if err != nil {
			return err
		}
		if found {
			return s.placed(ctx, org, attempt, id)
		}
		if s.now().Sub(*a.PostedAt) < doubtGrace {
			return &ErrLater{Wait: doubtGrace, Reason: "a request to place the call went unanswered: looking for the call again shortly"}
		}
		if err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
			return tx.SetAttemptPosted(ctx, db.SetAttemptPostedParams{OrgID: org, ID: attempt, Now: s.now()})
		}); err != nil {
			return err
		}
	}
	req := vapi.CallRequest{Name: name, PhoneNumberID: a.PhoneNumberID, AssistantID: a.AssistantID}
	if a.AssistantID == "" {
		if req.Assistant, err = s.assistants(ctx, org, a.Greeting, a.Goal); err != nil {
			return err
		}
	}
	req.Customer.Number, req.Customer.Name = a.Phone, runes.Clip(a.Name, 40)
	id, err := s.api.CreateCall(ctx, key, req)
	var (
		refused *vapi.Refused
		busy    *vapi.Busy
	)
	switch {
	case err == nil:
		return s.placed(ctx, org, attempt, id)
	case errors.As(err, &refused):
		return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
			return s.failTx(ctx, tx, attempt, refused.Error(), false)
		})
	case errors.As(err, &busy): // not created: may ask again
		wait := max(busy.RetryAfter, 10*time.Second)
		if err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
			return tx.ClearAttemptPosted(ctx, db.ClearAttemptPostedParams{OrgID: org, ID: attempt})
		}); err != nil {
			return err
		}
		return &ErrLater{Wait: wait, Reason: "Vapi asked to wait (429)"}
	}
	return err // unknown: the next run looks for the call first
}

func (s *Service) placed(ctx context.Context, org frontdesk.OrgID, attempt uuid.UUID, vapiCallID string) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return tx.SetAttemptPlaced(ctx, db.SetAttemptPlacedParams{OrgID: org, ID: attempt, VapiCallID: pgtype.Text{String: vapiCallID, Valid: true}})
	})
}

// failTx ends an attempt that placed no call: its target goes back to
// wait (retry: a paused campaign), or on to its next attempt, or is done.
func (s *Service) failTx(ctx context.Context, tx *postgres.Tx, attempt uuid.UUID, why string, retry bool) error {
	row, err := tx.SetAttemptFailed(ctx, db.SetAttemptFailedParams{OrgID: tx.Org.ID, ID: attempt, Error: why})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.nextTx(ctx, tx, row.CampaignID, row.Phone, "failed", retry)
}

// blockTx ends an attempt whose number went on the do-not-call list
// before it was placed, and its target with it.
func (s *Service) blockTx(ctx context.Context, tx *postgres.Tx, attempt uuid.UUID) error {
	row, err := tx.SetAttemptFailed(ctx, db.SetAttemptFailedParams{OrgID: tx.Org.ID, ID: attempt, Error: "on the do-not-call list"})
	if err != nil {
		return err
	}
	t, err := tx.TargetOf(ctx, db.TargetOfParams{OrgID: tx.Org.ID, CampaignID: row.CampaignID, Phone: row.Phone})
	if err != nil {
		return err
	}
	return tx.SetTarget(ctx, db.SetTargetParams{OrgID: tx.Org.ID, CampaignID: row.CampaignID, Phone: row.Phone, State: "done",
		Outcome: "do_not_call", Attempts: t.Attempts - 1, NextAt: s.now()})
}

// nextTx moves a target on after an attempt: again later while it has
// attempts left (or retry: the attempt did not count), else done with
// outcome.
func (s *Service) nextTx(ctx context.Context, tx *postgres.Tx, campaign uuid.UUID, phone, outcome string, again bool) error {
	t, err := tx.TargetOf(ctx, db.TargetOfParams{OrgID: tx.Org.ID, CampaignID: campaign, Phone: phone})
	if err != nil {
		return err
	}
	p := db.SetTargetParams{OrgID: tx.Org.ID, CampaignID: campaign, Phone: phone, State: "done", Outcome: outcome, Attempts: t.Attempts, NextAt: s.now()}
	switch {
	case again && outcome == "failed": // not dialled at all: the attempt does not count
		p.State, p.Outcome, p.Attempts = "pending", "", t.Attempts-1
	case again && t.Attempts < t.MaxAttempts:
		p.State, p.NextAt = "pending", s.now().Add(time.Duration(t.RetryMinutes)*time.Minute)
	}
	return tx.SetTarget(ctx, p)
}

// CallEnded settles the attempt a campaign call belongs to, in the
// transaction that records the call's end: booked, answered, or (no
// answer, busy, voicemail) tried again while attempts are left, as the
// campaign's stop_on says; the contact keeps the outcome. A call of no
// campaign is left alone.
func (s *Service) CallEnded(ctx context.Context, tx *postgres.Tx, vapiCallID, endedReason, outcome string) error {
	row, err := tx.EndAttemptByCall(ctx, db.EndAttemptByCallParams{OrgID: tx.Org.ID, VapiCallID: pgtype.Text{String: vapiCallID, Valid: true}})
	if errors.Is(err, frontdesk.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	result := "answered"
	switch {
	case outcome == "booked" || outcome == "rescheduled":
		result = "booked"
	case endedReason == "customer-did-not-answer" || endedReason == "customer-busy":
		result = "no_answer"
	case endedReason == "voicemail":
		result = "voicemail"
	case endedReason == "twilio-reported-customer-misdialed":
		result = "number_invalid"
	}
	t, err := tx.TargetOf(ctx, db.TargetOfParams{OrgID: tx.Org.ID, CampaignID: row.CampaignID, Phone: row.Phone})
	if err != nil {
		return err
	}
	if err := tx.SetContactOutcome(ctx, db.SetContactOutcomeParams{OrgID: tx.Org.ID, Phone: row.Phone, Outcome: result, At: s.now()}); err != nil {
		return err
	}
	// Booked always ends it; the rest as the campaign says.
	again := result != "booked" && !slices.Contains(t.StopOn, result)
	if err := s.nextTx(ctx, tx, row.CampaignID, row.Phone, result, again); err != nil {
		return err
	}
	_, err = tx.CompleteCampaign(ctx, db.CompleteCampaignParams{OrgID: tx.Org.ID, ID: row.CampaignID})
	return err
}
