package web

import (
	"errors"
	"net/http"

	"frontdesk"
	"frontdesk/internal/patients"
)

// The patient page: one phone number's calls, bookings, texts and
// messages for the staff, in one timeline (the clinic's only: another
// clinic's patient is an empty page, as is a number never seen). Opening
// it is a read the access log records.

type patientPage struct {
	Query    string
	Timeline patients.Timeline
	Errors   map[string]string
}

func (s *Server) patientPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "patients"
	d := patientPage{Query: r.URL.Query().Get("phone")}
	if d.Query == "" {
		return s.render(w, v, http.StatusOK, "patient", "Patient", d)
	}
	t, err := s.app.Patients.Timeline(r.Context(), v.m.Org, d.Query)
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		d.Errors = map[string]string{"phone": ve.Message}
		return s.render(w, v, http.StatusUnprocessableEntity, "patient", "Patient", d)
	}
	if err != nil {
		return err
	}
	d.Timeline = t
	return s.render(w, v, http.StatusOK, "patient", "Patient "+t.Phone, d)
}

// getPatient is a patient's timeline through the API.
func (s *Server) getPatient(w http.ResponseWriter, r *http.Request, m member) error {
	t, err := s.app.Patients.Timeline(r.Context(), m.Org, r.URL.Query().Get("phone"))
	return reply(w, err, http.StatusOK, t)
}
