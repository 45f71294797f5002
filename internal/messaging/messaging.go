// Package messaging owns texts to patients over the clinic's own Twilio
// account: the account settings, what a booking sends (a confirmation and
// a reminder, never at night), the message log, delivery statuses that
// only move forward, and what patients text back (opt-out, opt-in,
// confirm).
package messaging

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/secrets"
	"frontdesk/internal/tel"
)

// Outbox enqueues the sending of a logged text, in the transaction that
// logged it (implemented by the job queue).
type Outbox interface {
	EnqueueSMS(ctx context.Context, tx *postgres.Tx, logID uuid.UUID, at time.Time) error
}

// Service is the clinic's texting.
type Service struct {
	store   *postgres.Store
	secrets *secrets.Box
	outbox  Outbox
}

// NewService returns the messaging service.
func NewService(store *postgres.Store, box *secrets.Box, outbox Outbox) *Service {
	return &Service{store: store, secrets: box, outbox: outbox}
}

// Default templates, used until a clinic sets its own. Placeholders:
// {patient}, {service}, {when}, {clinician}, {clinic}.
const (
	DefaultConfirmationTemplate = "Hi {patient}, your {service} at {clinic} is booked for {when} with {clinician}. Reply C to confirm or STOP to opt out."
	DefaultReminderTemplate     = "Reminder: your {service} at {clinic} is {when} with {clinician}. Reply C to confirm or STOP to opt out."
)

// defaultQuietStart and defaultQuietEnd are the night no text is sent in,
// clinic time.
const defaultQuietStart, defaultQuietEnd = scheduling.Clock(21 * 60), scheduling.Clock(8 * 60)

// When is an appointment's time as texts write it, in the clinic's zone.
func When(t time.Time, loc *time.Location) string {
	return t.In(loc).Format("Monday 2 January at 3:04 PM")
}

// Settings are the clinic's Twilio account and what it sends.
type Settings struct {
	AccountSID           string `json:"account_sid"`
	AuthToken            string `json:"auth_token,omitempty"` // write-only
	FromNumber           string `json:"from_number"`
	ConfirmationTemplate string `json:"confirmation_template"`
	ReminderTemplate     string `json:"reminder_template"`
	ReminderHoursBefore  *int32 `json:"reminder_hours_before"` // 0: no reminders
	QuietStart           string `json:"quiet_start"`           // HH:MM, clinic time
	QuietEnd             string `json:"quiet_end"`
	// AllowedCountries are the countries texts may go to (ISO 3166);
	// empty: the clinic's own.
	AllowedCountries []string   `json:"allowed_countries"`
	Configured       bool       `json:"configured"`
	UpdatedAt        *time.Time `json:"updated_at,omitempty"`
}

var accountSID = regexp.MustCompile(`^AC[0-9a-fA-F]{32}$`)

// Settings reads the clinic's account (never its token).
func (s *Service) Settings(ctx context.Context, org frontdesk.OrgID) (Settings, error) {
	out := Settings{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		a, err := tx.GetTwilioAccount(ctx, org)
		if errors.Is(err, frontdesk.ErrNotFound) {
			return nil
		}
		updated := a.UpdatedAt.In(tx.Org.Location)
		out = Settings{AccountSID: a.AccountSid, FromNumber: a.FromNumber, ConfirmationTemplate: a.ConfirmationTemplate,
			ReminderTemplate: a.ReminderTemplate, ReminderHoursBefore: &a.ReminderHoursBefore, QuietStart: scheduling.ClockOf(a.QuietStart).String(),
			QuietEnd: scheduling.ClockOf(a.QuietEnd).String(), Configured: true, UpdatedAt: &updated,
			AllowedCountries: a.AllowedCountries}
		return err
	})
	return out, err
}

// SetSettings stores the clinic's account: the token sealed, the sending
// number claimed for this clinic alone. It returns what was stored,
// without the token.
func (s *Service) SetSettings(ctx context.Context, org frontdesk.OrgID, in Settings) (Settings, error) {
	switch {
	case !accountSID.MatchString(in.AccountSID):
		return in, frontdesk.Invalid("account_sid", "must be a Twilio Account SID (AC followed by 32 hex digits)")
	case len(in.AuthToken) < 16 || len(in.AuthToken) > 128:
		return in, frontdesk.Invalid("auth_token", "is required (the account's auth token)")
	case len(in.ConfirmationTemplate) > 1000:
		return in, frontdesk.Invalid("confirmation_template", "at most 1,000 characters")
	case len(in.ReminderTemplate) > 1000:
		return in, frontdesk.Invalid("reminder_template", "at most 1,000 characters")
	case in.ReminderHoursBefore != nil && (*in.ReminderHoursBefore < 0 || *in.ReminderHoursBefore > 336):
		return in, frontdesk.Invalid("reminder_hours_before", "must be from 0 (no reminders) to 336")
	}
	if strings.TrimSpace(in.ConfirmationTemplate) == "" {
		in.ConfirmationTemplate = DefaultConfirmationTemplate
	}
	if strings.TrimSpace(in.ReminderTemplate) == "" {
		in.ReminderTemplate = DefaultReminderTemplate
	}
	if in.ReminderHoursBefore == nil {
		h := int32(24)
		in.ReminderHoursBefore = &h
	}
	quietStart, quietEnd := defaultQuietStart, defaultQuietEnd
	if in.QuietStart != "" || in.QuietEnd != "" {
		var ok1, ok2 bool
		quietStart, ok1 = scheduling.ParseClock(in.QuietStart)
		quietEnd, ok2 = scheduling.ParseClock(in.QuietEnd)
		if !ok1 || !ok2 {
			return in, frontdesk.Invalid("quiet_start", "quiet_start and quiet_end are HH:MM, clinic time")
		}
	}
	in.QuietStart, in.QuietEnd = quietStart.String(), quietEnd.String()
	countries, err := Countries(in.AllowedCountries)
	if err != nil {
		return in, err
	}
	in.AllowedCountries = countries
	token := in.AuthToken
	in.AuthToken, in.Configured = "", true
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		n, err := tel.Valid(in.FromNumber, tx.Org.Country)
		if err != nil {
			return frontdesk.Invalid("from_number", "%s", err.Error())
		}
		in.FromNumber = n
		if err := tx.DeleteSMSRoutes(ctx, org); err != nil {
			return err
		}
		if err := tx.AddSMSRoute(ctx, db.AddSMSRouteParams{OrgID: org, Value: n}); err != nil {
			if errors.Is(err, frontdesk.ErrConflict) {
				return frontdesk.Conflict("from_number", "this number is already registered")
			}
			return err
		}
		return tx.UpsertTwilioAccount(ctx, db.UpsertTwilioAccountParams{OrgID: org, AccountSid: in.AccountSID,
			AuthTokenCiphertext: s.secrets.Seal([]byte(token), org[:]), FromNumber: n,
			ConfirmationTemplate: in.ConfirmationTemplate, ReminderTemplate: in.ReminderTemplate,
			ReminderHoursBefore: *in.ReminderHoursBefore, QuietStart: quietStart.PG(), QuietEnd: quietEnd.PG(),
			AllowedCountries: countries})
	})
	return in, err
}

// DeleteSettings disconnects the clinic's account.
func (s *Service) DeleteSettings(ctx context.Context, org frontdesk.OrgID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if err := tx.DeleteSMSRoutes(ctx, org); err != nil {
			return err
		}
		return postgres.OneRow(tx.DeleteTwilioAccount(ctx, org))
	})
}

// Message is one text the clinic sent, or will send.
type Message struct {
	ID        string              `json:"id"`
	BookingID frontdesk.BookingID `json:"booking_id"`
	Kind      string              `json:"kind"`
	To        string              `json:"to"`
	Body      string              `json:"body"`
	Status    string              `json:"status"`
	ErrorCode *int32              `json:"error_code,omitempty"`
	Error     string              `json:"error,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
}

// Messages is the clinic's message log.
func (s *Service) Messages(ctx context.Context, org frontdesk.OrgID) ([]Message, error) {
	out := []Message{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListSMSLogs(ctx, org)
		for _, m := range rows {
			l := Message{ID: m.ID.String(), BookingID: m.BookingID, Kind: m.Kind, To: m.ToNumber, Body: m.Body,
				Status: m.Status, Error: m.ErrorMessage, CreatedAt: m.CreatedAt.In(tx.Org.Location)}
			if m.ErrorCode.Valid {
				l.ErrorCode = &m.ErrorCode.Int32
			}
			out = append(out, l)
		}
		return err
	})
	return out, err
}

// Inbound is a text a patient sent the clinic.
type Inbound struct {
	ID         uuid.UUID `json:"id"`
	From       string    `json:"from"`
	Body       string    `json:"body"`
	Action     string    `json:"action"` // opt_out, opt_in, confirm or message
	ReceivedAt time.Time `json:"received_at"`
	Handled    bool      `json:"handled"`
}

// InboundMessages shows staff what patients texted the clinic.
func (s *Service) InboundMessages(ctx context.Context, org frontdesk.OrgID) ([]Inbound, error) {
	out := []Inbound{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListInboundSMS(ctx, org)
		for _, m := range rows {
			out = append(out, Inbound{m.ID, m.FromNumber, m.Body, m.Action, m.ReceivedAt.In(tx.Org.Location), m.HandledAt != nil})
		}
		return err
	})
	return out, err
}

// OptOut is a number the clinic no longer texts, since it texted STOP or
// the staff recorded the patient's wish.
type OptOut struct {
	Phone string    `json:"phone"`
	Since time.Time `json:"since"`
}

// OptOuts lists the numbers the clinic does not text, newest first (500
// at most).
func (s *Service) OptOuts(ctx context.Context, org frontdesk.OrgID) ([]OptOut, error) {
	out := []OptOut{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rows, err := tx.ListOptOuts(ctx, org)
		for _, r := range rows {
			out = append(out, OptOut{r.Phone, r.OptedOutAt.In(tx.Org.Location)})
		}
		return err
	})
	return out, err
}

// StopTexting records a patient's wish not to be texted (asked at the desk
// or on the phone), as a STOP text would; only the patient texting START
// undoes it. It returns the number as stored.
func (s *Service) StopTexting(ctx context.Context, org frontdesk.OrgID, phone string) (string, error) {
	var e164 string
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if e164, err = tel.Valid(phone, tx.Org.Country); err != nil {
			return frontdesk.Invalid("phone", "%s", err.Error())
		}
		return tx.OptOut(ctx, db.OptOutParams{OrgID: org, Phone: e164})
	})
	return e164, err
}

func int4(n int32) pgtype.Int4 { return pgtype.Int4{Int32: n, Valid: true} }
