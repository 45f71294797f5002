// Package patients is one patient's data in a clinic, by phone number:
// the timeline staff read, the export a patient is given, and erasure.
// Every read is written to the access log in the transaction that reads.
package patients

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/google/uuid"
	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/tel"
)

// Service reads, exports and erases patients' data.
type Service struct {
	store  *postgres.Store
	access *access.Log
	bucket *blob.Bucket
	cancel Canceller
}

// NewService returns the patients service; erasing cancels upcoming
// bookings with cancel.
func NewService(store *postgres.Store, log *access.Log, bucket *blob.Bucket, cancel Canceller) *Service {
	return &Service{store: store, access: log, bucket: bucket, cancel: cancel}
}

// Event is one line of a patient's timeline.
type Event struct {
	At     time.Time         `json:"at"`
	Kind   string            `json:"kind"` // call, booking, text, reply, message
	What   string            `json:"what"`
	Status string            `json:"status"`
	CallID *frontdesk.CallID `json:"call_id,omitempty"`
}

// Timeline is a patient's contact card (when the number is a contact),
// and their calls, bookings, texts both ways and messages for the staff,
// newest first.
type Timeline struct {
	Phone   string   `json:"phone"`
	Contact *Contact `json:"contact,omitempty"`
	Events  []Event  `json:"events"`
}

// Contact is what the clinic keeps of the number as a contact.
type Contact struct {
	Name        string     `json:"name"`
	Email       string     `json:"email"`
	Tags        []string   `json:"tags"`
	Notes       string     `json:"notes"`
	CallConsent *time.Time `json:"call_consent_at"`
	TextConsent *time.Time `json:"text_consent_at"`
	Source      string     `json:"source"`
	DoNotCall   bool       `json:"do_not_call"`
	Since       time.Time  `json:"since"`
	// LastOutcome is how the last campaign call to the number ended.
	LastOutcome string     `json:"last_outcome,omitempty"`
	LastCalled  *time.Time `json:"last_called_at,omitempty"`
}

// timelineCalls is how many of the latest calls a timeline shows.
const timelineCalls = 200

// phoneOf reads number as the clinic stores numbers (E.164 in its
// country), or refuses it naming field.
func phoneOf(tx *postgres.Tx, number string) (string, error) {
	phone, err := tel.Normalize(number, tx.Org.Country)
	if err != nil {
		return "", frontdesk.Invalid("phone", "%s", err.Error())
	}
	return phone, nil
}

// Timeline reads one patient's timeline: a read the access log records.
func (s *Service) Timeline(ctx context.Context, org frontdesk.OrgID, number string) (Timeline, error) {
	var out Timeline
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		phone, err := phoneOf(tx, number)
		if err != nil {
			return err
		}
		out = Timeline{Phone: phone, Events: []Event{}}
		if err := s.access.Read(ctx, tx, access.Patient, frontdesk.CallID{}, phone); err != nil {
			return err
		}
		d, err := load(ctx, tx, phone)
		if err != nil {
			return err
		}
		loc := tx.Org.Location
		if c, err := tx.ContactByPhone(ctx, db.ContactByPhoneParams{OrgID: org, Phone: phone}); err == nil {
			out.Contact = &Contact{Name: c.Name, Email: c.Email, Tags: c.Tags, Notes: c.Notes, CallConsent: calls.InZone(c.CallConsentAt, loc),
				TextConsent: calls.InZone(c.TextConsentAt, loc), Source: c.Source, DoNotCall: c.DoNotCall, Since: c.CreatedAt.In(loc),
				LastOutcome: c.LastOutcome, LastCalled: calls.InZone(c.LastCalledAt, loc)}
		} else if !errors.Is(err, frontdesk.ErrNotFound) {
			return err
		}
		cs, err := tx.PatientCalls(ctx, firstCalls(org, phone, timelineCalls))
		if err != nil {
			return err
		}
		for _, c := range cs {
			what := "Call"
			if c.DurationSeconds.Valid {
				what += ", " + (time.Duration(c.DurationSeconds.Int32) * time.Second).String()
			}
			if c.Outcome.Valid {
				what += ", " + c.Outcome.String
			}
			out.Events = append(out.Events, Event{At: c.StartedAt.In(loc), Kind: "call", What: what, Status: c.Status, CallID: &c.ID})
		}
		for _, b := range d.bookings {
			out.Events = append(out.Events, Event{At: b.StartsAt.In(loc), Kind: "booking", Status: b.Status,
				What: b.ServiceName + " with " + b.ResourceName + " for " + b.PatientName + ", " + b.StartsAt.In(loc).Format("Mon 2 Jan 2006 3:04 PM")})
		}
		for _, t := range d.texts {
			out.Events = append(out.Events, Event{At: t.CreatedAt.In(loc), Kind: "text", What: t.Body, Status: t.Status})
		}
		for _, t := range d.inbound {
			out.Events = append(out.Events, Event{At: t.ReceivedAt.In(loc), Kind: "reply", What: t.Body, Status: t.Action})
		}
		for _, c := range d.callbacks {
			out.Events = append(out.Events, Event{At: c.CreatedAt.In(loc), Kind: "message", What: c.Reason, Status: c.Status, CallID: &c.CallID})
		}
		sortNewestFirst(out.Events)
		return nil
	})
	return out, err
}

// data is a patient's rows other than calls (which are read in pages).
type data struct {
	bookings  []db.PatientBookingsRow
	texts     []db.PatientTextsRow
	inbound   []db.PatientInboundRow
	callbacks []db.PatientCallbacksRow
	optedOut  *time.Time
}

func load(ctx context.Context, tx *postgres.Tx, phone string) (d data, err error) {
	org := tx.Org.ID
	if d.bookings, err = tx.PatientBookings(ctx, db.PatientBookingsParams{OrgID: org, Phone: phone}); err != nil {
		return d, err
	}
	if d.texts, err = tx.PatientTexts(ctx, db.PatientTextsParams{OrgID: org, Phone: phone}); err != nil {
		return d, err
	}
	if d.inbound, err = tx.PatientInbound(ctx, db.PatientInboundParams{OrgID: org, Phone: phone}); err != nil {
		return d, err
	}
	if d.callbacks, err = tx.PatientCallbacks(ctx, db.PatientCallbacksParams{OrgID: org, Phone: phone}); err != nil {
		return d, err
	}
	at, err := tx.PatientOptOut(ctx, db.PatientOptOutParams{OrgID: org, Phone: phone})
	if err == nil {
		d.optedOut = &at
	} else if !errors.Is(err, frontdesk.ErrNotFound) {
		return d, err
	}
	return d, nil
}

// firstCalls is the query for a patient's newest n calls.
func firstCalls(org frontdesk.OrgID, phone string, n int32) db.PatientCallsParams {
	return db.PatientCallsParams{OrgID: org, Phone: phone, BeforeAt: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), BeforeID: uuid.Max, RowLimit: n}
}

func sortNewestFirst(events []Event) {
	sort.SliceStable(events, func(i, j int) bool { return events[i].At.After(events[j].At) })
}
