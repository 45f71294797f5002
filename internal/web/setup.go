package web

import (
	"net/http"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/scheduling"
)

// Clinic setup for scheduling: booking settings, hours, closures, services
// and resources.

func (s *Server) getBookingSettings(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Scheduling.BookingSettings(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) putBookingSettings(w http.ResponseWriter, r *http.Request, m member) error {
	var in scheduling.BookingSettings
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return reply(w, s.app.Scheduling.SetBookingSettings(r.Context(), m.Org, in), http.StatusOK, in)
}

// putClinic renames the clinic.
func (s *Server) putClinic(w http.ResponseWriter, r *http.Request, m member) error {
	var in struct {
		Name string `json:"name"`
	}
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	return reply(w, s.app.Identity.RenameClinic(r.Context(), m.Org, in.Name), http.StatusOK, map[string]string{"name": strings.TrimSpace(in.Name)})
}

type hoursBody struct {
	Hours []scheduling.HoursRange `json:"hours"`
}

// getHours lists the clinic's weekly hours, or a resource's own with
// ?resource=<id>.
func (s *Server) getHours(w http.ResponseWriter, r *http.Request, m member) error {
	res, err := queryID[frontdesk.ResourceID](r, "resource")
	if err != nil {
		return err
	}
	out, err := s.app.Scheduling.Hours(r.Context(), m.Org, res)
	return reply(w, err, http.StatusOK, hoursBody{out})
}

// putHours replaces the clinic's weekly hours (or a resource's own).
func (s *Server) putHours(w http.ResponseWriter, r *http.Request, m member) error {
	res, err := queryID[frontdesk.ResourceID](r, "resource")
	if err != nil {
		return err
	}
	var in hoursBody
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	err = s.app.Scheduling.SetHours(r.Context(), m.Org, res, in.Hours)
	if in.Hours == nil {
		in.Hours = []scheduling.HoursRange{}
	}
	return reply(w, err, http.StatusOK, in)
}

func (s *Server) listClosures(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Scheduling.Closures(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"closures": out})
}

func (s *Server) createClosure(w http.ResponseWriter, r *http.Request, m member) error {
	var in scheduling.Closure
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Scheduling.CreateClosure(r.Context(), m.Org, in)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) deleteClosure(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	return reply(w, s.app.Scheduling.DeleteClosure(r.Context(), m.Org, id), http.StatusNoContent, nil)
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Scheduling.Services(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"services": out})
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, m member) error {
	return s.saveService(w, r, m, frontdesk.ServiceID{}, http.StatusCreated)
}

func (s *Server) updateService(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.ServiceID](r, "id")
	if err != nil {
		return err
	}
	return s.saveService(w, r, m, id, http.StatusOK)
}

func (s *Server) saveService(w http.ResponseWriter, r *http.Request, m member, id frontdesk.ServiceID, status int) error {
	var in scheduling.ServiceDef
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Scheduling.SaveService(r.Context(), m.Org, id, in)
	return reply(w, err, status, out)
}

// deleteService removes a service with no bookings; one with bookings is a
// 409: set it inactive instead.
func (s *Server) deleteService(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.ServiceID](r, "id")
	if err != nil {
		return err
	}
	return reply(w, s.app.Scheduling.DeleteService(r.Context(), m.Org, id), http.StatusNoContent, nil)
}

func (s *Server) listResources(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Scheduling.Resources(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"resources": out})
}

func (s *Server) createResource(w http.ResponseWriter, r *http.Request, m member) error {
	return s.saveResource(w, r, m, frontdesk.ResourceID{}, http.StatusCreated)
}

func (s *Server) updateResource(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.ResourceID](r, "id")
	if err != nil {
		return err
	}
	return s.saveResource(w, r, m, id, http.StatusOK)
}

func (s *Server) saveResource(w http.ResponseWriter, r *http.Request, m member, id frontdesk.ResourceID, status int) error {
	var in scheduling.ResourceDef
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Scheduling.SaveResource(r.Context(), m.Org, id, in)
	return reply(w, err, status, out)
}

func (s *Server) deleteResource(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[frontdesk.ResourceID](r, "id")
	if err != nil {
		return err
	}
	return reply(w, s.app.Scheduling.DeleteResource(r.Context(), m.Org, id), http.StatusNoContent, nil)
}
