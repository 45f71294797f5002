package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/internal/scheduling"
)

// The services page (admins): the services patients can book, and the
// clinicians and rooms with the services each offers. A service no
// clinician offers carries the warning of why patients cannot book it.

type servicesPage struct {
	Services  []serviceForm
	Resources []resourceForm
	Errors    map[string]string // the page's own ("" for a refused delete)
	Notice    string
}

// serviceForm is one service's form: as stored, or as typed when refused.
type serviceForm struct {
	ID                                   string // "" for the add form
	Name, Duration, BufferBefore, Buffer string
	Active                               bool
	Warning                              string
	Errors                               map[string]string
	Open                                 bool
}

func (f serviceForm) fieldError(name string) string { return f.Errors[name] }
func (f serviceForm) IDPrefix() string              { return "svc-" + or(f.ID, "new") + "-" }

// resourceForm is one clinician's or room's form.
type resourceForm struct {
	ID, Name, Kind string
	Active         bool
	Offers         []offer
	Errors         map[string]string
	Open           bool
}

type offer struct {
	ID, Name string
	Checked  bool
}

func (f resourceForm) fieldError(name string) string { return f.Errors[name] }
func (f resourceForm) IDPrefix() string              { return "res-" + or(f.ID, "new") + "-" }

func or(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func toServiceForm(d scheduling.ServiceDef) serviceForm {
	return serviceForm{ID: d.ID.String(), Name: d.Name, Duration: strconv.Itoa(int(d.DurationMinutes)),
		BufferBefore: strconv.Itoa(int(d.BufferBeforeMinutes)), Buffer: strconv.Itoa(int(d.BufferAfterMinutes)),
		Active: d.Active != nil && *d.Active, Warning: d.NotBookable}
}

// services renders the page; typed, when given, replaces the stored form
// of the same id (or the add form) with what was typed and its errors.
func (s *Server) services(w http.ResponseWriter, r *http.Request, v *view, d servicesPage, status int, typed any) error {
	v.nav = "services"
	ctx, org := r.Context(), v.m.Org
	svcs, err := s.app.Scheduling.Services(ctx, org)
	if err != nil {
		return err
	}
	res, err := s.app.Scheduling.Resources(ctx, org)
	if err != nil {
		return err
	}
	for _, x := range append(svcs, scheduling.ServiceDef{}) {
		f := serviceForm{Duration: "30", BufferBefore: "0", Buffer: "0", Active: true}
		if x.ID != (frontdesk.ServiceID{}) {
			f = toServiceForm(x)
		}
		if t, ok := typed.(serviceForm); ok && t.ID == f.ID {
			f = t
		}
		d.Services = append(d.Services, f)
	}
	for _, x := range append(res, scheduling.ResourceDef{Kind: "clinician", Active: new(true)}) {
		f := resourceForm{Name: x.Name, Kind: x.Kind, Active: *x.Active}
		if !x.ID.IsZero() {
			f.ID = x.ID.String()
		}
		checked := map[string]bool{}
		for _, id := range x.ServiceIDs {
			checked[id.String()] = true
		}
		if t, ok := typed.(resourceForm); ok && t.ID == f.ID {
			f, checked = t, map[string]bool{}
			for _, o := range t.Offers {
				checked[o.ID] = o.Checked
			}
		}
		f.Offers = nil
		for _, svc := range svcs {
			f.Offers = append(f.Offers, offer{ID: svc.ID.String(), Name: svc.Name, Checked: checked[svc.ID.String()]})
		}
		d.Resources = append(d.Resources, f)
	}
	return s.render(w, v, status, "services", "Services and clinicians", d)
}

func (s *Server) servicesPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.services(w, r, v, servicesPage{Notice: map[string]string{"saved": "Saved.", "deleted": "Deleted."}[r.URL.Query().Get("done")]},
		http.StatusOK, nil)
}

// servicesRefused shows a refused form on the page, open, with the
// refusal at its field.
func (s *Server) servicesRefused(w http.ResponseWriter, r *http.Request, v *view, typed any, err error) error {
	fields, status, ok := formRefusal(err)
	if !ok {
		return err
	}
	switch t := typed.(type) {
	case serviceForm:
		t.Errors, t.Open = fields, true
		typed = t
	case resourceForm:
		t.Errors, t.Open = fields, true
		typed = t
	default:
		return s.services(w, r, v, servicesPage{Errors: fields}, status, nil)
	}
	return s.services(w, r, v, servicesPage{}, status, typed)
}

func (s *Server) serviceSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	typed := serviceForm{ID: r.PathValue("id"), Name: f.Get("name"), Duration: f.Get("duration_minutes"),
		BufferBefore: f.Get("buffer_before_minutes"), Buffer: f.Get("buffer_after_minutes"), Active: f.Has("active")}
	var id frontdesk.ServiceID
	if typed.ID != "" {
		var err error
		if id, err = frontdesk.ParseServiceID(typed.ID); err != nil {
			return frontdesk.ErrNotFound
		}
	}
	def := scheduling.ServiceDef{Name: typed.Name, Active: &typed.Active}
	err := errors.Join(number(typed.Duration, "duration_minutes", &def.DurationMinutes),
		number(or(strings.TrimSpace(typed.BufferBefore), "0"), "buffer_before_minutes", &def.BufferBeforeMinutes),
		number(or(strings.TrimSpace(typed.Buffer), "0"), "buffer_after_minutes", &def.BufferAfterMinutes))
	if err == nil {
		_, err = s.app.Scheduling.SaveService(r.Context(), v.m.Org, id, def)
	}
	if err != nil {
		return s.servicesRefused(w, r, v, typed, err)
	}
	return errRedirect("/settings/services?done=saved")
}

func (s *Server) serviceDelete(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := frontdesk.ParseServiceID(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Scheduling.DeleteService(r.Context(), v.m.Org, id); err != nil {
		return s.servicesRefused(w, r, v, nil, err)
	}
	return errRedirect("/settings/services?done=deleted")
}

func (s *Server) resourceSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := r.PostForm
	typed := resourceForm{ID: r.PathValue("id"), Name: f.Get("name"), Kind: f.Get("kind"), Active: f.Has("active")}
	def := scheduling.ResourceDef{Name: typed.Name, Kind: typed.Kind, Active: &typed.Active, ServiceIDs: []frontdesk.ServiceID{}}
	for _, x := range f["service_ids"] {
		typed.Offers = append(typed.Offers, offer{ID: x, Checked: true})
		svc, err := frontdesk.ParseServiceID(x)
		if err != nil {
			return s.servicesRefused(w, r, v, typed, frontdesk.Invalid("service_ids", "no service %s", x))
		}
		def.ServiceIDs = append(def.ServiceIDs, svc)
	}
	var id frontdesk.ResourceID
	if typed.ID != "" {
		var err error
		if id, err = frontdesk.ParseResourceID(typed.ID); err != nil {
			return frontdesk.ErrNotFound
		}
	}
	if _, err := s.app.Scheduling.SaveResource(r.Context(), v.m.Org, id, def); err != nil {
		return s.servicesRefused(w, r, v, typed, err)
	}
	return errRedirect("/settings/services?done=saved")
}

func (s *Server) resourceDelete(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := frontdesk.ParseResourceID(r.PathValue("id"))
	if err != nil {
		return frontdesk.ErrNotFound
	}
	if err := s.app.Scheduling.DeleteResource(r.Context(), v.m.Org, id); err != nil {
		return s.servicesRefused(w, r, v, nil, err)
	}
	return errRedirect("/settings/services?done=deleted")
}
