package scheduling

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/tel"
	"frontdesk/internal/wallclock"
)

// BusySource reads the busy times of a clinic's connected calendars in
// [from, to). It is called with no transaction open: it may wait on the
// network.
type BusySource func(ctx context.Context, org frontdesk.OrgID, from, to time.Time) (External, error)

// Service is the clinic's scheduling: setup (setup.go), availability and
// bookings. Every operation opens its own tenant transaction and reads
// connected calendars before it, never during it.
type Service struct {
	store    *postgres.Store
	busy     BusySource
	onChange OnChange
}

// NewService returns the scheduling service. busy may be nil (no
// calendars); onChange runs in every booking change's transaction.
func NewService(store *postgres.Store, busy BusySource, onChange OnChange) *Service {
	return &Service{store: store, busy: busy, onChange: onChange}
}

// ExternalWindow is the span whose outside busy times a request around
// [from, to) needs: wide enough for any clinic's zone, a service's buffers
// and the alternatives offered when a time is taken.
func ExternalWindow(from, to time.Time) (time.Time, time.Time) {
	return from.Add(-3 * 24 * time.Hour), to.Add(4 * 24 * time.Hour)
}

// External reads the connected calendars' busy times around [from, to),
// with no transaction open.
func (s *Service) External(ctx context.Context, org frontdesk.OrgID, from, to time.Time) (External, error) {
	if s.busy == nil {
		return External{}, nil
	}
	from, to = ExternalWindow(from, to)
	return s.busy(ctx, org, from, to)
}

// Calendar opens the clinic's calendar in tx, for another domain package
// (the agent) that has read the external busy times before tx began.
func (s *Service) Calendar(ctx context.Context, tx *postgres.Tx, ext External) (*Calendar, error) {
	return Open(ctx, tx, time.Now(), ext, s.onChange)
}

// Availability is the answer to "when is this service free".
type Availability struct {
	Service  string `json:"service"`
	Timezone string `json:"timezone"`
	Slots    []Slot `json:"slots"`
	// UncheckedCalendars are connected calendars (by resource id) that
	// could not be read in time: their busy times are not excluded.
	UncheckedCalendars []string `json:"unchecked_calendars"`
}

// AvailabilityQuery asks for a service's free times between From and To
// (dates in the clinic's zone or RFC 3339 times, at most 31 days apart), on
// one resource or (zero) any.
type AvailabilityQuery struct {
	Service  frontdesk.ServiceID
	Resource frontdesk.ResourceID
	From, To string
}

// Availability lists free start times.
func (s *Service) Availability(ctx context.Context, org frontdesk.OrgID, q AvailabilityQuery) (Availability, error) {
	rng := url.Values{"from": {q.From}, "to": {q.To}}
	// The range read in UTC is within a day of the clinic's: enough to
	// read the calendars before the transaction.
	from, to, err := calls.ParseRange(rng, time.UTC)
	if err != nil {
		return Availability{}, err
	}
	if from == nil || to == nil {
		return Availability{}, frontdesk.Invalid("from", "from and to are required")
	}
	if to.Sub(*from) > 33*24*time.Hour { // checked exactly below, in the clinic's zone
		return Availability{}, frontdesk.Invalid("to", "at most 31 days after from")
	}
	ext, err := s.External(ctx, org, *from, *to)
	if err != nil {
		return Availability{}, err
	}
	var out Availability
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		from, to, err := calls.ParseRange(rng, tx.Org.Location)
		if err != nil {
			return err
		}
		if to.Sub(*from) > 31*24*time.Hour {
			return frontdesk.Invalid("to", "at most 31 days after from")
		}
		cal, err := s.Calendar(ctx, tx, ext)
		if err != nil {
			return err
		}
		svc, err := cal.Service(ctx, q.Service)
		if errors.Is(err, frontdesk.ErrNotFound) {
			return frontdesk.Invalid("service", "no such service")
		}
		if err != nil {
			return err
		}
		slots, err := cal.Free(ctx, svc, q.Resource, *from, *to)
		out = Availability{Service: svc.Name, Timezone: tx.Org.Location.String(), Slots: nonNil(slots), UncheckedCalendars: cal.Unchecked()}
		return err
	})
	return out, err
}

// SlotTakenError is a time that is not free, with the nearest free ones.
type SlotTakenError struct {
	Alternatives []Slot
}

func (e *SlotTakenError) Error() string { return "that time is not available" }
func (e *SlotTakenError) Unwrap() error { return ErrSlotUnavailable }

// BookingRequest is a booking staff make.
type BookingRequest struct {
	PatientName  string              `json:"patient_name"`
	PatientPhone string              `json:"patient_phone"`
	ServiceID    frontdesk.ServiceID `json:"service_id"`
	ResourceID   string              `json:"resource_id"` // a resource id, or "any"
	// Start is an RFC 3339 time, or YYYY-MM-DD HH:MM in the clinic's zone.
	Start string `json:"start"`
}

// ResourceChoice reads a resource id or "any" (zero).
func ResourceChoice(field, v string) (frontdesk.ResourceID, error) {
	if v == "" || v == "any" {
		return frontdesk.ResourceID{}, nil
	}
	id, err := frontdesk.ParseResourceID(v)
	if err != nil {
		return id, frontdesk.Invalid(field, `must be a resource id or "any"`)
	}
	return id, nil
}

// Book makes a staff booking. A time that is not free is a
// *SlotTakenError with the nearest free alternatives.
func (s *Service) Book(ctx context.Context, org frontdesk.OrgID, in BookingRequest) (Booking, error) {
	res, ext, err := s.around(ctx, org, in.ResourceID, in.Start)
	if err != nil {
		return Booking{}, err
	}
	var out Booking
	var svc ServiceInfo
	var start time.Time
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if start, err = ParseStart("start", in.Start, tx.Org.Location); err != nil {
			return err
		}
		cal, err := s.Calendar(ctx, tx, ext)
		if err != nil {
			return err
		}
		if in.PatientName = strings.TrimSpace(in.PatientName); in.PatientName == "" || len(in.PatientName) > 200 {
			return frontdesk.Invalid("patient_name", "is required (at most 200 characters)")
		}
		phone, err := tel.Valid(in.PatientPhone, tx.Org.Country)
		if err != nil {
			return frontdesk.Invalid("patient_phone", "%s", err.Error())
		}
		if svc, err = cal.Service(ctx, in.ServiceID); err != nil {
			if errors.Is(err, frontdesk.ErrNotFound) {
				return frontdesk.Invalid("service_id", "no such service")
			}
			return err
		}
		b, err := cal.Book(ctx, Request{Service: svc, Resource: res, Start: start, Patient: in.PatientName,
			Phone: phone, Source: "staff"})
		if err != nil {
			return err
		}
		out, err = cal.Booking(ctx, b.ID)
		return err
	})
	if errors.Is(err, ErrSlotUnavailable) {
		return out, s.slotTaken(ctx, org, ext, svc.ID, res, start)
	}
	return out, err
}

// around reads what a booking at start needs before its transaction: the
// resource chosen ("any" or an id) and the connected calendars' busy times.
func (s *Service) around(ctx context.Context, org frontdesk.OrgID, resource, start string) (frontdesk.ResourceID, External, error) {
	res, err := ResourceChoice("resource_id", resource)
	if err != nil {
		return res, External{}, err
	}
	// Read in UTC, the time is within a day of the clinic's reading:
	// enough to read the calendars before the transaction.
	at, err := ParseStart("start", start, time.UTC)
	if err != nil {
		return res, External{}, err
	}
	ext, err := s.External(ctx, org, at, at)
	return res, ext, err
}

// ParseStart reads an appointment's start: an RFC 3339 time, or a wall
// time (YYYY-MM-DD HH:MM) in loc. A missing or impossible one (30
// February, 25:00) is a validation error naming field.
func ParseStart(field, v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, frontdesk.Invalid(field, "is required: an RFC 3339 time or YYYY-MM-DD HH:MM in the clinic's time zone")
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if w, err := time.Parse(layout, v); err == nil {
			// A wall time: its first occurrence; one the clocks skip
			// does not exist.
			t, ok := wallclock.First(w.Year(), w.Month(), w.Day(), w.Hour()*60+w.Minute(), loc)
			if !ok {
				return t, frontdesk.Invalid(field, "%s does not exist in the clinic's time zone: the clocks change then", clip(v))
			}
			return t, nil
		}
	}
	return time.Time{}, frontdesk.Invalid(field, "must be an RFC 3339 time or YYYY-MM-DD HH:MM in the clinic's time zone, not %q", clip(v))
}

func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

// slotTaken is the answer for a time that is not free, with the nearest
// free alternatives (read in a new transaction: the failed one is over).
func (s *Service) slotTaken(ctx context.Context, org frontdesk.OrgID, ext External, svcID frontdesk.ServiceID, res frontdesk.ResourceID, at time.Time) error {
	taken := &SlotTakenError{Alternatives: []Slot{}}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		cal, err := s.Calendar(ctx, tx, ext)
		if err != nil {
			return err
		}
		svc, err := cal.Service(ctx, svcID)
		if err != nil {
			return err
		}
		slots, err := cal.Alternatives(ctx, svc, res, at, 3)
		taken.Alternatives = nonNil(slots)
		return err
	})
	if err != nil {
		return err
	}
	return taken
}

// Cancel cancels a booking of the clinic.
func (s *Service) Cancel(ctx context.Context, org frontdesk.OrgID, id frontdesk.BookingID) (Booking, error) {
	var out Booking
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		cal, err := s.Calendar(ctx, tx, External{})
		if err != nil {
			return err
		}
		if err := cal.Cancel(ctx, id); err != nil {
			return err
		}
		out, err = cal.Booking(ctx, id)
		return err
	})
	return out, err
}

// RescheduleRequest is a new time for a booking.
type RescheduleRequest struct {
	Start      string `json:"start"`       // as BookingRequest's
	ResourceID string `json:"resource_id"` // a resource id, or "any" (the default)
}

// Reschedule moves a booking atomically: the new time is taken and the old
// one freed in one transaction, or neither.
func (s *Service) Reschedule(ctx context.Context, org frontdesk.OrgID, id frontdesk.BookingID, in RescheduleRequest) (Booking, error) {
	res, ext, err := s.around(ctx, org, in.ResourceID, in.Start)
	if err != nil {
		return Booking{}, err
	}
	var out, old Booking
	var start time.Time
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		if start, err = ParseStart("start", in.Start, tx.Org.Location); err != nil {
			return err
		}
		cal, err := s.Calendar(ctx, tx, ext)
		if err != nil {
			return err
		}
		var nb Booked
		if old, nb, err = cal.Reschedule(ctx, id, Move{Start: start, Resource: res, Source: "staff"}); err != nil {
			return err
		}
		out, err = cal.Booking(ctx, nb.ID)
		return err
	})
	if errors.Is(err, ErrSlotUnavailable) {
		return out, s.slotTaken(ctx, org, ext, old.ServiceID, res, start)
	}
	return out, err
}

// BookingFilter narrows the bookings list: From/To as dates or RFC 3339
// times (default: from a day ago to a year ahead), a status, a resource, a
// patient's phone.
type BookingFilter struct {
	From, To, Status, Phone string
	Resource                frontdesk.ResourceID
}

// Bookings lists the clinic's bookings and holds.
func (s *Service) Bookings(ctx context.Context, org frontdesk.OrgID, f BookingFilter) ([]Booking, error) {
	out := []Booking{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		from, to, err := calls.ParseRange(url.Values{"from": {f.From}, "to": {f.To}}, tx.Org.Location)
		if err != nil {
			return err
		}
		p := db.ListBookingsParams{OrgID: org, ResourceID: nullable(f.Resource), RangeStart: time.Now().Add(-24 * time.Hour), RangeEnd: time.Now().AddDate(1, 0, 0)}
		if from != nil {
			p.RangeStart = *from
		}
		if to != nil {
			p.RangeEnd = *to
		}
		if st := f.Status; st != "" {
			if st != "held" && st != "confirmed" && st != "cancelled" {
				return frontdesk.Invalid("status", "must be held, confirmed or cancelled")
			}
			p.Status = pgtype.Text{String: st, Valid: true}
		}
		if ph := f.Phone; ph != "" {
			e164, err := tel.Normalize(ph, tx.Org.Country)
			if err != nil {
				return frontdesk.Invalid("phone", "must be a phone number")
			}
			p.PatientPhone = pgtype.Text{String: e164, Valid: true}
		}
		rows, err := tx.ListBookings(ctx, p)
		for _, b := range rows {
			out = append(out, bookingOf(db.GetBookingRow(b), tx.Org.Location))
		}
		return err
	})
	return out, err
}

func nonNil(s []Slot) []Slot {
	if s == nil {
		return []Slot{}
	}
	return s
}
