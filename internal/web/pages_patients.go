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
	// Erased is what an erasure just did.
	Erased *patients.Erasure
}

func (d patientPage) fieldError(name string) string { return d.Errors[name] }

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

// exportPatient streams a patient's export as a zip (owners), from the
// API ({"phone"}) or the patient page's form: the headers are set with
// the first byte, so a refusal before it is an error like any other.
func (s *Server) exportPatient(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, phone string) error {
	zw := &download{w: w, name: "patient-export.zip"}
	err := s.app.Patients.Export(r.Context(), org, phone, zw)
	if err != nil && zw.started {
		s.log.ErrorContext(r.Context(), "patient export failed midway", "err", err)
		return nil // the archive is cut short; the client sees a broken zip
	}
	return err
}

func (s *Server) exportPatientAPI(w http.ResponseWriter, r *http.Request, m member) error {
	var in struct {
		Phone string `json:"phone"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return s.exportPatient(w, r, m.Org, in.Phone)
}

func (s *Server) exportPatientPage(w http.ResponseWriter, r *http.Request, v *view) error {
	err := s.exportPatient(w, r, v.m.Org, r.PostFormValue("phone"))
	var ve *frontdesk.ValidationError
	if errors.As(err, &ve) {
		return s.render(w, v, http.StatusUnprocessableEntity, "patient", "Patient",
			patientPage{Query: r.PostFormValue("phone"), Errors: map[string]string{"phone": ve.Message}})
	}
	return err
}

// download is a response that becomes an attachment with its first byte.
type download struct {
	w       http.ResponseWriter
	name    string
	started bool
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.started = true
		d.w.Header().Set("Content-Type", "application/zip")
		d.w.Header().Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
		d.w.WriteHeader(http.StatusOK)
	}
	return d.w.Write(p)
}

func (s *Server) erasePatientAPI(w http.ResponseWriter, r *http.Request, m member) error {
	var in struct {
		Phone   string `json:"phone"`
		Confirm string `json:"confirm"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Patients.Erase(r.Context(), m.Org, in.Phone, in.Confirm)
	return reply(w, err, http.StatusOK, out)
}

// erasePatientPage erases a patient from the patient page, once the
// owner has typed the number again.
func (s *Server) erasePatientPage(w http.ResponseWriter, r *http.Request, v *view) error {
	v.nav = "patients"
	phone := r.PostFormValue("phone")
	out, err := s.app.Patients.Erase(r.Context(), v.m.Org, phone, r.PostFormValue("confirm"))
	if fields, status, ok := formRefusal(err); ok {
		t, terr := s.app.Patients.Timeline(r.Context(), v.m.Org, phone)
		if terr != nil {
			return terr
		}
		return s.render(w, v, status, "patient", "Patient "+t.Phone, patientPage{Query: phone, Timeline: t, Errors: fields})
	}
	if err != nil {
		return err
	}
	return s.render(w, v, http.StatusOK, "patient", "Patient erased", patientPage{Erased: &out})
}
