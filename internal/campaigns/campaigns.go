// Package campaigns is outbound calling: a campaign's audience, assistant,
// number, calling hours and limits; its states; the dialer that places
// each attempt through Vapi exactly once; and what a call's end means for
// its contact.
package campaigns

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/providers/vapi"
)

// Outbox enqueues the placing of one attempt, in the dialer's
// transaction.
type Outbox interface {
	EnqueueCampaignCall(ctx context.Context, tx *postgres.Tx, attempt uuid.UUID) error
}

// Keys opens the clinic's Vapi private key in a transaction ("" for none).
type Keys func(ctx context.Context, tx *postgres.Tx) (string, error)

// Assistants builds the clinic's receptionist for an outbound call: the
// campaign's greeting first, told the call's goal (the Vapi transient
// assistant, for a campaign without a fixed assistant id).
type Assistants func(ctx context.Context, org frontdesk.OrgID, greeting, goal string) (map[string]any, error)

// Service runs campaigns.
type Service struct {
	store      *postgres.Store
	outbox     Outbox
	api        *vapi.API
	keys       Keys
	assistants Assistants
	now        func() time.Time
}

// NewService returns the campaigns service.
func NewService(store *postgres.Store, outbox Outbox, api *vapi.API, keys Keys, assistants Assistants) *Service {
	return &Service{store: store, outbox: outbox, api: api, keys: keys, assistants: assistants, now: time.Now}
}

// Campaign is a campaign as staff define it, with its counts.
type Campaign struct {
	ID                 uuid.UUID `json:"id"`
	Name               string    `json:"name"`
	State              string    `json:"state"`
	AudienceTags       []string  `json:"audience_tags"`
	RequireCallConsent *bool     `json:"require_call_consent"`
	// AssistantID is a fixed Vapi assistant; without one, the clinic's
	// receptionist calls, opening with Greeting, told Goal.
	AssistantID   string    `json:"assistant_id"`
	Greeting      string    `json:"greeting"`
	Goal          string    `json:"goal"`
	PhoneNumberID string    `json:"phone_number_id"`
	CallingHours  [2]string `json:"calling_hours"` // "09:00", "20:00", in the callee's time
	Days          []int32   `json:"days"`          // 0 = Sunday
	MaxConcurrent int32     `json:"max_concurrent"`
	MaxAttempts   int32     `json:"max_attempts"`
	RetryMinutes  int32     `json:"retry_minutes"`
	// StopOn is what a call's end must be to end its contact's attempts:
	// answered, booked, number_invalid, voicemail.
	StopOn []string `json:"stop_on"`
	// Counts are the targets by state and outcome ("done/answered": 3).
	Counts    map[string]int64 `json:"counts,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
}

func clock(m int32) string { return time.Date(0, 1, 1, 0, int(m), 0, 0, time.UTC).Format("15:04") }

func minutes(s, field string) (int32, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, frontdesk.Invalid(field, "must be a time of day, HH:MM")
	}
	return int32(t.Hour()*60 + t.Minute()), nil
}

// params validates a new campaign, with its defaults.
func (c *Campaign) params(org frontdesk.OrgID) (db.CreateCampaignParams, error) {
	p := db.CreateCampaignParams{OrgID: org, Name: strings.TrimSpace(c.Name), AudienceTags: []string{}, RequireCallConsent: true,
		AssistantID: strings.TrimSpace(c.AssistantID), Greeting: strings.TrimSpace(c.Greeting), Goal: strings.TrimSpace(c.Goal),
		PhoneNumberID: strings.TrimSpace(c.PhoneNumberID),
		HoursStart:    540, HoursEnd: 1200, Days: []int32{1, 2, 3, 4, 5}, MaxConcurrent: 2, MaxAttempts: 2, RetryMinutes: 240,
		StopOn: []string{"answered", "booked", "number_invalid"}}
	switch {
	case p.Name == "" || len(p.Name) > 200:
		return p, frontdesk.Invalid("name", "is required (at most 200 characters)")
	case len(p.AssistantID) > 100:
		return p, frontdesk.Invalid("assistant_id", "is at most 100 characters")
	case p.AssistantID == "" && (p.Greeting == "" || p.Goal == ""):
		return p, frontdesk.Invalid("greeting", "and goal are required without an assistant_id: the receptionist opens with the greeting and is told the goal")
	case len([]rune(p.Greeting)) > 500 || len([]rune(p.Goal)) > 1000:
		return p, frontdesk.Invalid("greeting", "is at most 500 characters, and the goal at most 1000")
	case p.PhoneNumberID == "" || len(p.PhoneNumberID) > 100:
		return p, frontdesk.Invalid("phone_number_id", "is required: the Vapi phone number id to call from")
	}
	for _, t := range c.AudienceTags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			p.AudienceTags = append(p.AudienceTags, t)
		}
	}
	if c.StopOn != nil {
		p.StopOn = []string{}
		for _, v := range c.StopOn {
			if !slices.Contains([]string{"answered", "booked", "number_invalid", "voicemail"}, v) {
				return p, frontdesk.Invalid("stop_on", "lists answered, booked, number_invalid or voicemail")
			}
			p.StopOn = append(p.StopOn, v)
		}
	}
	if c.RequireCallConsent != nil {
		p.RequireCallConsent = *c.RequireCallConsent
	}
	if c.CallingHours != [2]string{} {
		var err error
		if p.HoursStart, err = minutes(c.CallingHours[0], "calling_hours"); err != nil {
			return p, err
		}
		if p.HoursEnd, err = minutes(c.CallingHours[1], "calling_hours"); err != nil {
			return p, err
		}
	}
	if p.HoursStart < 8*60 || p.HoursEnd > 21*60 || p.HoursStart >= p.HoursEnd {
		return p, frontdesk.Invalid("calling_hours", "must be within 08:00 and 21:00 in the callee's time, the start before the end")
	}
	if c.Days != nil {
		p.Days = []int32{}
		for _, d := range c.Days {
			if d < 0 || d > 6 {
				return p, frontdesk.Invalid("days", "are weekdays from 0 (Sunday) to 6 (Saturday)")
			}
			p.Days = append(p.Days, d)
		}
		if len(p.Days) == 0 {
			return p, frontdesk.Invalid("days", "must name at least one weekday")
		}
	}
	for _, x := range []struct {
		name     string
		in       int32
		out      *int32
		min, max int32
	}{{"max_concurrent", c.MaxConcurrent, &p.MaxConcurrent, 1, 20}, {"max_attempts", c.MaxAttempts, &p.MaxAttempts, 1, 5},
		{"retry_minutes", c.RetryMinutes, &p.RetryMinutes, 30, 10080}} {
		if x.in == 0 {
			continue
		}
		if x.in < x.min || x.in > x.max {
			return p, frontdesk.Invalid(x.name, "must be from %d to %d", x.min, x.max)
		}
		*x.out = x.in
	}
	return p, nil
}

func campaignOf(c db.Campaign, loc *time.Location) Campaign {
	consent := c.RequireCallConsent
	return Campaign{ID: c.ID, Name: c.Name, State: c.State, AudienceTags: c.AudienceTags, RequireCallConsent: &consent,
		AssistantID: c.AssistantID, Greeting: c.Greeting, Goal: c.Goal, PhoneNumberID: c.PhoneNumberID, CallingHours: [2]string{clock(c.HoursStart), clock(c.HoursEnd)},
		Days: c.Days, MaxConcurrent: c.MaxConcurrent, MaxAttempts: c.MaxAttempts, RetryMinutes: c.RetryMinutes, StopOn: c.StopOn,
		CreatedAt: c.CreatedAt.In(loc)}
}

// Create keeps a new campaign as a draft.
func (s *Service) Create(ctx context.Context, org frontdesk.OrgID, in Campaign) (Campaign, error) {
	p, err := in.params(org)
	if err != nil {
		return in, err
	}
	var out Campaign
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		id, err := tx.CreateCampaign(ctx, p)
		if err != nil {
			return err
		}
		c, err := tx.GetCampaign(ctx, db.GetCampaignParams{OrgID: org, ID: id})
		out = campaignOf(c, tx.Org.Location)
		return err
	})
	return out, err
}

// List is the clinic's campaigns, newest first, with their counts.
func (s *Service) List(ctx context.Context, org frontdesk.OrgID) ([]Campaign, error) {
	return s.read(ctx, org, uuid.NullUUID{})
}

// Get is one campaign with its counts.
func (s *Service) Get(ctx context.Context, org frontdesk.OrgID, id uuid.UUID) (Campaign, error) {
	out, err := s.read(ctx, org, uuid.NullUUID{UUID: id, Valid: true})
	if err != nil {
		return Campaign{}, err
	}
	return out[0], nil
}

// read is one campaign (or, without an id, all of them) with the counts
// of its targets by state and outcome ("done/answered": 3), in one
// transaction.
func (s *Service) read(ctx context.Context, org frontdesk.OrgID, id uuid.NullUUID) ([]Campaign, error) {
	out := []Campaign{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		var rows []db.Campaign
		if id.Valid {
			c, err := tx.GetCampaign(ctx, db.GetCampaignParams{OrgID: org, ID: id.UUID})
			if err != nil {
				return err
			}
			rows = append(rows, c)
		} else {
			var err error
			if rows, err = tx.ListCampaigns(ctx, org); err != nil {
				return err
			}
		}
		at := map[uuid.UUID]int{}
		for i, c := range rows {
			out = append(out, campaignOf(c, tx.Org.Location))
			out[i].Counts, at[c.ID] = map[string]int64{}, i
		}
		counts, err := tx.CampaignCounts(ctx, db.CampaignCountsParams{OrgID: org, CampaignID: id})
		for _, r := range counts {
			i, ok := at[r.CampaignID]
			if !ok {
				continue // a campaign older than the 200 listed
			}
			key := r.State
			if r.Outcome != "" {
				key += "/" + r.Outcome
			}
			out[i].Counts[key] = r.N
		}
		return err
	})
	return out, err
}

// transitions are the states each action moves from, and to.
var transitions = map[string]struct {
	from []string
	to   string
}{
	"start":  {[]string{"draft", "scheduled"}, "running"},
	"pause":  {[]string{"running"}, "paused"},
	"resume": {[]string{"paused"}, "running"},
	"cancel": {[]string{"draft", "scheduled", "running", "paused"}, "cancelled"},
}

// Actions are the actions a campaign in state allows, in a fixed order.
func Actions(state string) []string {
	var out []string
	for _, a := range []string{"start", "pause", "resume", "cancel"} {
		if slices.Contains(transitions[a].from, state) {
			out = append(out, a)
		}
	}
	return out
}

// Act starts, pauses, resumes or cancels a campaign; the dialer sees it
// at its next turn (seconds). Starting takes the audience: the contacts
// with any of its tags (all, without tags) as they are then. An action
// the campaign's state does not allow is a conflict.
func (s *Service) Act(ctx context.Context, org frontdesk.OrgID, id uuid.UUID, action string) (Campaign, error) {
	t, ok := transitions[action]
	if !ok {
		return Campaign{}, frontdesk.Invalid("action", "must be start, pause, resume or cancel")
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		c, err := tx.GetCampaign(ctx, db.GetCampaignParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		n, err := tx.SetCampaignState(ctx, db.SetCampaignStateParams{OrgID: org, ID: id, State: t.to, FromStates: t.from})
		if err != nil {
			return err
		}
		if n == 0 {
			return frontdesk.Conflict("state", "a "+c.State+" campaign cannot "+action)
		}
		if action == "start" {
			_, err = tx.AddCampaignTargets(ctx, db.AddCampaignTargetsParams{OrgID: org, CampaignID: id, Tags: c.AudienceTags})
		}
		return err
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Get(ctx, org, id)
}

// Schedule sets a draft (or scheduled) campaign to start by itself at
// at; the dialer starts it then.
func (s *Service) Schedule(ctx context.Context, org frontdesk.OrgID, id uuid.UUID, at time.Time) (Campaign, error) {
	if at.IsZero() {
		return Campaign{}, frontdesk.Invalid("starts_at", "is required: when the campaign starts, as an RFC 3339 time")
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		c, err := tx.GetCampaign(ctx, db.GetCampaignParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		n, err := tx.ScheduleCampaign(ctx, db.ScheduleCampaignParams{OrgID: org, ID: id, StartsAt: &at})
		if err == nil && n == 0 {
			err = frontdesk.Conflict("state", "a "+c.State+" campaign cannot be scheduled")
		}
		return err
	})
	if err != nil {
		return Campaign{}, err
	}
	return s.Get(ctx, org, id)
}

// ErrNoKey: the clinic has no Vapi key to place calls with.
var ErrNoKey = errors.New("the clinic has no Vapi API key: calls cannot be placed")

// SetClock makes the service read the time from now (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }
