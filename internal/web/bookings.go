package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
)

// calendar opens the clinic's calendar as every booking path needs it: the
// connected Google calendars' busy times count, and each booking change
// enqueues its texts and calendar sync in its own transaction.
func (s *Server) calendar(ctx context.Context, tx *postgres.Tx) (*scheduling.Calendar, error) {
	cal, err := scheduling.Open(ctx, tx, time.Now())
	if err != nil {
		return nil, err
	}
	cal.OnChange, cal.External = s.jobs.BookingChanged, s.externalBusy
	return cal, nil
}

type slotJSON struct {
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	ResourceID   uuid.UUID `json:"resource_id"`
	ResourceName string    `json:"resource_name"`
}

func slotsJSON(slots []scheduling.Slot, svc scheduling.ServiceInfo, loc *time.Location) []slotJSON {
	out := make([]slotJSON, len(slots))
	for i, s := range slots {
		out[i] = slotJSON{s.Start.In(loc), s.Start.Add(svc.Duration).In(loc), s.ResourceID, s.ResourceName}
	}
	return out
}

// getAvailability lists free start times of a service between from and to
// (dates in the clinic's zone or RFC 3339 times; at most 31 days), on one
// resource or any.
func (s *Server) getAvailability(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	q := r.URL.Query()
	svcID, err := uuid.Parse(q.Get("service"))
	if err != nil {
		return frontdesk.Invalid("service", "is required: a service id")
	}
	res, err := resourceParam(q.Get("resource"))
	if err != nil {
		return err
	}
	var out struct {
		Service  string     `json:"service"`
		Timezone string     `json:"timezone"`
		Slots    []slotJSON `json:"slots"`
		// UncheckedCalendars are connected calendars (by resource id) that
		// could not be read in time: their busy times are not excluded.
		UncheckedCalendars []string `json:"unchecked_calendars"`
	}
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		from, to, err := calls.ParseRange(q, tx.Org.Location)
		if err != nil {
			return err
		}
		if from == nil || to == nil {
			return frontdesk.Invalid("from", "from and to are required")
		}
		if to.Sub(*from) > 31*24*time.Hour {
			return frontdesk.Invalid("to", "at most 31 days after from")
		}
		cal, err := s.calendar(r.Context(), tx)
		if err != nil {
			return err
		}
		svc, err := cal.Service(r.Context(), svcID)
		if err != nil {
			return err
		}
		slots, err := cal.Free(r.Context(), svc, res, *from, *to)
		out.Service, out.Timezone, out.Slots = svc.Name, tx.Org.Location.String(), slotsJSON(slots, svc, tx.Org.Location)
		out.UncheckedCalendars = append([]string{}, cal.Unchecked...)
		return err
	})
	return s.reply(w, err, http.StatusOK, out)
}

func resourceParam(v string) (*uuid.UUID, error) {
	if v == "" || v == "any" {
		return nil, nil
	}
	u, err := uuid.Parse(v)
	if err != nil {
		return nil, frontdesk.Invalid("resource_id", `must be a resource id or "any"`)
	}
	return &u, nil
}

type bookingRequest struct {
	PatientName  string    `json:"patient_name"`
	PatientPhone string    `json:"patient_phone"`
	ServiceID    uuid.UUID `json:"service_id"`
	ResourceID   string    `json:"resource_id"` // a resource id, or "any"
	Start        time.Time `json:"start"`
}

type bookingJSON struct {
	ID           uuid.UUID  `json:"id"`
	Status       string     `json:"status"`
	ServiceID    uuid.UUID  `json:"service_id"`
	ServiceName  string     `json:"service_name"`
	ResourceID   uuid.UUID  `json:"resource_id"`
	ResourceName string     `json:"resource_name"`
	Start        time.Time  `json:"start"`
	End          time.Time  `json:"end"`
	HeldUntil    *time.Time `json:"held_until,omitempty"`
	PatientName  string     `json:"patient_name"`
	PatientPhone string     `json:"patient_phone"`
	Source       string     `json:"source"`
	CallID       *uuid.UUID `json:"call_id"`
}

func bookingOf(b db.GetBookingRow, loc *time.Location) bookingJSON {
	out := bookingJSON{ID: b.ID, Status: b.Status, ServiceID: b.ServiceID, ServiceName: b.ServiceName, ResourceID: b.ResourceID,
		ResourceName: b.ResourceName, Start: b.StartsAt.In(loc), End: b.EndsAt.In(loc), HeldUntil: inZone(b.HeldUntil, loc),
		PatientName: b.PatientName, PatientPhone: b.PatientPhone, Source: b.Source}
	if b.CallID.Valid {
		out.CallID = &b.CallID.UUID
	}
	return out
}

// createBooking books a free slot; a taken one is a 409 with the nearest
// free alternatives.
func (s *Server) createBooking(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in bookingRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.book(w, r, org, in, uuid.Nil)
}

// book makes in; with replacing set (a reschedule) it first cancels that
// booking, in the same transaction: both happen or neither.
func (s *Server) book(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, in bookingRequest, replacing uuid.UUID) error {
	ctx := r.Context()
	res, err := resourceParam(in.ResourceID)
	if err != nil {
		return err
	}
	if in.Start.IsZero() {
		return frontdesk.Invalid("start", "is required (RFC 3339)")
	}
	var out bookingJSON
	var svc scheduling.ServiceInfo
	err = s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		if replacing != uuid.Nil {
			old, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: org, ID: replacing})
			if err != nil {
				return err
			}
			if old.Status == "cancelled" {
				return &httpError{status: http.StatusConflict, detail: errorDetail{Code: "conflict", Message: "the booking is cancelled"}}
			}
			in.ServiceID, in.PatientName, in.PatientPhone = old.ServiceID, old.PatientName, old.PatientPhone
			if err := cal.Cancel(ctx, replacing); err != nil {
				return err
			}
		}
		if in.PatientName = strings.TrimSpace(in.PatientName); in.PatientName == "" || len(in.PatientName) > 200 {
			return frontdesk.Invalid("patient_name", "is required (at most 200 characters)")
		}
		phone, err := calls.NormalizePhone(in.PatientPhone, tx.Org.Country)
		if err != nil {
			return frontdesk.Invalid("patient_phone", "must be a phone number, e.g. +15125550123")
		}
		if svc, err = cal.Service(ctx, in.ServiceID); err != nil {
			if errors.Is(err, frontdesk.ErrNotFound) {
				return frontdesk.Invalid("service_id", "no such service")
			}
			return err
		}
		b, err := cal.Book(ctx, scheduling.Request{Service: svc, Resource: res, Start: in.Start, Patient: in.PatientName,
			Phone: phone, Source: "staff"})
		if err != nil {
			return err
		}
		row, err := tx.GetBooking(ctx, db.GetBookingParams{OrgID: org, ID: b.ID})
		out = bookingOf(row, tx.Org.Location)
		return err
	})
	if errors.Is(err, scheduling.ErrSlotUnavailable) {
		return s.slotTaken(ctx, org, svc, res, in.Start)
	}
	status := http.StatusCreated
	if replacing != uuid.Nil {
		status = http.StatusOK
	}
	return s.reply(w, err, status, out)
}

// slotTaken is the 409 for a time that is not free, with the nearest free
// alternatives (read in a new transaction: the failed one is over).
func (s *Server) slotTaken(ctx context.Context, org frontdesk.OrgID, svc scheduling.ServiceInfo, res *uuid.UUID, at time.Time) error {
	alts := []slotJSON{}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		cal, err := s.calendar(ctx, tx)
		if err != nil {
			return err
		}
		slots, err := cal.Alternatives(ctx, svc, res, at, 3)
		alts = slotsJSON(slots, svc, tx.Org.Location)
		return err
	})
	if err != nil {
		return err
	}
	return &httpError{status: http.StatusConflict, detail: errorDetail{Code: "slot_unavailable", Field: "start",
		Message: "that time is not available"}, alternatives: alts}
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	q := r.URL.Query()
	res, err := optionalUUID(r, "resource")
	if err != nil {
		return err
	}
	out := []bookingJSON{}
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		from, to, err := calls.ParseRange(q, tx.Org.Location)
		if err != nil {
			return err
		}
		p := db.ListBookingsParams{OrgID: org, ResourceID: res, RangeStart: time.Now().Add(-24 * time.Hour), RangeEnd: time.Now().AddDate(1, 0, 0)}
		if from != nil {
			p.RangeStart = *from
		}
		if to != nil {
			p.RangeEnd = *to
		}
		if st := q.Get("status"); st != "" {
			if st != "held" && st != "confirmed" && st != "cancelled" {
				return frontdesk.Invalid("status", "must be held, confirmed or cancelled")
			}
			p.Status = pgtype.Text{String: st, Valid: true}
		}
		if ph := q.Get("phone"); ph != "" {
			e164, err := calls.NormalizePhone(ph, tx.Org.Country)
			if err != nil {
				return frontdesk.Invalid("phone", "must be a phone number")
			}
			p.PatientPhone = pgtype.Text{String: e164, Valid: true}
		}
		rows, err := tx.ListBookings(r.Context(), p)
		for _, b := range rows {
			out = append(out, bookingOf(db.GetBookingRow(b), tx.Org.Location))
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"bookings": out})
}

func (s *Server) cancelBooking(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	var out bookingJSON
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		cal, err := s.calendar(r.Context(), tx)
		if err != nil {
			return err
		}
		if err := cal.Cancel(r.Context(), id); err != nil {
			if _, getErr := tx.GetBooking(r.Context(), db.GetBookingParams{OrgID: org, ID: id}); getErr == nil {
				return &httpError{status: http.StatusConflict, detail: errorDetail{Code: "conflict", Message: "the booking is already cancelled"}}
			}
			return err
		}
		row, err := tx.GetBooking(r.Context(), db.GetBookingParams{OrgID: org, ID: id})
		out = bookingOf(row, tx.Org.Location)
		return err
	})
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.audit(r, org, "cancel", "booking", id.String())
	}
	return s.reply(w, err, http.StatusOK, out)
}

type rescheduleRequest struct {
	Start      time.Time `json:"start"`
	ResourceID string    `json:"resource_id"`
}

// rescheduleBooking moves a booking atomically: the new time is taken and
// the old one freed in one transaction, or neither.
func (s *Server) rescheduleBooking(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	var in rescheduleRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.ResourceID == "" {
		in.ResourceID = "any"
	}
	err = s.book(w, r, org, bookingRequest{Start: in.Start, ResourceID: in.ResourceID}, id)
	if errors.Is(err, frontdesk.ErrNotFound) {
		s.audit(r, org, "reschedule", "booking", id.String())
	}
	return err
}
