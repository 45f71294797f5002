package web

import (
	"net/http"
	"path"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/campaigns"
	"frontdesk/internal/contacts"
)

// The outbound page (admins): the clinic's campaigns (create, start,
// pause, resume, cancel, and how each is going), its contacts (import a
// CSV, with a dry run first; export) and its do-not-call list.

type outboundPage struct {
	Campaigns []campaigns.Campaign
	Blocked   []contacts.Blocked
	// The campaign form as typed, and the import's result.
	Form   map[string]string
	Errors map[string]string
	Import *importResult
	Notice string
}

// ActionsOf are the buttons a campaign in state shows.
func (outboundPage) ActionsOf(state string) []string { return campaigns.Actions(state) }

type importResult struct {
	Summary contacts.Summary
	Rows    []contacts.Row
	More    int
}

func (d outboundPage) fieldError(name string) string { return d.Errors[name] }

func (s *Server) outbound(w http.ResponseWriter, r *http.Request, v *view, d outboundPage, status int) error {
	v.nav = "outbound"
	var err error
	if d.Campaigns, err = s.app.Campaigns.List(r.Context(), v.m.Org); err != nil {
		return err
	}
	if d.Blocked, err = s.app.Contacts.DoNotCall(r.Context(), v.m.Org); err != nil {
		return err
	}
	if d.Form == nil {
		d.Form = map[string]string{"calling_from": "09:00", "calling_to": "20:00", "max_concurrent": "2", "max_attempts": "2"}
	}
	return s.render(w, v, status, "outbound", "Outbound", d)
}

func (s *Server) outboundPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.outbound(w, r, v, outboundPage{Notice: map[string]string{"created": "Campaign saved as a draft.", "start": "Started.",
		"pause": "Paused.", "resume": "Resumed.", "cancel": "Cancelled.", "blocked": "That number will not be called or texted."}[r.URL.Query().Get("done")]}, http.StatusOK)
}

// campaignSubmit keeps a new campaign as a draft.
func (s *Server) campaignSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	d := outboundPage{Form: map[string]string{}}
	for _, k := range []string{"name", "tags", "greeting", "goal", "assistant_id", "phone_number_id", "calling_from", "calling_to", "max_concurrent", "max_attempts"} {
		d.Form[k] = f.Get(k)
	}
	in := campaigns.Campaign{Name: f.Get("name"), Greeting: f.Get("greeting"), Goal: f.Get("goal"), AssistantID: f.Get("assistant_id"),
		PhoneNumberID: f.Get("phone_number_id"), CallingHours: [2]string{f.Get("calling_from"), f.Get("calling_to")}}
	for _, t := range strings.Split(f.Get("tags"), ",") {
		in.AudienceTags = append(in.AudienceTags, strings.TrimSpace(t))
	}
	var err error
	for _, x := range []struct {
		name string
		out  *int32
	}{{"max_concurrent", &in.MaxConcurrent}, {"max_attempts", &in.MaxAttempts}} {
		if n, perr := strconv.Atoi(strings.TrimSpace(f.Get(x.name))); perr == nil {
			*x.out = int32(n)
		} else if err == nil {
			err = frontdesk.Invalid(x.name, "must be a whole number")
		}
	}
	if err == nil {
		_, err = s.app.Campaigns.Create(r.Context(), v.m.Org, in)
	}
	if fields, status, ok := formRefusal(err); ok {
		d.Errors = fields
		return s.outbound(w, r, v, d, status)
	}
	if err != nil {
		return err
	}
	return errRedirect("/outbound?done=created")
}

// campaignAction starts, pauses, resumes or cancels a campaign.
func (s *Server) campaignAction(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	action := path.Base(r.URL.Path)
	if _, err := s.app.Campaigns.Act(r.Context(), v.m.Org, id, action); err != nil {
		if fields, status, ok := formRefusal(err); ok {
			return s.outbound(w, r, v, outboundPage{Errors: map[string]string{"": fields[firstKey(fields)]}}, status)
		}
		return err
	}
	return errRedirect("/outbound?done=" + action)
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}

// contactsImportPage imports an uploaded CSV (or, dry run, says what it
// would do) and shows the result.
func (s *Server) contactsImportPage(w http.ResponseWriter, r *http.Request, v *view) error {
	file, _, err := r.FormFile("file")
	if err != nil {
		return s.outbound(w, r, v, outboundPage{Errors: map[string]string{"file": "choose a CSV file"}}, http.StatusUnprocessableEntity)
	}
	defer file.Close()
	res := &importResult{}
	sum, err := s.app.Contacts.Import(r.Context(), v.m.Org, file, r.FormValue("dry_run") == "", func(row contacts.Row) {
		switch row.Outcome {
		case contacts.New, contacts.Updated, contacts.Unchanged:
			return
		}
		if len(res.Rows) < 200 {
			res.Rows = append(res.Rows, row)
		} else {
			res.More++
		}
	})
	if fields, status, ok := formRefusal(err); ok {
		return s.outbound(w, r, v, outboundPage{Errors: fields}, status)
	}
	if err != nil {
		return err
	}
	res.Summary = sum
	return s.outbound(w, r, v, outboundPage{Import: res}, http.StatusOK)
}

// contactsCSV downloads the clinic's contacts.
func (s *Server) contactsCSV(w http.ResponseWriter, r *http.Request, v *view) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	return s.app.Contacts.Export(r.Context(), v.m.Org, r.URL.Query().Get("tag"), w)
}

// doNotCallPage puts a number on the do-not-call list.
func (s *Server) doNotCallPage(w http.ResponseWriter, r *http.Request, v *view) error {
	_, err := s.app.Contacts.AddDoNotCall(r.Context(), v.m.Org, v.m.User, r.PostFormValue("phone"), r.PostFormValue("reason"))
	if fields, status, ok := formRefusal(err); ok {
		d := outboundPage{Errors: map[string]string{}}
		for k, m := range fields {
			d.Errors["dnc_"+k] = m
		}
		return s.outbound(w, r, v, d, status)
	}
	if err != nil {
		return err
	}
	return errRedirect("/outbound?done=blocked")
}
