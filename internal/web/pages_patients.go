package web

import (
	"net/http"
	"net/url"
	"sort"
	"time"

	"frontdesk"
	"frontdesk/internal/calls"
	"frontdesk/internal/scheduling"
)

// The patient page: one phone number's calls, bookings, texts and
// messages for the staff, in one timeline (the clinic's only: another
// clinic's patient is an empty page, as is a number never seen).

type patientPage struct {
	Phone, Query string
	Errors       map[string]string
	Events       []patientEvent
}

// patientEvent is one line of the timeline.
type patientEvent struct {
	At         time.Time
	Kind, What string
	Link       string
	Status     string
}

func (s *Server) patientPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "patients"
	d := patientPage{Query: r.URL.Query().Get("phone")}
	if d.Query == "" {
		return s.render(w, v, http.StatusOK, "patient", "Patient", d)
	}
	ctx, org := r.Context(), v.m.Org
	// The number as the clinic stores it, read the way the calls list reads it.
	page, err := s.app.Calls.List(ctx, org, url.Values{"q": {d.Query}, "call_type": {"all"}, "limit": {"100"}})
	if fe, ok := err.(*frontdesk.ValidationError); ok {
		d.Errors = map[string]string{"phone": fe.Message}
		return s.render(w, v, http.StatusUnprocessableEntity, "patient", "Patient", d)
	}
	if err != nil {
		return err
	}
	phone, err := calls.NormalizePhone(d.Query, "")
	if err != nil {
		phone = d.Query
	}
	if len(page.Calls) > 0 {
		c := page.Calls[0]
		phone = c.FromNumber
		if c.Direction == "outbound" {
			phone = c.ToNumber
		}
	}
	d.Phone = phone
	for _, c := range page.Calls {
		what := "Call, " + durationWords(c.DurationSeconds)
		if c.Outcome != nil {
			what += ", " + *c.Outcome
		}
		d.Events = append(d.Events, patientEvent{At: c.StartedAt, Kind: "call", What: what, Link: "/calls/" + c.ID.String(), Status: c.Status})
	}
	bookings, err := s.app.Scheduling.Bookings(ctx, org, scheduling.BookingFilter{Phone: phone})
	if err != nil {
		return err
	}
	for _, b := range bookings {
		d.Events = append(d.Events, patientEvent{At: b.Start, Kind: "booking", Status: b.Status,
			What: b.ServiceName + " with " + b.ResourceName + " for " + b.PatientName + ", " + b.Start.Format("Mon 2 Jan 2006 3:04 PM")})
	}
	texts, err := s.app.Messaging.Messages(ctx, org)
	if err != nil {
		return err
	}
	for _, t := range texts {
		if t.To == phone {
			d.Events = append(d.Events, patientEvent{At: t.CreatedAt, Kind: "text", What: t.Body, Status: t.Status})
		}
	}
	replies, err := s.app.Messaging.InboundMessages(ctx, org)
	if err != nil {
		return err
	}
	for _, t := range replies {
		if t.From == phone {
			d.Events = append(d.Events, patientEvent{At: t.ReceivedAt, Kind: "reply", What: t.Body, Status: t.Action})
		}
	}
	cbs, err := s.app.Calls.Callbacks(ctx, org, "")
	if err != nil {
		return err
	}
	for _, c := range cbs {
		if c.CallerNumber == phone || c.CallbackNumber == phone {
			d.Events = append(d.Events, patientEvent{At: c.CreatedAt, Kind: "message", What: c.Reason, Status: c.Status,
				Link: "/calls/" + c.CallID.String()})
		}
	}
	sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].At.After(d.Events[j].At) })
	return s.render(w, v, http.StatusOK, "patient", "Patient "+phone, d)
}
