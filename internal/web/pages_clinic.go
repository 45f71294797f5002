package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/knowledge"
	"frontdesk/internal/retention"
	"frontdesk/internal/scheduling"
)

// The clinic page (admins): its time zone and booking rules, how long
// recordings are kept, and the knowledge base the receptionist answers
// from.

type clinicPage struct {
	Name      string            // the clinic's name, as shown or typed
	Booking   map[string]string // the booking rules, as shown or typed
	Retention map[string]string // how long data is kept, as shown or typed
	Redact    bool
	Articles  []knowledge.Article
	Article   knowledge.Article // the one being edited or added, as typed
	Errors    map[string]string
	Notice    string
}

func (d clinicPage) fieldError(name string) string { return d.Errors[name] }

func (s *Server) clinic(w http.ResponseWriter, r *http.Request, v *view, d clinicPage, status int) error {
	v.nav = "clinic"
	ctx, org := r.Context(), v.m.Org
	if d.Name == "" && d.Errors["name"] == "" {
		d.Name = v.clinic
	}
	if d.Booking == nil {
		b, err := s.app.Scheduling.BookingSettings(ctx, org)
		if err != nil {
			return err
		}
		d.Booking = map[string]string{"timezone": b.Timezone, "min_notice_minutes": strconv.Itoa(int(b.MinNoticeMinutes)),
			"max_days_ahead": strconv.Itoa(int(b.MaxDaysAhead)), "hold_minutes": strconv.Itoa(int(b.HoldMinutes))}
	}
	if d.Retention == nil {
		rs, err := s.app.Retention.Settings(ctx, org)
		if err != nil {
			return err
		}
		d.Redact, d.Retention = rs.Redact, map[string]string{"access_log_days": strconv.Itoa(int(rs.AccessLogDays))}
		for k, v := range map[string]*int32{"recording_days": rs.RecordingDays, "transcript_days": rs.TranscriptDays, "text_days": rs.TextDays} {
			if v != nil {
				d.Retention[k] = strconv.Itoa(int(*v))
			}
		}
	}
	articles, err := s.app.Knowledge.List(ctx, org)
	if err != nil {
		return err
	}
	d.Articles = articles
	return s.render(w, v, status, "clinic", "Clinic", d)
}

func (s *Server) clinicPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.clinic(w, r, v, clinicPage{Notice: map[string]string{"saved": "Saved."}[r.URL.Query().Get("done")]}, http.StatusOK)
}

// clinicRefused shows a refused form with the refusal at its field.
func (s *Server) clinicRefused(w http.ResponseWriter, r *http.Request, v *view, d clinicPage, err error) error {
	if err == nil {
		return errRedirect("/settings/clinic?done=saved")
	}
	fields, status, ok := formRefusal(err)
	if !ok {
		return err
	}
	d.Errors = fields
	return s.clinic(w, r, v, d, status)
}

func number(form string, field string, out *int32) error {
	n, err := strconv.Atoi(strings.TrimSpace(form))
	if err != nil {
		return frontdesk.Invalid(field, "must be a whole number")
	}
	*out = int32(n)
	return nil
}

func (s *Server) clinicNameSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	name := r.PostFormValue("name")
	return s.clinicRefused(w, r, v, clinicPage{Name: name}, s.app.Identity.RenameClinic(r.Context(), v.m.Org, name))
}

func (s *Server) clinicRulesSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	d := clinicPage{Booking: map[string]string{}}
	for _, k := range []string{"timezone", "min_notice_minutes", "max_days_ahead", "hold_minutes"} {
		d.Booking[k] = f.Get(k)
	}
	in := scheduling.BookingSettings{Timezone: strings.TrimSpace(f.Get("timezone"))}
	err := errors.Join(number(f.Get("min_notice_minutes"), "min_notice_minutes", &in.MinNoticeMinutes),
		number(f.Get("max_days_ahead"), "max_days_ahead", &in.MaxDaysAhead), number(f.Get("hold_minutes"), "hold_minutes", &in.HoldMinutes))
	if err == nil {
		err = s.app.Scheduling.SetBookingSettings(r.Context(), v.m.Org, in)
	}
	return s.clinicRefused(w, r, v, d, err)
}

// clinicRetentionSubmit sets how long each kind of health data is kept
// (an empty field keeps it for ever) and whether identifiers are redacted.
func (s *Server) clinicRetentionSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	d := clinicPage{Retention: map[string]string{}, Redact: f.Has("redact_identifiers")}
	in := retention.Settings{Redact: d.Redact}
	var errs []error
	for _, x := range []struct {
		name string
		out  **int32
	}{{"recording_days", &in.RecordingDays}, {"transcript_days", &in.TranscriptDays}, {"text_days", &in.TextDays}} {
		d.Retention[x.name] = f.Get(x.name)
		if strings.TrimSpace(f.Get(x.name)) == "" {
			continue
		}
		var n int32
		errs = append(errs, number(f.Get(x.name), x.name, &n))
		*x.out = &n
	}
	d.Retention["access_log_days"] = f.Get("access_log_days")
	errs = append(errs, number(f.Get("access_log_days"), "access_log_days", &in.AccessLogDays))
	err := errors.Join(errs...)
	if err == nil {
		_, err = s.app.Retention.SetSettings(r.Context(), v.m.Org, in)
	}
	return s.clinicRefused(w, r, v, d, err)
}

func (s *Server) articleSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	active := r.PostFormValue("active") != ""
	a := knowledge.Article{Title: r.PostFormValue("title"), Body: r.PostFormValue("body"), Active: &active}
	var err error
	if id := r.PostFormValue("id"); id != "" {
		if a.ID, err = uuid.Parse(id); err != nil {
			return frontdesk.ErrNotFound
		}
		_, err = s.app.Knowledge.Update(r.Context(), v.m.Org, a.ID, a)
	} else {
		_, err = s.app.Knowledge.Create(r.Context(), v.m.Org, a)
	}
	return s.clinicRefused(w, r, v, clinicPage{Article: a}, err)
}

func (s *Server) articleDelete(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Knowledge.Delete(r.Context(), v.m.Org, id); err != nil {
		return err
	}
	return errRedirect("/settings/clinic?done=saved")
}
