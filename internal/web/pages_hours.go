package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/scheduling"
)

// The hours page (admins): weekly opening hours, several ranges a day, the
// clinic's or one clinician's own; and closed days.

// rangesPerDay is how many opening ranges a day's form offers.
const rangesPerDay = 3

type hoursPage struct {
	Resource  string // "" for the clinic
	Resources []scheduling.ResourceDef
	Days      []hoursDay
	Closures  []scheduling.Closure
	Errors    map[string]string
	Closure   scheduling.Closure // the add form as typed
	Saved     bool
}

func (d hoursPage) fieldError(name string) string { return d.Errors[name] }

// ResourceName is the name of one of the clinic's clinicians or rooms.
func (d hoursPage) ResourceName(id *frontdesk.ResourceID) string {
	for _, r := range d.Resources {
		if id != nil && r.ID == *id {
			return r.Name
		}
	}
	return "one clinician"
}

type hoursDay struct {
	Weekday int
	Name    string
	Ranges  []hoursSlot
}

type hoursSlot struct{ Opens, Closes, OpensField, ClosesField, Error string }

func emptyWeek() []hoursDay {
	var days []hoursDay
	for i := range 7 {
		wd := (i + 1) % 7 // Monday first
		d := hoursDay{Weekday: wd, Name: time.Weekday(wd).String()}
		for n := range rangesPerDay {
			d.Ranges = append(d.Ranges, hoursSlot{OpensField: fmt.Sprintf("opens-%d-%d", wd, n), ClosesField: fmt.Sprintf("closes-%d-%d", wd, n)})
		}
		days = append(days, d)
	}
	return days
}

func (s *Server) hours(w http.ResponseWriter, r *http.Request, v *view, d hoursPage, status int) error {
	v.nav = "hours"
	ctx, org := r.Context(), v.m.Org
	var err error
	if d.Resources, err = s.app.Scheduling.Resources(ctx, org); err != nil {
		return err
	}
	if d.Days == nil {
		res, err := parseResource(d.Resource)
		if err != nil {
			return err
		}
		ranges, err := s.app.Scheduling.Hours(ctx, org, res)
		if err != nil {
			return err
		}
		d.Days = emptyWeek()
		for _, h := range ranges {
			for i := range d.Days {
				if d.Days[i].Weekday != int(h.Weekday) {
					continue
				}
				for n := range d.Days[i].Ranges {
					if sl := &d.Days[i].Ranges[n]; sl.Opens == "" {
						sl.Opens, sl.Closes = h.Opens, h.Closes
						break
					}
				}
			}
		}
	}
	if d.Closures, err = s.app.Scheduling.Closures(ctx, org); err != nil {
		return err
	}
	return s.render(w, v, status, "hours", "Hours", d)
}

func parseResource(v string) (frontdesk.ResourceID, error) {
	if v == "" {
		return frontdesk.ResourceID{}, nil
	}
	id, err := frontdesk.ParseResourceID(v)
	if err != nil {
		return id, frontdesk.ErrNotFound
	}
	return id, nil
}

func (s *Server) hoursPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.hours(w, r, v, hoursPage{Resource: r.URL.Query().Get("resource"), Saved: r.URL.Query().Has("saved")}, http.StatusOK)
}

// hoursSubmit replaces the week's hours; a refused range is marked where
// it was typed, and the week is shown as typed.
func (s *Server) hoursSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	d := hoursPage{Resource: r.PostFormValue("resource"), Days: emptyWeek()}
	res, err := parseResource(d.Resource)
	if err != nil {
		return err
	}
	var ranges []scheduling.HoursRange
	var at [][2]int // the day and slot of each range sent
	for i := range d.Days {
		for n := range d.Days[i].Ranges {
			sl := &d.Days[i].Ranges[n]
			sl.Opens, sl.Closes = r.PostFormValue(sl.OpensField), r.PostFormValue(sl.ClosesField)
			if sl.Opens == "" && sl.Closes == "" {
				continue
			}
			ranges = append(ranges, scheduling.HoursRange{Weekday: int16(d.Days[i].Weekday), Opens: sl.Opens, Closes: sl.Closes})
			at = append(at, [2]int{i, n})
		}
	}
	err = s.app.Scheduling.SetHours(r.Context(), v.m.Org, res, ranges)
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		var i int
		if _, scan := fmt.Sscanf(ve.Field, "hours[%d]", &i); scan == nil && i < len(at) {
			d.Days[at[i][0]].Ranges[at[i][1]].Error = "Give both times, opening before closing."
		} else {
			d.Errors = map[string]string{"": ve.Error()}
		}
		return s.hours(w, r, v, d, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	back := "/settings/hours?saved"
	if d.Resource != "" {
		back += "&resource=" + d.Resource
	}
	return errRedirect(back)
}

func (s *Server) closureSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	c := scheduling.Closure{FirstDay: r.PostFormValue("first_day"), LastDay: r.PostFormValue("last_day"), Reason: r.PostFormValue("reason")}
	if c.LastDay == "" {
		c.LastDay = c.FirstDay
	}
	var err error
	if whose := r.PostFormValue("closure_resource"); whose != "" {
		id, perr := frontdesk.ParseResourceID(whose)
		c.ResourceID, err = &id, perr
		if perr != nil {
			err = frontdesk.Invalid("resource_id", "no clinician or room %q", whose)
		}
	}
	if err == nil {
		_, err = s.app.Scheduling.CreateClosure(r.Context(), v.m.Org, c)
	}
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		return s.hours(w, r, v, hoursPage{Closure: c, Errors: map[string]string{"first_day": ve.Message}}, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return errRedirect("/settings/hours?saved")
}

func (s *Server) closureDelete(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Scheduling.DeleteClosure(r.Context(), v.m.Org, id); err != nil {
		return err
	}
	return errRedirect("/settings/hours?saved")
}
