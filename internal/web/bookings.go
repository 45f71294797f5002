package web

import (
	"net/http"

	"frontdesk"
	"frontdesk/internal/scheduling"
)

// Availability and bookings.

// getAvailability lists free start times of a service between from and to
// (dates in the clinic's zone or RFC 3339 times; at most 31 days), on one
// resource or any.
func (s *Server) getAvailability(w http.ResponseWriter, r *http.Request, m member) error {
	q := r.URL.Query()
	svc, err := frontdesk.ParseServiceID(q.Get("service"))
	if err != nil {
		return frontdesk.Invalid("service", "is required: a service id")
	}
	res, err := scheduling.ResourceChoice("resource_id", q.Get("resource"))
	if err != nil {
		return err
	}
	out, err := s.app.Scheduling.Availability(r.Context(), m.Org, scheduling.AvailabilityQuery{
		Service: svc, Resource: res, From: q.Get("from"), To: q.Get("to")})
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) listBookings(w http.ResponseWriter, r *http.Request, m member) error {
	res, err := queryID[frontdesk.ResourceID](r, "resource")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out, err := s.app.Scheduling.Bookings(r.Context(), m.Org, scheduling.BookingFilter{
		From: q.Get("from"), To: q.Get("to"), Status: q.Get("status"), Phone: q.Get("phone"), Resource: res})
	return reply(w, err, http.StatusOK, map[string]any{"bookings": out})
}

// createBooking books a free slot; a taken one is a 409 with the nearest
// free alternatives.
func (s *Server) createBooking(w http.ResponseWriter, r *http.Request, m member) error {
	var in scheduling.BookingRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Scheduling.Book(r.Context(), m.Org, in)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) cancelBooking(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.BookingID](r, "id")
	if err != nil {
		return err
	}
	out, err := s.app.Scheduling.Cancel(r.Context(), m.Org, id)
	return reply(w, err, http.StatusOK, out)
}

// rescheduleBooking moves a booking atomically: the new time is taken and
// the old one freed in one transaction, or neither.
func (s *Server) rescheduleBooking(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.BookingID](r, "id")
	if err != nil {
		return err
	}
	var in scheduling.RescheduleRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Scheduling.Reschedule(r.Context(), m.Org, id, in)
	return reply(w, err, http.StatusOK, out)
}
