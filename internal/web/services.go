package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

type service struct {
	ID                  uuid.UUID `json:"id"`
	Name                string    `json:"name"`
	DurationMinutes     int32     `json:"duration_minutes"`
	BufferBeforeMinutes int32     `json:"buffer_before_minutes"`
	BufferAfterMinutes  int32     `json:"buffer_after_minutes"`
	Active              *bool     `json:"active"`
}

func (v *service) validate() error {
	v.Name = strings.TrimSpace(v.Name)
	switch {
	case v.Name == "" || len(v.Name) > 200:
		return frontdesk.Invalid("name", "is required (at most 200 characters)")
	case v.DurationMinutes < 5 || v.DurationMinutes > 480:
		return frontdesk.Invalid("duration_minutes", "must be from 5 to 480")
	case v.BufferBeforeMinutes < 0 || v.BufferBeforeMinutes > 240:
		return frontdesk.Invalid("buffer_before_minutes", "must be from 0 to 240")
	case v.BufferAfterMinutes < 0 || v.BufferAfterMinutes > 240:
		return frontdesk.Invalid("buffer_after_minutes", "must be from 0 to 240")
	}
	if v.Active == nil {
		t := true
		v.Active = &t
	}
	return nil
}

func (s *Server) listServices(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []service{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rows, err := tx.ListServices(r.Context(), org)
		for _, x := range rows {
			out = append(out, service{x.ID, x.Name, x.DurationMinutes, x.BufferBeforeMinutes, x.BufferAfterMinutes, &x.Active})
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"services": out})
}

func (s *Server) createService(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in service
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) (err error) {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		in.ID, err = tx.CreateService(r.Context(), db.CreateServiceParams{OrgID: org, Name: in.Name, DurationMinutes: in.DurationMinutes,
			BufferBeforeMinutes: in.BufferBeforeMinutes, BufferAfterMinutes: in.BufferAfterMinutes, Active: *in.Active})
		return err
	})
	return s.reply(w, err, http.StatusCreated, in)
}

func (s *Server) updateService(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	var in service
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	in.ID = id
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		return postgres.OneRow(tx.UpdateService(r.Context(), db.UpdateServiceParams{OrgID: org, ID: id, Name: in.Name, DurationMinutes: in.DurationMinutes,
			BufferBeforeMinutes: in.BufferBeforeMinutes, BufferAfterMinutes: in.BufferAfterMinutes, Active: *in.Active}))
	})
	return s.reply(w, err, http.StatusOK, in)
}

// deleteService removes a service with no bookings; one with bookings is a
// 409: set it inactive instead.
func (s *Server) deleteService(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.adminDelete(w, r, org, func(ctx context.Context, tx *postgres.Tx, id uuid.UUID) (int64, error) {
		return tx.DeleteService(ctx, db.DeleteServiceParams{OrgID: org, ID: id})
	})
}

type resource struct {
	ID         uuid.UUID   `json:"id"`
	Name       string      `json:"name"`
	Kind       string      `json:"kind"`
	Active     *bool       `json:"active"`
	ServiceIDs []uuid.UUID `json:"service_ids"`
}

func (v *resource) validate() error {
	v.Name = strings.TrimSpace(v.Name)
	if v.Name == "" || len(v.Name) > 200 {
		return frontdesk.Invalid("name", "is required (at most 200 characters)")
	}
	if v.Kind == "" {
		v.Kind = "clinician"
	}
	if v.Kind != "clinician" && v.Kind != "room" {
		return frontdesk.Invalid("kind", "must be clinician or room")
	}
	if v.Active == nil {
		t := true
		v.Active = &t
	}
	if v.ServiceIDs == nil {
		v.ServiceIDs = []uuid.UUID{}
	}
	return nil
}

func (s *Server) listResources(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []resource{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rows, err := tx.ListResources(r.Context(), org)
		for _, x := range rows {
			out = append(out, resource{x.ID, x.Name, x.Kind, &x.Active, x.ServiceIds})
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"resources": out})
}

func (s *Server) createResource(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.saveResource(w, r, org, uuid.Nil)
}

func (s *Server) updateResource(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	return s.saveResource(w, r, org, id)
}

// saveResource creates (id nil) or replaces a resource and the services it
// offers. A service id of another clinic fails its composite foreign key:
// the same 422 as one that does not exist.
func (s *Server) saveResource(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID, id uuid.UUID) error {
	var in resource
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	status := http.StatusOK
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) (err error) {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		ctx := r.Context()
		if id == uuid.Nil {
			status = http.StatusCreated
			if id, err = tx.CreateResource(ctx, db.CreateResourceParams{OrgID: org, Name: in.Name, Kind: in.Kind, Active: *in.Active}); err != nil {
				return err
			}
		} else if err := postgres.OneRow(tx.UpdateResource(ctx, db.UpdateResourceParams{OrgID: org, ID: id, Name: in.Name, Kind: in.Kind, Active: *in.Active})); err != nil {
			return err
		}
		in.ID = id
		if err := tx.ClearResourceServices(ctx, db.ClearResourceServicesParams{OrgID: org, ResourceID: id}); err != nil {
			return err
		}
		for _, svc := range in.ServiceIDs {
			if _, err := tx.GetService(ctx, db.GetServiceParams{OrgID: org, ID: svc}); err != nil {
				return frontdesk.Invalid("service_ids", "no service %s", svc)
			}
			if err := tx.AddResourceService(ctx, db.AddResourceServiceParams{OrgID: org, ResourceID: id, ServiceID: svc}); err != nil {
				return err
			}
		}
		return nil
	})
	return s.reply(w, err, status, in)
}

func (s *Server) deleteResource(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.adminDelete(w, r, org, func(ctx context.Context, tx *postgres.Tx, id uuid.UUID) (int64, error) {
		return tx.DeleteResource(ctx, db.DeleteResourceParams{OrgID: org, ID: id})
	})
}
