package web

import (
	"net/http"

	"frontdesk"
)

// The clinic's team (admins and owners) and a user's own password.

func (s *Server) listTeam(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Identity.Team(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"members": out})
}

type memberRequest struct {
	Email string         `json:"email"`
	Name  string         `json:"name"`
	Role  frontdesk.Role `json:"role"`
}

func role(v frontdesk.Role) (frontdesk.Role, error) {
	r, err := frontdesk.ParseRole(string(v))
	if err != nil {
		return r, frontdesk.Invalid("role", "must be owner, admin or staff")
	}
	return r, nil
}

// addMember adds a person by email; a new account's one-time password is
// in the answer, once.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, m member) error {
	var in memberRequest
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rl, err := role(in.Role)
	if err != nil {
		return err
	}
	out, err := s.app.Identity.AddMember(r.Context(), m, in.Email, in.Name, rl)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.UserID](r, "userId")
	if err != nil {
		return err
	}
	var in struct {
		Role frontdesk.Role `json:"role"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rl, err := role(in.Role)
	if err != nil {
		return err
	}
	out, err := s.app.Identity.SetRole(r.Context(), m, id, rl)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.UserID](r, "userId")
	if err != nil {
		return err
	}
	return reply(w, s.app.Identity.RemoveMember(r.Context(), m, id), http.StatusNoContent, nil)
}

// resetPassword gives a member a one-time password, shown once.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.UserID](r, "userId")
	if err != nil {
		return err
	}
	password, err := s.app.Identity.ResetPassword(r.Context(), m, id)
	return reply(w, err, http.StatusOK, map[string]string{"one_time_password": password})
}

// changePassword is a signed-in user changing their own password.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, m member) error {
	var in struct {
		CurrentPassword string `json:"current_password"`
		NewPassword     string `json:"new_password"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return reply(w, s.app.Identity.ChangePassword(r.Context(), m.User, in.CurrentPassword, in.NewPassword), http.StatusNoContent, nil)
}
