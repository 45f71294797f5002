package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
)

// Google Calendar: admins connect a clinician's or room's calendar; its
// busy times count in availability, and bookings appear in it.

// oauthCookie keeps, in the browser that started a calendar connection, the
// nonce that lets only that browser finish it.
const oauthCookie = "frontdesk_oauth"

// startCalendarOAuth sends the admin's browser to Google's consent page
// (?replace=true to replace an active connection with another Google
// account's).
func (s *Server) startCalendarOAuth(w http.ResponseWriter, r *http.Request, m member) error {
	res, err := queryID[frontdesk.ResourceID](r, "resource_id")
	if err != nil {
		return err
	}
	replace := r.URL.Query().Get("replace")
	if replace != "" && replace != "true" && replace != "false" {
		return frontdesk.Invalid("replace", "must be true or false")
	}
	started, err := s.app.Calendars.Start(r.Context(), m.Org, m.User, res, replace == "true")
	if err != nil {
		return err
	}
	s.setOAuthCookie(w, started.BrowserNonce)
	w.Header().Set("Location", started.URL)
	writeJSON(w, http.StatusFound, map[string]string{"authorize_url": started.URL})
	return nil
}

// setOAuthCookie keeps the flow's nonce in the browser that starts it
// (nonce "" forgets it), readable only by the callback.
func (s *Server) setOAuthCookie(w http.ResponseWriter, nonce string) {
	age := 600
	if nonce == "" {
		age = -1
	}
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: nonce, Path: "/api/calendar/oauth/callback",
		MaxAge: age, HttpOnly: true, Secure: s.secureCookies(), SameSite: http.SameSiteLaxMode})
}

// calendarOAuthCallback finishes the flow Google redirects back to, in the
// browser that started it. A browser (asking for HTML) goes on to the
// integrations page, or sees why the connection failed; anything else
// gets JSON.
func (s *Server) calendarOAuthCallback(w http.ResponseWriter, r *http.Request, _ member) error {
	q := r.URL.Query()
	nonce := ""
	if c, err := r.Cookie(oauthCookie); err == nil {
		nonce = c.Value
	}
	err := s.app.Calendars.Callback(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), nonce)
	s.setOAuthCookie(w, "")
	if !strings.Contains(r.Header.Get("Accept"), "text/html") {
		return reply(w, err, http.StatusOK, map[string]string{"status": "connected"})
	}
	if err == nil {
		http.Redirect(w, r, "/integrations?done=calendar", http.StatusSeeOther)
		return nil
	}
	s.pageError(w, r, nil, err)
	return nil
}

func (s *Server) listCalendarConnections(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Calendars.Connections(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"connections": out})
}

// deleteCalendarConnection disconnects a calendar and revokes the grant at
// Google.
func (s *Server) deleteCalendarConnection(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	return reply(w, s.app.Calendars.Disconnect(r.Context(), m.Org, id), http.StatusNoContent, nil)
}
