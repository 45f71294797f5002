package web

import (
	"net/http"
	"net/url"

	"frontdesk"
	accesslog "frontdesk/internal/access"
	"frontdesk/internal/identity"
)

// The team page (admins; owners for owners): members and roles, adding
// by email, changing a role, removing, resetting a password. A one-time
// password is shown once, on the page that made it.

type teamPage struct {
	Members []identity.TeamMember
	Roles   []frontdesk.Role
	Errors  map[string]string
	// Email, Name and Role are the add form as typed.
	Email, Name string
	Role        frontdesk.Role
	// Shown is a one-time password just made, and whose.
	Shown, ShownFor string
	Notice          string
}

func (d teamPage) fieldError(name string) string { return d.Errors[name] }

func (s *Server) team(w http.ResponseWriter, r *http.Request, v *view, d teamPage, status int) error {
	v.nav = "team"
	members, err := s.app.Identity.Team(r.Context(), v.m.Org)
	if err != nil {
		return err
	}
	d.Members = members
	d.Roles = []frontdesk.Role{frontdesk.RoleStaff, frontdesk.RoleAdmin}
	if v.m.Role.AtLeast(frontdesk.RoleOwner) {
		d.Roles = append(d.Roles, frontdesk.RoleOwner)
	}
	if d.Role == "" {
		d.Role = frontdesk.RoleStaff
	}
	return s.render(w, v, status, "team", "Team", d)
}

func (s *Server) teamPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.team(w, r, v, teamPage{}, http.StatusOK)
}

// teamRefused shows a refused change on the page, next to its field.
func (s *Server) teamRefused(w http.ResponseWriter, r *http.Request, v *view, d teamPage, err error) error {
	fields, status, ok := formRefusal(err)
	if !ok {
		return err
	}
	d.Errors = fields
	return s.team(w, r, v, d, status)
}

func (s *Server) teamAdd(w http.ResponseWriter, r *http.Request, v *view) error {
	d := teamPage{Email: r.PostFormValue("email"), Name: r.PostFormValue("name"), Role: frontdesk.Role(r.PostFormValue("role"))}
	rl, err := role(d.Role)
	if err != nil {
		return s.teamRefused(w, r, v, d, err)
	}
	added, err := s.app.Identity.AddMember(r.Context(), v.m, d.Email, d.Name, rl)
	if err != nil {
		return s.teamRefused(w, r, v, d, err)
	}
	out := teamPage{Notice: added.Email + " is now " + string(added.Role) + "."}
	if added.OneTimePassword != "" {
		out.Shown, out.ShownFor = added.OneTimePassword, added.Email
	}
	return s.team(w, r, v, out, http.StatusOK)
}

func (s *Server) teamMember(r *http.Request) (frontdesk.UserID, error) {
	id, err := frontdesk.ParseUserID(r.PathValue("userId"))
	if err != nil {
		return id, frontdesk.ErrNotFound
	}
	return id, nil
}

func (s *Server) teamSetRole(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := s.teamMember(r)
	if err != nil {
		return err
	}
	rl, err := role(frontdesk.Role(r.PostFormValue("role")))
	if err == nil {
		_, err = s.app.Identity.SetRole(r.Context(), v.m, id, rl)
	}
	if err != nil {
		return s.teamRefused(w, r, v, teamPage{}, err)
	}
	return errRedirect("/team")
}

func (s *Server) teamRemove(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := s.teamMember(r)
	if err != nil {
		return err
	}
	if err := s.app.Identity.RemoveMember(r.Context(), v.m, id); err != nil {
		return s.teamRefused(w, r, v, teamPage{}, err)
	}
	return errRedirect("/team")
}

func (s *Server) teamResetPassword(w http.ResponseWriter, r *http.Request, v *view) error {
	id, err := s.teamMember(r)
	if err != nil {
		return err
	}
	password, err := s.app.Identity.ResetPassword(r.Context(), v.m, id)
	if err != nil {
		return s.teamRefused(w, r, v, teamPage{}, err)
	}
	email := ""
	if members, err := s.app.Identity.Team(r.Context(), v.m.Org); err == nil {
		for _, m := range members {
			if m.UserID == id {
				email = m.Email
			}
		}
	}
	return s.team(w, r, v, teamPage{Shown: password, ShownFor: email}, http.StatusOK)
}

// auditPage is the clinic's audit trail and the log of reads of
// patients' data, narrowed by days, patient and user (owners).
func (s *Server) auditPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "audit"
	entries, err := s.app.Identity.AuditLog(r.Context(), v.m.Org)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	d := auditPage{Trail: entries, Query: q, CSV: "/audit/access.csv?" + q.Encode()}
	status := http.StatusOK
	d.Reads, err = s.app.Access.List(r.Context(), v.m.Org, accessFilter(q))
	if fields, code, ok := formRefusal(err); ok {
		d.Errors, status = fields, code
	} else if err != nil {
		return err
	}
	return s.render(w, v, status, "audit", "Audit", d)
}

type auditPage struct {
	Trail  []identity.AuditEntry
	Reads  []accesslog.Entry
	Query  url.Values
	CSV    string
	Errors map[string]string
}

func (d auditPage) fieldError(name string) string { return d.Errors[name] }

func accessFilter(q url.Values) accesslog.Filter {
	return accesslog.Filter{From: q.Get("from"), To: q.Get("to"), Phone: q.Get("phone"), User: q.Get("user")}
}

// accessCSV downloads the reads of patients' data as CSV (owners).
func (s *Server) accessCSV(w http.ResponseWriter, r *http.Request, v *view) error {
	entries, err := s.app.Access.List(r.Context(), v.m.Org, accessFilter(r.URL.Query()))
	if err != nil {
		return err
	}
	writeAccessCSV(w, entries)
	return nil
}

// listAccess is the log of reads of patients' data through the API
// (owners), as JSON or, with format=csv, CSV.
func (s *Server) listAccess(w http.ResponseWriter, r *http.Request, m member) error {
	q := r.URL.Query()
	entries, err := s.app.Access.List(r.Context(), m.Org, accessFilter(q))
	if err != nil || q.Get("format") != "csv" {
		return reply(w, err, http.StatusOK, map[string]any{"reads": entries})
	}
	writeAccessCSV(w, entries)
	return nil
}

func writeAccessCSV(w http.ResponseWriter, entries []accesslog.Entry) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="access-log.csv"`)
	_ = accesslog.WriteCSV(w, entries)
}
