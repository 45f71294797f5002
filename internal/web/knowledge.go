package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// The clinic's knowledge base: articles the voice agent searches
// (lookupKnowledge). Everyone in the clinic reads; admins write.

type article struct {
	ID        uuid.UUID  `json:"id"`
	Title     string     `json:"title"`
	Body      string     `json:"body"`
	Active    *bool      `json:"active"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

func (a *article) validate() error {
	a.Title = strings.TrimSpace(a.Title)
	switch {
	case a.Title == "" || len(a.Title) > 200:
		return frontdesk.Invalid("title", "is required (at most 200 characters)")
	case strings.TrimSpace(a.Body) == "" || len(a.Body) > 20000:
		return frontdesk.Invalid("body", "is required (at most 20,000 characters)")
	}
	if a.Active == nil {
		t := true
		a.Active = &t
	}
	return nil
}

func (s *Server) listKnowledge(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []article{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		rows, err := tx.ListKnowledge(r.Context(), org)
		for _, a := range rows {
			out = append(out, article{a.ID, a.Title, a.Body, &a.Active, inZone(&a.UpdatedAt, tx.Org.Location)})
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"articles": out})
}

func (s *Server) createKnowledge(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	var in article
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
		in.ID, err = tx.CreateKnowledge(r.Context(), db.CreateKnowledgeParams{OrgID: org, Title: in.Title, Body: in.Body, Active: *in.Active})
		return err
	})
	return s.reply(w, err, http.StatusCreated, in)
}

func (s *Server) updateKnowledge(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	var in article
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
		return postgres.OneRow(tx.UpdateKnowledge(r.Context(), db.UpdateKnowledgeParams{OrgID: org, ID: id, Title: in.Title, Body: in.Body, Active: *in.Active}))
	})
	return s.reply(w, err, http.StatusOK, in)
}

func (s *Server) deleteKnowledge(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	return s.adminDelete(w, r, org, func(ctx context.Context, tx *postgres.Tx, id uuid.UUID) (int64, error) {
		return tx.DeleteKnowledge(ctx, db.DeleteKnowledgeParams{OrgID: org, ID: id})
	})
}
