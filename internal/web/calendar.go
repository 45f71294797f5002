package web

import (
	"net/http"

	"github.com/google/uuid"

	"frontdesk"
)

// Google Calendar: admins connect a clinician's or room's calendar; its
// busy times count in availability, and bookings appear in it.

// startCalendarOAuth sends the admin's browser to Google's consent page.
func (s *Server) startCalendarOAuth(w http.ResponseWriter, r *http.Request, m member) error {
	res, err := queryID[frontdesk.ResourceID](r, "resource_id")
	if err != nil {
		return err
	}
	url, err := s.app.Calendars.Start(r.Context(), m.Org, m.User, res)
	if err != nil {
		return err
	}
	w.Header().Set("Location", url)
	writeJSON(w, http.StatusFound, map[string]string{"authorize_url": url})
	return nil
}

// calendarOAuthCallback finishes the flow Google redirects back to.
func (s *Server) calendarOAuthCallback(w http.ResponseWriter, r *http.Request, _ member) error {
	q := r.URL.Query()
	err := s.app.Calendars.Callback(r.Context(), q.Get("state"), q.Get("code"), q.Get("error"))
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
