package web

import (
	"net/http"

	"github.com/google/uuid"

	"frontdesk/internal/knowledge"
)

// The clinic's knowledge base: articles the voice agent searches.

func (s *Server) listKnowledge(w http.ResponseWriter, r *http.Request, m member) error {
	out, err := s.app.Knowledge.List(r.Context(), m.Org)
	return reply(w, err, http.StatusOK, map[string]any{"articles": out})
}

func (s *Server) createKnowledge(w http.ResponseWriter, r *http.Request, m member) error {
	var in knowledge.Article
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Knowledge.Create(r.Context(), m.Org, in)
	return reply(w, err, http.StatusCreated, out)
}

func (s *Server) updateKnowledge(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	var in knowledge.Article
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.app.Knowledge.Update(r.Context(), m.Org, id, in)
	return reply(w, err, http.StatusOK, out)
}

func (s *Server) deleteKnowledge(w http.ResponseWriter, r *http.Request, m member) error {
	id, err := pathID[uuid.UUID](r, "id")
	if err != nil {
		return err
	}
	return reply(w, s.app.Knowledge.Delete(r.Context(), m.Org, id), http.StatusNoContent, nil)
}
