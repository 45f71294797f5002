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
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: started.BrowserNonce, Path: "/api/calendar/oauth/callback",
		MaxAge: 600, HttpOnly: true, Secure: strings.HasPrefix(s.publicURL, "https://"), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Location", started.URL)
	writeJSON(w, http.StatusFound, map[string]string{"authorize_url": started.URL})
	return nil
}

// calendarOAuthCallback finishes the flow Google redirects back to, in the
// browser that started it.
func (s *Server) calendarOAuthCallback(w http.ResponseWriter, r *http.Request, _ member) error {
	q := r.URL.Query()
	nonce := ""
	if c, err := r.Cookie(oauthCookie); err == nil {
		nonce = c.Value
	}
	err := s.app.Calendars.Callback(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"), nonce)
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Path: "/api/calendar/oauth/callback", MaxAge: -1, HttpOnly: true,
		Secure: strings.HasPrefix(s.publicURL, "https://"), SameSite: http.SameSiteLaxMode})
	return reply(w, err, http.StatusOK, map[string]string{"status": "connected"})
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
