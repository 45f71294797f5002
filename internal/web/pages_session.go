package web

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"frontdesk"
	"frontdesk/internal/identity"
)

// Signing in and out, choosing the clinic, changing one's password.

type loginForm struct {
	Email, Next, Alert string
	// NewPassword asks for the password that replaces a one-time one.
	NewPassword bool
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return s.render(w, nil, http.StatusOK, "login", "Sign in", loginForm{Next: safeNext(r.URL.Query().Get("next"))})
}

// safeNext keeps a post-sign-in destination on this site.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/calls"
	}
	return next
}

func (s *Server) loginSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	f := loginForm{Email: r.PostFormValue("email"), Next: safeNext(r.PostFormValue("next"))}
	token, err := s.app.Identity.SignIn(r.Context(), f.Email, r.PostFormValue("password"), r.PostFormValue("new_password"), s.clientIP(r))
	var (
		limited *identity.RateLimitedError
		ve      *frontdesk.ValidationError
	)
	status := http.StatusUnauthorized
	switch {
	case err == nil:
		setSession(w, token, s.secureCookies())
		return errRedirect(f.Next)
	case errors.As(err, &limited):
		status, f.Alert = http.StatusTooManyRequests, fmt.Sprintf("Too many failed sign-ins. Try again in %d minutes.", int(limited.RetryAfter.Minutes())+1)
	case errors.Is(err, identity.ErrBadCredentials):
		f.Alert = "Wrong email or password."
	case errors.Is(err, identity.ErrPasswordChangeRequired):
		status, f.NewPassword, f.Alert = http.StatusOK, true, "Your password was given to you once: choose your own to sign in."
	case errors.As(err, &ve):
		status, f.Alert, f.NewPassword = http.StatusUnprocessableEntity, ve.Error(), ve.Field == "new_password"
	default:
		return err
	}
	return s.render(w, nil, status, "login", "Sign in", f)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, v *view) error {
	if err := s.app.Identity.SignOut(r.Context(), v.token); err != nil {
		return err
	}
	clearSession(w, s.secureCookies())
	return errRedirect("/login")
}

func (s *Server) clinicsPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "clinics"
	return s.render(w, v, http.StatusOK, "clinics", "Choose a clinic", nil)
}

// switchClinic makes the chosen clinic the session's (a member's only).
func (s *Server) switchClinic(w http.ResponseWriter, r *http.Request, v *view) error {
	org, err := frontdesk.ParseOrgID(r.PostFormValue("org"))
	if err != nil {
		return frontdesk.Invalid("org", "choose a clinic")
	}
	if err := s.app.Identity.SwitchClinic(r.Context(), v.token, org); err != nil {
		return err
	}
	return errRedirect("/calls")
}

type passwordForm struct {
	Errors map[string]string
	Done   bool
}

func (s *Server) passwordPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "password"
	return s.render(w, v, http.StatusOK, "password", "Change my password", passwordForm{Done: r.URL.Query().Has("changed")})
}

func (s *Server) passwordSubmit(w http.ResponseWriter, r *http.Request, v *view) error {
	token, err := s.app.Identity.ChangeOwnPassword(r.Context(), v.m.User, r.PostFormValue("current_password"),
		r.PostFormValue("new_password"), v.m.Org)
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		v.nav = "password"
		return s.render(w, v, http.StatusUnprocessableEntity, "password", "Change my password",
			passwordForm{Errors: map[string]string{ve.Field: ve.Message}})
	}
	if err != nil {
		return err
	}
	setSession(w, token, s.secureCookies()) // every older session has ended
	return errRedirect("/password?changed")
}
