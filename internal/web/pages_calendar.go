package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"frontdesk"
	"frontdesk/internal/scheduling"
)

// The calendar page: one day or one week (Monday first) of the clinic (or
// one clinician) in the clinic's zone, its bookings and live holds; book a
// free time, cancel, move. A taken time offers the nearest free ones.

type calendarPage struct {
	Day, Prev, Next, Today string // YYYY-MM-DD, clinic time
	DayWords               string
	// Week is the week view: its days, Monday first, each with its
	// bookings (nil in the day view).
	Week      []calendarDay
	Zone      string
	Resource  string
	Resources []scheduling.ResourceDef
	Services  []scheduling.ServiceDef
	Bookings  []scheduling.Booking
	// The booking form: the service chosen, its free times that day, and
	// what was typed.
	Service      string
	Free         []scheduling.Slot
	Form         url.Values
	Alternatives []scheduling.Slot
	Errors       map[string]string
	Notice       string
}

func (d calendarPage) fieldError(name string) string { return d.Errors[name] }

type calendarDay struct {
	Date, Words string
	Today       bool
	Bookings    []scheduling.Booking
}

// view is the page's query for the same view on another day.
func (d calendarPage) View(day string) string {
	q := url.Values{"day": {day}}
	if d.Resource != "" {
		q.Set("resource", d.Resource)
	}
	if d.Week != nil {
		q.Set("view", "week")
	}
	return "/calendar?" + q.Encode()
}

func (s *Server) calendar(w http.ResponseWriter, r *http.Request, v *view, d calendarPage, status int) error {
	return s.calendarView(w, r, v, d, status, false)
}

// calendarView renders the day, or the week around it.
func (s *Server) calendarView(w http.ResponseWriter, r *http.Request, v *view, d calendarPage, status int, week bool) error {
	v.nav = "calendar"
	ctx, org := r.Context(), v.m.Org
	settings, err := s.app.Scheduling.BookingSettings(ctx, org)
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation(settings.Timezone)
	if err != nil {
		return err
	}
	d.Zone = settings.Timezone
	day, err := time.ParseInLocation(time.DateOnly, d.Day, loc)
	if err != nil {
		day = time.Now().In(loc)
	}
	y, m, dd := day.Date()
	day = time.Date(y, m, dd, 12, 0, 0, 0, loc) // noon: never a skipped hour
	d.Today = time.Now().In(loc).Format(time.DateOnly)
	from, to, step := day, day, 1
	if week {
		from = day.AddDate(0, 0, -(int(day.Weekday())+6)%7) // its Monday
		to, step = from.AddDate(0, 0, 6), 7
		d.Week = []calendarDay{}
		for i := range 7 {
			x := from.AddDate(0, 0, i)
			d.Week = append(d.Week, calendarDay{Date: x.Format(time.DateOnly), Words: x.Format("Mon 2 Jan"), Today: x.Format(time.DateOnly) == d.Today})
		}
	}
	d.Day, d.DayWords = day.Format(time.DateOnly), day.Format("Monday 2 January 2006")
	if week {
		d.DayWords = from.Format("2 January") + " to " + to.Format("2 January 2006")
	}
	d.Prev, d.Next = day.AddDate(0, 0, -step).Format(time.DateOnly), day.AddDate(0, 0, step).Format(time.DateOnly)
	res, err := parseResource(d.Resource)
	if err != nil {
		return err
	}
	if d.Resources, err = s.app.Scheduling.Resources(ctx, org); err != nil {
		return err
	}
	if d.Services, err = s.app.Scheduling.Services(ctx, org); err != nil {
		return err
	}
	if d.Bookings, err = s.app.Scheduling.Bookings(ctx, org, scheduling.BookingFilter{From: from.Format(time.DateOnly),
		To: to.Format(time.DateOnly), Resource: res}); err != nil {
		return err
	}
	for i := range d.Bookings {
		b := &d.Bookings[i]
		b.Start, b.End = b.Start.In(loc), b.End.In(loc)
		for j := range d.Week {
			if d.Week[j].Date == b.Start.Format(time.DateOnly) {
				d.Week[j].Bookings = append(d.Week[j].Bookings, *b)
			}
		}
	}
	if svc, err := frontdesk.ParseServiceID(d.Service); err == nil && !week {
		a, err := s.app.Scheduling.Availability(ctx, org, scheduling.AvailabilityQuery{Service: svc, Resource: res, From: d.Day, To: d.Day})
		var ve *frontdesk.ValidationError
		if err != nil && !errors.As(err, &ve) && !errors.Is(err, frontdesk.ErrNotFound) {
			return err
		}
		for _, sl := range a.Slots {
			sl.Start, sl.End = sl.Start.In(loc), sl.End.In(loc)
			d.Free = append(d.Free, sl)
		}
	}
	if d.Form == nil {
		d.Form = url.Values{}
	}
	return s.render(w, v, status, "calendar", "Calendar", d)
}

func (s *Server) calendarPage(w http.ResponseWriter, r *http.Request, v *view) error {
	q := r.URL.Query()
	return s.calendarView(w, r, v, calendarPage{Day: q.Get("day"), Resource: q.Get("resource"), Service: q.Get("service"),
		Notice: map[string]string{"booked": "Booked.", "cancelled": "Cancelled.", "moved": "Moved."}[q.Get("done")]}, http.StatusOK,
		q.Get("view") == "week")
}

// calendarRefused shows a refused booking or move on the page: the field
// at fault, or a taken time's nearest free ones.
func (s *Server) calendarRefused(w http.ResponseWriter, r *http.Request, v *view, d calendarPage, err error) error {
	var taken *scheduling.SlotTakenError
	if errors.As(err, &taken) {
		d.Alternatives, d.Errors = taken.Alternatives, map[string]string{"start": "That time was just taken."}
		return s.calendar(w, r, v, d, http.StatusConflict)
	}
	fields, status, ok := formRefusal(err)
	if !ok {
		return err
	}
	d.Errors = fields
	return s.calendar(w, r, v, d, status)
}

func (s *Server) calendarBook(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	d := calendarPage{Day: f.Get("day"), Resource: f.Get("resource"), Service: f.Get("service_id"), Form: f}
	svc, err := frontdesk.ParseServiceID(f.Get("service_id"))
	if err != nil {
		return s.calendarRefused(w, r, v, d, frontdesk.Invalid("service_id", "choose a service"))
	}
	resource := f.Get("resource_id")
	if resource == "" {
		resource = "any"
	}
	_, err = s.app.Scheduling.Book(r.Context(), v.m.Org, scheduling.BookingRequest{PatientName: f.Get("patient_name"),
		PatientPhone: f.Get("patient_phone"), ServiceID: svc, ResourceID: resource, Start: f.Get("start")})
	if err != nil {
		return s.calendarRefused(w, r, v, d, err)
	}
	return errRedirect("/calendar?done=booked&day=" + url.QueryEscape(d.Day) + "&resource=" + url.QueryEscape(d.Resource))
}

func (s *Server) calendarCancel(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := frontdesk.ParseBookingID(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if _, err := s.app.Scheduling.Cancel(r.Context(), v.m.Org, id); err != nil {
		return s.calendarRefused(w, r, v, calendarPage{Day: r.PostFormValue("day")}, err)
	}
	return errRedirect("/calendar?done=cancelled&day=" + url.QueryEscape(r.PostFormValue("day")))
}

func (s *Server) calendarMove(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := frontdesk.ParseBookingID(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	start := strings.Replace(r.PostFormValue("start"), "T", " ", 1) // a datetime-local input
	d := calendarPage{Day: r.PostFormValue("day"), Form: r.PostForm}
	if _, err := s.app.Scheduling.Reschedule(r.Context(), v.m.Org, id, scheduling.RescheduleRequest{Start: start, ResourceID: "any"}); err != nil {
		return s.calendarRefused(w, r, v, d, err)
	}
	return errRedirect("/calendar?done=moved&day=" + url.QueryEscape(d.Day))
}
